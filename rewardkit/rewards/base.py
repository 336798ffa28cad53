"""The reward contract and the decorator that records rewards by name.

A reward is a pure function ``(completion: str, ground_truth, **params) -> RewardResult``.
``@register_reward`` records it with its metadata (task, score range, components, tags)
in this layer; :mod:`rewardkit.registry` (a surface) looks names up and builds picklable
callables from them.

Two error channels (see DESIGN.md):

* bad caller input (unknown parameter value, wrong shapes) raises ``ValueError``;
* bad model output never raises: the reward returns its minimum with a ``reason``.
  Parsers never raise; ``@register_reward`` adds a safety net on top: a
  ``RecursionError``, ``MemoryError`` or ``OverflowError`` becomes the minimum with
  reason ``internal_error:<Type>`` unless ``strict=True`` is passed. A
  :class:`BadGroundTruth` raised by a ground-truth reader becomes ``score=None``
  (the reward does not apply to that sample).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rewardkit.errors import BadGroundTruth
from rewardkit.parsing.reading import READING_FIELDS, Reading
from rewardkit.types import RewardResult

__all__ = ["RewardSpec", "register_reward", "register_batch", "fold_reading", "REWARD_SPECS", "BadGroundTruth", "minimum_result", "not_applicable"]


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


def minimum_result(spec_range: tuple[float, float], components: tuple[str, ...], reason: str, **details: Any) -> RewardResult:
    return RewardResult(spec_range[0], {c: 0.0 for c in components}, reason, details)


def not_applicable(components: tuple[str, ...], reason: str) -> RewardResult:
    return RewardResult(None, {}, reason)


def fold_reading(kwargs: dict[str, Any], default: Reading, fields: tuple[str, ...] = READING_FIELDS) -> dict[str, Any]:
    """``kwargs`` with ``reading=`` and the keyword ``fields`` of a :class:`Reading`
    (``pred_frame=``, ``dialect=``, ...) folded into one ``reading`` value: the given
    ``reading`` (or the reward's ``default``) with the keyword fields applied on top
    (:meth:`Reading.resolve`: naming a ``dialect`` without a ``pred_frame`` reads in the
    dialect's frame)."""
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
    range: tuple[float, float],  # noqa: A002 - the public name DESIGN.md gives
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

        @functools.wraps(fn)
        def wrapper(completion: Any, ground_truth: Any = None, *args: Any, strict: bool = False, **kwargs: Any) -> RewardResult:
            if default_reading is not None:
                kwargs = fold_reading(kwargs, default_reading, reading_fields)
            try:
                return fn(completion, ground_truth, *args, strict=strict, **kwargs) if takes_strict else fn(completion, ground_truth, *args, **kwargs)
            except BadGroundTruth as exc:
                if strict:
                    raise
                return RewardResult(None, {}, "bad_ground_truth", {"error": str(exc)[:200]})
            except (RecursionError, MemoryError, OverflowError) as exc:
                if strict:
                    raise
                return minimum_result((lo, hi), components, f"internal_error:{type(exc).__name__}")

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
    The same safety net applies: bad ground truth gives ``None`` scores; an internal
    error falls back to the per-completion path.
    """

    def decorate(fn: Callable[..., list[RewardResult]]) -> Callable[..., list[RewardResult]]:
        spec = REWARD_SPECS[name]

        @functools.wraps(fn)
        def wrapper(completions: Any, ground_truth: Any = None, *, strict: bool = False, **kwargs: Any) -> list[RewardResult]:
            if spec.reading is not None:
                kwargs = fold_reading(kwargs, spec.reading, spec.reading_fields)
            try:
                return fn(list(completions), ground_truth, **kwargs)
            except BadGroundTruth as exc:
                if strict:
                    raise
                return [RewardResult(None, {}, "bad_ground_truth", {"error": str(exc)[:200]}) for _ in completions]
            except (RecursionError, MemoryError, OverflowError):
                if strict:
                    raise
                return [spec.fn(c, ground_truth, **kwargs) for c in completions]

        REWARD_SPECS[name] = dataclasses.replace(spec, batch=wrapper)
        return wrapper

    return decorate
