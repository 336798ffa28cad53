"""Optional dependencies of the pictures: Pillow (``show``) and matplotlib (figures).

Both come with the ``plot`` extra. A missing one is a user's mistake with a one-line
fix, so it raises ``ImportError`` whose message names the extra (the CLI prints it as
``rewardkit: error: ...``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["require_pil", "require_matplotlib", "EXTRA_HINT"]

EXTRA_HINT = "pip install 'rewardkit[plot]'"


def require_pil() -> Any:
    """``PIL`` (Pillow), or ``ImportError`` naming the ``plot`` extra."""
    try:
        import PIL.Image  # noqa: F401
        import PIL.ImageDraw  # noqa: F401
        import PIL.ImageFont  # noqa: F401
    except ImportError:
        raise ImportError(f"pictures need Pillow: {EXTRA_HINT}") from None
    import PIL

    return PIL


def require_matplotlib() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend, or ``ImportError`` naming the ``plot`` extra.

    Only the first call chooses the backend.
    """
    try:
        import matplotlib
    except ImportError:
        raise ImportError(f"plots need matplotlib: {EXTRA_HINT}") from None
    if matplotlib.get_backend().lower() != "agg" and "matplotlib.pyplot" not in __import__("sys").modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
