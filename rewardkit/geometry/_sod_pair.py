"""The shared prediction / ground-truth pair of the saliency kernels: validation, the PySODMetrics preprocessing (min-max normalization, ``gt > 128``), uint8 histograms."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

EPS = float(np.spacing(1))
SODCompat = Literal["seg_r1"] | None
SOD_METRIC_NAMES = ("Smeasure", "wFmeasure", "MAE", "adpEm", "meanEm", "maxEm", "adpFm", "meanFm", "maxFm")


def _check_compat(compat: Any) -> None:
    if compat not in (None, "seg_r1", "pysodmetrics_1_6_2"):
        raise ValueError(f"Expected compat None (PySODMetrics 1.6.2) or 'seg_r1', but got {compat!r}")


def prepare_sod_pair(pred: Any, gt: Any) -> tuple[np.ndarray, np.ndarray]:
    """PySODMetrics' ``prepare_data``: ``(pred float64 in [0, 1], gt bool)``.

    ``gt``: ``bool`` as is, integer 0..255 binarized with ``> 128`` (a 0/1 integer mask is
    refused). ``pred``: integer 0..255 divided by 255, bool as 0/1, float taken as 0..1;
    then min-max normalized when not constant.
    """
    pair = _prepare_pair(pred, gt)
    return pair.pred, pair.gt


class _Pair:
    """A prepared image: float ``pred``, bool ``gt`` and, for uint8 input, the uint8 map
    and the 256-entry table with ``pred == table[u8]`` (bit-identical to the reference's
    ``u8 / 255`` then min-max arithmetic, done once per grey level).
    """

    __slots__ = ("pred", "gt", "u8", "table", "hist2")

    def __init__(self, pred: np.ndarray, gt: np.ndarray, u8: np.ndarray | None = None, table: np.ndarray | None = None) -> None:
        self.pred, self.gt, self.u8, self.table = pred, gt, u8, table
        self.hist2: np.ndarray | None = None  # (2, 256) counts of grey levels outside / inside gt

    def joint_hist(self) -> np.ndarray:
        if self.hist2 is None:
            if self.u8 is None:
                raise ValueError("Expected a uint8 pair for a joint histogram, but got a float prediction")
            idx = self.gt.astype(np.intp)
            idx <<= 8
            idx += self.u8
            self.hist2 = np.bincount(idx.ravel(), minlength=512).reshape(2, 256)
        return self.hist2


def _prepare_pair(pred: Any, gt: Any) -> _Pair:
    g = np.asarray(gt)
    p = np.asarray(pred)
    if g.ndim == 3 and g.shape[2] == 1:
        g = g[:, :, 0]
    if p.ndim == 3 and p.shape[2] == 1:
        p = p[:, :, 0]
    if g.ndim != 2 or p.ndim != 2:
        raise ValueError(f"Expected grey-level H x W images, but got gt {g.shape} and pred {p.shape}")
    if p.shape != g.shape:
        raise ValueError(f"Shape mismatch between prediction {p.shape} and ground truth {g.shape}")
    if g.dtype == np.bool_:
        gb = g
    elif g.dtype.kind in "iu":
        if g.size and g.max() == 1 and g.min() >= 0:
            raise ValueError(
                "Expected a 0..255 ground-truth image, but got values in {0, 1}: `> 128` would empty "
                "it (the Seg-R1 defect); pass a bool mask or scale it to 0/255"
            )
        gb = g > 128
    elif g.dtype.kind == "f":
        if g.size and 0 < g.max() <= 1.0:
            raise ValueError("Expected a 0..255 ground-truth image, but got floats in [0, 1]; pass a bool mask")
        gb = g > 128
    else:
        raise ValueError(f"Expected a bool or 0..255 ground truth, but got dtype {g.dtype}")
    if p.dtype.kind in "iu" and p.size and p.min() >= 0 and p.max() <= 255:
        u8 = p if p.dtype == np.uint8 else p.astype(np.uint8)
        lo_v, hi_v = int(u8.min()), int(u8.max())
        table = np.arange(256) / 255
        if hi_v != lo_v:
            table = (table - table[lo_v]) / (table[hi_v] - table[lo_v])
        return _Pair(np.take(table, u8), gb, u8, table)
    if p.dtype == np.bool_:
        pf = p.astype(np.float64)
    elif p.dtype.kind in "iu":
        pf = p / 255
    elif p.dtype.kind == "f":
        pf = p.astype(np.float64)
        if pf.size and (not np.all(np.isfinite(pf)) or pf.min() < 0 or pf.max() > 1):
            raise ValueError("Expected a float prediction in [0, 1] (or a 0..255 integer image)")
    else:
        raise ValueError(f"Expected a numeric prediction map, but got dtype {p.dtype}")
    if pf.size:
        lo, hi = pf.min(), pf.max()
        if hi != lo:
            pf = (pf - lo) / (hi - lo)
    return _Pair(pf, gb)
