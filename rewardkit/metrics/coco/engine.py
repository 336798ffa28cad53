"""Vectorized COCO-style matching and accumulation (shared by COCO and LVIS).

This module reproduces the semantics of ``pycocotools.cocoeval.COCOeval.evaluateImg`` and
``accumulate`` (and of their copies in lvis-api) with numpy arrays instead of a Python loop
per image, category, area range, IoU threshold, detection and ground truth.

How the per-image greedy matching is vectorized
-----------------------------------------------
For one (image, category, area range, IoU threshold) pycocotools walks the detections in
score order; each detection takes, among the still available ground truths whose IoU is at
least ``min(t, 1 - 1e-10)``, the best one, where "best" is the lexicographic maximum of

    (not ignored, IoU, position of the ground truth in file order)

(ignored ground truths are sorted last and only reached when no regular one matches; an
IoU tie goes to the later ground truth because the loop replaces the running best on
``>=``). A crowd ground truth stays available after a match. Only pairs whose IoU reaches
the lowest threshold can ever match, so the work is done on that sparse list of candidate
pairs. The greedy dependency is only between detections of the same (image, category),
so the loop runs over the *rank* of a detection inside its group (at most ``maxDets``
steps) and each step handles every group, area range and threshold at once.

Accumulation sorts the detections once by (category, -score, image, rank inside the
image: the order pycocotools' mergesort produces per category) and, for each maxDets,
processes chunks of (area range, threshold) rows over all categories with ground truth
at once. The sampling ``np.searchsorted(rc, recThrs, "left")`` is, in integer form, the
first position where the true-positive count reaches the smallest integer ``x`` with
``x / npig >= recThr`` (computed with the same float division): the ``x``-th true
positive of the category. The right-to-left running maximum of the precision from there
is the maximum over the later true positives (between two true positives the precision
only falls), so the precision is computed at true positives only and the maxima come
from block maxima between the sampled ones (see :func:`accumulate`).
Every floating point operation that produces a reported number (``tp / npig``,
``tp / (fp + tp + np.spacing(1))``, the means of ``summarize``) is the same operation on the
same operands in the same order as in pycocotools, so results are bit-identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Matched", "group_sort", "candidate_pairs", "match", "accumulate", "summarize_mean"]

_EPS = np.spacing(1)
# accumulate works on chunks of (area range, threshold) rows: at most _ROW_BUDGET detection
# entries (about 40 bytes each; larger chunks leave the cache and run slower) and at most
# _QUERY_BUDGET (category, recall threshold) queries per chunk
_ROW_BUDGET = 1 << 16
_QUERY_BUDGET = 1 << 15


def group_sort(
    group: np.ndarray, score: np.ndarray, cap: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Order detections by (group, -score, file order) and give each its rank in its group.

    Returns ``(keep, rank)``: ``keep`` the indices of the kept detections in that order
    (those with rank < ``cap`` when ``cap`` is given) and ``rank`` their rank.

    Args:
        group: ``(D,)`` group id per detection.
        score: ``(D,)`` score per detection.
        cap: keep the detections of rank < ``cap`` in each group (``None``: keep all).

    Returns:
        ``(keep, rank)`` as above, both ``int64``.
    """
    n = group.shape[0]
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.lexsort((np.arange(n), -score, group))
    g = group[order]
    start = np.r_[True, g[1:] != g[:-1]]
    first = np.flatnonzero(start)
    seg = np.cumsum(start) - 1
    rank = np.arange(n) - first[seg]
    if cap is not None:
        sel = rank < cap
        order, rank = order[sel], rank[sel]
    return order, rank


def candidate_pairs(
    dt_group: np.ndarray, gt_group: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """All (detection, ground truth) index pairs of the same group.

    Detections are visited in the given order, ground truths of a group in ascending index
    (file) order, so the pairs of one group read like a row-major ``D x G`` matrix.

    Args:
        dt_group: group id per detection.
        gt_group: group id per ground truth.

    Returns:
        ``(dt_idx, gt_idx)``: the index arrays of the pairs.
    """
    if dt_group.size == 0 or gt_group.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    gorder = np.argsort(gt_group, kind="stable")
    gsorted = gt_group[gorder]
    lo = np.searchsorted(gsorted, dt_group, side="left")
    hi = np.searchsorted(gsorted, dt_group, side="right")
    cnt = hi - lo
    total = int(cnt.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    dt_idx = np.repeat(np.arange(dt_group.shape[0]), cnt)
    offs = np.cumsum(cnt) - cnt
    within = np.arange(total) - np.repeat(offs, cnt)
    gt_idx = gorder[np.repeat(lo, cnt) + within]
    return dt_idx, gt_idx


@dataclass
class Matched:
    """Per detection, area range and threshold: the matched and ignored flags.

    Matched (to a ground truth of nonzero id) and ignored (``dtIgnore`` before the
    unmatched-outside-area rule).
    """

    matched: np.ndarray  # (D, A, T) bool: dtMatches != 0
    ignored: np.ndarray  # (D, A, T) bool: gtIgnore of the matched ground truth


def match(
    n_dt: int,
    dt_rank: np.ndarray,
    e_dt: np.ndarray,
    e_gt: np.ndarray,
    e_iou: np.ndarray,
    gt_crowd: np.ndarray,
    gt_ignore: np.ndarray,
    gt_id_nonzero: np.ndarray,
    iou_thrs: np.ndarray,
) -> Matched:
    """Greedy matching of pycocotools ``evaluateImg`` for all groups, area ranges, thresholds.

    ``e_dt, e_gt, e_iou``: candidate pairs (detection index, ground truth index, IoU);
    ``gt_ignore``: ``(G, A)`` ignore flag per area range (crowd / ignore / outside range);
    ``gt_crowd``: crowd ground truths stay available after a match.

    Args:
        n_dt: number of detections ``D``.
        dt_rank: rank of each detection in its group (the matching order).
        e_dt: candidate pairs' detection indices.
        e_gt: candidate pairs' ground truth indices.
        e_iou: candidate pairs' IoU.
        gt_crowd: ``(G,)`` crowd flag per ground truth.
        gt_ignore: ``(G, A)`` ignore flag per area range.
        gt_id_nonzero: ``(G,)`` whether the ground truth's id is nonzero.
        iou_thrs: the ``T`` IoU thresholds.

    Returns:
        The ``(D, A, T)`` matched and ignored flags.
    """
    A = gt_ignore.shape[1]
    T = len(iou_thrs)
    matched = np.zeros((n_dt, A, T), dtype=bool)
    ignored = np.zeros((n_dt, A, T), dtype=bool)
    thr = np.array([min([float(t), 1 - 1e-10]) for t in iou_thrs], dtype=np.float64)
    if e_dt.size == 0:
        return Matched(matched, ignored)
    # only pairs that reach the lowest threshold can match (NaN IoU never does)
    keep = e_iou >= thr.min()
    e_dt, e_gt, e_iou = e_dt[keep], e_gt[keep], e_iou[keep]
    if e_dt.size == 0:
        return Matched(matched, ignored)
    e_rank = dt_rank[e_dt]
    order = np.lexsort((e_gt, e_dt, e_rank))
    e_dt, e_gt, e_iou, e_rank = e_dt[order], e_gt[order], e_iou[order], e_rank[order]
    bounds = np.flatnonzero(np.diff(e_rank)) + 1
    starts = np.r_[0, bounds]
    ends = np.r_[bounds, e_rank.size]

    n_gt = gt_ignore.shape[0]
    used = np.zeros((n_gt, A, T), dtype=bool)
    gt_nonig = ~gt_ignore
    thr3 = thr[None, None, :]
    for s, e in zip(starts.tolist(), ends.tolist()):
        d = e_dt[s:e]
        g = e_gt[s:e]
        iou3 = e_iou[s:e, None, None]
        valid = (iou3 >= thr3) & (~used[g] | gt_crowd[g, None, None])
        nonig = gt_nonig[g][:, :, None]
        E = d.shape[0]
        segstart = np.r_[True, d[1:] != d[:-1]]
        first = np.flatnonzero(segstart)
        if first.size == E:
            # one candidate per detection: the pair matches iff it is valid
            hit = valid
            si, ai, ti = np.nonzero(hit)
            ce = si
        else:
            seg = np.cumsum(segstart) - 1
            k1 = np.where(valid & nonig, iou3, -1.0)
            k2 = np.where(valid & ~nonig, iou3, -1.0)
            m1 = np.maximum.reduceat(k1, first, axis=0)
            m2 = np.maximum.reduceat(k2, first, axis=0)
            has1 = m1 >= 0
            best = np.where(has1, m1, m2)[seg]
            key = np.where(has1[seg], k1, k2)
            hit = (key == best) & (best >= 0)
            pos = np.where(hit, np.arange(E)[:, None, None], -1)
            ch = np.maximum.reduceat(pos, first, axis=0)
            si, ai, ti = np.nonzero(ch >= 0)
            ce = ch[si, ai, ti]
        gsel = g[ce]
        dsel = d[ce]
        used[gsel, ai, ti] = True
        matched[dsel, ai, ti] = gt_id_nonzero[gsel]
        ignored[dsel, ai, ti] = gt_ignore[gsel, ai]
    return Matched(matched, ignored)


def _need_counts(npig: np.ndarray, rec_thrs: np.ndarray) -> np.ndarray:
    """Smallest integer x with ``float(x) / npig >= r`` (float division), per (npig, r)."""
    n = npig.astype(np.float64)[:, None]
    r = rec_thrs[None, :]
    x = np.maximum(np.floor(r * n) - 2.0, 0.0)
    for _ in range(8):
        with np.errstate(divide="ignore", invalid="ignore"):
            lt = (x / n) < r
        if not lt.any():
            break
        x = np.where(lt, x + 1.0, x)
    return x.astype(np.int64)


def accumulate(
    n_cat: int,
    dt_cat: np.ndarray,
    dt_img: np.ndarray,
    dt_rank: np.ndarray,
    dt_score: np.ndarray,
    tps: np.ndarray,
    fps: np.ndarray,
    npig: np.ndarray,
    rec_thrs: np.ndarray,
    max_dets: list[int] | None,
    progress=None,
    want_scores: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """pycocotools ``accumulate``: precision ``(T, R, K, A, M)``, recall ``(T, K, A, M)``, scores.

    ``tps``/``fps``: ``(D, A, T)`` bool per detection (already ignore-resolved);
    ``npig``: ``(K, A)`` number of non-ignored ground truths; ``max_dets``: per-image,
    per-category caps (``None``: a single M entry without cap, as in LVIS).

    pycocotools sorts each category's detections by score (mergesort over the images),
    takes ``tp`` and ``fp`` cumulative sums, ``pr = tp / (fp + tp + eps)``, makes ``pr``
    non-increasing from the right and reads it at the first position where ``tp / npig``
    reaches each recall threshold. Here:

    - one sort by (category, -score, image, rank) gives every category's order at once;
      the rows ``c = (area range, threshold)`` are processed in chunks (``_ROW_BUDGET``
      detection entries, so that a small evaluation is one pass and a large one stays in
      cache), only for categories with a non-ignored ground truth;
    - ``tp`` steps by 0 or 1, so the first position where it reaches ``need`` (the
      smallest integer count whose ``float(count) / npig`` reaches the threshold) is the
      ``need``-th true positive of the category; and the right-to-left maximum of ``pr``
      from that position is the maximum of ``pr`` over the category's true positives from
      the ``need``-th on (after a true positive, ``pr`` only falls until the next one;
      before the first one it is 0). So ``pr`` is computed only at true positives, with
      the same operands as pycocotools (``tp`` = the true positive's rank in its
      category, ``fp`` = the false positives before it), and the maxima are block maxima
      between the sampled true positives (``np.maximum.reduceat``) followed by a running
      maximum over the recall points;
    - categories without a non-ignored ground truth in an area range keep -1.

    Args:
        n_cat: number of categories ``K``.
        dt_cat: ``(D,)`` category position per detection.
        dt_img: ``(D,)`` image position per detection (orders equal scores).
        dt_rank: ``(D,)`` rank in its (image, category) group.
        dt_score: ``(D,)`` score per detection.
        tps: see above.
        fps: see above.
        npig: see above.
        rec_thrs: the ``R`` recall thresholds.
        max_dets: see above.
        progress: called with progress counts while accumulating.
        want_scores: whether the scores array is computed (otherwise an empty array).

    Returns:
        ``(precision, recall, scores)``.
    """
    D, A, T = tps.shape
    R = rec_thrs.shape[0]
    M = 1 if max_dets is None else len(max_dets)
    K = n_cat
    C = A * T
    precision = np.full((T, R, K, A, M), -1.0)
    recall = np.full((T, K, A, M), -1.0)
    scores = np.full((T, R, K, A, M), -1.0) if want_scores else np.zeros((0,))
    # only categories with a non-ignored ground truth in some area range get numbers
    kv = np.flatnonzero((npig > 0).any(axis=1))
    Kv = kv.size
    if Kv == 0 or C == 0:
        return precision, recall, scores
    order = np.lexsort((dt_rank, dt_img, -dt_score, dt_cat))
    npig_v = npig[kv]
    need_v = _need_counts(np.maximum(npig_v, 1).reshape(-1), rec_thrs).reshape(Kv, A, R)
    # per detection in sorted order and row c = a * T + t: bit 0 true positive, bit 1 false
    code = (tps.view(np.uint8) | (fps.view(np.uint8) << 1)).reshape(D, C)[order]
    code = np.ascontiguousarray(code.T)  # (C, D)
    cat_o, rank_o, score_o = dt_cat[order], dt_rank[order], dt_score[order]
    row_a = np.arange(C) // T
    invalid = (npig_v == 0).T[row_a]  # (C, Kv): no ground truth in row c's area range
    invalid = invalid if invalid.any() else None
    all_k = Kv == K
    karr = np.arange(K, dtype=np.int64)
    caps = [None] if max_dets is None else list(max_dets)
    # per maxDets, rows are filled in (row, category, recall) order, then written to the
    # (T, R, K, A) layout with one transposed assignment
    prec_m = np.empty((C, Kv, R))
    score_m = np.empty((C, Kv, R)) if want_scores else None
    rec_m = np.empty((C, Kv))
    for m, cap in enumerate(caps):
        keep = None if cap is None or D == 0 or int(rank_o.max()) < cap else rank_o < cap
        cat_s = cat_o if keep is None else cat_o[keep]
        N = cat_s.shape[0]
        if N == 0:
            rec_m[:] = 0.0
            prec_m[:] = 0.0
            if score_m is not None:  # want_scores
                score_m[:] = 0.0
            if progress is not None:
                progress(C)
        else:
            bnd = np.searchsorted(cat_s, np.arange(K + 1), side="left")
            cnt = np.diff(bnd)
            starts = bnd[:-1]
            seg = np.repeat(karr, cnt)  # category of each sorted position
            score_s = score_o if keep is None else score_o[keep]
            prev = np.maximum(starts - 1, 0)
            has_start = starts > 0
            start_v = starts[kv][None, :, None]
            nonempty_v = (cnt[kv] > 0)[None, :, None]
            step = max(1, min(_ROW_BUDGET // (N + 1), _QUERY_BUDGET // (Kv * (R + 1))))
            for c0 in range(0, C, step):
                c1 = min(C, c0 + step)
                nc = c1 - c0
                ra = row_a[c0:c1]
                g = code[c0:c1] if keep is None else code[c0:c1][:, keep]  # (nc, N)
                fpc = np.cumsum(g >> 1, axis=1, dtype=np.int32)
                rr, cols = np.nonzero(g & 1)  # true positives, row by row, in sorted order
                kt = seg[cols]
                grp = rr * K + kt  # (row, category) of each true positive, non-decreasing
                tot_all = np.bincount(grp, minlength=nc * K)
                gstart = np.cumsum(tot_all) - tot_all  # first true positive of each group
                tp_rank = np.arange(cols.size) - gstart[grp] + 1  # tp at that position
                fp_before = np.where(has_start, fpc[:, prev], 0)  # (nc, K)
                fp_at = fpc[rr, cols] - fp_before[rr, kt]  # fp at that position
                tpf = tp_rank.astype(np.float64)
                pr = np.empty(cols.size + 1)
                np.divide(tpf, fp_at.astype(np.float64) + tpf + _EPS, out=pr[:-1])
                pr[-1] = 0.0
                tot = tot_all.reshape(nc, K)[:, kv]  # (nc, Kv) true positives per category
                gs = gstart.reshape(nc, K)[:, kv]
                with np.errstate(divide="ignore", invalid="ignore"):  # npig 0: set to -1 below
                    rec_m[c0:c1] = tot / npig_v[:, ra].T  # pycocotools' tp[-1] / npig
                need = need_v[:, ra, :].transpose(1, 0, 2)  # (nc, Kv, R)
                eff = np.maximum(need, 1)
                reach = eff <= tot[:, :, None]  # the eff-th true positive exists
                first = gs[:, :, None] + eff - 1  # its index in the true-positive list
                last = (gs + tot)[:, :, None]
                # max of pr over true positives [first_r, last): block maxima between the
                # sampled ones, then a running maximum from the last recall point backwards
                idx = np.concatenate([np.where(reach, first, last), last], axis=2)
                bm = np.maximum.reduceat(pr, idx.ravel()).reshape(nc, Kv, R + 1)[:, :, :R]
                # need grows with the recall threshold: once unreached, unreached after
                bm[~reach] = 0.0
                prec_m[c0:c1] = np.maximum.accumulate(bm[:, :, ::-1], axis=2)[:, :, ::-1]
                if score_m is not None:  # want_scores
                    # the score at that position; need 0: the category's first detection
                    at = cols[np.minimum(first, cols.size - 1)] if cols.size else np.zeros_like(first)
                    pos = np.where(need == 0, start_v, at)
                    ok = np.where(need == 0, nonempty_v, reach)
                    score_m[c0:c1] = np.where(ok, score_s[np.where(ok, pos, 0)], 0.0)
                if progress is not None:
                    progress(nc)
        if invalid is not None:  # (category, area range) pairs without ground truth: -1
            np.copyto(rec_m, -1.0, where=invalid)
            np.copyto(prec_m, -1.0, where=invalid[:, :, None])
            if score_m is not None:  # want_scores
                np.copyto(score_m, -1.0, where=invalid[:, :, None])
        # [a * T + t, j, r] -> [t, r, kv[j], a]
        _put(precision[..., m], prec_m.reshape(A, T, Kv, R).transpose(1, 3, 2, 0), kv, all_k, 2)
        _put(recall[..., m], rec_m.reshape(A, T, Kv).transpose(1, 2, 0), kv, all_k, 1)
        if score_m is not None:  # want_scores
            _put(scores[..., m], score_m.reshape(A, T, Kv, R).transpose(1, 3, 2, 0), kv, all_k, 2)
    return precision, recall, scores


def _put(dst: np.ndarray, src: np.ndarray, kv: np.ndarray, all_k: bool, axis: int) -> None:
    """``dst[..., kv, ...] = src`` along ``axis`` (a plain copy when ``kv`` is every index)."""
    if all_k:
        dst[...] = src
    else:
        dst[(slice(None),) * axis + (kv,)] = src


def summarize_mean(s: np.ndarray) -> float:
    """``np.mean(s[s > -1])`` or -1 when empty (pycocotools ``_summarize``).

    Args:
        s: a slice of the precision or recall array.

    Returns:
        The mean of its entries > -1, or -1.
    """
    v = s[s > -1]
    if len(v) == 0:
        return -1.0
    return float(np.mean(v))
