"""Keypoint similarity kernels: OKS (COCO), PCK, MPJPE (root / Procrustes aligned).

OKS follows ``pycocotools.cocoeval.COCOeval.computeOks`` operation for operation:
``vars = (2 * sigma)^2``, ``e = (dx^2 + dy^2) / vars / (area + eps) / 2`` with
``eps = np.spacing(1)``, ``OKS = sum(exp(-e)) / n`` over the ground-truth keypoints with
visibility > 0; a ground truth without labelled keypoints measures the distance of each
predicted keypoint to the box ``[x0 - w, x0 + 2 w] x [y0 - h, y0 + 2 h]`` around its
bbox instead and averages over all K. Predicted visibilities are ignored (as in
pycocotools).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, cast

import numpy as np

__all__ = [
    "COCO_SIGMAS",
    "compute_oks",
    "oks",
    "keypoint_image_ap",
    "keypoint_similarities",
    "pck",
    "mpjpe",
    "procrustes_align",
]

COCO_SIGMAS = np.array([0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89]) / 10.0
"""Per-keypoint standard deviations of COCO-17 (``pycocotools`` ``kpt_oks_sigmas``)."""


def _sigmas(sigmas: Any, k: int) -> np.ndarray:
    s = COCO_SIGMAS if sigmas is None else np.asarray(sigmas, dtype=np.float64).ravel()
    if s.shape[0] != k:
        raise ValueError(f"Expected {k} sigmas (one per keypoint), but got {s.shape[0]}")
    return s


def compute_oks(
    dt: Any,
    gt: Any,
    gt_areas: Any,
    gt_bboxes: Any = None,
    *,
    sigmas: Any = None,
) -> np.ndarray:
    """OKS matrix ``N x M`` between ``N`` predictions and ``M`` ground truths.

    ``dt``: ``N x K x 2`` (or ``x 3``; the third column is ignored) or COCO flat rows
    ``N x 3K``; ``gt``: ``M x K x 3`` with visibility, or flat ``M x 3K``; ``gt_areas``:
    ``M``; ``gt_bboxes``: ``M x 4`` COCO ``xywh`` (needed only for ground truths without
    labelled keypoints).
    """
    g = np.asarray(gt, dtype=np.float64)
    if g.ndim == 2 and g.shape[1] % 3 == 0 and g.shape[1] != 3:
        g = g.reshape(g.shape[0], -1, 3)
    if g.ndim == 2 and g.shape[1] == 3:
        g = g[None]
    if g.ndim != 3 or g.shape[2] != 3:
        raise ValueError(f"Expected ground-truth keypoints M x K x 3, but got shape {g.shape}")
    m, k = g.shape[0], g.shape[1]
    d = np.asarray(dt, dtype=np.float64)
    if d.ndim == 2 and d.shape[1] == 3 * k:
        d = d.reshape(d.shape[0], k, 3)
    if d.ndim == 2 and d.shape[0] == k:
        d = d[None]
    if d.size == 0:
        return np.zeros((0, m))
    if d.ndim != 3 or d.shape[1] != k or d.shape[2] < 2:
        raise ValueError(f"Expected predicted keypoints N x {k} x 2, but got shape {d.shape}")
    areas = np.asarray(gt_areas, dtype=np.float64).ravel()
    if areas.shape[0] != m:
        raise ValueError(f"Expected {m} ground-truth areas, but got {areas.shape[0]}")
    bbs = None if gt_bboxes is None else np.asarray(gt_bboxes, dtype=np.float64).reshape(-1, 4)
    var = (_sigmas(sigmas, k) * 2) ** 2
    out = np.zeros((d.shape[0], m))
    xd, yd = d[:, :, 0], d[:, :, 1]
    for j in range(m):
        xg, yg, vg = g[j, :, 0], g[j, :, 1], g[j, :, 2]
        vis = vg > 0
        k1 = int(np.count_nonzero(vis))
        if k1 > 0:
            dx = xd - xg
            dy = yd - yg
        else:
            if bbs is None:
                raise ValueError("A ground truth without labelled keypoints needs its bbox (gt_bboxes)")
            bb = bbs[j]
            x0, x1 = bb[0] - bb[2], bb[0] + bb[2] * 2
            y0, y1 = bb[1] - bb[3], bb[1] + bb[3] * 2
            z = np.zeros_like(xd)
            dx = np.maximum(z, x0 - xd) + np.maximum(z, xd - x1)
            dy = np.maximum(z, y0 - yd) + np.maximum(z, yd - y1)
        e = (dx**2 + dy**2) / var / (areas[j] + np.spacing(1)) / 2
        if k1 > 0:
            e = e[:, vis]
        ex = np.exp(-e)
        # one 1-D sum per row: the same summation order as pycocotools (bit-identical)
        out[:, j] = [np.sum(row) / e.shape[1] for row in ex]
    return out


def keypoint_image_ap(
    dt: Any,
    gt: Any,
    gt_areas: Any,
    scores: Any = None,
    *,
    gt_bboxes: Any = None,
    gt_crowd: Any = None,
    gt_num_keypoints: Any = None,
    sigmas: Any = None,
    max_dets: int = 20,
    both_empty: float = 1.0,
    no_gt: float = 0.0,
) -> Any:
    """COCO keypoint AP of one image, computed directly.

    pycocotools' ``COCOeval(iouType="keypoints")`` on a one-image, one-category
    evaluation, computed directly.

    ``dt``: ``N x K x 2`` predicted keypoints (missing ones as ``inf``: similarity 0);
    ``gt``: ``M x K x 3`` with visibility; ``gt_areas``: ``M`` (the annotations'
    ``area``); ``gt_bboxes``: ``M x 4`` ``xywh`` (needed for ground truth without
    labelled keypoints); ``gt_crowd``: ``iscrowd``; ``gt_num_keypoints``: the
    annotations' ``num_keypoints`` (default: labelled keypoints). As in pycocotools a
    ground truth is ignored when it is crowd, has ``num_keypoints == 0`` or an area
    outside ``[0, 1e10]``; a prediction's area is that of the box around its keypoints
    (``loadRes``), outside the range it is ignored when unmatched; at most ``max_dets``
    (20) predictions by score. Similarity: :func:`compute_oks`. Returns
    :class:`~rewardkit.geometry.ap.ImageAP` (``ap`` = ``stats[0]``, ``ap50`` =
    ``stats[1]``, ``ap75`` = ``stats[2]``, ``ar100`` = the recall at 20 detections,
    ``stats[5]``).

    Args:
        dt: see above.
        gt: see above.
        gt_areas: see above.
        scores: the predictions' scores (``N``).
        gt_bboxes: see above.
        gt_crowd: see above.
        gt_num_keypoints: see above.
        sigmas: the per-keypoint OKS sigmas (see :func:`compute_oks`).
        max_dets: see above.
        both_empty: the AP when there is neither a prediction nor a ground truth.
        no_gt: the AP when there are predictions and no ground truth.

    Returns:
        :class:`~rewardkit.geometry.ap.ImageAP`, as above.
    """
    from rewardkit.geometry.ap import AREA_ALL, similarity_ap

    g = np.asarray(gt, dtype=np.float64)
    if g.size == 0:
        g = g.reshape(0, 0, 3)
    if g.ndim != 3 or g.shape[2] != 3:
        raise ValueError(f"Expected ground-truth keypoints M x K x 3, but got shape {g.shape}")
    m = g.shape[0]
    d = np.asarray(dt, dtype=np.float64)
    if d.size == 0:
        d = d.reshape(0, g.shape[1], 2)
    if d.ndim != 3 or d.shape[2] < 2 or (m and d.shape[1] != g.shape[1]):
        raise ValueError(f"Expected predicted keypoints N x K x 2, but got shape {d.shape}")
    n = d.shape[0]
    areas = np.asarray(gt_areas, dtype=np.float64).reshape(-1)
    if areas.shape[0] != m:
        raise ValueError(f"Expected {m} ground-truth areas, but got {areas.shape[0]}")
    crowd = np.zeros(m, bool) if gt_crowd is None else np.asarray(gt_crowd).reshape(-1).astype(bool)
    nk = (g[:, :, 2] > 0).sum(axis=1) if gt_num_keypoints is None else np.asarray(gt_num_keypoints).reshape(-1)
    lo, hi = AREA_ALL
    gt_ig = crowd | (nk == 0) | (areas < lo) | (areas > hi)
    xy = d[:, :, :2]
    fin = cast(np.ndarray, np.isfinite(xy).all(axis=2))  # numpy's stub: `bool | ndarray` for any axis
    dt_out = np.zeros(n, bool)
    for i in range(n):
        if fin[i].any():
            p = xy[i][fin[i]]
            ext = p.max(axis=0) - p.min(axis=0)
            a = float(ext[0] * ext[1])
            dt_out[i] = a < lo or a > hi
    if n and m:
        with np.errstate(invalid="ignore", over="ignore"):
            sim = compute_oks(xy, g, areas, gt_bboxes, sigmas=sigmas)
    else:
        sim = np.zeros((n, m))
    return similarity_ap(sim, scores, gt_ignore=gt_ig, gt_crowd=crowd, dt_out_of_range=dt_out,
                         max_dets=max_dets, both_empty=both_empty, no_gt=no_gt)


def keypoint_similarities(pred_xy: Any, gt_xy: Any, area: float, *, sigmas: Any = None) -> np.ndarray:
    """Per-keypoint similarity ``exp(-e_k)`` of OKS (``K``), before averaging."""
    p = np.asarray(pred_xy, dtype=np.float64)[:, :2]
    g = np.asarray(gt_xy, dtype=np.float64)[:, :2]
    if p.shape != g.shape:
        raise ValueError(f"Expected the same number of keypoints, but got {p.shape[0]} and {g.shape[0]}")
    var = (_sigmas(sigmas, g.shape[0]) * 2) ** 2
    d2 = (p[:, 0] - g[:, 0]) ** 2 + (p[:, 1] - g[:, 1]) ** 2
    return np.exp(-(d2 / var / (float(area) + np.spacing(1)) / 2))


def oks(pred_xy: Any, gt_xyv: Any, area: float, bbox: Sequence[float] | None = None, *, sigmas: Any = None) -> float:
    """OKS of one prediction (``K x 2``) against one ground truth (``K x 3``)."""
    return float(compute_oks(np.asarray(pred_xy, dtype=np.float64)[None], np.asarray(gt_xyv, dtype=np.float64)[None], [area], None if bbox is None else [bbox], sigmas=sigmas)[0, 0])


def pck(pred_xy: Any, gt_xy: Any, *, scale: float, threshold: float = 0.2, visible: Any = None) -> float:
    """Percentage of correct keypoints.

    Mean over labelled keypoints of ``||p - g|| <= threshold * scale`` (``scale``: e.g.
    the bbox size or head length). NaN when no keypoint is labelled.

    Args:
        pred_xy: ``K x D`` predicted keypoints.
        gt_xy: ``K x D`` ground-truth keypoints.
        scale: see above (positive).
        threshold: see above.
        visible: per-keypoint labelled flags (> 0; default: all labelled).

    Returns:
        The fraction of labelled keypoints within the distance, or NaN.

    Raises:
        ValueError: different keypoint counts, or a scale that is not positive.
    """
    p = np.asarray(pred_xy, dtype=np.float64)
    g = np.asarray(gt_xy, dtype=np.float64)
    if p.shape[0] != g.shape[0]:
        raise ValueError(f"Expected the same number of keypoints, but got {p.shape[0]} and {g.shape[0]}")
    if not scale > 0:
        raise ValueError(f"Expected a positive scale, but got {scale!r}")
    dims = min(p.shape[1], g.shape[1], 3)
    vis = np.ones(g.shape[0], bool) if visible is None else np.asarray(visible).ravel() > 0
    if not vis.any():
        return float("nan")
    dist = np.linalg.norm(p[vis, :dims] - g[vis, :dims], axis=1)
    return float(np.mean(dist <= threshold * scale))


def procrustes_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """``pred`` moved onto ``gt`` by the best similarity transform, as in PA-MPJPE.

    (scale, rotation without reflection, translation; Umeyama 1991).

    Args:
        pred: ``K x D`` points.
        gt: ``K x D`` points.

    Returns:
        ``pred`` aligned onto ``gt``.
    """
    mu_p, mu_g = pred.mean(axis=0), gt.mean(axis=0)
    p0, g0 = pred - mu_p, gt - mu_g
    norm_p = np.sqrt((p0**2).sum())
    if norm_p == 0:
        return np.broadcast_to(mu_g, pred.shape).copy()
    u, s, vt = np.linalg.svd(p0.T @ g0)
    d = np.sign(np.linalg.det(u @ vt))
    corr = np.ones(len(s))
    corr[-1] = d if d != 0 else 1.0
    rot = (u * corr) @ vt
    scale = (s * corr).sum() / (norm_p**2)
    return scale * p0 @ rot + mu_g


def mpjpe(
    pred: Any,
    gt: Any,
    *,
    align: Literal["none", "root", "procrustes"] = "root",
    root: int | Sequence[int] = 0,
    visible: Any = None,
) -> float:
    """Mean per-joint position error ``mean_k ||p_k - g_k||`` after alignment.

    ``align="root"``: both poses translated so their root (a joint index, or the mean of
    several, e.g. the two hips) is at the origin; ``"procrustes"``: similarity-aligned
    (PA-MPJPE); ``"none"``: raw. ``visible`` restricts the joints used. Non-finite
    coordinates, or an alignment that cannot be computed, give ``inf``.
    """
    p = np.asarray(pred, dtype=np.float64)
    g = np.asarray(gt, dtype=np.float64)
    if p.shape != g.shape or p.ndim != 2:
        raise ValueError(f"Expected poses of the same shape K x D, but got {p.shape} and {g.shape}")
    vis = np.ones(g.shape[0], bool) if visible is None else np.asarray(visible).ravel() > 0
    if not (np.isfinite(p[vis]).all() and np.isfinite(g[vis]).all()):
        return float("inf")
    if align == "root":
        idx = [root] if isinstance(root, int | np.integer) else list(root)
        p = p - p[idx].mean(axis=0)
        g = g - g[idx].mean(axis=0)
    elif align == "procrustes":
        if vis.sum() < 2:
            raise ValueError("Procrustes alignment needs at least 2 joints")
        try:
            with np.errstate(all="ignore"):
                pa = procrustes_align(p[vis], g[vis])
                err = float(np.mean(np.linalg.norm(pa - g[vis], axis=1)))
        except np.linalg.LinAlgError:
            return float("inf")
        return err if np.isfinite(err) else float("inf")
    elif align != "none":
        raise ValueError(f"Expected align 'none', 'root' or 'procrustes', but got {align!r}")
    if not vis.any():
        return float("nan")
    return float(np.mean(np.linalg.norm(p[vis] - g[vis], axis=1)))
