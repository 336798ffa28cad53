"""Salient / camouflaged object detection metrics (dataset level), identical to PySODMetrics 1.6.2.

Returns PySODMetrics' names: ``Smeasure``, ``wFmeasure``, ``MAE``, ``adpEm``, ``meanEm``,
``maxEm``, ``adpFm``, ``meanFm``, ``maxFm``. The per-image measures, their formulas, the
input contract and the ``compat="seg_r1"`` difference (pre-1.6.2 S-measure) are documented
in :mod:`rewardkit.geometry.saliency`, where the kernels live; they are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from rewardkit.geometry._sod_pair import _check_compat, _Pair, _prepare_pair  # noqa: F401  (re-exported)
from rewardkit.geometry.s_measure import _s_measure_pair  # noqa: F401  (re-exported)
from rewardkit.geometry.saliency import (  # noqa: F401  (re-exported)
    SOD_METRIC_NAMES,
    SODCompat,
    _em_from_counts,
    _fm_curve,
    _pair_adaptive,
    _pair_histograms,
    _pair_mae,
    e_measure,
    f_measure,
    mae,
    prepare_sod_pair,
    s_measure,
    weighted_f_measure,
)
from rewardkit.metrics._state import (
    MISSING,
    MergeableMetric,
    update_args,
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


class SODMetrics(MergeableMetric):
    """Streaming SOD metrics: ``update(preds, target)`` per image, ``compute()`` -> dict.

    The per-image values are kept so :meth:`compute` can return the dataset means and
    the mean / max of the mean E and F curves with PySODMetrics' arithmetic (``np.mean``
    in sample order: bit-identical to it). Shards merge (:meth:`state_dict`,
    :meth:`merge`) to ``==`` the one-pass numbers when the merged order is the dataset's
    order: contiguous shards merged in order, or any split when each sample carries its
    position in the dataset (``update(..., index=i)``, e.g. a ``DistributedSampler``'s
    index): ``compute()`` then orders the samples by ``index``.

    Args:
        compat: ``None`` or ``"seg_r1"`` (the pre-1.6.2 S-measure; see
            :mod:`rewardkit.geometry.saliency`).
        alpha: the S-measure's weight of the object-aware term.
        beta_f: ``beta^2`` of the F-measure (PySODMetrics: 0.3).
        beta_wf: ``beta`` of the weighted F-measure.

    Example:
        >>> import numpy as np
        >>> gt = np.zeros((8, 8), np.uint8); gt[2:6, 2:6] = 255
        >>> a, b = SODMetrics(), SODMetrics()
        >>> _ = b.update(gt, gt, index=1); _ = a.update(255 - gt, gt, index=0)
        >>> merged = SODMetrics.from_states([b.state_dict(), a.state_dict()])
        >>> len(merged), merged.compute()["MAE"]
        (2, 0.5)
    """

    _KIND = "sod"

    def __init__(self, *, compat: SODCompat = None, alpha: float = 0.5, beta_f: float = 0.3, beta_wf: float = 1.0) -> None:
        _validate_args(compat)
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
        self._em_curves: list[np.ndarray] = []
        self._fm_curves: list[np.ndarray] = []
        self._index: list[int | None] = []

    def __len__(self) -> int:
        return len(self._sm)

    def update(self, preds: Any = MISSING, target: Any = MISSING, *, index: int | None = None, **deprecated: Any) -> dict[str, float]:
        """Add one image and return its per-image values.

        Args:
            preds: the predicted 0..255 map.
            target: the ground-truth mask.
            index: the image's position in the dataset (orders merged shards).
            **deprecated: ``pred=`` / ``gt=``, the deprecated names.

        Returns:
            ``Smeasure``, ``wFmeasure``, ``MAE``, ``adpEm`` and ``adpFm`` of the image.
        """
        preds, target = update_args("SODMetrics.update", preds, target, deprecated, ("pred", "gt"))
        values = _update_one(_prepare_pair(preds, target), self.alpha, self.beta_f, self.beta_wf, self.compat == "seg_r1")
        self._sm.append(values["Smeasure"])
        self._wfm.append(values["wFmeasure"])
        self._mae.append(values["MAE"])
        self._adp_em.append(values["adpEm"])
        self._adp_fm.append(values["adpFm"])
        self._em_curves.append(values.pop("em_curve"))
        self._fm_curves.append(values.pop("fm_curve"))
        self._index.append(None if index is None else int(index))
        return values

    def _order(self) -> np.ndarray | None:
        """Sample order for compute: by ``index`` when every sample has one."""
        if self._index and all(i is not None for i in self._index):
            order = np.argsort(np.asarray(self._index, dtype=np.int64), kind="stable")
            return None if np.array_equal(order, np.arange(order.size)) else order
        return None

    def compute(self) -> dict[str, float]:
        """The dataset metrics of the images added so far.

        Returns:
            PySODMetrics' names (:data:`SOD_METRIC_NAMES`) to values.

        Raises:
            ValueError: no image was added.
        """
        if not self._sm:
            raise ValueError("Expected at least one image before compute()")
        order = self._order()

        def values(xs: list[Any]) -> np.ndarray:
            arr = np.array(xs, dtype=np.float64)
            return arr if order is None else arr[order]

        em_curve = np.mean(values(self._em_curves), axis=0)
        fm_curve = np.mean(values(self._fm_curves), axis=0)
        return {
            "Smeasure": float(np.mean(values(self._sm))),
            "wFmeasure": float(np.mean(values(self._wfm))),
            "MAE": float(np.mean(values(self._mae))),
            "adpEm": float(np.mean(values(self._adp_em))),
            "meanEm": float(em_curve.mean()),
            "maxEm": float(em_curve.max()),
            "adpFm": float(np.mean(values(self._adp_fm))),
            "meanFm": float(fm_curve.mean()),
            "maxFm": float(fm_curve.max()),
        }

    # -- mergeable state ---------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        return {"compat": self.compat, "alpha": float(self.alpha), "beta_f": float(self.beta_f), "beta_wf": float(self.beta_wf)}

    def _get_state(self) -> dict[str, Any]:
        def curves(c: list[np.ndarray]) -> np.ndarray:
            return np.array(c, dtype=np.float64).reshape(len(c), 256)

        return {
            "Smeasure": list(self._sm), "wFmeasure": list(self._wfm), "MAE": list(self._mae),
            "adpEm": list(self._adp_em), "adpFm": list(self._adp_fm),
            "em_curves": curves(self._em_curves), "fm_curves": curves(self._fm_curves),
            "index": list(self._index),
        }  # fmt: skip

    def _merge_state(self, state: Any) -> None:
        self._sm.extend(float(v) for v in state["Smeasure"])
        self._wfm.extend(float(v) for v in state["wFmeasure"])
        self._mae.extend(float(v) for v in state["MAE"])
        self._adp_em.extend(float(v) for v in state["adpEm"])
        self._adp_fm.extend(float(v) for v in state["adpFm"])
        self._em_curves.extend(np.asarray(row, dtype=np.float64) for row in state["em_curves"])
        self._fm_curves.extend(np.asarray(row, dtype=np.float64) for row in state["fm_curves"])
        self._index.extend(None if i is None else int(i) for i in state["index"])

    def _empty_like(self) -> SODMetrics:
        return SODMetrics(**self._config())


def _validate_args(compat: Any) -> None:
    """The one validation of :class:`SODMetrics` and :func:`sod_evaluate` arguments."""
    _check_compat(compat)


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

    Args:
        gt_masks: 0..255 grey images (arrays or image paths); ``bool`` ground truth is
            accepted.
        pred_maps: as many 0..255 grey prediction maps (arrays or image paths).
        compat: ``None`` or ``"seg_r1"`` (the pre-1.6.2 S-measure).
        progress: tqdm bar (default: on for more than 200 images).

    Returns:
        PySODMetrics' names (:data:`SOD_METRIC_NAMES`) to values.

    Raises:
        ValueError: an unknown ``compat``, or a number of predictions that differs from
            the number of ground truths.

    Example:
        >>> import numpy as np
        >>> gt = np.zeros((8, 8), np.uint8); gt[2:6, 2:6] = 255
        >>> round(sod_evaluate([gt], [gt])["Smeasure"], 4)
        1.0
    """
    _validate_args(compat)
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
    """Pair ground-truth and prediction files by file stem.

    Args:
        gt_dir: the folder of ground-truth images.
        pred_dir: the folder of prediction maps.
        suffixes: the file suffixes read (lower case).

    Returns:
        ``(gt_paths, pred_paths)``, sorted by stem.

    Raises:
        ValueError: a folder that is not a directory, no image, or stems that have a
            ground truth but no prediction (listed).
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

