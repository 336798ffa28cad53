"""Pictures of rewards: :func:`show` (one completion, Pillow) and the HTML report.

Surfaces only: they score through the registry and recompute overlaps with the geometry
layer, never a reward formula. Pillow and matplotlib come with the ``plot`` extra and
are imported when a picture is drawn, not when this package is imported.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["show", "show_row", "build_scene", "render", "build_report"]

_LAZY = {
    "show": "rewardkit.viz.show",
    "show_row": "rewardkit.viz.show",
    "build_scene": "rewardkit.viz.scene",
    "render": "rewardkit.viz.draw",
    "build_report": "rewardkit.viz.report",
}


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'rewardkit.viz' has no attribute {name!r}")
    return getattr(importlib.import_module(mod), name)
