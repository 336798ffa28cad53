"""Figures of dataset metrics and reward scores, as matplotlib figures.

Every function returns a ``matplotlib.figure.Figure`` (save it with ``fig.savefig``,
or show it in a notebook); nothing is imported until one is called. matplotlib comes
with the ``plot`` extra (``pip install 'rewardkit[plot]'``); without it the functions
raise ``ImportError`` naming the extra.

Metric results (:func:`rewardkit.metrics.coco.coco_evaluate`,
:func:`rewardkit.metrics.lvis.lvis_evaluate`, :func:`rewardkit.metrics.grounding.grounding_evaluate`):

* :func:`pr_curves`: precision-recall curves at IoU 0.5, 0.75 and averaged over 0.5:0.95
  (mean over categories, area "all", the last ``maxDets``), AP in the legend;
* :func:`category_ap`: per-category AP, sorted (the best and worst when there are many);
* :func:`area_split`: AP and AR by object area (small, medium, large);
* :func:`lvis_frequency`: LVIS AP by category frequency (APr, APc, APf);
* :func:`iou_histogram`: RefCOCO-style IoU of each expression, the threshold marked;
* :func:`save_eval_plots`: all figures of one result into a folder.

Rewards (:mod:`rewardkit.plot.rewards`): histograms on the reward's declared range,
reason counts, score against the number of predicted boxes, curves over training steps.

>>> from rewardkit.metrics.coco import coco_evaluate
>>> gt = {"images": [{"id": 1, "width": 100, "height": 100}], "categories": [{"id": 1, "name": "cat"}],
...       "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "area": 2500, "iscrowd": 0}]}
>>> r = coco_evaluate(gt, [{"image_id": 1, "category_id": 1, "bbox": [12, 10, 50, 50], "score": 0.9}])
>>> fig = pr_curves(r)  # doctest: +SKIP
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rewardkit.plot._style import COLOURS, new_figure
from rewardkit.plot.rewards import (
    reason_bars,
    reason_shares_over_steps,
    score_histograms,
    score_vs_count,
    stat_over_steps,
    value_histogram,
)

__all__ = [
    "pr_curves",
    "category_ap",
    "area_split",
    "lvis_frequency",
    "iou_histogram",
    "save_eval_plots",
    "score_histograms",
    "value_histogram",
    "reason_bars",
    "score_vs_count",
    "stat_over_steps",
    "reason_shares_over_steps",
]


def _mean_valid(a: np.ndarray, axis: Any) -> np.ndarray:
    a = np.where(a > -1, a, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(a, axis=axis)


def _precision_all(result: Mapping[str, Any], area: str = "all") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(precision (T, R, K), recThrs, iouThrs)`` at ``area`` and the last maxDets."""
    try:
        precision = np.asarray(result["precision"], dtype=np.float64)
        params = result["params"]
    except KeyError as exc:
        raise ValueError(f"Expected a COCO / LVIS result with 'precision' and 'params', but it lacks {exc}") from None
    labels = list(params.get("areaRngLbl") or ["all", "small", "medium", "large"])
    a = labels.index(area) if area in labels else 0
    p = precision[..., a, -1] if precision.ndim == 5 else precision[..., a]
    return p, np.asarray(params["recThrs"], dtype=np.float64), np.asarray(params["iouThrs"], dtype=np.float64)


def pr_curves(result: Mapping[str, Any], *, area: str = "all", title: str | None = None) -> Any:
    """Precision against recall at IoU 0.5, 0.75 and averaged over all thresholds
    (0.5:0.95), each the mean over categories with ground truth.
    """
    p, rec, thrs = _precision_all(result, area)
    fig, ax = new_figure(5.2, 4.2)
    curves = []
    for t_val, style, colour in ((0.5, "-", COLOURS[0]), (0.75, "--", COLOURS[1])):
        idx = np.where(np.isclose(thrs, t_val))[0]
        if idx.size:
            curves.append((f"IoU {t_val:.2f}", _mean_valid(p[idx[0]], axis=-1), style, colour))
    curves.append((f"IoU {thrs[0]:.2f}:{thrs[-1]:.2f}", _mean_valid(p, axis=(0, 2)) if p.size else np.full(rec.shape, np.nan), ":", COLOURS[2]))
    for name, y, style, colour in curves:
        y = np.asarray(y, dtype=np.float64)
        ap = float(np.nanmean(y)) if np.isfinite(y).any() else float("nan")
        ax.plot(rec, y, style, color=colour, lw=2, label=f"{name}  (AP {ap * 100:.1f})" if ap == ap else name)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8, frameon=True)
    ax.set_title(title or f"Precision-recall (area {area}, mean over categories)")
    fig.tight_layout()
    return fig


def category_ap(result: Mapping[str, Any], *, metric: str = "AP", limit: int = 60, title: str | None = None) -> Any:
    """Per-category ``metric`` (AP, AP50 or AP75) as sorted horizontal bars; with more
    than ``limit`` categories, the best and the worst ``limit // 2``.
    """
    rows = [r for r in (result.get("per_category") or []) if r.get(metric) is not None and not math.isnan(float(r[metric])) and float(r[metric]) >= 0]
    rows.sort(key=lambda r: float(r[metric]), reverse=True)
    n_all = len(rows)
    gap = None
    if n_all > limit:
        half = max(1, limit // 2)
        gap = n_all - 2 * half
        rows = rows[:half] + rows[-half:]
    n = len(rows)
    fig, ax = new_figure(6.0, max(2.2, 0.6 + 0.2 * (n + (1 if gap else 0))))
    if not rows:
        ax.text(0.5, 0.5, "no category with ground truth", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    ys = np.arange(n, dtype=np.float64)
    if gap:
        ys[len(rows) // 2 :] += 1.0
    vals = [float(r[metric]) * 100 for r in rows]
    bars = ax.barh(ys, vals, color=COLOURS[0], height=0.75)
    ax.bar_label(bars, fmt="%.1f", fontsize=6, padding=2)
    ax.set_yticks(ys, [str(r.get("name", r.get("id"))) for r in rows], fontsize=7)
    if gap:
        ax.text(1, ys[len(rows) // 2] - 1.0, f"\u2026 {gap} categories not shown \u2026", fontsize=7, va="center", color="0.35")
    ax.set_ylim(float(ys.max()) + 0.7, -0.7)
    ax.set_xlim(0, 108)
    shown = f"best {len(rows) // 2} and worst {len(rows) // 2} of {n_all}" if gap else f"{n_all}"
    ax.set_xlabel(f"{metric} (%), {shown} categories with ground truth")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title or f"{metric} per category, sorted")
    fig.tight_layout()
    return fig


def area_split(result: Mapping[str, Any], *, title: str | None = None) -> Any:
    """AP (and AR) by object area: all, small, medium, large (keypoints: medium, large)."""
    areas = [("all", "AP", next((k for k in ("AR100", "AR", "AR@300") if k in result), None)),
             ("small", "APs", next((k for k in ("ARs", "ARs@300") if k in result), None)),
             ("medium", "APm", next((k for k in ("ARm", "ARm@300") if k in result), None)),
             ("large", "APl", next((k for k in ("ARl", "ARl@300") if k in result), None))]  # fmt: skip
    areas = [a for a in areas if a[1] in result]
    fig, ax = new_figure(5.2, 3.4)
    x = np.arange(len(areas))
    ap = [max(0.0, float(result[a[1]])) * 100 for a in areas]
    has_ar = all(a[2] is not None for a in areas)
    w = 0.38 if has_ar else 0.6
    b1 = ax.bar(x - (w / 2 if has_ar else 0), ap, w, color=COLOURS[0], label="AP")
    ax.bar_label(b1, fmt="%.1f", fontsize=8, padding=2)
    if has_ar:
        ar = [max(0.0, float(result[a[2]])) * 100 for a in areas if a[2] is not None]  # has_ar: all are set
        b2 = ax.bar(x + w / 2, ar, w, color=COLOURS[1], label="AR")
        ax.bar_label(b2, fmt="%.1f", fontsize=8, padding=2)
        ax.legend(fontsize=8)
    ax.set_xticks(x, [a[0] for a in areas])
    ax.set_xlabel("object area")
    ax.set_ylabel("%")
    ax.set_ylim(0, 105)
    ax.set_title(title or "AP and AR by object area" if has_ar else "AP by object area")
    fig.tight_layout()
    return fig


def lvis_frequency(result: Mapping[str, Any], *, title: str | None = None) -> Any:
    """LVIS AP by category frequency: rare (APr), common (APc), frequent (APf), and AP."""
    keys = [("rare", "APr"), ("common", "APc"), ("frequent", "APf"), ("all", "AP")]
    missing = [k for _, k in keys if k not in result]
    if missing:
        raise ValueError(f"Expected an LVIS result with {missing}, but they are missing")
    counts = {"r": 0, "c": 0, "f": 0}
    for row in result.get("per_category") or []:
        f = row.get("frequency")
        if f in counts and not math.isnan(float(row.get("AP", float("nan")))):
            counts[f] += 1
    fig, ax = new_figure(5.2, 3.4)
    x = np.arange(len(keys))
    vals = [max(0.0, float(result[k])) * 100 if not math.isnan(float(result[k])) else 0.0 for _, k in keys]
    bars = ax.bar(x, vals, 0.6, color=[COLOURS[4], COLOURS[1], COLOURS[0], "0.45"])
    ax.bar_label(bars, labels=[f"{v:.1f}" if not math.isnan(float(result[k])) else "n/a" for v, (_, k) in zip(vals, keys)], fontsize=8, padding=2)
    names = [f"{n}\n{k}" + (f" ({counts[n[0]]} cat.)" if n[0] in counts and n != "all" else "") for n, k in keys]
    ax.set_xticks(x, names, fontsize=8)
    ax.set_ylabel("AP (%)")
    ax.set_xlabel("category frequency in LVIS training images (rare < 10, common 10-100, frequent > 100)", fontsize=7)
    ax.set_ylim(0, 105)
    ax.set_title(title or "LVIS AP by category frequency")
    fig.tight_layout()
    return fig


def iou_histogram(result: Mapping[str, Any] | Sequence[float], *, threshold: float | None = None, bins: int = 20, title: str | None = None) -> Any:
    """Histogram of the per-expression IoU (a :func:`grounding_evaluate` result or a
    list of IoUs) on [0, 1], with the accuracy threshold marked.
    """
    if isinstance(result, Mapping):
        ious = np.asarray(result.get("ious", []), dtype=np.float64)
        threshold = float(result.get("threshold", 0.5)) if threshold is None else threshold
        comparison = str(result.get("comparison", ">="))
    else:
        ious = np.asarray(list(result), dtype=np.float64)
        comparison = ">="
    threshold = 0.5 if threshold is None else float(threshold)
    fig, ax = new_figure(5.2, 3.4)
    edges = np.linspace(0.0, 1.0, bins + 1)
    counts, _ = np.histogram(np.clip(ious, 0, 1), bins=edges)
    ax.stairs(counts, edges, fill=True, color=COLOURS[0], alpha=0.85)
    ax.axvline(threshold, color=COLOURS[5], lw=2, ls="--")
    hit = ious >= threshold if comparison == ">=" else ious > threshold
    acc = float(hit.mean()) * 100 if ious.size else float("nan")
    top = max(1.0, float(counts.max()) if counts.size else 1.0) * 1.3
    ax.set_ylim(0, top)
    ax.text(threshold, top * 0.97, f"threshold {threshold:g} ({comparison}): Acc {acc:.1f}%", color=COLOURS[5], va="top",
            ha="left" if threshold < 0.6 else "right", fontsize=8, bbox={"facecolor": "white", "edgecolor": "0.6", "pad": 2})  # fmt: skip
    ax.set_xlim(0, 1)
    ax.set_xlabel("IoU of the predicted box with the referred object")
    ax.set_ylabel("expressions")
    ax.set_title(title or f"IoU per expression ({ious.size} expressions, mIoU {np.mean(ious) if ious.size else float('nan'):.3f})")
    fig.tight_layout()
    return fig


def save_eval_plots(result: Mapping[str, Any], kind: str, directory: str | Path, *, dpi: int = 120) -> list[Path]:
    """Write the figures of one ``eval`` result to ``directory``: ``coco`` / ``lvis``:
    ``pr_curves.png``, ``category_ap.png``, ``area_split.png`` (LVIS also
    ``lvis_frequency.png``); ``refcoco``: ``iou_histogram.png``. Returns the paths.
    """
    from rewardkit.viz._deps import require_matplotlib

    plt = require_matplotlib()
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    figures: list[tuple[str, Any]] = []
    if kind in ("coco", "lvis"):
        name = kind.upper() + (f" {result['iou_type']}" if result.get("iou_type") else "")
        figures.append(("pr_curves.png", lambda: pr_curves(result, title=f"{name}: precision-recall (area all)")))
        figures.append(("category_ap.png", lambda: category_ap(result)))
        figures.append(("area_split.png", lambda: area_split(result, title=f"{name}: AP and AR by object area")))
        if kind == "lvis":
            figures.append(("lvis_frequency.png", lambda: lvis_frequency(result)))
    elif kind == "refcoco":
        figures.append(("iou_histogram.png", lambda: iou_histogram(result)))
    else:
        raise ValueError(f"Expected kind 'coco', 'lvis' or 'refcoco', but got {kind!r}")
    paths = []
    for fname, make in figures:
        fig = make()
        path = out / fname
        fig.savefig(path, dpi=dpi)
        plt.close(fig)
        paths.append(path)
    return paths
