"""Running the reference implementations (pycocotools, faster-coco-eval) on copies of the inputs."""

from __future__ import annotations

import contextlib
import copy
import io

import numpy as np

from rewardkit.metrics.coco.params import CocoParams
from rewardkit.metrics.coco.prepare import ids_list

__all__ = ["run_reference"]


def run_reference(dataset: dict, results: list, iou_type: str, p: CocoParams, backend: str):
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
    cat_ids = ids_list(np.unique(E.params.catIds)) if p.useCats else [-1]
    names = {c["id"]: c.get("name", str(c["id"])) for c in dataset.get("categories", [])}
    p2 = copy.deepcopy(p)
    p2.maxDets = sorted(p.maxDets)
    return ev, p2, cat_ids, [names.get(c, "all" if c == -1 else str(c)) for c in cat_ids]
