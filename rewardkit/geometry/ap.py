"""COCO average precision of one image's predictions, computed directly.

:func:`image_ap` returns the numbers that pycocotools' ``COCOeval`` (``iouType="bbox"``)
gives for a one-image, one-category evaluation of the same boxes -- ``stats[0]``
(AP@[.5:.95]), ``stats[1]`` (AP50), ``stats[2]`` (AP75) and ``stats[8]`` (AR@100) --
without building an evaluator. This is what VLM-R1's ``od_ap`` / ``od_ap50`` rewards
compute per completion (they build a whole ``COCO`` + ``COCOeval`` for every
completion; this is two to three orders of magnitude faster).

Reproduced from pycocotools, step by step:

* area range "all" ``[0, 1e5 ** 2]`` (inclusive): a ground-truth box whose area ``w * h``
  lies outside is ignored, an unmatched prediction outside is ignored;
* at most ``max_dets = 100`` predictions: stable (mergesort) sort by ``-score``, then the
  first 100 (the others are dropped, as in pycocotools);
* IoU from :func:`rewardkit.geometry.boxes.box_iou_xywh` (bit-identical to
  ``pycocotools.mask.iou``); no crowd ground truth;
* greedy matching per IoU threshold ``t`` in ``linspace(.5, .95, 10)``: each prediction,
  in score order, takes the still unmatched ground truth with the highest IoU
  ``>= min(t, 1 - 1e-10)`` (on ties the later ground truth wins; ignored ground truth only
  when no regular one matches);
* precision ``tp / (tp + fp + np.spacing(1))``, made monotone from the right, sampled at
  the 101 recall thresholds ``linspace(0, 1, 101)`` with ``searchsorted(..., "left")``
  (0 past the last recall reached); AP = mean of those 10 x 101 values.

Defined outcomes where pycocotools returns -1 (no usable ground truth):

* no prediction and no ground truth: ``both_empty`` (default 1.0, VLM-R1's rule);
* ground truth empty (or all of it outside the area range) but predictions present:
  ``no_gt`` (default 0.0: every prediction is a false alarm).

:attr:`ImageAP.defined` says whether pycocotools would have produced a number.
No prediction but ground truth present gives 0 (pycocotools gives 0 too).

    >>> r = image_ap([[0, 0, 10, 10]], [[0, 0, 10, 10]])
    >>> round(r.ap, 12), round(r.ap50, 12)  # pycocotools: precision tp / (tp + eps)
    (1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

import numpy as np

from rewardkit.geometry._ap_kernel import (
    _CAPS,
    _IDX50,
    _IDX75,
    _T0,
    AREA_ALL,
    IOU_THRESHOLDS,
    RECALL_THRESHOLDS,
    _match_all_thresholds,
    _match_single_candidates,
    _one_threshold_crowd,
    _one_to_one,
    _one_to_one_tables,
    _recall_columns,
    _rows_pre,
    _score_order,
    _sum10,
)
from rewardkit.geometry.boxes import box_iou_candidates, box_iou_xywh
from rewardkit.types import Boxes

__all__ = ["ImageAP", "image_ap", "image_ap_batch", "image_ap_per_label", "similarity_ap", "IOU_THRESHOLDS", "RECALL_THRESHOLDS", "AREA_ALL"]



class ImageAP(NamedTuple):
    """AP of one image: ``ap`` (AP@[.5:.95]), ``ap50``, ``ap75``, ``ar100``.

    ``defined`` is False where pycocotools would return -1 (no usable ground truth);
    the values then hold the documented replacements (``both_empty`` / ``no_gt``).
    """

    ap: float
    ap50: float
    ap75: float
    ar100: float
    defined: bool
    n_pred: int
    n_gt: int


def _rows_xywh(value: Any, fmt: str) -> tuple[list[list[float]], list[float] | None, np.ndarray]:
    """Boxes as Python rows ``[x, y, w, h]`` (``w = x2 - x1``, the same float operation as
    numpy's), the scores a :class:`Boxes` carries, and the array as given (``xyxy`` for
    :class:`Boxes`).
    """
    scores = None
    if isinstance(value, Boxes):
        arr = value.xyxy
        if value.scores is not None:
            scores = value.scores.tolist()
    else:
        arr = np.asarray(value, dtype=np.float64)
        if arr.size == 0:
            return [], None, np.zeros((0, 4))
        if arr.ndim != 2 or arr.shape[1] != 4:
            raise ValueError(f"Expected boxes of shape N x 4, but got shape {arr.shape}")
    rows = arr.tolist()
    if fmt == "xyxy" or isinstance(value, Boxes):
        rows = [[x1, y1, x2 - x1, y2 - y1] for x1, y1, x2, y2 in rows]
    return rows, scores, arr


def _xywh_array(arr: np.ndarray, xyxy: bool) -> np.ndarray:
    if not xyxy:
        return arr
    out = arr.copy()
    out[:, 2:] -= arr[:, :2]
    return out


_SMALL = 400  # up to this many (prediction, ground truth) pairs: plain Python kernels
_VECTOR_MIN_D = 16  # from this many predictions, the vectorized matcher when it applies

def image_ap(
    pred: Any,
    gt: Any,
    scores: Any = None,
    *,
    fmt: Literal["xyxy", "xywh"] = "xyxy",
    max_dets: int = 100,
    both_empty: float = 1.0,
    no_gt: float = 0.0,
) -> ImageAP:
    """COCO AP of predictions ``pred`` against ground truth ``gt`` on one image.

    ``pred`` and ``gt`` are :class:`~rewardkit.types.Boxes` or ``N x 4`` arrays in
    ``fmt`` (``"xyxy"`` default, ``"xywh"`` the COCO layout). ``scores`` are the
    predictions' confidences; default: ``pred.scores`` if ``pred`` is a ``Boxes`` that
    has them, else 1.0 for every box (all ties: the given order decides, as in
    pycocotools). All in one frame (AP is invariant to scaling x and y together; the
    area range is only hit by boxes larger than 1e10 square units). Coordinates must be
    finite (:class:`Boxes` guarantees it; NaN is not checked here).
    """
    if fmt not in ("xyxy", "xywh"):
        raise ValueError(f"Expected fmt 'xyxy' or 'xywh', but got {fmt!r}")
    if max_dets < 1:
        raise ValueError(f"Expected max_dets >= 1, but got {max_dets!r}")
    dt_l, dt_scores, dt_arr = _rows_xywh(pred, fmt)
    gt_l, _, gt_arr = _rows_xywh(gt, fmt)
    dt_xyxy = fmt == "xyxy" or isinstance(pred, Boxes)
    gt_xyxy = fmt == "xyxy" or isinstance(gt, Boxes)
    if scores is not None:
        dt_scores = np.asarray(scores, dtype=np.float64).reshape(-1).tolist()
        if len(dt_scores) != len(dt_l):
            raise ValueError(f"Expected {len(dt_l)} scores, but got {len(dt_scores)}")
    n_pred, n_gt = len(dt_l), len(gt_l)
    lo, hi = AREA_ALL
    gt_ig = [not (lo <= w * h <= hi) for _, _, w, h in gt_l]
    npig = n_gt - sum(gt_ig)

    if n_pred == 0 and n_gt == 0:
        return ImageAP(both_empty, both_empty, both_empty, both_empty, False, 0, 0)
    if npig == 0:
        return ImageAP(no_gt, no_gt, no_gt, no_gt, False, n_pred, n_gt)
    if n_pred == 0:
        return ImageAP(0.0, 0.0, 0.0, 0.0, True, 0, n_gt)

    q, n_tp = _precision_table(dt_l, dt_scores, dt_arr, dt_xyxy, gt_l, gt_ig, gt_arr, gt_xyxy, npig, max_dets)
    return _stats(q, n_tp, npig, n_pred, n_gt)


def _stats(q: np.ndarray, n_tp: list[int], npig: int, n_pred: int, n_gt: int) -> ImageAP:
    """AP, AP50, AP75 and AR@100 of one precision table (``T x R``) and the true
    positives per threshold.
    """
    # np.mean(x) is np.add.reduce(x) / x.size: the same bits without its overhead. The
    # reductions run over the same contiguous memory as pycocotools' 1-D arrays
    # (s[s > -1]), so numpy's pairwise summation groups the terms identically.
    add = np.add.reduce
    ap = float(add(q, axis=None) / q.size)
    row_sums = add(q, axis=1)
    ap50 = float(row_sums[_IDX50] / q.shape[1])
    ap75 = float(row_sums[_IDX75] / q.shape[1])
    ar = _sum10([k / npig for k in n_tp]) / 10
    return ImageAP(ap, ap50, ap75, ar, True, n_pred, n_gt)


def image_ap_batch(
    preds: Sequence[Any],
    gt: Any,
    scores: Sequence[Any] | None = None,
    *,
    max_dets: int = 100,
    both_empty: float = 1.0,
    no_gt: float = 0.0,
) -> list[ImageAP]:
    """:func:`image_ap` of several predictions (the G completions of one prompt) against
    one ground truth: ``[image_ap(p, gt, s, ...) for p, s in zip(preds, scores)]``, the
    same numbers, with the ground truth prepared once, one IoU matrix (numpy) for every
    prediction of the group instead of one per completion, and the precision tables of
    the group reduced together (each table's sums run over its own contiguous memory,
    as in :func:`image_ap`; ``tests/geometry/test_ap_batch.py`` compares bit for bit).

    ``preds``: ``xyxy`` arrays or :class:`~rewardkit.types.Boxes`; ``scores``: one entry
    per prediction (``None`` entries or ``scores=None``: as in :func:`image_ap`).

    >>> [round(r.ap, 12) for r in image_ap_batch([[[0, 0, 10, 10]], []], [[0, 0, 10, 10]])]  # pycocotools: tp / (tp + eps)
    [1.0, 0.0]
    """
    if max_dets < 1:
        raise ValueError(f"Expected max_dets >= 1, but got {max_dets!r}")
    if scores is not None and len(scores) != len(preds):
        raise ValueError(f"Expected {len(preds)} score entries, but got {len(scores)}")
    gt_l, _, gt_arr = _rows_xywh(gt, "xyxy")
    n_gt = len(gt_l)
    lo, hi = AREA_ALL
    npig = n_gt - sum(not (lo <= w * h <= hi) for _, _, w, h in gt_l)
    if npig == 0 or npig != n_gt:  # no usable or some ignored ground truth: one image at a time
        return [image_ap(p, gt, None if scores is None else scores[i], max_dets=max_dets, both_empty=both_empty, no_gt=no_gt)
                for i, p in enumerate(preds)]
    arrs: list[np.ndarray] = []
    scs: list[list[float] | None] = []
    for i, p in enumerate(preds):
        _, sc, arr = _rows_xywh(p, "xyxy") if not isinstance(p, Boxes) else ([], None if p.scores is None else p.scores.tolist(), p.xyxy)
        s = None if scores is None else scores[i]
        if s is not None:
            sc = np.asarray(s, dtype=np.float64).reshape(-1).tolist()
            if len(sc) != arr.shape[0]:
                raise ValueError(f"Expected {arr.shape[0]} scores, but got {len(sc)}")
        arrs.append(arr)
        scs.append(sc)
    filled = [a for a in arrs if a.shape[0]]
    if not filled:
        return [ImageAP(0.0, 0.0, 0.0, 0.0, True, 0, n_gt) for _ in arrs]
    dt_w = _xywh_array(np.concatenate(filled) if len(filled) > 1 else filled[0], True)
    m = box_iou_xywh(dt_w, _xywh_array(gt_arr, True))
    area = dt_w[:, 2] * dt_w[:, 3]  # w * h as the per-image path computes it
    out_all = (~((lo <= area) & (area <= hi))).tolist()
    cand_rows: list[list[tuple[int, float]]] = [[] for _ in range(m.shape[0])]
    di, gi = np.nonzero(m >= _T0)  # row-major: ground truth ascending within a prediction
    for d, g, v in zip(di.tolist(), gi.tolist(), m[di, gi].tolist()):
        cand_rows[d].append((g, v))
    tables: list[Any] = []
    n_tps: list[list[int]] = []
    unique: list[tuple[int, list[float]]] = []  # one-to-one predictions: their tables at once
    k = 0
    for arr, sc in zip(arrs, scs):
        n = arr.shape[0]
        if n:
            order, D = _score_order(sc, n, max_dets)
            cands = cand_rows[k : k + D] if order is None else [cand_rows[k + i] for i in order]
            outside = out_all[k : k + D] if order is None else [out_all[k + i] for i in order]
            vs = None if any(outside) else _one_to_one(cands)
            if vs is not None:
                unique.append((len(tables), vs))
                tables.append(None)
                n_tps.append([])
            else:
                rows_arr, n_tp = _rows_pre(m[k : k + n], cands, outside, order, D, n_gt, npig, _SMALL, _VECTOR_MIN_D)
                tables.append(rows_arr)
                n_tps.append(n_tp)
            k += n
    if unique:
        u_rows, u_tp = _one_to_one_tables([vs for _, vs in unique], npig)
        for (j, _), r, t in zip(unique, u_rows, u_tp):
            tables[j] = r
            n_tps[j] = t
    # the tail of image_ap for the whole group: each (T x R) table stays C-contiguous,
    # so every sum below runs over the same memory in the same order as image_ap's
    qs = np.take(np.asarray(tables, dtype=np.float64), _recall_columns(npig), axis=2)
    add = np.add.reduce
    aps = (add(qs.reshape(qs.shape[0], -1), axis=1) / (qs.shape[1] * qs.shape[2])).tolist()
    row_sums = add(qs, axis=2)
    ap50s = (row_sums[:, _IDX50] / qs.shape[2]).tolist()
    ap75s = (row_sums[:, _IDX75] / qs.shape[2]).tolist()
    out: list[ImageAP] = []
    j = 0
    for arr in arrs:
        n = arr.shape[0]
        if not n:
            out.append(ImageAP(0.0, 0.0, 0.0, 0.0, True, 0, n_gt))
            continue
        ar = _sum10([t / npig for t in n_tps[j]]) / 10
        out.append(ImageAP(aps[j], ap50s[j], ap75s[j], ar, True, n, n_gt))
        j += 1
    return out


def image_ap_per_label(
    pred: Any,
    pred_labels: Any,
    gt: Any,
    gt_labels: Any,
    scores: Any = None,
    *,
    fmt: Literal["xyxy", "xywh"] = "xyxy",
    max_dets: int = 100,
) -> ImageAP:
    """COCO AP of one image with one category per distinct ground-truth label.

    What VLM-R1's public ``calculate_map`` computes: categories are the ground truth's
    labels (exact strings, in order of first appearance), a prediction whose label is
    not one of them is dropped, and the stats are pycocotools' means over
    (threshold, recall, category) of a multi-category evaluation. ``defined`` is False
    when pycocotools would not produce a number (no prediction left: VLM-R1 returns 0;
    no ground truth inside the area range); the values are then 0.
    """
    if fmt not in ("xyxy", "xywh"):
        raise ValueError(f"Expected fmt 'xyxy' or 'xywh', but got {fmt!r}")
    dt_l, dt_scores, dt_arr = _rows_xywh(pred, fmt)
    gt_l, _, gt_arr = _rows_xywh(gt, fmt)
    dt_xyxy = fmt == "xyxy" or isinstance(pred, Boxes)
    gt_xyxy = fmt == "xyxy" or isinstance(gt, Boxes)
    if scores is not None:
        dt_scores = np.asarray(scores, dtype=np.float64).reshape(-1).tolist()
    plab = list(pred_labels) if pred_labels is not None else [None] * len(dt_l)
    glab = list(gt_labels) if gt_labels is not None else [None] * len(gt_l)
    if len(plab) != len(dt_l) or len(glab) != len(gt_l):
        raise ValueError("Expected one label per box")
    cats: list[Any] = []
    for lab in glab:
        if lab not in cats:
            cats.append(lab)
    keep = [i for i, lab in enumerate(plab) if lab in cats]
    n_pred, n_gt = len(keep), len(gt_l)
    if not keep or not gt_l:
        return ImageAP(0.0, 0.0, 0.0, 0.0, False, n_pred, n_gt)
    lo, hi = AREA_ALL
    tables: list[np.ndarray] = []
    recalls: list[list[float]] = []
    for cat in cats:
        gi = [i for i, lab in enumerate(glab) if lab == cat]
        di = [i for i in keep if plab[i] == cat]
        g_l = [gt_l[i] for i in gi]
        g_ig = [not (lo <= w * h <= hi) for _, _, w, h in g_l]
        npig = len(g_l) - sum(g_ig)
        if npig == 0:
            continue  # pycocotools: -1 for this category, left out of the means
        if not di:
            tables.append(np.zeros((len(_CAPS), RECALL_THRESHOLDS.shape[0])))
            recalls.append([0.0] * len(_CAPS))
            continue
        q, n_tp = _precision_table(
            [dt_l[i] for i in di], None if dt_scores is None else [dt_scores[i] for i in di], dt_arr[di], dt_xyxy,
            g_l, g_ig, gt_arr[gi], gt_xyxy, npig, max_dets,
        )
        tables.append(q)
        recalls.append([k / npig for k in n_tp])
    if not tables:
        return ImageAP(0.0, 0.0, 0.0, 0.0, False, n_pred, n_gt)
    add = np.add.reduce
    Q = np.stack(tables, axis=2)  # T x R x K, C-contiguous: pycocotools' (t, r, k) order
    rec = np.asarray(recalls, dtype=np.float64).T.copy()  # T x K
    ap = float(add(Q, axis=None) / Q.size)
    ap50 = float(add(Q[_IDX50], axis=None) / Q[_IDX50].size)
    ap75 = float(add(Q[_IDX75], axis=None) / Q[_IDX75].size)
    ar = float(add(rec, axis=None) / rec.size)
    return ImageAP(ap, ap50, ap75, ar, True, n_pred, n_gt)


def _precision_table(
    dt_l: list[list[float]], dt_scores: list[float] | None, dt_arr: np.ndarray, dt_xyxy: bool,
    gt_l: list[list[float]], gt_ig: list[bool], gt_arr: np.ndarray, gt_xyxy: bool, npig: int, max_dets: int,
) -> tuple[np.ndarray, list[int]]:
    """pycocotools' ``precision[:, :, k, area=all, maxDets=100]`` of one image and one
    category (``T x R``, C-contiguous) and the true positives per threshold. Needs at
    least one prediction and ``npig >= 1``.
    """
    lo, hi = AREA_ALL
    n_pred, n_gt = len(dt_l), len(gt_l)
    # predictions: stable sort by -score (pycocotools: mergesort), keep max_dets
    order, D = _score_order(dt_scores, n_pred, max_dets)
    if order is not None:
        dt_l = [dt_l[i] for i in order]
    elif n_pred > max_dets:
        dt_l = dt_l[:max_dets]
    # ground truth: regular first, ignored last (stable)
    any_ig = npig != n_gt
    if any_ig:
        gorder = [i for i in range(n_gt) if not gt_ig[i]] + [i for i in range(n_gt) if gt_ig[i]]
        gt_l = [gt_l[i] for i in gorder]
        gt_ig = [gt_ig[i] for i in gorder]
    else:
        gorder = None
    dt_out = [not (lo <= w * h <= hi) for _, _, w, h in dt_l]
    rows_arr = None
    if D * n_gt <= _SMALL:
        cands = box_iou_candidates(dt_l, gt_l, _T0)
    else:
        dt_w = _xywh_array(dt_arr if order is None else dt_arr[order], dt_xyxy)[:D]
        gt_w = _xywh_array(gt_arr if gorder is None else gt_arr[gorder], gt_xyxy)
        m = box_iou_xywh(dt_w, gt_w)
        ok = m >= _T0  # box_iou_xywh never returns NaN
        n_cand = ok.sum(axis=1)
        if not any_ig and D >= _VECTOR_MIN_D and int(n_cand.max()) <= 1:
            rows_arr, n_tp = _match_single_candidates(m, ok, n_cand, dt_out, npig)
        else:
            cands = [[] for _ in range(D)]
            di, gi = np.nonzero(ok)  # row-major: ground truth ascending within a prediction
            for d, g, v in zip(di.tolist(), gi.tolist(), m[di, gi].tolist()):
                cands[d].append((g, v))
    if rows_arr is None:
        # candidates at the lowest threshold are a superset of those of the others
        rows, n_tp = _match_all_thresholds(cands, gt_ig if any_ig else None, dt_out, npig)
        rows_arr = np.asarray(rows, dtype=np.float64)
    cols = _recall_columns(npig)
    return np.take(rows_arr, cols, axis=1), n_tp  # C-contiguous (a[:, idx] is not)


def similarity_ap(
    sim: Any,
    scores: Any = None,
    *,
    gt_ignore: Any = None,
    gt_crowd: Any = None,
    dt_out_of_range: Any = None,
    max_dets: int = 20,
    both_empty: float = 1.0,
    no_gt: float = 0.0,
) -> ImageAP:
    """COCO AP of one image and one category from a precomputed similarity matrix.

    ``sim`` is ``D x G`` (predictions in the given order, ground truth in the given
    order), e.g. OKS from :func:`rewardkit.geometry.keypoints.compute_oks`: this is
    ``COCOeval.evaluateImg`` + ``accumulate`` + ``summarize`` for any ``iouType`` whose
    similarity is given, crowd ground truth included. ``gt_ignore``: ground truth that
    is ignored (pycocotools: crowd, no labelled keypoint for keypoints, area outside the
    range); ``gt_crowd``: crowd ground truth (may be matched by several predictions);
    ``dt_out_of_range``: predictions whose area lies outside the area range (ignored
    when unmatched). ``max_dets`` (20 for keypoints) predictions are kept after a stable
    sort by ``-score``; ``scores`` default to 1.0 (answer order breaks ties).

    Returns ``ap`` (``stats[0]``), ``ap50``, ``ap75`` and the recall at ``max_dets``
    (``stats[8]`` for boxes, ``stats[5]`` for keypoints) in ``ar100``. The outcomes where
    pycocotools gives -1 are replaced as in :func:`image_ap` (``both_empty``, ``no_gt``;
    ``defined`` False).
    """
    m = np.asarray(sim, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"Expected a D x G similarity matrix, but got shape {m.shape}")
    n_pred, n_gt = m.shape
    if max_dets < 1:
        raise ValueError(f"Expected max_dets >= 1, but got {max_dets!r}")

    def flags(v: Any, n: int, name: str) -> list[bool]:
        if v is None:
            return [False] * n
        out = [bool(x) for x in np.asarray(v, dtype=bool).reshape(-1)]
        if len(out) != n:
            raise ValueError(f"Expected {n} values for {name}, but got {len(out)}")
        return out

    gt_ig = flags(gt_ignore, n_gt, "gt_ignore")
    crowd = flags(gt_crowd, n_gt, "gt_crowd")
    dt_out = flags(dt_out_of_range, n_pred, "dt_out_of_range")
    if scores is None:
        sc = [1.0] * n_pred
    else:
        sc = np.asarray(scores, dtype=np.float64).reshape(-1).tolist()
        if len(sc) != n_pred:
            raise ValueError(f"Expected {n_pred} scores, but got {len(sc)}")
    npig = n_gt - sum(gt_ig)
    if n_pred == 0 and n_gt == 0:
        return ImageAP(both_empty, both_empty, both_empty, both_empty, False, 0, 0)
    if npig == 0:
        return ImageAP(no_gt, no_gt, no_gt, no_gt, False, n_pred, n_gt)
    if n_pred == 0:
        return ImageAP(0.0, 0.0, 0.0, 0.0, True, 0, n_gt)
    # predictions: stable sort by -score (numpy's mergesort order, NaN last), first max_dets
    order = np.argsort(-np.asarray(sc), kind="mergesort")[:max_dets].tolist()
    # ground truth: regular first, ignored last (stable)
    gorder = [g for g in range(n_gt) if not gt_ig[g]] + [g for g in range(n_gt) if gt_ig[g]]
    rows_sim = m[np.ix_(order, gorder)].tolist()
    g_ig = [gt_ig[g] for g in gorder]
    g_crowd = [crowd[g] for g in gorder]
    d_out = [dt_out[d] for d in order]
    rows: list[list[float]] = []
    n_tp: list[int] = []
    for thr in _CAPS:
        prec, tp = _one_threshold_crowd(rows_sim, g_ig, g_crowd, d_out, thr, npig)
        rows.append(prec)
        n_tp.append(tp)
    q = np.take(np.asarray(rows, dtype=np.float64), _recall_columns(npig), axis=1)
    add = np.add.reduce
    ap = float(add(q, axis=None) / q.size)
    row_sums = add(q, axis=1)
    ap50 = float(row_sums[_IDX50] / q.shape[1])
    ap75 = float(row_sums[_IDX75] / q.shape[1])
    ar = _sum10([k / npig for k in n_tp]) / 10
    return ImageAP(ap, ap50, ap75, ar, True, n_pred, n_gt)


