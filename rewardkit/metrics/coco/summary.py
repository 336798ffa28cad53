"""From precision/recall arrays to the numbers people read: ``stats``, per-category AP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rewardkit.metrics.coco import engine
from rewardkit.metrics.coco.params import DET_STAT_NAMES, KPT_STAT_NAMES, CocoParams

__all__ = ["summarize", "per_category_table", "package"]


def _summarize_one(ev, p: CocoParams, ap: int = 1, iouThr=None, areaRng="all", maxDets=100) -> float:
    aind = [i for i, aRng in enumerate(p.areaRngLbl) if aRng == areaRng]
    mind = [i for i, mDet in enumerate(p.maxDets) if mDet == maxDets]
    if ap == 1:
        s = ev["precision"]
        if iouThr is not None:
            t = np.where(iouThr == np.asarray(p.iouThrs))[0]
            s = s[t]
        s = _last_two(s, aind, mind)
    else:
        s = ev["recall"]
        if iouThr is not None:
            t = np.where(iouThr == np.asarray(p.iouThrs))[0]
            s = s[t]
        s = _last_two(s, aind, mind)
    return engine.summarize_mean(s)


def _last_two(s: np.ndarray, aind: list[int], mind: list[int]) -> np.ndarray:
    """``s[..., aind, mind]`` as pycocotools indexes it.

    A single (area, maxDets) pair is a view (same elements in the same order, without
    copying the array first).
    """
    if len(aind) == 1 and len(mind) == 1:
        a, m = aind[0], mind[0]
        return s[..., a : a + 1, m : m + 1]
    return s[..., aind, mind]


def summarize(ev, p: CocoParams, iou_type: str, compat: str | None) -> list[float]:
    md = list(p.maxDets)
    pyc = compat == "pycocotools"

    def m(i: int) -> int:
        if pyc:
            return md[i]
        return md[min(i, len(md) - 1)]

    if iou_type in ("bbox", "segm"):
        first = 100 if pyc else md[-1]
        return [
            _summarize_one(ev, p, 1, maxDets=first),
            _summarize_one(ev, p, 1, iouThr=0.5, maxDets=m(2)),
            _summarize_one(ev, p, 1, iouThr=0.75, maxDets=m(2)),
            _summarize_one(ev, p, 1, areaRng="small", maxDets=m(2)),
            _summarize_one(ev, p, 1, areaRng="medium", maxDets=m(2)),
            _summarize_one(ev, p, 1, areaRng="large", maxDets=m(2)),
            _summarize_one(ev, p, 0, maxDets=m(0)),
            _summarize_one(ev, p, 0, maxDets=m(1)),
            _summarize_one(ev, p, 0, maxDets=m(2)),
            _summarize_one(ev, p, 0, areaRng="small", maxDets=m(2)),
            _summarize_one(ev, p, 0, areaRng="medium", maxDets=m(2)),
            _summarize_one(ev, p, 0, areaRng="large", maxDets=m(2)),
        ]
    k = 20 if pyc else md[-1]
    return [
        _summarize_one(ev, p, 1, maxDets=k),
        _summarize_one(ev, p, 1, maxDets=k, iouThr=0.5),
        _summarize_one(ev, p, 1, maxDets=k, iouThr=0.75),
        _summarize_one(ev, p, 1, maxDets=k, areaRng="medium"),
        _summarize_one(ev, p, 1, maxDets=k, areaRng="large"),
        _summarize_one(ev, p, 0, maxDets=k),
        _summarize_one(ev, p, 0, maxDets=k, iouThr=0.5),
        _summarize_one(ev, p, 0, maxDets=k, iouThr=0.75),
        _summarize_one(ev, p, 0, maxDets=k, areaRng="medium"),
        _summarize_one(ev, p, 0, maxDets=k, areaRng="large"),
    ]


def _row_means(X: np.ndarray) -> np.ndarray:
    """``np.mean(row[row > -1])`` per row of a 2-D array (NaN for a row without entries).

    A row whose entries are all > -1 is averaged with one ``np.sum(axis=1)`` over the
    C-contiguous array (numpy reduces each contiguous row with the same pairwise sum as
    the 1-D ``np.mean``, then divides by the count: the same bits); other rows take the
    1-D path.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    n_rows, n = X.shape
    out = np.full(n_rows, np.nan)
    if n_rows == 0 or n == 0:
        return out
    ok = X > -1
    full = ok.all(axis=1)
    if full.any():
        out[full] = np.sum(X[full], axis=1) / n
    for i in np.flatnonzero(~full & ok.any(axis=1)).tolist():
        out[i] = float(np.mean(X[i][ok[i]]))
    return out


def per_category_table(
    precision: np.ndarray,
    cat_ids: Sequence,
    cat_names: Sequence[str],
    iou_thrs: Sequence[float] | np.ndarray,
    area_idx: int = 0,
    max_det_idx: int = -1,
) -> list[dict[str, Any]]:
    """Per-category AP, AP50, AP75: ``mean(precision[t, :, k, area, maxDet] > -1)``.

    This is the per-category number of Detectron2 / Visual-RFT tables (a category
    without ground truth gives NaN).

    Args:
        precision: pycocotools' ``precision`` array ``[T, R, K, A, M]``.
        cat_ids: the ``K`` category ids.
        cat_names: the ``K`` category names.
        iou_thrs: the ``T`` IoU thresholds (AP50 / AP75 read the 0.5 / 0.75 rows).
        area_idx: the area range index ``A``.
        max_det_idx: the maxDets index ``M``.

    Returns:
        One dict per category: ``id``, ``name``, ``AP``, ``AP50``, ``AP75``.
    """
    thrs = np.asarray(iou_thrs)
    t50 = np.where(0.5 == thrs)[0]
    t75 = np.where(0.75 == thrs)[0]
    K = precision.shape[2]
    nan = np.full(K, np.nan)
    if precision.shape[3] == 0:  # areaRng=[]: nothing evaluated
        return [{"id": c, "name": n, "AP": np.nan, "AP50": np.nan, "AP75": np.nan} for c, n in zip(cat_ids, cat_names)]
    s = precision[:, :, :, area_idx, max_det_idx]  # (T, R, K)

    def means(t_idx) -> np.ndarray:
        if t_idx is None:
            sub = s
        elif t_idx.size == 0:
            return nan
        else:
            sub = s[t_idx]
        return _row_means(sub.reshape(-1, K).T)  # row k: the elements of s[..., k] in C order

    ap, ap50, ap75 = means(None), means(t50), means(t75)
    return [
        {"id": cid, "name": name, "AP": float(ap[k]), "AP50": float(ap50[k]), "AP75": float(ap75[k])}
        for k, (cid, name) in enumerate(zip(cat_ids, cat_names))
    ]


def package(
    ev: dict[str, np.ndarray], p: CocoParams, iou_type: str, cat_ids, cat_names, compat, backend: str
) -> dict[str, Any]:
    stats = summarize(ev, p, iou_type, compat)
    names = DET_STAT_NAMES if iou_type in ("bbox", "segm") else KPT_STAT_NAMES
    out: dict[str, Any] = {name: float(v) for name, v in zip(names, stats)}
    out["stats"] = [float(v) for v in stats]
    out["precision"] = ev["precision"]
    out["recall"] = ev["recall"]
    out["scores"] = ev["scores"]
    a_all = p.areaRngLbl.index("all") if "all" in p.areaRngLbl else 0
    out["per_category"] = per_category_table(ev["precision"], cat_ids, cat_names, p.iouThrs, a_all, -1)
    out["params"] = p.as_dict()
    out["params"]["catIds"] = list(cat_ids)
    out["iou_type"] = iou_type
    out["backend"] = backend
    return out
