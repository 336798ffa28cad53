"""IoU and OKS of the (detection, ground truth) candidate pairs, with pycocotools' arithmetic."""

from __future__ import annotations

import numpy as np

__all__ = ["pair_iou_bbox", "pair_iou_segm", "pair_oks"]


def pair_iou_bbox(dt_boxes: np.ndarray, gt_boxes: np.ndarray, gt_crowd: np.ndarray, e_dt, e_gt) -> np.ndarray:
    """IoU of each (detection, ground truth) pair of ``xywh`` boxes.

    :func:`rewardkit.geometry.boxes.box_iou_xywh_paired`: the element-wise form of
    pycocotools' ``bbIou`` (same operations, same order, same bits), computed only on the
    same-image, same-category pairs. Crowd: the union is the detection's area.
    """
    from rewardkit.geometry.boxes import box_iou_xywh_paired

    if e_dt.size == 0:
        return np.zeros(0, dtype=np.float64)
    return box_iou_xywh_paired(dt_boxes[e_dt], gt_boxes[e_gt], gt_crowd[e_gt])


def pair_iou_segm(
    dt_rles: list, gt_rles: list, gt_crowd: np.ndarray, dt_block, e_dt, e_gt, dt_cat=None, gt_cat=None
) -> np.ndarray:
    """``pycocotools.mask.iou`` once per block (an image) of the pair list, then gathered.

    Each IoU is computed independently by pycocotools, so batching the pairs of an image
    (detections x ground truths, categories mixed) gives the same values as one call per
    (image, category) with fewer calls; pairs of other categories are computed and dropped
    (one call per (image, category) costs more in call overhead than the extra pairs: the
    string decoding of each RLE, done once per call, dominates). The pairs of a block are
    contiguous and a detection's pairs are adjacent; the local indices of the detections
    and ground truths of every block are computed for all blocks at once, so the loop
    only builds the two RLE lists and calls pycocotools.

    With the categories (``dt_cat``, ``gt_cat``: a value per RLE), the pairs of other
    categories cost almost nothing: in a block of several categories each RLE is handed
    over with the width ``w + 1 + category`` (those of the block's most frequent
    detection category keep ``w``). pycocotools' ``rleIou`` (maskApi.c,
    cocodataset/cocoapi@e014925) returns -1 at once for RLEs of different sizes (dropped
    here), after its box test; the width enters that box test only as the initial
    minimum column (``xs = w``, larger than any column of a non-empty mask), so the boxes
    and the IoU of the pairs of one category are those of the true size, bit for bit (a
    pair with an empty mask is 0 either way: no pixel in common).
    """
    from operator import itemgetter

    from pycocotools import mask as mask_utils

    n = e_dt.shape[0]
    out = np.zeros(n, dtype=np.float64)
    if n == 0:
        return out
    e_dt = np.asarray(e_dt, dtype=np.int64)
    e_gt = np.asarray(e_gt, dtype=np.int64)
    blk = np.asarray(dt_block)[e_dt]
    bstart = np.flatnonzero(np.r_[True, blk[1:] != blk[:-1]])
    bend = np.r_[bstart[1:], n]
    bid = np.repeat(np.arange(bstart.size), bend - bstart)
    # detections: a new one wherever the index changes (a detection's pairs are adjacent)
    dnew = np.r_[True, e_dt[1:] != e_dt[:-1]]
    dcum = np.cumsum(dnew) - 1
    d_local = dcum - dcum[bstart][bid]
    d_first = np.flatnonzero(dnew)  # pair index of each block-local detection, in order
    nd = np.add.reduceat(dnew.astype(np.int64), bstart)
    # ground truths: unique per block, in index order
    key = bid * (int(e_gt.max()) + 1) + e_gt
    ukey, g_inv = np.unique(key, return_inverse=True)
    u_blk = ukey // (int(e_gt.max()) + 1)
    u_gt = ukey - u_blk * (int(e_gt.max()) + 1)
    ubnd = np.searchsorted(u_blk, np.arange(bstart.size + 1))
    ng = np.diff(ubnd)
    g_local = g_inv.reshape(-1) - ubnd[:-1][bid]
    crowd = np.asarray(gt_crowd).astype(np.uint8)
    # one flat array of all blocks' (nd x ng) matrices; a pair reads its cell
    cell_off = np.r_[0, np.cumsum(nd * ng)[:-1]]
    flat = np.empty(int((nd * ng).sum()), dtype=np.float64)
    d_ids = e_dt[d_first].tolist()
    g_ids = u_gt.tolist()
    d_lo = np.r_[0, np.cumsum(nd)].tolist()
    g_lo = ubnd.tolist()
    offs = cell_off.tolist()
    mixed = [False] * bstart.size
    if dt_cat is not None and gt_cat is not None and bstart.size:
        dc = np.asarray(dt_cat, dtype=np.int64)[e_dt[d_first]]
        gc = np.asarray(gt_cat, dtype=np.int64)[u_gt]
        d_lo_a, g_lo_a = np.r_[0, np.cumsum(nd)[:-1]], ubnd[:-1]
        lo = np.minimum(np.minimum.reduceat(dc, d_lo_a), np.minimum.reduceat(gc, g_lo_a))
        hi = np.maximum(np.maximum.reduceat(dc, d_lo_a), np.maximum.reduceat(gc, g_lo_a))
        mixed = (lo != hi).tolist()
        dcl, gcl = dc.tolist(), gc.tolist()
        sizes: dict = {}
        # the most frequent category of a block's detections keeps the true size (fewer copies)
        span = int(max(dc.max(), gc.max())) + 1
        dkey = np.repeat(np.arange(bstart.size), nd) * span + dc
        ukeys, kcount = np.unique(dkey, return_counts=True)
        order = np.lexsort((-kcount, ukeys // span))
        firsts = order[np.r_[True, (ukeys // span)[order][1:] != (ukeys // span)[order][:-1]]]
        keep_cat = (ukeys[firsts] % span).tolist()
    for b in range(bstart.size):
        dd = d_ids[d_lo[b] : d_lo[b + 1]]
        gg = g_ids[g_lo[b] : g_lo[b + 1]]
        ds = [dt_rles[dd[0]]] if len(dd) == 1 else list(itemgetter(*dd)(dt_rles))
        gs = [gt_rles[gg[0]]] if len(gg) == 1 else list(itemgetter(*gg)(gt_rles))
        if mixed[b]:  # each category its own width: other categories' pairs are skipped
            kc = keep_cat[b]
            ds = [r if c == kc else _widened(r, c, sizes) for r, c in zip(ds, dcl[d_lo[b] : d_lo[b + 1]])]
            gs = [r if c == kc else _widened(r, c, sizes) for r, c in zip(gs, gcl[g_lo[b] : g_lo[b + 1]])]
        ious = mask_utils.iou(ds, gs, crowd[gg].tolist())
        flat[offs[b] : offs[b] + len(dd) * len(gg)] = np.asarray(ious, dtype=np.float64).reshape(-1)
    out[:] = flat[cell_off[bid] + d_local * ng[bid] + g_local]
    return out


def _widened(rle: dict, cat: int, sizes: dict) -> dict:
    """``rle`` with the width ``w + 1 + cat`` (one size list per size and category)."""
    h, w = rle["size"]
    key = (h, w, cat)
    size = sizes.get(key)
    if size is None:
        size = sizes[key] = [h, w + 1 + cat]
    return {"size": size, "counts": rle["counts"]}


def _row_sums_like_numpy(vals: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``np.sum(row[:n])`` for each row, with numpy's own summation order (pairwise)."""
    out = np.zeros(vals.shape[0], dtype=np.float64)
    for n in np.unique(counts).tolist():
        rows = np.flatnonzero(counts == n)
        out[rows] = np.sum(np.ascontiguousarray(vals[rows, :n]), axis=1)
    return out


def pair_oks(
    dt_kpts: np.ndarray, gt_kpts: np.ndarray, gt_bbox: np.ndarray, gt_area: np.ndarray, sigmas: np.ndarray, e_dt, e_gt
) -> np.ndarray:
    """Object keypoint similarity per pair, with ``COCOeval.computeOks``' arithmetic.

    ``e = d^2 / (2 sigma)^2 / (area + eps) / 2``; OKS = mean of ``exp(-e)`` over the
    visible ground-truth keypoints; with no visible keypoint the distance is measured to
    the box ``[x - w, x + 2w] x [y - h, y + 2h]`` and all keypoints count.
    """
    if e_dt.size == 0:
        return np.zeros(0)
    var = (sigmas * 2) ** 2
    g = gt_kpts[e_gt]
    d = dt_kpts[e_dt]
    xg, yg, vg = g[:, :, 0], g[:, :, 1], g[:, :, 2]
    xd, yd = d[:, :, 0], d[:, :, 1]
    vis = vg > 0
    k1 = np.count_nonzero(vis, axis=1)
    bb = gt_bbox[e_gt]
    x0 = (bb[:, 0] - bb[:, 2])[:, None]
    x1 = (bb[:, 0] + bb[:, 2] * 2)[:, None]
    y0 = (bb[:, 1] - bb[:, 3])[:, None]
    y1 = (bb[:, 1] + bb[:, 3] * 2)[:, None]
    has = (k1 > 0)[:, None]
    dx = np.where(has, xd - xg, np.maximum(0.0, x0 - xd) + np.maximum(0.0, xd - x1))
    dy = np.where(has, yd - yg, np.maximum(0.0, y0 - yd) + np.maximum(0.0, yd - y1))
    e = (dx**2 + dy**2) / var / (gt_area[e_gt] + np.spacing(1))[:, None] / 2
    ex = np.exp(-e)
    mask = np.where(has, vis, True)
    order = np.argsort(~mask, axis=1, kind="stable")
    packed = np.take_along_axis(ex, order, axis=1)
    counts = np.count_nonzero(mask, axis=1)
    sums = _row_sums_like_numpy(packed, counts)
    return sums / counts
