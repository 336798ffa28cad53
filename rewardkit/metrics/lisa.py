"""Reasoning-segmentation metrics gIoU and cIoU (LISA), with the Seg-R1 / Visual-RFT variants.

For each sample, ``I`` and ``U`` are the foreground intersection and union pixel counts
(ignored pixels excluded from both):

* per-sample IoU ``= I / (U + 1e-5)``, plus ``empty_score`` where ``U == 0`` (LISA adds
  1.0: an empty prediction on an empty target scores 1);
* ``gIoU`` = mean of the per-sample IoU; ``cIoU = sum(I) / (sum(U) + 1e-10)``.

Modes (``Literal["lisa", "seg_r1", "visual_rft"]``):

* ``"lisa"`` (default, LISA's ``validate``): empty-on-empty scores 1; pixels with the
  ignore label (255 in a label map, or an explicit ``ignore`` mask, or shapes labelled
  "ignore" in LISA's JSON) are excluded; every polygon of the ground truth is rasterized.
* ``"seg_r1"`` and ``"visual_rft"`` (their released evaluators): empty-on-empty scores 0,
  only the first polygon of a ground truth given as several polygons is used, and no
  ignore region exists (they never build one).

Ground truth per sample: anything :func:`rewardkit.parsing.masks.to_mask` reads (bool
array, 0/255 PNG path, RLE, polygons with ``image_sizes``), a dict ``{"mask": ...,
"ignore": ...}``, a label map (integer array of 0 / 1 / ``ignore_label``, with
``gt_format="label_map"``), or LISA's annotation JSON ``{"shapes": [{"label", "points"}]}``
(shapes drawn largest first, "flag" shapes skipped; rasterized with pycocotools, which
can differ from LISA's OpenCV ``fillPoly`` on boundary pixels: pass rasterized masks for
exact LISA numbers). Predictions: anything ``to_mask`` reads.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from rewardkit.metrics._state import MISSING, MergeableMetric, exact_mean, update_args
from rewardkit.parsing.masks import from_polygons, load_mask_image, to_mask
from rewardkit.types import Mask

__all__ = ["lisa_evaluate", "LISAMetrics", "LisaMode", "read_lisa_gt"]

LisaMode = Literal["lisa", "seg_r1", "visual_rft"]
_MODES = ("lisa", "seg_r1", "visual_rft")
SAMPLE_EPS = 1e-5
CIOU_EPS = 1e-10


def _check_mode(mode: Any) -> None:
    if mode not in _MODES:
        raise ValueError(f"Expected mode one of {_MODES}, but got {mode!r}")


def _is_polygon_list(v: Any) -> bool:
    return (
        isinstance(v, Sequence)
        and not isinstance(v, str | bytes)
        and len(v) > 0
        and isinstance(v[0], Sequence | np.ndarray)
        and not isinstance(v[0], str | bytes)
        and len(v[0]) > 0
        and np.isscalar(v[0][0])
    )


def _shape_area(points: Any, size: tuple[int, int]) -> int:
    return from_polygons([np.asarray(points, dtype=np.float64).ravel()], size).area


def read_lisa_gt(
    gt: Any,
    *,
    mode: LisaMode = "lisa",
    image_size: Any = None,
    gt_format: Literal["mask", "label_map"] = "mask",
    ignore_label: int = 255,
) -> tuple[np.ndarray, np.ndarray | None]:
    """One ground truth as ``(foreground bool HxW, ignore bool HxW or None)`` for ``mode``.

    Args:
        gt: one ground truth in any form of the module docstring.
        mode: ``"lisa"`` (default), ``"seg_r1"`` or ``"visual_rft"`` (see the module
            docstring).
        image_size: ``(width, height)`` for polygons and RLE without a size.
        gt_format: ``"mask"`` or ``"label_map"`` (an integer array of 0 / 1 /
            ``ignore_label``).
        ignore_label: the label of ignored pixels in a label map.

    Returns:
        ``(foreground, ignore)``: bool arrays; ``ignore`` is None when nothing is
        ignored (always in the ``seg_r1`` / ``visual_rft`` modes).

    Raises:
        ValueError: an unknown ``mode``.
    """
    _check_mode(mode)
    use_ignore = mode == "lisa"
    if isinstance(gt, Mapping) and "shapes" in gt:
        size = image_size
        if size is None and "imageWidth" in gt and "imageHeight" in gt:
            size = (gt["imageWidth"], gt["imageHeight"])
        if size is None:
            raise ValueError("LISA JSON ground truth needs `image_size` (width, height)")
        shapes = [s for s in gt["shapes"] if str(s.get("label", "")).lower() != "flag"]
        if mode != "lisa":
            shapes = [s for s in shapes if "ignore" not in str(s.get("label", "")).lower()][:1]
        w, h = int(size[0]), int(size[1])
        labels = np.zeros((h, w), dtype=np.uint8)
        order = sorted(range(len(shapes)), key=lambda i: -_shape_area(shapes[i]["points"], (w, h)))
        for i in order:
            val = 255 if "ignore" in str(shapes[i].get("label", "")).lower() else 1
            region = from_polygons([np.asarray(shapes[i]["points"], dtype=np.float64).ravel()], (w, h)).data
            labels[region] = val
        return labels == 1, (labels == 255) if use_ignore else None
    if isinstance(gt, Mapping) and "mask" in gt:
        fg, _ = read_lisa_gt(gt["mask"], mode=mode, image_size=image_size, gt_format=gt_format, ignore_label=ignore_label)
        ign = gt.get("ignore")
        ignore = to_mask(ign, image_size=(fg.shape[1], fg.shape[0])).data if (ign is not None and use_ignore) else None
        return fg, ignore
    if gt_format == "label_map":
        arr = load_mask_image(gt) if isinstance(gt, str) or hasattr(gt, "__fspath__") else np.asarray(gt)
        if arr.ndim != 2 or arr.dtype.kind not in "iub":
            raise ValueError(f"Expected an integer label map H x W, but got {arr.dtype} {arr.shape}")
        ok = np.isin(arr, (0, 1, ignore_label))
        if not ok.all():
            raise ValueError(f"Expected label-map values in {{0, 1, {ignore_label}}}, but got {np.unique(arr[~ok])[:5]}")
        return arr == 1, (arr == ignore_label) if use_ignore else None
    if gt_format != "mask":
        raise ValueError(f"Expected gt_format 'mask' or 'label_map', but got {gt_format!r}")
    if isinstance(gt, Mapping) and "segmentation" in gt and _is_polygon_list(gt["segmentation"]) and mode != "lisa":
        gt = {**gt, "segmentation": list(gt["segmentation"])[:1]}
    elif _is_polygon_list(gt) and mode != "lisa" and image_size is not None:
        gt = list(gt)[:1]
    return to_mask(gt, image_size=image_size).data, None


def _intersection_union(pred: np.ndarray, gt: np.ndarray, ignore: np.ndarray | None) -> tuple[int, int]:
    if pred.shape != gt.shape:
        raise ValueError(f"Expected the prediction to have the ground-truth size {gt.shape}, but got {pred.shape}")
    if ignore is not None and ignore.any():
        keep = ~ignore
        pred = pred & keep
        gt = gt & keep
    inter = int(np.count_nonzero(pred & gt))
    union = int(np.count_nonzero(pred)) + int(np.count_nonzero(gt)) - inter
    return inter, union


class LISAMetrics(MergeableMetric):
    """Streaming gIoU / cIoU: ``update(preds, target)`` per sample, ``compute()``.

    ``state_dict()`` / ``merge()`` combine shards: per-sample IoUs are concatenated,
    intersections and unions are integers, and gIoU is a correctly rounded mean, so any
    split merges to ``==`` the one-pass numbers.

    Args:
        mode: ``"lisa"`` (default), ``"seg_r1"`` or ``"visual_rft"`` (see the module
            docstring).
        empty_score: added to the IoU of a sample whose union is empty (default: 1.0 in
            ``"lisa"`` mode, else 0.0).
        gt_format: ``"mask"`` or ``"label_map"`` (an integer array of 0 / 1 /
            ``ignore_label``).
        ignore_label: the label of ignored pixels in a label map.

    Raises:
        ValueError: an unknown ``mode`` or ``gt_format``.

    Example:
        >>> import numpy as np
        >>> gt = np.zeros((4, 4), bool); gt[:2] = True
        >>> m = LISAMetrics()
        >>> round(m.update(gt, gt), 4), round(m.update(~gt, gt), 4)
        (1.0, 0.0)
        >>> round(m.compute()["cIoU"], 4)  # 8 / (8 + 16)
        0.3333
    """

    _KIND = "lisa"

    def __init__(
        self,
        mode: LisaMode = "lisa",
        *,
        empty_score: float | None = None,
        gt_format: Literal["mask", "label_map"] = "mask",
        ignore_label: int = 255,
    ) -> None:
        _validate_args(mode, gt_format)
        self.mode = mode
        self.empty_score = (1.0 if mode == "lisa" else 0.0) if empty_score is None else float(empty_score)
        self.gt_format = gt_format
        self.ignore_label = ignore_label
        self.reset()

    def reset(self) -> None:
        self.intersections: list[int] = []
        self.unions: list[int] = []
        self.ious: list[float] = []

    def __len__(self) -> int:
        return len(self.ious)

    def update(self, preds: Any = MISSING, target: Any = MISSING, *, image_size: Any = None, **deprecated: Any) -> float:
        """Add one sample and return its IoU.

        The first release took ``update(gt, pred)``: ``gt=`` / ``pred=`` still work with a
        ``DeprecationWarning``, and so does the old positional order when the ground truth
        is one of LISA's annotation dicts (``{"shapes": ...}`` or ``{"mask": ...}``),
        which no prediction can be.

        Args:
            preds: the predicted mask (anything ``to_mask`` reads).
            target: its ground truth (any form of the module docstring).
            image_size: ``(width, height)`` for polygons and RLE without a size.
            **deprecated: ``gt=`` / ``pred=`` of the first release.

        Returns:
            The sample's IoU (plus ``empty_score`` when its union is empty).
        """
        preds, target = update_args("LISAMetrics.update", preds, target, deprecated, ("pred", "gt"))
        if _is_gt_record(preds) and not _is_gt_record(target):
            warnings.warn(
                "LISAMetrics.update(gt, pred) is deprecated: the order is update(preds, target)",
                DeprecationWarning, stacklevel=2,
            )  # fmt: skip
            preds, target = target, preds
        fg, ignore = read_lisa_gt(target, mode=self.mode, image_size=image_size, gt_format=self.gt_format, ignore_label=self.ignore_label)
        size = (fg.shape[1], fg.shape[0])
        p = preds.data if isinstance(preds, Mask) else to_mask(preds, image_size=size).data
        inter, union = _intersection_union(p, fg, ignore)
        iou = inter / (union + SAMPLE_EPS)
        if union == 0:
            iou += self.empty_score
        self.intersections.append(inter)
        self.unions.append(union)
        self.ious.append(float(iou))
        return float(iou)

    def compute(self) -> dict[str, float]:
        """gIoU and cIoU of the samples added so far.

        Returns:
            ``{"gIoU": ..., "cIoU": ...}``.

        Raises:
            ValueError: no sample was added.
        """
        if not self.ious:
            raise ValueError("Expected at least one sample before compute()")
        return {
            "gIoU": exact_mean(self.ious),
            "cIoU": float(sum(self.intersections) / (sum(self.unions) + CIOU_EPS)),
        }

    # -- mergeable state ---------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        return {"mode": self.mode, "empty_score": self.empty_score, "gt_format": self.gt_format, "ignore_label": int(self.ignore_label)}

    def _get_state(self) -> dict[str, Any]:
        return {"intersections": list(self.intersections), "unions": list(self.unions), "ious": list(self.ious)}

    def _merge_state(self, state: Any) -> None:
        if not len(state["intersections"]) == len(state["unions"]) == len(state["ious"]):
            raise ValueError("Expected a LISAMetrics state with as many unions and IoUs as intersections")
        self.intersections.extend(int(v) for v in state["intersections"])
        self.unions.extend(int(v) for v in state["unions"])
        self.ious.extend(float(v) for v in state["ious"])

    def _empty_like(self) -> LISAMetrics:
        return LISAMetrics(**self._config())


def _is_gt_record(value: Any) -> bool:
    return isinstance(value, Mapping) and ("shapes" in value or "mask" in value)


def _validate_args(mode: Any, gt_format: Any) -> None:
    """The one validation of :class:`LISAMetrics` and :func:`lisa_evaluate` arguments."""
    _check_mode(mode)
    if gt_format not in ("mask", "label_map"):
        raise ValueError(f"Expected gt_format 'mask' or 'label_map', but got {gt_format!r}")


def lisa_evaluate(
    gt_masks: Sequence[Any],
    pred_masks: Sequence[Any],
    mode: LisaMode = "lisa",
    *,
    image_sizes: Sequence[Any] | None = None,
    empty_score: float | None = None,
    gt_format: Literal["mask", "label_map"] = "mask",
    ignore_label: int = 255,
    return_per_sample: bool = False,
) -> dict[str, Any]:
    """gIoU and cIoU over a dataset (see the module doc for the modes).

    Args:
        gt_masks: one ground truth per sample (any form of the module docstring).
        pred_masks: one predicted mask per sample (anything ``to_mask`` reads).
        mode: ``"lisa"`` (default), ``"seg_r1"`` or ``"visual_rft"`` (see the module
            docstring).
        empty_score: added to the IoU of a sample whose union is empty (default: 1.0 in
            ``"lisa"`` mode, else 0.0).
        gt_format: ``"mask"`` or ``"label_map"`` (an integer array of 0 / 1 /
            ``ignore_label``).
        ignore_label: the label of ignored pixels in a label map.
        image_sizes: ``(width, height)`` per sample, for polygons and RLE without a
            size.
        return_per_sample: add ``per_sample`` (the per-sample IoUs) to the result.

    Returns:
        ``{"gIoU": ..., "cIoU": ...}`` (and ``per_sample``).

    Raises:
        ValueError: an unknown ``mode`` or ``gt_format``, or a number of predictions
            (or image sizes) that differs from the number of ground truths.

    Example:
        >>> import numpy as np
        >>> gt = np.zeros((4, 4), bool); gt[:2] = True
        >>> empty = np.zeros((4, 4), bool)
        >>> lisa_evaluate([gt, empty], [gt, empty])["gIoU"] > 0.99
        True
        >>> lisa_evaluate([gt, empty], [gt, empty], mode="seg_r1")["gIoU"] < 0.51
        True
    """
    _validate_args(mode, gt_format)
    gts, preds = list(gt_masks), list(pred_masks)
    if len(gts) != len(preds):
        raise ValueError(f"Expected as many predictions as ground truths, but got {len(preds)} and {len(gts)}")
    if image_sizes is not None and len(image_sizes) != len(gts):
        raise ValueError(f"Expected {len(gts)} image sizes, but got {len(image_sizes)}")
    metric = LISAMetrics(mode, empty_score=empty_score, gt_format=gt_format, ignore_label=ignore_label)
    for i, (g, p) in enumerate(zip(gts, preds)):
        metric.update(p, g, image_size=None if image_sizes is None else image_sizes[i])
    out: dict[str, Any] = metric.compute()
    if return_per_sample:
        out["per_sample"] = list(metric.ious)
    return out
