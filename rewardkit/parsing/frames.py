"""Coordinate frames of boxes and points, and conversion between them.

IoU is invariant under independent scaling of x and y; L1 costs and "inside the image"
checks are not, and a prediction compared with a ground truth in another frame gives an
IoU stuck at zero (the number one complaint in the public projects). Every sample
therefore names the frame of its predictions and of its ground truth:

``norm1000``
    integers 0..1000 of the image (Qwen2-VL, Qwen3-VL, Visual-RFT's data).
``norm1``
    floats 0..1 of the image.
``pixel``
    absolute pixels of the original image (needs ``image_size``).
``qwen25vl``
    absolute pixels of the image *as processed by Qwen2.5-VL*: the original size
    resized by :func:`qwen25vl_resize` (needs ``image_size``, the ORIGINAL size).
``seg_r1``
    pixels of the image resized to 768 x 768 (Seg-R1).

Image sizes are ``(width, height)``.
"""

from __future__ import annotations

import math
from typing import Any, Literal, cast, get_args

import numpy as np

from rewardkit.errors import ParameterError
from rewardkit.types import as_image_size

__all__ = [
    "Frame",
    "FRAMES",
    "check_frame",
    "frame_extent",
    "convert_boxes",
    "convert_points",
    "qwen25vl_resize",
    "QWEN25VL_MIN_PIXELS",
    "QWEN25VL_MAX_PIXELS",
]

Frame = Literal["norm1000", "norm1", "pixel", "qwen25vl", "seg_r1"]
FRAMES: tuple[str, ...] = get_args(Frame)

QWEN25VL_FACTOR = 28
QWEN25VL_MIN_PIXELS = 56 * 56
QWEN25VL_MAX_PIXELS = 12845056
"""Defaults of the released Qwen2.5-VL processor (``preprocessor_config.json``:
``min_pixels=3136``, ``max_pixels=12845056``). Training recipes often lower
``max_pixels`` (Visual-RFT: 401408): pass the value your processor used."""
SEG_R1_SIZE = 768


def check_frame(frame: str) -> Frame:
    if frame not in FRAMES:
        raise ParameterError(f"Expected frame to be one of {list(FRAMES)}, but got {frame!r}")
    return cast(Frame, frame)


def qwen25vl_resize(
    width: int,
    height: int,
    *,
    factor: int = QWEN25VL_FACTOR,
    min_pixels: int = QWEN25VL_MIN_PIXELS,
    max_pixels: int = QWEN25VL_MAX_PIXELS,
) -> tuple[int, int]:
    """Size ``(width, height)`` of an image after Qwen2.5-VL's resize rule.

    Each side is rounded to a multiple of ``factor`` (28 = patch 14 x merge 2); if the
    area leaves ``[min_pixels, max_pixels]`` both sides are scaled by the same factor
    (floor when shrinking, ceil when growing) before rounding. Equivalent to
    ``image_grid_thw * 14``. Raises ``ValueError`` for aspect ratios above 200, as the
    processor does.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"Expected a positive image size, but got {(width, height)}")
    if max(height, width) / min(height, width) > 200:
        raise ValueError(f"Expected an aspect ratio below 200, but got {max(height, width) / min(height, width):.1f}")
    h_bar = round(height / factor) * factor
    w_bar = round(width / factor) * factor
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return int(w_bar), int(h_bar)


def frame_extent(frame: str, image_size: Any = None, **resize_kw: Any) -> tuple[float, float]:
    """Width and height of the whole image in ``frame`` units."""
    check_frame(frame)
    if frame == "norm1000":
        return (1000.0, 1000.0)
    if frame == "norm1":
        return (1.0, 1.0)
    if frame == "seg_r1":
        return (float(SEG_R1_SIZE), float(SEG_R1_SIZE))
    if image_size is None:
        raise ParameterError(f"Frame {frame!r} needs image_size=(width, height) of the original image, but got None")
    w, h = as_image_size(image_size)
    if frame == "pixel":
        return (float(w), float(h))
    rw, rh = qwen25vl_resize(w, h, **resize_kw)
    return (float(rw), float(rh))


def convert_boxes(xyxy: Any, src: str, dst: str, image_size: Any = None, **resize_kw: Any) -> np.ndarray:
    """Convert ``N x 4`` xyxy boxes from frame ``src`` to frame ``dst``."""
    arr = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    if src == dst:
        return arr
    sw, sh = frame_extent(src, image_size, **resize_kw)
    dw, dh = frame_extent(dst, image_size, **resize_kw)
    scale = np.array([dw / sw, dh / sh, dw / sw, dh / sh])
    return arr * scale


def convert_points(xy: Any, src: str, dst: str, image_size: Any = None, **resize_kw: Any) -> np.ndarray:
    """Convert ``N x 2`` points from frame ``src`` to frame ``dst``."""
    arr = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    if src == dst:
        return arr
    sw, sh = frame_extent(src, image_size, **resize_kw)
    dw, dh = frame_extent(dst, image_size, **resize_kw)
    return arr * np.array([dw / sw, dh / sh])
