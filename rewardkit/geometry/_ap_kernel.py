"""The matching and precision kernels of :mod:`rewardkit.geometry.ap`: pycocotools'
``evaluateImg`` (greedy matching per IoU threshold, no crowd / with crowd) and
``accumulate`` (precision at each true positive, monotone from the right, read at the
recall thresholds) for one image and one category, in plain Python for the handful of
boxes of one completion and vectorized when every prediction has at most one candidate.

:mod:`rewardkit.geometry.ap` holds the public functions (``image_ap``,
``image_ap_per_label``, ``similarity_ap``, ``image_ap_batch``) and the per-image
preparation (score order, ``max_dets``, ignored ground truth, IoU candidates); the
parity tests (``tests/parity/test_completion_ap_parity.py``) compare both against
pycocotools bit for bit.
"""

from __future__ import annotations

from bisect import bisect_left
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["IOU_THRESHOLDS", "RECALL_THRESHOLDS", "AREA_ALL"]

# Built exactly as pycocotools.cocoeval.Params.setDetParams builds them.
IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
RECALL_THRESHOLDS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
AREA_ALL = (0.0**2, 1e5**2)
_CAPS = [min(float(t), 1 - 1e-10) for t in IOU_THRESHOLDS]
_T0 = _CAPS[0]
_IDX50 = int(np.where(IOU_THRESHOLDS == 0.5)[0][0])
_IDX75 = 5  # IOU_THRESHOLDS[5] is the 0.75 threshold (pycocotools' np.where finds it too)
_EPS = np.spacing(1)
_THR = np.asarray(_CAPS)[:, None]


@lru_cache(maxsize=1024)
def _recall_columns(npig: int) -> np.ndarray:
    """Column ``j - 1`` of the ``j``-th true positive read at each recall threshold.

    ``np.searchsorted(tp_sum / npig, recThrs, "left")`` lands on the first detection
    whose cumulative recall ``j / npig`` reaches the threshold, i.e. on the ``j``-th true
    positive with ``j`` the smallest count whose recall (the same float division) is
    ``>= r``; ``r = 0`` lands on the first detection, whose monotone precision is the
    maximum over all of them (column 0 as well).
    """
    rec = np.arange(1, npig + 1, dtype=np.float64) / npig
    j = np.searchsorted(rec, RECALL_THRESHOLDS, side="left")  # j - 1 in 0..npig-1
    j = np.minimum(j, npig - 1)
    j.setflags(write=False)
    return j


def _score_order(dt_scores: list[float] | None, n_pred: int, max_dets: int) -> tuple[list[int] | None, int]:
    """pycocotools' order of the predictions (stable sort by ``-score``, mergesort; NaN
    last) cut at ``max_dets``: the indices (``None``: the given order) and their count.
    """
    if dt_scores is not None:
        if any(v != v for v in dt_scores):  # NaN: numpy's order (NaN last)
            order = np.argsort(-np.asarray(dt_scores), kind="mergesort")[:max_dets].tolist()
        else:
            s = dt_scores
            order = sorted(range(n_pred), key=lambda i: -s[i])[:max_dets]
        return order, len(order)
    return None, min(n_pred, max_dets)


def _rows_pre(
    m: np.ndarray, cands: list[list[tuple[int, float]]], dt_out: list[bool], order: list[int] | None, D: int,
    n_gt: int, npig: int, small: int, vector_min_d: int,
) -> tuple[Any, list[int]]:
    """The precision rows and true positives of ``_precision_table`` (no ignored
    ground truth) from the IoU block ``m`` of the predictions in their given order and
    the candidates and area flags ``cands`` / ``dt_out`` in score order, as
    :func:`~rewardkit.geometry.ap.image_ap_batch` computes them for a group; the same
    branches as ``_precision_table`` (its ``_SMALL`` and ``_VECTOR_MIN_D`` passed as
    ``small`` and ``vector_min_d``: plain-Python matcher, or the vectorized one when it
    applies) on the same values.
    """
    if D * n_gt > small and D >= vector_min_d:
        mo = m[:D] if order is None else m[order]
        ok = mo >= _T0
        n_cand = ok.sum(axis=1)
        if int(n_cand.max()) <= 1:
            return _match_single_candidates(mo, ok, n_cand, dt_out, npig)
    return _match_all_thresholds(cands, None, dt_out, npig)


def _sum10(a: list[float]) -> float:
    """``np.add.reduce`` of 10 float64 values: numpy's pairwise summation (8 partial sums
    combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then the rest in
    order), in plain Python. The parity test (AR@100 == pycocotools' stats[8]) guards it.
    """
    return (((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))) + a[8] + a[9]


def _match_all_thresholds(
    cands: list[list[tuple[int, float]]], gt_ig: list[bool] | None, dt_out: list[bool], npig: int
) -> tuple[list[list[float]], list[int]]:
    """pycocotools' evaluateImg matching and accumulate's precision for every IoU
    threshold (no crowd).

    ``cands[d]`` lists ``(g, IoU)`` with IoU >= 0.5 for prediction ``d`` (score order),
    ground truth regular-first and ascending. The IoU kernels never return NaN (0 unless
    both overlaps are positive). Returns, per threshold, the monotone precision at the
    ``j``-th true positive for ``j = 1..npig`` (0 past the last one) and the number of
    true positives. Thresholds that leave the same set of candidate IoUs (``>= t``) give
    the same matching, which is computed once.
    """
    eps = _EPS
    D = len(cands)
    values = sorted({v for c in cands for _, v in c})
    rows: list[list[float]] = []
    n_tp: list[int] = []
    cache: dict[int, tuple[list[float], int]] = {}
    for thr in _CAPS:
        key = len(values) - bisect_left(values, thr)  # how many candidate IoUs are >= thr
        hit = cache.get(key)
        if hit is None:
            hit = _one_threshold(cands, gt_ig, dt_out, thr, D, npig, eps)
            cache[key] = hit
        rows.append(hit[0])
        n_tp.append(hit[1])
    return rows, n_tp


def _one_to_one(cands: list[list[tuple[int, float]]]) -> list[float] | None:
    """Per prediction the IoU of its only candidate (-1.0 without one), when no two
    predictions share a candidate and none has two; else ``None``. Then no prediction
    ever competes for a ground truth: at threshold ``t`` the true positives are exactly
    the predictions whose IoU is ``>= t`` (what the greedy matching gives).
    """
    seen: set[int] = set()
    vs: list[float] = []
    for c in cands:
        if not c:
            vs.append(-1.0)
            continue
        if len(c) != 1:
            return None
        g, v = c[0]
        if g in seen:
            return None
        seen.add(g)
        vs.append(v)
    return vs


def _one_to_one_tables(vs_list: list[list[float]], npig: int) -> tuple[np.ndarray, list[list[int]]]:
    """The precision rows (``B x T x npig``) and true positives per threshold of several
    one-to-one predictions (:func:`_one_to_one`; no ignored ground truth, no prediction
    outside the area range) at once, in a few numpy operations for the whole group.

    What :func:`_one_threshold` computes for each (prediction set, threshold) in that
    case: the true positives at ``t`` are the predictions with IoU ``>= t``; every
    prediction up to the ``j``-th true positive (at index ``p``) is a true or a false
    positive, so ``tp + fp = p + 1`` there and its precision is ``j / (float(p + 1) +
    eps)`` (the same conversions and operations, elementwise), made monotone from the
    right over the true positives.
    Padding a shorter prediction list with predictions that never match changes no
    precision (they come after its last true positive).
    """
    B = len(vs_list)
    width = max(len(v) for v in vs_list)
    V = np.array([v + [-1.0] * (width - len(v)) for v in vs_list], dtype=np.float64).reshape(B, width)
    tp = V[:, None, :] >= _THR[None, :, :]  # B x T x D
    cum = np.cumsum(tp, axis=2)
    prec = np.where(tp, cum / (np.arange(1, width + 1, dtype=np.float64) + _EPS), 0.0)
    suffix = np.maximum.accumulate(prec[:, :, ::-1], axis=2)[:, :, ::-1]
    rows = np.zeros((B, len(_CAPS), npig))
    b, t, d = np.nonzero(tp)
    rows[b, t, cum[b, t, d] - 1] = suffix[b, t, d]
    return rows, cum[:, :, -1].tolist()


def _match_single_candidates(m: np.ndarray, ok: np.ndarray, n_cand: np.ndarray, dt_out: list[bool], npig: int) -> tuple[np.ndarray, list[int]]:
    """All thresholds at once when every prediction has at most one ground truth with
    IoU >= 0.5 and no ground truth is ignored (the usual case for a long answer).

    Prediction ``d`` with candidate ``g`` and IoU ``v`` is a true positive at threshold
    ``t`` iff ``v >= t`` and every earlier prediction with the same candidate has IoU
    ``< t`` (pycocotools' greedy matching reduces to that when candidates are unique):
    ``tp[t, d] = (v_d >= t) & (prefix_max_d < t)``. Precision is computed with the very
    expressions of ``COCOeval.accumulate`` (cumulative sums as floats,
    ``tp / (fp + tp + np.spacing(1))``, maximum from the right).
    """
    D = m.shape[0]
    has = n_cand > 0
    g = np.where(has, ok.argmax(axis=1), -1)
    v = np.where(has, m[np.arange(D), np.maximum(g, 0)], -np.inf)
    prev: dict[int, float] = {}
    pm = []
    for gi, vi in zip(g.tolist(), v.tolist()):
        if gi < 0:
            pm.append(np.inf)  # never a true positive
            continue
        best = prev.get(gi, -np.inf)
        pm.append(best)
        if vi > best:
            prev[gi] = vi
    tp = (v[None, :] >= _THR) & (np.asarray(pm)[None, :] < _THR)
    keep = ~np.asarray(dt_out, dtype=bool)
    fp = ~tp & keep[None, :]
    tp_sum = np.cumsum(tp, axis=1).astype(float)
    fp_sum = np.cumsum(fp, axis=1).astype(float)
    pr = tp_sum / (fp_sum + tp_sum + _EPS)
    pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]
    rows = np.zeros((len(_CAPS), npig))
    ti, di = np.nonzero(tp)
    rows[ti, tp_sum[ti, di].astype(np.int64) - 1] = pr[ti, di]
    return rows, tp_sum[:, -1].astype(np.int64).tolist()


def _one_threshold(cands, gt_ig, dt_out, thr, D, npig, eps):  # noqa: ANN001, ANN202 - hot path
    taken: set[int] = set()
    tp = 0
    fp = 0
    prec: list[float] = []
    if gt_ig is None:  # no ignored ground truth (the usual case): the same loop, fewer tests
        for d in range(D):
            m = -1
            best = thr
            for g, v in cands[d]:
                if v < best or g in taken:
                    continue
                best = v
                m = g
            if m >= 0:
                taken.add(m)
                tp += 1
                prec.append(tp / (float(fp + tp) + eps))
            elif not dt_out[d]:
                fp += 1
        for i in range(len(prec) - 2, -1, -1):
            if prec[i + 1] > prec[i]:
                prec[i] = prec[i + 1]
        prec.extend([0.0] * (npig - len(prec)))
        return prec, tp
    for d in range(D):
        best = thr
        m = -1
        for g, v in cands[d]:
            if g in taken:
                continue
            if gt_ig is not None and m > -1 and not gt_ig[m] and gt_ig[g]:
                break
            if v < best:
                continue
            best = v
            m = g
        if m >= 0:
            taken.add(m)
            if gt_ig is not None and gt_ig[m]:
                continue  # matched to an ignored ground truth: ignored
            tp += 1
            prec.append(tp / (float(fp + tp) + eps))
        elif dt_out[d]:
            continue  # unmatched and outside the area range: ignored
        else:
            fp += 1
    # monotone from the right: suffix maximum over the true positives
    for i in range(len(prec) - 2, -1, -1):
        if prec[i + 1] > prec[i]:
            prec[i] = prec[i + 1]
    prec.extend([0.0] * (npig - len(prec)))
    return prec, tp


def _one_threshold_crowd(
    sim: list[list[float]], gt_ig: list[bool], crowd: list[bool], dt_out: list[bool], thr: float, npig: int
) -> tuple[list[float], int]:
    """pycocotools' evaluateImg matching at one threshold (a crowd ground truth may be
    matched again; a prediction matched to an ignored one, or unmatched and outside the
    area range, is ignored) and the monotone precision at each true positive, padded
    with 0 to ``npig``, as :func:`_one_threshold` returns it.
    """
    G = len(gt_ig)
    taken = [False] * G
    tp = 0
    fp = 0
    prec: list[float] = []
    eps = _EPS
    for d, row in enumerate(sim):
        best = thr
        m = -1
        for g in range(G):
            if taken[g] and not crowd[g]:
                continue
            if m > -1 and not gt_ig[m] and gt_ig[g]:
                break
            v = row[g]
            if v < best:
                continue
            best = v
            m = g
        if m == -1:
            if not dt_out[d]:
                fp += 1
            continue
        taken[m] = True
        if gt_ig[m]:
            continue
        tp += 1
        prec.append(tp / (float(fp + tp) + eps))
    for i in range(len(prec) - 2, -1, -1):
        if prec[i + 1] > prec[i]:
            prec[i] = prec[i + 1]
    prec.extend([0.0] * (npig - len(prec)))
    return prec, tp
