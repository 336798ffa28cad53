"""Polygon answers: read, bound, then validate with shapely.

Polygons (``segmentation.mask_iou``, ``segmentation.polygon_iou``)
------------------------------------------------------------------
Read from a payload or a loaded structure (:func:`polygon_rings`):

* COCO layout ``[[x1, y1, x2, y2, ...], ...]`` or one flat polygon ``[x1, y1, ...]``;
* points ``[[x, y], [x, y], ...]`` (one polygon) or ``[[[x, y], ...], ...]`` (several);
* GeoJSON-like ``{"type": "Polygon" | "MultiPolygon", "coordinates": ...}`` (rings after
  the first of a polygon are its holes);
* a dict holding any of these under ``polygon`` / ``polygons`` / ``segmentation`` /
  ``points`` / ``contour``.

Then, in this order (:func:`validate_polygons`), before any IoU or rasterizing:

1. bounds (:func:`rewardkit.parsing.masks.check_polygon_bounds`): polygon and vertex
   counts, finite coordinates near the image, total perimeter (reasons
   ``too_many_polygons``, ``too_many_vertices``, ``bad_coordinates``);
2. repeated points: consecutive duplicates (and a closing point equal to the first) are
   removed (``details["repeated_points"]``);
3. degenerate rings: fewer than 3 distinct points, or all points on one line (zero
   area), are dropped (``details["dropped_rings"]``);
4. self-intersections (a ring that crosses itself, a hole outside its shell...):
   ``invalid="repair"`` (default) replaces the polygon by shapely's ``make_valid``
   (the ``linework`` method: the region pycocotools rasterizes for the same ring, its
   even-odd fill), keeping its polygonal parts; ``invalid="refuse"`` fails with reason
   ``self_intersecting``. Repair costs the square of the crossings, so it is bounded:
   the invalid polygons of one answer may hold :data:`~rewardkit.limits.MAX_REPAIR_VERTICES`
   vertices and :data:`~rewardkit.limits.MAX_REPAIR_SEGMENTS` noded segments in all;
   beyond, the answer is refused (``self_intersecting``, ``details["too_complex"]``);
5. the polygons are combined: ``rule="union"`` (COCO: the object is the union of its
   polygons) or ``"evenodd"`` (a polygon inside another cuts a hole).

Nothing left (every ring degenerate) fails with ``degenerate_polygon``. A successful
read carries a note in ``reason`` when it changed the answer (``repaired_polygon``,
``dropped_degenerate_rings``); the score is computed on the validated geometry.
The default ``invalid="repair"`` scores what a COCO evaluator would see for the same
answer; ``"refuse"`` is the stricter training signal.

Quadrilaterals (``detection.f1`` and the grounding rewards on quad ground truth) are read
by :mod:`rewardkit.parsing.quads`. This module imports shapely only inside the functions
that validate polygons.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from rewardkit.errors import BadGroundTruth
from rewardkit.limits import (
    MAX_ABS_COORD,
    MAX_PAYLOAD_CHARS,
    MAX_POLYGON_VERTICES,
    MAX_POLYGONS,
    MAX_REPAIR_SEGMENTS,
    MAX_REPAIR_VERTICES,
)
from rewardkit.parsing._structured import load_structured
from rewardkit.parsing.masks import MaskError, check_polygon_bounds
from rewardkit.types import ParseResult, as_image_size

__all__ = [
    "InvalidPolygons",
    "PolygonRule",
    "Ring",
    "polygon_rings",
    "validate_polygons",
    "parse_polygons",
    "read_polygon_ground_truth",
]

InvalidPolygons = Literal["repair", "refuse"]
PolygonRule = Literal["union", "evenodd"]

POLYGON_KEYS = ("polygon", "polygons", "segmentation", "points", "contour", "coordinates")


@dataclass(frozen=True)
class Ring:
    """One polygon: an exterior ring ``K x 2`` and its holes (each ``K x 2``).

    Args:
        exterior: The exterior ring, ``K x 2`` points.
        holes: The holes, each ``K x 2`` points.
    """

    exterior: np.ndarray
    holes: tuple[np.ndarray, ...] = ()


# -- reading ------------------------------------------------------------------------------


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    try:
        return float(v)
    except OverflowError:
        return math.inf  # an integer beyond float range: refused by the bounds check


def _flat_numbers(v: Any) -> np.ndarray | None:
    """``[x1, y1, x2, y2, ...]`` (an even count >= 6) as floats, else None."""
    if not isinstance(v, list | tuple) or len(v) < 6 or len(v) % 2:
        return None
    out = [_num(x) for x in v]
    if any(x is None for x in out):
        return None
    return np.asarray(out, dtype=np.float64).reshape(-1, 2)


def _point_list(v: Any) -> np.ndarray | None:
    """``[[x, y], [x, y], ...]`` (>= 3 points) as floats, else None."""
    if not isinstance(v, list | tuple) or len(v) < 3:
        return None
    out = []
    for p in v:
        if not isinstance(p, list | tuple) or len(p) != 2:
            return None
        a, b = _num(p[0]), _num(p[1])
        if a is None or b is None:
            return None
        out.append((a, b))
    return np.asarray(out, dtype=np.float64)


def _ring(v: Any) -> np.ndarray | None:
    r = _flat_numbers(v)
    return r if r is not None else _point_list(v)


def _geojson(value: Mapping[str, Any]) -> list[Ring] | None:
    kind = value.get("type")
    coords = value.get("coordinates")
    if not isinstance(coords, list | tuple):
        return None
    polys = [coords] if kind == "Polygon" else list(coords) if kind == "MultiPolygon" else None
    if polys is None:
        return None
    out = []
    for poly in polys:
        if not isinstance(poly, list | tuple) or not poly:
            return None
        rings = [_point_list(r) for r in poly]
        if any(r is None for r in rings):
            return None
        out.append(Ring(rings[0], tuple(rings[1:])))  # type: ignore[arg-type]  # no ring is None (checked just above)
    return out


def polygon_rings(value: Any) -> list[Ring] | None:
    """The polygons held by a loaded structure (see the module doc), or ``None`` when it is not polygon-shaped.

    Coordinates are read as written (not bounded yet).

    Args:
        value: A loaded structure (lists, tuples, dicts of numbers).

    Returns:
        The :class:`Ring` s, or None when ``value`` is not polygon-shaped.
    """
    if isinstance(value, Mapping):
        if "type" in value and "coordinates" in value:
            return _geojson(value)
        for key in POLYGON_KEYS:
            if key in value:
                return polygon_rings(value[key])
        return None
    if not isinstance(value, list | tuple) or not value:
        return None
    one = _ring(value)
    if one is not None:
        return [Ring(one)]
    rings = [_ring(v) for v in value]  # counts are bounded next, with a reason (check_polygon_bounds)
    if any(r is None for r in rings):
        return None
    return [Ring(r) for r in rings]  # type: ignore[arg-type]  # no ring is None (checked just above)


# -- validation -----------------------------------------------------------------------------


def _dedupe(pts: np.ndarray) -> tuple[np.ndarray, int]:
    """Drop consecutive repeated points and a closing point equal to the first."""
    keep = np.ones(len(pts), dtype=bool)
    keep[1:] = np.any(pts[1:] != pts[:-1], axis=1)
    out = pts[keep]
    if len(out) > 1 and np.array_equal(out[0], out[-1]):
        out = out[:-1]
    return out, len(pts) - len(out)


def _polygonal(geom: Any) -> list[Any]:
    """The polygons of a geometry (make_valid may return lines and points beside them)."""
    kind = geom.geom_type
    if kind == "Polygon":
        return [] if geom.is_empty or geom.area == 0 else [geom]
    if kind in ("MultiPolygon", "GeometryCollection"):
        return [p for g in geom.geoms for p in _polygonal(g)]
    return []


def validate_polygons(
    rings: Sequence[Ring],
    *,
    invalid: InvalidPolygons = "repair",
    rule: PolygonRule = "union",
) -> tuple[Any, str | None, dict[str, Any]]:
    """Steps 2-5 of the module doc: ``(geometry, reason, details)``.

    ``geometry`` is a shapely (Multi)Polygon (empty on failure); ``reason`` is a failure
    code (``self_intersecting``, ``degenerate_polygon``) when the geometry is empty, else
    ``None`` or a note (``repaired_polygon``, ``dropped_degenerate_rings``).

    Args:
        rings: The polygons, already bounded (step 1).
        invalid: ``"repair"`` (shapely's ``make_valid``) or ``"refuse"`` self-intersecting
            polygons.
        rule: ``"union"`` or ``"evenodd"`` combination of the polygons.

    Returns:
        ``(geometry, reason, details)``; ``details`` counts ``n_polygons``,
        ``repeated_points``, ``dropped_rings`` and ``repaired``.

    Raises:
        ValueError: an unknown ``invalid`` or ``rule``.
    """
    if invalid not in ("repair", "refuse"):
        raise ValueError(f"Expected `invalid` 'repair' or 'refuse', but got {invalid!r}")
    if rule not in ("union", "evenodd"):
        raise ValueError(f"Expected `rule` 'union' or 'evenodd', but got {rule!r}")
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    details: dict[str, Any] = {"n_polygons": len(rings), "repeated_points": 0, "dropped_rings": 0, "repaired": 0}
    parts: list[Any] = []
    budget = {"vertices": MAX_REPAIR_VERTICES, "segments": MAX_REPAIR_SEGMENTS}
    for ring in rings:
        ext, rep = _dedupe(ring.exterior)
        details["repeated_points"] += rep
        holes = []
        for h in ring.holes:
            hh, rep = _dedupe(h)
            details["repeated_points"] += rep
            if len(np.unique(hh, axis=0)) >= 3 and Polygon(hh).convex_hull.area > 0:
                holes.append(hh)
            else:
                details["dropped_rings"] += 1
        if len(np.unique(ext, axis=0)) < 3 or Polygon(ext).convex_hull.area == 0:
            details["dropped_rings"] += 1  # collapsed: a point, a segment, collinear points
            continue
        poly = Polygon(ext, holes)
        if not poly.is_valid:
            if invalid == "refuse":
                details["invalid"] = shapely.is_valid_reason(poly)
                return MultiPolygon(), "self_intersecting", details
            if not _repair_affordable(ext, holes, budget):
                details["invalid"] = shapely.is_valid_reason(poly)
                details["too_complex"] = True
                return MultiPolygon(), "self_intersecting", details
            details["repaired"] += 1
            pieces = _polygonal(shapely.make_valid(poly))
        else:
            pieces = [poly] if poly.area > 0 else []
        if not pieces:
            details["dropped_rings"] += 1
            continue
        parts.append(shapely.union_all(pieces) if len(pieces) > 1 else pieces[0])
    if not parts:
        return MultiPolygon(), "degenerate_polygon", details
    if rule == "union":
        geom = shapely.union_all(parts) if len(parts) > 1 else parts[0]
    else:
        while len(parts) > 1:  # a balanced tree of symmetric differences
            parts = [shapely.symmetric_difference(a, b) for a, b in zip(parts[0::2], parts[1::2])] + (
                [parts[-1]] if len(parts) % 2 else []
            )
        geom = parts[0]
    reason = "repaired_polygon" if details["repaired"] else ("dropped_degenerate_rings" if details["dropped_rings"] else None)
    return geom, reason, details


def _repair_affordable(ext: np.ndarray, holes: list[np.ndarray], budget: dict[str, int]) -> bool:
    """Spend the answer's repair budget on one invalid polygon; False when it runs out."""
    import shapely
    from shapely.geometry import LineString

    rings = [ext, *holes]
    budget["vertices"] -= sum(len(r) for r in rings)
    if budget["vertices"] < 0:
        return False
    noded = shapely.union_all([LineString(np.vstack([r, r[:1]])) for r in rings])
    budget["segments"] -= shapely.get_num_geometries(noded) if noded.geom_type.startswith("Multi") else 1
    return budget["segments"] >= 0


def _flat_for_bounds(rings: Sequence[Ring]) -> list[np.ndarray]:
    return [r.ravel() for ring in rings for r in (ring.exterior, *ring.holes)]


def parse_polygons(
    payload: Any,
    *,
    image_size: Any,
    frame: str = "pixel",
    invalid: InvalidPolygons = "repair",
    rule: PolygonRule = "union",
    min_pixels: int | None = None,
    max_pixels: int | None = None,
) -> ParseResult[Any]:
    """Read, bound and validate a polygon answer (see the module doc).

    Never raises on model output. ``image_size`` ``(width, height)`` of the original image
    bounds the coordinates (after converting them from ``frame`` to pixels). The value is a
    shapely geometry (an empty ``MultiPolygon`` on failure).

    Args:
        payload: The answer text, or a loaded structure (None when there is none).
        image_size: ``(width, height)`` of the original image, or None (coordinates are
            then bounded by :data:`~rewardkit.limits.MAX_ABS_COORD`).
        frame: The coordinate frame of the answer (``"pixel"`` by default).
        invalid: ``"repair"`` or ``"refuse"`` self-intersecting polygons.
        rule: ``"union"`` or ``"evenodd"`` combination of the polygons.
        min_pixels: The resizer's ``min_pixels`` for a resized frame (its default when None).
        max_pixels: The resizer's ``max_pixels`` for a resized frame (its default when None).

    Returns:
        A :class:`~rewardkit.types.ParseResult` with the geometry, a note or failure code
        in ``reason`` and the counts of :func:`validate_polygons` in ``details``.

    Raises:
        ValueError: an unknown ``frame``, ``invalid`` or ``rule``, or a bad
            ``image_size``.
    """
    from shapely.geometry import MultiPolygon

    if payload is None:
        return ParseResult(MultiPolygon(), False, "no_answer", {})
    if isinstance(payload, str):
        text = payload.strip()
        if len(text) > MAX_PAYLOAD_CHARS:
            return ParseResult(MultiPolygon(), False, "too_long", {})
        if not text:
            return ParseResult(MultiPolygon(), False, "empty_answer", {})
        ok, value, _ = load_structured(text)
        if not ok:
            return ParseResult(MultiPolygon(), False, "unparseable", {})
    else:
        value = payload
    rings = polygon_rings(value)
    if rings is None:
        return ParseResult(MultiPolygon(), False, "not_polygons", {})
    return validate_rings(rings, image_size=image_size, frame=frame, invalid=invalid, rule=rule,
                          min_pixels=min_pixels, max_pixels=max_pixels)


def validate_rings(
    rings: list[Ring],
    *,
    image_size: Any,
    frame: str = "pixel",
    invalid: InvalidPolygons = "repair",
    rule: PolygonRule = "union",
    min_pixels: int | None = None,
    max_pixels: int | None = None,
) -> ParseResult[Any]:
    """Frame conversion, bounds and :func:`validate_polygons` for rings already read.

    Args:
        rings: The polygons, as :func:`polygon_rings` reads them.
        image_size: ``(width, height)`` of the original image, or None.
        frame: The coordinate frame of the rings (``"pixel"`` by default).
        invalid: ``"repair"`` or ``"refuse"`` self-intersecting polygons.
        rule: ``"union"`` or ``"evenodd"`` combination of the polygons.
        min_pixels: The resizer's ``min_pixels`` for a resized frame (its default when None).
        max_pixels: The resizer's ``max_pixels`` for a resized frame (its default when None).

    Returns:
        A :class:`~rewardkit.types.ParseResult` as :func:`parse_polygons` gives it.

    Raises:
        ValueError: an unknown ``frame``, ``invalid`` or ``rule``, or a bad
            ``image_size``.
    """
    from shapely.geometry import MultiPolygon

    from rewardkit.parsing.frames import check_frame, convert_points

    check_frame(frame)
    size = as_image_size(image_size) if image_size is not None else None
    if frame != "pixel":
        kw = {k: v for k, v in (("min_pixels", min_pixels), ("max_pixels", max_pixels)) if v is not None}
        with np.errstate(all="ignore"):
            rings = [
                Ring(convert_points(r.exterior, frame, "pixel", size, **kw), tuple(convert_points(h, frame, "pixel", size, **kw) for h in r.holes))
                for r in rings
            ]
    try:
        if size is not None:
            check_polygon_bounds(_flat_for_bounds(rings), size)
        else:
            _check_without_size(rings)
    except MaskError as exc:
        return ParseResult(MultiPolygon(), False, exc.reason, {"error": str(exc)[:200]})
    geom, reason, details = validate_polygons(rings, invalid=invalid, rule=rule)
    if geom.is_empty:
        return ParseResult(geom, False, reason, details)
    return ParseResult(geom, True, reason, details)


def _check_without_size(rings: Sequence[Ring]) -> None:
    """Bounds when no image size is known: counts and |coordinate| <= MAX_ABS_COORD."""
    flat = _flat_for_bounds(rings)
    if len(rings) > MAX_POLYGONS:
        raise MaskError(f"Expected at most {MAX_POLYGONS} polygons", "too_many_polygons")
    if sum(len(p) // 2 for p in flat) > MAX_POLYGON_VERTICES:
        raise MaskError(f"Expected at most {MAX_POLYGON_VERTICES} polygon vertices in all", "too_many_vertices")
    for p in flat:
        if not (np.abs(p) <= MAX_ABS_COORD).all():
            raise MaskError(f"Expected polygon coordinates within {MAX_ABS_COORD:g}", "bad_coordinates")


def read_polygon_ground_truth(value: Any, *, image_size: Any = None, rule: PolygonRule = "union") -> Any:
    """A ground-truth polygon set as a shapely geometry.

    Repaired like an answer with ``invalid="repair"``. Shapely geometries are accepted as
    they are (when valid).

    Args:
        value: The ground-truth polygons (any form :func:`polygon_rings` reads) or a
            shapely geometry.
        image_size: ``(width, height)`` of the image, or None.
        rule: ``"union"`` or ``"evenodd"`` combination of the polygons.

    Returns:
        The shapely geometry.

    Raises:
        BadGroundTruth: polygons unreadable, out of bounds or entirely degenerate.
    """
    if type(value).__module__.startswith("shapely"):
        if not value.is_valid:
            import shapely

            value = shapely.make_valid(value)
        parts = _polygonal(value)
        if not parts:
            raise BadGroundTruth("Expected a ground-truth polygon with a positive area")
        import shapely

        return shapely.union_all(parts) if len(parts) > 1 else parts[0]
    rings = polygon_rings(value)
    if rings is None:
        raise BadGroundTruth(f"Expected ground-truth polygons, but got {str(value)[:120]!r}")
    res = validate_rings(rings, image_size=image_size, invalid="repair", rule=rule)
    if not res.ok:
        raise BadGroundTruth(f"Unusable ground-truth polygons: {res.reason} {res.details.get('error', '')}".strip())
    return res.value


# -- quads --------------------------------------------------------------------------------


_MOVED = ("parse_quads", "read_florence2_quads", "quads_from_structure", "QuadTarget", "looks_like_quads", "read_quad_target", "QUAD_KEYS")


def __getattr__(name: str) -> object:
    """Old import paths of the names that moved to :mod:`rewardkit.parsing.quads` keep working."""
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module("rewardkit.parsing.quads"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
