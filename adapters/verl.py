"""veRL custom reward function (and data preparation) for registered rewardkit rewards.

veRL (0.9.1) loads a custom reward function from configuration::

    reward.custom_reward_function.path=pkg://rewardkit.adapters.verl
    reward.custom_reward_function.name=compute_score          # the default
    +reward.custom_reward_function.reward_kwargs.reward=visual_rft.detection

and calls it once per sample as ``compute_score(data_source=..., solution_str=...,
ground_truth=..., extra_info=..., **reward_kwargs)``. It returns a dict whose ``score``
is the reward and whose other keys (the reward's components) veRL logs per sample; the
keys are the same for every sample (veRL stacks them into arrays).

Which reward scores a sample, first match wins:

1. ``extra_info["reward"]`` (written by :func:`make_row`),
2. ``reward_kwargs.rewards[data_source]`` (a table from data source to reward name),
3. ``data_source`` itself when it is a registered reward name,
4. ``reward_kwargs.reward`` (the default reward of the run).

Parameters: ``reward_kwargs.params`` (``{param: value}`` for every reward that accepts
it, or ``{reward_name: {param: value}}``), then ``extra_info["reward_params"]`` (a dict
or a JSON string), then ``extra_info["image_size"]`` (``[width, height]`` of the
original image, written at data preparation: images never reach the reward) and
``extra_info["min_pixels"]`` / ``["max_pixels"]`` for the Qwen2.5-VL frame.

Ground truth arrives from the parquet row's ``reward_model.ground_truth`` as a JSON
string, a dict, a list or a numpy array (parquet lists); all are read.

A run that mixes rewards (detection, grounding, classification rows) must name them
all (``rewards`` table or ``reward_kwargs.mix``): every sample then carries the union of
their components (0 where a component is not its reward's), since veRL stacks the keys
of all samples.

``None`` ("the reward does not apply": unreadable ground truth) cannot be skipped in
veRL: such a sample scores ``none_score`` (default 0.0) with every component 0 and
``applicable`` 0 (``applicable`` is 1 for the others).

Schedules (Vision-R1's progressive thresholds) need the training step. ``step`` /
``max_steps`` are read from ``reward_kwargs`` or ``extra_info`` (``step``,
``global_step``, ``global_steps``: veRL's agent loop merges the rollout server's
``global_steps`` into ``extra_info``; ``max_steps`` or ``total_training_steps``). The
reward manager :class:`rewardkit.adapters.verl_manager.RewardkitRewardManager` (loaded
with ``reward.reward_manager.source=importlib``) fills both from the batch and the
trainer configuration; see ``docs/adapters-verl.md``.

Remote scoring: ``+reward.custom_reward_function.reward_kwargs.remote=http://host:port``
sends each sample to a ``rewardkit serve`` server (``POST /score``; ``remote_timeout``
seconds per try, ``remote_retries`` further tries; the token from ``remote_token`` or,
better, ``REWARDKIT_SERVE_TOKEN`` in the workers' environment). veRL calls the function
from a thread pool, so requests overlap; each thread keeps its connection alive. A
server that stays unreachable scores the sample like an inapplicable one (veRL cannot
skip a sample): ``none_score`` with ``applicable`` 0, and a logged warning.

This module imports neither torch nor veRL (``import rewardkit.adapters.verl`` stays
cheap in Ray actors); pandas/pyarrow are imported inside :func:`write_parquet`.

    >>> r = compute_score("coco", "<think>x</think><answer>[[10, 10, 500, 500]]</answer>",
    ...                   "[[10, 10, 500, 500]]", {"reward": "visual_rft.detection"})
    >>> r["score"], r["iou"], r["confidence"], r["format"]
    (3.0, 1.0, 1.0, 1.0)
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from rewardkit.adapters._common import gt_key, jsonable_ground_truth, normalize_ground_truth
from rewardkit.adapters.verl_data import (  # re-exported: the data side of the adapter
    make_row,
    write_parquet,
)

from rewardkit.registry import Reward, get_spec
from rewardkit.rewards.base import REWARD_SPECS, bad_ground_truth
from rewardkit.types import RewardResult, as_image_size

__all__ = ["compute_score", "RewardkitScorer", "make_row", "write_parquet", "result_to_dict", "DEFAULT_SCORER"]

_STEP_KEYS = ("step", "global_step", "global_steps")
_MAX_STEP_KEYS = ("max_steps", "total_training_steps")
_IGNORED_KWARGS = frozenset({"reward_router_address", "reward_model_tokenizer"})
_log = logging.getLogger("rewardkit.adapters")


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def _as_int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        if hasattr(value, "item"):
            value = value.item()
        v = int(value)
    except (TypeError, ValueError):
        return None
    return v


def _known_params() -> frozenset[str]:
    global _KNOWN
    if _KNOWN is None or len(_KNOWN[0]) != len(REWARD_SPECS):
        names = frozenset(REWARD_SPECS)
        params = {"strict", *_STEP_KEYS, *_MAX_STEP_KEYS}
        for spec in REWARD_SPECS.values():
            params |= set(spec.params)
        _KNOWN = (names, frozenset(params))
    return _KNOWN[1]


_KNOWN: tuple[frozenset[str], frozenset[str]] | None = None


def result_to_dict(result: RewardResult, components: Sequence[str], none_score: float = 0.0) -> dict[str, float]:
    """veRL's per-sample dict: ``score``, every component (0 when absent), ``applicable``.

    Args:
        result: The reward's result for one sample.
        components: Component keys every sample of the batch carries.
        none_score: Score given when the reward does not apply (``result.score is None``).

    Returns:
        ``{"score": ..., <component>: ..., "applicable": 1.0 or 0.0}``.
    """
    if result.score is None:
        out = {"score": float(none_score)}
        out.update({c: 0.0 for c in components})
        out["applicable"] = 0.0
        return out
    out = {"score": float(result.score)}
    comps = result.components
    out.update({c: float(comps.get(c, 0.0)) for c in components})
    out["applicable"] = 1.0
    return out


class RewardkitScorer:
    """The state behind :func:`compute_score`: bound rewards and prepared ground truth.

    Rewards are built once per (name, parameters); ground truth is prepared once per
    (reward, parameters, ground truth, image size) and kept in a small LRU cache, so the
    G samples of one prompt (scored one by one by veRL) parse it once.

    Args:
        cache_size: Most prepared ground truths kept in the LRU cache.
    """

    def __init__(self, cache_size: int = 4096) -> None:
        self.cache_size = int(cache_size)
        self._rewards: dict[Any, Reward] = {}
        self._prepared: OrderedDict[Any, Any] = OrderedDict()
        self._keys: dict[Any, tuple[str, ...]] = {}
        self._lock = threading.Lock()
        self._clients: dict[Any, Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"cache_size": self.cache_size}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["cache_size"])  # type: ignore[misc]  # unpickling rebuilds the object through its constructor (the cache is not pickled)

    def reward(self, name: str, params: Mapping[str, Any]) -> Reward:
        key = (name, _freeze(params))
        reward = self._rewards.get(key)
        if reward is None:
            reward = Reward(name, **dict(params))
            self._rewards[key] = reward
        return reward

    def prepared(self, reward: Reward, ground_truth: Any, image_size: Any) -> Any:
        key = (reward.name, _freeze(reward.params), gt_key(ground_truth), image_size)
        with self._lock:
            if key in self._prepared:
                self._prepared.move_to_end(key)
                return self._prepared[key]
        value = reward.prepare(ground_truth, **({"image_size": image_size} if image_size is not None else {}))
        with self._lock:
            self._prepared[key] = value
            while len(self._prepared) > self.cache_size:
                self._prepared.popitem(last=False)
        return value

    # -- selection -------------------------------------------------------------------
    @staticmethod
    def select(data_source: Any, extra_info: Mapping[str, Any], reward: str | None, rewards: Mapping[str, str] | None) -> str:
        name = extra_info.get("reward")
        if name:
            return str(name)
        if rewards and data_source in rewards:
            return str(rewards[data_source])
        if isinstance(data_source, str):
            try:
                get_spec(data_source)
                return data_source
            except KeyError:
                pass
        if reward:
            return str(reward)
        raise KeyError(
            f"No reward for data_source {data_source!r}: put the reward name in extra_info['reward'] "
            "(rewardkit.adapters.verl.make_row does), or pass reward_kwargs.reward=<name> or "
            "reward_kwargs.rewards={data_source: name}"
        )

    @staticmethod
    def params_for(name: str, params: Mapping[str, Any] | None, extra_info: Mapping[str, Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        spec = get_spec(name)
        allowed = set(spec.params) | {"strict"}
        out: dict[str, Any] = {}
        if params:
            nested = params.get(name)
            if isinstance(nested, Mapping):
                out.update(nested)
            out.update({k: v for k, v in params.items() if k in allowed and not isinstance(v, Mapping)})
        out.update({k: v for k, v in kwargs.items() if k in allowed})
        row = extra_info.get("reward_params")
        if isinstance(row, str) and row:
            row = json.loads(row)
        if isinstance(row, Mapping):
            out.update({k: v for k, v in row.items() if v is not None})
        for k in ("min_pixels", "max_pixels"):
            if k in allowed and extra_info.get(k) is not None and k not in out:
                out[k] = int(extra_info[k])
        unknown = sorted(set(out) - allowed)
        if unknown:
            raise ValueError(f"Reward {name!r} got unknown parameter(s) {unknown}; expected some of {sorted(allowed)}")
        return out

    @staticmethod
    def step_of(extra_info: Mapping[str, Any], kwargs: Mapping[str, Any]) -> tuple[int | None, int | None]:
        step = max_steps = None
        for src in (kwargs, extra_info):
            for k in _STEP_KEYS:
                if step is None and src.get(k) is not None:
                    step = _as_int(src[k])
            for k in _MAX_STEP_KEYS:
                if max_steps is None and src.get(k) is not None:
                    max_steps = _as_int(src[k])
        if max_steps is not None and max_steps <= 0:
            max_steps = None
        return step, max_steps

    # -- scoring ---------------------------------------------------------------------
    def __call__(
        self,
        data_source: Any,
        solution_str: str,
        ground_truth: Any,
        extra_info: Mapping[str, Any] | None = None,
        *,
        reward: str | None = None,
        rewards: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        mix: Sequence[str] | None = None,
        none_score: float = 0.0,
        remote: str | None = None,
        remote_token: str | None = None,
        remote_timeout: float = 30.0,
        remote_retries: int = 3,
        **kwargs: Any,
    ) -> dict[str, float]:
        info: Mapping[str, Any] = extra_info if isinstance(extra_info, Mapping) else {}
        kw = {k: v for k, v in kwargs.items() if k not in _IGNORED_KWARGS}
        unknown = [k for k in kw if k not in _known_params()]
        if unknown:
            raise ValueError(
                f"reward_kwargs {sorted(unknown)} are parameters of no registered reward (typo?); expected "
                "reward, rewards, mix, params, none_score, step/max_steps or a reward parameter"
            )
        name = self.select(data_source, info, reward, rewards)
        spec = get_spec(name)
        bound = self.params_for(name, params, info, {k: v for k, v in kw.items() if k not in _STEP_KEYS + _MAX_STEP_KEYS})
        image_size = bound.pop("image_size", None)
        if image_size is None and "image_size" in spec.params and info.get("image_size") is not None:
            image_size = info["image_size"]
        if image_size is not None:
            try:  # a row's own image size: when unusable, that row does not apply
                image_size = as_image_size(image_size.tolist() if hasattr(image_size, "tolist") else image_size)
            except (ValueError, TypeError) as exc:
                return result_to_dict(bad_ground_truth(f"image_size: {exc}"), self.keys(name, reward, rewards, mix), none_score)
        call: dict[str, Any] = {}
        if spec.scheduled:
            step, max_steps = self.step_of(info, kw)
            if step is not None and max_steps is None:
                raise ValueError(
                    f"Reward {name!r} follows a schedule over training and got step={step} but no max_steps: load "
                    "the reward manager rewardkit.adapters.verl_manager.RewardkitRewardManager (it reads the "
                    "total training steps), or pass +reward.custom_reward_function.reward_kwargs.max_steps=N"
                )
            call = {"step": step, "max_steps": max_steps}
        if image_size is not None:
            call["image_size"] = image_size
        r = self.reward(name, bound)
        gt = normalize_ground_truth(ground_truth)
        text = solution_str if isinstance(solution_str, str) else str(solution_str)
        if remote:
            client = self.client(remote, remote_token, remote_timeout, remote_retries)
            result = self.score_remote(client, r, text, gt, call)
        else:
            prepared = self.prepared(r, gt, image_size)
            result = spec.fn(text, prepared, **{**r.params, **call})
        return result_to_dict(result, self.keys(name, reward, rewards, mix), none_score)

    # -- remote scoring ----------------------------------------------------------------
    def client(self, url: str, token: str | None, timeout: float, retries: int) -> Any:
        """One :class:`~rewardkit.serving.client.RewardClient` per server settings.

        Args:
            url: The ``rewardkit serve`` URL.
            token: Bearer token, or None.
            timeout: Seconds per try.
            retries: Further tries after a connection error.

        Returns:
            The client for these settings (built on first use, then reused).
        """
        key = (str(url), token, float(timeout), int(retries))
        client = self._clients.get(key)
        if client is None:
            from rewardkit.serving.client import RewardClient

            with self._lock:
                client = self._clients.get(key)
                if client is None:
                    client = self._clients[key] = RewardClient(str(url), token=token, timeout=timeout, retries=retries)
        return client

    @staticmethod
    def score_remote(client: Any, reward: Reward, text: str, ground_truth: Any, call: Mapping[str, Any]) -> RewardResult:
        """Score one sample on a ``rewardkit serve`` server (see the module docstring).

        Args:
            client: A :class:`~rewardkit.serving.client.RewardClient`.
            reward: The bound reward (its parameters are sent with the row).
            text: The completion text.
            ground_truth: The sample's ground truth (sent as JSON).
            call: Per-call parameters (``image_size``, ``step``...).

        Returns:
            The server's result, or ``score=None`` with reason ``remote_unavailable``
            when the server stays unreachable.
        """
        from rewardkit.serving.client import RemoteUnavailable, result_from_row

        params = {**reward.params, **call}
        if "image_size" in params:
            params["image_size"] = list(params["image_size"])
        row = {"reward": reward.name, "completion": text, "ground_truth": jsonable_ground_truth(ground_truth),
               "params": params}
        try:
            (got,) = client.score([row])
        except RemoteUnavailable as exc:
            _log.warning("rewardkit: %s; reward %r scores none_score (applicable=0)", exc, reward.name)
            return RewardResult(None, {}, f"remote_unavailable: {str(exc)[:200]}")
        return result_from_row(got)

    def keys(self, name: str, reward: str | None, rewards: Mapping[str, str] | None, mix: Sequence[str] | None) -> tuple[str, ...]:
        """Component keys of a sample: the union over every reward the run names.

        The union runs over the selected one, ``mix``, the ``rewards`` table and the
        default ``reward``, so that a batch mixing rewards gives every sample the same
        keys, as veRL requires.

        Args:
            name: The reward selected for this sample.
            reward: The run's default reward name, or None.
            rewards: The run's ``{data_source: name}`` table, or None.
            mix: Every reward name of a run that mixes rewards, or None.

        Returns:
            The component keys, the run's rewards first, in a fixed order.
        """
        key = (name, reward, _freeze(rewards), _freeze(mix))
        cached = self._keys.get(key)
        if cached is None:
            # the run's rewards first (same order for every sample), the selected one last
            names = [*(mix or ()), *((rewards or {}).values()), *([reward] if reward else []), name]
            seen: dict[str, None] = {}
            for n in names:
                for c in get_spec(str(n)).components:
                    seen.setdefault(c, None)
            cached = self._keys[key] = tuple(seen)
        return cached


DEFAULT_SCORER = RewardkitScorer()


def compute_score(
    data_source: Any,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, float]:
    """veRL ``custom_reward_function`` entry point (see the module docstring).

    ``kwargs`` are veRL's ``reward_kwargs``: ``reward`` (default reward name),
    ``rewards`` (``{data_source: name}``), ``mix`` (every reward name of a run that
    mixes rewards through ``extra_info``, so all samples get the same keys),
    ``params``, ``none_score``, ``step`` / ``max_steps``, ``remote`` (a ``rewardkit
    serve`` URL) with ``remote_token`` / ``remote_timeout`` / ``remote_retries``, or any
    parameter of the selected reward.

    Args:
        data_source: The row's ``data_source`` (selects the reward through ``rewards``).
        solution_str: The decoded completion.
        ground_truth: The row's ``reward_model.ground_truth`` (a JSON string or a value).
        extra_info: The row's ``extra_info`` (``reward``, ``image_size``,
            ``reward_params``...).
        **kwargs: veRL's ``reward_kwargs`` (above).

    Returns:
        ``{"score": ..., <component>: ..., "applicable": 1.0 or 0.0}``, the same keys
        for every sample of a run.
    """
    return DEFAULT_SCORER(data_source, solution_str, ground_truth, extra_info, **kwargs)
