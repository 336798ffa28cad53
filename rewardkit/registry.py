"""Reward names: lookup, listing and the picklable :class:`Reward` callable.

The CLI and the trainer adapters find rewards only through this module::

    >>> from rewardkit.registry import get_reward
    >>> r = get_reward("visual_rft.detection", iou_threshold=0.5)
    >>> r.__name__
    'visual_rft.detection'
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from rewardkit import rewards as _rewards  # noqa: F401  (populates REWARD_SPECS)
from rewardkit.errors import BadGroundTruth, ParameterError
from rewardkit.rewards.base import REWARD_SPECS, RewardSpec, UnreadableGroundTruth, register_reward
from rewardkit.types import RewardResult

__all__ = ["Reward", "get_spec", "get_reward", "list_rewards", "score", "score_batch", "register_reward"]


def get_spec(name: str) -> RewardSpec:
    """The :class:`RewardSpec` registered under ``name``; ``KeyError`` with suggestions."""
    try:
        return REWARD_SPECS[name]
    except KeyError:
        names = sorted(REWARD_SPECS)
        close = difflib.get_close_matches(str(name), names, n=3, cutoff=0.5)
        hint = f" did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise KeyError(f"Unknown reward {name!r};{hint} available: {', '.join(names)}") from None


def _check_params(spec: RewardSpec, params: dict[str, Any]) -> None:
    allowed = set(spec.params) | {"strict"}
    if spec.scheduled:
        allowed |= {"step", "max_steps"}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ValueError(
            f"Reward {spec.name!r} got unknown parameter(s) {unknown}; expected some of {sorted(allowed)}"
        )


class Reward:
    """A registered reward bound to parameters; picklable, with ``__name__`` = the name.

    ``Reward(name, **params)(completion, ground_truth, **more_params)`` returns a
    :class:`~rewardkit.types.RewardResult`. :meth:`score_batch` parses the ground truth
    once for the G completions of one prompt.
    """

    def __init__(self, name: str, **params: Any) -> None:
        spec = get_spec(name)
        _check_params(spec, params)
        self.name = name
        self.params = dict(params)
        self.__name__ = name
        self.__qualname__ = name

    @property
    def spec(self) -> RewardSpec:
        return get_spec(self.name)

    def __call__(self, completion: Any, ground_truth: Any, **params: Any) -> RewardResult:
        merged = {**self.params, **params}
        if params:
            _check_params(self.spec, params)
        return self.spec.fn(completion, ground_truth, **merged)

    def prepare(self, ground_truth: Any, **params: Any) -> Any:
        """The ground truth parsed once per prompt (the reward's ``prepare``).

        A ground truth that cannot be read, whatever the exception, gives an
        :class:`~rewardkit.rewards.base.UnreadableGroundTruth` that every completion then
        scores as ``bad_ground_truth``; a ``ValueError`` / ``KeyError`` / ``TypeError``
        caused by the parameters (the ground truth reads fine without them) is raised.
        """
        spec = self.spec
        if spec.prepare is None:
            return ground_truth
        merged = {**self.params, **params}
        try:
            return spec.prepare(ground_truth, **{k: v for k, v in merged.items() if k in spec.params})
        except Exception as exc:  # noqa: BLE001 - sorted below
            if merged.get("strict") or isinstance(exc, ParameterError):
                raise
            if isinstance(exc, BadGroundTruth) or not isinstance(exc, ValueError | KeyError | TypeError):
                return UnreadableGroundTruth(f"{type(exc).__name__}: {str(exc)[:200]}")
            try:
                spec.prepare(ground_truth)
            except Exception:  # noqa: BLE001 - unreadable even without the parameters
                return UnreadableGroundTruth(f"{type(exc).__name__}: {str(exc)[:200]}")
            raise

    def score_batch(self, completions: Sequence[Any], ground_truth: Any, **params: Any) -> list[RewardResult]:
        """Score the G completions of one prompt; the ground truth is parsed once and,
        where the family has a group entry point, work is shared across the group."""
        if params:
            _check_params(self.spec, params)
        merged = {**self.params, **params}
        prepared = self.prepare(ground_truth, **params)
        spec = self.spec
        if spec.batch is not None:
            return spec.batch(completions, prepared, **merged)
        return [spec.fn(c, prepared, **merged) for c in completions]

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name, "params": self.params}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["name"], **state["params"])  # type: ignore[misc]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"Reward({self.name!r}{', ' if args else ''}{args})"


def get_reward(name: str, **params: Any) -> Reward:
    """The reward registered under ``name``, bound to ``params``."""
    return Reward(name, **params)


def list_rewards(task: str | None = None, tags: Iterable[str] | None = None) -> list[str]:
    """Registered reward names, optionally filtered by task and tags (all must match)."""
    want = set(tags or ())
    return sorted(
        n for n, s in REWARD_SPECS.items() if (task is None or s.task == task) and want <= s.tags
    )


def score(completion: Any, ground_truth: Any, reward: str = "visual_rft.detection", **params: Any) -> RewardResult:
    """Run any registered reward on one completion."""
    return Reward(reward)(completion, ground_truth, **params)


def score_batch(completions: Sequence[Any], ground_truth: Any, reward: str = "visual_rft.detection", **params: Any) -> list[RewardResult]:
    """Run a reward on the G completions of one prompt, parsing the ground truth once."""
    return Reward(reward).score_batch(completions, ground_truth, **params)
