"""Arrays of the ground truths and detections that take part in an evaluation
(``COCOeval._prepare`` and ``loadRes`` semantics)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np

from rewardkit.metrics.coco.loading import chunked, results_to_rles, segm_rles
from rewardkit.metrics.coco.params import CocoParams

__all__ = ["Prepared", "prepare", "merge_categories", "index_of", "boxes_array", "ids_list"]


@dataclass
class Prepared:
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


def index_of(values: Any, table: list) -> np.ndarray:
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


def boxes_array(boxes: list) -> np.ndarray:
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


def ids_list(vals: Iterable) -> list:
    return [v.item() if isinstance(v, np.generic) else v for v in vals]


def prepare(
    dataset: dict, results: list, iou_type: str, p: CocoParams, compat: str | None, checked: dict | None = None
) -> Prepared:
    """``checked`` (optional): what the input checks read of these ``results``
    (:func:`~rewardkit.metrics.coco.loading.validate_coco_inputs`' ``facts``), reused
    instead of read again: ``result_image_ids``, ``result_scores`` and
    ``result_rle_area``, the area of each result whose segmentation is a compressed RLE
    (NaN for the others), the same numbers as ``pycocotools.mask.area``, which then only
    reads the others."""
    checked = checked or {}
    rle_area = checked.get("result_rle_area")
    images = dataset.get("images", [])
    img_by_id = {img["id"]: img for img in images}
    all_img_ids = sorted(img_by_id)
    cats = dataset.get("categories", [])
    cat_name = {c["id"]: c.get("name", str(c["id"])) for c in cats}
    img_ids = ids_list(np.unique(p.imgIds)) if len(p.imgIds) else list(all_img_ids)
    if len(p.catIds):
        cat_ids = ids_list(np.unique(p.catIds)) if p.useCats else ids_list(p.catIds)
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
    gt_geom: Any  # boxes, RLEs (segm) or keypoints, as Prepared.gt_geom
    if iou_type == "bbox":
        gt_geom = boxes_array([a["bbox"] for a in gts])
    elif iou_type == "segm":
        gt_geom = segm_rles(gts, img_by_id)
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
    d_img_ids = checked.get("result_image_ids")
    if d_img_ids is None or len(d_img_ids) != len(dts):
        d_img_ids = list(map(itemgetter("image_id"), dts))
    missing = set(d_img_ids) - set(img_by_id)
    if missing:
        raise ValueError(
            f"Results do not correspond to the ground truth: image ids {sorted(missing)[:10]} "
            "are not in gt['images']"
        )
    d_img = index_of(d_img_ids, img_ids)
    d_cat = index_of(list(map(itemgetter("category_id"), dts)), cat_ids)
    sel = np.flatnonzero((d_img >= 0) & (d_cat >= 0))
    dsel = [dts[i] for i in sel.tolist()]
    dt_img = d_img[sel]
    dt_cat = d_cat[sel]
    scores = checked.get("result_scores")
    if scores is not None and len(scores) == len(dts):
        dt_score = np.asarray(scores, dtype=np.float64)[sel]
    else:
        dt_score = np.asarray(list(map(itemgetter("score"), dsel)), dtype=np.float64)
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
        boxes = boxes_array([d["bbox"] for d in dsel])
        dt_area = boxes[:, 2] * boxes[:, 3]
        if compat == "pycocotools":
            # loadRes computes w * h in the boxes' own type: numpy float32 scalars give a
            # float32 area, which can fall on the other side of an area-range bound
            dt_area = np.fromiter((d["bbox"][2] * d["bbox"][3] for d in dsel), dtype=np.float64, count=len(dsel))
    elif branch == "segm":
        from pycocotools import mask as mask_utils

        if rle_area is not None and len(rle_area) == len(dts):
            dt_area = np.asarray(rle_area, dtype=np.float64)[sel]
            todo = np.flatnonzero(np.isnan(dt_area))
            if todo.size:
                rles = segm_rles(dsel, img_by_id)
                dt_area[todo] = chunked(mask_utils.area, [rles[i] for i in todo.tolist()]).reshape(-1)
            else:  # every one a compressed RLE: segm_rles would return them as they are
                rles = list(map(itemgetter("segmentation"), dsel))
        else:
            rles = segm_rles(dsel, img_by_id)
            dt_area = chunked(mask_utils.area, rles).astype(np.float64).reshape(-1)
        boxes = np.zeros((0, 4))
        if iou_type == "bbox":
            boxes = chunked(mask_utils.toBbox, rles).astype(np.float64).reshape(-1, 4)
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
            dt_geom = results_to_rles(dsel, img_by_id)
    else:
        nk = len(p.kpt_oks_sigmas)
        lacking = [i for i, d in enumerate(dsel) if "keypoints" not in d]
        if lacking:
            # pycocotools reads a result's keypoints only when its image and category have
            # a ground truth (computeOks); elsewhere a result without keypoints is fine
            with_gt = set(zip(gt_img.tolist(), gt_cat.tolist()))
            for i in lacking:
                if (int(dt_img[i]), int(dt_cat[i])) in with_gt:
                    raise ValueError(
                        f"Expected 'keypoints' on result {int(sel[i])} (image {dsel[i]['image_id']!r}, which has "
                        "ground truth of its category), but it has none"
                    )
        dt_geom = np.asarray(
            [d["keypoints"] if "keypoints" in d else [0.0] * (3 * nk) for d in dsel], dtype=np.float64
        ).reshape(-1, nk, 3)

    P = Prepared(
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
        P = merge_categories(P)
    return P


def _take(x: Any, idx: np.ndarray) -> Any:
    if x is None:
        return None
    if isinstance(x, np.ndarray):
        return x[idx]
    return [x[i] for i in idx.tolist()]


def merge_categories(P: Prepared) -> Prepared:
    """``useCats=0``: one pseudo-category (-1); inside an image, ground truths and
    detections are ordered by category (``catIds`` order) then file order, as
    pycocotools concatenates ``_gts[img, c] for c in catIds``."""
    go = np.lexsort((np.arange(P.gt_cat.size), P.gt_cat))
    do = np.lexsort((np.arange(P.dt_cat.size), P.dt_cat))
    return Prepared(
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
