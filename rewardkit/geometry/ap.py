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
    >>> r.ap, r.ap50
    (1.0, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from rewardkit.geometry.boxes import box_iou_xywh
from rewardkit.types import Boxes

__all__ = ["ImageAP", "image_ap", "IOU_THRESHOLDS", "RECALL_THRESHOLDS", "AREA_ALL"]

# Built exactly as pycocotools.cocoeval.Params.setDetParams builds them.
IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
RECALL_THRESHOLDS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
AREA_ALL = (0.0**2, 1e5**2)
_CAPS = [min(float(t), 1 - 1e-10) for t in IOU_THRESHOLDS]
_T0 = _CAPS[0]
_IDX50 = int(np.where(IOU_THRESHOLDS == 0.5)[0][0])
_IDX75 = 5  # IOU_THRESHOLDS[5] is the 0.75 threshold (pycocotools' np.where finds it too)
_EPS = np.spacing(1)


@dataclass(frozen=True)
class ImageAP:
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


def _as_xywh(value: Any, fmt: str) -> tuple[np.ndarray, np.ndarray | None]:
    if isinstance(value, Boxes):
        return value.xywh, value.scores
    arr = np.asarray(value, dtype=np.float64)
    if arr.size == 0:
        return np.zeros((0, 4)), None
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"Expected boxes of shape N x 4, but got shape {arr.shape}")
    if fmt == "xywh":
        return arr, None
    out = arr.copy()
    out[:, 2:] = arr[:, 2:] - arr[:, :2]
    return out, None


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
    area range is only hit by boxes larger than 1e10 square units).
    """
    if fmt not in ("xyxy", "xywh"):
        raise ValueError(f"Expected fmt 'xyxy' or 'xywh', but got {fmt!r}")
    if max_dets < 1:
        raise ValueError(f"Expected max_dets >= 1, but got {max_dets!r}")
    dt, dt_scores = _as_xywh(pred, fmt)
    gt_xywh, _ = _as_xywh(gt, fmt)
    if scores is not None:
        dt_scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        if dt_scores.shape[0] != dt.shape[0]:
            raise ValueError(f"Expected {dt.shape[0]} scores, but got {dt_scores.shape[0]}")
    n_pred, n_gt = int(dt.shape[0]), int(gt_xywh.shape[0])

    lo, hi = AREA_ALL
    gt_area = gt_xywh[:, 2] * gt_xywh[:, 3]
    gt_ig_raw = (gt_area < lo) | (gt_area > hi)
    npig = int(n_gt - np.count_nonzero(gt_ig_raw))

    if n_pred == 0 and n_gt == 0:
        return ImageAP(both_empty, both_empty, both_empty, both_empty, False, 0, 0)
    if npig == 0:
        return ImageAP(no_gt, no_gt, no_gt, no_gt, False, n_pred, n_gt)
    if n_pred == 0:
        return ImageAP(0.0, 0.0, 0.0, 0.0, True, 0, n_gt)

    # predictions: stable sort by -score, keep max_dets
    if dt_scores is None:
        order = np.arange(min(n_pred, max_dets))
    else:
        order = np.argsort(-dt_scores, kind="mergesort")[:max_dets]
    dt = dt[order]
    D = dt.shape[0]
    # ground truth: regular first, ignored last (stable)
    if npig != n_gt:
        gind = np.argsort(gt_ig_raw.astype(np.int64), kind="mergesort")
        gt_xywh = gt_xywh[gind]
        gt_ig = gt_ig_raw[gind].tolist()
    else:
        gt_ig = None
    ious = np.asarray(box_iou_xywh(dt, gt_xywh), dtype=np.float64).reshape(D, -1)

    matched, dt_ig = _greedy_match(ious, gt_ig)

    dt_area = dt[:, 2] * dt[:, 3]
    out_of_range = (dt_area < lo) | (dt_area > hi)
    if out_of_range.any():
        dt_ig = dt_ig | (~matched & out_of_range[None, :])
    keep = ~dt_ig
    tp_sum = np.cumsum(matched & keep, axis=1).astype(float)
    fp_sum = np.cumsum(~matched & keep, axis=1).astype(float)
    rc = tp_sum / npig
    pr = tp_sum / (fp_sum + tp_sum + _EPS)
    pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]
    q = np.zeros((len(_CAPS), RECALL_THRESHOLDS.shape[0]))
    for t in range(len(_CAPS)):
        inds = np.searchsorted(rc[t], RECALL_THRESHOLDS, side="left")
        ok = inds < D
        q[t, ok] = pr[t, inds[ok]]
    ap = float(np.mean(q.ravel()))
    ap50 = float(np.mean(q[_IDX50]))
    ap75 = float(np.mean(q[_IDX75]))
    ar = float(np.mean(rc[:, -1]))
    return ImageAP(ap, ap50, ap75, ar, True, n_pred, n_gt)


def _greedy_match(ious: np.ndarray, gt_ig: list[bool] | None) -> tuple[np.ndarray, np.ndarray]:
    """pycocotools' evaluateImg matching for every IoU threshold (no crowd).

    ``ious`` is ``D x G`` with predictions in score order and ground truth regular-first.
    Returns ``matched`` and ``dt_ignore`` (matched to an ignored ground truth), ``T x D``.
    """
    D, G = ious.shape
    T = len(_CAPS)
    matched = np.zeros((T, D), dtype=bool)
    dt_ig = np.zeros((T, D), dtype=bool)
    if G == 0:
        return matched, dt_ig
    # Candidates of each prediction at the lowest threshold (a superset for the others).
    # `not v < t` keeps NaN, which pycocotools would also accept.
    rows = ious.tolist()
    cands = [[(g, v) for g, v in enumerate(row) if not v < _T0] for row in rows]
    if not any(cands):
        return matched, dt_ig
    if gt_ig is None:
        simple = all(len(c) <= 1 for c in cands)
        for t, thr in enumerate(_CAPS):
            taken = [False] * G
            for d, cand in enumerate(cands):
                if not cand:
                    continue
                if simple:
                    g, v = cand[0]
                    if taken[g] or v < thr:
                        continue
                    taken[g] = True
                    matched[t, d] = True
                    continue
                best, m = thr, -1
                for g, v in cand:
                    if taken[g] or v < best:
                        continue
                    best, m = v, g
                if m >= 0:
                    taken[m] = True
                    matched[t, d] = True
        return matched, dt_ig
    for t, thr in enumerate(_CAPS):
        taken = [False] * G
        for d, cand in enumerate(cands):
            best, m = thr, -1
            for g, v in cand:
                if taken[g]:
                    continue
                if m > -1 and not gt_ig[m] and gt_ig[g]:
                    break
                if v < best:
                    continue
                best, m = v, g
            if m >= 0:
                taken[m] = True
                matched[t, d] = True
                dt_ig[t, d] = gt_ig[m]
    return matched, dt_ig
