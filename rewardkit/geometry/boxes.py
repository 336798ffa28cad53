"""Box overlap kernels: IoU and GIoU matrices, vectorized with numpy.

Area convention: continuous coordinates, no "+1" (the COCO convention).

:func:`box_iou_xywh` performs the same floating-point operations in the same order as
pycocotools' ``bbIou`` (``maskApi.c``), so its result is bit-identical to
``pycocotools.mask.iou(dt, gt, iscrowd)`` for boxes given in ``xywh``. :func:`box_iou`
takes ``xyxy``, converts to ``xywh`` (``w = x2 - x1``) and calls it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["box_iou", "box_iou_xywh", "box_iou_xywh_paired", "box_iou_rows", "box_iou_candidates", "box_giou", "box_area", "xyxy_to_xywh", "xywh_to_xyxy"]


def _as_boxes(a: Any, name: str) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.size == 0:
        return arr.reshape(0, 4)
    if arr.ndim == 1 and arr.shape[0] == 4:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"Expected `{name}` of shape N x 4, but got {arr.shape}")
    return arr


def xyxy_to_xywh(xyxy: Any) -> np.ndarray:
    a = _as_boxes(xyxy, "xyxy")
    return np.concatenate([a[:, :2], a[:, 2:] - a[:, :2]], axis=1)


def xywh_to_xyxy(xywh: Any) -> np.ndarray:
    a = _as_boxes(xywh, "xywh")
    return np.concatenate([a[:, :2], a[:, :2] + a[:, 2:]], axis=1)


def box_area(xyxy: Any) -> np.ndarray:
    a = _as_boxes(xyxy, "xyxy")
    return np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)


def box_iou_xywh(dt: Any, gt: Any, iscrowd: Any = None) -> np.ndarray:
    """IoU matrix ``(n_dt, n_gt)`` of ``xywh`` boxes with pycocotools' semantics.

    For a crowd ground truth the union is the detection's area (``iscrowd[j]`` true),
    as in COCO evaluation. Bit-identical to ``pycocotools.mask.iou``.
    """
    d = _as_boxes(dt, "dt")
    g = _as_boxes(gt, "gt")
    if d.shape[0] == 0 or g.shape[0] == 0:
        return np.zeros((d.shape[0], g.shape[0]), dtype=np.float64)
    return _iou_xywh(d, g, iscrowd)


def _iou_xywh(d: np.ndarray, g: np.ndarray, iscrowd: Any = None) -> np.ndarray:
    # same operations, same order as pycocotools' bbIou: right edge = w + x, etc.
    dT = d.T
    dx, dy, dw, dh = dT[0][:, None], dT[1][:, None], dT[2][:, None], dT[3][:, None]
    gx, gy, gw, gh = g.T
    w = np.minimum(dw + dx, gw + gx)
    w -= np.maximum(dx, gx)
    h = np.minimum(dh + dy, gh + gy)
    h -= np.maximum(dy, gy)
    inter = w * h
    da = dw * dh
    union = da + gw * gh
    union -= inter
    if iscrowd is not None:
        crowd = np.asarray(iscrowd, dtype=bool)
        if crowd.any():
            union = np.where(crowd[None, :], da, union)
    valid = (w > 0) & (h > 0)
    out = np.zeros(inter.shape, dtype=np.float64)
    np.divide(inter, union, out=out, where=valid)
    return out


def box_iou_xywh_paired(dt: Any, gt: Any, iscrowd: Any = None) -> np.ndarray:
    """IoU of row ``i`` of ``dt`` with row ``i`` of ``gt`` (``xywh``), shape ``(N,)``.

    The element-wise form of :func:`box_iou_xywh` (same operations, same order, so the
    same bits): used by the COCO metric on its sparse list of (detection, ground truth)
    pairs of the same image and category.
    """
    d = _as_boxes(dt, "dt")
    g = _as_boxes(gt, "gt")
    if d.shape != g.shape:
        raise ValueError(f"Expected `dt` and `gt` of the same shape, but got {d.shape} and {g.shape}")
    dx, dy, dw, dh = d[:, 0], d[:, 1], d[:, 2], d[:, 3]
    gx, gy, gw, gh = g[:, 0], g[:, 1], g[:, 2], g[:, 3]
    da = dw * dh
    ga = gw * gh
    w = np.minimum(dw + dx, gw + gx) - np.maximum(dx, gx)
    h = np.minimum(dh + dy, gh + gy) - np.maximum(dy, gy)
    inter = w * h
    union = da + ga - inter
    if iscrowd is not None:
        crowd = np.asarray(iscrowd, dtype=bool).reshape(-1)
        if crowd.any():
            union = np.where(crowd, da, union)
    valid = (w > 0) & (h > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(valid, inter / np.where(valid, union, 1.0), 0.0)


def box_iou(a: Any, b: Any) -> np.ndarray:
    """IoU matrix ``(N, M)`` of ``xyxy`` boxes (pycocotools' arithmetic)."""
    x = _as_boxes(a, "a")
    y = _as_boxes(b, "b")
    if x.shape[0] == 0 or y.shape[0] == 0:
        return np.zeros((x.shape[0], y.shape[0]), dtype=np.float64)
    xw = x.copy()
    xw[:, 2:] -= x[:, :2]
    yw = y.copy()
    yw[:, 2:] -= y[:, :2]
    return _iou_xywh(xw, yw)


def box_iou_rows(dt: list[list[float]], gt: list[list[float]]) -> list[list[float]]:
    """IoU rows of ``xywh`` boxes for small inputs: the arithmetic of
    :func:`rewardkit.geometry.boxes.box_iou_xywh` (pycocotools' ``bbIou``: right edge =
    w + x, union = (da + ga) - inter, 0 unless both overlaps are > 0) on Python floats,
    which avoids numpy's per-call overhead for the few boxes of one completion. Tested
    bit-identical to ``box_iou_xywh`` and ``pycocotools.mask.iou``.
    """
    out = []
    for dx, dy, dw, dh in dt:
        da = dw * dh
        dr = dw + dx
        db = dh + dy
        row = []
        for gx, gy, gw, gh in gt:
            gr = gw + gx
            w = (dr if dr < gr else gr) - (dx if dx > gx else gx)
            if not w > 0:
                row.append(0.0)
                continue
            gb = gh + gy
            h = (db if db < gb else gb) - (dy if dy > gy else gy)
            if not h > 0:
                row.append(0.0)
                continue
            inter = w * h
            row.append(inter / (da + gw * gh - inter))
        out.append(row)
    return out


def box_iou_candidates(
    dt: list[list[float]], gt: list[list[float]], t0: float, *, inclusive: bool = True
) -> list[list[tuple[int, float]]]:
    """For each prediction, ``(g, IoU)`` of the ground truths with IoU >= ``t0`` (``>``
    when not ``inclusive``), ascending ``g``: the values of :func:`box_iou_rows` (same
    operations), without building the full matrix.
    """
    out = []
    for dx, dy, dw, dh in dt:
        da = dw * dh
        dr = dw + dx
        db = dh + dy
        row = []
        for g, (gx, gy, gw, gh) in enumerate(gt):
            gr = gw + gx
            w = (dr if dr < gr else gr) - (dx if dx > gx else gx)
            if not w > 0:
                continue
            gb = gh + gy
            h = (db if db < gb else gb) - (dy if dy > gy else gy)
            if not h > 0:
                continue
            inter = w * h
            v = inter / (da + gw * gh - inter)
            if v >= t0 if inclusive else v > t0:
                row.append((g, v))
        out.append(row)
    return out


def box_giou(a: Any, b: Any) -> np.ndarray:
    """Generalized IoU matrix ``(N, M)`` of ``xyxy`` boxes, in ``[-1, 1]``.

    GIoU = IoU - (C - U) / C with C the area of the smallest enclosing box
    (Rezatofighi et al., CVPR 2019). Two degenerate boxes at the same point give 0.
    """
    x = _as_boxes(a, "a")
    y = _as_boxes(b, "b")
    if x.shape[0] == 0 or y.shape[0] == 0:
        return np.zeros((x.shape[0], y.shape[0]), dtype=np.float64)
    area_a = box_area(x)[:, None]
    area_b = box_area(y)[None, :]
    lt = np.maximum(x[:, None, :2], y[None, :, :2])
    rb = np.minimum(x[:, None, 2:], y[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    union = area_a + area_b - inter
    clt = np.minimum(x[:, None, :2], y[None, :, :2])
    crb = np.maximum(x[:, None, 2:], y[None, :, 2:])
    cwh = np.clip(crb - clt, 0, None)
    c = cwh[..., 0] * cwh[..., 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
        giou = iou - np.where(c > 0, (c - union) / np.where(c > 0, c, 1.0), 0.0)
    return giou
