"""Loading COCO inputs: annotation sets, results lists, and segmentations as RLE."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from itertools import chain
from operator import eq, itemgetter
from typing import Any

import numpy as np

__all__ = ["load_gt", "load_results", "results_to_rles", "ann_to_rle", "segm_rles", "chunked", "validate_coco_inputs"]


def load_gt(gt: Any) -> dict:
    if isinstance(gt, (str, os.PathLike)):
        with open(gt) as f:
            return json.load(f)
    if isinstance(gt, Mapping):
        return dict(gt)
    dataset = getattr(gt, "dataset", None)  # a pycocotools / lvis COCO object
    if isinstance(dataset, Mapping):
        return dict(dataset)
    raise TypeError(f"Expected a COCO annotation dict, a path or a COCO object, but got {type(gt).__name__}")


def load_results(results: Any) -> list:
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


def results_to_rles(dets: Any, img_by_id: Any) -> list[Any]:
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
        out.append(ann_to_rle(segm, img["height"], img["width"]))
    return out


def ann_to_rle(segm: Any, h: int, w: int) -> Any:
    """pycocotools ``annToRLE``: polygons and uncompressed RLE to compressed RLE."""
    if isinstance(segm, dict) and not isinstance(segm.get("counts"), list):
        return segm
    from pycocotools import mask as mask_utils

    if isinstance(segm, list):
        return mask_utils.merge(mask_utils.frPyObjects(segm, h, w))
    if isinstance(segm["counts"], list):
        return mask_utils.frPyObjects(segm, h, w)
    return segm


def segm_rles(anns: list, img_by_id: Mapping[Any, Any]) -> list:
    """``annToRLE`` for a list of annotations; compressed RLEs pass through untouched.

    Annotations made of one polygon (more than 4 numbers: pycocotools reads 4 as a box)
    are rasterized together per image size, one ``frPyObjects`` call for all of them:
    the same C routine per polygon, and ``merge`` of a single RLE is that RLE.
    """
    out: list = [None] * len(anns)
    single: dict[tuple[int, int], list[int]] = {}
    for i, a in enumerate(anns):
        segm = a["segmentation"]
        if type(segm) is dict and type(segm.get("counts")) is not list:
            out[i] = segm
            continue
        img = img_by_id[a["image_id"]]
        if type(segm) is list and len(segm) == 1 and type(segm[0]) is list and len(segm[0]) > 4:
            single.setdefault((img["height"], img["width"]), []).append(i)
        else:
            out[i] = ann_to_rle(segm, img["height"], img["width"])
    if single:
        from pycocotools import mask as mask_utils

        for (h, w), idx in single.items():
            for i, rle in zip(idx, mask_utils.frPyObjects([anns[i]["segmentation"][0] for i in idx], h, w)):
                out[i] = rle
    return out


def chunked(fn: Callable, rles: list, size: int = 200) -> np.ndarray:
    """Apply a pycocotools RLE function in chunks (its list path overflows a uint8 at 256)."""
    if not rles:
        return np.zeros(0)
    return np.concatenate([np.atleast_1d(np.asarray(fn(rles[i : i + size]))) for i in range(0, len(rles), size)])


# ----------------------------------------------------------------------------- validation


def _describe(kind: str, index: int, item: Any) -> str:
    if kind == "annotation":
        ident = item.get("id") if isinstance(item, Mapping) else None
        return f"annotation id {ident} (index {index})" if ident is not None else f"annotation at index {index}"
    return f"result {index}"


def _first_bad_boxes(items: list, key: str) -> tuple[int, str] | None:
    """First item whose box is not 4 finite numbers with non-negative width and height."""
    if not items:
        return None
    from rewardkit.metrics.coco.prepare import boxes_array

    try:
        arr = boxes_array([it[key] for it in items])
        if arr.ndim != 2 or arr.shape[1] != 4:
            raise ValueError
    except (KeyError, TypeError, ValueError, OverflowError):
        for i, it in enumerate(items):
            try:
                b = np.asarray(it[key], dtype=np.float64)
            except (KeyError, TypeError, ValueError, OverflowError):
                return i, f"{key} {str(it.get(key) if isinstance(it, Mapping) else it)[:60]} is not 4 numbers"
            if b.shape != (4,) or not np.isfinite(b).all() or b[2] < 0 or b[3] < 0:
                return i, f"{key} {b.tolist()[:8]} has a non-finite value or a negative width / height"
        return None
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(arr).all(axis=1) | (arr[:, 2] < 0) | (arr[:, 3] < 0)
    if bad.any():
        i = int(np.argmax(bad))
        return i, f"{key} {arr[i].tolist()} has a non-finite value or a negative width / height"
    return None


def _first_bad_numbers(
    items: list, key: str, *, non_negative: bool = False, values: list | None = None
) -> tuple[int, str] | None:
    """First item whose ``key`` (when present) is not finite (and non-negative);
    ``values``: every item's ``key``, when the caller has them already."""
    try:  # usually every item has it: one pass
        vals = list(map(itemgetter(key), items)) if values is None else values
        idx = range(len(items))
    except (KeyError, TypeError):
        idx = [i for i, it in enumerate(items) if key in it]  # type: ignore[assignment]
        vals = [items[i][key] for i in idx]
    if not idx:
        return None
    try:
        flat = np.asarray(vals, dtype=np.float64)
        per_item = flat.reshape(len(idx), -1)
    except (TypeError, ValueError, OverflowError):
        for i in idx:
            try:
                v = np.asarray(items[i][key], dtype=np.float64)
            except (TypeError, ValueError, OverflowError):
                return i, f"{key} is not numeric"
            if not np.isfinite(v).all() or (non_negative and (v < 0).any()):
                return i, f"{key} {str(v.tolist())[:60]} is not finite{' and non-negative' if non_negative else ''}"
        return None
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(per_item).all(axis=1)
        if non_negative:
            bad |= (per_item < 0).any(axis=1)
    if bad.any():
        i = idx[int(np.argmax(bad))]
        return i, f"{key} {str(items[i][key])[:60]} is not finite{' and non-negative' if non_negative else ''}"
    return None


def _polygons_ok(polys: list[tuple[int, list, int, int]]) -> np.ndarray:
    """Vectorized :func:`~rewardkit.parsing.masks.check_polygon_bounds` over the polygons
    of many items: ``polys`` holds ``(item, polygons, h, w)``; a bool per entry."""
    from rewardkit.limits import (
        MAX_POLYGON_PERIMETER_FACTOR,
        MAX_POLYGON_VERTICES,
        MAX_POLYGONS,
        POLYGON_COORD_MARGIN,
    )

    n = len(polys)
    ok = np.ones(n, dtype=bool)
    lengths, coords, owner = [], [], []
    for j, (_, segm, _, _) in enumerate(polys):
        if len(segm) > MAX_POLYGONS:
            ok[j] = False
            continue
        for poly in segm:
            if len(poly) < 6 or len(poly) % 2:
                ok[j] = False
                break
            lengths.append(len(poly))
            coords.append(poly)
            owner.append(j)
    if not coords:
        return ok
    try:
        flat = np.fromiter(chain.from_iterable(coords), dtype=np.float64, count=sum(lengths))
    except (TypeError, ValueError, OverflowError):
        return np.zeros(n, dtype=bool)  # the exact culprit is found one by one
    lens = np.asarray(lengths, dtype=np.int64)
    own = np.asarray(owner, dtype=np.int64)
    hw = np.asarray([(h, w) for _, _, h, w in polys], dtype=np.float64)
    pt_owner = np.repeat(own, lens // 2)
    x, y = flat[0::2], flat[1::2]
    h, w = hw[pt_owner, 0], hw[pt_owner, 1]
    with np.errstate(invalid="ignore"):
        inside = (x >= -POLYGON_COORD_MARGIN * w) & (x <= (1 + POLYGON_COORD_MARGIN) * w)
        inside &= (y >= -POLYGON_COORD_MARGIN * h) & (y <= (1 + POLYGON_COORD_MARGIN) * h)
    bad_owner = np.zeros(n, dtype=bool)
    bad_owner[pt_owner[~inside]] = True
    # perimeter of each closed polygon, summed per item
    starts = np.cumsum(lens // 2) - lens // 2
    nx, ny = np.roll(x, -1), np.roll(y, -1)
    last = starts + lens // 2 - 1
    nx[last], ny[last] = x[starts], y[starts]  # close each ring
    with np.errstate(invalid="ignore", over="ignore"):
        seg = np.hypot(nx - x, ny - y)
    perim = np.bincount(pt_owner, weights=np.nan_to_num(seg, nan=np.inf), minlength=n)
    verts = np.bincount(own, weights=lens // 2, minlength=n)
    too_long = perim > MAX_POLYGON_PERIMETER_FACTOR * (hw[:, 0] + hw[:, 1])
    return ok & ~bad_owner & ~too_long & (verts <= MAX_POLYGON_VERTICES)


def _rle_hw_table(img_by_id: Mapping[Any, Any]) -> dict[Any, list]:
    """``[height, width]`` of every image that has both."""
    out = {}
    for k, img in img_by_id.items():
        if isinstance(img, Mapping) and "height" in img and "width" in img:
            out[k] = [img["height"], img["width"]]
    return out


def _all_compressed_rles(items: list, img_by_id: Mapping[Any, Any], ids: list | None = None) -> tuple[list, np.ndarray] | None:
    """The common case of a results file, in a few list passes (one field per pass: on a
    large file every pass misses the cache, and tuples per item would wake the garbage
    collector): every item's ``segmentation`` has ``counts`` and its image's ``size``.
    Returns the counts (their types are checked by the RLE check) and the ``N x 2``
    sizes, or None (then the item-by-item reading of :func:`_first_bad_segmentation`
    applies). ``ids``: every item's ``image_id``, when the caller has them already."""
    try:
        segs = list(map(itemgetter("segmentation"), items))
        counts = list(map(itemgetter("counts"), segs))  # TypeError unless a mapping
        if ids is None:
            ids = list(map(itemgetter("image_id"), items))
        table = _rle_hw_table(img_by_id)
        refs = list(map(table.get, ids))
        if None in refs or not all(map(eq, map(itemgetter("size"), segs), refs)):
            return None
        pos = {k: j for j, k in enumerate(table)}
        hw = np.asarray(list(table.values()), dtype=np.int64).reshape(-1, 2)
        return counts, hw[np.fromiter(map(pos.__getitem__, ids), dtype=np.int64, count=len(ids))]
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


_BAD_RUNS = "segmentation RLE: its runs do not decode to the image's h*w pixels"


def _first_bad_segmentation(
    items: list, img_by_id: Mapping[Any, Any], facts: dict | None = None, image_ids: list | None = None
) -> tuple[int, str] | None:
    """First item whose ``segmentation`` pycocotools must not see (it would crash, stall or
    run out of memory: NaN or far-away polygons, malformed RLE, a size that is not the
    image's), or None. Polygons and compressed RLEs, the bulk of a data set, are checked
    together (:func:`_polygons_ok`, :func:`~rewardkit.parsing.rle_batch.compressed_rles_check`);
    the first failure is then described by the single-item checks. A results file made
    only of compressed RLEs of the right sizes (the common case) is read in a few list
    passes (:func:`_all_compressed_rles`).

    ``facts`` (a dict), when given and nothing is wrong, receives ``"rle_area"``: the
    area (float64) of each item whose segmentation is a compressed RLE, NaN for the
    others: what ``pycocotools.mask.area`` returns for them, computed by the check.
    ``image_ids``: every item's ``image_id``, when the caller has them already.
    """
    from rewardkit.parsing.masks import MaskError, check_polygon_bounds, rle_counts
    from rewardkit.parsing.rle_batch import compressed_rles_check

    fast = _all_compressed_rles(items, img_by_id, image_ids) if items else None
    area: np.ndarray | None = None
    if fast is not None:
        try:
            ok, area = compressed_rles_check(*fast)
        except TypeError:  # counts that are neither str nor bytes: read item by item
            fast = None
    if fast is not None:
        if not ok.all():
            return int(np.argmax(~ok)), _BAD_RUNS
        if facts is not None and area is not None:
            facts["rle_area"] = area.astype(np.float64)
        return None

    rle_idx: list[int] = []
    rle_counts_list: list[str | bytes | bytearray] = []
    rle_hw: list[tuple[int, int]] = []
    polys: list[tuple[int, list, int, int]] = []
    found: tuple[int, str] | None = None
    for i, it in enumerate(items):
        segm = it.get("segmentation")
        if segm is None:
            continue
        img = img_by_id.get(it.get("image_id"))
        if img is None or "height" not in img or "width" not in img:
            found = (i, "its image has no 'height' / 'width' (needed to rasterize the segmentation)")
            break
        h, w = img["height"], img["width"]
        if isinstance(segm, list):
            if not all(isinstance(p, list | tuple) for p in segm):
                found = (i, "segmentation is not a list of polygons")
                break
            polys.append((i, segm, h, w))
        elif isinstance(segm, Mapping):
            size = segm.get("size")
            if not isinstance(size, list | tuple) or len(size) != 2 or list(size) != [h, w]:
                found = (i, f"segmentation RLE size {str(size)[:40]} is not the image's [height, width] {[h, w]}")
                break
            counts = segm.get("counts")
            if isinstance(counts, str | bytes | bytearray):
                rle_idx.append(i)
                rle_counts_list.append(counts)
                rle_hw.append((int(h), int(w)))
            else:
                try:
                    rle_counts(counts, int(h), int(w))
                except (MaskError, TypeError, ValueError, OverflowError) as exc:
                    found = (i, f"segmentation RLE: {str(exc)[:160]}")
                    break
        else:
            found = (i, f"segmentation of type {type(segm).__name__} (expected polygons or an RLE dict)")
            break
    if polys:
        ok = _polygons_ok(polys)
        if not ok.all():
            for j in np.flatnonzero(~ok).tolist():
                i, segm, h, w = polys[j]
                if found is not None and i >= found[0]:
                    break
                try:
                    check_polygon_bounds(segm, (w, h))
                    if any(len(p) < 6 or len(p) % 2 for p in segm):
                        raise MaskError("a polygon with fewer than 3 points")
                except MaskError as exc:
                    found = (i, f"segmentation polygon: {exc}")
                    break
                except (TypeError, ValueError, OverflowError) as exc:
                    found = (i, f"segmentation: {str(exc)[:120]}")
                    break
    area = None
    if rle_idx:
        ok, area = compressed_rles_check(rle_counts_list, np.asarray(rle_hw, dtype=np.int64))
        if not ok.all():
            i = rle_idx[int(np.argmax(~ok))]
            if found is None or i < found[0]:
                found = (i, _BAD_RUNS)
    if found is None and facts is not None:
        facts["rle_area"] = np.full(len(items), np.nan)
        if area is not None:
            facts["rle_area"][rle_idx] = area
    return found


def validate_coco_inputs(
    dataset: Mapping[str, Any], results: list, iou_type: str, facts: dict | None = None
) -> tuple[str, bool] | None:
    """The first problem of a COCO (or LVIS) evaluation's inputs, or ``None``.

    Returns ``(message, reference_returns_numbers)``: the message names the first
    offending annotation (file order) or result; the flag says whether pycocotools
    computes numbers on such data (so ``compat="pycocotools"`` can reproduce them)
    rather than raising, stalling or crashing. Checked, in this order:

    * ground truth: a ``categories`` list (pycocotools raises ``KeyError`` without it);
      annotations with ``image_id`` and ``category_id``; ``segmentation`` of ``segm``
      evaluations bounded and well formed (fatal: NaN or far-away polygons exhaust
      memory or crash pycocotools, malformed RLEs stall it); duplicate annotation ids,
      unknown category ids, non-finite or negative ``bbox`` (``bbox`` evaluations),
      ``area``, non-finite ``keypoints`` (pycocotools returns numbers, silently wrong);
    * results: ``segmentation`` bounded and well formed when used (fatal); non-finite
      ``score``, non-finite or negative ``bbox``, non-finite ``keypoints``.

    Vectorized where the data is large (a 500,000-detection results file takes a fraction
    of the evaluation's time). ``facts`` (a dict), when given, receives what the checks
    computed and the evaluation needs too: ``"result_image_ids"`` and ``"result_scores"``
    (lists, results order) once the results have them, and ``"result_rle_area"``, the
    area of each result whose segmentation is a compressed RLE (NaN for the others; see
    :func:`_first_bad_segmentation`), when the results' segmentations were checked.
    """
    cats = dataset.get("categories")
    if not isinstance(cats, list):
        return "Expected the ground truth to have a 'categories' list (pycocotools raises KeyError without it), but it has none", False
    try:
        cat_ids = {c["id"] for c in cats}
    except (KeyError, TypeError):
        return "Expected every category to have an 'id'", False
    images = dataset.get("images", [])
    try:
        img_by_id = {img["id"]: img for img in images}
    except (KeyError, TypeError):
        return "Expected every image to have an 'id'", False
    anns = dataset.get("annotations", [])
    if not isinstance(anns, list):
        return "Expected 'annotations' to be a list", False
    for i, a in enumerate(anns):
        if not isinstance(a, Mapping) or "image_id" not in a or "category_id" not in a:
            return f"{_describe('annotation', i, a)}: expected 'image_id' and 'category_id' fields", False
    if iou_type == "segm":
        missing = next((i for i, a in enumerate(anns) if "segmentation" not in a), None)
        if missing is not None:
            return f"{_describe('annotation', missing, anns[missing])}: expected a 'segmentation' for iou_type='segm'", False
        bad_segm = _first_bad_segmentation(anns, img_by_id)
        if bad_segm:
            i, why = bad_segm
            return f"Unusable ground truth: {_describe('annotation', i, anns[i])}: {why}", False
    found: list[tuple[int, str]] = []
    seen: dict[Any, int] = {}
    for i, a in enumerate(anns):
        ident = a.get("id")
        if ident is not None:
            try:
                if ident in seen:
                    found.append((i, f"duplicate annotation id {ident} (indexes {seen[ident]} and {i}): pycocotools evaluates the last one twice"))
                    break
                seen[ident] = i
            except TypeError:
                pass
    for i, a in enumerate(anns):
        if a["category_id"] not in cat_ids:
            found.append((i, f"{_describe('annotation', i, a)}: category_id {a['category_id']!r} is not in 'categories'"))
            break
    if iou_type == "bbox":
        bad = _first_bad_boxes(anns, "bbox")
        if bad:
            found.append((bad[0], f"{_describe('annotation', bad[0], anns[bad[0]])}: {bad[1]}"))
    bad = _first_bad_numbers(anns, "area", non_negative=True)
    if bad:
        found.append((bad[0], f"{_describe('annotation', bad[0], anns[bad[0]])}: {bad[1]}"))
    if iou_type == "keypoints":
        bad = _first_bad_numbers(anns, "keypoints")
        if bad:
            found.append((bad[0], f"{_describe('annotation', bad[0], anns[bad[0]])}: {bad[1]}"))
    if found:
        i, msg = min(found)
        return f"Malformed ground truth: {msg}", True
    # results
    try:  # presence; one field per pass (no tuple per result: no garbage-collector churn)
        result_image_ids = list(map(itemgetter("image_id"), results))
        list(map(itemgetter("category_id"), results))
        scores = list(map(itemgetter("score"), results))
    except (KeyError, TypeError):
        i = next(i for i, d in enumerate(results)
                 if not isinstance(d, Mapping) or "image_id" not in d or "category_id" not in d or "score" not in d)
        return f"{_describe('result', i, results[i])}: expected 'image_id', 'category_id' and 'score' fields", False
    uses_segm = iou_type == "segm" or (bool(results) and "bbox" not in results[0] and "segmentation" in results[0])
    if uses_segm:
        computed: dict = {}
        bad_segm = _first_bad_segmentation(results, img_by_id, computed, result_image_ids)
        if bad_segm:
            i, why = bad_segm
            return f"Unusable result: {_describe('result', i, results[i])}: {why}", False
        if facts is not None and "rle_area" in computed:
            facts["result_rle_area"] = computed["rle_area"]
    if facts is not None:
        facts["result_image_ids"], facts["result_scores"] = result_image_ids, scores
    found = []
    bad = _first_bad_numbers(results, "score", values=scores)
    if bad:
        found.append(bad)
    if iou_type in ("bbox", "segm") and results and all("bbox" in d and d["bbox"] != [] for d in results):
        bad = _first_bad_boxes(results, "bbox")
        if bad:
            found.append(bad)
    if iou_type == "keypoints":
        bad = _first_bad_numbers(results, "keypoints")
        if bad:
            found.append(bad)
    if found:
        i, msg = min(found)
        return f"Malformed results: {_describe('result', i, results[i])}: {msg}", True
    return None
