"""The scene model of :mod:`rewardkit.viz.scene` (what a reward saw, no drawing): :class:`Shape`, :class:`Link`, :class:`Scene`, the COCO skeleton and the answer/reading helpers the scene builders share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rewardkit.types import RewardResult

__all__ = ["Shape", "Link", "Scene", "COCO_SKELETON"]


COCO_SKELETON: tuple[tuple[int, int], ...] = (
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7),
    (6, 8), (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6),
)  # fmt: skip
"""Limbs of the COCO person skeleton (the ``skeleton`` of COCO's person category,
0-based)."""

_GE = "\u2265"
_MAX_SHAPES = 300  # a picture of more boxes than this is not legible; the caption says so


@dataclass
class Shape:
    """One drawable object in canvas coordinates.

    ``kind``: ``box`` (``data`` = xyxy), ``point`` (xy), ``mask`` (bool H x W on the
    canvas pixel grid), ``pose`` (K x 2, NaN where a joint is missing).
    ``role``: ``gt``, ``pred`` or ``prompt``. ``matched``: True / False, or None where
    the reward matches nothing (a format check draws the boxes it read).
    """

    kind: str
    role: str
    index: int
    data: Any
    label: str | None = None
    matched: bool | None = None

    @property
    def status(self) -> str:
        """Colour role: ``gt``, ``missed``, ``pred``, ``unmatched`` or ``prompt``."""
        if self.role == "prompt":
            return "prompt"
        if self.role == "gt":
            return "missed" if self.matched is False else "gt"
        return "unmatched" if self.matched is False else "pred"

    def bounds(self) -> tuple[float, float, float, float] | None:
        """``(x1, y1, x2, y2)`` of the shape in canvas units (None when empty)."""
        if self.kind == "box":
            x1, y1, x2, y2 = (float(v) for v in self.data)
            return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
        if self.kind == "point":
            x, y = (float(v) for v in self.data)
            return (x, y, x, y)
        if self.kind == "pose":
            xy = np.asarray(self.data, dtype=np.float64)
            ok = np.all(np.isfinite(xy), axis=1)
            if not ok.any():
                return None
            lo, hi = xy[ok].min(axis=0), xy[ok].max(axis=0)
            return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))
        if self.kind == "mask":
            ys, xs = np.nonzero(self.data)
            if xs.size == 0:
                return None
            return (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
        return None


@dataclass
class Link:
    """A matched pair: prediction ``pred`` and ground truth ``gt``.

    Indices into the scene's lists, with its overlap written as ``text`` (``IoU 0.82``,
    ``OKS 0.73``).
    """

    pred: int
    gt: int
    text: str
    value: float = float("nan")


@dataclass
class Scene:
    """Everything :func:`rewardkit.viz.draw.render` needs to draw one completion."""

    reward: str
    range: tuple[float, float]
    result: RewardResult
    canvas_frame: str
    frame_size: tuple[float, float] | None
    gts: list[Shape] = field(default_factory=list)
    preds: list[Shape] = field(default_factory=list)
    prompts: list[Shape] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    matching: str | None = None
    frames: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    answer: str | None = None
    expected: str | None = None

    def shape_bounds(self) -> tuple[float, float, float, float] | None:
        """Bounding rectangle of every shape (None when there is none)."""
        bs = [b for s in (*self.gts, *self.preds, *self.prompts) if (b := s.bounds()) is not None]
        if not bs:
            return None
        a = np.asarray(bs, dtype=np.float64)
        return (float(a[:, 0].min()), float(a[:, 1].min()), float(a[:, 2].max()), float(a[:, 3].max()))


# ----------------------------------------------------------------------------- helpers


def _fmt(v: Any) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{f:.3g}" if abs(f) < 1000 else f"{f:.0f}"


def _size_of(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    from rewardkit.types import as_image_size

    try:
        return as_image_size(value.tolist() if hasattr(value, "tolist") else value)
    except (ValueError, TypeError):
        return None


def _answer_text(completion: Any, prompt: str | None, mode: str | None = "auto") -> tuple[str | None, str | None, str]:
    """(answer text, reason, where it was read from), by answer mode (``None``: tags)."""
    if mode is not None:
        from rewardkit.rewards.localization import read_payload

        payload = read_payload(completion, prompt, mode)
        tags = payload.tags
        where = "whole completion" if (tags is None or tags.answer is None or payload.text != tags.answer) else "<answer> tag"
        return payload.text, payload.reason, where
    from rewardkit.parsing.tags import parse_completion

    tp = parse_completion(completion, prompt)
    return tp.answer, tp.reason, "<answer> tag"


def _reading_of(p: dict[str, Any]) -> Any:
    """The reading a picture reproduces (``p["reading"]``, set from the reward's Reading)."""
    from rewardkit.parsing.reading import Reading

    rd = p.get("reading")
    if isinstance(rd, Reading):
        return rd
    return Reading(pred_frame=p.get("pred_frame") or "norm1000", gt_frame=p.get("gt_frame") or "norm1000",
                   min_pixels=p.get("min_pixels"), max_pixels=p.get("max_pixels"))


def _dialect_reader(p: dict[str, Any], kind: str, default: Any) -> Any:
    """The box or point reader of the reward's dialect (``default`` when it has none)."""
    from rewardkit.parsing.dialects import get_dialect

    try:
        d = get_dialect(p.get("dialect") or "visual_rft")
    except KeyError:
        return default
    fn = d.read_boxes if kind == "boxes" else d.read_points
    return fn if fn is not None else default


def _label_of(labels: Any, i: int) -> str | None:
    if labels is None or i >= len(labels) or labels[i] is None:
        return None
    text = str(labels[i])
    return text if len(text) <= 24 else text[:23] + "\u2026"
