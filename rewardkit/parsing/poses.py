"""Pose ground truth: one person (:class:`PoseTarget`, :func:`read_pose_target`) or the persons of one image (:class:`MultiPoseTarget`, :func:`read_multi_pose_target`).

A COCO keypoint annotation ``{"keypoints": [x, y, v] * K, "area": a, "bbox": [x, y, w, h]}``,
or ``K x 3`` rows ``[x, y, v]`` (``K x 4`` in 3-D); several persons: a list of such
annotations, optionally under ``"annotations"`` / ``"persons"``. Unusable ground truth
raises :class:`~rewardkit.errors.BadGroundTruth`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rewardkit.errors import BadGroundTruth
from rewardkit.limits import MAX_KEYPOINT_ABS
from rewardkit.types import Keypoints

__all__ = ["PoseTarget", "read_pose_target", "pose_area", "MultiPoseTarget", "read_multi_pose_target"]


@dataclass(frozen=True, eq=False)
class PoseTarget:
    """A parsed pose ground truth: ``xyv`` (K x 3 for 2-D: x, y, v; K x 4 for 3-D: x, y, z, v).

    Args:
        coords: The keypoint coordinates, ``K x 2`` (or ``K x 3`` in 3-D).
        visibility: The COCO visibility flags ``v`` (0 unlabelled), ``K`` integers.
        area: The person's area (OKS scale), when known.
        bbox: The person's COCO bbox ``[x, y, w, h]``, when known.
    """

    coords: np.ndarray
    visibility: np.ndarray
    area: float | None
    bbox: np.ndarray | None

    @property
    def k(self) -> int:
        return int(self.coords.shape[0])


def _check_area_param(area: Any) -> float | None:
    if area is None:
        return None
    if isinstance(area, bool) or not isinstance(area, int | float | np.integer | np.floating) or not (0 < float(area) < np.inf):
        raise ValueError(f"Expected `area` to be a positive finite number, but got {area!r}")
    return float(area)


def read_pose_target(ground_truth: Any, *, area: float | None = None, dims: int = 2) -> PoseTarget:
    """Read a pose ground truth (see the module doc).

    Raises :class:`BadGroundTruth` (``ValueError`` for a bad ``area`` parameter).

    Validated: finite keypoints within :data:`~rewardkit.limits.MAX_KEYPOINT_ABS`, an
    ``area`` that is positive and finite (a negative area made OKS exceed 1), a bbox of
    four finite numbers with non-negative width and height.

    Args:
        ground_truth: The ground truth (or a :class:`PoseTarget`, returned as is).
        area: The person's area, overriding the annotation's.
        dims: 2 (``[x, y, v]`` rows) or 3 (``[x, y, z, v]`` rows).

    Returns:
        The :class:`PoseTarget`.

    Raises:
        BadGroundTruth: an unreadable or invalid ground truth.
        ValueError: an ``area`` that is not a positive finite number.
    """
    area = _check_area_param(area)
    if isinstance(ground_truth, PoseTarget):
        return ground_truth
    try:
        return _read_pose_target(ground_truth, area, dims)
    except BadGroundTruth:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, RecursionError) as exc:
        raise BadGroundTruth(f"Unreadable pose ground truth: {type(exc).__name__}: {str(exc)[:120]}") from None


def _read_pose_target(ground_truth: Any, area: float | None, dims: int) -> PoseTarget:
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
            raw_area = gt["area"]
            gt_area = float(raw_area) if not isinstance(raw_area, bool) else float("nan")
            if not 0 < gt_area < np.inf:
                raise BadGroundTruth(f"Expected a positive finite pose ground-truth area, but got {str(raw_area)[:40]}")
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
    if not (np.abs(arr[:, :dims]) <= MAX_KEYPOINT_ABS).all():
        raise BadGroundTruth(f"Expected ground-truth keypoints within {MAX_KEYPOINT_ABS:g} in absolute value")
    coords = arr[:, :dims].copy()
    vis = arr[:, dims].astype(np.int64) if arr.shape[1] == dims + 1 else np.full(arr.shape[0], 2, np.int64)
    if bbox is not None and (bbox.shape != (4,) or not np.isfinite(bbox).all() or bbox[2] < 0 or bbox[3] < 0):
        raise BadGroundTruth(f"Expected a COCO bbox [x, y, w, h] with w, h >= 0, got {bbox.tolist()[:8]}")
    return PoseTarget(coords, vis, gt_area, bbox)


def pose_area(target: PoseTarget) -> float:
    """The OKS area of one ground-truth person.

    Its ``area``, else its bbox's, else the extent of its labelled keypoints (two at
    least).

    Args:
        target: The person.

    Returns:
        The area.

    Raises:
        BadGroundTruth: no area, no bbox and fewer than two labelled keypoints.
    """
    if target.area is not None:
        return float(target.area)
    if target.bbox is not None:
        return float(target.bbox[2] * target.bbox[3])
    lab = target.visibility > 0
    if lab.sum() < 2:
        raise BadGroundTruth("Pose ground truth needs an area, a bbox or two labelled keypoints")
    ext = target.coords[lab].max(axis=0) - target.coords[lab].min(axis=0)
    return float(ext[0] * ext[1])

# ------------------------------------------------------------------------ several persons


@dataclass(frozen=True, eq=False)
class MultiPoseTarget:
    """Parsed ground-truth persons of one image.

    Args:
        keypoints: ``M x K x 3`` rows ``[x, y, v]``.
        areas: ``M`` areas.
        bboxes: ``M x 4`` COCO ``xywh``, NaN where absent.
        crowd: ``M`` crowd flags.
        num_keypoints: ``M`` counts of labelled keypoints.
    """

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
    """Read the ground-truth persons of one image (see the module doc).

    The area of an annotation without ``"area"`` is that of its bbox, else of its labelled
    keypoints' extent; a person without labelled keypoints needs its bbox (COCO's OKS rule).
    Raises :class:`BadGroundTruth`.

    Args:
        ground_truth: The ground truth (or a :class:`MultiPoseTarget`, returned as is).

    Returns:
        The :class:`MultiPoseTarget`.

    Raises:
        BadGroundTruth: an unreadable person, a person without labelled keypoints nor
            bbox, or persons with different keypoint counts.
    """
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
            area = float(target.bbox[2] * target.bbox[3]) if target.bbox is not None else pose_area(target)
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
