"""Multi-person pose rewards (task ``multi_pose``; formulas: docs/rewards-pose.md).

Several persons per sample (task ``multi_pose``): the answer lists persons (any form
:func:`rewardkit.parsing.keypoints.parse_persons` reads, ``[]`` for none); the ground
truth is a list of COCO keypoint annotations (``{"keypoints", "area", "bbox",
"iscrowd", "num_keypoints"}``, or ``K x 3`` rows), optionally under ``"annotations"`` /
``"persons"``; an empty list is an image without persons.

* ``pose.multi_oks``: predicted and ground-truth persons matched one-to-one by the
  Hungarian algorithm on OKS (maximum total OKS ``S``); F-style, every missed or extra
  person charged as half a pair with OKS 0: ``R = 2 S / (N + M)`` = the harmonic mean of
  ``S / N`` and ``S / M`` (``N`` predicted, ``M`` ground-truth persons).
* ``pose.keypoint_ap``: COCO keypoint AP@[.5:.95] of this answer on this image, equal to
  pycocotools' ``COCOeval(iouType="keypoints")`` ``stats[0]`` on a one-image evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rewardkit.geometry.keypoints import (
    compute_oks,
    keypoint_image_ap,
)
from rewardkit.geometry.matching import match_hungarian
from rewardkit.parsing.frames import convert_points
from rewardkit.parsing.keypoints import COCO_KEYPOINT_NAMES, parse_persons
from rewardkit.parsing.poses import (
    MultiPoseTarget,
    read_multi_pose_target,
)
from rewardkit.parsing.reading import Reading, extract_answer_text
from rewardkit.rewards.base import register_reward
from rewardkit.types import RewardResult

__all__ = ["multi_oks_reward", "keypoint_ap_reward"]

_PIXEL = Reading(pred_frame="pixel")
_KP_FIELDS = ("answer", "pred_frame", "image_size", "min_pixels", "max_pixels")


def _prepare_multi(ground_truth: Any, **params: Any) -> MultiPoseTarget:
    return read_multi_pose_target(ground_truth)


def _predicted_persons(completion: Any, target: MultiPoseTarget, prompt: str | None, reading: Reading):
    """``(xy N x K x 2 with missing keypoints at inf, scores, None)`` or ``(None, None, reason)``."""
    pred_frame = reading.frame
    ans = extract_answer_text(completion, prompt, reading.answer)
    if ans.text is None:
        return None, None, ans.reason or "no_answer_tag"
    k = target.k
    names = COCO_KEYPOINT_NAMES if k in (None, 17) else tuple(f"joint_{i}" for i in range(k))
    parsed = parse_persons(ans.text, joint_names=names, num_keypoints=k)
    if not parsed.ok:
        return None, None, parsed.reason
    persons = parsed.value
    n = len(persons)
    kk = k if k is not None else (persons.keypoints[0].xy.shape[0] if n else 17)
    xy = np.full((n, kk, 2), np.inf)
    for i, person in enumerate(persons.keypoints):
        if person.xy.shape[0] != kk:
            return None, None, "wrong_keypoint_count"
        p = np.array(person.xy[:, :2], dtype=np.float64)
        if pred_frame != "pixel":
            p = convert_points(p, pred_frame, "pixel", image_size=reading.image_size, **reading.resize_kw)
        assert person.visibility is not None  # Keypoints.__post_init__ always sets it
        present = person.visibility > 0
        xy[i, present] = p[present]
    return xy, persons.scores, None


def _oks_matrix(xy: np.ndarray, target: MultiPoseTarget, sigmas: Any, cols: np.ndarray) -> np.ndarray:
    if xy.shape[0] == 0 or not cols.any():
        return np.zeros((xy.shape[0], int(cols.sum())))
    boxes = target.bboxes[cols]
    with np.errstate(invalid="ignore", over="ignore"):
        m = compute_oks(xy, target.keypoints[cols], target.areas[cols], boxes, sigmas=sigmas)
    return np.where(np.isfinite(m), m, 0.0)


_MULTI_COMPONENTS = ("matched_oks", "precision", "recall")


@register_reward(
    "pose.multi_oks",
    task="multi_pose",
    range=(0.0, 1.0),
    components=_MULTI_COMPONENTS,
    tags=("pose", "keypoints", "multi_person"),
    prepare=_prepare_multi,
    reading_fields=_KP_FIELDS,
)


def multi_oks_reward(
    completion: Any,
    ground_truth: Any,
    *,
    sigmas: Sequence[float] | None = None,
    both_empty: float = 1.0,
    reading: Reading = _PIXEL,
    prompt: str | None = None,
) -> RewardResult:
    """Multi-person OKS, F-style: ``R = 2 S / (N + M)``.

    ``N`` predicted and ``M`` ground-truth persons (crowd annotations and persons without
    labelled keypoints are not persons to find: they are left out of ``M``); ``S`` is
    the largest total OKS of a one-to-one matching (Hungarian algorithm on the ``N x M``
    OKS matrix, :func:`~rewardkit.geometry.keypoints.compute_oks`, COCO sigmas). So
    ``R`` is the mean OKS of the matched pairs with every missed or extra person counted
    as half a pair of OKS 0 (``2 S / (N + M) = S / (n_matched + |N - M| / 2)``), and the
    harmonic mean of ``precision = S / N`` and ``recall = S / M``; ``matched_oks =
    S / min(N, M)``. No person predicted on an image without persons scores
    ``both_empty`` (1.0); persons predicted there score 0.

    >>> gt = [{"keypoints": [10, 10, 2, 20, 20, 2], "area": 100}, {"keypoints": [50, 50, 2, 60, 60, 2], "area": 100}]
    >>> float(multi_oks_reward("<answer>[[[50, 50], [60, 60]], [[10, 10], [20, 20]]]</answer>", gt, sigmas=[0.5, 0.5]))
    1.0
    >>> float(multi_oks_reward("<answer>[[[10, 10], [20, 20]]]</answer>", gt, sigmas=[0.5, 0.5]))  # 2 * 1 / (1 + 2)
    0.6666666666666666
    """
    target = read_multi_pose_target(ground_truth)
    xy, _, reason = _predicted_persons(completion, target, prompt, reading)
    if xy is None:
        return RewardResult(0.0, dict.fromkeys(_MULTI_COMPONENTS, 0.0), reason)
    cols = target.persons
    n, m = int(xy.shape[0]), int(cols.sum())
    if n == 0 and m == 0:
        v = float(both_empty)
        return RewardResult(v, dict.fromkeys(_MULTI_COMPONENTS, v), None, {"n_pred": 0, "n_gt": 0, "matches": []})
    oks = _oks_matrix(xy, target, sigmas, cols)
    rows, gcols = match_hungarian(-oks) if n and m else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    pair_oks = oks[rows, gcols] if len(rows) else np.zeros(0)
    total = float(np.sum(pair_oks))
    value = 2.0 * total / (n + m)
    gt_index = np.flatnonzero(cols)
    details = {"n_pred": n, "n_gt": m, "matches": [(int(r), int(gt_index[c]), float(o)) for r, c, o in zip(rows, gcols, pair_oks)]}
    comps = {
        "matched_oks": total / len(rows) if len(rows) else 0.0,
        "precision": total / n if n else 0.0,
        "recall": total / m if m else 0.0,
    }
    return RewardResult(min(1.0, value), comps, None, details)


@register_reward(
    "pose.keypoint_ap",
    task="multi_pose",
    range=(0.0, 1.0),
    components=("ap",),
    tags=("pose", "keypoints", "multi_person", "ap"),
    prepare=_prepare_multi,
    reading_fields=_KP_FIELDS,
)


def keypoint_ap_reward(
    completion: Any,
    ground_truth: Any,
    *,
    sigmas: Sequence[float] | None = None,
    max_dets: int = 20,
    both_empty: float = 1.0,
    no_gt: float = 0.0,
    reading: Reading = _PIXEL,
    prompt: str | None = None,
) -> RewardResult:
    """COCO keypoint AP@[.5:.95] of this answer on this image, in [0, 1].

    Equal (``==``) to pycocotools' ``stats[0]`` of ``COCOeval(iouType="keypoints")`` on a
    one-image evaluation of the same persons
    (:func:`~rewardkit.geometry.keypoints.keypoint_image_ap`): OKS thresholds
    .50:.05:.95, at most ``max_dets`` (20) persons by score, crowd / unlabelled / out of
    range ground truth ignored. A person's ``"score"`` in the answer ranks it, otherwise
    every person scores 1.0 and the answer's order breaks ties. Where pycocotools gives
    -1: ``both_empty`` (no person on an image without persons, 1.0) and ``no_gt``
    (persons predicted there, 0.0). Details: ``ap50``, ``ap75``, ``ar`` (recall at 20),
    ``defined``. Like every AP with constant scores, persons appended after the correct
    ones cost nothing; ``pose.multi_oks`` charges them.

    >>> gt = [{"keypoints": [10, 10, 2, 20, 20, 2], "area": 100}]
    >>> round(float(keypoint_ap_reward("<answer>[[[10, 10], [20, 20]]]</answer>", gt, sigmas=[0.5, 0.5])), 12)  # tp / (tp + eps)
    1.0
    """
    if max_dets < 1:
        raise ValueError(f"Expected max_dets >= 1, but got {max_dets!r}")
    target = read_multi_pose_target(ground_truth)
    xy, scores, reason = _predicted_persons(completion, target, prompt, reading)
    if xy is None:
        return RewardResult(0.0, {"ap": 0.0}, reason)
    sc = None
    if scores and any(v is not None and np.isfinite(v) for v in scores):
        sc = [v if v is not None and np.isfinite(v) else 1.0 for v in scores]
    k = target.k if target.k is not None else xy.shape[1]
    r = keypoint_image_ap(
        xy, target.keypoints.reshape(-1, k, 3), target.areas, sc,
        gt_bboxes=np.where(np.isnan(target.bboxes), 0.0, target.bboxes), gt_crowd=target.crowd,
        gt_num_keypoints=target.num_keypoints, sigmas=sigmas, max_dets=max_dets, both_empty=both_empty, no_gt=no_gt,
    )
    details = {"n_pred": r.n_pred, "n_gt": r.n_gt, "ap50": r.ap50, "ap75": r.ap75, "ar": r.ar100, "defined": r.defined}
    return RewardResult(r.ap, {"ap": r.ap}, None, details)
