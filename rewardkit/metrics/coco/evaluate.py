"""Match and accumulate prepared arrays (the native engine's driver, shared with LVIS)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rewardkit.metrics.coco import engine
from rewardkit.metrics.coco.pairwise import pair_iou_bbox, pair_iou_segm, pair_oks
from rewardkit.metrics.coco.params import CocoParams
from rewardkit.metrics.coco.prepare import Prepared

__all__ = ["evaluate_prepared", "match_prepared", "accumulate_matched", "concat_matched", "MatchedDets"]


@dataclass
class MatchedDets:
    """What accumulation needs of each kept detection, after matching.

    ``dt_img`` only orders detections of equal score (pycocotools' image order), so it
    may be a position in any list of image ids sorted like the evaluated ones: shards of
    images matched separately and concatenated (:func:`concat_matched`) accumulate to the
    numbers of one pass.
    """

    n_cat: int
    dt_cat: np.ndarray  # (D,) category position
    dt_img: np.ndarray  # (D,) image position
    rank: np.ndarray  # (D,) rank inside its (image, category) group
    dt_score: np.ndarray  # (D,)
    tps: np.ndarray  # (D, A, T) bool
    fps: np.ndarray  # (D, A, T) bool
    npig: np.ndarray  # (K, A) non-ignored ground truths
    max_dets: list[int] | None


def match_prepared(P: Prepared, p: CocoParams, per_group_cap: bool = True) -> MatchedDets:
    """Match detections to ground truths.

    (pycocotools ``evaluateImg`` for every image, category, area range and threshold at
    once). ``per_group_cap=False`` (LVIS): no maxDets cap per (image, category) and a
    single M entry.

    Args:
        P: the prepared detections and ground truths.
        p: the evaluation parameters.
        per_group_cap: cap the detections of each (image, category) at the largest maxDets.

    Returns:
        The kept detections with their true / false positive flags.

    Raises:
        ValueError: a keypoints evaluation without ground-truth boxes (``P.gt_bbox``).
    """
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
        e_iou = pair_iou_segm(P.dt_geom, P.gt_geom, P.gt_crowd, P.dt_img, keep[e_dt], e_gt, P.dt_cat, P.gt_cat)
    else:
        if P.gt_bbox is None:  # prepare() sets it for keypoints
            raise ValueError("Expected the ground-truth boxes of a keypoints evaluation (Prepared.gt_bbox), but got None")
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
    return MatchedDets(K, P.dt_cat[keep], P.dt_img[keep], rank, P.dt_score[keep], tps, fps, npig, max_dets)


def accumulate_matched(
    m: MatchedDets,
    p: CocoParams,
    progress: Callable[[int], None] | None = None,
    want_scores: bool = True,
) -> dict[str, np.ndarray]:
    """pycocotools ``accumulate``: precision, recall and scores arrays.

    Args:
        m: the matched detections.
        p: the evaluation parameters (``recThrs``).
        progress: called with progress counts while accumulating.
        want_scores: whether the scores array is computed.

    Returns:
        ``{"precision": ..., "recall": ..., "scores": ...}``.
    """
    precision, recall, scores = engine.accumulate(
        m.n_cat,
        m.dt_cat,
        m.dt_img,
        m.rank,
        m.dt_score,
        m.tps,
        m.fps,
        m.npig,
        np.asarray(p.recThrs, dtype=np.float64),
        m.max_dets,
        progress=progress,
        want_scores=want_scores,
    )
    return {"precision": precision, "recall": recall, "scores": scores}


def concat_matched(parts: Sequence[MatchedDets]) -> MatchedDets:
    """Detections of several shards of images as one.

    (their ``dt_img`` must be positions in one common list of image ids, and the shards
    must not share an image).

    Args:
        parts: the matched shards, in image order.

    Returns:
        One :class:`MatchedDets` holding every shard's detections.

    Raises:
        ValueError: no shard, or shards of different evaluations (categories, area ranges,
            maxDets).
    """
    if not parts:
        raise ValueError("Expected at least one matched shard, but got none")
    first = parts[0]
    for q in parts[1:]:
        if q.n_cat != first.n_cat or q.max_dets != first.max_dets or q.npig.shape != first.npig.shape:
            raise ValueError("Expected matched shards of one evaluation (same categories, area ranges, maxDets)")
    cat = np.concatenate
    return MatchedDets(
        first.n_cat,
        cat([q.dt_cat for q in parts]),
        cat([q.dt_img for q in parts]),
        cat([q.rank for q in parts]),
        cat([q.dt_score for q in parts]),
        cat([q.tps for q in parts]),
        cat([q.fps for q in parts]),
        np.sum([q.npig for q in parts], axis=0).astype(np.int64),
        first.max_dets,
    )


def evaluate_prepared(
    P: Prepared,
    p: CocoParams,
    progress: Callable[[int], None] | None = None,
    per_group_cap: bool = True,
    want_scores: bool = True,
) -> dict[str, np.ndarray]:
    """Match and accumulate.

    ``per_group_cap=False`` (LVIS): no maxDets cap per (image, category) and a single M entry.

    Args:
        P: the prepared detections and ground truths.
        p: the evaluation parameters.
        progress: called with progress counts while accumulating.
        per_group_cap: see above.
        want_scores: whether the scores array is computed.

    Returns:
        The precision, recall and scores arrays of :func:`accumulate_matched`.
    """
    return accumulate_matched(match_prepared(P, p, per_group_cap), p, progress, want_scores)
