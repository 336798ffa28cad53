"""S-measure (structure measure; Fan et al., ICCV 2017), bit-compatible with PySODMetrics: object-aware and region-aware terms, ``S = alpha * S_o + (1 - alpha) * S_r``; formulas: docs/metrics-sod-lisa.md."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from rewardkit.geometry._sod_pair import EPS, SODCompat, _check_compat, _Pair, _prepare_pair

# ---------------------------------------------------------------- S-measure


def _s_object(x: np.ndarray, old: bool) -> float:
    mean = np.mean(x)
    if x.size > 1:
        std = np.std(x, ddof=1)
    elif old:
        std = np.nan  # np.std(ddof=1) of one value in PySODMetrics < 1.6.2
    else:
        std = 0
    return 2 * mean / (np.power(mean, 2) + 1 + std + EPS)


def _ssim_ref(pred: np.ndarray, gt: np.ndarray, old: bool) -> float:
    """The reference arithmetic, used on degenerate quadrants."""
    h, w = pred.shape
    n = h * w
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        x = np.mean(pred)
        y = np.mean(gt)
        d = np.float64(n - 1) if old else (n - 1 + EPS)
        sigma_x = np.sum((pred - x) ** 2) / d
        sigma_y = np.sum((gt - y) ** 2) / d
        sigma_xy = np.sum((pred - x) * (gt - y)) / d
        alpha = 4 * x * y * sigma_xy
        beta = (x**2 + y**2) * (sigma_x + sigma_y)
    if alpha != 0:
        return alpha / (beta + EPS)
    if alpha == 0 and beta == 0:
        return 1.0
    return 0.0


def _region(pred: np.ndarray, gt: np.ndarray, old: bool) -> float:
    h, w = gt.shape
    area = h * w
    cy, cx = _centroid(gt, int(np.count_nonzero(gt)))
    w_lt = cx * cy / area
    w_rt = cy * (w - cx) / area
    w_lb = (h - cy) * cx / area
    w_rb = 1 - w_lt - w_rt - w_lb

    gtf = gt.view(np.uint8)
    pg = pred * gtf
    pp = pred * pred
    quads = (
        (slice(0, cy), slice(0, cx), w_lt),
        (slice(0, cy), slice(cx, w), w_rt),
        (slice(cy, h), slice(0, cx), w_lb),
        (slice(cy, h), slice(cx, w), w_rb),
    )
    # column sums of each row band, then split at cx
    bands = {}
    for rs in (slice(0, cy), slice(cy, h)):
        bands[rs.start] = (
            pred[rs].sum(axis=0),
            pp[rs].sum(axis=0),
            pg[rs].sum(axis=0),
            np.count_nonzero(gt[rs], axis=0),
        )
    total = 0.0
    for rs, cs, weight in quads:
        n = (rs.stop - rs.start) * (cs.stop - cs.start)
        csp, cspp, cspg, csg = bands[rs.start]
        sp = float(csp[cs].sum())
        spp = float(cspp[cs].sum())
        spg = float(cspg[cs].sum())
        sg = int(csg[cs].sum())
        score = None
        if n > 2 and 0 < sg < n:
            d = (n - 1) if old else (n - 1 + EPS)
            x = sp / n
            y = sg / n
            var_x = (spp - sp * sp / n) / d
            var_y = (sg * (n - sg) / n) / d
            cov = (spg - sp * sg / n) / d
            # near a branch of the reference (alpha == 0, beta == 0): use its arithmetic
            if var_x > 1e-9 and abs(cov) > 1e-9 and x > 1e-9:
                alpha = 4 * x * y * cov
                beta = (x * x + y * y) * (var_x + var_y)
                score = alpha / (beta + EPS)
        if score is None:
            score = _ssim_ref(pred[rs, cs], gt[rs, cs], old)
        total = total + score * weight
    return total


def _centroid(gt: np.ndarray, n_fg: int) -> tuple[int, int]:
    h, w = gt.shape
    if n_fg == 0:
        cy, cx = np.round(h / 2), np.round(w / 2)
    else:
        rows = np.count_nonzero(gt, axis=1)
        cols = np.count_nonzero(gt, axis=0)
        sy = int(np.dot(rows.astype(np.int64), np.arange(h, dtype=np.int64)))
        sx = int(np.dot(cols.astype(np.int64), np.arange(w, dtype=np.int64)))
        cy, cx = np.round(np.array([sy / n_fg, sx / n_fg]))
    return int(cy) + 1, int(cx) + 1


def _s_object_hist(counts: np.ndarray, values: np.ndarray, old: bool) -> float:
    n = int(counts.sum())
    mean = float(counts @ values) / n
    if n > 1:
        dv = values - mean
        std = np.sqrt(float(counts @ (dv * dv)) / (n - 1))
    elif old:
        std = np.nan
    else:
        std = 0.0
    return 2 * mean / (mean**2 + 1 + std + EPS)


def _s_measure_u8(pair: _Pair, u8: np.ndarray, t: np.ndarray, alpha: float, old: bool) -> float:
    """S-measure from per-quadrant joint histograms of (grey level, gt); degenerate
    quadrants (constant prediction, N <= 2, near-zero covariance) use the reference
    arithmetic on the slice so the branch decisions match.
    """
    pred, gt = pair.pred, pair.gt
    h, w = gt.shape
    area = h * w
    n_fg = int(np.count_nonzero(gt))
    if n_fg == 0:
        return float(1 - np.mean(pred))
    if n_fg == area:
        return float(np.mean(pred))
    cy, cx = _centroid(gt, n_fg)
    idx = gt.astype(np.intp)
    idx <<= 8
    idx += u8
    idx[cy:, :] += 1024
    idx[:, cx:] += 512
    counts = np.bincount(idx.ravel(), minlength=2048).reshape(4, 2, 256)
    pair.hist2 = counts.sum(axis=0)
    hist = counts.astype(np.float64)
    y_all = n_fg / area
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        c1 = hist[:, 1, :].sum(axis=0)
        c0 = hist[:, 0, :].sum(axis=0)
        obj = _s_object_hist(c1, t, old) * y_all + _s_object_hist(c0, 1 - t, old) * (1 - y_all)
        w_lt = cx * cy / area
        w_rt = cy * (w - cx) / area
        w_lb = (h - cy) * cx / area
        w_rb = 1 - w_lt - w_rt - w_lb
        quads = (
            (slice(0, cy), slice(0, cx), w_lt),
            (slice(0, cy), slice(cx, w), w_rt),
            (slice(cy, h), slice(0, cx), w_lb),
            (slice(cy, h), slice(cx, w), w_rb),
        )
        reg = 0.0
        for q, (rs, cs, weight) in enumerate(quads):
            g1, g0 = hist[q, 1], hist[q, 0]
            cnt = g1 + g0
            n = int(cnt.sum())
            n1 = int(g1.sum())
            score = None
            if n > 2 and np.count_nonzero(cnt) > 1:
                if n1 == 0 or n1 == n:
                    score = 0.0  # gt constant: alpha = 0, beta > 0 (prediction not constant)
                else:
                    d = (n - 1) if old else (n - 1 + EPS)
                    x = float(cnt @ t) / n
                    y = n1 / n
                    dv = t - x
                    sigma_x = float(cnt @ (dv * dv)) / d
                    sigma_y = (n1 * (1 - y) ** 2 + (n - n1) * y**2) / d
                    sigma_xy = (float(g1 @ dv) * (1 - y) - float(g0 @ dv) * y) / d
                    if abs(sigma_xy) > 1e-12 and x > 1e-12:
                        a = 4 * x * y * sigma_xy
                        b = (x**2 + y**2) * (sigma_x + sigma_y)
                        score = a / (b + EPS)
            if score is None:
                score = _ssim_ref(pred[rs, cs], gt[rs, cs], old)
            reg = reg + score * weight
        sm = obj * alpha + reg * (1 - alpha)
    if old:
        return float(max(0, sm))
    return float(np.maximum(0, sm))


def _s_measure_pair(pair: _Pair, alpha: float, old: bool) -> float:
    if pair.u8 is not None and pair.table is not None:  # set together (uint8 input)
        return _s_measure_u8(pair, pair.u8, pair.table, alpha, old)
    return _s_measure(pair.pred, pair.gt, alpha, old)


def s_measure(pred: Any, gt: Any, *, alpha: float = 0.5, compat: SODCompat = None, prepared: bool = False) -> float:
    """S-measure of one prediction map (Fan et al., ICCV 2017; PySODMetrics ``Smeasure``).

    ``S = max(0, alpha * S_o + (1 - alpha) * S_r)``; ``1 - mean(pred)`` on an empty ground
    truth, ``mean(pred)`` on a full one. ``prepared=True`` means ``pred`` is float in
    [0, 1] and ``gt`` bool already (no normalization). May be NaN with the default
    ``compat`` (see the module doc); ``compat="seg_r1"`` never is.
    """
    _check_compat(compat)
    if prepared:
        return _s_measure(np.asarray(pred, dtype=np.float64), np.asarray(gt, dtype=bool), alpha, compat == "seg_r1")
    return _s_measure_pair(_prepare_pair(pred, gt), alpha, compat == "seg_r1")


def _s_measure(pred: np.ndarray, gt: np.ndarray, alpha: float, old: bool) -> float:
    y = np.mean(gt)
    if y == 0:
        return float(1 - np.mean(pred))
    if y == 1:
        return float(np.mean(pred))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        fg = pred[gt]
        bg = 1 - pred[~gt]
        obj = _s_object(fg, old) * y + _s_object(bg, old) * (1 - y)
        reg = _region(pred, gt, old)
        sm = obj * alpha + reg * (1 - alpha)
    if old:
        return float(max(0, sm))  # Python max: NaN -> 0, as PySODMetrics < 1.6.2
    return float(np.maximum(0, sm))
