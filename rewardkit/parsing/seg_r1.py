"""Seg-R1 prompt payloads: ``<bbox>[...]</bbox>, <points>[[x, y], ...]</points>, <labels>[1, 0, ...]</labels>``.

The answer of a Seg-R1 policy holds box and point prompts for a promptable segmenter.
Rules (documented, never raising):

* every ``<bbox>`` block is read with :func:`rewardkit.parsing.boxes.parse_boxes` (one box
  ``[x1, y1, x2, y2]`` or a list of boxes); boxes of all blocks are concatenated;
* every ``<points>`` block is read with :func:`rewardkit.parsing.points.parse_points`;
* ``<labels>`` holds one integer per point (1 positive, 0 negative); when no labels
  block exists every point is positive; a count that differs from the number of points
  is a parse failure (``points_labels_mismatch``); labels other than 0/1 fail
  (``bad_labels``);
* at least one box or one point is needed (``no_prompts`` otherwise);
* a payload without any of the three tags fails with ``no_prompt_tags``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rewardkit.limits import MAX_PAYLOAD_CHARS, MAX_SEG_BLOCKS
from rewardkit.parsing.boxes import parse_boxes
from rewardkit.parsing.points import parse_points
from rewardkit.types import Boxes, ParseResult, Points

__all__ = ["SegPrompts", "parse_seg_r1"]

_OPEN = {name: re.compile(rf"<{name}>", re.IGNORECASE) for name in ("bbox", "points", "labels")}
_CLOSE = {name: re.compile(rf"</{name}>", re.IGNORECASE) for name in ("bbox", "points", "labels")}
_INT = re.compile(r"[-+]?\d+(?:\.\d+)?")
MAX_BLOCKS = MAX_SEG_BLOCKS  # old name


@dataclass(frozen=True)
class SegPrompts:
    """Box and point prompts: ``boxes`` (xyxy) and ``points`` with labels (1 = positive).

    Args:
        boxes: The box prompts (xyxy).
        points: The point prompts, with labels (1 positive, 0 negative).
    """

    boxes: Boxes = field(default_factory=Boxes.empty)
    points: Points = field(default_factory=Points.empty)

    @property
    def point_labels(self) -> np.ndarray:
        if self.points.labels is None:
            return np.ones(len(self.points), dtype=np.int64)
        return self.points.labels

    def __len__(self) -> int:
        return len(self.boxes) + len(self.points)


def _blocks(text: str, name: str, limit: int) -> list[str]:
    """Bodies of ``<name>...</name>`` blocks in linear time.

    A lazy ``.*?`` regex is quadratic on many unclosed opening tags.
    """
    closes = [m.start() for m in _CLOSE[name].finditer(text)]
    out: list[str] = []
    pos = 0
    ci = 0
    for m in _OPEN[name].finditer(text):
        if m.start() < pos:
            continue
        while ci < len(closes) and closes[ci] < m.end():
            ci += 1
        if ci == len(closes):
            break
        out.append(text[m.end() : closes[ci]])
        pos = closes[ci]
        if len(out) > limit:
            break
    return out


def _fail(reason: str, **details: Any) -> ParseResult[SegPrompts]:
    return ParseResult(SegPrompts(), False, reason, details)


def parse_seg_r1(payload: Any) -> ParseResult[SegPrompts]:
    """Read Seg-R1 prompts from an answer payload. Never raises.

    The rules are in the module docstring.

    Args:
        payload: The answer text (None when there is none).

    Returns:
        A :class:`~rewardkit.types.ParseResult` with the :class:`SegPrompts` and
        ``details`` ``n_boxes`` and ``n_points``, or ``ok=False`` with a reason code
        (``no_answer``, ``too_long``, ``no_prompt_tags``, ``too_many_blocks``,
        ``bbox_<reason>``, ``points_<reason>``, ``points_labels_mismatch``,
        ``bad_labels``, ``no_prompts``).
    """
    if payload is None:
        return _fail("no_answer")
    text = payload if isinstance(payload, str) else str(payload)
    if len(text) > MAX_PAYLOAD_CHARS:
        return _fail("too_long")
    blocks = {name: _blocks(text, name, MAX_BLOCKS) for name in _OPEN}
    if not any(blocks.values()):
        return _fail("no_prompt_tags")
    if any(len(v) > MAX_BLOCKS for v in blocks.values()):
        return _fail("too_many_blocks")
    box_rows: list[np.ndarray] = []
    for body in blocks["bbox"]:
        pb = parse_boxes(body)
        if not pb.ok:
            return _fail(f"bbox_{pb.reason}")
        box_rows.append(pb.value.xyxy)
    pts_rows: list[np.ndarray] = []
    for body in blocks["points"]:
        pp = parse_points(body)
        if not pp.ok:
            return _fail(f"points_{pp.reason}")
        pts_rows.append(pp.value.xy)
    xyxy = np.concatenate(box_rows) if box_rows else np.zeros((0, 4))
    xy = np.concatenate(pts_rows) if pts_rows else np.zeros((0, 2))
    labels: np.ndarray | None = None
    if blocks["labels"]:
        vals: list[float] = []
        for body in blocks["labels"]:
            vals.extend(float(v) for v in _INT.findall(body)[: 10_000])
        arr = np.asarray(vals, dtype=np.float64)
        if arr.size != xy.shape[0]:
            return _fail("points_labels_mismatch", n_points=int(xy.shape[0]), n_labels=int(arr.size))
        if not np.all((arr == 0) | (arr == 1)):
            return _fail("bad_labels")
        labels = arr.astype(np.int64)
    if xyxy.shape[0] == 0 and xy.shape[0] == 0:
        return _fail("no_prompts")
    prompts = SegPrompts(Boxes(xyxy), Points(xy, labels if labels is not None else np.ones(xy.shape[0], np.int64)))
    return ParseResult(prompts, True, None, {"n_boxes": int(xyxy.shape[0]), "n_points": int(xy.shape[0])})
