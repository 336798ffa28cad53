"""Qwen-family and Visual-RFT readers.

* ``visual_rft`` (the default reading): every payload :func:`~rewardkit.parsing.boxes.parse_boxes`
  and :func:`~rewardkit.parsing.points.parse_points` know (Visual-RFT's
  ``[{'Position': [x1, y1, x2, y2], 'Confidence': c}]``, Qwen JSON, plain lists, box
  tokens, Rex-Omni bins), frame ``norm1000`` (Visual-RFT's prompt asks for 0..1000;
  Liu et al. 2025, Table 1).
* ``qwen2_vl``: box tokens ``<|object_ref_start|>cat<|object_ref_end|><|box_start|>(x1,y1),(x2,y2)<|box_end|>``,
  coordinates normalized to ``[0, 1000)`` (Qwen2-VL technical report, Section 2.2
  "Unified Visual Grounding"; QwenLM/Qwen2.5-VL README, Qwen2-VL section). Only the
  token form is read.
* ``qwen2_5_vl``: JSON ``[{"bbox_2d": [x1, y1, x2, y2], "label": "cat"}]`` and
  ``[{"point_2d": [x, y], "label": ...}]``, usually in a ```` ```json ```` fence, in
  ABSOLUTE pixels of the image as resized by the processor (frame ``qwen25vl``: each
  side rounded to a multiple of 28, area clamped to ``[min_pixels, max_pixels]``;
  ``transformers/models/qwen2_vl/image_processing_qwen2_vl.py`` ``smart_resize``,
  transformers 5.10.4; QwenLM/Qwen2.5-VL cookbooks ``spatial_understanding.ipynb``).
* ``qwen3_vl``: the same JSON, coordinates relative ``0..1000`` (QwenLM/Qwen3-VL
  cookbooks ``2d_grounding.ipynb``; supervision 0.31.2 ``from_qwen_3_vl`` scales by 1000).
"""

from __future__ import annotations

from rewardkit.parsing.boxes import MAX_BOXES, _box_tokens, parse_boxes
from rewardkit.parsing.dialects._scan import (
    empty_boxes,
    finish_boxes,
    numbers,
    start_boxes,
)
from rewardkit.parsing.points import parse_points
from rewardkit.types import Boxes, ParseResult

__all__ = ["read_qwen2_vl_boxes", "parse_boxes", "parse_points"]


def read_qwen2_vl_boxes(payload: str) -> ParseResult[Boxes]:
    """Boxes of Qwen2-VL's box tokens (labels from the preceding object reference).

    Args:
        payload: The answer payload.

    Returns:
        A :class:`~rewardkit.types.ParseResult` of :class:`~rewardkit.types.Boxes`, or
        ``ok=False`` with a reason code.
    """
    text, early = start_boxes(payload, "box_tokens")
    if early is not None:
        return early
    coords: list[list[float]] = []
    labels: list[str | None] = []
    for lab, body in _box_tokens(text):
        nums = numbers(body, 5)
        if len(nums) == 4:
            coords.append(nums)
            labels.append(lab.strip() if lab is not None else None)
        if len(coords) > MAX_BOXES:
            break
    if not coords:
        return empty_boxes("unparseable", format="box_tokens")
    return finish_boxes(coords, labels, "box_tokens")
