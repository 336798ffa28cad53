"""Readers of reference + box tags: InternVL and DeepSeek-VL2.

* ``internvl``: ``<ref>the cat</ref><box>[[x1, y1, x2, y2], ...]</box>``, coordinates
  normalized to 0..1000 (OpenGVLab/InternVL@0355722a
  ``internvl_chat/eval/refcoco/evaluate_grounding.py``: the first ``[x1, y1, x2, y2]``
  of the answer, divided by 1000, times the image width and height). A ``<box>``
  without a preceding ``<ref>`` is read without a label; a bare ``[[...]]`` list (the
  refcoco evaluator's form) too.
* ``deepseek_vl2``: ``<|ref|>The giraffe<|/ref|><|det|>[[x1, y1, x2, y2], ...]<|/det|>``,
  coordinates on a 0..999 grid (deepseek-ai/DeepSeek-VL2 README, "visual grounding";
  supervision 0.31.2 ``from_deepseek_vl_2`` divides by 999). Read into the ``norm1``
  frame (value / 999).
"""

from __future__ import annotations

from rewardkit.parsing.boxes import MAX_BOXES
from rewardkit.parsing.dialects._scan import (
    blocks,
    empty_boxes,
    finish_boxes,
    numbers,
    start_boxes,
)
from rewardkit.types import Boxes, ParseResult

__all__ = ["read_internvl_boxes", "read_deepseek_vl2_boxes"]


def _ref_det(text: str, ref_open: str, ref_close: str, det_open: str, det_close: str, scale: float, fmt: str) -> ParseResult[Boxes]:
    coords: list[list[float]] = []
    labels: list[str | None] = []
    label: str | None = None
    label_end = -1
    pos = 0
    r = text.find(ref_open)
    c = 0  # next closing reference tag at or after the current opening one (monotone)
    while len(coords) <= MAX_BOXES:
        d = text.find(det_open, pos)
        if d < 0:
            break
        while 0 <= r < d:  # references before this box: the last complete one labels it
            if c != -1 and c < r + len(ref_open):
                c = text.find(ref_close, r + len(ref_open))
            if 0 <= c < d:
                label = text[r + len(ref_open): c].strip()
                label_end = c + len(ref_close)
                r = text.find(ref_open, label_end)
            else:
                r = text.find(ref_open, r + len(ref_open))
        e = text.find(det_close, d + len(det_open))
        if e < 0:
            break
        lab = label if label is not None and label_end <= d else None
        nums = numbers(text[d + len(det_open): e])
        for i in range(0, len(nums) - len(nums) % 4, 4):
            coords.append([v / scale for v in nums[i:i + 4]])
            labels.append(lab)
        pos = e + len(det_close)
        label = None  # a reference labels the boxes of the next box block only
        if 0 <= r < pos:
            r = text.find(ref_open, pos)
    if not coords:
        return empty_boxes("unparseable", format=fmt)
    return finish_boxes(coords, labels, fmt)


def read_internvl_boxes(payload: str) -> ParseResult[Boxes]:
    """InternVL boxes in the ``norm1000`` frame.

    Args:
        payload: The answer payload.

    Returns:
        A :class:`~rewardkit.types.ParseResult` of :class:`~rewardkit.types.Boxes`, or
        ``ok=False`` with a reason code.
    """
    text, early = start_boxes(payload, "ref_box")
    if early is not None:
        return early
    if "<box>" in text:
        return _ref_det(text, "<ref>", "</ref>", "<box>", "</box>", 1.0, "ref_box")
    if text.startswith("["):
        # the refcoco evaluator's bare form: [[x1, y1, x2, y2]]
        for _, _, body in blocks("<box>" + text + "</box>", "<box>", "</box>"):
            nums = numbers(body, 4 * (MAX_BOXES + 1))
            if len(nums) >= 4 and len(nums) % 4 == 0:
                return finish_boxes([nums[i:i + 4] for i in range(0, len(nums), 4)], [None] * (len(nums) // 4), "list")
    return empty_boxes("unparseable", format="ref_box")


def read_deepseek_vl2_boxes(payload: str) -> ParseResult[Boxes]:
    """DeepSeek-VL2 boxes in the ``norm1`` frame (value / 999).

    Args:
        payload: The answer payload.

    Returns:
        A :class:`~rewardkit.types.ParseResult` of :class:`~rewardkit.types.Boxes`, or
        ``ok=False`` with a reason code.
    """
    text, early = start_boxes(payload, "ref_det")
    if early is not None:
        return early
    return _ref_det(text, "<|ref|>", "<|/ref|>", "<|det|>", "<|/det|>", 999.0, "ref_det")
