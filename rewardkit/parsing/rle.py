"""COCO RLE, decoded here and bounded before any work (never handed unchecked to pycocotools), and :class:`MaskError`, the refusal every mask reader raises.

RLE counts, compressed or not: at most :data:`~rewardkit.limits.MAX_RLE_RUNS` runs, each
non-negative, summing to exactly ``h * w`` (each run is checked against ``h * w`` first, so
the sum cannot overflow); a mask has at most :data:`~rewardkit.limits.MAX_MASK_PIXELS`
pixels; ``expected_hw`` is compared with an RLE's ``size`` before its counts are read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rewardkit.limits import (
    MAX_MASK_PIXELS,
    MAX_RLE_RUNS,
)
from rewardkit.types import Mask

__all__ = ["MaskError", "rle_counts", "compressed_rles_valid", "from_rle"]


class MaskError(ValueError):
    """A mask (or polygon) that is refused before decoding; ``reason`` is the reward's code."""

    def __init__(self, message: str, reason: str = "bad_mask") -> None:
        super().__init__(message)
        self.reason = reason


def _check_hw(height: Any, width: Any) -> tuple[int, int]:
    if isinstance(height, bool | np.bool_) or isinstance(width, bool | np.bool_):
        raise MaskError(f"Expected an integer mask size [height, width], but got {[height, width]!r}")
    try:
        h, w = int(height), int(width)
        if h != height or w != width:
            raise ValueError
    except (TypeError, ValueError, OverflowError) as exc:
        raise MaskError(f"Expected an integer mask size [height, width], but got {[height, width]!r}") from exc
    if h < 0 or w < 0 or h * w > MAX_MASK_PIXELS:
        raise MaskError(
            f"Expected a mask size [height, width] with 0 <= h*w <= {MAX_MASK_PIXELS}, but got {[h, w]}", "mask_too_large"
        )
    return h, w


_MAX_CHARS_PER_RUN = 7  # 7 x 5 bits: a run up to 2**34, beyond MAX_MASK_PIXELS


def rle_counts(counts: Any, h: int, w: int) -> np.ndarray:
    """Validated run lengths (int64) of an RLE of size ``h x w``; :class:`MaskError` otherwise.

    ``counts`` is a list of run lengths or a compressed COCO string (``str``/``bytes``),
    read as pycocotools' ``rleFrString`` does (6 bits per character from ``'0'``: 5
    value bits and a continuation bit, the last character's bit 4 as sign, runs after
    the second written as differences to the run two places before), in numpy.
    """
    n = h * w
    if isinstance(counts, str):
        try:
            counts = counts.encode("ascii")
        except UnicodeEncodeError:
            raise MaskError("Expected compressed RLE counts of ASCII characters") from None
    if isinstance(counts, bytes | bytearray):
        if len(counts) > MAX_RLE_RUNS:
            raise MaskError(f"Expected compressed RLE counts of at most {MAX_RLE_RUNS} characters, but got {len(counts)}")
        a = np.frombuffer(bytes(counts), dtype=np.uint8).astype(np.int64) - 48
        if a.size == 0:
            c = np.zeros(0, dtype=np.int64)
        else:
            if a.min() < 0 or a.max() > 63:
                raise MaskError("Expected compressed RLE characters between '0' and 'o'")
            more = (a & 0x20) != 0
            if more[-1]:
                raise MaskError("Compressed RLE counts end inside a run")
            ends = np.flatnonzero(~more)
            starts = np.concatenate([[0], ends[:-1] + 1])
            lengths = ends - starts + 1
            if lengths.max() > _MAX_CHARS_PER_RUN:
                raise MaskError("Compressed RLE run written with too many characters")
            k = np.arange(a.size) - np.repeat(starts, lengths)
            x = np.add.reduceat((a & 0x1F) << (5 * k), starts)
            neg = (a[ends] & 0x10) != 0
            x = np.where(neg, x | (np.int64(-1) << (5 * lengths)), x)
            c = x.copy()
            if c.size > 3:
                c[3::2] = np.cumsum(x[1::2])[1:]
            if c.size > 4:
                c[4::2] = np.cumsum(x[2::2])[1:]
    elif isinstance(counts, Sequence | np.ndarray) and not isinstance(counts, str):
        if len(counts) > MAX_RLE_RUNS:
            raise MaskError(f"Expected at most {MAX_RLE_RUNS} RLE runs, but got {len(counts)}")
        try:
            if not isinstance(counts, np.ndarray) and any(isinstance(v, bool | np.bool_) for v in counts):
                raise TypeError("booleans are not run lengths")
            arr = np.asarray(counts)
            if arr.dtype.kind == "b":
                raise TypeError("booleans are not run lengths")
            if arr.dtype.kind in "fu":  # range first: a cast of 1e300 or 2**64-1 to int64 wraps
                if arr.size and not ((arr >= 0) & (arr <= n)).all():
                    raise ValueError(f"runs between 0 and h*w = {n}")
                if arr.dtype.kind == "f" and not np.array_equal(arr, np.floor(arr)):
                    raise ValueError("fractional runs")
            if arr.ndim != 1:
                raise ValueError(f"a flat list, not shape {arr.shape}")
            c = np.asarray(arr, dtype=np.int64)
        except (TypeError, ValueError, OverflowError) as exc:
            raise MaskError(f"Expected RLE counts as a list of integers ({exc})") from None
    else:
        raise MaskError(f"Expected RLE counts as str, bytes or a list of ints, but got {type(counts).__name__}")
    # each run within [0, h*w] first: then the sum of at most MAX_RLE_RUNS runs cannot overflow int64
    if c.size and (c.min() < 0 or c.max() > n):
        raise MaskError(f"Expected RLE runs between 0 and h*w = {n}")
    total = int(c.sum()) if c.size else 0
    if total != n:
        raise MaskError(f"Expected RLE counts that sum to h*w = {n}, but they sum to {total}")
    return c


def compressed_rles_valid(counts: Sequence[str | bytes], hw: np.ndarray) -> np.ndarray:
    """Vectorized :func:`rle_counts` over many compressed RLE strings at once.

    A bool per string, True when its runs decode as pycocotools reads them, are
    non-negative and sum to exactly ``h*w`` (``hw``: ``N x 2`` heights and widths). A few
    numpy passes over the characters and the runs instead of one decode per RLE
    (:func:`rewardkit.parsing.rle_batch.compressed_rles_check`, which also gives the
    areas); runs written with more than 6 characters and non-ASCII strings are refused.
    """
    from rewardkit.parsing.rle_batch import compressed_rles_check

    return compressed_rles_check(counts, hw)[0]


def from_rle(rle: Mapping[str, Any], *, expected_hw: tuple[int, int] | None = None) -> Mask:
    """Decode a COCO RLE dict (compressed ``str``/``bytes`` or uncompressed list counts).

    ``expected_hw`` ``(height, width)``: an RLE of another size is refused before its
    counts are read (:class:`MaskError`, reason ``wrong_mask_size``). Counts are
    validated by :func:`rle_counts` and decoded here (runs alternate background /
    foreground in column-major order), never handed unchecked to pycocotools.
    """
    if "size" not in rle or "counts" not in rle:
        raise MaskError(f"Expected an RLE dict with keys 'size' and 'counts', but got keys {sorted(map(str, rle))[:10]}")
    size = rle["size"]
    if not isinstance(size, Sequence | np.ndarray) or isinstance(size, str | bytes) or len(size) != 2:
        raise MaskError(f"Expected RLE 'size' [height, width], but got {str(size)[:80]}")
    h, w = _check_hw(size[0], size[1])
    if expected_hw is not None and (h, w) != tuple(expected_hw):
        raise MaskError(f"Expected an RLE of size {list(expected_hw)}, but got {[h, w]}", "wrong_mask_size")
    c = rle_counts(rle["counts"], h, w)
    flat = np.repeat(np.arange(c.size) % 2 == 1, c)
    return Mask(flat.reshape((w, h)).T)
