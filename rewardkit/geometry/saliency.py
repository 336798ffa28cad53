"""Per-image salient / camouflaged object measures, identical to PySODMetrics 1.6.2.

The kernels behind :mod:`rewardkit.metrics.sod` (dataset level) and the Seg-R1 reward
(S-measure term); pure numpy/scipy on arrays, so they sit in the geometry layer.

Metrics (the names PySODMetrics' README prints):

* ``Smeasure``: structure measure (Fan et al., ICCV 2017), ``alpha = 0.5``:
  ``S = alpha * S_object + (1 - alpha) * S_region``, clipped at 0; ``1 - mean(pred)``
  when the ground truth is empty and ``mean(pred)`` when it is full.
* ``adpEm`` / ``meanEm`` / ``maxEm``: enhanced-alignment measure (Fan et al., IJCAI 2018)
  at the adaptive threshold ``min(2 * mean(pred), 1)``, and the mean / max over the
  256 thresholds of the dataset-mean E-measure curve.
* ``wFmeasure``: weighted F-measure (Margolin et al., CVPR 2014), ``beta = 1``; 0 when the
  ground truth is empty.
* ``adpFm`` / ``meanFm`` / ``maxFm``: F-measure (Achanta et al., CVPR 2009) with
  ``beta^2 = 0.3`` (PySODMetrics' legacy ``Fmeasure`` class), adaptive threshold and
  the mean / max of the dataset-mean curve over 256 thresholds.
* ``MAE``: mean absolute error.

Inputs follow PySODMetrics: ground truth 0..255 images binarized with ``> 128``,
predictions 0..255 scaled to 0..1 (``/ 255``) and min-max normalized when not constant.
Two deliberate input checks (bad caller input raises ``ValueError``): a ``uint8`` ground
truth whose values are all 0 or 1 (a 0/1 mask that ``> 128`` would empty, the Seg-R1
defect) is refused, pass it as ``bool``; ``bool`` ground truth is used as is. Float
predictions are taken as already in 0..1 (not divided by 255).

``compat="seg_r1"`` reproduces the S-measure of PySODMetrics < 1.6.2 (1.2 to 1.6.0), which
Seg-R1 used: ``np.std(ddof=1)`` of a one-pixel region is NaN, SSIM denominators are
``N - 1`` (a one-pixel quadrant gives NaN), and the final ``max(0, S)`` is Python's
``max``, which turns any NaN into 0. So on degenerate masks (a one-pixel object or
background, a one-pixel or empty quadrant) the old S-measure is 0. Version 1.6.2 sets
the std of one pixel to 0, divides by ``N - 1 + eps`` and clips with ``np.maximum``,
which keeps NaN: an object whose centroid lies in the last row or column gives an
empty quadrant and ``Smeasure = NaN`` in 1.6.2. The default reproduces that NaN (it is
what the reference reports); :func:`s_measure` callers that need a number (the Seg-R1
reward) decide what NaN means. Every other metric is the same in all versions.

Speed: one histogram (``np.bincount``) per image serves the E- and F-measure curves and
the adaptive threshold is binarized once for both; the S-measure region term uses
quadrant sums (falling back to the reference arithmetic on degenerate quadrants so the
branch decisions match); the weighted F-measure uses the feature transform of
``scipy.ndimage.distance_transform_edt`` once and a separable Gaussian.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage

from rewardkit.geometry._sod_pair import (  # noqa: F401 (re-exported)
    EPS,
    SOD_METRIC_NAMES,
    SODCompat,
    _check_compat,
    _Pair,
    _prepare_pair,
    prepare_sod_pair,
)
from rewardkit.geometry.s_measure import _s_measure_pair, s_measure  # noqa: F401 (re-exported)

__all__ = [
    "s_measure",
    "e_measure",
    "weighted_f_measure",
    "f_measure",
    "mae",
    "prepare_sod_pair",
    "SOD_METRIC_NAMES",
    "SODCompat",
    "EPS",
]

# ---------------------------------------------------------------- E- and F-measure


def _histograms(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    q = (pred * 255).astype(np.uint8)
    idx = gt.astype(np.intp)
    idx <<= 8
    idx += q
    counts = np.bincount(idx.ravel(), minlength=512)
    return counts[256:], counts[:256]  # pred values inside gt, outside gt


def _em_from_counts(fg_fg: np.ndarray | int, fg_bg: np.ndarray | int, gt_fg: int, gt_size: int) -> np.ndarray | float:
    """E-measure from counts at one or many thresholds (PySODMetrics arithmetic)."""
    fg_ = fg_fg + fg_bg
    bg_ = gt_size - fg_
    if gt_fg == 0:
        enhanced = bg_
    elif gt_fg == gt_size:
        enhanced = fg_
    else:
        bg_fg = gt_fg - fg_fg
        bg_bg = bg_ - bg_fg
        mean_pred = fg_ / gt_size
        mean_gt = gt_fg / gt_size
        dp_fg = 1 - mean_pred
        dp_bg = 0 - mean_pred
        dg_fg = 1 - mean_gt
        dg_bg = 0 - mean_gt
        enhanced = 0
        for part, a, b in ((fg_fg, dp_fg, dg_fg), (fg_bg, dp_fg, dg_bg), (bg_fg, dp_bg, dg_fg), (bg_bg, dp_bg, dg_bg)):
            align = 2 * (a * b) / (a**2 + b**2 + EPS)
            enhanced = enhanced + (align + 1) ** 2 / 4 * part
    return enhanced / (gt_size - 1 + EPS)


def _fm_curve(fg_hist: np.ndarray, bg_hist: np.ndarray, n_gt: int, beta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tps = np.cumsum(fg_hist[::-1])
    ps = tps + np.cumsum(bg_hist[::-1])
    ps[ps == 0] = 1
    t = max(n_gt, 1)
    precisions = tps / ps
    recalls = tps / t
    numerator = (1 + beta) * precisions * recalls
    denominator = np.where(numerator == 0, 1, beta * precisions + recalls)
    return precisions, recalls, numerator / denominator


def _adaptive(pred: np.ndarray, gt: np.ndarray, gt_fg: int, beta: float) -> tuple[float, float]:
    thr = min(2 * pred.mean(), 1)
    binary = pred >= thr
    fg_fg = int(np.count_nonzero(binary & gt))
    n_bin = int(np.count_nonzero(binary))
    fg_bg = n_bin - fg_fg
    adp_em = float(_em_from_counts(fg_fg, fg_bg, gt_fg, gt.size))
    if fg_fg == 0:
        adp_fm = 0.0
    else:
        pre = fg_fg / n_bin
        rec = fg_fg / gt_fg
        adp_fm = (1 + beta) * pre * rec / (beta * pre + rec)
    return adp_em, float(adp_fm)


def _pair_histograms(pair: _Pair) -> tuple[np.ndarray, np.ndarray]:
    """Histograms of ``(pred * 255).astype(uint8)`` inside / outside the gt."""
    if pair.u8 is None or pair.table is None:  # set together (uint8 input)
        return _histograms(pair.pred, pair.gt)
    h2 = pair.joint_hist()
    q = (pair.table * 255).astype(np.uint8)
    fg = np.bincount(q, weights=h2[1], minlength=256).astype(np.int64)
    bg = np.bincount(q, weights=h2[0], minlength=256).astype(np.int64)
    return fg, bg


def _pair_adaptive(pair: _Pair, gt_fg: int, beta: float) -> tuple[float, float]:
    if pair.u8 is None or pair.table is None:  # set together (uint8 input)
        return _adaptive(pair.pred, pair.gt, gt_fg, beta)
    thr = min(2 * pair.pred.mean(), 1)
    h2 = pair.joint_hist()
    sel = pair.table >= thr
    fg_fg = int(h2[1][sel].sum())
    n_bin = int(h2[0][sel].sum()) + fg_fg
    adp_em = float(_em_from_counts(fg_fg, n_bin - fg_fg, gt_fg, pair.gt.size))
    if fg_fg == 0:
        return adp_em, 0.0
    pre = fg_fg / n_bin
    rec = fg_fg / gt_fg
    return adp_em, float((1 + beta) * pre * rec / (beta * pre + rec))


def _pair_mae(pair: _Pair) -> float:
    # np.mean over the pixels, as PySODMetrics computes it: its pairwise summation is
    # what makes the value bit-identical (a histogram dot product differs in the last ulp)
    return float(np.mean(np.abs(pair.pred - pair.gt)))


def e_measure(pred: Any, gt: Any, *, prepared: bool = False) -> dict[str, Any]:
    """E-measure of one map: ``{"adp": float, "curve": (256,) array}`` (PySODMetrics order,
    index 0 = threshold 255).
    """
    pair = _Pair(np.asarray(pred, np.float64), np.asarray(gt, bool)) if prepared else _prepare_pair(pred, gt)
    gt_fg = int(np.count_nonzero(pair.gt))
    fg_hist, bg_hist = _pair_histograms(pair)
    curve = _em_from_counts(np.cumsum(fg_hist[::-1]), np.cumsum(bg_hist[::-1]), gt_fg, pair.gt.size)
    adp, _ = _pair_adaptive(pair, gt_fg, 0.3)
    return {"adp": adp, "curve": np.asarray(curve, dtype=np.float64)}


def f_measure(pred: Any, gt: Any, *, beta: float = 0.3, prepared: bool = False) -> dict[str, Any]:
    """F-measure of one map (``beta`` is beta^2): adaptive, curve, precision and recall."""
    pair = _Pair(np.asarray(pred, np.float64), np.asarray(gt, bool)) if prepared else _prepare_pair(pred, gt)
    gt_fg = int(np.count_nonzero(pair.gt))
    fg_hist, bg_hist = _pair_histograms(pair)
    p, r, curve = _fm_curve(fg_hist, bg_hist, gt_fg, beta)
    _, adp = _pair_adaptive(pair, gt_fg, beta)
    return {"adp": adp, "curve": curve, "precision": p, "recall": r}


def mae(pred: Any, gt: Any, *, prepared: bool = False) -> float:
    """Mean absolute error between the normalized map and the binary ground truth."""
    pair = _Pair(np.asarray(pred, np.float64), np.asarray(gt, bool)) if prepared else _prepare_pair(pred, gt)
    return _pair_mae(pair)


# ---------------------------------------------------------------- weighted F-measure


def _gauss_1d(size: int = 7, sigma: float = 5.0) -> np.ndarray:
    m = (size - 1) / 2
    x = np.arange(-m, m + 1)
    g = np.exp(-(x * x) / (2 * sigma * sigma))
    return g / g.sum()


_K1 = _gauss_1d()
_LOG_HALF_OVER_5 = np.log(0.5) / 5
_B_D2_MAX = 300 * 300  # B = 2 - exp(log(0.5) / 5 * Dst) is exactly 2.0 from Dst = 266 on
_B_TABLE: np.ndarray | None = None


def _b_table() -> np.ndarray:
    """``B`` for every integer squared distance up to 300^2 (``B[d2] = 2 - exp(log(0.5) / 5
    * sqrt(d2))``, the same float operations as on the image); larger ones read the last
    entry, 2.0.
    """
    global _B_TABLE
    if _B_TABLE is None:
        b = np.sqrt(np.arange(_B_D2_MAX + 1, dtype=np.float64))
        b *= _LOG_HALF_OVER_5
        np.exp(b, out=b)
        np.subtract(2, b, out=b)
        assert b[-1] == 2.0
        _B_TABLE = b
    return _B_TABLE


def weighted_f_measure(pred: Any, gt: Any, *, beta: float = 1.0, prepared: bool = False) -> float:
    """Weighted F-measure (Margolin et al., CVPR 2014; PySODMetrics ``WeightedFmeasure``).

    0 when the ground truth is empty. The 7x7 Gaussian (sigma 5, MATLAB ``fspecial``) is
    applied as two 1-D passes (equal to the 2-D kernel up to float rounding), and only
    where it is used: ``min(E, Ea)`` is taken on the foreground, so ``Ea`` is computed on
    the foreground's bounding box grown by the kernel's radius (3 pixels; zeros beyond
    the image, as the reference's constant padding). ``B = 2 - exp(log(0.5) / 5 * Dst)``
    is read from a table indexed by the integer squared distance.
    """
    if not prepared:
        pred, gt = prepare_sod_pair(pred, gt)
    if not gt.any():
        return 0.0
    h, w = gt.shape
    # 8 columns of background on the right: no foreground there, so every nearest
    # foreground pixel (and scipy's choice among equidistant ones) is unchanged, but rows
    # are no longer a power of two long: scipy's pass down the columns then stops
    # thrashing the cache (1024 x 1024: about 3x faster)
    inv = np.ones((h, w + 8), dtype=bool)
    np.logical_not(gt, out=inv[:, :w])
    ft = ndimage.distance_transform_edt(inv, return_distances=False, return_indices=True)
    del inv
    iy, ix = ft[0, :, :w], ft[1, :, :w]
    # in-place arithmetic below: fresh 8-byte arrays cost more (page faults) than the math
    err = np.subtract(pred, gt, dtype=np.float64)
    np.abs(err, out=err)  # E = |pred - gt|
    rows = np.flatnonzero(gt.any(axis=1))
    cols = np.flatnonzero(gt.any(axis=0))
    y0, y1 = max(int(rows[0]) - 3, 0), min(int(rows[-1]) + 4, h)
    x0, x1 = max(int(cols[0]) - 3, 0), min(int(cols[-1]) + 4, w)
    flat = iy[y0:y1, x0:x1].astype(np.intp)
    flat *= w
    flat += ix[y0:y1, x0:x1]
    et = np.take(err.ravel(), flat)  # E at the nearest foreground pixel (on the box)
    del flat
    ea = ndimage.correlate1d(et, _K1, axis=0, mode="constant", cval=0.0)
    ndimage.correlate1d(ea, _K1, axis=1, output=et, mode="constant", cval=0.0)
    ea = et
    err_box = err[y0:y1, x0:x1]
    use_ea = ea < err_box
    use_ea &= gt[y0:y1, x0:x1]
    np.copyto(err_box, ea, where=use_ea)  # MIN_E_EA
    del ea, use_ea
    dy = iy - np.arange(h, dtype=np.int32)[:, None]
    dy *= dy
    dx = ix - np.arange(w, dtype=np.int32)[None, :]
    dx *= dx
    dy += dx  # squared distance to the nearest foreground pixel (exact integers)
    del dx
    b = np.take(_b_table(), dy, mode="clip")  # B; 1 on the foreground
    del dy
    err *= b  # Ew
    n_fg = int(np.count_nonzero(gt))
    ew_fg = float(np.sum(err, where=gt))
    ew_all = float(err.sum())
    tpw = n_fg - ew_fg
    fpw = ew_all - ew_fg
    r = 1 - ew_fg / n_fg
    p = tpw / (tpw + fpw + EPS)
    return float((1 + beta) * r * p / (r + beta * p + EPS))
