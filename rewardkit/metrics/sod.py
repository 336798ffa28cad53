"""Salient / camouflaged object detection metrics (dataset level), identical to PySODMetrics 1.6.2.

Returns PySODMetrics' names: ``Smeasure``, ``wFmeasure``, ``MAE``, ``adpEm``, ``meanEm``,
``maxEm``, ``adpFm``, ``meanFm``, ``maxFm``. The per-image measures, their formulas, the
input contract and the ``compat="seg_r1"`` difference (pre-1.6.2 S-measure) are documented
in :mod:`rewardkit.geometry.saliency`, where the kernels live; they are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from rewardkit.geometry.saliency import (  # noqa: F401  (re-exported)
    SOD_METRIC_NAMES,
    SODCompat,
    _check_compat,
    _em_from_counts,
    _fm_curve,
    _Pair,
    _pair_adaptive,
    _pair_histograms,
    _pair_mae,
    _prepare_pair,
    _s_measure_pair,
    e_measure,
    f_measure,
    mae,
    prepare_sod_pair,
    s_measure,
    weighted_f_measure,
)

__all__ = [
    "SODMetrics",
    "sod_evaluate",
    "s_measure",
    "e_measure",
    "weighted_f_measure",
    "f_measure",
    "mae",
    "prepare_sod_pair",
    "load_sod_folder",
    "SOD_METRIC_NAMES",
]


# ---------------------------------------------------------------- dataset level


class SODMetrics:
    """Streaming SOD metrics: ``update(pred, gt)`` per image, ``compute()`` -> dict.

    The per-image values are kept (``self.per_image``) so :meth:`compute` can return the
    dataset means and the mean / max of the mean E and F curves exactly as PySODMetrics.
    """

    def __init__(self, *, compat: SODCompat = None, alpha: float = 0.5, beta_f: float = 0.3, beta_wf: float = 1.0) -> None:
        _check_compat(compat)
        self.compat = compat
        self.alpha = alpha
        self.beta_f = beta_f
        self.beta_wf = beta_wf
        self.reset()

    def reset(self) -> None:
        self._sm: list[float] = []
        self._wfm: list[float] = []
        self._mae: list[float] = []
        self._adp_em: list[float] = []
        self._adp_fm: list[float] = []
        self._em_sum = np.zeros(256, dtype=np.float64)
        self._fm_sum = np.zeros(256, dtype=np.float64)
        self._em_curves: list[np.ndarray] = []
        self._fm_curves: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self._sm)

    def update(self, pred: Any, gt: Any) -> dict[str, float]:
        """Add one image; returns its per-image values."""
        values = _update_one(_prepare_pair(pred, gt), self.alpha, self.beta_f, self.beta_wf, self.compat == "seg_r1")
        self._sm.append(values["Smeasure"])
        self._wfm.append(values["wFmeasure"])
        self._mae.append(values["MAE"])
        self._adp_em.append(values["adpEm"])
        self._adp_fm.append(values["adpFm"])
        self._em_curves.append(values.pop("em_curve"))
        self._fm_curves.append(values.pop("fm_curve"))
        return values

    def compute(self) -> dict[str, float]:
        if not self._sm:
            raise ValueError("Expected at least one image before compute()")
        em_curve = np.mean(np.array(self._em_curves, dtype=np.float64), axis=0)
        fm_curve = np.mean(np.array(self._fm_curves, dtype=np.float64), axis=0)
        return {
            "Smeasure": float(np.mean(np.array(self._sm, dtype=np.float64))),
            "wFmeasure": float(np.mean(np.array(self._wfm, dtype=np.float64))),
            "MAE": float(np.mean(np.array(self._mae, dtype=np.float64))),
            "adpEm": float(np.mean(np.array(self._adp_em, dtype=np.float64))),
            "meanEm": float(em_curve.mean()),
            "maxEm": float(em_curve.max()),
            "adpFm": float(np.mean(np.array(self._adp_fm, dtype=np.float64))),
            "meanFm": float(fm_curve.mean()),
            "maxFm": float(fm_curve.max()),
        }


def _update_one(pair: _Pair, alpha: float, beta_f: float, beta_wf: float, old: bool) -> dict[str, Any]:
    gt = pair.gt
    gt_fg = int(np.count_nonzero(gt))
    sm = _s_measure_pair(pair, alpha, old)  # fills the joint histogram on the uint8 path
    fg_hist, bg_hist = _pair_histograms(pair)
    fg_fg = np.cumsum(fg_hist[::-1])
    fg_bg = np.cumsum(bg_hist[::-1])
    em_curve = np.asarray(_em_from_counts(fg_fg, fg_bg, gt_fg, gt.size), dtype=np.float64)
    _, _, fm_curve = _fm_curve(fg_hist, bg_hist, gt_fg, beta_f)
    adp_em, adp_fm = _pair_adaptive(pair, gt_fg, beta_f)
    return {
        "Smeasure": sm,
        "wFmeasure": weighted_f_measure(pair.pred, gt, beta=beta_wf, prepared=True),
        "MAE": _pair_mae(pair),
        "adpEm": adp_em,
        "adpFm": adp_fm,
        "em_curve": em_curve,
        "fm_curve": fm_curve,
    }


def sod_evaluate(
    gt_masks: Iterable[Any],
    pred_maps: Iterable[Any],
    *,
    compat: SODCompat = None,
    progress: bool | None = None,
) -> dict[str, float]:
    """Dataset SOD metrics with PySODMetrics' names (see the module doc).

    ``gt_masks`` and ``pred_maps``: equal-length sequences of 0..255 grey images (arrays
    or image paths); ``bool`` ground truth is accepted. ``progress``: tqdm bar (default:
    on for more than 200 images).

    >>> import numpy as np
    >>> gt = np.zeros((8, 8), np.uint8); gt[2:6, 2:6] = 255
    >>> round(sod_evaluate([gt], [gt])["Smeasure"], 4)
    1.0
    """
    _check_compat(compat)
    gts = list(gt_masks) if not isinstance(gt_masks, Sequence) else gt_masks
    preds = list(pred_maps) if not isinstance(pred_maps, Sequence) else pred_maps
    if len(gts) != len(preds):
        raise ValueError(f"Expected as many predictions as ground truths, but got {len(preds)} and {len(gts)}")
    metric = SODMetrics(compat=compat)
    show = progress if progress is not None else len(gts) > 200
    it = zip(gts, preds)
    if show:
        from tqdm.auto import tqdm

        it = tqdm(it, total=len(gts), desc="sod", unit="img")
    for g, p in it:
        metric.update(_read_grey(p), _read_grey(g))
    return metric.compute()


def _read_grey(value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    from os import PathLike

    if isinstance(value, str | PathLike):
        from rewardkit.parsing.masks import load_mask_image

        return load_mask_image(value)
    return np.asarray(value)


def load_sod_folder(gt_dir: Any, pred_dir: Any, *, suffixes: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp")) -> tuple[list[Any], list[Any]]:
    """Pair ground-truth and prediction files by file stem; returns ``(gt_paths, pred_paths)``.

    Raises ``ValueError`` listing stems that have a ground truth but no prediction.
    """
    from pathlib import Path

    gdir, pdir = Path(gt_dir), Path(pred_dir)
    for d in (gdir, pdir):
        if not d.is_dir():
            raise ValueError(f"Expected a directory, but {str(d)!r} is not one")
    gts = {p.stem: p for p in sorted(gdir.iterdir()) if p.suffix.lower() in suffixes}
    preds = {p.stem: p for p in sorted(pdir.iterdir()) if p.suffix.lower() in suffixes}
    missing = sorted(set(gts) - set(preds))
    if missing:
        raise ValueError(f"{len(missing)} ground-truth images have no prediction, e.g. {missing[:5]}")
    if not gts:
        raise ValueError(f"No images found in {str(gdir)!r}")
    stems = sorted(gts)
    return [gts[s] for s in stems], [preds[s] for s in stems]


def _is_nan(x: float) -> bool:
    return isinstance(x, float) and math.isnan(x)
