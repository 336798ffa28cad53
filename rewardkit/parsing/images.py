"""Images as the segmenters and mask readers take them: arrays, PIL images, paths, or a ``(width, height)`` size; their size, a content key, channel order."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from typing import Any

import numpy as np

__all__ = ["image_hw", "image_key", "swap_channels"]


def _as_array(image: Any) -> np.ndarray:
    if isinstance(image, np.ndarray):
        return image
    if hasattr(image, "size") and hasattr(image, "mode"):  # PIL image
        return np.asarray(image)
    if isinstance(image, str) or hasattr(image, "__fspath__"):
        try:
            from PIL import Image
        except ImportError:
            raise ImportError("Reading an image file needs Pillow: pip install 'rewardkit[images]'") from None

        with Image.open(image) as im:
            return np.asarray(im.convert("RGB"))
    raise ValueError(f"Expected an image (array, PIL image or path), but got {type(image).__name__}")


def _is_size(image: Any) -> bool:
    return isinstance(image, tuple | list) and len(image) == 2 and all(np.isscalar(v) for v in image)


def swap_channels(image: Any) -> Any:
    """The image with its first three channels reversed (RGB <-> BGR).

    A size ``(width, height)`` or a single-channel image is returned unchanged.

    Args:
        image: An image array, PIL image or path, or a ``(width, height)`` size.

    Returns:
        A new ``H x W x C`` array with the channels swapped, or ``image`` (a size) or its
        array (a single-channel image) unchanged.

    Raises:
        ValueError: ``image`` is none of an array, PIL image, path or size.
        ImportError: ``image`` is a path and Pillow is not installed.
    """
    if _is_size(image):
        return image
    arr = _as_array(image)
    if arr.ndim != 3 or arr.shape[2] < 3:
        return arr
    out = np.array(arr, copy=True)
    out[:, :, :3] = arr[:, :, 2::-1]
    return out


def image_hw(image: Any) -> tuple[int, int]:
    """``(height, width)`` of an image array / PIL image / path, or of a ``(width, height)`` size.

    Args:
        image: An image array, PIL image or path, or a ``(width, height)`` size.

    Returns:
        ``(height, width)`` in pixels.

    Raises:
        ValueError: ``image`` is none of an array, PIL image, path or size.
        ImportError: ``image`` is a path and Pillow is not installed.
    """
    if isinstance(image, tuple | list) and len(image) == 2 and all(np.isscalar(v) for v in image):
        return int(image[1]), int(image[0])
    arr = _as_array(image)
    return int(arr.shape[0]), int(arr.shape[1])


def image_key(image: Any) -> Hashable:
    """A content key for the state cache (path string, or shape + dtype + blake2b digest).

    Args:
        image: An image array, PIL image or path, or a ``(width, height)`` size.

    Returns:
        ``("path", path)``, ``("size", width, height)`` or ``("array", shape, dtype,
        digest)``: equal for equal content.

    Raises:
        ValueError: ``image`` is none of an array, PIL image, path or size.
    """
    if isinstance(image, str) or hasattr(image, "__fspath__"):
        return ("path", str(image))
    if isinstance(image, tuple | list) and len(image) == 2 and all(np.isscalar(v) for v in image):
        return ("size", int(image[0]), int(image[1]))
    arr = np.ascontiguousarray(_as_array(image))
    return ("array", arr.shape, arr.dtype.str, hashlib.blake2b(arr.data, digest_size=16).hexdigest())
