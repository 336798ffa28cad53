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

import math
from typing import Any, Literal

import numpy as np

from rewardkit.geometry.boxes import box_iou, box_iou_candidates
from rewardkit.geometry.matching import match_hungarian
from rewardkit.parsing.ground_truth import target_xywh_rows
from rewardkit.parsing.reading import Reading
from rewardkit.parsing.tags import TagParse
from rewardkit.rewards._common import (
    box_target,
    boxes_to_gt_frame,
    check_choice,
    check_unit,
    frame_flags,
    frame_warning,
    prepare_box_target,
    read_boxes,
    reduce_frame_flags,
    zero,
)
from rewardkit.rewards._quads import quad_f1, quad_target_or_none
from rewardkit.rewards._signatures import DetectionRewardSignature, typed_as
from rewardkit.rewards.base import new_result, register_batch, register_reward
from rewardkit.rewards.compat import resolve_compat
from rewardkit.types import Boxes, RewardResult

__all__ = ["detection_reward", "detection_f1_reward", "prepare_box_target"]

_COMPONENTS = ("iou", "confidence", "format")
_READING = Reading()


def _visual_rft_result(
    tp: TagParse,
    pred: Boxes,
    n_gt: int,
    cands: list[list[tuple[int, float]]],
    warn: str | None,
    *,
    normalize: str,
    default_confidence: float,
    empty_score: float,
) -> RewardResult:
    """R_IoU + R_conf + R_format of one completion (plain Python: for the usual handful of
    boxes this beats numpy's per-call overhead).

    ``cands[p]`` lists the ground truths ``(g, IoU)`` whose IoU with prediction ``p`` is
    above the threshold, in ascending ``g``. Greedy matching only ever accepts one of
    those: the best still-free ground truth is a match iff its IoU is above tau.
    """
    fmt = 1.0 if tp.strict else 0.0
    n_pred = pred.xyxy.shape[0]
    if n_pred == 0:
        iou_r = conf_r = float(empty_score) if n_gt == 0 else 0.0
    else:
        raw = pred.scores.tolist() if pred.scores is not None else [math.nan] * n_pred
        conf = [default_confidence if c != c else (0.0 if c < 0.0 else 1.0 if c > 1.0 else c) for c in raw]
        matched = [False] * n_pred
        ious: list[float] = []
        if n_gt and cands:
            taken: set[int] = set()
            # descending confidence, file order on ties (sorted is stable with reverse=True)
            for p in sorted(range(n_pred), key=conf.__getitem__, reverse=True):
                best, j = -1.0, -1
                for g, v in cands[p]:
                    if v > best and g not in taken:
                        best, j = v, g
                if j >= 0:
                    taken.add(j)
                    matched[p] = True
                    ious.append(best)
                    if len(taken) == n_gt:
                        break
        denom = max(n_gt, n_pred) if normalize == "max" else n_pred
        iou_r = math.fsum(ious) / denom
        conf_r = math.fsum([c if m else 1.0 - c for c, m in zip(conf, matched)]) / n_pred
    reason = (tp.reason or "bad_format") if not tp.strict else warn
    iou_r, conf_r = float(iou_r), float(conf_r)
    return new_result(iou_r + conf_r + fmt, {"iou": iou_r, "confidence": conf_r, "format": fmt}, reason, {"n_pred": n_pred, "n_gt": n_gt})


_SMALL_PAIRS = 400


def _candidates(iou: np.ndarray, threshold: float) -> list[list[tuple[int, float]]]:
    """Per row, the ``(column, value)`` pairs with value > threshold, ascending column."""
    rows, cols = np.nonzero(iou > threshold)
    out: list[list[tuple[int, float]]] = [[] for _ in range(iou.shape[0])]
    for r, c, v in zip(rows.tolist(), cols.tolist(), iou[rows, cols].tolist()):
        out[r].append((c, v))
    return out


def _check_detection_params(iou_threshold: float, normalize: str, default_confidence: float) -> None:
    if (type(iou_threshold) is float and iou_threshold == 0.5 and type(normalize) is str and normalize == "max"
            and type(default_confidence) is float and default_confidence == 1.0):
        return  # the defaults: valid (every call checks its parameters; this is the common one)
    check_unit("iou_threshold", iou_threshold)
    check_choice("normalize", normalize, ("max", "pred"))
    check_unit("default_confidence", default_confidence)


@typed_as(DetectionRewardSignature)  # the full signature for type checkers (rewards/_signatures.py)
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
    default_confidence: float = 1.0,
    empty_score: float = 1.0,
    prompt: str | None = None,
    compat: Literal["visual_rft"] | None = None,
    reading: Reading = _READING,
) -> RewardResult:
    """Visual-RFT detection reward R_d = R_IoU + R_conf + R_format (Eq. 5-8), in [0, 3].

    Parameters: ``iou_threshold`` tau (match needs IoU > tau); ``normalize`` "max"
    (divide by max(n_gt, n_pred), public code) or "pred" (divide by n_pred, paper text);
    ``default_confidence`` for boxes without a confidence; ``empty_score`` for R_IoU and
    R_conf when both the answer and the ground truth have no box; ``reading`` (or its
    fields as keywords: ``answer``, ``dialect``, ``pred_frame`` / ``gt_frame`` and
    ``image_size`` when they differ, ``min_pixels`` / ``max_pixels``). With
    ``answer="auto"`` (default) a bare answer without tags keeps R_IoU and R_conf;
    R_format stays strict.
    ``compat="visual_rft"``:
    the released reward functions end to end (:mod:`rewardkit.rewards.compat.visual_rft`;
    needs the ``compat`` extra).

    Matching order is by confidence; predictions with EQUAL confidence are taken in file
    order, so reordering tied boxes can change which one matches (as in the paper).

    >>> gt = [[10, 10, 500, 500]]
    >>> c = "<think>x</think><answer>[{'Position': [10, 10, 500, 500], 'Confidence': 0.9}]</answer>"
    >>> r = detection_reward(c, gt)
    >>> round(r.score, 3), dict(r.components)
    (2.9, {'iou': 1.0, 'confidence': 0.9, 'format': 1.0})
    """
    if resolve_compat("visual_rft.detection", compat):
        from rewardkit.rewards.compat.visual_rft import detection

        return detection(completion, ground_truth, pred_frame=reading.frame, gt_frame=reading.gt_frame, image_size=reading.image_size)
    return _detection_one(
        completion, ground_truth, iou_threshold=iou_threshold, normalize=normalize,
        default_confidence=default_confidence, empty_score=empty_score, prompt=prompt, reading=reading,
    )


def _detection_one(
    completion: Any,
    ground_truth: Any,
    *,
    iou_threshold: float,
    normalize: str,
    default_confidence: float,
    empty_score: float,
    prompt: str | None,
    reading: Reading,
) -> RewardResult:
    """:func:`_detection_batch_impl` of one completion (the same steps, without the
    group's stacking and slicing).
    """
    _check_detection_params(iou_threshold, normalize, default_confidence)
    target = box_target(ground_truth, reading)
    n_gt = target.boxes.xyxy.shape[0]
    tp, pred, reason = read_boxes(completion, prompt, reading)
    if pred is None:
        return zero(_COMPONENTS, reason)
    xyxy = pred.xyxy
    n = xyxy.shape[0]
    warn = None
    cands: list[list[tuple[int, float]]] = []
    if n:
        flags = frame_flags(xyxy, reading, target)
        if flags is not None:
            warn = reduce_frame_flags(*flags)
        if n_gt:
            xyxy = boxes_to_gt_frame(xyxy, reading, target)
            if n * n_gt <= _SMALL_PAIRS:
                dt = [[a, b, c - a, d - b] for a, b, c, d in xyxy.tolist()]
                cands = box_iou_candidates(dt, target_xywh_rows(target), iou_threshold, inclusive=False)
            else:
                cands = _candidates(box_iou(xyxy, target.boxes.xyxy), iou_threshold)
    return _visual_rft_result(tp, pred, n_gt, cands, warn, normalize=normalize,
                              default_confidence=default_confidence, empty_score=empty_score)


def _detection_batch_impl(
    completions: list[Any],
    ground_truth: Any,
    *,
    iou_threshold: float = 0.5,
    normalize: str = "max",
    default_confidence: float = 1.0,
    empty_score: float = 1.0,
    prompt: str | None = None,
    reading: Reading = _READING,
) -> list[RewardResult]:
    _check_detection_params(iou_threshold, normalize, default_confidence)
    target = box_target(ground_truth, reading)
    n_gt = len(target.boxes)
    reads = [read_boxes(c, prompt, reading) for c in completions]
    filled = [pred for _, pred, _ in reads if pred is not None and len(pred)]
    cands: list[list[tuple[int, float]]] = []
    out_f: list[bool] = []
    small_f: list[bool] = []
    pos_f: list[bool] = []
    if filled:
        # one IoU matrix and one frame check for the whole group of completions
        stacked = np.concatenate([b.xyxy for b in filled]) if len(filled) > 1 else filled[0].xyxy
        flags = frame_flags(stacked, reading, target)
        if flags is not None:
            out_f, small_f, pos_f = flags
        if n_gt:
            xyxy = boxes_to_gt_frame(stacked, reading, target)
            if xyxy.shape[0] * n_gt <= _SMALL_PAIRS:
                # plain-Python kernel (same arithmetic as box_iou): no numpy call overhead
                dt = [[a, b, c - a, d - b] for a, b, c, d in xyxy.tolist()]
                cands = box_iou_candidates(dt, target_xywh_rows(target), iou_threshold, inclusive=False)
            else:
                cands = _candidates(box_iou(xyxy, target.boxes.xyxy), iou_threshold)
    results: list[RewardResult] = []
    k = 0
    for tp, pred, reason in reads:
        if pred is None:
            results.append(zero(_COMPONENTS, reason))
            continue
        n = len(pred)
        warn = reduce_frame_flags(out_f[k : k + n], small_f[k : k + n], pos_f[k : k + n]) if n and out_f else None
        results.append(
            _visual_rft_result(
                tp, pred, n_gt, cands[k : k + n], warn, normalize=normalize,
                default_confidence=default_confidence, empty_score=empty_score,
            )
        )
        k += n
    return results


@register_batch("visual_rft.detection")
def detection_reward_batch(completions: list[Any], ground_truth: Any, **params: Any) -> list[RewardResult]:
    """The G completions of one prompt at once: one IoU matrix for the group."""
    if params.get("compat") is not None:
        return [detection_reward(c, ground_truth, **params) for c in completions]
    params.pop("compat", None)
    return _detection_batch_impl(completions, ground_truth, **params)


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
    empty_score: float = 1.0,
    prompt: str | None = None,
    reading: Reading = _READING,
) -> RewardResult:
    """Detection F1 with one-to-one matching at an IoU threshold.

    ``F1 = 2 TP / (n_pred + n_gt)``, where TP is the size of a one-to-one assignment
    (Hungarian: the most pairs passing the threshold, then the highest IoU) of predicted
    to ground-truth boxes with IoU >= ``iou_threshold`` (``>`` if not ``inclusive``).
    Duplicates cannot match twice, so box spam lowers F1 (Rex-Thinker's motivation).
    ``empty_score`` when both sides have no box. ``reading`` (or its fields as keywords)
    as for ``visual_rft.detection``. A ground truth of quadrilaterals (OCR regions,
    rotated boxes) is matched on the exact quad IoU (:mod:`rewardkit.rewards._quads`).
    """
    check_unit("iou_threshold", iou_threshold)
    quads = quad_target_or_none(ground_truth, reading.image_size)
    if quads is not None:
        return quad_f1(completion, quads, reading, iou_threshold=iou_threshold, inclusive=inclusive,
                       empty_score=empty_score, prompt=prompt)
    target = box_target(ground_truth, reading)
    _, pred, reason = read_boxes(completion, prompt, reading)
    if pred is None:
        return zero(("f1",), reason)
    n_pred, n_gt = len(pred), len(target.boxes)
    if n_pred == 0 and n_gt == 0:
        return RewardResult(float(empty_score), {"f1": float(empty_score)}, None)
    if n_pred == 0 or n_gt == 0:
        return RewardResult(0.0, {"f1": 0.0}, None, {"n_pred": n_pred, "n_gt": n_gt})
    warn = frame_warning(pred.xyxy, reading, target)
    xyxy = boxes_to_gt_frame(pred.xyxy, reading, target)
    iou = box_iou(xyxy, target.boxes.xyxy)
    ok = iou >= iou_threshold if inclusive else iou > iou_threshold
    pi, gi = match_hungarian(-(ok.astype(np.float64) + 1e-3 * iou))
    n_tp = int(ok[pi, gi].sum())
    f1 = 2.0 * n_tp / (n_pred + n_gt)
    return RewardResult(f1, {"f1": f1}, warn, {"tp": n_tp, "n_pred": n_pred, "n_gt": n_gt})
