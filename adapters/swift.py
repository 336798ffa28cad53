r"""ms-swift GRPO reward functions (ORMs) for registered rewardkit rewards.

ms-swift (tested with 4.6.0; 3.x has the same contract) picks reward functions by name
from its ``orms`` registry (``swift.rewards.orms``; ``swift.plugin.orms`` in 3.x), which
a plugin file named by ``--external_plugins`` fills::

    swift rlhf --rlhf_type grpo --external_plugins "$(python -m rewardkit.adapters.swift)" \
        --reward_funcs visual_rft.detection/iou visual_rft.detection/confidence visual_rft.detection/format ...

How ms-swift uses an ORM (read in ``swift/rlhf_trainers/grpo_trainer.py``,
``_prepare_rewards``, and ``swift/rl_core/grpo_algorithm.py``,
``compute_rewards_per_func``, ms-swift commit 3602360a, 4.6.0.dev0):

* the class registered under a name is instantiated once, ``orms[name](args=args)``
  (3.x: with the ``GRPOConfig`` fields its ``__init__`` names: none here);
* every step it is called as ``orm(completions, **reward_kwargs)``: ``completions`` the
  generated texts (``messages[-1]["content"]``), ``reward_kwargs`` the
  ``trainer_state`` and every dataset column batched by
  ``RowPreprocessor.rows_to_batched`` (one entry per completion: ``solution``,
  ``messages``, ``images``, ...; a column missing from a row is ``None``);
* it returns one float per completion; ``None`` becomes NaN, which the advantage
  skips (``nansum``); metrics are logged under the class ``__name__``.

What this module registers (:func:`register_orms`): for every reward, an ORM named after
it returning the reward's score, and (``components=True``) one ORM per component,
``<reward>/<component>``, for rewards with several components (their sum is the score
of additive rewards; weighted rewards such as Seg-R1 give weighted components when
their results carry the weights, as in the TRL adapter). The ORMs of one reward share
one scorer, so a batch is scored once, whatever the number of components listed.

Per row, as the TRL adapter (:class:`rewardkit.adapters.trl.BatchScorer`, which this
module reuses): the ground truth from the ``solution`` column (a JSON string is
decoded); the image size, when a reward's frames need it, from an ``image_size`` column
or the row's first image (a path, ``{"bytes": ..., "path": ...}`` or a PIL image: only
its header is read); a ``reward`` or ``task`` column selects the rewards that apply to
the row (others give ``None``); scheduled rewards get ``trainer_state.global_step`` /
``max_steps``; ``strip_prompt`` uses the last user message of ``messages``.

The plugin file (``python -m rewardkit.adapters.swift`` prints its path) registers every
reward and takes its settings from the environment: ``REWARDKIT_SWIFT_PARAMS`` (JSON:
``{param: value}`` for every reward that accepts it, or ``{reward: {param: value}}``),
``REWARDKIT_SWIFT_GT_COLUMN`` (default ``solution``), ``REWARDKIT_SWIFT_REMOTE`` (a
``rewardkit serve`` URL: score there). It lies in a folder of its own because ms-swift
puts the plugin's folder first on ``sys.path`` (``import_external_file``): a plugin next
to ``adapters/trl.py`` would shadow the ``trl`` package. Your own plugin file can call
:func:`register_orms` with other names and parameters.

    >>> registry = {}
    >>> names = register_orms(["visual_rft.detection"], registry=registry)
    >>> names
    ['visual_rft.detection', 'visual_rft.detection/iou', 'visual_rft.detection/confidence', 'visual_rft.detection/format']
    >>> orm = registry["visual_rft.detection/iou"](args=None)
    >>> orm(["<think>a</think><answer>[[10, 10, 50, 50]]</answer>"], solution=["[[10, 10, 50, 50]]"], trainer_state=None)
    [1.0]
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from rewardkit.adapters._common import (
    as_reward,
    image_size_of,
    normalize_ground_truth,
    reward_params,
)
from rewardkit.adapters.trl import BatchScorer, TRLRewardFunction, remote_client

from rewardkit.registry import Reward, list_rewards

__all__ = ["register_orms", "orm_classes", "register_from_env", "plugin_path", "swift_orms", "SwiftBatchScorer"]

ENV_PARAMS = "REWARDKIT_SWIFT_PARAMS"
ENV_GT_COLUMN = "REWARDKIT_SWIFT_GT_COLUMN"
ENV_REMOTE = "REWARDKIT_SWIFT_REMOTE"


def plugin_path() -> str:
    """Path of the plugin file to give ``--external_plugins``.

    Returns:
        The absolute path of ``swift_plugin/rewardkit_orms.py``.
    """
    return str(Path(__file__).resolve().parent / "swift_plugin" / "rewardkit_orms.py")


def swift_orms() -> MutableMapping[str, Any]:
    """ms-swift's ``orms`` registry (4.x ``swift.rewards``, 3.x ``swift.plugin``).

    Returns:
        The ``orms`` dict.

    Raises:
        ImportError: ms-swift is not installed.
    """
    try:
        from swift.rewards import orms
    except ImportError:
        try:
            from swift.plugin import orms
        except ImportError as exc:
            raise ImportError(f"ms-swift is not installed (pip install ms-swift): {exc}") from None
    return orms


def _orm_base() -> type:
    try:
        from swift.rewards import ORM
    except ImportError:
        try:
            from swift.plugin import ORM
        except ImportError:
            return object
    return ORM


def _first(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def _open_image(value: Any) -> Any:
    """A PIL image (lazy: only the header is read) from an ms-swift image entry, or None."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - ms-swift depends on pillow
        return None
    try:
        if isinstance(value, Mapping):
            if value.get("bytes"):
                return Image.open(io.BytesIO(value["bytes"]))
            value = value.get("path")
        if isinstance(value, str | os.PathLike) and os.path.isfile(value):
            return Image.open(value)
    except OSError:
        return None
    return None


def swift_image_size(value: Any) -> tuple[int, int] | None:
    """``(width, height)`` of a row's first image in ms-swift's forms.

    The forms are a PIL image, a path, ``{"bytes", "path"}``, or a ``(w, h)`` /
    ``{"width", "height"}`` value.

    Args:
        value: The row's image column (one entry or a list of them).

    Returns:
        ``(width, height)``, or None when no size can be read.
    """
    if isinstance(value, list | tuple) and len(value) == 2 and all(isinstance(v, int | float) for v in value):
        return image_size_of(value)
    value = _first(value)
    size = image_size_of(value)
    if size is not None:
        return size
    image = _open_image(value)
    if image is None:
        return None
    with image:
        return image_size_of(image)


class SwiftBatchScorer(BatchScorer):
    """:class:`~rewardkit.adapters.trl.BatchScorer` reading ms-swift's columns."""

    def _ground_truths(self, kwargs: Mapping[str, Any]) -> Sequence[Any]:
        if self.ground_truth_column not in kwargs:
            available = sorted(k for k in kwargs if k != "trainer_state")
            raise KeyError(
                f"Expected a dataset column {self.ground_truth_column!r} with the ground truth, but the ORM got only "
                f"{available}; name the column with {ENV_GT_COLUMN} or register_orms(ground_truth_column=...)"
            )
        return [normalize_ground_truth(g) for g in kwargs[self.ground_truth_column]]

    def _image_sizes(self, kwargs: Mapping[str, Any], n: int) -> list[Any]:
        for column in self.image_columns:
            values = kwargs.get(column)
            if values is not None and len(values) == n:
                return [swift_image_size(v) for v in values]
        return [None] * n

    def _images(self, kwargs: Mapping[str, Any], n: int) -> list[Any]:
        values = kwargs.get("images", kwargs.get("image"))
        if values is None or len(values) != n:
            return [None] * n
        out: list[Any] = []
        seen: dict[Any, Any] = {}
        for v in values:  # the G rows of a prompt share one image: open it once
            first = _first(v)
            key = first if isinstance(first, str) else id(first)
            if key not in seen:
                if isinstance(first, str | os.PathLike | Mapping):
                    image = _open_image(first)
                    if image is not None:
                        image.load()
                else:
                    image = first
                seen[key] = image
            out.append(seen[key])
        return out


class _RewardkitORM:
    """Base of the generated ORM classes (the ms-swift ``ORM`` base is mixed in)."""

    _function: TRLRewardFunction

    def __init__(self, args: Any = None, **kwargs: Any) -> None:
        self.args = args

    def __call__(self, completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
        prompts = kwargs.get("messages")
        return self._function._finish(prompts, completions, kwargs)

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self).__name__, self._function, self.args))


def _orm_class(name: str, function: TRLRewardFunction) -> type:
    base = _orm_base()
    bases = (_RewardkitORM,) if base is object else (_RewardkitORM, base)
    cls = type(name, bases, {"_function": function, "__module__": __name__, "__qualname__": name,
                             "__doc__": f"rewardkit reward {name!r} as an ms-swift ORM."})
    cls._rewardkit = True  # type: ignore[attr-defined]  # a marker attribute on the ORM class swift registers (read by our loader test)
    return cls


def _rebuild(name: str, function: TRLRewardFunction, args: Any) -> Any:
    return _orm_class(name, function)(args=args)


def orm_classes(
    names: Sequence[str | Reward] | str | None = None,
    *,
    components: bool = True,
    ground_truth_column: str = "solution",
    task_column: str | None = "auto",
    image_columns: Sequence[str] = ("image_size", "images", "image"),
    strip_prompt: bool = False,
    params: Mapping[str, Any] | None = None,
    remote: Any = None,
    remote_token: str | None = None,
    remote_timeout: float = 30.0,
    remote_retries: int = 3,
    on_remote_error: str = "skip",
) -> dict[str, type]:
    """ORM classes by name (see the module docstring); nothing is registered.

    ``names``: registered reward names or bound :class:`~rewardkit.registry.Reward`
    objects (default: every registered reward). ``params``: ``{param: value}`` given to
    every reward that accepts it, or ``{reward: {param: value}}`` (both may be mixed).
    ``remote`` and the ``remote_*`` settings: as in
    :func:`rewardkit.adapters.trl.trl_rewards`.

    Args:
        names: Registered reward names or bound rewards (default: every registered
            reward; image-taking rewards are left out of a remote run).
        components: Also one ORM per component (``<reward>/<component>``).
        ground_truth_column: Dataset column holding each row's ground truth.
        task_column: Column selecting the rewards that apply to a row (``"auto"``: a
            ``reward`` or else a ``task`` column; None disables it).
        image_columns: Columns searched, in order, for the image size.
        strip_prompt: Pass each row's prompt text so an echoed prompt is stripped.
        params: ``{param: value}`` and/or ``{reward: {param: value}}`` (above).
        remote: URL of a ``rewardkit serve`` server, or a client.
        remote_token: Bearer token.
        remote_timeout: Seconds per try.
        remote_retries: Further tries after a connection error.
        on_remote_error: ``"skip"`` or ``"raise"``.

    Returns:
        ``{name: ORM class}``.

    Raises:
        ValueError: no reward, a parameter no reward accepts, ``params`` naming a reward
            that is not listed, or the same reward twice.
    """
    items: list[str | Reward]
    if names is None:
        items = list(list_rewards())
    elif isinstance(names, str | Reward):
        items = [names]
    else:
        items = list(names)
    if not items:
        raise ValueError("Expected at least one reward name, but got an empty list")
    params = dict(params or {})
    per_reward = {k: v for k, v in params.items() if isinstance(v, Mapping)}
    common = {k: v for k, v in params.items() if not isinstance(v, Mapping)}
    rewards: list[Reward] = []
    used: set[str] = set()
    for item in items:
        name = item.name if isinstance(item, Reward) else str(item)
        own = reward_params(name, common)
        used |= set(own)
        rewards.append(as_reward(item, {**own, **dict(per_reward.pop(name, {}))}))
    unused = sorted(set(common) - used)
    if unused:
        raise ValueError(f"Parameter(s) {unused} are accepted by none of the rewards {[r.name for r in rewards]}")
    if per_reward:
        raise ValueError(f"`params` names reward(s) {sorted(per_reward)} that are not in {[r.name for r in rewards]}")
    client = remote_client(remote, token=remote_token, timeout=remote_timeout, retries=remote_retries)
    out: dict[str, type] = {}
    for reward in rewards:
        spec = reward.spec
        if remote is not None and "image" in spec.params and names is None:
            continue  # registering everything: image-taking rewards stay off a remote run
        scorer = SwiftBatchScorer(
            reward,
            ground_truth_column=ground_truth_column,
            task_column=task_column,
            image_columns=image_columns,
            strip_prompt=strip_prompt,
            remote=client,
            on_remote_error=on_remote_error,
        )
        if reward.name in out:
            raise ValueError(f"Expected distinct rewards (ms-swift logs by name), but got {reward.name!r} twice")
        out[reward.name] = _orm_class(reward.name, TRLRewardFunction(scorer, None))
        if components and len(spec.components) > 1:
            for comp in spec.components:
                name = f"{reward.name}/{comp}"
                out[name] = _orm_class(name, TRLRewardFunction(scorer, comp))
    return out


def register_orms(
    names: Sequence[str | Reward] | str | None = None,
    *,
    registry: MutableMapping[str, Any] | None = None,
    **kwargs: Any,
) -> list[str]:
    """Register ORMs (:func:`orm_classes` with ``kwargs``) in ms-swift's ``orms``.

    A name that ms-swift already uses for something else than a rewardkit ORM is refused.

    Args:
        names: As in :func:`orm_classes`.
        registry: The dict to register in (default: ms-swift's ``orms``).
        **kwargs: :func:`orm_classes`'s keywords.

    Returns:
        The registered names.

    Raises:
        ValueError: a name ms-swift already uses, or as :func:`orm_classes`.
        ImportError: no ``registry`` and ms-swift is not installed.
    """
    classes = orm_classes(names, **kwargs)
    target = swift_orms() if registry is None else registry
    for name, cls in classes.items():
        old = target.get(name)
        if old is not None and not getattr(old, "_rewardkit", False):
            raise ValueError(f"ms-swift already has a reward function named {name!r}: {old!r}")
        target[name] = cls
    return list(classes)


def register_from_env(registry: MutableMapping[str, Any] | None = None) -> list[str]:
    """What the plugin file runs: register every reward (and its components).

    The settings come from ``REWARDKIT_SWIFT_PARAMS``, ``REWARDKIT_SWIFT_GT_COLUMN`` and
    ``REWARDKIT_SWIFT_REMOTE``.

    Args:
        registry: The dict to register in (default: ms-swift's ``orms``).

    Returns:
        The registered names.

    Raises:
        ValueError: ``REWARDKIT_SWIFT_PARAMS`` is not a JSON object, or as
            :func:`register_orms`.
    """
    params: Any = None
    raw = os.environ.get(ENV_PARAMS)
    if raw:
        try:
            params = json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"Expected {ENV_PARAMS} to hold a JSON object, but got: {exc}") from None
        if not isinstance(params, Mapping):
            raise ValueError(f"Expected {ENV_PARAMS} to hold a JSON object, but got {type(params).__name__}")
    return register_orms(
        None,
        registry=registry,
        params=params,
        ground_truth_column=os.environ.get(ENV_GT_COLUMN) or "solution",
        remote=os.environ.get(ENV_REMOTE) or None,
    )


if __name__ == "__main__":  # python -m rewardkit.adapters.swift
    print(plugin_path())
