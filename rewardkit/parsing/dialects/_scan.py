"""Linear-time scanning helpers shared by the dialect readers.

Every helper walks the text with ``str.find`` or single-token regexes (no nested or lazy
quantifier over unbounded text), so a megabyte of unclosed tags costs linear time, and
stops after :data:`~rewardkit.parsing.boxes.MAX_BOXES` items.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from rewardkit.parsing._structured import MAX_PAYLOAD_CHARS
from rewardkit.parsing.boxes import MAX_ABS_COORD, MAX_BOXES, _finish, is_negative_answer
from rewardkit.types import Boxes, ParseResult, Points

__all__ = [
    "NUM",
    "numbers",
    "blocks",
    "precheck",
    "finish_boxes",
    "finish_points",
    "empty_boxes",
    "empty_points",
]

NUM = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
"""A number (unambiguous: linear on long digit runs)."""


def numbers(body: str, limit: int = 4 * (MAX_BOXES + 1)) -> list[float]:
    """The numbers of a short body, at most ``limit``.

    Args:
        body: The text.
        limit: Most numbers read.

    Returns:
        The numbers in order (``inf`` for one beyond float range).
    """
    out: list[float] = []
    for m in NUM.finditer(body):
        try:
            out.append(float(m.group(0)))
        except (ValueError, OverflowError):
            out.append(math.inf)
        if len(out) >= limit:
            break
    return out


def blocks(text: str, open_tag: str, close_tag: str, start: int = 0) -> Iterator[tuple[int, int, str]]:
    """``(open_start, close_end, body)`` of each ``open_tag body close_tag`` block, in order.

    Plain substring search; an unclosed opening tag ends the scan.

    Args:
        text: The text.
        open_tag: The opening tag.
        close_tag: The closing tag.
        start: Where the scan starts.

    Yields:
        ``(open_start, close_end, body)``, at most ``MAX_BOXES + 1`` blocks.
    """
    pos = start
    n = 0
    while n <= MAX_BOXES:
        s = text.find(open_tag, pos)
        if s < 0:
            return
        b = s + len(open_tag)
        e = text.find(close_tag, b)
        if e < 0:
            return
        yield s, e + len(close_tag), text[b:e]
        pos = e + len(close_tag)
        n += 1


def precheck(payload: Any) -> tuple[str, ParseResult[Any] | None]:
    """``(text, None)`` for a payload worth reading, or ``("", failure)``.

    Args:
        payload: The answer payload (None when there is none).

    Returns:
        ``(stripped text, None)``, or ``("", failure)`` with reason ``no_answer``,
        ``too_long`` or ``empty_answer``.
    """
    if payload is None:
        return "", ParseResult(None, False, "no_answer", {})
    text = payload if isinstance(payload, str) else str(payload)
    if len(text) > MAX_PAYLOAD_CHARS:
        return "", ParseResult(None, False, "too_long", {"n_chars": len(text)})
    text = text.strip()
    if not text:
        return "", ParseResult(None, False, "empty_answer", {})
    return text, None


def empty_boxes(reason: str, **details: Any) -> ParseResult[Boxes]:
    return ParseResult(Boxes.empty(), False, reason, details)


def empty_points(reason: str, **details: Any) -> ParseResult[Points]:
    return ParseResult(Points.empty(), False, reason, details)


def negative_boxes(text: str, fmt: str) -> ParseResult[Boxes] | None:
    if is_negative_answer(text):
        return ParseResult(Boxes.empty(), True, None, {"negative": True, "format": fmt})
    return None


def start_boxes(payload: Any, fmt: str) -> tuple[str, ParseResult[Boxes] | None]:
    """The common start of a box reader: the payload's text, or the result to return now.

    Args:
        payload: The answer payload (None when there is none).
        fmt: The format name of a negative answer's ``details["format"]``.

    Returns:
        ``(text, None)`` when the payload is worth reading; ``("", result)`` when it is
        missing, too long or empty (a failure, :func:`precheck`'s reason) or says there
        is nothing to find (:func:`negative_boxes`: no boxes, ``ok=True``).
    """
    text, fail = precheck(payload)
    if fail is not None:
        return "", empty_boxes(fail.reason or "unparseable")
    neg = negative_boxes(text, fmt)
    if neg is not None:
        return "", neg
    return text, None


def finish_boxes(coords: list[list[float]], labels: list[str | None], fmt: str, scores: list[float] | None = None) -> ParseResult[Boxes]:
    """Boxes through the one bad-box rule of :mod:`rewardkit.parsing.boxes`.

    Non-finite or huge boxes are dropped, inverted corners reordered, too many fail.

    Args:
        coords: The boxes, ``[x1, y1, x2, y2]`` each.
        labels: One label (or None) per box.
        fmt: The format name for ``details["format"]``.
        scores: One score per box (NaN for all when None).

    Returns:
        A :class:`~rewardkit.types.ParseResult` of :class:`~rewardkit.types.Boxes`.
    """
    sc = scores if scores is not None else [math.nan] * len(coords)
    return _finish(coords, sc, labels, {"format": fmt})


def finish_points(pts: list[list[float]], fmt: str, labels: list[str | None] | None = None) -> ParseResult[Points]:
    """Points with the same rule (non-finite or huge dropped; too many fail).

    Args:
        pts: The points, ``[x, y]`` each.
        fmt: The format name for ``details["format"]``.
        labels: One label (or None) per point, or None.

    Returns:
        A :class:`~rewardkit.types.ParseResult` of :class:`~rewardkit.types.Points`
        (labels in ``details["labels"]``), or ``ok=False`` with ``no_points``,
        ``too_many_points`` or ``bad_coordinates``.
    """
    if not pts:
        return empty_points("no_points", format=fmt)
    if len(pts) > MAX_BOXES:
        return empty_points("too_many_points", format=fmt)
    arr = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    keep = np.all(np.isfinite(arr), axis=1) & np.all(np.abs(arr) <= MAX_ABS_COORD, axis=1)
    details: dict[str, Any] = {"format": fmt}
    if not keep.all():
        details["dropped"] = int((~keep).sum())
        arr = arr[keep]
        if labels is not None:
            labels = [lab for lab, k in zip(labels, keep.tolist()) if k]
        if arr.shape[0] == 0:
            return empty_points("bad_coordinates", **details)
    if labels is not None and any(lab is not None for lab in labels):
        details["labels"] = tuple(labels)
    return ParseResult(Points(arr), True, None, details)
