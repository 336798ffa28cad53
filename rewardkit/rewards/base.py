"""The reward contract and the decorator that records rewards by name.

A reward is a pure function ``(completion: str, ground_truth, **params) -> RewardResult``.
``@register_reward`` records it with its metadata (task, score range, components, tags)
in this layer; :mod:`rewardkit.registry` (a surface) looks names up and builds picklable
callables from them.

Two error channels (docs/guarantees.md):

* bad caller input (unknown parameter value, wrong shapes) raises ``ValueError``;
* bad model output never raises: the reward returns its minimum with a ``reason``.

``@register_reward`` adds ONE safety net with one meaning on top of every reward (and
``@register_batch`` on every group entry point); ``strict=True`` turns it off:

* :class:`BadGroundTruth` from a ground-truth reader -> ``score=None``,
  ``reason="bad_ground_truth"`` (the reward does not apply to that sample);
* any other exception is blamed on the input that causes it, with two probes: the
  reward is called again on the empty completion (which never does any work), and with
  the parameters the caller set put back to their defaults. A failure that needs the
  completion and not the caller's parameter values is the model output's -> the
  reward's minimum with ``reason="internal_error:<Type>"``; one that goes away with the
  default parameters is the caller's -> re-raised; one that needs neither is the ground
  truth's -> ``score=None``, ``reason="bad_ground_truth"``, whatever the exception type
  (``RecursionError`` on deep nesting, ``OverflowError`` on ``10**400``...);
* :class:`~rewardkit.errors.ParameterError` (a ``ValueError`` raised by the parameter
  checks: frames, a frame conversion without the image size, thresholds) and
  ``ImportError`` (a missing optional extra) are always re-raised;
* a score outside the declared range (or NaN) is never returned: it becomes the minimum
  with ``reason="internal_error:out_of_range"`` (except under ``compat=...``, which
  reproduces a public code's scores as they are, documented per mode);
* a ground truth that ``prepare`` could not read arrives as :class:`UnreadableGroundTruth`
  (from :meth:`rewardkit.registry.Reward.prepare`, once per prompt) and gives
  ``bad_ground_truth`` without being read again.

"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from rewardkit.errors import BadGroundTruth, ParameterError
from rewardkit.parsing.reading import READING_FIELDS, Reading
from rewardkit.types import RewardResult, trusted

__all__ = [
    "RewardSpec",
    "register_reward",
    "register_batch",
    "fold_reading",
    "REWARD_SPECS",
    "BadGroundTruth",
    "UnreadableGroundTruth",
    "zero",
    "bad_ground_truth",
    "new_result",
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
    reading: Reading | None = None
    """The reward's default :class:`Reading` (``None``: the reward reads no coordinates
    or answers with a reading). ``params`` lists ``reading`` and each of its fields."""
    reading_fields: tuple[str, ...] = ()
    """The :class:`Reading` fields the reward accepts as keywords."""

    @property
    def summary(self) -> str:
        return (self.doc.strip().splitlines() or [""])[0]


REWARD_SPECS: dict[str, RewardSpec] = {}


def new_result(score: float | None, components: dict[str, float], reason: str | None, details: dict[str, Any]) -> RewardResult:
    """``RewardResult(score, components, reason, details)`` without the frozen dataclass'
    ``__init__`` and its conversions, for the rewards' hot paths: the caller passes a
    Python ``float`` (or ``None``) score, a FRESH dict of ``str`` keys and Python
    ``float`` values, and a fresh ``details`` dict, so the result equals (and reprs,
    pickles and compares as) the one the constructor builds.
    """
    return trusted(RewardResult, score=score, components=MappingProxyType(components), reason=reason, details=MappingProxyType(details))


def zero(components: tuple[str, ...], reason: str | None, lo: float = 0.0, **details: Any) -> RewardResult:
    """The reward's minimum with every component at 0 and a reason code.

    Args:
        components: the reward's component names.
        reason: the reason code (``no_answer_tag``, ``internal_error:<Type>``, ...).
        lo: the minimum of the reward's range.
        **details: diagnostics kept in ``details``.

    Returns:
        ``RewardResult(lo, {c: 0.0 ...}, reason, details)``.

    Example:
        >>> zero(("iou",), "no_boxes").to_dict()["score"]
        0.0
    """
    return RewardResult(lo, {c: 0.0 for c in components}, reason, details)


def bad_ground_truth(error: Any) -> RewardResult:
    """``score=None, reason="bad_ground_truth"`` with the error in ``details``."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return RewardResult(None, {}, "bad_ground_truth", {"error": text[:200]})


@dataclass(frozen=True)
class UnreadableGroundTruth:
    """What :meth:`rewardkit.registry.Reward.prepare` returns for a ground truth that
    cannot be read: every completion of the prompt then gets ``bad_ground_truth``
    (``strict=True`` raises :class:`BadGroundTruth`) without reading it again.
    """

    error: str


def _blame(call: Callable[..., Any], completion: Any, kwargs: dict[str, Any], defaults: dict[str, Any], exc: Exception) -> str:
    """``"output"``, ``"ground_truth"`` or ``"caller"``: which input made the reward raise ``exc``.

    ``call(completion, **kwargs)`` runs the reward. Two probes: the empty completion (no
    work) tells whether the completion is needed for the failure; the parameters the
    caller set, put back to their defaults one at a time (then together), tell whether
    they are. What fails with neither is the ground truth's.
    """
    try:
        call("", **kwargs)
        needs_completion = True
    except BadGroundTruth:
        return "ground_truth"
    except Exception:  # noqa: BLE001 - the probe's own failure is the evidence
        needs_completion = False
    changed = [k for k in kwargs if k in defaults and not _same(kwargs[k], defaults[k])]
    trials = [{k: defaults[k]} for k in changed] + ([{k: defaults[k] for k in changed}] if len(changed) > 1 else [])
    probe = completion if needs_completion else ""
    for reset in trials:  # each parameter the caller set back to its default, then all of them
        try:
            call(probe, **{**kwargs, **reset})
        except Exception:  # noqa: BLE001 - fails with this default too
            continue
        return "caller"  # only with the caller's value
    return "output" if needs_completion else "ground_truth"


def _same(a: Any, b: Any) -> bool:
    try:
        return a is b or bool(a == b)
    except Exception:  # noqa: BLE001 - arrays and odd objects: treat as different
        return False


def _checked(result: RewardResult, lo: float, hi: float, components: tuple[str, ...]) -> RewardResult:
    s = result.score
    if s is None or lo - _RANGE_EPS <= s <= hi + _RANGE_EPS:
        return result
    return zero(components, "internal_error:out_of_range", lo, value=s, reported_reason=result.reason)


def fold_reading(kwargs: dict[str, Any], default: Reading, fields: tuple[str, ...] = READING_FIELDS) -> dict[str, Any]:
    """``kwargs`` with ``reading=`` and the keyword ``fields`` of a :class:`Reading`
    (``pred_frame=``, ``dialect=``, ...) folded into one ``reading`` value: the given
    ``reading`` (or the reward's ``default``) with the keyword fields applied on top
    (:meth:`Reading.resolve`: naming a ``dialect`` without a ``pred_frame`` reads in the
    dialect's frame).
    """
    if not kwargs:
        return {"reading": default}
    if "reading" not in kwargs and not any(k in kwargs for k in fields):
        return {**kwargs, "reading": default}
    out = dict(kwargs)
    given = {k: out.pop(k) for k in fields if k in out}
    out["reading"] = Reading.resolve(out.pop("reading", None), default, **given)
    return out


def _reading_signature(sig: inspect.Signature, fields: tuple[str, ...]) -> inspect.Signature:
    """The signature with each of the :class:`Reading` ``fields`` as a keyword after ``reading``."""
    default = sig.parameters["reading"].default
    params = []
    for p in sig.parameters.values():
        params.append(p)
        if p.name == "reading":
            params.extend(
                inspect.Parameter(f, inspect.Parameter.KEYWORD_ONLY, default=getattr(default, f))
                for f in fields if f not in sig.parameters
            )
    return sig.replace(parameters=params)


def register_reward(
    name: str,
    *,
    task: str,
    range: tuple[float, float],  # noqa: A002 - the public name (docs/architecture.md)
    components: tuple[str, ...] = (),
    tags: tuple[str, ...] | frozenset[str] = (),
    scheduled: bool = False,
    prepare: Callable[..., Any] | None = None,
    reading_fields: tuple[str, ...] = READING_FIELDS,
) -> Callable[[Callable[..., RewardResult]], Callable[..., RewardResult]]:
    """Record ``fn`` under ``name`` with its metadata.

    ``prepare(ground_truth, **params)`` (optional) parses the ground truth once; batch
    entry points call it once per prompt and pass its result to every completion (the
    reward function must accept both raw and prepared ground truth).
    ``scheduled=True`` marks rewards that take ``step`` and ``max_steps``.

    A reward that reads coordinates or answers declares one keyword-only parameter
    ``reading: Reading = Reading(...)`` (its default reading). The registered function
    then also accepts every field of :class:`Reading` as a keyword (``pred_frame=``,
    ``dialect=``, ``answer=``, ...), folds them into one ``reading`` value (validated
    once) and passes only ``reading`` on; ``prepare`` and the group entry point get the
    same folded value. The registry lists ``reading`` and each field with its default.
    ``reading_fields`` limits the keywords to the fields the reward uses (a text reward
    takes ``answer`` only).
    """
    unknown = sorted(set(reading_fields) - set(READING_FIELDS))
    if unknown:
        raise ValueError(f"Expected reading_fields among {list(READING_FIELDS)}, but got {unknown}")
    lo, hi = range
    if not lo <= hi:
        raise ValueError(f"Expected range (lo, hi) with lo <= hi, but got {range!r}")

    def decorate(fn: Callable[..., RewardResult]) -> Callable[..., RewardResult]:
        if name in REWARD_SPECS and REWARD_SPECS[name].fn.__module__ != fn.__module__:
            raise ValueError(f"Reward name {name!r} is already registered by {REWARD_SPECS[name].fn.__module__}")
        sig = inspect.signature(fn)
        default_reading: Reading | None = None
        if "reading" in sig.parameters:
            default_reading = sig.parameters["reading"].default
            if not isinstance(default_reading, Reading):
                raise ValueError(f"Expected the `reading` parameter of {name!r} to default to a Reading, but got {default_reading!r}")
            sig = _reading_signature(sig, tuple(reading_fields))
        params = {
            p.name: p.default
            for p in sig.parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "strict"
        }
        takes_strict = "strict" in sig.parameters
        call_defaults = {**params, **({"reading": default_reading} if default_reading is not None else {})}

        @functools.wraps(fn)
        def wrapper(completion: Any, ground_truth: Any = None, *args: Any, strict: bool = False, **kwargs: Any) -> RewardResult:
            if default_reading is not None:
                kwargs = fold_reading(kwargs, default_reading, reading_fields)
            if isinstance(ground_truth, UnreadableGroundTruth):
                if strict:
                    raise BadGroundTruth(ground_truth.error)
                return bad_ground_truth(ground_truth.error)
            if type(completion) is not str and isinstance(completion, bytes | bytearray):
                completion = bytes(completion).decode("utf-8", "replace")

            try:
                if takes_strict:
                    result = fn(completion, ground_truth, *args, strict=strict, **kwargs)
                else:
                    result = fn(completion, ground_truth, *args, **kwargs)
            except BadGroundTruth as exc:
                if strict:
                    raise
                return bad_ground_truth(str(exc))
            except (ParameterError, ImportError):  # a caller's parameter; a missing optional extra
                raise
            except Exception as exc:  # noqa: BLE001 - the safety net (see the module docstring)
                if strict:
                    raise

                def call(c: Any, **kw: Any) -> RewardResult:
                    if takes_strict:
                        return fn(c, ground_truth, *args, strict=strict, **kw)
                    return fn(c, ground_truth, *args, **kw)

                origin = _blame(call, completion, kwargs, call_defaults, exc)
                if origin == "caller":
                    raise
                if origin == "ground_truth":
                    return bad_ground_truth(exc)
                return zero(components, f"internal_error:{type(exc).__name__}", lo, error=str(exc)[:200])
            if kwargs.get("compat") is not None:
                return result  # a compat mode reproduces the public code, out-of-range values included
            return _checked(result, lo, hi, components)

        wrapper.__signature__ = sig  # type: ignore[attr-defined]
        prep = prepare
        if prepare is not None and default_reading is not None:
            raw_prepare = prepare

            @functools.wraps(raw_prepare)
            def prep(ground_truth: Any, **kw: Any) -> Any:
                return raw_prepare(ground_truth, **fold_reading(kw, default_reading, reading_fields))

        spec = RewardSpec(
            name=name,
            fn=wrapper,
            task=task,
            range=(float(lo), float(hi)),
            components=tuple(components),
            tags=frozenset(tags),
            params=params,
            scheduled=scheduled,
            prepare=prep,
            doc=inspect.getdoc(fn) or "",
            reading=default_reading,
            reading_fields=tuple(reading_fields) if default_reading is not None else (),
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
            if spec.reading is not None:
                kwargs = fold_reading(kwargs, spec.reading, spec.reading_fields)
            completions = list(completions)
            if isinstance(ground_truth, UnreadableGroundTruth):
                return [spec.fn(c, ground_truth, strict=strict, **kwargs) for c in completions]
            try:
                results = fn(completions, ground_truth, **kwargs)
            except BadGroundTruth as exc:
                if strict:
                    raise
                return [bad_ground_truth(str(exc)) for _ in completions]
            except (ParameterError, ImportError):
                raise
            except Exception:  # noqa: BLE001 - the per-completion path has the full safety net
                if strict:
                    raise
                return [spec.fn(c, ground_truth, **kwargs) for c in completions]
            if kwargs.get("compat") is not None:
                return results
            lo, hi = spec.range
            return [_checked(r, lo, hi, spec.components) for r in results]

        new = dataclasses.replace(spec, batch=wrapper)
        REWARD_SPECS[name] = new
        spec.fn.reward_spec = new  # type: ignore[attr-defined]  # the registered function's record, kept current
        return wrapper

    return decorate
