"""Polygon rewards with exact geometry (shapely): ``segmentation.polygon_iou``.

``segmentation.polygon_iou``: R = IoU(answer region, ground-truth region), in [0, 1].

* Both sides polygons (COCO ``[[x1, y1, ...], ...]`` lists, points, GeoJSON with holes,
  shapely geometries): the exact IoU ``area(A & B) / area(A | B)`` of the validated
  geometries (holes and multi-polygons included; several polygons of one side are
  their union, COCO's rule), independent of any raster size.
* Either side a mask (ground truth as RLE, array, PNG path; answer as RLE): the polygon
  side is rasterized at the image size (pycocotools) and the mask IoU is taken, as
  ``segmentation.mask_iou`` does. ``details["method"]`` is ``"exact"`` or ``"raster"``
  (also ``"raster"`` for two polygons beyond
  :data:`~rewardkit.limits.MAX_EXACT_IOU_EDGE_PAIRS` edge pairs).

Polygon answers are bounded and validated before anything else
(:mod:`rewardkit.parsing.polygons`): ``invalid="repair"`` (default: the region a COCO
evaluator would rasterize, reason ``repaired_polygon``) or ``"refuse"``
(``self_intersecting``, score 0); collapsed rings are dropped, an answer with nothing
left scores 0 (``degenerate_polygon``). ``empty_score`` when both regions are empty
(the answer ``[]`` on an empty ground truth).

The answer is read with a :class:`~rewardkit.parsing.reading.Reading` (``answer``,
``pred_frame`` (default ``"pixel"``), ``image_size``, ``min_pixels`` / ``max_pixels`` as
keywords). The image size ``(width, height)`` comes from the ``image_size`` parameter, the ground
truth's ``image_size`` / ``width`` + ``height`` keys, or the ground-truth mask; it bounds
the answer's coordinates (:data:`~rewardkit.limits.POLYGON_COORD_MARGIN`) and sets the
raster of the fallback. A polygon ground truth without any image size does not apply
(``bad_ground_truth``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rewardkit.errors import BadGroundTruth
from rewardkit.geometry.masks import mask_iou_pair
from rewardkit.geometry.polygons import polygon_iou_details
from rewardkit.parsing._structured import load_structured
from rewardkit.parsing.masks import MaskError, from_rle, geometry_mask
from rewardkit.parsing.polygons import (
    InvalidPolygons,
    polygon_rings,
    read_polygon_ground_truth,
    validate_rings,
)
from rewardkit.parsing.reading import Reading, extract_answer_text
from rewardkit.rewards._common import check_choice
from rewardkit.rewards.base import register_reward
from rewardkit.rewards.segmentation import read_seg_target
from rewardkit.types import Mask, RewardResult, as_image_size

__all__ = ["PolygonTarget", "read_polygon_target", "polygon_iou_reward"]


@dataclass(frozen=True, eq=False)
class PolygonTarget:
    """A parsed ground truth: a shapely ``geometry`` (polygons) or a ``mask``.

    And the image size ``(width, height)`` when known.

    Args:
        geometry: The shapely geometry of polygon ground truth, or None.
        mask: The mask of mask ground truth, or None.
        image_size: ``(width, height)`` of the image, when known.
    """

    geometry: Any = None
    mask: Mask | None = None
    image_size: tuple[int, int] | None = None


def _size_of(gt: Mapping[str, Any]) -> Any:
    if gt.get("image_size") is not None:
        return gt["image_size"]
    if "width" in gt and "height" in gt:
        return (gt["width"], gt["height"])
    return None


def read_polygon_target(ground_truth: Any, *, image_size: Any = None) -> PolygonTarget:
    """Read a polygon or mask ground truth.

    Polygons (see :func:`rewardkit.parsing.polygons.polygon_rings`, or shapely) or any
    mask form :func:`rewardkit.rewards.segmentation.read_seg_target` reads; a dict may
    carry ``image_size`` (or ``width`` / ``height``) beside ``polygons`` / ``segmentation``
    / ``mask``. Raises :class:`BadGroundTruth` (``ValueError`` for a bad ``image_size``
    parameter).

    Args:
        ground_truth: The ground truth (or a :class:`PolygonTarget`).
        image_size: ``(width, height)`` of the image (overrides the ground truth's).

    Returns:
        The :class:`PolygonTarget`.

    Raises:
        BadGroundTruth: unreadable polygons or mask.
        ValueError: a bad ``image_size``.
    """
    size = as_image_size(image_size) if image_size is not None else None
    if isinstance(ground_truth, PolygonTarget):
        return ground_truth if size is None or ground_truth.image_size is not None else PolygonTarget(ground_truth.geometry, ground_truth.mask, size)
    gt = ground_truth
    if isinstance(gt, str) and gt.strip()[:1] in ("[", "{"):
        ok, value, _ = load_structured(gt.strip())
        if not ok:
            raise BadGroundTruth(f"Could not read the ground truth {gt[:80]!r}")
        gt = value
    if isinstance(gt, Mapping) and not ("counts" in gt and "size" in gt):
        raw = _size_of(gt)
        if size is None and raw is not None:
            try:
                size = as_image_size(raw)
            except ValueError as exc:
                raise BadGroundTruth(str(exc)) from None
        key = next((k for k in ("polygons", "polygon", "segmentation", "coordinates") if k in gt), None)
        if key is not None and (key == "coordinates" or polygon_rings(gt[key]) is not None):
            value = gt if key == "coordinates" else gt[key]
            return PolygonTarget(read_polygon_ground_truth(value, image_size=size), None, size)
    elif type(gt).__module__.startswith("shapely") or (isinstance(gt, Sequence) and not isinstance(gt, str) and polygon_rings(gt) is not None):
        return PolygonTarget(read_polygon_ground_truth(gt, image_size=size), None, size)
    seg = read_seg_target(gt, image_size=size)
    mask = seg.mask
    h, w = mask.shape
    return PolygonTarget(None, mask, (w, h))


_PIXEL_READING = Reading(pred_frame="pixel")


def _prepare(ground_truth: Any, *, reading: Reading = _PIXEL_READING, **_: Any) -> PolygonTarget:
    return read_polygon_target(ground_truth, image_size=reading.image_size)


@register_reward(
    "segmentation.polygon_iou",
    task="segmentation",
    range=(0.0, 1.0),
    components=("iou",),
    tags=("segmentation", "polygons", "shapely"),
    prepare=_prepare,
    reading_fields=("answer", "pred_frame", "image_size", "min_pixels", "max_pixels"),
)
def polygon_iou_reward(
    completion: Any,
    ground_truth: Any,
    *,
    invalid: InvalidPolygons = "repair",
    empty_score: float = 1.0,
    prompt: str | None = None,
    reading: Reading = _PIXEL_READING,
) -> RewardResult:
    """R = area(P & G) / area(P | G) of the answer's polygons and the ground truth's.

    Exact when both are polygons (see the module doc).

    Args:
        completion: The model's completion.
        ground_truth: Polygons or a mask (see :func:`read_polygon_target`).
        invalid: ``"repair"`` (default) or ``"refuse"`` self-intersecting answers.
        empty_score: The score when both regions are empty.
        prompt: The prompt (for answer extraction), or None.
        reading: How to read the answer (``pred_frame="pixel"`` by default).

    Returns:
        A :class:`~rewardkit.types.RewardResult` with component ``iou`` and
        ``details["method"]`` ``"exact"`` or ``"raster"``.

    Raises:
        BadGroundTruth: an unreadable ground truth, or no image size.
        ValueError: an unknown ``invalid``.

    Example:
        >>> gt = {"polygons": [[0, 0, 10, 0, 10, 10, 0, 10]], "image_size": [20, 20]}
        >>> float(polygon_iou_reward("<answer>[[5, 0, 15, 0, 15, 10, 5, 10]]</answer>", gt))
        0.3333333333333333
    """
    check_choice("invalid", invalid, ("repair", "refuse"))
    target = read_polygon_target(ground_truth, image_size=reading.image_size)
    size = target.image_size
    if size is None:
        raise BadGroundTruth("segmentation.polygon_iou needs the image size: pass image_size=(width, height) "
                             "or put it in the ground truth ('image_size' or 'width'/'height')")
    ans = extract_answer_text(completion, prompt, reading.answer)
    if ans.text is None:
        return RewardResult(0.0, {"iou": 0.0}, ans.reason or "no_answer_tag")
    ok, value, _ = load_structured(ans.text.strip())
    if not ok:
        return RewardResult(0.0, {"iou": 0.0}, "unparseable")
    w, h = size
    if isinstance(value, Mapping) and "counts" in value:  # an RLE answer: raster IoU
        try:
            pred_mask = from_rle(value, expected_hw=(h, w))
        except MaskError as exc:
            return RewardResult(0.0, {"iou": 0.0}, exc.reason)
        gt_mask = target.mask if target.mask is not None else geometry_mask(target.geometry, size)
        iou = mask_iou_pair(pred_mask, gt_mask, empty_value=empty_score)
        return RewardResult(iou, {"iou": iou}, None, {"method": "raster"})
    if isinstance(value, list | tuple) and len(value) == 0:
        empty = target.mask.area == 0 if target.mask is not None else target.geometry.is_empty
        iou = float(empty_score) if empty else 0.0
        return RewardResult(iou, {"iou": iou}, None, {"method": "exact"})
    rings = polygon_rings(value)
    if rings is None:
        return RewardResult(0.0, {"iou": 0.0}, "not_polygons")
    res = validate_rings(rings, image_size=size, frame=reading.frame, invalid=invalid,
                         min_pixels=reading.min_pixels, max_pixels=reading.max_pixels)
    if not res.ok:
        return RewardResult(0.0, {"iou": 0.0}, res.reason, dict(res.details))
    details = {"n_polygons": res.details.get("n_polygons"), "repaired": res.details.get("repaired", 0),
               "dropped_rings": res.details.get("dropped_rings", 0)}
    if target.geometry is not None:
        iou, method = polygon_iou_details(res.value, target.geometry, image_size=size, empty_value=empty_score)
    else:
        iou, method = mask_iou_pair(geometry_mask(res.value, size), target.mask, empty_value=empty_score), "raster"
    return RewardResult(iou, {"iou": iou}, res.reason, {**details, "method": method})
