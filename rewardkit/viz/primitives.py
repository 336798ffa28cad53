"""Drawing primitives of :func:`rewardkit.viz.draw.render` (Pillow): fonts, the scene-to-canvas transform, dashed lines, boxes, dots, crosses, mask layers and label placement."""

from __future__ import annotations

import functools
import importlib.util
import math
import os
from typing import Any

import numpy as np

from rewardkit.viz.palette import hex_to_rgb, text_colour

_HALO = (255, 255, 255)
_OUTSIDE = (226, 226, 226)
_BLANK = (255, 255, 255)
_GRID = (236, 236, 236)
_MARGIN = 18
_LINE = 3
_GT_LINE = 6
_DASH = "\u2014"


@functools.lru_cache(maxsize=16)
def font(size: int, bold: bool = False) -> Any:
    """DejaVu Sans from matplotlib's data when installed, else Pillow's built-in font.

    matplotlib is in the ``plot`` extra; Pillow's built-in font is scalable.

    Args:
        size: Font size in pixels.
        bold: The bold face.

    Returns:
        A PIL font.
    """
    from PIL import ImageFont

    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.origin:
        name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
        path = os.path.join(os.path.dirname(spec.origin), "mpl-data", "fonts", "ttf", name)
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _text_size(draw: Any, text: str, f: Any) -> tuple[int, int]:
    x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=f)
    return int(math.ceil(x1 - min(0, x0))), int(math.ceil(y1 - min(0, y0)))


class _Transform:
    """Canvas units -> picture pixels."""

    def __init__(self, view: tuple[float, float, float, float], scale: float, margin: int) -> None:
        self.x0, self.y0 = view[0], view[1]
        self.s = scale
        self.m = margin

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return (self.m + (x - self.x0) * self.s, self.m + (y - self.y0) * self.s)

    def rect(self, b: Any) -> tuple[float, float, float, float]:
        x1, y1 = self.xy(float(b[0]), float(b[1]))
        x2, y2 = self.xy(float(b[2]), float(b[3]))
        return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


# ----------------------------------------------------------------------------- primitives


def _dashed_line(draw: Any, p: tuple[float, float], q: tuple[float, float], fill: Any, width: int, dash: float = 9.0, gap: float = 6.0) -> None:
    (x1, y1), (x2, y2) = p, q
    length = math.hypot(x2 - x1, y2 - y1)
    if length < 1e-6:
        return
    dx, dy = (x2 - x1) / length, (y2 - y1) / length
    t = 0.0
    while t < length:
        e = min(t + dash, length)
        draw.line([(x1 + dx * t, y1 + dy * t), (x1 + dx * e, y1 + dy * e)], fill=fill, width=width)
        t = e + gap


def _rect(draw: Any, r: tuple[float, float, float, float], colour: tuple[int, int, int], dashed: bool, width: int = _LINE) -> None:
    x1, y1, x2, y2 = r
    corners = [(x1, y1), (x2, y1), (x2, y2), (x1, y2), (x1, y1)]
    if dashed:
        # a continuous white halo under the dashes keeps the outline traceable on photos
        draw.rectangle(r, outline=_HALO, width=1)
        for a, b in zip(corners, corners[1:]):
            _dashed_line(draw, a, b, colour, width)
        return
    draw.rectangle((x1 - 1, y1 - 1, x2 + 1, y2 + 1), outline=_HALO, width=width + 2)
    draw.rectangle(r, outline=colour, width=width)


def _line(draw: Any, pts: list[tuple[float, float]], colour: tuple[int, int, int], width: int, dashed: bool = False) -> None:
    if dashed:
        for a, b in zip(pts, pts[1:]):
            _dashed_line(draw, a, b, colour, width)
        return
    draw.line(pts, fill=_HALO, width=width + 2)
    draw.line(pts, fill=colour, width=width)


def _dot(draw: Any, c: tuple[float, float], r: float, colour: tuple[int, int, int], filled: bool = True) -> None:
    x, y = c
    draw.ellipse((x - r - 1.5, y - r - 1.5, x + r + 1.5, y + r + 1.5), fill=_HALO)
    if filled:
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    else:
        draw.ellipse((x - r, y - r, x + r, y + r), outline=colour, width=2)


def _cross(draw: Any, c: tuple[float, float], r: float, colour: tuple[int, int, int]) -> None:
    x, y = c
    for a, b in (((x - r, y - r), (x + r, y + r)), ((x - r, y + r), (x + r, y - r))):
        draw.line([a, b], fill=_HALO, width=6)
    for a, b in (((x - r, y - r), (x + r, y + r)), ((x - r, y + r), (x + r, y - r))):
        draw.line([a, b], fill=colour, width=3)


def _mask_layer(canvas: Any, mask: np.ndarray, t: _Transform, colour: tuple[int, int, int], size: tuple[int, int], alpha: float) -> None:
    """Fill (translucent) and contour of a mask, resampled to the picture."""
    from PIL import Image

    h, w = mask.shape
    x1, y1 = t.xy(0, 0)
    x2, y2 = t.xy(w, h)
    tw, th = max(1, int(round(x2 - x1))), max(1, int(round(y2 - y1)))
    m = Image.fromarray(mask.astype(np.uint8) * 255).resize((tw, th), Image.NEAREST)
    big = np.zeros((size[1], size[0]), dtype=bool)
    ox, oy = int(round(x1)), int(round(y1))
    arr = np.asarray(m) > 0
    ys = slice(max(0, oy), min(size[1], oy + th))
    xs = slice(max(0, ox), min(size[0], ox + tw))
    big[ys, xs] = arr[ys.start - oy : ys.stop - oy, xs.start - ox : xs.stop - ox]
    if not big.any():
        return
    inner = big.copy()
    inner[1:, :] &= big[:-1, :]
    inner[:-1, :] &= big[1:, :]
    inner[:, 1:] &= big[:, :-1]
    inner[:, :-1] &= big[:, 1:]
    edge = big & ~inner
    thick = edge.copy()  # 3-px contour
    thick[1:, :] |= edge[:-1, :]
    thick[:-1, :] |= edge[1:, :]
    thick[:, 1:] |= edge[:, :-1]
    thick[:, :-1] |= edge[:, 1:]
    px = np.asarray(canvas).copy()
    col = np.asarray(colour, dtype=np.float64)
    fill = big & ~thick
    px[fill] = (px[fill] * (1 - alpha) + col * alpha).astype(np.uint8)
    px[thick] = colour
    canvas.paste(Image.fromarray(px))


# ----------------------------------------------------------------------------- labels


class _Labels:
    """Greedy placement of label boxes that never overlap each other."""

    def __init__(self, width: int, height: int) -> None:
        self.w, self.h = width, height
        self.placed: list[tuple[float, float, float, float]] = []

    def _overlap(self, r: tuple[float, float, float, float]) -> float:
        total = 0.0
        for q in self.placed:
            ix = min(r[2], q[2]) - max(r[0], q[0]) + 2
            iy = min(r[3], q[3]) - max(r[1], q[1]) + 2
            if ix > 0 and iy > 0:
                total += ix * iy
        return total

    def _inside(self, r: tuple[float, float, float, float]) -> bool:
        return r[0] >= 0 and r[1] >= 0 and r[2] <= self.w and r[3] <= self.h

    def place(self, anchor: tuple[float, float, float, float], w: int, h: int) -> tuple[tuple[float, float, float, float], bool]:
        """The label's rectangle and whether it sits away from its anchor.

        Args:
            anchor: ``(x1, y1, x2, y2)`` of what the label names.
            w: Label width in pixels.
            h: Label height in pixels.

        Returns:
            ``(rectangle, moved)``.
        """
        ax1, ay1, ax2, ay2 = anchor
        near = [
            (ax1, ay1 - h - 1), (ax1 + 2, ay1 + 2), (ax1, ay2 + 1), (ax2 - w, ay1 - h - 1),
            (ax2 - w, ay2 + 1), (ax1 + 2, ay2 - h - 2), (ax2 + 2, ay1), (ax1 - w - 2, ay1),
        ]  # fmt: skip
        for x, y in near:
            x = min(max(x, 0), self.w - w)
            r = (x, y, x + w, y + h)
            if self._inside(r) and self._overlap(r) == 0:
                self.placed.append(r)
                return r, False
        best, best_cost = None, math.inf
        cx = min(max(ax1, 0), max(0, self.w - w))
        for k in range(1, 60):
            for sign in (1, -1):
                y = (ay1 - h - 1) + sign * k * (h + 2)
                r = (cx, y, cx + w, y + h)
                if not self._inside(r):
                    continue
                cost = self._overlap(r)
                if cost == 0:
                    self.placed.append(r)
                    return r, True
                if cost < best_cost:
                    best, best_cost = r, cost
        r = best or (cx, min(max(ay1, 0), self.h - h), cx + w, min(max(ay1, 0), self.h - h) + h)
        self.placed.append(r)
        return r, True


def _leader(draw: Any, r: tuple[float, float, float, float], to: tuple[float, float], colour_hex: str | None) -> None:
    cx, cy = (r[0] + r[2]) / 2, (r[1] + r[3]) / 2
    draw.line([(cx, cy), to], fill=_HALO, width=3)
    draw.line([(cx, cy), to], fill=hex_to_rgb(colour_hex) if colour_hex else (0, 0, 0), width=1)


def _draw_label(draw: Any, r: tuple[float, float, float, float], text: str, colour_hex: str | None, f: Any) -> None:
    if colour_hex is None:
        bg, fg, border = (255, 255, 255), (0, 0, 0), (0, 0, 0)
    else:
        bg, fg, border = hex_to_rgb(colour_hex), text_colour(colour_hex), (255, 255, 255)
    draw.rectangle(r, fill=bg, outline=border, width=1)
    draw.text((r[0] + 3, r[1] + 1), text, fill=fg, font=f)
