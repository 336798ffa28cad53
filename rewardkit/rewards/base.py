"""The reward contract and the decorator that records rewards by name.

A reward is a pure function ``(completion: str, ground_truth, **params) -> RewardResult``.
``@register_reward`` records it with its metadata (task, score range, components, tags)
in this layer; :mod:`rewardkit.registry` (a surface) looks names up and builds picklable
callables from them.

Two error channels (see DESIGN.md):

* bad caller input (unknown parameter value, wrong shapes) raises ``ValueError``;
* bad model output never raises: the reward returns its minimum with a ``reason``.

``@register_reward`` adds ONE safety net with one meaning on top of every reward (and
``@register_batch`` on every group entry point); ``strict=True`` turns it off:

* :class:`BadGroundTruth` from a ground-truth reader -> ``score=None``,
  ``reason="bad_ground_truth"`` (the reward does not apply to that sample);
* any other exception is blamed on the input that causes it, by calling the reward again
  on the empty completion (which never does any work): if that call succeeds, the
  completion caused it -> the reward's minimum with ``reason="internal_error:<Type>"``;
  if it fails too, the completion is innocent: a ``ValueError`` / ``KeyError`` /
  ``TypeError`` is re-raised when the ground truth alone reads fine (``prepare`` without
  parameters succeeds: the parameters are wrong, a caller error), and every other case
  is the ground truth's -> ``score=None``, ``reason="bad_ground_truth"``, whatever the
  exception type (``RecursionError`` on deep nesting, ``OverflowError`` on ``10**400``...);
* :class:`~rewardkit.errors.ParameterError` (a ``ValueError`` raised by the parameter
  checks: frames, a frame conversion without the image size, thresholds) is always
  re-raised;
* a score outside the declared range (or NaN) is never returned: it becomes the minimum
  with ``reason="internal_error:out_of_range"``;
* a ground truth that ``prepare`` could not read arrives as :class:`UnreadableGroundTruth`
  (from :meth:`rewardkit.registry.Reward.prepare`, once per prompt) and gives
  ``bad_ground_truth`` without being read again.

Rewards therefore validate their parameters before they read the completion (a
parameter error that only shows on some completions is scored as model output).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rewardkit.errors import BadGroundTruth, ParameterError
from rewardkit.types import RewardResult

__all__ = [
    "RewardSpec",
    "register_reward",
    "register_batch",
    "REWARD_SPECS",
    "BadGroundTruth",
    "UnreadableGroundTruth",
    "minimum_result",
    "not_applicable",
    "bad_ground_truth",
]

_CALLER_ERRORS = (ValueError, KeyError, TypeError)
_RANGE_EPS = 1e-9


@dataclass(frozen=True)
class RewardSpec:
    """Metadata of one registered reward."""

    name: str
    fn: Callable[..., RewardResult]
    task: str
    range: tuple[float, float]
    components: tuple[str, ...] = ()
    tags: frozenset[str] = frozenset()
    params: Mapping[str, Any] = field(default_factory=dict)
    scheduled: bool = False
    prepare: Callable[..., Any] | None = None
    doc: str = ""
    batch: Callable[..., list[RewardResult]] | None = None

    @property
    def summary(self) -> str:
        return (self.doc.strip().splitlines() or [""])[0]


REWARD_SPECS: dict[str, RewardSpec] = {}


def minimum_result(spec_range: tuple[float, float], components: tuple[str, ...], reason: str, **details: Any) -> RewardResult:
    return RewardResult(spec_range[0], {c: 0.0 for c in components}, reason, details)


def not_applicable(components: tuple[str, ...], reason: str) -> RewardResult:
    return RewardResult(None, {}, reason)


def bad_ground_truth(error: Any) -> RewardResult:
    """``score=None, reason="bad_ground_truth"`` with the error in ``details``."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return RewardResult(None, {}, "bad_ground_truth", {"error": text[:200]})


@dataclass(frozen=True)
class UnreadableGroundTruth:
    """What :meth:`rewardkit.registry.Reward.prepare` returns for a ground truth that
    cannot be read: every completion of the prompt then gets ``bad_ground_truth``
    (``strict=True`` raises :class:`BadGroundTruth`) without reading it again."""

    error: str


def _blame(spec_prepare: Callable[..., Any] | None, call: Callable[[Any], Any], ground_truth: Any, exc: Exception) -> str:
    """``"output"``, ``"ground_truth"`` or ``"caller"``: which input made ``call`` raise ``exc``."""
    try:
        call("")
    except BadGroundTruth:
        return "ground_truth"
    except Exception:  # noqa: BLE001 - the probe's own failure is the evidence
        if not isinstance(exc, _CALLER_ERRORS) or isinstance(exc, BadGroundTruth):
            return "ground_truth"
        if spec_prepare is not None:
            try:
                spec_prepare(ground_truth)
            except Exception:  # noqa: BLE001
                return "ground_truth"
        return "caller"
    return "output"


def _checked(result: RewardResult, lo: float, hi: float, components: tuple[str, ...]) -> RewardResult:
    s = result.score
    if s is None or lo - _RANGE_EPS <= s <= hi + _RANGE_EPS:
        return result
    return minimum_result((lo, hi), components, "internal_error:out_of_range", value=s, reason=result.reason)


def register_reward(
    name: str,
    *,
    task: str,
    range: tuple[float, float],  # noqa: A002 - the public name DESIGN.md gives
    components: tuple[str, ...] = (),
    tags: tuple[str, ...] | frozenset[str] = (),
    scheduled: bool = False,
    prepare: Callable[..., Any] | None = None,
) -> Callable[[Callable[..., RewardResult]], Callable[..., RewardResult]]:
    """Record ``fn`` under ``name`` with its metadata.

    ``prepare(ground_truth, **params)`` (optional) parses the ground truth once; batch
    entry points call it once per prompt and pass its result to every completion (the
    reward function must accept both raw and prepared ground truth).
    ``scheduled=True`` marks rewards that take ``step`` and ``max_steps``.
    """
    lo, hi = range
    if not lo <= hi:
        raise ValueError(f"Expected range (lo, hi) with lo <= hi, but got {range!r}")

    def decorate(fn: Callable[..., RewardResult]) -> Callable[..., RewardResult]:
        if name in REWARD_SPECS and REWARD_SPECS[name].fn.__module__ != fn.__module__:
            raise ValueError(f"Reward name {name!r} is already registered by {REWARD_SPECS[name].fn.__module__}")
        sig = inspect.signature(fn)
        params = {
            p.name: p.default
            for p in sig.parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "strict"
        }

        takes_strict = "strict" in sig.parameters

        @functools.wraps(fn)
        def wrapper(completion: Any, ground_truth: Any = None, *args: Any, strict: bool = False, **kwargs: Any) -> RewardResult:
            if isinstance(ground_truth, UnreadableGroundTruth):
                if strict:
                    raise BadGroundTruth(ground_truth.error)
                return bad_ground_truth(ground_truth.error)
            if isinstance(completion, bytes | bytearray):
                completion = bytes(completion).decode("utf-8", "replace")

            def call(c: Any) -> RewardResult:
                if takes_strict:
                    return fn(c, ground_truth, *args, strict=strict, **kwargs)
                return fn(c, ground_truth, *args, **kwargs)

            try:
                result = call(completion)
            except BadGroundTruth as exc:
                if strict:
                    raise
                return bad_ground_truth(str(exc))
            except ParameterError:
                raise
            except Exception as exc:  # noqa: BLE001 - the safety net (see the module docstring)
                if strict:
                    raise
                origin = _blame(prepare, call, ground_truth, exc)
                if origin == "caller":
                    raise
                if origin == "ground_truth":
                    return bad_ground_truth(exc)
                return minimum_result((lo, hi), components, f"internal_error:{type(exc).__name__}", error=str(exc)[:200])
            return _checked(result, lo, hi, components)

        spec = RewardSpec(
            name=name,
            fn=wrapper,
            task=task,
            range=(float(lo), float(hi)),
            components=tuple(components),
            tags=frozenset(tags),
            params=params,
            scheduled=scheduled,
            prepare=prepare,
            doc=inspect.getdoc(fn) or "",
        )
        REWARD_SPECS[name] = spec
        wrapper.reward_spec = spec  # type: ignore[attr-defined]
        return wrapper

    return decorate


def register_batch(name: str) -> Callable[[Callable[..., list[RewardResult]]], Callable[..., list[RewardResult]]]:
    """Attach a group entry point to the registered reward ``name``.

    ``fn(completions, ground_truth, **params) -> list[RewardResult]`` scores the G
    completions of one prompt at once (sharing work such as one IoU matrix for the whole
    group) and must return exactly what the per-completion reward returns for each.
    The same safety net applies: bad ground truth gives ``None`` scores; any other
    exception falls back to the per-completion path (which blames it on its input).
    """

    def decorate(fn: Callable[..., list[RewardResult]]) -> Callable[..., list[RewardResult]]:
        spec = REWARD_SPECS[name]

        @functools.wraps(fn)
        def wrapper(completions: Any, ground_truth: Any = None, *, strict: bool = False, **kwargs: Any) -> list[RewardResult]:
            completions = list(completions)
            if isinstance(ground_truth, UnreadableGroundTruth):
                return [spec.fn(c, ground_truth, strict=strict, **kwargs) for c in completions]
            try:
                results = fn(completions, ground_truth, **kwargs)
            except BadGroundTruth as exc:
                if strict:
                    raise
                return [bad_ground_truth(str(exc)) for _ in completions]
            except ParameterError:
                raise
            except Exception:  # noqa: BLE001 - the per-completion path has the full safety net
                if strict:
                    raise
                return [spec.fn(c, ground_truth, **kwargs) for c in completions]
            lo, hi = spec.range
            return [_checked(r, lo, hi, spec.components) for r in results]

        REWARD_SPECS[name] = dataclasses.replace(spec, batch=wrapper)
        return wrapper

    return decorate
