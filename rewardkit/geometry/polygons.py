r"""Exact polygon geometry with shapely: IoU / GIoU of polygons and of quadrilaterals.

* :func:`polygon_iou`: ``area(A & B) / area(A | B)`` of two shapely geometries (holes
  and multi-polygons included), exact up to floating point. Overlay costs grow with the
  number of edge crossings (two 300-tooth combs take 19 s), so beyond
  :data:`~rewardkit.limits.MAX_EXACT_IOU_EDGE_PAIRS` edge pairs it is computed on a
  raster at ``image_size`` (pycocotools, as :func:`rewardkit.parsing.masks.geometry_mask`);
  ``details["method"]`` says which.
* :func:`polygon_giou`: ``IoU - area(C \ (A | B)) / area(C)`` with ``C`` the convex hull of
  ``A | B`` (the generalization of GIoU's enclosing box to shapes: Rezatofighi et al.,
  CVPR 2019, define C as the smallest enclosing convex object).
* :func:`quad_polygons`, :func:`quad_iou`, :func:`quad_giou`: quadrilaterals
  (:class:`~rewardkit.types.Quads`) as polygons; a quad whose ring crosses itself
  (corners written out of order, a "bow tie") is read as the convex hull of its corners,
  as inverted box corners are reordered; a quad of zero area overlaps nothing.

shapely is imported inside the functions (``import rewardkit`` does not load it).

>>> from rewardkit.types import Quads
>>> a = Quads.from_flat([[0, 0, 2, 0, 2, 2, 0, 2]])
>>> b = Quads.from_flat([[1, 0, 3, 0, 3, 2, 1, 2]])
>>> float(quad_iou(a, b)[0, 0])
0.3333333333333333
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rewardkit.limits import MAX_EXACT_IOU_EDGE_PAIRS
from rewardkit.types import Quads

__all__ = ["n_vertices", "polygon_iou", "polygon_iou_details", "polygon_giou", "quad_polygons", "quad_iou", "quad_giou"]


def n_vertices(geom: Any) -> int:
    """Vertices of all rings of a geometry."""
    import shapely

    return int(shapely.get_num_coordinates(geom))


def polygon_iou_details(a: Any, b: Any, *, image_size: Any = None, empty_value: float = 0.0) -> tuple[float, str]:
    """``(IoU, method)`` of two shapely geometries.

    ``method`` is ``"exact"`` or ``"raster"`` (see the module doc; the raster needs
    ``image_size``, without it the IoU stays exact).

    Args:
        a: a shapely geometry.
        b: a shapely geometry.
        image_size: the image size for the raster path (``None``: always exact).
        empty_value: the IoU of two empty geometries.

    Returns:
        ``(IoU, method)``.
    """
    if a.is_empty and b.is_empty:
        return float(empty_value), "exact"
    if a.is_empty or b.is_empty:
        return 0.0, "exact"
    if image_size is not None and n_vertices(a) * n_vertices(b) > MAX_EXACT_IOU_EDGE_PAIRS:
        from rewardkit.geometry.masks import mask_iou_pair
        from rewardkit.parsing.masks import geometry_mask

        return mask_iou_pair(geometry_mask(a, image_size), geometry_mask(b, image_size), empty_value=empty_value), "raster"
    inter = a.intersection(b).area
    union = a.area + b.area - inter
    if union <= 0:
        return float(empty_value), "exact"
    return float(min(1.0, max(0.0, inter / union))), "exact"


def polygon_iou(a: Any, b: Any, *, image_size: Any = None, empty_value: float = 0.0) -> float:
    """IoU of two shapely geometries (see :func:`polygon_iou_details`).

    >>> from shapely.geometry import Polygon
    >>> polygon_iou(Polygon([(0, 0), (2, 0), (2, 2), (0, 2)]), Polygon([(1, 0), (3, 0), (3, 2), (1, 2)]))
    0.3333333333333333
    """
    return polygon_iou_details(a, b, image_size=image_size, empty_value=empty_value)[0]


def polygon_giou(a: Any, b: Any) -> float:
    """GIoU of two shapely geometries, in [-1, 1] (C = convex hull of the union)."""
    if a.is_empty or b.is_empty:
        return -1.0
    union = a.union(b)
    inter = a.intersection(b).area
    u = union.area
    hull = union.convex_hull.area
    if hull <= 0 or u <= 0:
        return -1.0
    return float(inter / u - (hull - u) / hull)


def quad_polygons(quads: Quads) -> np.ndarray:
    """One shapely polygon per quad, as an object array.

    (convex hull when the written ring is not simple; an empty polygon when the quad has
    no area).

    Args:
        quads: the quads.

    Returns:
        An object array of shapely polygons.
    """
    import shapely

    if len(quads) == 0:
        return np.empty(0, dtype=object)
    polys = shapely.polygons(quads.corners)
    bad = ~shapely.is_valid(polys) | (shapely.area(polys) == 0)
    if bad.any():
        hulls = shapely.convex_hull(shapely.multipoints(quads.corners[bad]))
        hulls = np.where(shapely.get_type_id(hulls) == 3, hulls, shapely.Polygon())  # 3: Polygon; points, lines: empty
        polys[bad] = hulls
    return polys


def _overlap_pairs(a: Quads, b: Quads) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs whose bounding boxes overlap (the only pairs with a positive IoU)."""
    ba, bb = a.bounds.xyxy, b.bounds.xyxy
    ov = (
        (ba[:, None, 0] < bb[None, :, 2])
        & (bb[None, :, 0] < ba[:, None, 2])
        & (ba[:, None, 1] < bb[None, :, 3])
        & (bb[None, :, 1] < ba[:, None, 3])
    )
    ia, ib = np.nonzero(ov)
    return ia, ib


def quad_iou(a: Quads, b: Quads) -> np.ndarray:
    """Exact IoU matrix ``N x M`` between two sets of quads.

    (shapely, vectorized over the pairs whose bounding boxes overlap).

    Args:
        a: ``N`` quads.
        b: ``M`` quads.

    Returns:
        The ``N x M`` IoU matrix.
    """
    import shapely

    out = np.zeros((len(a), len(b)), dtype=np.float64)
    if out.size == 0:
        return out
    pa, pb = quad_polygons(a), quad_polygons(b)
    i, j = _overlap_pairs(a, b)
    if i.size:
        inter = shapely.area(shapely.intersection(pa[i], pb[j]))
        union = shapely.area(pa[i]) + shapely.area(pb[j]) - inter
        with np.errstate(invalid="ignore", divide="ignore"):
            out[i, j] = np.where(union > 0, np.clip(inter / union, 0.0, 1.0), 0.0)
    return out


def quad_giou(a: Quads, b: Quads) -> np.ndarray:
    """GIoU matrix ``N x M`` between two sets of quads (C = convex hull of the union)."""
    import shapely

    out = np.full((len(a), len(b)), -1.0, dtype=np.float64)
    if out.size == 0:
        return out
    pa, pb = quad_polygons(a), quad_polygons(b)
    i, j = (x.ravel() for x in np.indices(out.shape))
    x, y = pa[i], pb[j]
    union = shapely.union(x, y)
    u = shapely.area(union)
    inter = shapely.area(x) + shapely.area(y) - u
    hull = shapely.area(shapely.convex_hull(union))
    with np.errstate(invalid="ignore", divide="ignore"):
        g = np.where((hull > 0) & (u > 0), inter / u - (hull - u) / hull, -1.0)
    out[i, j] = np.clip(g, -1.0, 1.0)
    return out
