"""Pose rewards (Pose-RFT, and the survey's infant-pose case; formulas: docs/rewards-pose.md).

One person per sample. The completion's answer holds keypoints in any form
:func:`rewardkit.parsing.keypoints.parse_keypoints` reads (``[[x, y], ...]``,
``[[x, y, v], ...]``, named COCO-17 joints). Ground truth: a COCO keypoint annotation
``{"keypoints": [x, y, v] * K, "area": a, "bbox": [x, y, w, h]}``, or ``K x 3`` rows
``[x, y, v]`` (then ``area`` comes from the parameter, or from the bbox / the extent of
the labelled keypoints). Predicted keypoints that are missing (visibility 0, ``null``,
absent from a named payload) are treated as infinitely far away. The answer is found by
the answer mode (``answer="auto"``: the answer block, or a bare completion without
think blocks); ``pred_frame`` / ``image_size`` / ``min_pixels`` / ``max_pixels`` (or
``reading=Reading(...)``) give the frame of the predicted keypoints (ground truth in
pixels).

* ``pose.oks``: R = OKS (COCO sigmas, area-normalized, GT-visibility-aware), identical to
  ``COCOeval.computeOks`` on the same pair.
* ``pose.pck``: fraction of labelled keypoints within ``threshold * scale``; scale = the
  larger side of the GT bbox (``normalize="bbox"``) or the torso diameter (distance
  left shoulder - right hip, ``"torso"``), or a number.
* ``pose.recall_weighted`` (missed keypoints cost more than misplaced or false ones):
  per labelled GT keypoint k with OKS similarity ``ks_k``, a predicted one costs
  ``1 - ks_k`` (at most 1), a missed one costs ``miss_weight`` (default 2); a predicted
  keypoint where the GT is unlabelled costs ``false_weight`` (default 0.5);
  ``R = 1 - cost / (miss_weight * n_labelled + false_weight * n_unlabelled)`` in [0, 1].
* ``pose.plausibility``: anatomical plausibility of the predicted pose alone (2-D or 3-D)
  against a body profile (``"adult_coco17"``, or one built from annotated poses with
  :func:`~rewardkit.geometry.body_profiles.profile_from_samples`; see
  :mod:`rewardkit.geometry.body_profiles` for the numbers and their sources): mean of
  the bone-ratio, left/right symmetry and joint-angle component scores; each check
  scores 1 inside its range and ``max(0, 1 - excess / margin)`` outside (``excess``
  relative to the violated bound).
* ``pose.mpjpe`` (3-D): ``R = max(0, 1 - MPJPE / max_error)`` after root alignment
  (default; root = mid-hip for COCO-17, else joint 0) or Procrustes alignment.

Several persons per sample (task ``multi_pose``): :mod:`rewardkit.rewards.multi_pose`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from rewardkit.geometry.body_profiles import get_profile
from rewardkit.geometry.keypoints import (
    _sigmas,
    compute_oks,
    keypoint_similarities,
    mpjpe,
)
from rewardkit.geometry.plausibility import plausibility_scores
from rewardkit.parsing.frames import convert_points
from rewardkit.parsing.keypoints import COCO_KEYPOINT_NAMES, parse_keypoints
from rewardkit.parsing.poses import (
    MultiPoseTarget,
    PoseTarget,
    pose_area,
    read_multi_pose_target,
    read_pose_target,
)
from rewardkit.parsing.reading import Reading, extract_answer_text
from rewardkit.rewards.base import BadGroundTruth, register_reward
from rewardkit.rewards.multi_pose import keypoint_ap_reward, multi_oks_reward
from rewardkit.types import RewardResult

__all__ = [
    "PoseTarget",
    "read_pose_target",
    "oks_reward",
    "pck_reward",
    "recall_weighted_reward",
    "plausibility_reward",
    "mpjpe_reward",
    "plausibility_scores",
    "MultiPoseTarget",
    "read_multi_pose_target",
    "multi_oks_reward",
    "keypoint_ap_reward",
]


def _sigmas_for(target: PoseTarget, sigmas: Any) -> np.ndarray:
    """The per-keypoint sigmas for this ground truth; a ground truth whose keypoint count
    does not match them (COCO's 17 by default) does not apply (``bad_ground_truth``).
    """
    try:
        return _sigmas(sigmas, target.k)
    except ValueError as exc:
        raise BadGroundTruth(f"{exc} (the ground truth has {target.k} keypoints; pass `sigmas` for them)") from None


def _prepare_2d(ground_truth: Any, **params: Any) -> PoseTarget:
    return read_pose_target(ground_truth, area=params.get("area"))


def _prepare_3d(ground_truth: Any, **params: Any) -> PoseTarget:
    return read_pose_target(ground_truth, dims=3)


def _predicted(completion: Any, target: PoseTarget, prompt: str | None, reading: Reading, dims: int = 2) -> tuple[np.ndarray | None, np.ndarray | None, str | None]:
    """Predicted coordinates (missing -> inf) and a 'predicted' flag per keypoint."""
    pred_frame = reading.frame
    ans = extract_answer_text(completion, prompt, reading.answer)
    if ans.text is None:
        return None, None, ans.reason or "no_answer_tag"
    names = COCO_KEYPOINT_NAMES if target.k == 17 else tuple(f"joint_{i}" for i in range(target.k))
    parsed = parse_keypoints(ans.text, joint_names=names, num_keypoints=target.k, dims=dims)
    if not parsed.ok:
        return None, None, parsed.reason
    xy = np.array(parsed.value.xy, dtype=np.float64)
    assert parsed.value.visibility is not None  # Keypoints.__post_init__ always sets it
    present = parsed.value.visibility > 0
    if pred_frame != "pixel" and dims == 2:
        xy = convert_points(xy, pred_frame, "pixel", image_size=reading.image_size, **reading.resize_kw)
    xy[~present] = np.inf
    return xy, present, None


_PIXEL = Reading(pred_frame="pixel")
_ANSWER = Reading()
_KP_FIELDS = ("answer", "pred_frame", "image_size", "min_pixels", "max_pixels")


@register_reward("pose.oks", task="pose", range=(0.0, 1.0), components=("oks",), tags=("pose", "keypoints", "pose-rft"), prepare=_prepare_2d,
                 reading_fields=_KP_FIELDS)


def oks_reward(
    completion: Any,
    ground_truth: Any,
    *,
    area: float | None = None,
    sigmas: Sequence[float] | None = None,
    reading: Reading = _PIXEL,
    prompt: str | None = None,
) -> RewardResult:
    """R = OKS = mean over labelled GT keypoints of exp(-d^2 / (2 s^2 (2 sigma)^2)), s^2 = area.

    >>> float(oks_reward("<answer>[[10, 10], [20, 20]]</answer>", {"keypoints": [10, 10, 2, 20, 20, 2], "area": 100}, sigmas=[0.5, 0.5]))
    1.0
    """
    target = read_pose_target(ground_truth, area=area)
    _sigmas_for(target, sigmas)
    xy, present, reason = _predicted(completion, target, prompt, reading)
    if xy is None or present is None:  # None together
        return RewardResult(0.0, {"oks": 0.0}, reason)
    gt = np.concatenate([target.coords, target.visibility[:, None]], axis=1)
    if target.bbox is None and not (target.visibility > 0).any():
        raise BadGroundTruth("A ground truth without labelled keypoints needs its bbox")
    with np.errstate(invalid="ignore", over="ignore"):
        value = float(compute_oks(xy[None], gt[None], [pose_area(target)], None if target.bbox is None else target.bbox[None], sigmas=sigmas)[0, 0])
    if not np.isfinite(value):
        value = 0.0
    return RewardResult(value, {"oks": value}, None, {"n_predicted": int(present.sum())})


def _pck_scale(target: PoseTarget, normalize: Any) -> float:
    if isinstance(normalize, int | float) and not isinstance(normalize, bool):
        return float(normalize)
    if normalize == "bbox":
        if target.bbox is not None:
            return float(max(target.bbox[2], target.bbox[3]))
        lab = target.visibility > 0
        ext = target.coords[lab].max(axis=0) - target.coords[lab].min(axis=0) if lab.sum() >= 2 else np.zeros(2)
        return float(ext.max())
    if normalize == "torso":
        if target.k != 17 or not (target.visibility[[5, 12]] > 0).all():
            raise BadGroundTruth("normalize='torso' needs COCO-17 with left shoulder and right hip labelled")
        return float(np.linalg.norm(target.coords[5] - target.coords[12]))
    raise ValueError(f"Expected normalize 'bbox', 'torso' or a number, but got {normalize!r}")


@register_reward("pose.pck", task="pose", range=(0.0, 1.0), components=("pck",), tags=("pose", "keypoints", "pose-rft"), prepare=_prepare_2d,
                 reading_fields=_KP_FIELDS)


def pck_reward(
    completion: Any,
    ground_truth: Any,
    *,
    threshold: float = 0.2,
    normalize: Literal["bbox", "torso"] | float = "bbox",
    reading: Reading = _PIXEL,
    prompt: str | None = None,
) -> RewardResult:
    """R = PCK = mean over labelled GT keypoints of [||p - g|| <= threshold * scale].

    >>> float(pck_reward("<answer>[[0, 0], [100, 100]]</answer>", {"keypoints": [0, 0, 2, 100, 100, 2], "bbox": [0, 0, 100, 100]}))
    1.0
    """
    if not threshold > 0:
        raise ValueError(f"Expected a positive threshold, but got {threshold!r}")
    target = read_pose_target(ground_truth)
    lab = target.visibility > 0
    if not lab.any():
        raise BadGroundTruth("PCK needs at least one labelled ground-truth keypoint")
    scale = _pck_scale(target, normalize)
    if not scale > 0:
        raise BadGroundTruth("PCK scale of the ground truth is 0")
    xy, present, reason = _predicted(completion, target, prompt, reading)
    if xy is None:
        return RewardResult(0.0, {"pck": 0.0}, reason)
    with np.errstate(invalid="ignore"):
        dist = np.linalg.norm(xy[lab] - target.coords[lab], axis=1)
    value = float(np.mean(np.nan_to_num(dist, nan=np.inf) <= threshold * scale))
    return RewardResult(value, {"pck": value}, None, {"scale": scale})


@register_reward(
    "pose.recall_weighted",
    task="pose",
    range=(0.0, 1.0),
    components=("similarity", "missed", "false"),
    tags=("pose", "keypoints", "safety"),
    prepare=_prepare_2d,
    reading_fields=_KP_FIELDS,
)


def recall_weighted_reward(
    completion: Any,
    ground_truth: Any,
    *,
    miss_weight: float = 2.0,
    false_weight: float = 0.5,
    area: float | None = None,
    sigmas: Sequence[float] | None = None,
    reading: Reading = _PIXEL,
    empty_score: float = 1.0,
    prompt: str | None = None,
) -> RewardResult:
    """R = 1 - [sum_pred (1 - ks_k) + miss_weight * n_missed + false_weight * n_false]
    / (miss_weight * n_labelled + false_weight * n_unlabelled).

    ``miss_weight > 1`` makes a missed keypoint cost more than any misplaced one (whose cost
    is at most 1). Components: mean similarity over labelled keypoints, fraction missed,
    fraction of unlabelled keypoints predicted. ``empty_score`` when the denominator is 0.

    >>> gt = {"keypoints": [10, 10, 2, 20, 20, 2, 0, 0, 0], "area": 100}
    >>> float(recall_weighted_reward("<answer>[[10, 10, 2], [20, 20, 2], [0, 0, 0]]</answer>", gt, sigmas=[0.5] * 3))
    1.0
    """
    if miss_weight < 0 or false_weight < 0:
        raise ValueError("Expected non-negative miss_weight and false_weight")
    target = read_pose_target(ground_truth, area=area)
    sig = _sigmas_for(target, sigmas)
    xy, present, reason = _predicted(completion, target, prompt, reading)
    comps = ("similarity", "missed", "false")
    if xy is None or present is None:  # None together
        return RewardResult(0.0, dict.fromkeys(comps, 0.0), reason)
    lab = target.visibility > 0
    n_lab, n_unl = int(lab.sum()), int((~lab).sum())
    denom = miss_weight * n_lab + false_weight * n_unl
    if denom == 0:
        return RewardResult(float(empty_score), {"similarity": float(empty_score), "missed": 0.0, "false": 0.0}, None)
    pred_lab = lab & present
    ks = np.zeros(target.k)
    if pred_lab.any():
        ks[pred_lab] = keypoint_similarities(xy[pred_lab], target.coords[pred_lab], pose_area(target), sigmas=sig[pred_lab])
    n_missed = int((lab & ~present).sum())
    n_false = int((~lab & present).sum())
    cost = float(np.sum(1 - ks[pred_lab])) + miss_weight * n_missed + false_weight * n_false
    value = max(0.0, 1.0 - cost / denom)
    return RewardResult(
        value,
        {
            "similarity": float(ks[lab].mean()) if n_lab else 1.0,
            "missed": n_missed / n_lab if n_lab else 0.0,
            "false": n_false / n_unl if n_unl else 0.0,
        },
        None,
    )


@register_reward(
    "pose.plausibility",
    task="pose",
    range=(0.0, 1.0),
    components=("bones", "symmetry", "angles"),
    tags=("pose", "keypoints", "plausibility", "infant"),
    reading_fields=("answer",),
)


def plausibility_reward(
    completion: Any,
    ground_truth: Any = None,
    *,
    profile: Any = "adult_coco17",
    dims: int = 2,
    margin: float = 0.5,
    prompt: str | None = None,
    reading: Reading = _ANSWER,
) -> RewardResult:
    """R = mean of the available components (bone ratios, left/right symmetry, joint
    angles) of the predicted pose against ``profile``; 0 with reason ``too_few_keypoints``
    when nothing can be checked. ``ground_truth`` is unused (it may carry
    ``{"profile": name}``, which overrides the parameter).

    >>> pose = [[0, -60], [0, 0], [0, 0], [-8, -55], [8, -55], [-20, -40], [20, -40], [-22, -15], [22, -15], [-24, 7], [24, 7], [-15, 10], [15, 10], [-15, 35], [15, 35], [-15, 60], [15, 60]]
    >>> float(plausibility_reward(f"<answer>{pose}</answer>"))
    1.0
    """
    if isinstance(ground_truth, Mapping) and "profile" in ground_truth:
        try:
            prof = get_profile(ground_truth["profile"])
        except (ValueError, KeyError, TypeError) as exc:
            raise BadGroundTruth(f"Unknown body profile in the ground truth: {exc}") from None
    else:
        prof = get_profile(profile)
    if dims not in (2, 3):
        raise ValueError(f"Expected dims 2 or 3, but got {dims!r}")
    if not margin > 0:
        raise ValueError(f"Expected a positive margin, but got {margin!r}")
    comps = ("bones", "symmetry", "angles")
    ans = extract_answer_text(completion, prompt, reading.answer)
    if ans.text is None:
        return RewardResult(0.0, dict.fromkeys(comps, 0.0), ans.reason or "no_answer_tag")
    parsed = parse_keypoints(ans.text, num_keypoints=prof.num_keypoints, dims=dims)
    if not parsed.ok:
        return RewardResult(0.0, dict.fromkeys(comps, 0.0), parsed.reason)
    assert parsed.value.visibility is not None  # Keypoints.__post_init__ always sets it
    res = plausibility_scores(np.asarray(parsed.value.xy), parsed.value.visibility > 0, prof, margin=margin)
    vals = [res[c] for c in comps if not np.isnan(res[c])]
    if not vals:
        return RewardResult(0.0, dict.fromkeys(comps, 0.0), "too_few_keypoints")
    value = float(np.mean(vals))
    return RewardResult(value, {c: (0.0 if np.isnan(res[c]) else res[c]) for c in comps}, None, {"checks": res["checks"], "profile": prof.name})


@register_reward("pose.mpjpe", task="pose", range=(0.0, 1.0), components=("mpjpe_score",), tags=("pose", "3d"), prepare=_prepare_3d,
                 reading_fields=("answer",))


def mpjpe_reward(
    completion: Any,
    ground_truth: Any,
    *,
    max_error: float = 150.0,
    align: Literal["none", "root", "procrustes"] = "root",
    root: int | Sequence[int] | None = None,
    prompt: str | None = None,
    reading: Reading = _ANSWER,
) -> RewardResult:
    """R = max(0, 1 - MPJPE / max_error) with MPJPE after ``align`` (root: mid-hip for
    COCO-17, else joint 0; ``max_error`` in the ground truth's unit, e.g. mm).
    Missing predicted joints make R = 0 (reason ``missing_joints``).

    >>> float(mpjpe_reward("<answer>[[0, 0, 0], [100, 0, 0]]</answer>", [[10, 10, 10], [110, 10, 10]]))
    1.0
    """
    if not max_error > 0:
        raise ValueError(f"Expected a positive max_error, but got {max_error!r}")
    target = read_pose_target(ground_truth, dims=3)
    ans = extract_answer_text(completion, prompt, reading.answer)
    if ans.text is None:
        return RewardResult(0.0, {"mpjpe_score": 0.0}, ans.reason or "no_answer_tag")
    names = COCO_KEYPOINT_NAMES if target.k == 17 else tuple(f"joint_{i}" for i in range(target.k))
    parsed = parse_keypoints(ans.text, joint_names=names, num_keypoints=target.k, dims=3)
    if not parsed.ok:
        return RewardResult(0.0, {"mpjpe_score": 0.0}, parsed.reason)
    lab = target.visibility > 0
    if not lab.any():
        raise BadGroundTruth("MPJPE needs labelled ground-truth joints")
    assert parsed.value.visibility is not None  # Keypoints.__post_init__ always sets it
    if not (parsed.value.visibility[lab] > 0).all():
        return RewardResult(0.0, {"mpjpe_score": 0.0}, "missing_joints")
    r = root if root is not None else ((11, 12) if target.k == 17 else 0)
    err = mpjpe(parsed.value.xy, target.coords, align=align, root=r, visible=lab)
    if np.isfinite(err) and err <= 1e-9 * max_error:
        err = 0.0  # float rounding of the alignment (Procrustes of identical poses gives ~1e-13)
    value = max(0.0, 1.0 - err / max_error) if np.isfinite(err) else 0.0
    return RewardResult(value, {"mpjpe_score": value}, None, {"mpjpe": err})


