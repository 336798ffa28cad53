"""Mask overlap kernels: intersection / union counts and IoU matrices (N vs M masks).

Counts are exact integers: AND + count for small groups (up to 64 pairs, e.g. the G
completions of one prompt), a matrix product otherwise (float32, exact below 2**24
pixels per mask; float64 above, exact below 2**53). IoU is ``I / U`` in float64, which makes
it bit-identical to ``pycocotools.mask.iou`` on the RLE of the same masks (pycocotools
also divides integer counts in double precision). Where ``U == 0`` (both masks empty)
pycocotools gives 0; here that value is the named parameter ``empty_value`` (default
0.0, the pycocotools behaviour).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rewardkit.types import Mask

__all__ = ["stack_masks", "mask_areas", "intersection_union", "mask_iou", "mask_iou_pair"]


def stack_masks(masks: Any) -> np.ndarray:
    """A ``bool`` array ``N x H x W`` from a sequence of :class:`Mask` / bool arrays or an array."""
    if isinstance(masks, Mask):
        return masks.data[None]
    if isinstance(masks, np.ndarray):
        arr = masks
        if arr.ndim == 2:
            arr = arr[None]
    else:
        seq = list(masks) if isinstance(masks, Sequence) or hasattr(masks, "__iter__") else [masks]
        if not seq:
            return np.zeros((0, 0, 0), dtype=bool)
        arrs = [m.data if isinstance(m, Mask) else np.asarray(m) for m in seq]
        shapes = {a.shape for a in arrs}
        if len(shapes) != 1:
            raise ValueError(f"Expected masks of one shape, but got shapes {sorted(shapes)}")
        arr = np.stack(arrs)
    if arr.ndim != 3:
        raise ValueError(f"Expected masks N x H x W, but got shape {arr.shape}")
    if arr.dtype != np.bool_:
        raise ValueError(
            f"Expected bool masks, but got dtype {arr.dtype}; convert with rewardkit.parsing.masks.to_mask"
        )
    return arr


def mask_areas(masks: Any) -> np.ndarray:
    """Foreground pixel count per mask (int64, ``N``)."""
    arr = stack_masks(masks)
    return arr.reshape(arr.shape[0], -1).sum(axis=1, dtype=np.int64)


def intersection_union(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    """Exact intersection and union pixel counts, each an int64 matrix ``N x M``."""
    A = stack_masks(a)
    B = stack_masks(b)
    n, m = A.shape[0], B.shape[0]
    if n and m and A.shape[1:] != B.shape[1:]:
        raise ValueError(f"Expected masks of the same size, but got {A.shape[1:]} and {B.shape[1:]}")
    if n == 0 or m == 0:
        z = np.zeros((n, m), dtype=np.int64)
        return z, z.copy()
    a2 = A.reshape(n, -1)
    b2 = B.reshape(m, -1)
    npix = a2.shape[1]
    if n * m <= 64:
        # a group of G completions against a few masks: AND + count beats the casts of a matmul
        inter = np.array([[np.count_nonzero(np.logical_and(x, y)) for y in b2] for x in a2], dtype=np.int64).reshape(n, m)
    else:
        dtype = np.float32 if npix < (1 << 24) else np.float64
        inter = np.rint(a2.astype(dtype) @ b2.astype(dtype).T).astype(np.int64)
    area_a = np.array([np.count_nonzero(x) for x in a2], dtype=np.int64)
    area_b = np.array([np.count_nonzero(y) for y in b2], dtype=np.int64)
    union = area_a[:, None] + area_b[None, :] - inter
    return inter, union


def mask_iou(a: Any, b: Any, *, iscrowd: Sequence[bool] | None = None, empty_value: float = 0.0) -> np.ndarray:
    """IoU matrix ``N x M`` (float64) between masks ``a`` (N) and ``b`` (M).

    ``iscrowd`` (length M) follows ``pycocotools.mask.iou``: for a crowd mask in ``b`` the
    denominator is the area of the mask of ``a`` instead of the union. ``empty_value`` is
    the IoU where the denominator is 0 (both masks empty).
    """
    inter, union = intersection_union(a, b)
    denom = union.astype(np.float64)
    if iscrowd is not None:
        crowd = np.asarray(iscrowd, dtype=bool).ravel()
        if crowd.shape[0] != inter.shape[1]:
            raise ValueError(f"Expected {inter.shape[1]} iscrowd flags, but got {crowd.shape[0]}")
        area_a = mask_areas(a).astype(np.float64) if inter.shape[0] else np.zeros(0)
        denom = np.where(crowd[None, :], area_a[:, None], denom)
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = inter / denom
    return np.where(denom > 0, iou, float(empty_value))


def mask_iou_pair(a: Any, b: Any, *, empty_value: float = 0.0) -> float:
    """IoU of two masks (a float); ``empty_value`` when both are empty."""
    A = a.data if isinstance(a, Mask) else np.asarray(a)
    B = b.data if isinstance(b, Mask) else np.asarray(b)
    if A.shape != B.shape:
        raise ValueError(f"Expected masks of the same size, but got {A.shape} and {B.shape}")
    if A.dtype != np.bool_ or B.dtype != np.bool_:
        raise ValueError("Expected bool masks; convert with rewardkit.parsing.masks.to_mask")
    inter = int(np.count_nonzero(A & B))
    union = int(np.count_nonzero(A)) + int(np.count_nonzero(B)) - inter
    return float(empty_value) if union == 0 else inter / union
