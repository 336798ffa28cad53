"""Point payloads -> :class:`~rewardkit.types.Points`.

Read: ``[x, y]``, ``[[x, y], ...]``, ``(x, y)`` pairs in text, and JSON items with a
``point_2d`` / ``point`` / ``points`` key (Qwen2.5-VL pointing), optionally labelled.
Non-finite points are dropped (the same rule as boxes); too many fail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rewardkit.limits import MAX_ABS_COORD, MAX_BOXES, MAX_PAYLOAD_CHARS
from rewardkit.parsing._structured import load_structured
from rewardkit.parsing.boxes import _number, is_negative_answer
from rewardkit.types import ParseResult, Points

__all__ = ["parse_points", "POINT_KEYS"]

POINT_KEYS = ("point_2d", "point", "points", "point2d", "position", "xy", "coordinate")
_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"  # unambiguous: linear backtracking on long digit runs
_PAIR = re.compile(rf"[\(\[]\s*({_NUM})\s*,\s*({_NUM})\s*[\)\]]")


def _pair(v: Any) -> list[float] | None:
    if isinstance(v, Sequence) and not isinstance(v, str) and len(v) == 2:
        a, b = _number(v[0]), _number(v[1])
        if a is not None and b is not None:
            return [a, b]
    return None


def _collect(value: Any, out: list[list[float]]) -> None:
    if len(out) > MAX_BOXES:
        return
    p = _pair(value)
    if p is not None:
        out.append(p)
        return
    if isinstance(value, Mapping):
        lowered = {str(k).lower(): v for k, v in value.items()}
        for k in POINT_KEYS:
            if k in lowered:
                _collect(lowered[k], out)
                return
        return
    if isinstance(value, Sequence) and not isinstance(value, str):
        for item in value:
            _collect(item, out)


def parse_points(payload: Any) -> ParseResult[Points]:
    """Read points from an answer payload. Never raises."""
    if payload is None:
        return ParseResult(Points.empty(), False, "no_answer", {})
    text = payload if isinstance(payload, str) else str(payload)
    if len(text) > MAX_PAYLOAD_CHARS:
        return ParseResult(Points.empty(), False, "too_long", {})
    text = text.strip()
    if not text:
        return ParseResult(Points.empty(), False, "empty_answer", {})
    if is_negative_answer(text):
        return ParseResult(Points.empty(), True, None, {"negative": True})
    pts: list[list[float]] = []
    details: dict[str, Any] = {}
    ok, value, details = load_structured(text)
    if ok:
        _collect(value, pts)
    if not pts:
        pts = [[float(a), float(b)] for a, b in _PAIR.findall(text)[: MAX_BOXES + 1]]
        details = {"format": "regex"}
    if not pts:
        return ParseResult(Points.empty(), False, "unparseable", details)
    if len(pts) > MAX_BOXES:
        return ParseResult(Points.empty(), False, "too_many_points", details)
    arr = np.asarray(pts, dtype=np.float64)
    keep = np.all(np.isfinite(arr), axis=1) & np.all(np.abs(arr) <= MAX_ABS_COORD, axis=1)
    if not keep.all():
        details = {**details, "dropped": int((~keep).sum())}
        arr = arr[keep]
        if arr.shape[0] == 0:
            return ParseResult(Points.empty(), False, "bad_coordinates", details)
    return ParseResult(Points(arr), True, None, details)
