"""TRL ``GRPOTrainer`` reward functions from registered rewardkit rewards.

TRL (>= 1.x) calls every reward function as::

    f(prompts=[...], completions=[...], completion_ids=[...], <dataset columns>=[...],
      trainer_state=TrainerState, log_extra=fn(column, values), log_metric=fn(name, value))

with one row per completion (each prompt repeated ``num_generations`` times, in a row),
and logs ``rewards/<__name__>/mean``; the advantage uses the weighted sum over all reward
functions (``GRPOConfig.reward_weights``), ``None`` meaning "does not apply" (skipped).

:func:`trl_rewards` turns registered rewards into such functions:

* ``split_components=True`` (default): one function per component of each reward,
  named ``<reward>/<component>`` (``visual_rft.detection/iou``, ``.../confidence``,
  ``.../format``), so TRL logs each component and the trainer's total is their sum
  (the reward's score for additive rewards such as Visual-RFT's R_d = R_IoU + R_conf +
  R_format). ``reward_weights`` then weight components. A reward whose score is a
  weighted sum (Seg-R1: 0.7 IoU + 0.3 S + format) gives the weighted components when its
  result carries ``details["weights"]``; otherwise a warning says that the trainer's
  total differs from the score and ``split_components=False`` is the right choice.
* ``split_components=False``: one function per reward, named after it, returning the
  total; components are sent through ``log_metric("<reward>/<component>", mean)``.

The per-component functions of one reward share one scorer: the first call on a batch
scores it (ground truth parsed once per prompt group through the reward's ``prepare``,
and the group scored through the reward's group entry point when it has one),
the others read the cached results, so a reward is computed once per batch, not once per
component. The returned objects are picklable callable class instances (the cache is
not pickled).

Per row: the completion may be a string or a list of messages (conversational
datasets); the ground truth is read from ``ground_truth_column``; the image size from
the ``image_size`` column or the ``image`` / ``images`` column (PIL ``.size`` is
``(width, height)``) when the reward's frames need it (``pred_frame != gt_frame`` and not
both normalized); a ``reward`` or ``task`` column (``task_column``) selects the rewards
that apply to the row, the others return ``None`` (format rewards, task ``"format"``,
apply to every row); scheduled rewards
(``scheduled=True``, e.g. Vision-R1's progressive thresholds) get
``trainer_state.global_step`` and ``trainer_state.max_steps`` as ``step`` /
``max_steps``; rewards that take the image itself (``image=``, a segmenter) get the
row's ``image`` (or first of ``images``).

``remote="http://host:port"`` scores on a ``rewardkit serve`` server instead of in
process (one ``POST /score`` per batch, rows in order; ``remote_timeout`` seconds per
try, ``remote_retries`` further tries with back-off). A server that stays unreachable
gives ``None`` for every row of the batch (TRL skips it: an outage says nothing about
the completions, and a minimum score would be a false signal in the advantage of the
other reward functions), with reason ``remote_unavailable`` and a logged warning;
``on_remote_error="raise"`` raises instead. A server that refuses the request (wrong
token, malformed rows) raises. Rewards that take the image itself (a segmenter) score
in process only.

``asynchronous=True`` gives ``async`` callables that score the batch with
``asyncio.to_thread`` (TRL runs async reward functions concurrently on its event loop,
so a slow reward does not block the others).

    >>> from rewardkit.adapters.trl import trl_rewards
    >>> funcs = trl_rewards("visual_rft.detection")
    >>> [f.__name__ for f in funcs]
    ['visual_rft.detection/iou', 'visual_rft.detection/confidence', 'visual_rft.detection/format']
    >>> c = "<think>a cat</think><answer>[{'Position': [10, 10, 500, 500], 'Confidence': 0.9}]</answer>"
    >>> [round(f(prompts=["p"], completions=[c], solution=[[[10, 10, 500, 500]]])[0], 3) for f in funcs]
    [1.0, 0.9, 1.0]
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from rewardkit.adapters._batch import _AUTO, BatchScorer, _total
from rewardkit.adapters._common import (
    as_reward,
    reward_params,
)

from rewardkit.registry import Reward
from rewardkit.types import RewardResult

__all__ = ["trl_rewards", "TRLRewardFunction", "AsyncTRLRewardFunction", "BatchScorer", "remote_client"]


class TRLRewardFunction:
    """One GRPO reward function: the total of a reward, or one of its components.

    Picklable; ``__name__`` is ``<reward>`` or ``<reward>/<component>``.
    """

    def __init__(self, scorer: BatchScorer, component: str | None = None) -> None:
        self.scorer = scorer
        self.component = component
        name = scorer.reward.name
        self.__name__ = name if component is None else f"{name}/{component}"
        self.__qualname__ = self.__name__

    def __getstate__(self) -> dict[str, Any]:
        return {"scorer": self.scorer, "component": self.component}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["scorer"], state["component"])  # type: ignore[misc]  # unpickling rebuilds the object through its constructor

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.__name__!r})"

    def _values(self, results: list[RewardResult | None]) -> list[float | None]:
        if self.component is None:
            return [_total(r) for r in results]
        comp = self.component
        out: list[float | None] = []
        for r in results:
            if r is None or r.score is None:
                out.append(None)
            else:
                weights = r.details.get("weights") if isinstance(r.details, Mapping) else None
                w = float(weights.get(comp, 1.0)) if isinstance(weights, Mapping) else 1.0
                out.append(w * float(r.components.get(comp, 0.0)))
        if not self.scorer._warned_sum and comp == self.scorer._spec.components[-1]:
            for r in results:
                if r is not None and r.score is not None and r.components:
                    weights = r.details.get("weights") if isinstance(r.details, Mapping) else None
                    weights = weights if isinstance(weights, Mapping) else {}
                    total = sum(float(weights.get(k, 1.0)) * v for k, v in r.components.items())
                    if abs(total - r.score) > 1e-6:
                        self.scorer._warned_sum = True
                        warnings.warn(
                            f"Reward {self.scorer._spec.name!r}: its score is not the sum of its components, so the "
                            "trainer's total with split_components=True differs from the reward's score; use "
                            "split_components=False (the total, components via log_metric) or reward_weights",
                            stacklevel=3,
                        )
                        break
        return out

    def _finish(self, prompts: Any, completions: Any, kwargs: Mapping[str, Any]) -> list[float | None]:
        results = self.scorer.score(prompts, completions, kwargs)
        first = self.component is None or self.component == (self.scorer._spec.components or (None,))[0]
        if first:
            self.scorer.log(results, kwargs, completions, components=self.component is None)
        return self._values(results)

    def __call__(self, prompts: Any = None, completions: Any = None, completion_ids: Any = None, **kwargs: Any) -> list[float | None]:
        if completions is None:
            raise ValueError("Expected `completions` (TRL passes prompts=, completions=, completion_ids=)")
        return self._finish(prompts, completions, kwargs)


class AsyncTRLRewardFunction(TRLRewardFunction):
    """Async variant: scores the batch in a worker thread (``asyncio.to_thread``)."""

    async def __call__(self, prompts: Any = None, completions: Any = None, completion_ids: Any = None, **kwargs: Any) -> list[float | None]:  # type: ignore[override]  # TRL calls async reward functions with the same keywords; the override is async by design
        if completions is None:
            raise ValueError("Expected `completions` (TRL passes prompts=, completions=, completion_ids=)")
        return await asyncio.to_thread(self._finish, prompts, completions, kwargs)


def remote_client(remote: Any, *, token: str | None = None, timeout: float = 30.0, retries: int = 3) -> Any:
    """``None``, or a :class:`~rewardkit.serving.client.RewardClient` for ``remote``.

    Args:
        remote: None, a ``rewardkit serve`` URL, or a client (returned as it is).
        token: Bearer token of a new client.
        timeout: seconds per try of a new client.
        retries: further tries of a new client.

    Returns:
        None or the client.
    """
    if remote is None:
        return None
    from rewardkit.serving.client import RewardClient

    if isinstance(remote, RewardClient):
        return remote
    return RewardClient(str(remote), token=token, timeout=timeout, retries=retries)


def trl_rewards(
    name_or_names: str | Reward | Sequence[str | Reward],
    ground_truth_column: str = "solution",
    split_components: bool = True,
    *,
    task_column: str | None = _AUTO,
    image_columns: Sequence[str] = ("image_size", "image", "images"),
    asynchronous: bool = False,
    strip_prompt: bool = False,
    log_reasons: bool = False,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    remote: Any = None,
    remote_token: str | None = None,
    remote_timeout: float = 30.0,
    remote_retries: int = 3,
    on_remote_error: str = "skip",
    **common_params: Any,
) -> list[TRLRewardFunction]:
    """GRPOTrainer reward functions for one or several registered rewards.

    Args:
        name_or_names: A registered reward name (``"visual_rft.detection"``), a bound
            :class:`~rewardkit.registry.Reward`, or a list of them (one run mixing
            tasks).
        ground_truth_column: Dataset column holding each row's ground truth (keep it
            with ``GRPOConfig(remove_unused_columns=False)``).
        split_components: One function per component (default) or one per reward
            (total; components via ``log_metric``). Rewards without components always
            give one function.
        task_column: Column whose value (a reward name or a task such as
            ``"detection"``) selects the rewards that apply to a row; others return
            ``None``. ``"auto"`` (default) uses a ``reward`` or else a ``task`` column
            when present; ``None`` disables it.
        image_columns: Columns searched, in order, for the image size when a reward's
            frames need it.
        asynchronous: Return ``async`` callables (scored with ``asyncio.to_thread``).
        strip_prompt: Pass each row's prompt text to the reward so an echoed prompt is
            stripped.
        log_reasons: Add a ``<reward>/reason`` column (reason codes) to TRL's
            completions table.
        params: Per-reward parameters,
            ``{"visual_rft.detection": {"iou_threshold": 0.5}}``.
        remote: URL of a ``rewardkit serve`` server (or a
            :class:`~rewardkit.serving.client.RewardClient`): score there, not in
            process.
        remote_token: Bearer token (default: ``$REWARDKIT_SERVE_TOKEN``).
        remote_timeout: Seconds per try.
        remote_retries: Further tries after a connection error, timeout or
            502/503/504.
        on_remote_error: ``"skip"`` (default): an unreachable server gives ``None``
            (TRL skips the rows) with reason ``remote_unavailable``; ``"raise"``: raise
            :class:`~rewardkit.serving.client.RemoteUnavailable`.
        **common_params: Parameters given to every reward that accepts them
            (``pred_frame="pixel"``); a parameter that no reward accepts is an error.

    Returns:
        The reward functions to pass as ``GRPOTrainer(reward_funcs=...)``, one per
        reward or per component.

    Raises:
        ValueError: no reward, a parameter no reward accepts, ``params`` naming a reward
            that is not listed, or the same reward twice.
    """
    items = [name_or_names] if isinstance(name_or_names, str | Reward) else list(name_or_names)
    if not items:
        raise ValueError("Expected at least one reward name, but got an empty list")
    per_reward = dict(params or {})
    rewards: list[Reward] = []
    used: set[str] = set()
    for item in items:
        name = item.name if isinstance(item, Reward) else item
        own = reward_params(name, common_params) if isinstance(name, str) else {}
        used |= set(own)
        rewards.append(as_reward(item, {**own, **dict(per_reward.pop(name, {}))}))
    unused = sorted(set(common_params) - used)
    if unused:
        raise ValueError(f"Parameter(s) {unused} are accepted by none of the rewards {[r.name for r in rewards]}")
    if per_reward:
        raise ValueError(f"`params` names reward(s) {sorted(per_reward)} that are not in {[r.name for r in rewards]}")
    names = [r.name for r in rewards]
    if len(set(names)) != len(names):
        raise ValueError(f"Expected distinct rewards (TRL logs by name), but got {names}")
    cls = AsyncTRLRewardFunction if asynchronous else TRLRewardFunction
    client = remote_client(remote, token=remote_token, timeout=remote_timeout, retries=remote_retries)
    funcs: list[TRLRewardFunction] = []
    for reward in rewards:
        scorer = BatchScorer(
            reward,
            ground_truth_column=ground_truth_column,
            task_column=task_column,
            image_columns=image_columns,
            strip_prompt=strip_prompt,
            log_reasons=log_reasons,
            remote=client,
            on_remote_error=on_remote_error,
        )
        comps = reward.spec.components
        if split_components and len(comps) > 1:
            funcs.extend(cls(scorer, c) for c in comps)
        else:
            funcs.append(cls(scorer, None))
    return funcs
