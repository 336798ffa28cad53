"""Match and accumulate prepared arrays (the native engine's driver, shared with LVIS)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rewardkit.metrics.coco import engine
from rewardkit.metrics.coco.pairwise import pair_iou_bbox, pair_iou_segm, pair_oks
from rewardkit.metrics.coco.params import CocoParams
from rewardkit.metrics.coco.prepare import Prepared

__all__ = ["evaluate_prepared"]


def evaluate_prepared(
    P: Prepared,
    p: CocoParams,
    progress: Callable[[int], None] | None = None,
    per_group_cap: bool = True,
    want_scores: bool = True,
) -> dict[str, np.ndarray]:
    """Match and accumulate. ``per_group_cap=False`` (LVIS): no maxDets cap per (image,
    category) and a single M entry."""
    K = len(P.cat_ids)
    A = len(p.areaRng)
    max_dets = sorted(int(m) for m in p.maxDets) if per_group_cap else None
    dt_group = P.dt_img * K + P.dt_cat
    gt_group = P.gt_img * K + P.gt_cat
    keep, rank = engine.group_sort(dt_group, P.dt_score, max_dets[-1] if max_dets else None)
    kd_group = dt_group[keep]
    e_dt, e_gt = engine.candidate_pairs(kd_group, gt_group)
    if P.iou_type == "bbox":
        e_iou = pair_iou_bbox(P.dt_geom[keep], P.gt_geom, P.gt_crowd, e_dt, e_gt)
    elif P.iou_type == "segm":
        # detections by their index in P (keep[e_dt]): no list of the kept RLEs is built
        e_iou = pair_iou_segm(P.dt_geom, P.gt_geom, P.gt_crowd, P.dt_img, keep[e_dt], e_gt)
    else:
        e_iou = pair_oks(P.dt_geom[keep], P.gt_geom, P.gt_bbox, P.gt_area, p.kpt_oks_sigmas, e_dt, e_gt)
    rng = np.asarray(p.areaRng, dtype=np.float64).reshape(-1, 2)
    gt_out = (P.gt_area[:, None] < rng[None, :, 0]) | (P.gt_area[:, None] > rng[None, :, 1])
    gt_ig = P.gt_ignore[:, None] | gt_out  # (G, A)
    res = engine.match(
        keep.shape[0], rank, e_dt, e_gt, e_iou, P.gt_crowd, gt_ig, P.gt_id_nonzero, np.asarray(p.iouThrs)
    )
    d_area = P.dt_area[keep]
    d_out = (d_area[:, None] < rng[None, :, 0]) | (d_area[:, None] > rng[None, :, 1])  # (D, A)
    unmatched_ig = d_out
    if P.dt_extra_ignore is not None:
        unmatched_ig = unmatched_ig | P.dt_extra_ignore[keep][:, None]
    dt_ig = res.ignored | (~res.matched & unmatched_ig[:, :, None])
    tps = res.matched & ~dt_ig
    fps = ~res.matched & ~dt_ig
    npig = np.zeros((K, A), dtype=np.int64)
    if P.gt_cat.size:
        np.add.at(npig, P.gt_cat, (~gt_ig).astype(np.int64))
    precision, recall, scores = engine.accumulate(
        K,
        P.dt_cat[keep],
        P.dt_img[keep],
        rank,
        P.dt_score[keep],
        tps,
        fps,
        npig,
        np.asarray(p.recThrs, dtype=np.float64),
        max_dets,
        progress=progress,
        want_scores=want_scores,
    )
    return {"precision": precision, "recall": recall, "scores": scores}
