"""Grounding rewards: one predicted box against the referred object (REC, reasoning
grounding). SPEC 2.4.

* ``grounding.iou``: IoU (VLM-R1, UniVG-R1).
* ``grounding.iou_squared``: IoU^2 (Perception-R1).
* ``grounding.giou_plus_one``: GIoU + 1, in [0, 2] (Visual-RFT on LISA).
* ``grounding.accuracy``: 1 if IoU passes a threshold, with ``>=`` (Qwen-VL, InternVL
  evaluators) or ``>`` (VLM-R1, Griffon) as the ``comparison`` parameter.

One area convention (continuous coordinates, no "+1"). An answer with several boxes
scores 0 by default (``multiple="zero"``, reason ``multiple_boxes``): reading only the
first box, as the public REC rewards do (``multiple="first"``), pays "correct box plus
junk" and "ten copies of the correct box". A ground truth with several boxes (several
referents) scores against the best-overlapping one.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from rewardkit.geometry.boxes import box_giou, box_iou
from rewardkit.parsing.boxes import parse_boxes
from rewardkit.parsing.ground_truth import read_box_target
from rewardkit.rewards._common import (
    boxes_to_gt_frame,
    check_choice,
    check_unit,
    frame_warning,
    read_answer,
    zero,
)
from rewardkit.rewards.base import BadGroundTruth, register_reward
from rewardkit.rewards.compat import resolve_compat
from rewardkit.rewards.detection import prepare_box_target
from rewardkit.types import RewardResult

__all__ = ["grounding_reward", "grounding_iou_squared_reward", "grounding_giou_reward", "grounding_accuracy_reward"]

Kind = Literal["iou", "iou_squared", "giou_plus_one", "accuracy"]


def _grounding(
    kind: Kind,
    completion: Any,
    ground_truth: Any,
    *,
    pred_frame: str,
    gt_frame: str,
    image_size: Any,
    multiple: str,
    prompt: str | None,
    min_pixels: int | None,
    max_pixels: int | None,
    threshold: float = 0.5,
    comparison: str = ">=",
) -> RewardResult:
    comp = (kind,)
    check_choice("multiple", multiple, ("first", "zero"))
    target = read_box_target(ground_truth, image_size=image_size)
    if len(target.boxes) == 0:
        raise BadGroundTruth("Expected at least one ground-truth box for grounding, but got none")
    _, pred, reason = read_answer(completion, prompt, parse_boxes)
    if pred is None:
        return zero(comp, reason)
    if len(pred) == 0:
        return zero(comp, "no_boxes")
    if len(pred) > 1 and multiple == "zero":
        return zero(comp, "multiple_boxes")
    warn = frame_warning(pred.xyxy[:1], pred_frame, target, min_pixels=min_pixels, max_pixels=max_pixels)
    xyxy = boxes_to_gt_frame(pred.xyxy[:1], pred_frame, gt_frame, target, min_pixels=min_pixels, max_pixels=max_pixels)
    iou = float(np.max(box_iou(xyxy, target.boxes.xyxy)))
    if kind == "iou":
        value = iou
    elif kind == "iou_squared":
        value = iou * iou
    elif kind == "giou_plus_one":
        value = float(np.max(box_giou(xyxy, target.boxes.xyxy))) + 1.0
    else:
        value = 1.0 if (iou >= threshold if comparison == ">=" else iou > threshold) else 0.0
    return RewardResult(value, {kind: value}, warn, {"iou": iou, "n_boxes": len(pred)})


_TAGS = ("grounding", "boxes", "rec")


@register_reward("grounding.iou", task="grounding", range=(0.0, 1.0), components=("iou",), tags=(*_TAGS, "vlm-r1"), prepare=prepare_box_target)
def grounding_reward(
    completion: Any,
    ground_truth: Any,
    *,
    pred_frame: str = "norm1000",
    gt_frame: str = "norm1000",
    image_size: Any = None,
    multiple: Literal["first", "zero"] = "zero",
    prompt: str | None = None,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
) -> RewardResult:
    """R = IoU(predicted box, ground-truth box), in [0, 1] (VLM-R1 REC reward).

    >>> float(grounding_reward("<answer>[0, 0, 100, 100]</answer>", [0, 0, 100, 50]))
    0.5
    """
    return _grounding("iou", completion, ground_truth, pred_frame=pred_frame, gt_frame=gt_frame, image_size=image_size,
                      multiple=multiple, prompt=prompt, min_pixels=min_pixels, max_pixels=max_pixels)


@register_reward("grounding.iou_squared", task="grounding", range=(0.0, 1.0), components=("iou_squared",), tags=(*_TAGS, "perception-r1"), prepare=prepare_box_target)
def grounding_iou_squared_reward(
    completion: Any,
    ground_truth: Any,
    *,
    pred_frame: str = "norm1000",
    gt_frame: str = "norm1000",
    image_size: Any = None,
    multiple: Literal["first", "zero"] = "zero",
    prompt: str | None = None,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
) -> RewardResult:
    """R = IoU^2 (Perception-R1), in [0, 1]."""
    return _grounding("iou_squared", completion, ground_truth, pred_frame=pred_frame, gt_frame=gt_frame, image_size=image_size,
                      multiple=multiple, prompt=prompt, min_pixels=min_pixels, max_pixels=max_pixels)


@register_reward("grounding.giou_plus_one", task="grounding", range=(0.0, 2.0), components=("giou_plus_one",), tags=(*_TAGS, "visual_rft", "lisa"), prepare=prepare_box_target)
def grounding_giou_reward(
    completion: Any,
    ground_truth: Any,
    *,
    pred_frame: str = "norm1000",
    gt_frame: str = "norm1000",
    image_size: Any = None,
    multiple: Literal["first", "zero"] = "zero",
    prompt: str | None = None,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    compat: Literal["visual_rft"] | None = None,
) -> RewardResult:
    """R = GIoU + 1, in [0, 2] (Visual-RFT reasoning grounding on LISA).

    ``compat="visual_rft"``: the released LISA accuracy reward end to end
    (:mod:`rewardkit.rewards.compat.visual_rft`; needs the ``compat`` extra).
    """
    if resolve_compat("grounding.giou_plus_one", compat):
        from rewardkit.rewards.compat.visual_rft import lisa_giou

        return lisa_giou(completion, ground_truth, pred_frame=pred_frame, gt_frame=gt_frame, image_size=image_size)
    return _grounding("giou_plus_one", completion, ground_truth, pred_frame=pred_frame, gt_frame=gt_frame, image_size=image_size,
                      multiple=multiple, prompt=prompt, min_pixels=min_pixels, max_pixels=max_pixels)


@register_reward("grounding.accuracy", task="grounding", range=(0.0, 1.0), components=("accuracy",), tags=(*_TAGS, "refcoco"), prepare=prepare_box_target)
def grounding_accuracy_reward(
    completion: Any,
    ground_truth: Any,
    *,
    threshold: float = 0.5,
    comparison: Literal[">=", ">"] = ">=",
    pred_frame: str = "norm1000",
    gt_frame: str = "norm1000",
    image_size: Any = None,
    multiple: Literal["first", "zero"] = "zero",
    prompt: str | None = None,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
) -> RewardResult:
    """R = 1 if IoU >= threshold (``comparison=">"``: strictly above) else 0."""
    check_unit("threshold", threshold)
    check_choice("comparison", comparison, (">=", ">"))
    return _grounding("accuracy", completion, ground_truth, pred_frame=pred_frame, gt_frame=gt_frame, image_size=image_size,
                      multiple=multiple, prompt=prompt, min_pixels=min_pixels, max_pixels=max_pixels,
                      threshold=threshold, comparison=comparison)
