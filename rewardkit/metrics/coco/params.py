"""COCO evaluation parameters: pycocotools' names, defaults and validation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from rewardkit.geometry.keypoints import COCO_SIGMAS

__all__ = ["CocoParams", "make_params", "validate_args", "params_from_dict", "IouType", "Backend", "COCO_KEYPOINT_SIGMAS", "DET_STAT_NAMES", "KPT_STAT_NAMES"]

IouType = Literal["bbox", "segm", "keypoints"]
Backend = Literal["native", "pycocotools", "faster_coco_eval"]

COCO_KEYPOINT_SIGMAS = COCO_SIGMAS
"""COCO-17 keypoint sigmas (one home: :data:`rewardkit.geometry.keypoints.COCO_SIGMAS`)."""

DET_STAT_NAMES = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl")
KPT_STAT_NAMES = ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")


def _linspace_thrs() -> tuple[np.ndarray, np.ndarray]:
    iou = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
    rec = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
    return iou, rec


@dataclass
class CocoParams:
    """Evaluation parameters, with pycocotools' names and defaults.

    ``imgIds`` / ``catIds`` empty mean "all images / categories of the ground truth".
    """

    iouType: str = "bbox"
    iouThrs: np.ndarray = field(default_factory=lambda: _linspace_thrs()[0])
    recThrs: np.ndarray = field(default_factory=lambda: _linspace_thrs()[1])
    maxDets: list[int] = field(default_factory=lambda: [1, 10, 100])
    areaRng: list[list[float]] = field(
        default_factory=lambda: [[0**2, 1e5**2], [0**2, 32**2], [32**2, 96**2], [96**2, 1e5**2]]
    )
    areaRngLbl: list[str] = field(default_factory=lambda: ["all", "small", "medium", "large"])
    imgIds: list[Any] = field(default_factory=list)
    catIds: list[Any] = field(default_factory=list)
    kpt_oks_sigmas: np.ndarray = field(default_factory=lambda: COCO_KEYPOINT_SIGMAS.copy())
    useCats: int = 1

    @classmethod
    def default(cls, iou_type: str) -> CocoParams:
        if iou_type in ("bbox", "segm"):
            return cls(iouType=iou_type)
        if iou_type == "keypoints":
            return cls(
                iouType=iou_type,
                maxDets=[20],
                areaRng=[[0**2, 1e5**2], [32**2, 96**2], [96**2, 1e5**2]],
                areaRngLbl=["all", "medium", "large"],
            )
        raise ValueError(f"Expected `iou_type` in ('bbox', 'segm', 'keypoints'), but got {iou_type!r}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "iouType": self.iouType,
            "iouThrs": [float(t) for t in self.iouThrs],
            "recThrs": [float(r) for r in self.recThrs],
            "maxDets": [int(m) for m in self.maxDets],
            "areaRng": [[float(a), float(b)] for a, b in self.areaRng],
            "areaRngLbl": list(self.areaRngLbl),
            "imgIds": list(self.imgIds),
            "catIds": list(self.catIds),
            "useCats": self.useCats,
        }


_PARAM_ALIASES = {
    "iou_thrs": "iouThrs",
    "rec_thrs": "recThrs",
    "max_dets": "maxDets",
    "area_rng": "areaRng",
    "area_rng_lbl": "areaRngLbl",
    "img_ids": "imgIds",
    "cat_ids": "catIds",
    "kpt_oks_sigmas": "kpt_oks_sigmas",
    "use_cats": "useCats",
}


def _given(overrides: Mapping[str, Any], name: str) -> bool:
    return any(_PARAM_ALIASES.get(k, k) == name and v is not None for k, v in overrides.items())


def make_params(iou_type: str, overrides: Mapping[str, Any]) -> CocoParams:
    p = CocoParams.default(iou_type)
    for key, value in overrides.items():
        name = _PARAM_ALIASES.get(key, key)
        if name not in p.__dataclass_fields__ or name == "iouType":
            raise TypeError(
                f"Unknown COCO parameter {key!r}; expected one of "
                f"{sorted(set(p.__dataclass_fields__) - {'iouType'})}"
            )
        if value is None:
            continue
        if name in ("iouThrs", "recThrs", "kpt_oks_sigmas"):
            value = np.asarray(value, dtype=np.float64)
        elif name in ("maxDets", "imgIds", "catIds"):
            value = list(value)
        elif name == "areaRng":
            value = [list(a) for a in value]
            if len(value) and any(len(a) != 2 for a in value):
                raise ValueError("Expected `areaRng` as a list of [lo, hi] pairs")
        elif name == "areaRngLbl":
            value = list(value)
        setattr(p, name, value)
    if p.useCats not in (0, 1):
        raise ValueError(f"Expected `useCats` 0 or 1, but got {p.useCats!r}")
    if p.useCats == 0 and iou_type == "keypoints":
        raise NotImplementedError(
            "useCats=0 with keypoints is not supported (pycocotools' computeOks then finds no pair at all)"
        )
    if _given(overrides, "areaRng") and not _given(overrides, "areaRngLbl") and len(p.areaRng) != len(p.areaRngLbl):
        # pycocotools keeps its default labels, which name the first ranges in order
        # (extra ranges are computed but not summarized); missing ones summarize to -1
        n = len(p.areaRng)
        p.areaRngLbl = list(p.areaRngLbl[:n]) + [f"area{i}" for i in range(len(p.areaRngLbl), n)]
    if len(p.areaRng) != len(p.areaRngLbl):
        raise ValueError(
            f"Expected one label per area range, but got {len(p.areaRng)} ranges and "
            f"{len(p.areaRngLbl)} labels"
        )
    if len(p.maxDets) == 0:
        raise ValueError("Expected at least one value in `maxDets`")
    if np.any((p.iouThrs < 0) | (p.iouThrs > 1)):
        raise ValueError(f"Expected IoU thresholds in [0, 1], but got {p.iouThrs}")
    return p


BACKENDS = ("native", "pycocotools", "faster_coco_eval")


def validate_args(iou_type: Any, compat: Any, backend: Any) -> None:
    """The one validation of ``coco_evaluate`` and ``CocoEvaluator`` arguments.

    Args:
        iou_type: ``"bbox"``, ``"segm"`` or ``"keypoints"``.
        compat: ``None`` or ``"pycocotools"``.
        backend: one of ``"native"``, ``"pycocotools"``, ``"faster_coco_eval"``.

    Raises:
        ValueError: an argument outside its accepted values.
    """
    if iou_type not in ("bbox", "segm", "keypoints"):
        raise ValueError(f"Expected `iou_type` in ('bbox', 'segm', 'keypoints'), but got {iou_type!r}")
    if compat not in (None, "pycocotools"):
        raise ValueError(f"Expected `compat` None or 'pycocotools', but got {compat!r}")
    if backend not in BACKENDS:
        raise ValueError(f"Expected `backend` in {BACKENDS}, but got {backend!r}")


def params_to_dict(p: CocoParams) -> dict[str, Any]:
    """Every parameter as plain Python values (``as_dict`` plus the OKS sigmas).

    The form kept in a metric's state configuration.

    Args:
        p: the parameters.

    Returns:
        The ``as_dict`` values without ``iouType``, plus ``kpt_oks_sigmas`` as floats.
    """
    out = p.as_dict()
    out.pop("iouType")
    out["kpt_oks_sigmas"] = [float(v) for v in p.kpt_oks_sigmas]
    return out


def params_from_dict(d: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments of ``make_params`` from :func:`params_to_dict`'s output.

    Args:
        d: a :func:`params_to_dict` output.

    Returns:
        Its items, less any ``iouType``.
    """
    return {k: v for k, v in d.items() if k != "iouType"}
