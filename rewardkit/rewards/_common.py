"""Shared helpers of the reward families (parameter validation, frames, results)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rewardkit.errors import ParameterError
from rewardkit.parsing.frames import (
    QWEN25VL_MAX_PIXELS,
    QWEN25VL_MIN_PIXELS,
    check_frame,
    convert_boxes,
    convert_points,
    frame_extent,
)
from rewardkit.parsing.ground_truth import BoxTarget
from rewardkit.parsing.tags import TagParse, parse_completion
from rewardkit.types import ParseResult, RewardResult

__all__ = ["check_unit", "check_choice", "boxes_to_gt_frame", "points_to_gt_frame", "zero", "frame_warning", "frame_flags", "reduce_frame_flags", "resize_kwargs", "read_answer", "FRAME_DEFAULTS"]

FRAME_DEFAULTS = {"pred_frame": "norm1000", "gt_frame": "norm1000"}


def check_unit(name: str, value: float) -> float:
    v = float(value)
    if not 0.0 <= v <= 1.0:
        raise ParameterError(f"Expected `{name}` in [0, 1], but got {value!r}")
    return v


def check_choice(name: str, value: Any, choices: tuple[Any, ...]) -> Any:
    if value not in choices:
        raise ParameterError(f"Expected `{name}` to be one of {list(choices)}, but got {value!r}")
    return value


def resize_kwargs(min_pixels: int | None, max_pixels: int | None) -> dict[str, int]:
    return {
        "min_pixels": QWEN25VL_MIN_PIXELS if min_pixels is None else int(min_pixels),
        "max_pixels": QWEN25VL_MAX_PIXELS if max_pixels is None else int(max_pixels),
    }


def boxes_to_gt_frame(
    xyxy: np.ndarray,
    pred_frame: str,
    gt_frame: str,
    target: BoxTarget,
    *,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
) -> np.ndarray:
    """Predicted boxes converted into the ground truth's frame (ValueError on a bad frame
    or a missing image size: both are caller input)."""
    check_frame(pred_frame)
    gt_frame = target.frame or gt_frame
    check_frame(gt_frame)
    if pred_frame == gt_frame or xyxy.shape[0] == 0:
        return xyxy
    return convert_boxes(xyxy, pred_frame, gt_frame, target.image_size, **resize_kwargs(min_pixels, max_pixels))


def points_to_gt_frame(
    xy: np.ndarray,
    pred_frame: str,
    gt_frame: str,
    target: BoxTarget,
    *,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
) -> np.ndarray:
    check_frame(pred_frame)
    gt_frame = target.frame or gt_frame
    check_frame(gt_frame)
    if pred_frame == gt_frame or xy.shape[0] == 0:
        return xy
    return convert_points(xy, pred_frame, gt_frame, target.image_size, **resize_kwargs(min_pixels, max_pixels))


def zero(components: tuple[str, ...], reason: str | None, lo: float = 0.0, **details: Any) -> RewardResult:
    """The reward's minimum with every component at 0 and a reason code."""
    return RewardResult(lo, {c: 0.0 for c in components}, reason, details)


def frame_flags(
    xyxy: np.ndarray,
    pred_frame: str,
    target: BoxTarget,
    *,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
) -> tuple[list[bool], list[bool], list[bool]] | None:
    """Per-box flags for :func:`frame_warning`: (outside the frame by > 2%, every
    coordinate <= 1, some coordinate > 0). ``None`` when the frame extent is unknown."""
    if xyxy.size == 0:
        return None
    try:
        ew, eh = frame_extent(pred_frame, target.image_size, **resize_kwargs(min_pixels, max_pixels))
    except ValueError:
        return None
    x_lo, x_hi, y_lo, y_hi = -0.02 * ew, 1.02 * ew, -0.02 * eh, 1.02 * eh
    big_frame = min(ew, eh) >= 100
    if xyxy.shape[0] <= 64:  # plain Python: cheaper than numpy for a handful of boxes
        out, small, positive = [], [], []
        for x1, y1, x2, y2 in xyxy.tolist():
            out.append(not (x_lo <= x1 <= x_hi and x_lo <= x2 <= x_hi and y_lo <= y1 <= y_hi and y_lo <= y2 <= y_hi))
            mx = max(x1, y1, x2, y2)
            small.append(big_frame and mx <= 1.0)
            positive.append(mx > 0)
        return out, small, positive
    x = xyxy[:, 0::2]
    y = xyxy[:, 1::2]
    out_a = ((x < x_lo) | (x > x_hi)).any(axis=1) | ((y < y_lo) | (y > y_hi)).any(axis=1)
    mx_a = xyxy.max(axis=1)
    small_a = mx_a <= 1.0 if big_frame else np.zeros(len(mx_a), dtype=bool)
    return out_a.tolist(), small_a.tolist(), (mx_a > 0).tolist()


def reduce_frame_flags(out: list[bool], small: list[bool], positive: list[bool]) -> str | None:
    if any(out):
        return "out_of_frame"
    if all(small) and any(positive):
        return "suspect_frame_norm1"
    return None


def frame_warning(
    xyxy: np.ndarray,
    pred_frame: str,
    target: BoxTarget,
    *,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
) -> str | None:
    """A reason code when predicted coordinates do not look like ``pred_frame``.

    ``out_of_frame``: a coordinate lies more than 2% outside the image in that frame.
    ``suspect_frame_norm1``: every coordinate is within [0, 1] although the frame's
    extent is >= 100 (predictions normalized to 0..1 declared as norm1000 or pixels).
    The score is computed as declared; the reason makes the mismatch visible in reports.
    """
    flags = frame_flags(xyxy, pred_frame, target, min_pixels=min_pixels, max_pixels=max_pixels)
    return None if flags is None else reduce_frame_flags(*flags)


def read_answer(completion: Any, prompt: str | None, parse: Callable[[str], ParseResult[Any]]) -> tuple[TagParse, Any, str | None]:
    """Tags, then the answer payload read by ``parse``: ``(tags, value or None, reason)``.

    ``value`` is ``None`` (with the reason) when there is no answer tag or the payload
    cannot be read; callers then return their minimum with that reason."""
    tp = parse_completion(completion, prompt)
    if tp.answer is None:
        return tp, None, tp.reason
    parsed = parse(tp.answer)
    if not parsed.ok:
        return tp, None, parsed.reason
    return tp, parsed.value, None
