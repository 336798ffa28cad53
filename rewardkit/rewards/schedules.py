"""Staged reward parameters: values that change with the training step.

Some rewards tighten their criteria as training goes on (Vision-R1's progressive rule
refinement, Section 3.3 of the paper: thresholds ``(xi_0, xi_1, xi_2)`` go from
``(0.5, 0.5, 0.75)`` to ``(0.75, 0.75, 0.9)`` at a fraction ``STEP`` of training).
:class:`Staged` is the small general mechanism for that: an ordered list of stages,
each with a start (a training step, or a fraction of training) and the parameter values
that hold from that start on.

A reward that uses a schedule is registered with ``scheduled=True`` and accepts the
keywords ``step`` and ``max_steps`` (``rewardkit.score(..., step=..., max_steps=...)``
and the trainer adapters pass them; the adapters read them from the trainer's state).

Rules (all documented, all tested):

* Stages are sorted by start; values are cumulative: a stage overrides only the keys it
  names, keys it does not name keep the value of the earlier stages.
* ``step=None`` (the caller does not know the step) gives the **first stage**. This is
  the safe default for evaluation and for callers that never pass a step.
* ``by="fraction"``: the position is ``step / max_steps``; ``max_steps`` is then
  required (a missing or non-positive ``max_steps`` with a known step is a caller error,
  ``ValueError``). A fraction stage whose start is ``>= 1`` is never entered, so a switch
  at ``1.0`` means "never switch" (the paper's ``STEP = 1``), even at the last step.
* ``by="step"``: the position is the step itself; ``max_steps`` is ignored.

    >>> s = Staged([(0.0, {"xi": 0.5}), (0.5, {"xi": 0.75})], by="fraction")
    >>> s.at(None), s.at(10, 100), s.at(50, 100)
    ({'xi': 0.5}, {'xi': 0.5}, {'xi': 0.75})

:class:`Staged` is frozen, hashable and picklable (TRL pickles rewards into workers).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Staged", "constant"]

By = Literal["fraction", "step"]


def _freeze(values: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    if not isinstance(values, Mapping):
        raise ValueError(f"Expected each stage's values to be a mapping, but got {type(values).__name__}")
    items = []
    for k, v in values.items():
        if not isinstance(k, str):
            raise ValueError(f"Expected parameter names (str) in a stage, but got {k!r}")
        if isinstance(v, list):
            v = tuple(v)
        items.append((k, v))
    return tuple(sorted(items))


@dataclass(frozen=True, init=False)
class Staged:
    """Parameter values by training stage.

    Args:
        stages: ``[(start, {name: value, ...}), ...]``. ``start`` is a fraction of
            training in ``[0, 1]`` (``by="fraction"``) or a step ``>= 0``
            (``by="step"``). The first stage should start at 0; positions before the
            first start use the first stage.
        by: ``"fraction"`` (``step / max_steps``) or ``"step"``.

    Raises:
        ValueError: an unknown ``by``, no stage, a stage that is not
            ``(start, {name: value})``, or a start below 0 (above 1 by fraction).
    """

    stages: tuple[tuple[float, tuple[tuple[str, Any], ...]], ...]
    by: By = "fraction"

    def __init__(self, stages: Iterable[tuple[float, Mapping[str, Any]]], by: By = "fraction") -> None:
        if by not in ("fraction", "step"):
            raise ValueError(f"Expected `by` to be 'fraction' or 'step', but got {by!r}")
        frozen = []
        for stage in stages:
            try:
                start, values = stage
            except (TypeError, ValueError):
                raise ValueError(f"Expected each stage as (start, {{name: value}}), but got {stage!r}") from None
            start = float(start)
            if not math.isfinite(start) or start < 0:
                raise ValueError(f"Expected a stage start >= 0, but got {start!r}")
            if by == "fraction" and start > 1:
                raise ValueError(f"Expected a fraction stage start in [0, 1], but got {start!r}")
            frozen.append((start, _freeze(values)))
        if not frozen:
            raise ValueError("Expected at least one stage, but got none")
        frozen.sort(key=lambda s: s[0])  # stable: equal starts keep the given order
        object.__setattr__(self, "stages", tuple(frozen))
        object.__setattr__(self, "by", by)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.stages, self.by))

    def position(self, step: int | float | None, max_steps: int | float | None = None) -> float | None:
        """The position that is compared with the stage starts (``None`` if unknown).

        Args:
            step: the training step (None: unknown).
            max_steps: total training steps (needed by fraction).

        Returns:
            ``step`` (by step), ``step / max_steps`` (by fraction) or None.

        Raises:
            ValueError: a negative or non-finite ``step``, or no ``max_steps > 0`` for a
                schedule by fraction.
        """
        if step is None:
            return None
        step = float(step)
        if not math.isfinite(step) or step < 0:
            raise ValueError(f"Expected `step` to be a number >= 0, but got {step!r}")
        if self.by == "step":
            return step
        if max_steps is None or not float(max_steps) > 0:
            raise ValueError(
                f"Expected `max_steps` > 0 for a schedule by fraction of training, but got {max_steps!r}"
            )
        return step / float(max_steps)

    def index(self, step: int | float | None = None, max_steps: int | float | None = None) -> int:
        """Index of the active stage (0 when the step is unknown).

        Args:
            step: the training step (None: unknown).
            max_steps: total training steps (needed by fraction).

        Returns:
            The index into :attr:`stages`; a fraction start of 1.0 or more never becomes
            active.
        """
        pos = self.position(step, max_steps)
        if pos is None:
            return 0
        active = 0
        for i, (start, _) in enumerate(self.stages):
            if self.by == "fraction" and start >= 1.0:
                break  # a switch at 1.0 (or later) never happens
            if pos >= start:
                active = i
        return active

    def at(self, step: int | float | None = None, max_steps: int | float | None = None) -> dict[str, Any]:
        """The parameter values that hold at ``step`` (cumulative over earlier stages).

        Args:
            step: the training step (None: the first stage).
            max_steps: total training steps (needed by fraction).

        Returns:
            ``{name: value}`` of the active stage, over the values of earlier stages.
        """
        idx = self.index(step, max_steps)
        out: dict[str, Any] = {}
        for _, values in self.stages[: idx + 1]:
            out.update(values)
        return out


def _rebuild(stages: Any, by: By) -> Staged:
    return Staged([(start, dict(values)) for start, values in stages], by=by)


def constant(**values: Any) -> Staged:
    """A one-stage schedule (the values never change).

    Args:
        **values: the parameter values.

    Returns:
        A :class:`Staged` with one stage starting at 0.
    """
    return Staged([(0.0, values)])
