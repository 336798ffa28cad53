"""VLM-R1's per-completion AP reward as the public code computes it: ``od_reward`` ->
``map_reward`` -> ``calculate_map`` (om-ai-lab/VLM-R1 at commit 90052f4,
``src/open-r1-multimodal/src/open_r1/grpo_jsonl.py``), read and rewritten plainly:
regexes for the answer block and the last json fence, ``json.loads``, then a fresh
pycocotools ``COCO`` + ``COCOeval`` (evaluate, accumulate, summarize) per completion.

The public code imports a vendored pycocotools whose ``COCO`` accepts a dict; with the
released pycocotools the same is ``COCO()`` + ``dataset`` + ``createIndex()``. Its
``summarize`` prints; the print goes to a buffer here. Used only as a benchmark
baseline (``bench_core.py``).
"""

from __future__ import annotations

import contextlib
import io
import json
import re

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def _xywh(b):
    return [b[0], b[1], b[2] - b[0], b[3] - b[1]]


def calculate_map(pred_bbox_list, gt_bbox_list, score_type=0):
    gt_json = {"annotations": [], "images": [{"id": 0, "width": 2048, "height": 2048, "file_name": "image_0.jpg"}], "categories": []}
    cats2id = {}
    for idx, g in enumerate(gt_bbox_list):
        if g["label"] not in cats2id:
            cats2id[g["label"]] = len(cats2id)
            gt_json["categories"].append({"id": cats2id[g["label"]], "name": g["label"]})
        b = g["bbox_2d"]
        gt_json["annotations"].append({"id": idx + 1, "image_id": 0, "category_id": cats2id[g["label"]], "bbox": _xywh(b),
                                       "area": (b[2] - b[0]) * (b[3] - b[1]), "iscrowd": 0})
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = gt_json
        coco_gt.createIndex()
        dt_json = []
        for p in pred_bbox_list:
            try:
                b = p["bbox_2d"]
                dt_json.append({"image_id": 0, "category_id": cats2id[p["label"]], "bbox": _xywh(b), "score": 1.0,
                                "area": (b[2] - b[0]) * (b[3] - b[1])})
            except Exception:  # the public code: a bare except drops the prediction
                pass
        if not dt_json:
            return 0.0
        coco_eval = COCOeval(coco_gt, coco_gt.loadRes(dt_json), "bbox")
        coco_eval.evaluate()
        coco_eval.accumulate()
        coco_eval.summarize()
    return coco_eval.stats[score_type]


_FENCE = re.compile(r"```json(.*?)```", re.DOTALL)
_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)


def map_reward(content, sol, score_type=0):
    m = _FENCE.findall(sol)
    gt = list(json.loads(m[-1].strip())) if m else []
    pred = []
    m = _FENCE.findall(content)
    if m:
        try:
            pred = list(json.loads(m[-1].strip()))
        except Exception:
            pred = []
    if pred and gt:
        return calculate_map(pred, gt, score_type)
    return 1.0 if not pred and not gt else 0.0


def od_reward(content, sol, score_type=0):
    s = _ANSWER.search(sol)
    ground_truth = s.group(1).strip() if s else None
    c = _ANSWER.findall(content)
    student_answer = c[-1].strip() if c else None
    if student_answer is None:
        return 0.0
    if ground_truth == "None" and student_answer == "None":
        return 1.0
    return map_reward(student_answer, ground_truth, score_type)
