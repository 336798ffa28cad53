"""Loading COCO inputs: annotation sets, results lists, and segmentations as RLE."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["load_gt", "load_results", "results_to_rles", "ann_to_rle", "segm_rles", "chunked"]


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
