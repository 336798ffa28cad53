"""Shared helpers of the reward families (parameter validation, frames, results)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from rewardkit.errors import ParameterError
from rewardkit.parsing.dialects import get_dialect
from rewardkit.parsing.frames import (
    QWEN25VL_MAX_PIXELS,
    QWEN25VL_MIN_PIXELS,
    check_frame,
    convert_boxes,
    convert_points,
    frame_extent,
)
from rewardkit.parsing.ground_truth import BoxTarget, read_box_target
from rewardkit.parsing.reading import Reading, extract_answer_text
from rewardkit.parsing.tags import TagParse
from rewardkit.rewards.base import zero
from rewardkit.types import ParseResult

__all__ = [
    "check_unit", "check_choice", "box_target", "prepare_box_target", "boxes_to_gt_frame", "points_to_gt_frame",
    "zero", "frame_warning", "frame_flags", "reduce_frame_flags", "resize_kwargs", "read_answer", "read_boxes",
    "read_points", "box_reader", "point_reader", "Reading", "iou_rule", "passes_iou",
]

_DEFAULT_READING = Reading()


def check_unit(name: str, value: float) -> float:
    v = float(value)
    if not 0.0 <= v <= 1.0:
        raise ParameterError(f"Expected `{name}` in [0, 1], but got {value!r}")
    return v


def iou_rule(iou_threshold: Any, inclusive: Any, threshold: Any = None, comparison: Any = None,
             *, stacklevel: int = 3) -> tuple[float, bool]:
    """Validate an IoU threshold rule: ``(iou_threshold, inclusive)``.

    The one vocabulary of the grounding reward and metrics (docs/rewards-grounding.md):
    ``iou_threshold`` in [0, 1] and ``inclusive`` (``True``: IoU >= t, the Qwen-VL /
    InternVL evaluators; ``False``: IoU > t, VLM-R1 / Griffon). The old keywords
    ``threshold`` and ``comparison`` (``">="`` / ``">"``) still work, with a
    :class:`DeprecationWarning`.

    Args:
        iou_threshold: the IoU a correct box reaches.
        inclusive: whether an IoU equal to ``iou_threshold`` counts.
        threshold: deprecated name of ``iou_threshold`` (``None``: not given).
        comparison: deprecated (``">="`` is ``inclusive=True``, ``">"`` is ``False``).
        stacklevel: where the warning points, as in :func:`warnings.warn`.

    Returns:
        ``(iou_threshold, inclusive)`` as a Python ``float`` and ``bool``.

    Raises:
        ParameterError: a threshold outside [0, 1] (or a bool), an ``inclusive`` that is
            not a bool, or a ``comparison`` other than ``">="`` / ``">"``.

    Example:
        >>> iou_rule(0.5, False)
        (0.5, False)
    """
    import warnings

    if threshold is not None:
        warnings.warn("`threshold` is deprecated: use `iou_threshold`", DeprecationWarning, stacklevel=stacklevel)
        iou_threshold = threshold
    if comparison is not None:
        warnings.warn("`comparison` is deprecated: use `inclusive` (True for '>=', False for '>')",
                      DeprecationWarning, stacklevel=stacklevel)
        if comparison not in (">=", ">"):
            raise ParameterError(f"Expected `comparison` to be '>=' or '>', but got {comparison!r}")
        inclusive = comparison == ">="
    if isinstance(iou_threshold, bool) or not isinstance(iou_threshold, int | float | np.integer | np.floating) \
            or not 0.0 <= float(iou_threshold) <= 1.0:
        raise ParameterError(f"Expected `iou_threshold` in [0, 1], but got {iou_threshold!r}")
    if not isinstance(inclusive, bool | np.bool_):
        raise ParameterError(f"Expected `inclusive` to be a bool, but got {inclusive!r}")
    return float(iou_threshold), bool(inclusive)


def passes_iou(iou: float, iou_threshold: float, inclusive: bool) -> bool:
    """Whether ``iou`` passes the rule: ``iou >= iou_threshold`` if ``inclusive`` else ``>``.

    Example:
        >>> passes_iou(0.5, 0.5, True), passes_iou(0.5, 0.5, False)
        (True, False)
    """
    return iou >= iou_threshold if inclusive else iou > iou_threshold


def check_choice(name: str, value: Any, choices: tuple[Any, ...]) -> Any:
    if value not in choices:
        raise ParameterError(f"Expected `{name}` to be one of {list(choices)}, but got {value!r}")
    return value


def resize_kwargs(min_pixels: int | None, max_pixels: int | None) -> dict[str, int]:
    return {
        "min_pixels": QWEN25VL_MIN_PIXELS if min_pixels is None else int(min_pixels),
        "max_pixels": QWEN25VL_MAX_PIXELS if max_pixels is None else int(max_pixels),
    }


GT_CACHE_MAX_CHARS = 20_000
"""Ground truths given as strings up to this long are read once per (string, reading)
and the checked target reused (:func:`box_target`); longer ones are read every time."""


def box_target(ground_truth: Any, reading: Reading) -> BoxTarget:
    """Box ground truth read once with the reading's image size, checked to lie inside
    the image in its ground-truth frame (``BadGroundTruth`` otherwise).

    A ground truth given as a string (the solution string of the Visual-RFT and VLM-R1
    data sets: the same one for the G completions of a prompt, scored one call at a
    time) is read once per (string, reading) and the :class:`BoxTarget` reused: a string
    cannot change, the target is frozen with read-only arrays, and a string that cannot
    be read raises again on every call (failures are not cached).
    """
    if type(ground_truth) is str and len(ground_truth) <= GT_CACHE_MAX_CHARS:
        try:
            return _cached_box_target(ground_truth, reading)
        except TypeError:  # an unhashable reading field, or a TypeError of the reader (read again below: it raises again)
            pass
    return read_box_target(ground_truth, reading=reading)


@lru_cache(maxsize=256)
def _cached_box_target(ground_truth: str, reading: Reading) -> BoxTarget:
    return read_box_target(ground_truth, reading=reading)


def prepare_box_target(ground_truth: Any, *, reading: Reading = _DEFAULT_READING, **_: Any) -> Any:
    """Parse box ground truth once per prompt (``Reward.score_batch`` calls this); a ground
    truth of quadrilaterals gives a :class:`~rewardkit.parsing.polygons.QuadTarget`
    (``detection.f1`` and the grounding rewards score quads; the others report it as
    bad ground truth).
    """
    from rewardkit.rewards._quads import quad_target_or_none

    quads = quad_target_or_none(ground_truth, reading.image_size)
    if quads is not None:
        return quads
    return box_target(ground_truth, reading)


def boxes_to_gt_frame(xyxy: np.ndarray, reading: Reading, target: BoxTarget) -> np.ndarray:
    """Predicted boxes (in ``reading.frame``) converted into the ground truth's frame
    (ValueError on a missing image size: caller input).
    """
    gt_frame = target.frame or reading.gt_frame
    check_frame(gt_frame)
    pred_frame = reading.frame
    if pred_frame == gt_frame or xyxy.shape[0] == 0:
        return xyxy
    return convert_boxes(xyxy, pred_frame, gt_frame, target.image_size, **reading.resize_kw)


def points_to_gt_frame(xy: np.ndarray, reading: Reading, target: BoxTarget) -> np.ndarray:
    gt_frame = target.frame or reading.gt_frame
    check_frame(gt_frame)
    pred_frame = reading.frame
    if pred_frame == gt_frame or xy.shape[0] == 0:
        return xy
    return convert_points(xy, pred_frame, gt_frame, target.image_size, **reading.resize_kw)




def frame_flags(xyxy: np.ndarray, reading: Reading, target: BoxTarget) -> tuple[list[bool], list[bool], list[bool]] | None:
    """Per-box flags for :func:`frame_warning`: (outside the frame by > 2%, every
    coordinate <= 1, some coordinate > 0). ``None`` when the frame extent is unknown.
    """
    if xyxy.size == 0:
        return None
    extent = _extent(reading, target.image_size)
    if extent is None:
        return None
    ew, eh = extent
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


def _extent(reading: Reading, image_size: Any) -> tuple[float, float] | None:
    """``frame_extent`` of the reading's prediction frame, ``None`` when unknown;
    cached per (reading, image size).
    """
    try:
        return _cached_extent(reading, image_size)
    except TypeError:  # unhashable image size: not cached
        return _extent_uncached(reading, image_size)


def _extent_uncached(reading: Reading, image_size: Any) -> tuple[float, float] | None:
    try:
        return frame_extent(reading.frame, image_size, **reading.resize_kw)
    except ValueError:
        return None


_cached_extent = lru_cache(maxsize=256)(_extent_uncached)


def reduce_frame_flags(out: list[bool], small: list[bool], positive: list[bool]) -> str | None:
    if any(out):
        return "out_of_frame"
    if all(small) and any(positive):
        return "suspect_frame_norm1"
    return None


def frame_warning(xyxy: np.ndarray, reading: Reading, target: BoxTarget) -> str | None:
    """A reason code when predicted coordinates do not look like ``reading.frame``.

    ``out_of_frame``: a coordinate lies more than 2% outside the image in that frame.
    ``suspect_frame_norm1``: every coordinate is within [0, 1] although the frame's
    extent is >= 100 (predictions normalized to 0..1 declared as norm1000 or pixels).
    The score is computed as declared; the reason makes the mismatch visible in reports.
    """
    flags = frame_flags(xyxy, reading, target)
    return None if flags is None else reduce_frame_flags(*flags)


def read_answer(completion: Any, prompt: str | None, parse: Callable[[str], ParseResult[Any]], answer: str = "tags") -> tuple[TagParse, Any, str | None]:
    """The answer (found by answer mode ``answer``), then its payload read by ``parse``:
    ``(tags, value or None, reason)``.

    ``value`` is ``None`` (with the reason) when there is no answer or the payload
    cannot be read; callers then return their minimum with that reason.
    """
    ans = extract_answer_text(completion, prompt, answer)
    if ans.text is None:
        return ans.tags, None, ans.reason
    parsed = parse(ans.text)
    if not parsed.ok:
        return ans.tags, None, parsed.reason
    return ans.tags, parsed.value, None


def box_reader(reading: Reading) -> Callable[[str], ParseResult[Any]]:
    """The box reader of the reading's dialect (``ValueError`` if it writes no boxes)."""
    d = get_dialect(reading.dialect)
    if d.read_boxes is None:
        raise ValueError(f"Expected a dialect that writes boxes, but dialect {d.name!r} writes points only")
    return d.read_boxes


def point_reader(reading: Reading) -> Callable[[str], ParseResult[Any]]:
    """The point reader of the reading's dialect (``ValueError`` if it writes no points)."""
    d = get_dialect(reading.dialect)
    if d.read_points is None:
        raise ValueError(f"Expected a dialect that writes points, but dialect {d.name!r} writes boxes only")
    return d.read_points


def read_boxes(completion: Any, prompt: str | None, reading: Reading) -> tuple[TagParse, Any, str | None]:
    """``read_answer`` with the reading's answer mode and its dialect's box reader."""
    return read_answer(completion, prompt, box_reader(reading), reading.answer)


def read_points(completion: Any, prompt: str | None, reading: Reading) -> tuple[TagParse, Any, str | None]:
    """``read_answer`` with the reading's answer mode and its dialect's point reader."""
    return read_answer(completion, prompt, point_reader(reading), reading.answer)
