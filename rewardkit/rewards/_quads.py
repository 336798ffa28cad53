"""Quadrilateral ground truth for ``detection.f1`` and the grounding rewards (issue 19).

When a sample's ground truth holds quads (:func:`rewardkit.parsing.polygons.looks_like_quads`:
OCR regions as four corners, rotated boxes), these rewards read the answer as quads
(:func:`rewardkit.parsing.polygons.parse_quads`: 8-number lists, four points, Florence-2
``<loc_..>`` x 8; an answer of axis-aligned boxes is read as rectangles) and compare
them with the exact quad IoU (:func:`rewardkit.geometry.polygons.quad_iou`) instead of
axis-aligned box IoU. Frames convert every corner as a point. With the ``florence2``
dialect, ``<loc_..>`` bins are dequantized as the dialect does (``(bin + 0.5) / 1000``,
the ``norm1`` frame).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from rewardkit.errors import BadGroundTruth
from rewardkit.geometry.matching import match_hungarian
from rewardkit.geometry.polygons import quad_giou, quad_iou
from rewardkit.parsing.frames import check_frame, convert_points
from rewardkit.parsing.quads import QuadTarget, looks_like_quads, parse_quads, read_quad_target
from rewardkit.parsing.reading import Reading
from rewardkit.rewards._common import box_reader, read_answer, zero
from rewardkit.types import ParseResult, Quads, RewardResult

__all__ = ["quad_target_or_none", "read_pred_quads", "quad_grounding", "quad_f1"]

_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_EIGHT = re.compile(r"\[\s*" + r"\s*,\s*".join([_NUM] * 8) + r"\s*\]")


def quad_target_or_none(ground_truth: Any, image_size: Any = None) -> QuadTarget | None:
    """A :class:`QuadTarget` when the ground truth holds quads, else ``None`` (boxes).

    Args:
        ground_truth: The ground truth.
        image_size: ``(width, height)`` of the image, when known.

    Returns:
        The :class:`QuadTarget`, or None when the ground truth holds boxes.

    Raises:
        BadGroundTruth: quad-shaped ground truth that cannot be read.
    """
    if isinstance(ground_truth, QuadTarget) or looks_like_quads(ground_truth):
        return read_quad_target(ground_truth, image_size=image_size)
    if isinstance(ground_truth, str) and ("<loc_" in ground_truth or _EIGHT.search(ground_truth)):
        return read_quad_target(ground_truth, image_size=image_size)
    return None


def read_pred_quads(answer: str, reading: Reading | None = None) -> ParseResult[Quads]:
    """Quads from an answer; an answer of axis-aligned boxes is read as rectangles.

    The boxes are read by the reading's dialect.

    Args:
        answer: The answer text.
        reading: How to read the answer (the default :class:`Reading` when None).

    Returns:
        A :class:`~rewardkit.types.ParseResult` of :class:`~rewardkit.types.Quads`
        (``details["from_boxes"]`` for boxes), or the quad reader's failure.
    """
    res = parse_quads(answer)
    if res.ok:
        if reading is not None and reading.dialect == "florence2" and res.details.get("format") == "florence2":
            return ParseResult(Quads((res.value.corners + 0.5) / 1000.0, res.value.scores, res.value.labels), True, None, res.details)
        return res
    boxes = (box_reader(reading) if reading is not None else box_reader(Reading()))(answer)
    if boxes.ok:
        return ParseResult(Quads.from_boxes(boxes.value), True, None, {**boxes.details, "from_boxes": True})
    return res


def _to_gt_frame(q: Quads, reading: Reading, target: QuadTarget) -> Quads:
    gt_frame = target.frame or reading.gt_frame
    check_frame(gt_frame)
    pred_frame = reading.frame
    if pred_frame == gt_frame or len(q) == 0:
        return q
    size = target.image_size if target.image_size is not None else reading.image_size
    pts = convert_points(q.corners.reshape(-1, 2), pred_frame, gt_frame, size, **reading.resize_kw)
    return Quads(pts.reshape(-1, 4, 2), q.scores, q.labels)


def quad_grounding(
    kind: str,
    completion: Any,
    target: QuadTarget,
    reading: Reading,
    *,
    multiple: str,
    prompt: str | None,
    threshold: float = 0.5,
    comparison: str = ">=",
) -> RewardResult:
    """The grounding rewards on quads.

    IoU, IoU^2, GIoU + 1 or thresholded accuracy of the predicted quad against the
    best-overlapping ground-truth quad.

    Args:
        kind: ``"iou"``, ``"iou_squared"``, ``"giou_plus_one"``, or another component
            name for thresholded accuracy.
        completion: The model's completion.
        target: The ground-truth quads.
        reading: How to read the answer.
        multiple: ``"zero"`` scores an answer of several quads 0; else the first counts.
        prompt: The prompt (for answer extraction), or None.
        threshold: The IoU threshold of the accuracy.
        comparison: ``">="`` or ``">"`` against ``threshold``.

    Returns:
        A :class:`~rewardkit.types.RewardResult` with one component ``kind``.

    Raises:
        BadGroundTruth: no ground-truth quad.
    """
    comp = (kind,)
    if len(target.quads) == 0:
        raise BadGroundTruth("Expected at least one ground-truth quad for grounding, but got none")
    _, pred, reason = read_answer(completion, prompt, lambda a: read_pred_quads(a, reading), reading.answer)
    if pred is None:
        return zero(comp, reason)
    if len(pred) == 0:
        return zero(comp, "no_boxes")
    if len(pred) > 1 and multiple == "zero":
        return zero(comp, "multiple_boxes")
    q = _to_gt_frame(Quads(pred.corners[:1]), reading, target)
    iou = float(np.max(quad_iou(q, target.quads)))
    if kind == "iou":
        value = iou
    elif kind == "iou_squared":
        value = iou * iou
    elif kind == "giou_plus_one":
        value = float(np.max(quad_giou(q, target.quads))) + 1.0
    else:
        value = 1.0 if (iou >= threshold if comparison == ">=" else iou > threshold) else 0.0
    return RewardResult(value, {kind: value}, None, {"iou": iou, "n_boxes": len(pred), "quads": True})


def quad_f1(
    completion: Any,
    target: QuadTarget,
    reading: Reading,
    *,
    iou_threshold: float,
    inclusive: bool,
    empty_score: float,
    prompt: str | None,
) -> RewardResult:
    """``detection.f1`` on quads: one-to-one Hungarian matching on the exact quad IoU.

    Args:
        completion: The model's completion.
        target: The ground-truth quads.
        reading: How to read the answer.
        iou_threshold: The IoU of a true positive.
        inclusive: ``IoU >= iou_threshold`` (True) or ``>`` (False).
        empty_score: The score when both the answer and the ground truth are empty.
        prompt: The prompt (for answer extraction), or None.

    Returns:
        A :class:`~rewardkit.types.RewardResult` with component ``f1``.
    """
    _, pred, reason = read_answer(completion, prompt, lambda a: read_pred_quads(a, reading), reading.answer)
    if pred is None:
        return zero(("f1",), reason)
    n_pred, n_gt = len(pred), len(target.quads)
    if n_pred == 0 and n_gt == 0:
        return RewardResult(float(empty_score), {"f1": float(empty_score)}, None)
    if n_pred == 0 or n_gt == 0:
        return RewardResult(0.0, {"f1": 0.0}, None, {"n_pred": n_pred, "n_gt": n_gt})
    q = _to_gt_frame(pred, reading, target)
    iou = quad_iou(q, target.quads)
    ok = iou >= iou_threshold if inclusive else iou > iou_threshold
    pi, gi = match_hungarian(-(ok.astype(np.float64) + 1e-3 * iou))
    n_tp = int(ok[pi, gi].sum())
    f1 = 2.0 * n_tp / (n_pred + n_gt)
    return RewardResult(f1, {"f1": f1}, None, {"tp": n_tp, "n_pred": n_pred, "n_gt": n_gt, "quads": True})
