"""Segmentation ground truth (:func:`read_seg_target`) and mask answers (:func:`read_mask_answer`).

Ground truth: any mask form :func:`rewardkit.parsing.masks.to_mask` reads (RLE dict, polygons
with a size, array, PNG path, COCO annotation), a dict ``{"mask" | "rle" | "segmentation": ...,
"image": ..., "image_size": (w, h)}``, or instance masks ``{"masks": [...]}``. A mask answer
is an RLE dict of the ground truth's size, polygons (bounded and validated with shapely), or
``[]`` (the empty mask).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rewardkit.errors import BadGroundTruth
from rewardkit.parsing._structured import load_structured
from rewardkit.parsing.frames import convert_points
from rewardkit.parsing.images import image_hw
from rewardkit.parsing.masks import MaskError, from_polygons, from_rle, geometry_mask, to_mask
from rewardkit.parsing.polygons import InvalidPolygons, polygon_rings, validate_rings
from rewardkit.types import Mask

__all__ = ["SegTarget", "read_seg_target", "read_mask_answer"]


@dataclass(frozen=True, eq=False)
class SegTarget:
    """A parsed segmentation ground truth: ``masks`` (one or more instances), ``image``.

    Args:
        masks: The ground-truth masks, all of one size.
        image: The image, when the ground truth names one (for promptable segmenters).
        instances: Whether ``masks`` are instance masks (``{"masks": [...]}``).
    """

    masks: tuple[Mask, ...]
    image: Any = None
    instances: bool = False

    @property
    def mask(self) -> Mask:
        if len(self.masks) == 1:
            return self.masks[0]
        out = np.zeros(self.masks[0].shape, dtype=bool)
        for m in self.masks:
            out |= m.data
        return Mask(out)

    @property
    def hw(self) -> tuple[int, int]:
        return self.masks[0].shape


def read_seg_target(ground_truth: Any, *, image: Any = None, image_size: Any = None) -> SegTarget:
    """Read a segmentation ground truth in any accepted mask form.

    Accepted: RLE dict, polygons with size, array, PNG path, COCO annotation, a dict
    ``{"mask" | "rle" | "segmentation": ..., "image": ..., "image_size": (w, h)}``, or a
    list of instance masks ``{"masks": [...]}``.

    Args:
        ground_truth: The ground truth (or a :class:`SegTarget`, returned as is).
        image: The image (its size rasterizes polygons); overrides the ground truth's.
        image_size: ``(width, height)`` to rasterize polygons when no image is given.

    Returns:
        The :class:`SegTarget`.

    Raises:
        BadGroundTruth: an unreadable mask, no mask, or instance masks of several sizes.
    """
    if isinstance(ground_truth, SegTarget):
        return ground_truth if image is None else SegTarget(ground_truth.masks, image, ground_truth.instances)
    gt = ground_truth
    if isinstance(gt, str) and gt.strip().startswith("{"):
        ok, value, _ = load_structured(gt.strip())
        if ok and isinstance(value, Mapping):
            gt = value
    img = image
    size = image_size
    instances = False
    try:
        if isinstance(gt, Mapping) and not ("counts" in gt and "size" in gt):
            img = gt.get("image", img) if img is None else img
            size = gt.get("image_size", size)
            if size is None and "width" in gt and "height" in gt:
                size = (gt["width"], gt["height"])
            if "masks" in gt:
                instances = True
                raw = list(gt["masks"])
            else:
                key = next((k for k in ("mask", "rle", "segmentation") if k in gt), None)
                if key is None:
                    raise BadGroundTruth(f"Expected a mask under 'mask', 'rle', 'segmentation' or 'masks', got keys {sorted(gt)}")
                raw = [gt[key]]
        else:
            raw = [gt]
        if size is None and img is not None:
            h, w = image_hw(img)
            size = (w, h)
        masks = tuple(to_mask(r, image_size=size) for r in raw)
    except BadGroundTruth:
        raise
    except (ValueError, TypeError, OSError) as exc:
        raise BadGroundTruth(f"Unusable segmentation ground truth: {exc}") from exc
    if not masks:
        raise BadGroundTruth("Expected at least one ground-truth mask")
    if len({m.shape for m in masks}) != 1:
        raise BadGroundTruth("Expected instance masks of one size")
    return SegTarget(masks, img, instances)


def read_mask_answer(
    answer: str,
    hw: tuple[int, int],
    pred_frame: str = "pixel",
    invalid: InvalidPolygons = "repair",
) -> tuple[Mask | None, str | None]:
    """The mask of a structured answer (RLE, polygons, ``[]``) on an ``hw`` image, and a reason.

    The reason is a failure code when the mask is None, else a note such as a repair.

    RLE answers must have the ground truth's size (compared before decoding); polygon
    answers are bounded and validated with shapely first
    (:func:`rewardkit.parsing.polygons.validate_rings`): a valid answer is rasterized as
    written (pycocotools), a repaired or partly degenerate one from its validated
    geometry. Never raises on the answer.

    Args:
        answer: The answer text.
        hw: ``(height, width)`` of the ground truth.
        pred_frame: The coordinate frame of polygon answers (``"pixel"`` by default).
        invalid: What to do with invalid polygons (``"repair"`` by default; see
            :func:`rewardkit.parsing.polygons.validate_rings`).

    Returns:
        ``(mask, reason)``: the mask or None, and a failure code or a note or None.

    Example:
        >>> mask, reason = read_mask_answer("[[0, 0, 4, 0, 4, 4, 0, 4]]", (8, 8))
        >>> int(mask.data.sum()), reason
        (16, None)
    """
    ok, value, _ = load_structured(answer.strip())
    if not ok:
        return None, "unparseable"
    h, w = hw
    try:
        if isinstance(value, Mapping) and "counts" in value:
            return from_rle(value, expected_hw=(h, w)), None
        if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 0:
            return Mask.empty(h, w), None
        rings = polygon_rings(value)
        if rings is None:
            return None, "bad_mask"
        res = validate_rings(rings, image_size=(w, h), frame=pred_frame, invalid=invalid)
        if not res.ok:
            return None, res.reason
        if res.reason is None:  # valid as written: the pycocotools raster of the answer itself
            flat = [r.exterior.ravel() for r in rings if not r.holes]
            if len(flat) == len(rings):
                if pred_frame != "pixel":
                    flat = [convert_points(p.reshape(-1, 2), pred_frame, "pixel", image_size=(w, h)).ravel() for p in flat]
                return from_polygons(flat, (w, h)), None
        return geometry_mask(res.value, (w, h)), res.reason
    except MaskError as exc:
        return None, exc.reason
    except (ValueError, TypeError):
        return None, "bad_mask"
