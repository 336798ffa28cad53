"""One-to-one matchers between predictions and ground truth.

Each returns ``(pred_idx, gt_idx)``, two int arrays of equal length, in the order the
matches were made.

* :func:`match_greedy_confidence`: predictions in descending confidence (stable), each
  takes the best still-unmatched ground truth if that IoU passes the threshold
  (Visual-RFT, COCO-style).
* :func:`match_greedy_global`: repeatedly take the globally largest remaining IoU
  (VLM-R1's weighted-sum reward).
* :func:`match_hungarian`: minimum-cost assignment (``scipy.optimize.linear_sum_assignment``;
  Vision-R1), optionally filtered by a gate on another matrix.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["match_greedy_confidence", "match_greedy_global", "match_hungarian", "passes"]

_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))


def passes(values: Any, threshold: float, inclusive: bool) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    return v >= threshold if inclusive else v > threshold


def match_greedy_confidence(
    iou: Any, scores: Any = None, *, threshold: float = 0.5, inclusive: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy matching by descending confidence.

    ``iou`` is ``(n_pred, n_gt)``; ``scores`` the predictions' confidences (``None`` or
    NaN: file order). Ties in confidence keep file order (stable sort). A prediction
    takes the unmatched ground truth of highest IoU (first in order on ties) and is
    matched only if that IoU passes ``threshold`` (``>`` by default, ``>=`` when
    ``inclusive``).
    """
    m = np.asarray(iou, dtype=np.float64)
    n_pred, n_gt = m.shape
    if n_pred == 0 or n_gt == 0:
        return _EMPTY
    if scores is None:
        order = np.arange(n_pred)
    else:
        s = np.asarray(scores, dtype=np.float64)
        s = np.where(np.isnan(s), -np.inf, s)
        order = np.argsort(-s, kind="stable")
    if n_pred * n_gt <= 4096:
        return _greedy_small(m.tolist(), order.tolist(), threshold, inclusive)
    free = np.ones(n_gt, dtype=bool)
    pi: list[int] = []
    gi: list[int] = []
    for p in order:
        row = np.where(free, m[p], -np.inf)
        j = int(np.argmax(row))
        v = row[j]
        if (v >= threshold) if inclusive else (v > threshold):
            free[j] = False
            pi.append(int(p))
            gi.append(j)
            if not free.any():
                break
    return np.asarray(pi, dtype=np.int64), np.asarray(gi, dtype=np.int64)


def _greedy_small(rows: list[list[float]], order: list[int], threshold: float, inclusive: bool) -> tuple[np.ndarray, np.ndarray]:
    """The same greedy matching in plain Python (faster than numpy for small matrices)."""
    n_gt = len(rows[0])
    free = [True] * n_gt
    left = n_gt
    pi: list[int] = []
    gi: list[int] = []
    for p in order:
        row = rows[p]
        best = -1.0
        j = -1
        for g in range(n_gt):
            if free[g] and row[g] > best:
                best = row[g]
                j = g
        if j >= 0 and ((best >= threshold) if inclusive else (best > threshold)):
            free[j] = False
            pi.append(p)
            gi.append(j)
            left -= 1
            if not left:
                break
    return np.asarray(pi, dtype=np.int64), np.asarray(gi, dtype=np.int64)


def match_greedy_global(iou: Any, *, threshold: float = 0.5, inclusive: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Greedy matching by global maximum IoU (ties: lowest prediction, then gt index)."""
    m = np.asarray(iou, dtype=np.float64)
    if m.size == 0:
        return _EMPTY
    n_pred, n_gt = m.shape
    flat = m.ravel()
    ok = passes(flat, threshold, inclusive)
    cand = np.nonzero(ok)[0]
    if cand.size == 0:
        return _EMPTY
    cand = cand[np.argsort(-flat[cand], kind="stable")]
    used_p = np.zeros(n_pred, dtype=bool)
    used_g = np.zeros(n_gt, dtype=bool)
    pi: list[int] = []
    gi: list[int] = []
    limit = min(n_pred, n_gt)
    for k in cand:
        p, g = divmod(int(k), n_gt)
        if used_p[p] or used_g[g]:
            continue
        used_p[p] = used_g[g] = True
        pi.append(p)
        gi.append(g)
        if len(pi) == limit:
            break
    return np.asarray(pi, dtype=np.int64), np.asarray(gi, dtype=np.int64)


def match_hungarian(cost: Any) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost one-to-one assignment of ``(n_pred, n_gt)`` ``cost``.

    Every row or column (whichever is fewer) is assigned; filter the pairs afterwards
    (e.g. by an IoU threshold). Non-finite costs are replaced by a large finite cost.
    """
    c = np.asarray(cost, dtype=np.float64)
    if c.size == 0:
        return _EMPTY
    if not np.all(np.isfinite(c)):
        big = np.nanmax(np.abs(c[np.isfinite(c)])) if np.isfinite(c).any() else 1.0
        c = np.where(np.isfinite(c), c, big * 10 + 1e6)
    from scipy.optimize import linear_sum_assignment

    r, k = linear_sum_assignment(c)
    return r.astype(np.int64), k.astype(np.int64)
