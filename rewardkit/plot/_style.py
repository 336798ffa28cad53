"""One look for every figure: Okabe-Ito colours, small fonts, labelled axes."""

from __future__ import annotations

from typing import Any

from rewardkit.viz.palette import OKABE_ITO

__all__ = ["COLOURS", "new_figure", "subplots"]

COLOURS = [
    OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["bluish_green"], OKABE_ITO["reddish_purple"],
    OKABE_ITO["vermillion"], OKABE_ITO["black"], OKABE_ITO["sky_blue"], OKABE_ITO["yellow"],
]  # fmt: skip
"""Series colours, in order (Okabe-Ito, colour-blind safe)."""

_RC = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
    "svg.hashsalt": "rewardkit",
}


def subplots(nrows: int = 1, ncols: int = 1, *, width: float = 5.2, height: float = 3.4, **kw: Any) -> tuple[Any, Any]:
    """``plt.subplots`` with the house style (matplotlib imported here, on first use)."""
    from rewardkit.viz._deps import require_matplotlib

    plt = require_matplotlib()
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), **kw)
    for ax in getattr(axes, "flat", [axes]):
        ax.spines["top"].set_visible(False)
        ax.spines["right"].set_visible(False)
        ax.tick_params(labelsize=8)
        ax.title.set_fontsize(10)
        ax.xaxis.label.set_fontsize(9)
        ax.yaxis.label.set_fontsize(9)
    return fig, axes


def new_figure(width: float = 5.2, height: float = 3.4) -> tuple[Any, Any]:
    """One figure with one axes."""
    return subplots(1, 1, width=width, height=height)
