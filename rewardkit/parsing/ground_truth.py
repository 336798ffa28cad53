"""Ground truth readers: the many shapes datasets store a sample's answer in.

Accepted for boxes: a :class:`~rewardkit.types.Boxes`; one box ``[x1, y1, x2, y2]``;
a list of boxes; a list of dicts (``Position`` / ``bbox_2d`` / ``bbox`` keys, optional
labels); a dict ``{"boxes": ..., "labels": ..., "image_size": (w, h)}``; the solution
string of the Visual-RFT datasets (``<answer>[{'Position': [...], 'Confidence': 1}]</answer>``)
or a JSON string of any of the above. An empty list means "no object in the image".

Ground truth is the caller's data, not model output: when it cannot be read these
functions raise :class:`~rewardkit.errors.BadGroundTruth` (a ``ValueError``), which the
rewards turn into ``score=None`` ("does not apply to this sample"). A box with inverted
corners (``x2 < x1`` or ``y2 < y1``) is bad ground truth (it is never silently
reordered: a dataset that stores ``xywh`` as ``xyxy`` would otherwise train on wrong
boxes), and so is a box outside the image when the frame's extent is known
(:func:`check_box_extent`, more than 1% of the image beyond an edge).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rewardkit.errors import BadGroundTruth
from rewardkit.parsing._structured import load_structured
from rewardkit.parsing.boxes import boxes_from_items, is_negative_answer
from rewardkit.parsing.tags import extract_answer
from rewardkit.types import Boxes, ImageSize, as_image_size

if TYPE_CHECKING:
    from rewardkit.parsing.frames import Frame

__all__ = ["BoxTarget", "read_box_target", "target_xywh_rows", "as_boxes_gt", "read_text_target", "check_box_extent", "GT_EXTENT_TOLERANCE"]

GT_EXTENT_TOLERANCE = 0.01
"""A ground-truth box may pass an image edge by this fraction of the image (rounding of
pixel annotations) before it counts as outside the image."""


@dataclass(frozen=True, eq=False)
class BoxTarget:
    """Parsed box ground truth of one sample (parse it once per prompt)."""

    boxes: Boxes
    image_size: ImageSize | None = None
    frame: Frame | None = None
    checked: Any = None
    """The reading key (ground-truth frame, pixel bounds) its extent was checked under."""


def target_xywh_rows(target: BoxTarget) -> list[list[float]]:
    """The target's boxes as Python rows ``[x, y, w, h]`` (``w = x2 - x1``: the plain-Python
    IoU kernels' layout), computed once per target (a target is frozen, its arrays
    read-only) and kept on it.
    """
    rows = target.__dict__.get("_xywh_rows")
    if rows is None:
        rows = [[a, b, c - a, d - b] for a, b, c, d in target.boxes.xyxy.tolist()]
        object.__setattr__(target, "_xywh_rows", rows)
    return rows


def _from_structure(value: Any) -> Boxes:
    if isinstance(value, Boxes):
        return value
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 0:
        return Boxes.empty()
    coords, scores, labels, invalid = boxes_from_items(value)
    if invalid or not coords:
        raise BadGroundTruth(f"Expected ground-truth boxes (lists of 4 numbers or dicts with a box key), but got {str(value)[:120]!r}")
    arr = np.asarray(coords, dtype=np.float64).reshape(-1, 4)
    if not np.all(np.isfinite(arr)):
        raise BadGroundTruth("Expected finite ground-truth coordinates, but got NaN or inf")
    bad = [i for i, (x1, y1, x2, y2) in enumerate(coords) if x2 < x1 or y2 < y1]
    if bad:
        i = bad[0]
        raise BadGroundTruth(
            f"Expected ground-truth boxes [x1, y1, x2, y2] with x1 <= x2 and y1 <= y2, but box {i} is "
            f"{_fmt_box(arr[i])} (inverted corners; {len(bad)} of {len(arr)} boxes)"
        )
    has_labels = any(lab is not None for lab in labels)
    return Boxes(arr, None, tuple(labels) if has_labels else None)


def _fmt_box(row: Any) -> str:
    return "[" + ", ".join(f"{float(v):g}" for v in row) + "]"


def check_box_extent(target: BoxTarget, frame: Frame, resize_kw: Any = None) -> None:
    """Raise :class:`BadGroundTruth` when a box of ``target`` lies outside the image in
    ``frame`` (the target's own ``frame`` wins) by more than :data:`GT_EXTENT_TOLERANCE`
    of the image. Without an image size in a pixel frame only the lower bound (0) is
    checked.
    """
    boxes = target.boxes.xyxy
    if boxes.shape[0] == 0:
        return
    from rewardkit.parsing.frames import frame_extent

    frame = target.frame or frame
    w: float | None
    h: float | None
    try:
        w, h = frame_extent(frame, target.image_size, **dict(resize_kw or {}))
    except ValueError:
        w = h = None  # extent unknown (pixel frame without image size)
    tol_w = GT_EXTENT_TOLERANCE * (w if w is not None else 0.0)
    tol_h = GT_EXTENT_TOLERANCE * (h if h is not None else 0.0)
    x_hi = w + tol_w if w is not None else math.inf
    y_hi = h + tol_h if h is not None else math.inf
    # plain Python: cheaper than numpy for the usual handful of boxes (once per prompt)
    bad = [i for i, (x1, y1, x2, y2) in enumerate(boxes.tolist())
           if x1 < -tol_w or y1 < -tol_h or x2 > x_hi or y2 > y_hi]
    if bad:
        i = bad[0]
        extent = f"{w:g} x {h:g}" if w is not None else "unknown width and height"
        raise BadGroundTruth(
            f"Expected ground-truth boxes inside the image ({frame}, {extent}), but box {i} is "
            f"{_fmt_box(boxes[i])} ({len(bad)} of {len(boxes)} boxes outside)"
        )


def _from_string(text: str) -> Any:
    answer = extract_answer(text) if "<answer" in text.lower() else text
    if answer is None:
        raise BadGroundTruth(f"Expected a ground-truth answer, but got {text[:120]!r}")
    if is_negative_answer(answer):
        return []
    try:
        return json.loads(answer)
    except RecursionError:
        raise BadGroundTruth("Ground-truth JSON nested too deeply") from None
    except ValueError:
        ok, value, _ = load_structured(answer)
        if not ok:
            raise BadGroundTruth(f"Could not read ground-truth boxes from {answer[:120]!r}") from None
        return value


def read_box_target(ground_truth: Any, *, image_size: Any = None, reading: Any = None) -> BoxTarget:
    """Read box ground truth; ``image_size`` overrides one stored in the ground truth.

    With a :class:`~rewardkit.parsing.reading.Reading`, its ``image_size`` is used when
    ``image_size`` is not given, and the boxes are checked to lie inside the image in
    its ``gt_frame`` (:func:`check_box_extent`).
    """
    if reading is not None and image_size is None:
        image_size = reading.image_size
    target = _read_box_target(ground_truth, image_size)
    if reading is not None:
        key = (reading.gt_frame, reading.min_pixels, reading.max_pixels)
        if target.checked != key:  # a prepared target is checked once per prompt
            check_box_extent(target, reading.gt_frame, reading.resize_kw)
            target = BoxTarget(target.boxes, target.image_size, target.frame, key)
    return target


def _read_box_target(ground_truth: Any, image_size: Any) -> BoxTarget:
    if isinstance(ground_truth, BoxTarget):
        if image_size is not None and ground_truth.image_size is None:
            return BoxTarget(ground_truth.boxes, as_image_size(image_size), ground_truth.frame)  # unchecked
        return ground_truth
    value = ground_truth
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        value = _from_string(value)
    size = None
    frame = None
    if isinstance(value, Mapping) and any(k in value for k in ("boxes", "bboxes", "bbox", "box", "solution")):
        raw_size = value.get("image_size")
        if raw_size is not None:
            try:
                size = as_image_size(raw_size)
            except ValueError as exc:
                raise BadGroundTruth(str(exc)) from None
        frame = value.get("frame")
        boxes_value = next(value[k] for k in ("boxes", "bboxes", "bbox", "box", "solution") if k in value)
        if isinstance(boxes_value, str):
            boxes_value = _from_string(boxes_value)
        boxes = _from_structure(boxes_value)
        labels = value.get("labels")
        if labels is not None:
            if isinstance(labels, str):
                labels = [labels]
            labels = list(labels)
            if len(labels) != len(boxes):
                raise BadGroundTruth(f"Expected {len(boxes)} ground-truth labels, but got {len(labels)}")
            boxes = Boxes(boxes.xyxy, boxes.scores, tuple(labels))
    else:
        boxes = _from_structure(value)
    if image_size is not None:
        size = as_image_size(image_size)
    return BoxTarget(boxes, size, frame)


def as_boxes_gt(ground_truth: Any) -> Boxes:
    """Ground-truth boxes of a sample in any accepted form (see the module docstring)."""
    return read_box_target(ground_truth).boxes


def read_text_target(ground_truth: Any) -> str:
    """A textual ground truth (class name, count): plain string, ``<answer>`` solution
    string, a dict with ``answer``/``label``/``solution``, or a one-element list.
    """
    value = ground_truth
    if isinstance(value, Mapping):
        for k in ("answer", "label", "class", "solution", "count", "ground_truth"):
            if k in value:
                value = value[k]
                break
        else:
            raise BadGroundTruth(f"Expected a dict with an 'answer' or 'label' key, but got keys {sorted(value)[:10]}")
    if isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or value is None:
        raise BadGroundTruth(f"Expected a textual ground truth, but got {value!r}")
    if isinstance(value, int | float | np.integer | np.floating):
        return str(int(value)) if float(value) == int(value) else str(value)
    if not isinstance(value, str):
        raise BadGroundTruth(f"Expected a textual ground truth, but got {type(value).__name__}")
    if "<answer" in value.lower():
        inner = extract_answer(value)
        value = inner if inner is not None else value
    value = value.strip()
    if not value:
        raise BadGroundTruth("Expected a non-empty ground truth, but got an empty string")
    return value
