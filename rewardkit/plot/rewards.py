"""Figures of reward scores: histograms on the declared range, reason counts, score
against the number of predicted boxes, and the curves people watch during a run (mean
and spread of each component over training steps, share of each reason over steps).

The functions take values already aggregated (bin counts, per-step means), so a report
over 100,000 rows never holds the rows: :mod:`rewardkit.viz.report` streams the file
and keeps only counters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rewardkit.plot._style import COLOURS, new_figure, subplots

__all__ = [
    "value_histogram",
    "score_histograms",
    "reason_bars",
    "score_vs_count",
    "stat_over_steps",
    "reason_shares_over_steps",
]


def _fmt(v: float) -> str:
    return f"{v:g}"


def value_histogram(
    values: Sequence[float] | np.ndarray | None = None,
    *,
    counts: Sequence[int] | None = None,
    edges: Sequence[float] | None = None,
    lo: float = 0.0,
    hi: float = 1.0,
    bins: int = 30,
    xlabel: str = "score",
    title: str | None = None,
    colour: str | None = None,
    ax: Any = None,
) -> Any:
    """Histogram on ``[lo, hi]`` (the reward's declared range) of ``values``, or of
    binned ``counts`` with their ``edges``. Values outside the range are clipped into
    the end bins. Returns the figure.
    """
    if counts is None:
        edges_a = np.linspace(lo, hi, bins + 1) if hi > lo else np.linspace(lo - 0.5, lo + 0.5, bins + 1)
        v = np.asarray(values if values is not None else [], dtype=np.float64)
        v = v[np.isfinite(v)]
        counts_a, _ = np.histogram(np.clip(v, edges_a[0], edges_a[-1]), bins=edges_a)
    else:
        counts_a = np.asarray(counts, dtype=np.float64)
        edges_a = np.asarray(edges, dtype=np.float64)
    if ax is None:
        fig, ax = new_figure(4.6, 2.8)
    else:
        fig = ax.figure
    ax.stairs(counts_a, edges_a, fill=True, color=colour or COLOURS[0], alpha=0.9)
    ax.set_xlim(edges_a[0], edges_a[-1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("rows")
    if title:
        ax.set_title(title)
    n = int(np.sum(counts_a))
    if n == 0:
        ax.text(0.5, 0.5, "no scored row", ha="center", va="center", transform=ax.transAxes, color="0.4")
    fig.tight_layout()
    return fig


def score_histograms(scores: Mapping[str, Sequence[float]], *, bins: int = 30) -> Any:
    """One histogram per reward, each on the reward's declared range (from the registry;
    the data's range for unknown names), with labelled axes (``rewardkit score --plot``).
    """
    from rewardkit.registry import get_spec

    names = sorted(scores)
    fig, axes = subplots(max(1, len(names)), 1, width=6.0, height=2.4 * max(1, len(names)), squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        vals = np.asarray(scores[name], dtype=np.float64)
        try:
            lo, hi = get_spec(name).range
            label = f"score (declared range [{_fmt(lo)}, {_fmt(hi)}])"
        except KeyError:
            finite = vals[np.isfinite(vals)]
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            label = "score (range of the data)"
        mean = float(np.nanmean(vals)) if vals.size else float("nan")
        value_histogram(vals, lo=lo, hi=hi, bins=bins, xlabel=label, title=f"{name}: {vals.size} rows, mean {mean:.3f}", ax=ax)
    if not names:
        axes[0, 0].text(0.5, 0.5, "no scored row", ha="center", va="center", transform=axes[0, 0].transAxes)
    fig.tight_layout()
    return fig


def reason_bars(counts: Mapping[str, int], total: int, *, title: str | None = None, limit: int = 12) -> Any:
    """Horizontal bars: rows per reason code (``(scored normally)`` for none), with
    their share of ``total``; the ``limit`` most frequent, the rest summed as ``other``.
    """
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(items) > limit:
        rest = sum(c for _, c in items[limit - 1 :])
        items = items[: limit - 1] + [(f"other ({len(items) - limit + 1} codes)", rest)]
    fig, ax = new_figure(5.2, max(1.6, 0.5 + 0.28 * len(items)))
    if not items:
        ax.text(0.5, 0.5, "no reason codes", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    ys = np.arange(len(items))
    vals = [c for _, c in items]
    colours = [COLOURS[2] if k == "(scored normally)" else COLOURS[4] for k, _ in items]
    bars = ax.barh(ys, vals, color=colours, height=0.7)
    ax.bar_label(bars, labels=[f"{c}  ({100 * c / max(total, 1):.1f}%)" for c in vals], fontsize=7, padding=2)
    ax.set_yticks(ys, [k for k, _ in items], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("rows")
    ax.set_xlim(0, max(vals) * 1.3)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def score_vs_count(
    stats: Mapping[int, tuple[int, float, float]],
    *,
    lo: float,
    hi: float,
    cap: int | None = None,
    title: str | None = None,
    xlabel: str = "predicted boxes in the answer",
) -> Any:
    """Mean score (with one standard deviation) against the number of predicted boxes;
    ``stats[n] = (rows, mean, std)``; ``cap``: the last bin holds ``n >= cap``.
    """
    fig, ax = new_figure(5.2, 3.0)
    if not stats:
        ax.text(0.5, 0.5, "no answer with boxes", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    ks = sorted(stats)
    n = np.array([stats[k][0] for k in ks], dtype=np.float64)
    mean = np.array([stats[k][1] for k in ks])
    std = np.array([stats[k][2] for k in ks])
    ax.errorbar(ks, mean, yerr=std, fmt="none", ecolor=COLOURS[0], alpha=0.45, capsize=3)
    size = 18 + 140 * np.sqrt(n / n.max())
    ax.scatter(ks, mean, s=size, color=COLOURS[0], zorder=3, label="mean score (size: rows)")
    ax.set_ylim(lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo))
    ax.set_xlabel(xlabel + (f" (last point: \u2265 {cap})" if cap is not None and ks and ks[-1] >= cap else ""))
    ax.set_ylabel(f"score [{_fmt(lo)}, {_fmt(hi)}]")
    ax.set_xticks(ks if len(ks) <= 20 else ks[:: max(1, len(ks) // 10)])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def stat_over_steps(
    steps: Sequence[float],
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    title: str | None = None,
) -> Any:
    """One panel per key (score, then components): the mean over the rows of each step
    and a band of one standard deviation; ``series[key] = (means, stds)``.
    """
    keys = list(series)
    ncols = 2 if len(keys) > 1 else 1
    nrows = (len(keys) + ncols - 1) // ncols
    fig, axes = subplots(nrows, ncols, width=5.0 * ncols, height=2.3 * nrows + 0.4, squeeze=False, sharex=True)
    x = np.asarray(steps, dtype=np.float64)
    for i, key in enumerate(keys):
        ax = axes[i // ncols, i % ncols]
        m = np.asarray(series[key][0], dtype=np.float64)
        s = np.asarray(series[key][1], dtype=np.float64)
        colour = COLOURS[i % len(COLOURS)]
        ax.fill_between(x, m - s, m + s, color=colour, alpha=0.2, lw=0, label="\u00b1 1 std")
        ax.plot(x, m, color=colour, lw=1.8, marker="o" if len(x) <= 30 else None, ms=3, label="mean")
        if ranges and key in ranges:
            lo, hi = ranges[key]
            ax.set_ylim(lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo))
        ax.set_title(key, fontsize=9)
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        if i == 0:
            ax.legend(fontsize=7, loc="best")
    for j in range(len(keys), nrows * ncols):
        axes[j // ncols, j % ncols].set_axis_off()
    for ax in axes[-1, :]:
        ax.set_xlabel("training step")
        ax.xaxis.set_tick_params(labelbottom=True)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def reason_shares_over_steps(steps: Sequence[float], shares: Mapping[str, Sequence[float]], *, title: str | None = None) -> Any:
    """Stacked share of the rows of each step per reason code (in %)."""
    fig, ax = new_figure(6.2, 3.2)
    x = np.asarray(steps, dtype=np.float64)
    keys = list(shares)
    if not keys or x.size == 0:
        ax.text(0.5, 0.5, "no steps", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    ys = [np.asarray(shares[k], dtype=np.float64) * 100 for k in keys]
    palette = [COLOURS[2]] + [c for c in COLOURS if c != COLOURS[2]]
    colours = [palette[i % len(palette)] if k == "(scored normally)" or i else palette[(i + 1) % len(palette)] for i, k in enumerate(keys)]
    if len(x) == 1:  # one step: a single stacked bar
        bottom: float | np.ndarray = 0.0
        for k, y, c in zip(keys, ys, colours):
            ax.bar(x, y, bottom=bottom, color=c, label=k, width=0.6)
            bottom += y
    else:
        ax.stackplot(x, *ys, labels=keys, colors=colours, alpha=0.9)
    ax.set_xlabel("training step")
    ax.set_ylabel("share of rows (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
