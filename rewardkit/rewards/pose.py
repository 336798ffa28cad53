"""Pose rewards (SPEC 2.9: Pose-RFT, and the survey's infant-pose case).

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from rewardkit.geometry.body_profiles import BodyProfile, get_profile
from rewardkit.geometry.keypoints import (
    COCO_SIGMAS,
    compute_oks,
    keypoint_image_ap,
    keypoint_similarities,
    mpjpe,
)
from rewardkit.geometry.matching import match_hungarian
from rewardkit.parsing.frames import convert_points
from rewardkit.parsing.keypoints import COCO_KEYPOINT_NAMES, parse_keypoints, parse_persons
from rewardkit.parsing.reading import Reading, extract_answer_text
from rewardkit.rewards.base import BadGroundTruth, register_reward
from rewardkit.types import Keypoints, RewardResult

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


@dataclass(frozen=True, eq=False)
class PoseTarget:
    """A parsed pose ground truth: ``xyv`` (K x 3 for 2-D: x, y, v; K x 4 for 3-D: x, y, z, v)."""

    coords: np.ndarray
    visibility: np.ndarray
    area: float | None
    bbox: np.ndarray | None

    @property
    def k(self) -> int:
        return int(self.coords.shape[0])


def read_pose_target(ground_truth: Any, *, area: float | None = None, dims: int = 2) -> PoseTarget:
    """Read a pose ground truth (see the module doc). Raises :class:`BadGroundTruth`."""
    if isinstance(ground_truth, PoseTarget):
        return ground_truth
    gt = ground_truth
    bbox = None
    gt_area = area
    if isinstance(gt, str):
        from rewardkit.parsing._structured import load_structured

        ok, gt, _ = load_structured(gt.strip())
        if not ok:
            raise BadGroundTruth("Unreadable pose ground truth string")
    if isinstance(gt, Keypoints):
        return PoseTarget(np.asarray(gt.xy, dtype=np.float64), np.asarray(gt.visibility), area, None)
    if isinstance(gt, Mapping):
        key = next((k for k in ("keypoints", "joints3d", "joints", "pose") if k in gt), None)
        if key is None:
            raise BadGroundTruth(f"Expected a 'keypoints' key in the pose ground truth, got {sorted(map(str, gt))}")
        if gt_area is None and gt.get("area") is not None:
            gt_area = float(gt["area"])
        if gt.get("bbox") is not None:
            bbox = np.asarray(gt["bbox"], dtype=np.float64).ravel()
        gt = gt[key]
    try:
        arr = np.asarray(gt, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise BadGroundTruth(f"Unreadable pose ground truth: {exc}") from exc
    if arr.ndim == 1:
        if arr.size % (dims + 1):
            raise BadGroundTruth(f"Expected a flat list of (x, y{', z' if dims == 3 else ''}, v) values, got {arr.size} numbers")
        arr = arr.reshape(-1, dims + 1)
    if arr.ndim != 2 or arr.shape[1] not in (dims, dims + 1) or arr.shape[0] == 0:
        raise BadGroundTruth(f"Expected ground-truth keypoints K x {dims + 1}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise BadGroundTruth("Ground-truth keypoints must be finite")
    coords = arr[:, :dims].copy()
    vis = arr[:, dims].astype(np.int64) if arr.shape[1] == dims + 1 else np.full(arr.shape[0], 2, np.int64)
    if bbox is not None and bbox.shape != (4,):
        raise BadGroundTruth(f"Expected a COCO bbox [x, y, w, h], got {bbox.tolist()}")
    return PoseTarget(coords, vis, gt_area, bbox)


def _prepare_2d(ground_truth: Any, **params: Any) -> PoseTarget:
    return read_pose_target(ground_truth, area=params.get("area"))


def _prepare_3d(ground_truth: Any, **params: Any) -> PoseTarget:
    return read_pose_target(ground_truth, dims=3)


def _area(target: PoseTarget) -> float:
    if target.area is not None:
        return float(target.area)
    if target.bbox is not None:
        return float(target.bbox[2] * target.bbox[3])
    lab = target.visibility > 0
    if lab.sum() < 2:
        raise BadGroundTruth("Pose ground truth needs an area, a bbox or two labelled keypoints")
    ext = target.coords[lab].max(axis=0) - target.coords[lab].min(axis=0)
    return float(ext[0] * ext[1])


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
    xy, present, reason = _predicted(completion, target, prompt, reading)
    if xy is None:
        return RewardResult(0.0, {"oks": 0.0}, reason)
    gt = np.concatenate([target.coords, target.visibility[:, None]], axis=1)
    if target.bbox is None and not (target.visibility > 0).any():
        raise BadGroundTruth("A ground truth without labelled keypoints needs its bbox")
    with np.errstate(invalid="ignore", over="ignore"):
        value = float(compute_oks(xy[None], gt[None], [_area(target)], None if target.bbox is None else target.bbox[None], sigmas=sigmas)[0, 0])
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
    xy, present, reason = _predicted(completion, target, prompt, reading)
    comps = ("similarity", "missed", "false")
    if xy is None:
        return RewardResult(0.0, dict.fromkeys(comps, 0.0), reason)
    lab = target.visibility > 0
    n_lab, n_unl = int(lab.sum()), int((~lab).sum())
    denom = miss_weight * n_lab + false_weight * n_unl
    if denom == 0:
        return RewardResult(float(empty_score), {"similarity": float(empty_score), "missed": 0.0, "false": 0.0}, None)
    pred_lab = lab & present
    ks = np.zeros(target.k)
    if pred_lab.any():
        sig = COCO_SIGMAS if sigmas is None else np.asarray(sigmas, dtype=np.float64).ravel()
        if sig.shape[0] != target.k:
            raise ValueError(f"Expected {target.k} sigmas (one per keypoint), but got {sig.shape[0]}")
        ks[pred_lab] = keypoint_similarities(xy[pred_lab], target.coords[pred_lab], _area(target), sigmas=sig[pred_lab])
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


def _check_score(value: float, lo: float, hi: float, margin: float) -> float:
    if value < lo:
        excess = (lo - value) / lo if lo > 0 else 0.0
    elif value > hi:
        excess = (value - hi) / hi if hi > 0 else np.inf
    else:
        return 1.0
    return max(0.0, 1.0 - excess / margin)


def plausibility_scores(coords: np.ndarray, present: np.ndarray, profile: BodyProfile, *, margin: float = 0.5) -> dict[str, Any]:
    """Component scores ``bones``, ``symmetry``, ``angles`` (each NaN when nothing could be
    checked) and the per-check details, for one pose (``K x 2`` or ``K x 3``)."""
    dims = coords.shape[1]
    out: dict[str, Any] = {"checks": {}}
    ok = present & np.all(np.isfinite(coords), axis=1)
    lengths = {}
    for name, (i, j) in profile.bones.items():
        if ok[i] and ok[j]:
            lengths[name] = float(np.linalg.norm(coords[i] - coords[j]))
    (a, b), (c, d) = profile.torso
    bone_scores = []
    if ok[[a, b, c, d]].all():
        torso = float(np.linalg.norm((coords[a] + coords[b]) / 2 - (coords[c] + coords[d]) / 2))
        if torso > 0:
            for name, (lo, hi) in profile.ratio_ranges.items():
                if name in lengths:
                    r = lengths[name] / torso
                    s = _check_score(r, lo if dims == 3 else 0.0, hi, margin)
                    out["checks"][f"ratio:{name}"] = (r, s)
                    bone_scores.append(s)
        else:
            bone_scores.append(0.0)  # collapsed torso
            out["checks"]["ratio:torso"] = (0.0, 0.0)
    tol = profile.symmetry_tolerance if dims == 3 else profile.symmetry_tolerance_2d
    sym_scores = []
    for left, right in profile.pairs:
        if left in lengths and right in lengths:
            m = max(lengths[left], lengths[right])
            asym = 0.0 if m == 0 else abs(lengths[left] - lengths[right]) / m
            s = 1.0 if asym <= tol else max(0.0, 1.0 - (asym - tol) / margin)
            out["checks"][f"symmetry:{left}"] = (asym, s)
            sym_scores.append(s)
    ang_scores = []
    for name, (lo, hi) in profile.angle_ranges.items():
        i, j, k = profile.angles[name]
        if ok[i] and ok[j] and ok[k]:
            u, v = coords[i] - coords[j], coords[k] - coords[j]
            nu, nv = np.linalg.norm(u), np.linalg.norm(v)
            if nu == 0 or nv == 0:
                s, ang = 0.0, float("nan")  # collapsed limb
            else:
                ang = float(np.degrees(np.arccos(np.clip(np.dot(u, v) / (nu * nv), -1.0, 1.0))))
                s = _check_score(ang, lo if dims == 3 else lo / 2, hi, margin)
            out["checks"][f"angle:{name}"] = (ang, s)
            ang_scores.append(s)
    out["bones"] = float(np.mean(bone_scores)) if bone_scores else float("nan")
    out["symmetry"] = float(np.mean(sym_scores)) if sym_scores else float("nan")
    out["angles"] = float(np.mean(ang_scores)) if ang_scores else float("nan")
    return out


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
        profile = ground_truth["profile"]
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
    if not (parsed.value.visibility[lab] > 0).all():
        return RewardResult(0.0, {"mpjpe_score": 0.0}, "missing_joints")
    r = root if root is not None else ((11, 12) if target.k == 17 else 0)
    err = mpjpe(parsed.value.xy, target.coords, align=align, root=r, visible=lab)
    if np.isfinite(err) and err <= 1e-9 * max_error:
        err = 0.0  # float rounding of the alignment (Procrustes of identical poses gives ~1e-13)
    value = max(0.0, 1.0 - err / max_error) if np.isfinite(err) else 0.0
    return RewardResult(value, {"mpjpe_score": value}, None, {"mpjpe": err})


# ------------------------------------------------------------------------ several persons


@dataclass(frozen=True, eq=False)
class MultiPoseTarget:
    """Parsed ground-truth persons of one image: ``keypoints`` ``M x K x 3``, ``areas``,
    ``bboxes`` (``M x 4`` COCO ``xywh``, NaN where absent), ``crowd``, ``num_keypoints``."""

    keypoints: np.ndarray
    areas: np.ndarray
    bboxes: np.ndarray
    crowd: np.ndarray
    num_keypoints: np.ndarray

    @property
    def m(self) -> int:
        return int(self.keypoints.shape[0])

    @property
    def k(self) -> int | None:
        return int(self.keypoints.shape[1]) if self.m else None

    @property
    def persons(self) -> np.ndarray:
        """The persons to find: not crowd, at least one labelled keypoint."""
        return ~self.crowd & (self.num_keypoints > 0)


_MULTI_KEYS = ("annotations", "persons", "people", "instances")


def read_multi_pose_target(ground_truth: Any) -> MultiPoseTarget:
    """Read the ground-truth persons of one image (see the module doc). The area of an
    annotation without ``"area"`` is that of its bbox, else of its labelled keypoints'
    extent; a person without labelled keypoints needs its bbox (COCO's OKS rule).
    Raises :class:`BadGroundTruth`."""
    if isinstance(ground_truth, MultiPoseTarget):
        return ground_truth
    gt = ground_truth
    if isinstance(gt, str):
        from rewardkit.parsing._structured import load_structured

        ok, gt, _ = load_structured(gt.strip())
        if not ok:
            raise BadGroundTruth("Unreadable multi-person pose ground truth string")
    if isinstance(gt, Mapping):
        key = next((k for k in _MULTI_KEYS if k in gt), None)
        if key is None:
            raise BadGroundTruth(f"Expected a list of person annotations (or a {list(_MULTI_KEYS)} key), got keys {sorted(map(str, gt))[:10]}")
        gt = gt[key]
    if isinstance(gt, np.ndarray):
        gt = list(gt)
    if not isinstance(gt, Sequence) or isinstance(gt, str):
        raise BadGroundTruth(f"Expected a list of person annotations, got {type(gt).__name__}")
    kps, areas, boxes, crowd, nk = [], [], [], [], []
    for ann in gt:
        target = read_pose_target(ann)
        kp = np.concatenate([target.coords, target.visibility[:, None].astype(np.float64)], axis=1)
        n_lab = int((target.visibility > 0).sum())
        is_crowd = bool(ann.get("iscrowd", 0)) if isinstance(ann, Mapping) else False
        n_kp = int(ann["num_keypoints"]) if isinstance(ann, Mapping) and ann.get("num_keypoints") is not None else n_lab
        if n_lab == 0 and target.bbox is None:
            raise BadGroundTruth("A ground-truth person without labelled keypoints needs its bbox")
        area = target.area
        if area is None:
            area = float(target.bbox[2] * target.bbox[3]) if target.bbox is not None else _area(target)
        if not np.isfinite(area):
            raise BadGroundTruth("Ground-truth person areas must be finite")
        kps.append(kp)
        areas.append(float(area))
        boxes.append(target.bbox if target.bbox is not None else np.full(4, np.nan))
        crowd.append(is_crowd)
        nk.append(n_kp)
    if len({k.shape[0] for k in kps}) > 1:
        raise BadGroundTruth("Expected every ground-truth person to have the same number of keypoints")
    return MultiPoseTarget(
        np.asarray(kps, dtype=np.float64) if kps else np.zeros((0, 0, 3)),
        np.asarray(areas, dtype=np.float64),
        np.asarray(boxes, dtype=np.float64).reshape(-1, 4),
        np.asarray(crowd, dtype=bool),
        np.asarray(nk, dtype=np.int64),
    )


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
