"""Binary masks from every accepted form, with one dtype contract (``bool H x W``).

Accepted inputs of :func:`to_mask`:

* :class:`~rewardkit.types.Mask` (returned as is) and ``bool`` arrays;
* integer / float arrays (``H x W``, ``H x W x 1`` or grey ``H x W x 3``) holding only
  ``{0, 1}`` or only ``{0, 255}``: binarized with ``!= 0``. Any other value set
  (grey levels, soft maps) needs an explicit ``threshold`` (foreground is ``value >
  threshold``, the PySODMetrics convention ``gt > 128``), and a threshold that would
  empty a ``{0, 1}`` mask (``threshold >= 1`` on values in ``{0, 1}``) raises
  ``ValueError``: the public Seg-R1 code thresholds its 0/1 ground truth with ``> 128``
  and trains against empty masks; by contract that cannot happen here;
* COCO RLE dicts ``{"size": [h, w], "counts": ...}`` with compressed counts (``str`` or
  ``bytes``) or uncompressed counts (a list of run lengths, column-major, starting with
  background), and JSON strings of them;
* polygons in COCO layout ``[[x1, y1, x2, y2, ...], ...]`` (needs ``image_size``); several
  polygons are combined with ``polygon_rule="union"`` (COCO / pycocotools ``annToMask``,
  the default) or ``"evenodd"`` (XOR: a polygon inside another one cuts a hole); shapely
  ``Polygon`` / ``MultiPolygon`` objects keep their interiors as holes;
* COCO annotation dicts with a ``"segmentation"`` key (RLE or polygons);
* paths to PNG / JPEG / BMP files (``str`` or :class:`pathlib.Path`), read as grey levels
  and then binarized like arrays.

Polygons are rasterized by pycocotools (``frPyObjects``), so a mask built here is
identical to the one pycocotools' ``annToMask`` gives for the same annotation.

Bounds (:mod:`rewardkit.limits`), checked before any decoding or rasterizing, since
pycocotools trusts its input (an RLE whose counts overflow, or a polygon at 5e7, makes
it write out of bounds and crash the process):

* a mask has at most :data:`~rewardkit.limits.MAX_MASK_PIXELS` pixels; ``expected_hw``
  (given by the rewards: the ground truth's size) is compared with an RLE's ``size``
  before its counts are read (:class:`MaskError` with reason ``wrong_mask_size``);
* RLE counts, compressed or not, are decoded here (never by pycocotools): at most
  :data:`~rewardkit.limits.MAX_RLE_RUNS` runs, each non-negative, summing to exactly
  ``h * w`` (each run is checked against ``h * w`` first, so the sum cannot overflow);
* polygons: at most :data:`~rewardkit.limits.MAX_POLYGONS` polygons and
  :data:`~rewardkit.limits.MAX_POLYGON_VERTICES` vertices, finite coordinates within
  :data:`~rewardkit.limits.POLYGON_COORD_MARGIN` image sizes of the image, and a total
  perimeter below :data:`~rewardkit.limits.MAX_POLYGON_PERIMETER_FACTOR` ``* (W + H)``
  (:class:`MaskError` with reason ``bad_coordinates`` / ``too_many_vertices``).

Every refusal is a :class:`MaskError` (a ``ValueError``) whose ``reason`` the rewards
report.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rewardkit.limits import (
    MAX_MASK_JSON_CHARS,
    MAX_MASK_PIXELS,
    MAX_POLYGON_PERIMETER_FACTOR,
    MAX_POLYGON_VERTICES,
    MAX_POLYGONS,
    POLYGON_COORD_MARGIN,
)
from rewardkit.parsing.rle import MaskError, _check_hw, compressed_rles_valid, from_rle, rle_counts
from rewardkit.types import Mask, as_image_size

__all__ = [
    "MaskError",
    "check_polygon_bounds",
    "geometry_mask",
    "rle_counts",
    "compressed_rles_valid",
    "to_mask",
    "to_masks",
    "from_rle",
    "to_rle",
    "from_polygons",
    "binarize",
    "load_mask_image",
    "PolygonRule",
]

PolygonRule = Literal["union", "evenodd"]

_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp"}
_MAX_PIXELS = MAX_MASK_PIXELS  # old name


def binarize(arr: Any, *, threshold: float | None = None) -> np.ndarray:
    """Binarize an image array with an explicit, validated rule; returns ``bool H x W``.

    ``threshold=None``: the values must all lie in ``{0, 1}`` or all in ``{0, 255}``
    (``True`` where non-zero); anything else raises ``ValueError`` asking for a
    threshold. ``threshold=t``: foreground is ``value > t``; a threshold that would
    turn a ``{0, 1}`` mask into an empty one (``t >= 1`` while every value is 0 or 1)
    raises ``ValueError`` instead of silently emptying the mask.
    """
    a = np.asarray(arr)
    if a.ndim == 3 and a.shape[2] in (1, 3, 4):
        if a.shape[2] == 4:
            a = a[:, :, :3]
        if a.shape[2] == 3 and not (np.array_equal(a[:, :, 0], a[:, :, 1]) and np.array_equal(a[:, :, 0], a[:, :, 2])):
            raise ValueError("Expected a grey-level mask image, but got an RGB image whose channels differ")
        a = a[:, :, 0]
    if a.ndim != 2:
        raise ValueError(f"Expected a mask array of shape H x W, but got shape {a.shape}")
    if a.dtype == np.bool_:
        return a.copy()
    if a.dtype.kind not in "iuf":
        raise ValueError(f"Expected a numeric or bool mask array, but got dtype {a.dtype}")
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        raise ValueError("Expected finite mask values, but got NaN or inf")
    if a.size == 0:
        return np.zeros(a.shape, dtype=bool)
    lo, hi = a.min(), a.max()
    zero_one = lo >= 0 and hi <= 1 and np.all((a == 0) | (a == 1))
    if threshold is None:
        if zero_one:
            return a != 0
        if lo >= 0 and hi <= 255 and np.all((a == 0) | (a == 255)):
            return a != 0
        raise ValueError(
            "Expected a mask with values in {0, 1} or in {0, 255}, but got other values "
            f"(min {lo}, max {hi}); pass an explicit `threshold` (foreground = value > threshold)"
        )
    t = float(threshold)
    if not np.isfinite(t):
        raise ValueError(f"Expected a finite threshold, but got {threshold!r}")
    if zero_one and hi == 1 and t >= 1:
        raise ValueError(
            f"threshold {t} would empty a 0/1 mask (every value is 0 or 1); a 0/1 mask needs no "
            "threshold (this is the Seg-R1 `> 128` defect)"
        )
    return a > t


def load_mask_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as a grey-level array (no binarization).

    Needs Pillow (the ``images`` extra) or OpenCV; without either, an ``ImportError``
    says which extra to install.
    """
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"Expected a mask image file, but {str(p)!r} does not exist")
    try:
        from PIL import Image
    except ImportError:
        pass  # OpenCV below
    else:
        with Image.open(p) as im:
            if im.mode in ("1",):
                return np.asarray(im, dtype=bool)
            if im.mode not in ("L", "I", "I;16", "F", "P"):
                im = im.convert("L")
            elif im.mode == "P":
                im = im.convert("L")
            return np.asarray(im)
    try:
        import cv2
    except ImportError:
        raise ImportError(f"Reading the image {str(p)!r} needs Pillow: pip install 'rewardkit[images]'") from None
    arr = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
    if arr is None:
        raise ValueError(f"Could not read mask image {str(p)!r}")
    return arr


def to_rle(mask: Any, *, as_str: bool = True) -> dict[str, Any]:
    """Encode a mask as compressed COCO RLE ``{"size": [h, w], "counts": str}``.

    ``as_str=False`` keeps ``counts`` as ``bytes`` (what pycocotools returns).
    """
    from pycocotools import mask as mask_utils

    m = to_mask(mask)
    rle = mask_utils.encode(np.asfortranarray(m.data.astype(np.uint8)))
    counts = rle["counts"]
    if as_str and isinstance(counts, bytes):
        counts = counts.decode("ascii")
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": counts}


def _is_polygon_list(value: Any) -> bool:
    if not isinstance(value, Sequence | np.ndarray) or isinstance(value, str | bytes) or len(value) == 0:
        return False
    first = value[0]
    return isinstance(first, Sequence | np.ndarray) and not isinstance(first, str | bytes)


def check_polygon_bounds(polygons: Sequence[Any], image_size: Any) -> None:
    """Refuse polygons (flat ``[x1, y1, x2, y2, ...]`` sequences) that would be costly or
    crash a rasterizer: :class:`MaskError` with reason ``too_many_polygons``,
    ``too_many_vertices`` or ``bad_coordinates`` (see the module docstring).
    """
    w, h = as_image_size(image_size)
    if len(polygons) > MAX_POLYGONS:
        raise MaskError(f"Expected at most {MAX_POLYGONS} polygons, but got {len(polygons)}", "too_many_polygons")
    total = 0
    perimeter = 0.0
    lo_x, hi_x = -POLYGON_COORD_MARGIN * w, (1 + POLYGON_COORD_MARGIN) * w
    lo_y, hi_y = -POLYGON_COORD_MARGIN * h, (1 + POLYGON_COORD_MARGIN) * h
    for poly in polygons:
        n = len(poly) // 2 if hasattr(poly, "__len__") else 0
        total += n
        if total > MAX_POLYGON_VERTICES:
            raise MaskError(f"Expected at most {MAX_POLYGON_VERTICES} polygon vertices in all", "too_many_vertices")
    for poly in polygons:
        try:
            p = np.asarray(poly, dtype=np.float64).ravel()
        except (TypeError, ValueError, OverflowError) as exc:
            raise MaskError(f"Expected polygons of numbers: {exc}", "bad_coordinates") from None
        if p.size % 2:
            raise MaskError(f"Expected a polygon of (x, y) pairs, but got {p.size} numbers")
        x, y = p[0::2], p[1::2]
        with np.errstate(invalid="ignore"):
            inside = (x >= lo_x) & (x <= hi_x) & (y >= lo_y) & (y <= hi_y)  # NaN fails too
        if not inside.all():
            raise MaskError(
                f"Expected polygon coordinates within {POLYGON_COORD_MARGIN:g} image size(s) of the image "
                f"(x in [{lo_x:g}, {hi_x:g}], y in [{lo_y:g}, {hi_y:g}]), but got a point "
                f"{[float(x[~inside][0]), float(y[~inside][0])]}",
                "bad_coordinates",
            )
        if p.size >= 4:
            perimeter += float(np.hypot(np.diff(np.append(x, x[0])), np.diff(np.append(y, y[0]))).sum())
    if perimeter > MAX_POLYGON_PERIMETER_FACTOR * (w + h):
        raise MaskError(
            f"Expected a total polygon perimeter below {MAX_POLYGON_PERIMETER_FACTOR} * (W + H), but got {perimeter:.0f}",
            "bad_coordinates",
        )


def from_polygons(
    polygons: Any,
    image_size: Any,
    *,
    rule: PolygonRule = "union",
) -> Mask:
    """Rasterize COCO polygons ``[[x1, y1, x2, y2, ...], ...]`` (or shapely geometry).

    ``image_size`` is ``(width, height)``. ``rule="union"`` ORs the polygons (what
    pycocotools ``annToMask`` does; COCO has no holes), ``rule="evenodd"`` XORs them so an
    inner polygon cuts a hole. Shapely polygons subtract their interiors. A polygon
    needs at least 3 points (6 numbers); shorter ones raise ``ValueError`` (pycocotools
    would read a 4-number polygon as a box).
    """
    if rule not in ("union", "evenodd"):
        raise ValueError(f"Expected rule 'union' or 'evenodd', but got {rule!r}")
    w, h = as_image_size(image_size)
    _check_hw(h, w)
    out = np.zeros((h, w), dtype=bool)
    combine = np.logical_or if rule == "union" else np.logical_xor
    if _is_shapely(polygons):
        rings = _shapely_rings(polygons)
        check_polygon_bounds([r for ext, holes in rings for r in (ext, *holes)], (w, h))
        for ext, holes in rings:
            region = _raster([ext], h, w)
            for hole in holes:
                region &= ~_raster([hole], h, w)
            out = combine(out, region)
        return Mask(out)
    if not _is_polygon_list(polygons):
        raise MaskError("Expected polygons as a list of [x1, y1, x2, y2, ...] lists")
    if len(polygons) > MAX_POLYGONS:
        raise MaskError(f"Expected at most {MAX_POLYGONS} polygons, but got {len(polygons)}", "too_many_polygons")
    flat: list[np.ndarray] = []
    for poly in polygons:
        if _is_shapely(poly):
            out = combine(out, from_polygons(poly, (w, h), rule="union").data)
            continue
        try:
            p = np.asarray(poly, dtype=np.float64).ravel()
        except (TypeError, ValueError, OverflowError) as exc:
            raise MaskError(f"Expected a polygon of numbers: {exc}", "bad_coordinates") from None
        if p.size < 6 or p.size % 2 or not np.all(np.isfinite(p)):
            raise MaskError(f"Expected a polygon with >= 3 finite (x, y) points, but got {p.size} numbers")
        flat.append(p)
    check_polygon_bounds(flat, (w, h))
    coords: list[list[float]] = [p.tolist() for p in flat]
    if rule == "union" and coords:
        out |= _raster(coords, h, w)
    else:
        for c in coords:
            out = combine(out, _raster([c], h, w))
    return Mask(out)


def geometry_mask(geom: Any, image_size: Any) -> Mask:
    """Rasterize a VALID shapely (Multi)Polygon with holes at ``image_size`` (w, h).

    Each ring (exteriors and holes alike) is rasterized by pycocotools and the rings are
    combined by parity: in a valid geometry rings do not cross, so a pixel lies inside
    iff an odd number of rings contain it (an island in a lake counts three). The parity
    is taken on the rings' run boundaries (XOR of two run-length masks changes value
    where exactly one of them does), so the cost follows the rings' perimeters and one
    decode, not one ``H x W`` mask per ring. Bounds as :func:`from_polygons`.
    """
    from pycocotools import mask as mask_utils

    w, h = as_image_size(image_size)
    _check_hw(h, w)
    rings = [r for ext, holes in _shapely_rings(geom) for r in (ext, *holes)]
    check_polygon_bounds(rings, (w, h))
    rings = [r for r in rings if len(r) >= 6]
    if not rings or h == 0 or w == 0:
        return Mask(np.zeros((h, w), dtype=bool))
    changes = []
    for rle in mask_utils.frPyObjects([list(map(float, r)) for r in rings], h, w):
        c = rle_counts(rle["counts"], h, w)
        changes.append(np.cumsum(c)[:-1])  # positions where the value flips
    allc = np.concatenate(changes)
    vals, cnt = np.unique(allc, return_counts=True)
    flips = vals[cnt % 2 == 1]
    counts = np.diff(np.concatenate([[0], flips, [h * w]]))
    flat = np.repeat(np.arange(counts.size) % 2 == 1, counts)
    return Mask(flat.reshape((w, h)).T)


def _raster(polys: list[list[float]], h: int, w: int) -> np.ndarray:
    from pycocotools import mask as mask_utils

    if h == 0 or w == 0:
        return np.zeros((h, w), dtype=bool)
    rles = mask_utils.frPyObjects([list(map(float, p)) for p in polys], h, w)
    return mask_utils.decode([mask_utils.merge(rles)])[:, :, 0].astype(bool)


def _is_shapely(value: Any) -> bool:
    return type(value).__module__.startswith("shapely")


def _shapely_rings(geom: Any) -> list[tuple[list[float], list[list[float]]]]:
    kind = geom.geom_type
    if kind == "Polygon":
        if geom.is_empty:
            return []
        ext = np.asarray(geom.exterior.coords, dtype=np.float64)[:-1].ravel().tolist()
        holes = [np.asarray(r.coords, dtype=np.float64)[:-1].ravel().tolist() for r in geom.interiors]
        return [(ext, holes)]
    if kind in ("Point", "MultiPoint", "LineString", "LinearRing", "MultiLineString"):
        return []  # no area (what make_valid leaves of a collapsed ring)
    if kind in ("MultiPolygon", "GeometryCollection"):
        rings = []
        for g in geom.geoms:
            rings.extend(_shapely_rings(g))
        return rings
    raise ValueError(f"Expected a shapely Polygon or MultiPolygon, but got {kind}")


def to_mask(
    value: Any,
    *,
    image_size: Any = None,
    threshold: float | None = None,
    polygon_rule: PolygonRule = "union",
) -> Mask:
    """Turn any accepted mask form into a :class:`~rewardkit.types.Mask` (see module doc).

    ``image_size`` ``(width, height)`` is needed for polygons and is checked against the
    size of every other form when given. Raises ``ValueError`` on anything it cannot
    read unambiguously.
    """
    mask = _to_mask(value, image_size=image_size, threshold=threshold, polygon_rule=polygon_rule)
    if image_size is not None:
        w, h = as_image_size(image_size)
        if mask.shape != (h, w):
            raise MaskError(
                f"Expected a mask of size (width, height) = {(w, h)}, but got {(mask.shape[1], mask.shape[0])}",
                "wrong_mask_size",
            )
    return mask


def _to_mask(value: Any, *, image_size: Any, threshold: float | None, polygon_rule: PolygonRule) -> Mask:
    if isinstance(value, Mask):
        return value
    if isinstance(value, np.ndarray) and value.dtype != object:
        return Mask(binarize(value, threshold=threshold))
    if isinstance(value, Path):
        return Mask(binarize(load_mask_image(value), threshold=threshold))
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        s = value.strip()
        if s.startswith(("{", "[")):
            if len(s) > MAX_MASK_JSON_CHARS:
                raise MaskError(f"Expected a mask JSON string of at most {MAX_MASK_JSON_CHARS} characters", "too_long")
            try:
                obj = json.loads(s)
            except (ValueError, RecursionError) as exc:
                raise MaskError(f"Could not parse mask JSON: {str(exc)[:200]}") from None
            return _to_mask(obj, image_size=image_size, threshold=threshold, polygon_rule=polygon_rule)
        if _looks_like_path(s):
            return Mask(binarize(load_mask_image(s), threshold=threshold))
        raise ValueError(f"Expected a mask (array, RLE, polygons or an image path), but got the string {s[:80]!r}")
    expected = None
    if image_size is not None:
        w, h = as_image_size(image_size)
        expected = (h, w)
    if isinstance(value, Mapping):
        if "counts" in value:
            return from_rle(value, expected_hw=expected)
        if "segmentation" in value:
            seg = value["segmentation"]
            size = image_size
            if size is None and "height" in value and "width" in value:
                size = (value["width"], value["height"])
            if isinstance(seg, Mapping) and "counts" in seg:
                return from_rle(seg, expected_hw=expected)
            if size is None:
                raise ValueError("Polygon segmentation needs `image_size` (width, height)")
            return from_polygons(seg, size, rule=polygon_rule)
        raise ValueError(f"Expected an RLE dict or a COCO annotation, but got keys {sorted(map(str, value))}")
    if _is_shapely(value):
        if image_size is None:
            raise ValueError("Polygons need `image_size` (width, height)")
        return from_polygons(value, image_size, rule=polygon_rule)
    if _is_polygon_list(value):
        first = value[0]
        # a nested list of numbers per row is an array image; a list of flat coordinate lists is polygons
        if image_size is not None and not _is_polygon_list(first) and _looks_like_polygons(value, image_size):
            return from_polygons(value, image_size, rule=polygon_rule)
        arr = np.asarray(value)
        if arr.dtype != object and arr.ndim == 2:
            return Mask(binarize(arr, threshold=threshold))
        if image_size is None:
            raise ValueError("Polygons need `image_size` (width, height)")
        return from_polygons(value, image_size, rule=polygon_rule)
    raise ValueError(f"Expected a mask (bool array, RLE dict, polygons, image path), but got {type(value).__name__}")


def _looks_like_path(s: str) -> bool:
    """A string that names an image file (never raises: long or NUL-holding strings are not paths)."""
    if not s or len(s) > 4096 or "\x00" in s:
        return False
    try:
        p = Path(s)
        return p.suffix.lower() in _IMAGE_SUFFIXES or p.is_file()
    except (OSError, ValueError):
        return False


def _looks_like_polygons(value: Sequence[Any], image_size: Any) -> bool:
    """A list of flat lists is polygons unless it is exactly an H x W grid of 0/1/255."""
    w, h = as_image_size(image_size)
    if len(value) == h and all(isinstance(r, Sequence | np.ndarray) and len(r) == w for r in value):
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            return True
        if np.all(np.isin(arr, (0, 1, 255))):
            return False
    return True


def to_masks(values: Sequence[Any], **kwargs: Any) -> list[Mask]:
    """:func:`to_mask` over a sequence."""
    return [to_mask(v, **kwargs) for v in values]
