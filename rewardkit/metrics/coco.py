"""COCO detection metrics (bbox, segm, keypoints), identical to pycocotools' ``COCOeval``.

``coco_evaluate(gt, results, iou_type="bbox")`` computes the numbers of
``COCOeval.evaluate(); accumulate(); summarize()`` (Lin et al., "Microsoft COCO: Common
Objects in Context", ECCV 2014; the evaluation protocol of pycocotools 2.0):

- detections are stable-sorted (mergesort) by ``-score``; per image and category at most
  ``maxDets[-1]`` are kept; ties in score are broken by image order, then by results-file
  order (this matters when every box carries the same constant score);
- a detection matches the best still-unmatched ground truth with IoU >= ``t`` (capped at
  ``1 - 1e-10``), regular ground truths before ignored ones (crowd, or outside the area
  range); a crowd ground truth absorbs any number of detections (its IoU divides by the
  detection's area); unmatched detections outside the area range are ignored;
- ``precision = tp / (fp + tp + np.spacing(1))`` made monotone from the right and sampled
  at the 101 recall thresholds with ``searchsorted(rc, recThrs, "left")``; stats are means
  over entries > -1.

The native engine (``backend="native"``, the default) is numpy only: the matching is
vectorized over images, categories, area ranges and thresholds (see
:mod:`rewardkit.metrics._coco_engine`). Its ``stats``, ``precision``, ``recall`` and
``scores`` are bit-identical to pycocotools (tested on the public fixtures and on seeded
random sets with crowds, ties, empty images, zero-area boxes, custom area ranges and
``maxDets``). ``backend="pycocotools"`` or ``"faster_coco_eval"`` runs the reference.

Differences from pycocotools are opt-in through ``compat="pycocotools"``:

- ``stats[0]`` (AP) is read at ``maxDets=100`` by pycocotools even when ``maxDets`` is
  custom (and at 20 for keypoints); by default rewardkit reads it at ``maxDets[-1]``;
- pycocotools raises on an empty result list; by default rewardkit returns zeros (every
  category with ground truth has precision and recall 0).

>>> gt = {"images": [{"id": 1, "width": 100, "height": 100}],
...       "categories": [{"id": 1, "name": "cat"}],
...       "annotations": [{"id": 1, "image_id": 1, "category_id": 1,
...                        "bbox": [10, 10, 50, 50], "area": 2500, "iscrowd": 0}]}
>>> res = [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "score": 0.9}]
>>> round(coco_evaluate(gt, res)["AP"], 3)
1.0
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from rewardkit.metrics import _coco_engine as _eng

__all__ = [
    "coco_evaluate",
    "CocoEvaluator",
    "CocoParams",
    "COCO_KEYPOINT_SIGMAS",
    "DET_STAT_NAMES",
    "KPT_STAT_NAMES",
    "per_category_table",
    "category_subset_ap",
    "resolve_category_ids",
]

IouType = Literal["bbox", "segm", "keypoints"]
Backend = Literal["native", "pycocotools", "faster_coco_eval"]

COCO_KEYPOINT_SIGMAS = (
    np.array(
        [0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89]
    )
    / 10.0
)

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


def _make_params(iou_type: str, overrides: Mapping[str, Any]) -> CocoParams:
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
    if "areaRng" in overrides and "areaRngLbl" not in overrides and len(p.areaRng) != len(p.areaRngLbl):
        p.areaRngLbl = [f"area{i}" for i in range(len(p.areaRng))]
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


# ----------------------------------------------------------------------------- loading


def _load_gt(gt: Any) -> dict:
    if isinstance(gt, (str, os.PathLike)):
        with open(gt) as f:
            return json.load(f)
    if isinstance(gt, Mapping):
        return dict(gt)
    dataset = getattr(gt, "dataset", None)  # a pycocotools / lvis COCO object
    if isinstance(dataset, Mapping):
        return dict(dataset)
    raise TypeError(f"Expected a COCO annotation dict, a path or a COCO object, but got {type(gt).__name__}")


def _load_results(results: Any) -> list:
    if results is None:
        return []
    if isinstance(results, (str, os.PathLike)):
        with open(results) as f:
            results = json.load(f)
    if isinstance(results, Mapping) and "annotations" in results:
        results = results["annotations"]
    if not isinstance(results, (list, tuple)):
        raise TypeError(f"Expected a COCO results list or a path, but got {type(results).__name__}")
    return list(results)


def _results_to_rles(dets: Any, img_by_id: Any) -> list[Any]:
    """RLE of each detection result: its ``segmentation``, else its box as a polygon
    (what ``loadRes`` does for segm results given as boxes)."""
    out = []
    for d in dets:
        img = img_by_id[d["image_id"]]
        if "segmentation" in d:
            segm = d["segmentation"]
        else:
            x, y, w, h = d["bbox"]
            segm = [[x, y, x, y + h, x + w, y + h, x + w, y]]
        out.append(_ann_to_rle(segm, img["height"], img["width"]))
    return out


def _ann_to_rle(segm: Any, h: int, w: int) -> Any:
    """pycocotools ``annToRLE``: polygons and uncompressed RLE to compressed RLE."""
    if isinstance(segm, dict) and not isinstance(segm.get("counts"), list):
        return segm
    from pycocotools import mask as mask_utils

    if isinstance(segm, list):
        return mask_utils.merge(mask_utils.frPyObjects(segm, h, w))
    if isinstance(segm["counts"], list):
        return mask_utils.frPyObjects(segm, h, w)
    return segm


def _segm_rles(anns: list, img_by_id: Mapping[Any, Any]) -> list:
    """``annToRLE`` for a list of annotations; compressed RLEs pass through untouched."""
    out = []
    for a in anns:
        segm = a["segmentation"]
        if type(segm) is dict and type(segm.get("counts")) is not list:
            out.append(segm)
        else:
            img = img_by_id[a["image_id"]]
            out.append(_ann_to_rle(segm, img["height"], img["width"]))
    return out


def _chunked(fn: Callable, rles: list, size: int = 200) -> np.ndarray:
    """Apply a pycocotools RLE function in chunks (its list path overflows a uint8 at 256)."""
    if not rles:
        return np.zeros(0)
    return np.concatenate([np.atleast_1d(np.asarray(fn(rles[i : i + size]))) for i in range(0, len(rles), size)])


@dataclass
class _Prepared:
    """Arrays of the ground truths and detections that take part in the evaluation."""

    iou_type: str
    img_ids: list
    cat_ids: list
    cat_names: list
    # ground truth (file order)
    gt_img: np.ndarray
    gt_cat: np.ndarray
    gt_area: np.ndarray
    gt_crowd: np.ndarray
    gt_ignore: np.ndarray
    gt_id_nonzero: np.ndarray
    gt_geom: Any
    # detections (results-file order)
    dt_img: np.ndarray
    dt_cat: np.ndarray
    dt_score: np.ndarray
    dt_area: np.ndarray
    dt_geom: Any
    dt_extra_ignore: np.ndarray | None = None
    gt_bbox: np.ndarray | None = None  # keypoints need the gt box


def _index_of(values: Any, table: list) -> np.ndarray:
    """Position of each value in ``table`` (-1 when absent); integer ids take a numpy path."""
    vals = values.tolist() if isinstance(values, np.ndarray) else list(values)
    if not vals:
        return np.zeros(0, dtype=np.int64)
    arr = np.asarray(vals)
    tab = np.asarray(table)
    if arr.dtype.kind in "iu" and tab.dtype.kind in "iu" and tab.ndim == 1 and arr.ndim == 1 and tab.size:
        order = np.argsort(tab, kind="stable")
        st = tab[order]
        pos = np.minimum(np.searchsorted(st, arr), st.size - 1)
        return np.where(st[pos] == arr, order[pos], -1).astype(np.int64)
    lookup = {v: i for i, v in enumerate(table)}
    return np.fromiter((lookup.get(v, -1) for v in vals), dtype=np.int64, count=len(vals))


def _boxes_array(boxes: list) -> np.ndarray:
    """``N x 4`` float64 from a list of 4-number boxes (faster than ``np.asarray`` on lists)."""
    import itertools

    try:
        if set(map(len, boxes)) <= {4}:
            return np.fromiter(itertools.chain.from_iterable(boxes), dtype=np.float64, count=4 * len(boxes)).reshape(-1, 4)
    except TypeError:
        pass
    arr = np.asarray(boxes, dtype=np.float64)
    if arr.size == 0:
        return arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"Expected boxes of 4 numbers [x, y, w, h], but got an array of shape {arr.shape}")
    return arr


def _ids_list(vals: Iterable) -> list:
    return [v.item() if isinstance(v, np.generic) else v for v in vals]


def _prepare(dataset: dict, results: list, iou_type: str, p: CocoParams, compat: str | None) -> _Prepared:
    images = dataset.get("images", [])
    img_by_id = {img["id"]: img for img in images}
    all_img_ids = sorted(img_by_id)
    cats = dataset.get("categories", [])
    cat_name = {c["id"]: c.get("name", str(c["id"])) for c in cats}
    img_ids = _ids_list(np.unique(p.imgIds)) if len(p.imgIds) else list(all_img_ids)
    if len(p.catIds):
        cat_ids = _ids_list(np.unique(p.catIds)) if p.useCats else _ids_list(p.catIds)
    else:
        cat_ids = sorted(cat_name)

    anns = dataset.get("annotations", [])
    img_pos = {v: i for i, v in enumerate(img_ids)}
    cat_pos = {v: i for i, v in enumerate(cat_ids)}
    g_img, g_cat, keep_g = [], [], []
    for j, a in enumerate(anns):
        ii = img_pos.get(a["image_id"])
        cc = cat_pos.get(a["category_id"])
        if ii is None or cc is None:
            continue
        keep_g.append(j)
        g_img.append(ii)
        g_cat.append(cc)
    gts = [anns[j] for j in keep_g]
    gt_img = np.asarray(g_img, dtype=np.int64)
    gt_cat = np.asarray(g_cat, dtype=np.int64)
    try:
        gt_area = np.asarray([a["area"] for a in gts], dtype=np.float64)
    except KeyError as exc:
        raise ValueError("Expected an 'area' field on every ground-truth annotation") from exc
    gt_crowd = np.asarray([bool(a.get("iscrowd", 0)) for a in gts], dtype=bool)
    gt_ignore = gt_crowd.copy()
    if iou_type == "keypoints":
        gt_ignore |= np.asarray([a.get("num_keypoints", 0) == 0 for a in gts], dtype=bool)
    gt_id_nonzero = np.asarray([a.get("id", 1) != 0 for a in gts], dtype=bool)

    gt_bbox = None
    if iou_type == "bbox":
        gt_geom = _boxes_array([a["bbox"] for a in gts])
    elif iou_type == "segm":
        gt_geom = _segm_rles(gts, img_by_id)
    else:
        nk = len(p.kpt_oks_sigmas)
        gt_geom = np.asarray([a["keypoints"] for a in gts], dtype=np.float64).reshape(-1, nk, 3)
        gt_bbox = np.asarray([a["bbox"] for a in gts], dtype=np.float64).reshape(-1, 4)

    # ---- detections: loadRes semantics (the branch is chosen by the first result)
    if len(results) == 0:
        if compat == "pycocotools":
            raise IndexError("pycocotools raises on an empty result list (compat='pycocotools')")
        dts: list = []
    else:
        dts = results
    res_img_ids = {d["image_id"] for d in dts}
    missing = res_img_ids - set(img_by_id)
    if missing:
        raise ValueError(
            f"Results do not correspond to the ground truth: image ids {sorted(missing)[:10]} "
            "are not in gt['images']"
        )
    d_img = _index_of([d["image_id"] for d in dts], img_ids)
    d_cat = _index_of([d["category_id"] for d in dts], cat_ids)
    sel = np.flatnonzero((d_img >= 0) & (d_cat >= 0))
    dsel = [dts[i] for i in sel.tolist()]
    dt_img = d_img[sel]
    dt_cat = d_cat[sel]
    dt_score = np.asarray([d["score"] for d in dsel], dtype=np.float64)
    branch = None
    if dts:
        r0 = dts[0]
        if "bbox" in r0 and not r0["bbox"] == []:
            branch = "bbox"
        elif "segmentation" in r0:
            branch = "segm"
        elif "keypoints" in r0:
            branch = "keypoints"
        else:
            raise ValueError("Expected results with a 'bbox', 'segmentation' or 'keypoints' field")
    dt_geom: Any
    if branch == "bbox":
        boxes = _boxes_array([d["bbox"] for d in dsel])
        dt_area = boxes[:, 2] * boxes[:, 3]
    elif branch == "segm":
        from pycocotools import mask as mask_utils

        rles = _segm_rles(dsel, img_by_id)
        dt_area = _chunked(mask_utils.area, rles).astype(np.float64).reshape(-1)
        boxes = np.zeros((0, 4))
        if iou_type == "bbox":
            boxes = _chunked(mask_utils.toBbox, rles).astype(np.float64).reshape(-1, 4)
            boxes = np.asarray(
                [d["bbox"] if "bbox" in d else boxes[i] for i, d in enumerate(dsel)], dtype=np.float64
            ).reshape(-1, 4)
    elif branch == "keypoints":
        kp = [np.asarray(d["keypoints"], dtype=np.float64) for d in dsel]
        x0 = np.asarray([k[0::3].min() for k in kp])
        x1 = np.asarray([k[0::3].max() for k in kp])
        y0 = np.asarray([k[1::3].min() for k in kp])
        y1 = np.asarray([k[1::3].max() for k in kp])
        dt_area = (x1 - x0) * (y1 - y0)
        boxes = np.stack([x0, y0, x1 - x0, y1 - y0], axis=1) if kp else np.zeros((0, 4))
    else:
        dt_area = np.zeros(0)
        boxes = np.zeros((0, 4))

    if iou_type == "bbox":
        dt_geom = boxes
    elif iou_type == "segm":
        if branch == "segm":
            dt_geom = rles
        else:
            dt_geom = _results_to_rles(dsel, img_by_id)
    else:
        nk = len(p.kpt_oks_sigmas)
        dt_geom = np.asarray([d["keypoints"] for d in dsel], dtype=np.float64).reshape(-1, nk, 3)

    P = _Prepared(
        iou_type=iou_type,
        img_ids=img_ids,
        cat_ids=cat_ids,
        cat_names=[cat_name.get(c, str(c)) for c in cat_ids],
        gt_img=gt_img,
        gt_cat=gt_cat,
        gt_area=gt_area,
        gt_crowd=gt_crowd,
        gt_ignore=gt_ignore,
        gt_id_nonzero=gt_id_nonzero,
        gt_geom=gt_geom,
        dt_img=dt_img,
        dt_cat=dt_cat,
        dt_score=dt_score,
        dt_area=np.asarray(dt_area, dtype=np.float64),
        dt_geom=dt_geom,
        gt_bbox=gt_bbox,
    )
    if p.useCats == 0:
        P = _merge_categories(P)
    return P


def _take(x: Any, idx: np.ndarray) -> Any:
    if x is None:
        return None
    if isinstance(x, np.ndarray):
        return x[idx]
    return [x[i] for i in idx.tolist()]


def _merge_categories(P: _Prepared) -> _Prepared:
    """``useCats=0``: one pseudo-category (-1); inside an image, ground truths and
    detections are ordered by category (``catIds`` order) then file order, as
    pycocotools concatenates ``_gts[img, c] for c in catIds``."""
    go = np.lexsort((np.arange(P.gt_cat.size), P.gt_cat))
    do = np.lexsort((np.arange(P.dt_cat.size), P.dt_cat))
    return _Prepared(
        iou_type=P.iou_type,
        img_ids=P.img_ids,
        cat_ids=[-1],
        cat_names=["all"],
        gt_img=P.gt_img[go],
        gt_cat=np.zeros(go.size, dtype=np.int64),
        gt_area=P.gt_area[go],
        gt_crowd=P.gt_crowd[go],
        gt_ignore=P.gt_ignore[go],
        gt_id_nonzero=P.gt_id_nonzero[go],
        gt_geom=_take(P.gt_geom, go),
        dt_img=P.dt_img[do],
        dt_cat=np.zeros(do.size, dtype=np.int64),
        dt_score=P.dt_score[do],
        dt_area=P.dt_area[do],
        dt_geom=_take(P.dt_geom, do),
        dt_extra_ignore=_take(P.dt_extra_ignore, do),
        gt_bbox=_take(P.gt_bbox, go),
    )


# ----------------------------------------------------------------------------- IoU / OKS


def _pair_iou_bbox(dt_boxes: np.ndarray, gt_boxes: np.ndarray, gt_crowd: np.ndarray, e_dt, e_gt) -> np.ndarray:
    """IoU of each (detection, ground truth) pair of ``xywh`` boxes.

    :func:`rewardkit.geometry.boxes.box_iou_xywh_paired`: the element-wise form of
    pycocotools' ``bbIou`` (same operations, same order, same bits), computed only on the
    same-image, same-category pairs. Crowd: the union is the detection's area.
    """
    from rewardkit.geometry.boxes import box_iou_xywh_paired

    if e_dt.size == 0:
        return np.zeros(0, dtype=np.float64)
    return box_iou_xywh_paired(dt_boxes[e_dt], gt_boxes[e_gt], gt_crowd[e_gt])


def _pair_iou_segm(dt_rles: list, gt_rles: list, gt_crowd: np.ndarray, dt_block, e_dt, e_gt) -> np.ndarray:
    """``pycocotools.mask.iou`` once per block (an image) of the pair list, then gathered.

    Each IoU is computed independently by pycocotools, so batching the pairs of an image
    (detections x ground truths, categories mixed) gives the same values as one call per
    (image, category) with fewer calls; pairs of other categories are computed and dropped.
    """
    from pycocotools import mask as mask_utils

    out = np.zeros(e_dt.shape[0], dtype=np.float64)
    if e_dt.size == 0:
        return out
    blk = dt_block[e_dt]
    brk = np.flatnonzero(blk[1:] != blk[:-1]) + 1
    starts = [0, *brk.tolist()]
    ends = [*brk.tolist(), int(blk.size)]
    crowd = gt_crowd.astype(np.uint8)
    for s, e in zip(starts, ends):
        dd = e_dt[s:e]
        gg = e_gt[s:e]
        d_u, d_inv = np.unique(dd, return_inverse=True)
        g_u, g_inv = np.unique(gg, return_inverse=True)
        ious = mask_utils.iou(
            [dt_rles[i] for i in d_u.tolist()],
            [gt_rles[i] for i in g_u.tolist()],
            crowd[g_u].tolist(),
        )
        out[s:e] = np.asarray(ious, dtype=np.float64).reshape(d_u.size, g_u.size)[d_inv, g_inv]
    return out


def _row_sums_like_numpy(vals: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``np.sum(row[:n])`` for each row, with numpy's own summation order (pairwise)."""
    out = np.zeros(vals.shape[0], dtype=np.float64)
    for n in np.unique(counts).tolist():
        rows = np.flatnonzero(counts == n)
        out[rows] = np.sum(np.ascontiguousarray(vals[rows, :n]), axis=1)
    return out


def _pair_oks(
    dt_kpts: np.ndarray, gt_kpts: np.ndarray, gt_bbox: np.ndarray, gt_area: np.ndarray, sigmas: np.ndarray, e_dt, e_gt
) -> np.ndarray:
    """Object keypoint similarity per pair, with ``COCOeval.computeOks``' arithmetic.

    ``e = d^2 / (2 sigma)^2 / (area + eps) / 2``; OKS = mean of ``exp(-e)`` over the
    visible ground-truth keypoints; with no visible keypoint the distance is measured to
    the box ``[x - w, x + 2w] x [y - h, y + 2h]`` and all keypoints count.
    """
    if e_dt.size == 0:
        return np.zeros(0)
    var = (sigmas * 2) ** 2
    g = gt_kpts[e_gt]
    d = dt_kpts[e_dt]
    xg, yg, vg = g[:, :, 0], g[:, :, 1], g[:, :, 2]
    xd, yd = d[:, :, 0], d[:, :, 1]
    vis = vg > 0
    k1 = np.count_nonzero(vis, axis=1)
    bb = gt_bbox[e_gt]
    x0 = (bb[:, 0] - bb[:, 2])[:, None]
    x1 = (bb[:, 0] + bb[:, 2] * 2)[:, None]
    y0 = (bb[:, 1] - bb[:, 3])[:, None]
    y1 = (bb[:, 1] + bb[:, 3] * 2)[:, None]
    has = (k1 > 0)[:, None]
    dx = np.where(has, xd - xg, np.maximum(0.0, x0 - xd) + np.maximum(0.0, xd - x1))
    dy = np.where(has, yd - yg, np.maximum(0.0, y0 - yd) + np.maximum(0.0, yd - y1))
    e = (dx**2 + dy**2) / var / (gt_area[e_gt] + np.spacing(1))[:, None] / 2
    ex = np.exp(-e)
    mask = np.where(has, vis, True)
    order = np.argsort(~mask, axis=1, kind="stable")
    packed = np.take_along_axis(ex, order, axis=1)
    counts = np.count_nonzero(mask, axis=1)
    sums = _row_sums_like_numpy(packed, counts)
    return sums / counts


# ----------------------------------------------------------------------------- evaluation


def _evaluate_prepared(
    P: _Prepared,
    p: CocoParams,
    progress: Callable[[int], None] | None = None,
    per_group_cap: bool = True,
    want_scores: bool = True,
) -> dict[str, np.ndarray]:
    """Match and accumulate. ``per_group_cap=False`` (LVIS): no maxDets cap per (image,
    category) and a single M entry."""
    K = len(P.cat_ids)
    A = len(p.areaRng)
    max_dets = sorted(int(m) for m in p.maxDets) if per_group_cap else None
    dt_group = P.dt_img * K + P.dt_cat
    gt_group = P.gt_img * K + P.gt_cat
    keep, rank = _eng.group_sort(dt_group, P.dt_score, max_dets[-1] if max_dets else None)
    kd_group = dt_group[keep]
    e_dt, e_gt = _eng.candidate_pairs(kd_group, gt_group)
    if P.iou_type == "bbox":
        e_iou = _pair_iou_bbox(P.dt_geom[keep], P.gt_geom, P.gt_crowd, e_dt, e_gt)
    elif P.iou_type == "segm":
        e_iou = _pair_iou_segm(
            [P.dt_geom[i] for i in keep.tolist()], P.gt_geom, P.gt_crowd, P.dt_img[keep], e_dt, e_gt
        )
    else:
        e_iou = _pair_oks(P.dt_geom[keep], P.gt_geom, P.gt_bbox, P.gt_area, p.kpt_oks_sigmas, e_dt, e_gt)
    rng = np.asarray(p.areaRng, dtype=np.float64).reshape(-1, 2)
    gt_out = (P.gt_area[:, None] < rng[None, :, 0]) | (P.gt_area[:, None] > rng[None, :, 1])
    gt_ig = P.gt_ignore[:, None] | gt_out  # (G, A)
    res = _eng.match(
        keep.shape[0], rank, e_dt, e_gt, e_iou, P.gt_crowd, gt_ig, P.gt_id_nonzero, np.asarray(p.iouThrs)
    )
    d_area = P.dt_area[keep]
    d_out = (d_area[:, None] < rng[None, :, 0]) | (d_area[:, None] > rng[None, :, 1])  # (D, A)
    unmatched_ig = d_out
    if P.dt_extra_ignore is not None:
        unmatched_ig = unmatched_ig | P.dt_extra_ignore[keep][:, None]
    dt_ig = res.ignored | (~res.matched & unmatched_ig[:, :, None])
    tps = res.matched & ~dt_ig
    fps = ~res.matched & ~dt_ig
    npig = np.zeros((K, A), dtype=np.int64)
    if P.gt_cat.size:
        np.add.at(npig, P.gt_cat, (~gt_ig).astype(np.int64))
    precision, recall, scores = _eng.accumulate(
        K,
        P.dt_cat[keep],
        P.dt_img[keep],
        rank,
        P.dt_score[keep],
        tps,
        fps,
        npig,
        np.asarray(p.recThrs, dtype=np.float64),
        max_dets,
        progress=progress,
        want_scores=want_scores,
    )
    return {"precision": precision, "recall": recall, "scores": scores}


def _summarize_one(ev, p: CocoParams, ap: int = 1, iouThr=None, areaRng="all", maxDets=100) -> float:
    aind = [i for i, aRng in enumerate(p.areaRngLbl) if aRng == areaRng]
    mind = [i for i, mDet in enumerate(p.maxDets) if mDet == maxDets]
    if ap == 1:
        s = ev["precision"]
        if iouThr is not None:
            t = np.where(iouThr == np.asarray(p.iouThrs))[0]
            s = s[t]
        s = s[:, :, :, aind, mind]
    else:
        s = ev["recall"]
        if iouThr is not None:
            t = np.where(iouThr == np.asarray(p.iouThrs))[0]
            s = s[t]
        s = s[:, :, aind, mind]
    return _eng.summarize_mean(s)


def _summarize(ev, p: CocoParams, iou_type: str, compat: str | None) -> list[float]:
    md = list(p.maxDets)
    pyc = compat == "pycocotools"

    def m(i: int) -> int:
        if pyc:
            return md[i]
        return md[min(i, len(md) - 1)]

    if iou_type in ("bbox", "segm"):
        first = 100 if pyc else md[-1]
        return [
            _summarize_one(ev, p, 1, maxDets=first),
            _summarize_one(ev, p, 1, iouThr=0.5, maxDets=m(2)),
            _summarize_one(ev, p, 1, iouThr=0.75, maxDets=m(2)),
            _summarize_one(ev, p, 1, areaRng="small", maxDets=m(2)),
            _summarize_one(ev, p, 1, areaRng="medium", maxDets=m(2)),
            _summarize_one(ev, p, 1, areaRng="large", maxDets=m(2)),
            _summarize_one(ev, p, 0, maxDets=m(0)),
            _summarize_one(ev, p, 0, maxDets=m(1)),
            _summarize_one(ev, p, 0, maxDets=m(2)),
            _summarize_one(ev, p, 0, areaRng="small", maxDets=m(2)),
            _summarize_one(ev, p, 0, areaRng="medium", maxDets=m(2)),
            _summarize_one(ev, p, 0, areaRng="large", maxDets=m(2)),
        ]
    k = 20 if pyc else md[-1]
    return [
        _summarize_one(ev, p, 1, maxDets=k),
        _summarize_one(ev, p, 1, maxDets=k, iouThr=0.5),
        _summarize_one(ev, p, 1, maxDets=k, iouThr=0.75),
        _summarize_one(ev, p, 1, maxDets=k, areaRng="medium"),
        _summarize_one(ev, p, 1, maxDets=k, areaRng="large"),
        _summarize_one(ev, p, 0, maxDets=k),
        _summarize_one(ev, p, 0, maxDets=k, iouThr=0.5),
        _summarize_one(ev, p, 0, maxDets=k, iouThr=0.75),
        _summarize_one(ev, p, 0, maxDets=k, areaRng="medium"),
        _summarize_one(ev, p, 0, maxDets=k, areaRng="large"),
    ]


def _per_category_ap(precision: np.ndarray, k: int, t_idx=None, a_idx: int = 0, m_idx: int = -1) -> float:
    s = precision[:, :, k, a_idx, m_idx]
    if t_idx is not None:
        s = s[t_idx]
    v = s[s > -1]
    return float(np.mean(v)) if v.size else float("nan")


def per_category_table(
    precision: np.ndarray,
    cat_ids: Sequence,
    cat_names: Sequence[str],
    iou_thrs: Sequence[float],
    area_idx: int = 0,
    max_det_idx: int = -1,
) -> list[dict[str, Any]]:
    """Per-category AP, AP50, AP75: ``mean(precision[t, :, k, area, maxDet] > -1)``.

    This is the per-category number of Detectron2 / Visual-RFT tables (a category
    without ground truth gives NaN).
    """
    thrs = np.asarray(iou_thrs)
    t50 = np.where(0.5 == thrs)[0]
    t75 = np.where(0.75 == thrs)[0]
    rows = []
    for k, (cid, name) in enumerate(zip(cat_ids, cat_names)):
        rows.append(
            {
                "id": cid,
                "name": name,
                "AP": _per_category_ap(precision, k, None, area_idx, max_det_idx),
                "AP50": _per_category_ap(precision, k, t50, area_idx, max_det_idx) if t50.size else float("nan"),
                "AP75": _per_category_ap(precision, k, t75, area_idx, max_det_idx) if t75.size else float("nan"),
            }
        )
    return rows


def resolve_category_ids(
    categories: Iterable[Any],
    gt_categories: Sequence[Mapping[str, Any]],
    missing: Literal["raise", "skip"] = "raise",
) -> list[Any]:
    """Category ids for ``categories`` given as ids or names.

    Names are compared after :func:`rewardkit.parsing.labels.normalize_label` (so
    ``"fire_hydrant"``, ``"Fire hydrant"`` and ``"fire-hydrant"`` agree) against each
    category's ``name`` and its ``synonyms`` (LVIS). Raises ``KeyError`` naming the
    unknown entries and close matches.
    """
    from difflib import get_close_matches

    from rewardkit.parsing.labels import normalize_label

    by_id = {c["id"]: c for c in gt_categories}
    by_name: dict[str, Any] = {}
    for c in gt_categories:
        by_name.setdefault(normalize_label(c.get("name", "")), c["id"])
    for c in gt_categories:
        for syn in c.get("synonyms", []) or []:
            by_name.setdefault(normalize_label(syn), c["id"])
    out, unknown = [], []
    for item in categories:
        if not isinstance(item, str) and item in by_id:
            out.append(item)
            continue
        if isinstance(item, str) and item.strip().lstrip("-").isdigit() and int(item) in by_id:
            out.append(int(item))
            continue
        key = normalize_label(str(item))
        if key in by_name:
            out.append(by_name[key])
        else:
            unknown.append(item)
    if unknown and missing == "raise":
        hints = {m: get_close_matches(normalize_label(str(m)), list(by_name), n=3) for m in unknown}
        raise KeyError(f"Unknown categories {unknown}; did you mean {hints}?")
    return out


def category_subset_ap(
    result: Mapping[str, Any],
    categories: Iterable[Any],
    metric: Literal["AP", "AP50", "AP75"] = "AP",
    gt_categories: Sequence[Mapping[str, Any]] | None = None,
    missing: Literal["raise", "skip"] = "raise",
) -> dict[str, Any]:
    """Mean of the per-category ``metric`` over a category subset.

    This is the "mAP over selected categories" of Visual-RFT's few-shot tables and the
    nAP50 / bAP50 of open-vocabulary COCO: per-category AP = mean of
    ``precision[t, :, k, area=all, maxDets=-1]`` over entries > -1, then the plain mean
    over the subset's categories that have ground truth (the others are listed in
    ``"no_gt"`` and left out, as Detectron2 does with its NaN entries).

    ``categories``: ids, or names resolved with :func:`resolve_category_ids` against
    ``gt_categories`` (default: the names in ``result["per_category"]``);
    ``missing="skip"`` leaves out categories the evaluation does not know (reported in
    ``"not_evaluated"``) instead of raising.
    """
    rows = {row["id"]: row for row in result["per_category"]}
    cats = gt_categories if gt_categories is not None else [
        {"id": r["id"], "name": r["name"]} for r in result["per_category"]
    ]
    wanted = list(categories)
    ids = resolve_category_ids(wanted, cats, missing)
    not_evaluated = [c for c in wanted if c not in ids] if missing == "skip" else []
    ids = [c for c in ids if c in rows or missing == "raise"]
    values, used, no_gt = [], [], []
    for cid in ids:
        if cid not in rows:
            raise KeyError(f"Category id {cid!r} was not evaluated (not in the result's per-category table)")
        v = rows[cid][metric]
        if v != v:  # NaN: no ground truth
            no_gt.append(cid)
            continue
        values.append(v)
        used.append(cid)
    mean = float(np.mean(values)) if values else float("nan")
    return {
        "metric": metric,
        "mean": mean,
        "n": len(values),
        "category_ids": used,
        "no_gt": no_gt,
        "not_evaluated": not_evaluated,
        "per_category": [{"id": c, "name": rows[c]["name"], metric: rows[c][metric]} for c in ids],
    }


def _package(
    ev: dict[str, np.ndarray], p: CocoParams, iou_type: str, cat_ids, cat_names, compat, backend: str
) -> dict[str, Any]:
    stats = _summarize(ev, p, iou_type, compat)
    names = DET_STAT_NAMES if iou_type in ("bbox", "segm") else KPT_STAT_NAMES
    out: dict[str, Any] = {name: float(v) for name, v in zip(names, stats)}
    out["stats"] = [float(v) for v in stats]
    out["precision"] = ev["precision"]
    out["recall"] = ev["recall"]
    out["scores"] = ev["scores"]
    a_all = p.areaRngLbl.index("all") if "all" in p.areaRngLbl else 0
    out["per_category"] = per_category_table(ev["precision"], cat_ids, cat_names, p.iouThrs, a_all, -1)
    out["params"] = p.as_dict()
    out["params"]["catIds"] = list(cat_ids)
    out["iou_type"] = iou_type
    out["backend"] = backend
    return out


def _run_reference(dataset: dict, results: list, iou_type: str, p: CocoParams, backend: str):
    """Run pycocotools or faster-coco-eval on copies of the inputs (they mutate them)."""
    ds = copy.deepcopy(dataset)
    res = copy.deepcopy(results)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        if backend == "pycocotools":
            from pycocotools.coco import COCO
            from pycocotools.cocoeval import COCOeval
        elif backend == "faster_coco_eval":
            try:
                from faster_coco_eval import COCO
                from faster_coco_eval import COCOeval_faster as COCOeval
            except ImportError as exc:  # pragma: no cover - optional extra
                raise ImportError("backend='faster_coco_eval' needs `pip install rewardkit[faster-coco-eval]`") from exc
        else:
            raise ValueError(f"Expected `backend` in ('native', 'pycocotools', 'faster_coco_eval'), but got {backend!r}")
        gt = COCO()
        gt.dataset = ds
        gt.createIndex()
        dt = gt.loadRes(res)
        E = COCOeval(gt, dt, iou_type)
        E.params.iouThrs = np.asarray(p.iouThrs)
        E.params.recThrs = np.asarray(p.recThrs)
        E.params.maxDets = list(p.maxDets)
        E.params.areaRng = [list(a) for a in p.areaRng]
        E.params.areaRngLbl = list(p.areaRngLbl)
        if iou_type == "keypoints":
            E.params.kpt_oks_sigmas = np.asarray(p.kpt_oks_sigmas)
        if p.imgIds:
            E.params.imgIds = list(p.imgIds)
        if p.catIds:
            E.params.catIds = list(p.catIds)
        E.params.useCats = p.useCats
        E.evaluate()
        E.accumulate()
    ev = {k: np.asarray(E.eval[k]) for k in ("precision", "recall", "scores")}
    cat_ids = _ids_list(np.unique(E.params.catIds)) if p.useCats else [-1]
    names = {c["id"]: c.get("name", str(c["id"])) for c in dataset.get("categories", [])}
    p2 = copy.deepcopy(p)
    p2.maxDets = sorted(p.maxDets)
    return ev, p2, cat_ids, [names.get(c, "all" if c == -1 else str(c)) for c in cat_ids]


def coco_evaluate(
    gt: Any,
    results: Any,
    iou_type: IouType = "bbox",
    *,
    compat: Literal["pycocotools"] | None = None,
    backend: Backend = "native",
    progress: bool = False,
    **params: Any,
) -> dict[str, Any]:
    """COCO evaluation of a results list against a COCO annotation set.

    Args:
        gt: COCO annotation dict, path to a JSON file, or a ``pycocotools.coco.COCO``.
        results: COCO results list (``image_id``, ``category_id``, ``bbox`` /
            ``segmentation`` / ``keypoints``, ``score``) or a path to one.
        iou_type: ``"bbox"``, ``"segm"`` or ``"keypoints"``.
        compat: ``"pycocotools"`` reproduces the reference's quirks (AP read at
            ``maxDets=100`` / 20, empty results raise). ``None`` (default) fixes them.
        backend: ``"native"`` (numpy engine), or ``"pycocotools"`` /
            ``"faster_coco_eval"`` to run a reference implementation.
        progress: show a tqdm progress bar over categories during accumulation.
        **params: pycocotools parameters: ``iouThrs``, ``recThrs``, ``maxDets``,
            ``areaRng``, ``areaRngLbl``, ``imgIds``, ``catIds``, ``kpt_oks_sigmas``,
            ``useCats`` (0: category-agnostic; bbox and segm) (snake_case aliases accepted).

    Returns:
        A dict with the named stats (``AP``, ``AP50``, ``AP75``, ``APs``, ``APm``, ``APl``,
        ``AR1``, ``AR10``, ``AR100``, ``ARs``, ``ARm``, ``ARl``; for keypoints ``AP``,
        ``AP50``, ``AP75``, ``APm``, ``APl``, ``AR``, ``AR50``, ``AR75``, ``ARm``, ``ARl``),
        ``stats`` (pycocotools order), ``precision`` ``(T, R, K, A, M)``, ``recall``
        ``(T, K, A, M)``, ``scores``, ``per_category`` (id, name, AP, AP50, AP75) and ``params``.
    """
    if iou_type not in ("bbox", "segm", "keypoints"):
        raise ValueError(f"Expected `iou_type` in ('bbox', 'segm', 'keypoints'), but got {iou_type!r}")
    if compat not in (None, "pycocotools"):
        raise ValueError(f"Expected `compat` None or 'pycocotools', but got {compat!r}")
    p = _make_params(iou_type, params)
    state = _init_state(gt, iou_type, p, compat)
    _update(state, results)
    return _compute(state, backend=backend, progress=progress)


# ----------------------------------------------------------------------------- streaming


@dataclass
class _State:
    dataset: dict
    iou_type: str
    params: CocoParams
    compat: str | None
    results: list = field(default_factory=list)


def _init_state(gt: Any, iou_type: str, p: CocoParams, compat: str | None) -> _State:
    return _State(dataset=_load_gt(gt), iou_type=iou_type, params=p, compat=compat)


def _update(state: _State, results: Any) -> None:
    state.results.extend(_load_results(results))


def _compute(state: _State, *, backend: str = "native", progress: bool = False) -> dict[str, Any]:
    p = state.params
    if backend == "native":
        P = _prepare(state.dataset, state.results, state.iou_type, p, state.compat)
        bar = None
        cb = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(P.cat_ids) * len(p.maxDets), desc=f"COCO {state.iou_type}", unit="cat")
            cb = bar.update
        try:
            ev = _evaluate_prepared(P, p, cb)
        finally:
            if bar is not None:
                bar.close()
        p2 = copy.deepcopy(p)
        p2.maxDets = sorted(int(m) for m in p.maxDets)
        return _package(ev, p2, state.iou_type, P.cat_ids, P.cat_names, state.compat, "native")
    if not state.results and state.compat != "pycocotools":
        # the references raise on an empty list; the native engine defines the answer
        return _compute(state, backend="native")
    ev, p2, cat_ids, names = _run_reference(state.dataset, state.results, state.iou_type, p, backend)
    return _package(ev, p2, state.iou_type, cat_ids, names, state.compat, backend)


class CocoEvaluator:
    """Streaming COCO evaluation: ``update(results)`` batches, then ``compute()``.

    >>> ev = CocoEvaluator({"images": [{"id": 1, "width": 10, "height": 10}],
    ...                     "categories": [{"id": 1, "name": "a"}],
    ...                     "annotations": [{"id": 1, "image_id": 1, "category_id": 1,
    ...                                      "bbox": [0, 0, 5, 5], "area": 25, "iscrowd": 0}]})
    >>> ev.update([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 1.0}])
    >>> ev.compute()["AP"]  # 1 / (1 + np.spacing(1)), pycocotools' precision formula
    0.9999999999999998
    """

    def __init__(
        self,
        gt: Any,
        iou_type: IouType = "bbox",
        *,
        compat: Literal["pycocotools"] | None = None,
        backend: Backend = "native",
        **params: Any,
    ) -> None:
        self._params = _make_params(iou_type, params)
        self._backend = backend
        self._state = _init_state(gt, iou_type, self._params, compat)

    def update(self, results: Any) -> None:
        """Append detections (a results list, or a path) in file order."""
        _update(self._state, results)

    def compute(self) -> dict[str, Any]:
        return _compute(self._state, backend=self._backend)

    def reset(self) -> None:
        self._state.results = []

    def __len__(self) -> int:
        return len(self._state.results)
