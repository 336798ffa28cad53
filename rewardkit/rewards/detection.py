"""Detection rewards: Visual-RFT's R_d and detection F1.

Visual-RFT (Liu et al., 2025, "Visual-RFT: Visual Reinforcement Fine-Tuning", Eq. 5-8)::

    R_d = R_IoU + R_conf + R_format

* Predicted boxes are sorted by confidence (descending, stable); each in turn is matched
  to the still-unmatched ground-truth box of highest IoU, if that IoU is above the
  threshold tau (``IoU > tau``, as the public code). Unmatched predictions have IoU 0.
* ``R_IoU = sum(matched IoU) / D`` with ``D = max(n_gt, n_pred)`` (``normalize="max"``,
  the public code: missed objects cost too) or ``D = n_pred`` (``normalize="pred"``, the
  paper's wording "average IoU of all boxes in the output").
* ``R_conf = mean_i (c_i if box i matched else 1 - c_i)`` over predicted boxes.
* ``R_format``: the strict think/answer format (:mod:`rewardkit.rewards.format`).

Defects of the public code fixed here: the answer is read across newlines (DOTALL); no
math-verify pre-check (which granted full reward for one stray number); ``[]`` or
"No Objects" on an image with no object earns ``R_IoU = R_conf = empty_score`` instead of
crashing, so the negative answer is learnable. An unreadable payload scores the minimum
(0, format included) with a reason.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from rewardkit.geometry.boxes import box_iou
from rewardkit.geometry.matching import match_greedy_confidence, match_hungarian
from rewardkit.parsing.boxes import parse_boxes
from rewardkit.parsing.ground_truth import BoxTarget, read_box_target
from rewardkit.parsing.tags import parse_completion
from rewardkit.rewards._common import (
    boxes_to_gt_frame,
    check_choice,
    check_unit,
    frame_warning,
    zero,
)
from rewardkit.rewards.base import register_reward
from rewardkit.types import RewardResult

__all__ = ["detection_reward", "detection_f1_reward", "prepare_box_target"]

_COMPONENTS = ("iou", "confidence", "format")


def prepare_box_target(ground_truth: Any, *, image_size: Any = None, **_: Any) -> BoxTarget:
    """Parse box ground truth once per prompt (``Reward.score_batch`` calls this)."""
    return read_box_target(ground_truth, image_size=image_size)


@register_reward(
    "visual_rft.detection",
    task="detection",
    range=(0.0, 3.0),
    components=_COMPONENTS,
    tags=("visual_rft", "paper:Visual-RFT", "boxes"),
    prepare=prepare_box_target,
)
def detection_reward(
    completion: Any,
    ground_truth: Any,
    *,
    iou_threshold: float = 0.5,
    normalize: Literal["max", "pred"] = "max",
    pred_frame: str = "norm1000",
    gt_frame: str = "norm1000",
    image_size: Any = None,
    default_confidence: float = 1.0,
    empty_score: float = 1.0,
    prompt: str | None = None,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
) -> RewardResult:
    """Visual-RFT detection reward R_d = R_IoU + R_conf + R_format (Eq. 5-8), in [0, 3].

    Parameters: ``iou_threshold`` tau (match needs IoU > tau); ``normalize`` "max"
    (divide by max(n_gt, n_pred), public code) or "pred" (divide by n_pred, paper text);
    ``pred_frame`` / ``gt_frame`` and ``image_size`` (width, height) when they differ;
    ``default_confidence`` for boxes without a confidence; ``empty_score`` for R_IoU and
    R_conf when both the answer and the ground truth have no box.

    >>> gt = [[10, 10, 500, 500]]
    >>> c = "<think>x</think><answer>[{'Position': [10, 10, 500, 500], 'Confidence': 0.9}]</answer>"
    >>> r = detection_reward(c, gt)
    >>> round(r.score, 3), dict(r.components)
    (2.9, {'iou': 1.0, 'confidence': 0.9, 'format': 1.0})
    """
    check_unit("iou_threshold", iou_threshold)
    check_choice("normalize", normalize, ("max", "pred"))
    check_unit("default_confidence", default_confidence)
    target = read_box_target(ground_truth, image_size=image_size)
    tp = parse_completion(completion, prompt)
    if tp.answer is None:
        return zero(_COMPONENTS, tp.reason)
    parsed = parse_boxes(tp.answer)
    if not parsed.ok:
        return zero(_COMPONENTS, parsed.reason)
    fmt = 1.0 if tp.strict else 0.0
    pred = parsed.value
    n_pred, n_gt = len(pred), len(target.boxes)
    warn = frame_warning(pred.xyxy, pred_frame, target, min_pixels=min_pixels, max_pixels=max_pixels)
    if n_pred == 0 and n_gt == 0:
        iou_r = conf_r = float(empty_score)
    elif n_pred == 0:
        iou_r = conf_r = 0.0
    else:
        xyxy = boxes_to_gt_frame(pred.xyxy, pred_frame, gt_frame, target, min_pixels=min_pixels, max_pixels=max_pixels)
        conf = pred.scores if pred.scores is not None else np.full(n_pred, np.nan)
        conf = np.clip(np.where(np.isnan(conf), default_confidence, conf), 0.0, 1.0)
        matched = np.zeros(n_pred, dtype=bool)
        iou_sum = 0.0
        if n_gt:
            iou = box_iou(xyxy, target.boxes.xyxy)
            pi, gi = match_greedy_confidence(iou, conf, threshold=iou_threshold, inclusive=False)
            matched[pi] = True
            iou_sum = float(iou[pi, gi].sum())
        denom = max(n_gt, n_pred) if normalize == "max" else n_pred
        iou_r = iou_sum / denom
        conf_r = float(np.where(matched, conf, 1.0 - conf).mean())
    score = iou_r + conf_r + fmt
    reason = (tp.reason or "bad_format") if not tp.strict else warn
    return RewardResult(score, {"iou": iou_r, "confidence": conf_r, "format": fmt}, reason, {"n_pred": n_pred, "n_gt": n_gt})


@register_reward(
    "detection.f1",
    task="detection",
    range=(0.0, 1.0),
    components=("f1",),
    tags=("boxes", "rex-thinker"),
    prepare=prepare_box_target,
)
def detection_f1_reward(
    completion: Any,
    ground_truth: Any,
    *,
    iou_threshold: float = 0.5,
    inclusive: bool = True,
    pred_frame: str = "norm1000",
    gt_frame: str = "norm1000",
    image_size: Any = None,
    empty_score: float = 1.0,
    prompt: str | None = None,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
) -> RewardResult:
    """Detection F1 with one-to-one matching at an IoU threshold.

    ``F1 = 2 TP / (n_pred + n_gt)``, where TP is the size of a one-to-one assignment
    (Hungarian: the most pairs passing the threshold, then the highest IoU) of predicted
    to ground-truth boxes with IoU >= ``iou_threshold`` (``>`` if not ``inclusive``).
    Duplicates cannot match twice, so box spam lowers F1 (Rex-Thinker's motivation).
    ``empty_score`` when both sides have no box.
    """
    check_unit("iou_threshold", iou_threshold)
    target = read_box_target(ground_truth, image_size=image_size)
    tp = parse_completion(completion, prompt)
    if tp.answer is None:
        return zero(("f1",), tp.reason)
    parsed = parse_boxes(tp.answer)
    if not parsed.ok:
        return zero(("f1",), parsed.reason)
    n_pred, n_gt = len(parsed.value), len(target.boxes)
    if n_pred == 0 and n_gt == 0:
        return RewardResult(float(empty_score), {"f1": float(empty_score)}, None)
    if n_pred == 0 or n_gt == 0:
        return RewardResult(0.0, {"f1": 0.0}, None, {"n_pred": n_pred, "n_gt": n_gt})
    warn = frame_warning(parsed.value.xyxy, pred_frame, target, min_pixels=min_pixels, max_pixels=max_pixels)
    xyxy = boxes_to_gt_frame(parsed.value.xyxy, pred_frame, gt_frame, target, min_pixels=min_pixels, max_pixels=max_pixels)
    iou = box_iou(xyxy, target.boxes.xyxy)
    ok = iou >= iou_threshold if inclusive else iou > iou_threshold
    pi, gi = match_hungarian(-(ok.astype(np.float64) + 1e-3 * iou))
    n_tp = int(ok[pi, gi].sum())
    f1 = 2.0 * n_tp / (n_pred + n_gt)
    return RewardResult(f1, {"f1": f1}, warn, {"tp": n_tp, "n_pred": n_pred, "n_gt": n_gt})
