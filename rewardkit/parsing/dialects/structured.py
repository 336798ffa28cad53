"""Readers of JSON dialects with their own keys or axis order: Gemini and Moondream.

* ``gemini``: ``[{"box_2d": [ymin, xmin, ymax, xmax], "label": "cat"}]`` (optionally
  ``"confidence"``; Gemini 3.x nests the list under ``"boxes"``), coordinates normalized
  to 0..1000, y first; points ``[{"point": [y, x], "label": ...}]`` on the same grid
  (https://ai.google.dev/gemini-api/docs/vision, "Object detection";
  https://ai.google.dev/gemini-api/docs/robotics-overview, pointing; supervision 0.31.2
  ``from_google_gemini_2_0`` swaps to ``[x1, y1, x2, y2]`` and scales by 1000).
* ``moondream``: ``detect`` returns ``{"objects": [{"x_min": .., "y_min": .., "x_max": ..,
  "y_max": ..}]}`` and ``point`` returns ``{"points": [{"x": .., "y": ..}]}``, normalized
  to 0..1 (https://moondream.ai/c/docs/advanced/api/detect and ``.../api/point``;
  supervision 0.31.2 ``from_moondream``). A Python ``repr`` of those dicts is read too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rewardkit.parsing._structured import load_structured
from rewardkit.parsing.boxes import MAX_BOXES, _get, _number, boxes_from_items
from rewardkit.parsing.dialects._scan import (
    empty_boxes,
    empty_points,
    finish_boxes,
    finish_points,
    negative_boxes,
    precheck,
)
from rewardkit.types import Boxes, ParseResult, Points

__all__ = ["read_gemini_boxes", "read_gemini_points", "read_moondream_boxes", "read_moondream_points"]


def _load(payload: Any) -> tuple[Any, ParseResult[Any] | None, dict[str, Any]]:
    text, fail = precheck(payload)
    if fail is not None:
        return None, fail, {}
    ok, value, details = load_structured(text)
    if not ok:
        return None, ParseResult(None, False, "unparseable", details), details
    return value, None, details


def read_gemini_boxes(payload: str) -> ParseResult[Boxes]:
    """Gemini ``box_2d`` boxes, ``[ymin, xmin, ymax, xmax]`` -> xyxy, ``norm1000`` frame.

    Args:
        payload: The answer payload.

    Returns:
        A :class:`~rewardkit.types.ParseResult` of :class:`~rewardkit.types.Boxes`, or
        ``ok=False`` with a reason code.
    """
    if isinstance(payload, str):
        neg = negative_boxes(payload.strip(), "structured")
        if neg is not None:
            return neg
    value, fail, details = _load(payload)
    if fail is not None:
        return empty_boxes(fail.reason or "unparseable")
    if isinstance(value, Sequence | Mapping) and not isinstance(value, str) and len(value) == 0:
        return ParseResult(Boxes.empty(), True, None, {**details, "negative": True, "format": "structured"})
    coords, scores, labels, invalid = boxes_from_items(value)
    if not coords:
        return empty_boxes("unparseable", format="structured", invalid_items=invalid)
    yx = [[c[1], c[0], c[3], c[2]] for c in coords]
    out = finish_boxes(yx, labels, "structured", scores)
    if out.ok:
        extra = {k: v for k, v in details.items() if k != "error"}
        out = ParseResult(out.value, True, None, {**extra, **out.details, "invalid_items": invalid})
    return out


def _yx_points(value: Any, out: list[list[float]], labels: list[str | None]) -> None:
    items = value
    if isinstance(value, Mapping):
        nested = _get(value, ("points",))
        items = nested if isinstance(nested, list) else [value]
    if not isinstance(items, Sequence) or isinstance(items, str):
        return
    for item in items:
        if len(out) > MAX_BOXES:
            return
        if isinstance(item, Mapping):
            p = _get(item, ("point", "point_2d"))
            lab = _get(item, ("label",))
        else:
            p, lab = item, None
        if isinstance(p, Sequence) and not isinstance(p, str) and len(p) == 2:
            y, x = _number(p[0]), _number(p[1])
            if y is not None and x is not None:
                out.append([x, y])
                labels.append(None if lab is None else str(lab))


def read_gemini_points(payload: str) -> ParseResult[Points]:
    """Gemini points ``[y, x]`` -> ``(x, y)``, ``norm1000`` frame.

    Args:
        payload: The answer payload.

    Returns:
        A :class:`~rewardkit.types.ParseResult` of :class:`~rewardkit.types.Points`, or
        ``ok=False`` with a reason code.
    """
    value, fail, _ = _load(payload)
    if fail is not None:
        return empty_points(fail.reason or "unparseable")
    pts: list[list[float]] = []
    labels: list[str | None] = []
    _yx_points(value, pts, labels)
    if not pts:
        return empty_points("unparseable", format="structured")
    return finish_points(pts, "structured", labels)


def _dict_items(value: Any, key: str) -> list[Any]:
    if isinstance(value, Mapping):
        nested = _get(value, (key,))
        return nested if isinstance(nested, list) else [value]
    if isinstance(value, list):
        return value
    return []


def read_moondream_boxes(payload: str) -> ParseResult[Boxes]:
    """Moondream ``{"objects": [{"x_min", "y_min", "x_max", "y_max"}]}`` -> ``norm1`` boxes.

    Args:
        payload: The answer payload.

    Returns:
        A :class:`~rewardkit.types.ParseResult` of :class:`~rewardkit.types.Boxes`, or
        ``ok=False`` with a reason code.
    """
    value, fail, _ = _load(payload)
    if fail is not None:
        return empty_boxes(fail.reason or "unparseable")
    items = _dict_items(value, "objects")
    if not items and isinstance(value, Mapping | list):
        return ParseResult(Boxes.empty(), True, None, {"negative": True, "format": "moondream"})
    coords: list[list[float]] = []
    for item in items[: MAX_BOXES + 1]:
        if not isinstance(item, Mapping):
            continue
        vals = [_number(_get(item, (k,))) for k in ("x_min", "y_min", "x_max", "y_max")]
        if all(v is not None for v in vals):
            coords.append([math.nan if v is None else v for v in vals])
    if not coords:
        return empty_boxes("unparseable", format="moondream")
    return finish_boxes(coords, [None] * len(coords), "moondream")


def read_moondream_points(payload: str) -> ParseResult[Points]:
    """Moondream ``{"points": [{"x", "y"}]}`` -> ``norm1`` points.

    Args:
        payload: The answer payload.

    Returns:
        A :class:`~rewardkit.types.ParseResult` of :class:`~rewardkit.types.Points`, or
        ``ok=False`` with a reason code.
    """
    value, fail, _ = _load(payload)
    if fail is not None:
        return empty_points(fail.reason or "unparseable")
    pts: list[list[float]] = []
    for item in _dict_items(value, "points")[: MAX_BOXES + 1]:
        if isinstance(item, Mapping):
            x, y = _number(_get(item, ("x",))), _number(_get(item, ("y",)))
            if x is not None and y is not None:
                pts.append([x, y])
    if not pts:
        return empty_points("unparseable", format="moondream")
    return finish_points(pts, "moondream")
