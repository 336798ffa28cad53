r"""``compat="vlm_r1"``: VLM-R1's released reward functions, end to end.

Read from github.com/om-ai-lab/VLM-R1 at commit 90052f478646e38bc67363862f699b7afca6b337
(``vlm_modules/qwen_module.py`` ``iou_reward``; ``grpo_jsonl.py`` ``od_reward``,
``odLength_reward``, ``map_reward``, ``calculate_map``, ``detection_score``,
``repetition_reward``); parsing in :mod:`rewardkit.parsing.public.vlm_r1`.

* ``rec_iou``: the first integer box of the first answer block, resized from the
  model's input pixels to the original image (``pred_frame="qwen25vl"``,
  ``gt_frame="pixel"``, ``image_size``; no resize when the frames are equal), IoU with
  the public "+1" convention (overlaps of 1 px or less score 0, others are continuous);
  anything unreadable scores 0.
* ``od_ap`` / ``od_ap50`` / ``od_length``: the last answer block's last json fence; COCO
  AP (stats[0] / stats[1]) with one category per ground-truth label, predictions whose
  label is not one of them (or whose box cannot be read) dropped, every score 1.0;
  ``None`` as both answers, or no box on both sides, gives 1.0; ``od_length``
  multiplies AP by ``min(1, n_gt / n_items)`` where ``n_items`` counts every item of the
  fence (unreadable ones too). The AP is :func:`rewardkit.geometry.ap.image_ap_per_label`
  (equal to pycocotools); a NaN coordinate runs pycocotools itself. Needs labelled
  ground truth (the public code reads ``gt["label"]``).
* ``weighted_sum``: ``detection_score`` on the lower-cased text; a match whose
  prediction has no readable label reuses the previous match's label (the public
  variable is never reset) and the public code raises when there is none.
* ``repetition``: the public penalty on the whole completion (json items
  ``"{bbox_2d}_{label}"``, else word 6-grams); json that does not parse goes through
  ``json_repair`` (the ``compat`` extra).

Ground truth is read as in the default mode and rendered as the public ``solution``
(```` <answer>```json\n[...]\n```</answer> ````, or ``None`` without objects).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from rewardkit.geometry.ap import AREA_ALL, image_ap_per_label
from rewardkit.parsing.frames import qwen25vl_resize
from rewardkit.parsing.ground_truth import read_box_target
from rewardkit.parsing.public import vlm_r1 as read
from rewardkit.parsing.tags import completion_text
from rewardkit.rewards._common import resize_kwargs
from rewardkit.rewards.compat import (
    bad_gt,
    number_text,
    public_raises,
    require,
    same_frame_or_qwen,
    too_long,
)
from rewardkit.types import RewardResult

__all__ = ["rec_iou", "od", "weighted_sum", "repetition", "plus_one_iou", "od_solution"]

MODE = "vlm_r1"


def plus_one_iou(b1: Any, b2: Any) -> float:
    """The public IoU: ``+1`` on the intersection only (as in ``iou`` of both files)."""
    ix1 = max(b1[0], b2[0])
    iy1 = max(b1[1], b2[1])
    ix2 = min(b1[2] - 1, b2[2] - 1)
    iy2 = min(b1[3] - 1, b2[3] - 1)
    inter = (ix2 - ix1 + 1) * (iy2 - iy1 + 1) if ix1 < ix2 and iy1 < iy2 else 0
    union = (b1[2] - b1[0]) * (b1[3] - b1[1]) + (b2[2] - b2[0]) * (b2[3] - b2[1]) - inter
    return float(inter) / union


def rec_iou(completion: Any, ground_truth: Any, *, pred_frame: str, gt_frame: str, image_size: Any,
            min_pixels: int | None, max_pixels: int | None) -> RewardResult:
    comps = ("iou",)
    content = completion_text(completion)
    if (r := too_long(content, comps)) is not None:
        return r
    target = read_box_target(ground_truth, image_size=image_size)
    if len(target.boxes) != 1:
        raise bad_gt(f"Expected one ground-truth box under compat='vlm_r1' (the public REC reward reads one), but got {len(target.boxes)}")
    resize = same_frame_or_qwen(MODE, pred_frame, target.frame or gt_frame, qwen=True)
    if resize and target.image_size is None:
        raise ValueError("Expected image_size=(width, height) of the original image for the Qwen2.5-VL resize, but got None")
    gt = target.boxes.xyxy[0].tolist()
    value = 0.0
    answer = read.rec_answer(content)
    try:
        box: Sequence[float] | None = read.rec_box(answer) if answer is not None else None
        if box is not None:
            if resize:
                assert target.image_size is not None  # None raised above
                w, h = target.image_size
                in_w, in_h = qwen25vl_resize(w, h, **resize_kwargs(min_pixels, max_pixels))
                box = [box[0] / in_w * w, box[1] / in_h * h, box[2] / in_w * w, box[3] / in_h * h]
            value = plus_one_iou(box, gt)
    except Exception:  # noqa: BLE001 - the public reward catches everything here
        value = 0.0
    return RewardResult(value, {"iou": value}, None, {"compat": MODE})


def od_solution(boxes: Any) -> str:
    if len(boxes) == 0:
        return "<answer>None</answer>"
    items = [{"bbox_2d": [json.loads(number_text(v)) for v in row], **({"label": lab} if lab is not None else {})}
             for row, lab in zip(boxes.xyxy.tolist(), boxes.labels or (None,) * len(boxes))]
    return "<answer>```json\n" + json.dumps(items) + "\n```</answer>"


def _gt_items(target: Any) -> list[dict[str, Any]]:
    boxes = target.boxes
    if len(boxes) and (boxes.labels is None or any(lab is None for lab in boxes.labels)):
        raise bad_gt("Expected a label for every ground-truth box under compat='vlm_r1' (the public code reads gt['label'])")
    lo, hi = AREA_ALL
    items = []
    for row, lab in zip(boxes.xyxy.tolist(), boxes.labels or ()):
        x1, y1, x2, y2 = row
        if not lo <= (x2 - x1) * (y2 - y1) <= hi:
            raise bad_gt("Expected ground-truth boxes inside COCO's area range [0, 1e10] under compat='vlm_r1'")
        items.append({"bbox_2d": row, "label": lab})
    return items


def _pycocotools_stats(rows: list[list[float]], cats: list[int], gt_rows: list[list[float]], gt_cats: list[int], n_cats: int) -> tuple[float, float]:
    """pycocotools itself (a NaN coordinate: its C kernel's NaN handling is its own)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt_json = {
        "images": [{"id": 0, "width": 2048, "height": 2048}],
        "categories": [{"id": k} for k in range(n_cats)],
        "annotations": [{"id": i + 1, "image_id": 0, "category_id": c, "bbox": b, "area": b[2] * b[3], "iscrowd": 0}
                        for i, (b, c) in enumerate(zip(gt_rows, gt_cats))],
    }
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt_json
        coco.createIndex()
        dt = coco.loadRes([{"image_id": 0, "category_id": c, "bbox": b, "score": 1.0} for b, c in zip(rows, cats)])
        ev = COCOeval(coco, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return float(ev.stats[0]), float(ev.stats[1])


def _calculate_map(pred_items: list[Any], gt_items: list[dict[str, Any]], which: str) -> float:
    cats: dict[Any, int] = {}
    for g in gt_items:
        cats.setdefault(g["label"], len(cats))
    rows: list[list[float]] = []
    labels: list[Any] = []
    for item in pred_items:
        try:
            cat = cats[item["label"]]
            b = item["bbox_2d"]
            row = [b[0], b[1], b[2] - b[0], b[3] - b[1]]
            _ = (b[2] - b[0]) * (b[3] - b[1])
        except Exception:  # noqa: BLE001 - the public code skips such items
            continue
        rows.append(row)
        labels.append(cat)
    if not rows:
        return 0.0
    frows = [[float(v) for v in r] for r in rows]  # OverflowError past float: the public code raises too
    gt_rows = [[g["bbox_2d"][0], g["bbox_2d"][1], g["bbox_2d"][2] - g["bbox_2d"][0], g["bbox_2d"][3] - g["bbox_2d"][1]] for g in gt_items]
    gt_cats = [cats[g["label"]] for g in gt_items]
    if any(v != v for r in frows for v in r):
        ap, ap50 = _pycocotools_stats(frows, labels, gt_rows, gt_cats, len(cats))
        return ap if which == "ap" else ap50
    r = image_ap_per_label(np.asarray(frows, dtype=np.float64).reshape(-1, 4), labels,
                           np.asarray(gt_rows, dtype=np.float64).reshape(-1, 4), gt_cats, fmt="xywh")
    if not r.defined:  # pragma: no cover - ground truth is checked to be inside the area range
        return -1.0
    return r.ap if which == "ap" else r.ap50


def od(completion: Any, ground_truth: Any, *, which: str, length: bool, pred_frame: str, gt_frame: str, image_size: Any) -> RewardResult:
    comps = ("ap", "length") if length else (which,)
    content = completion_text(completion)
    if (r := too_long(content, comps)) is not None:
        return r
    target = read_box_target(ground_truth, image_size=image_size)
    same_frame_or_qwen(MODE, pred_frame, target.frame or gt_frame, qwen=False)
    gt_items = _gt_items(target)
    details: dict[str, Any] = {"compat": MODE}
    student = read.od_answer(content)
    if student is None:
        return RewardResult(0.0, dict.fromkeys(comps, 0.0), None, details)
    if not gt_items and student == "None":
        return RewardResult(1.0, dict.fromkeys(comps, 1.0), None, details)
    pred_items = read.fenced_items(student)
    try:
        if pred_items and gt_items:
            value = _calculate_map(pred_items, gt_items, which)
        else:
            value = 1.0 if not pred_items and not gt_items else 0.0
    except OverflowError:
        return public_raises(comps, **details)
    details.update(n_items=len(pred_items), n_gt=len(gt_items))
    if not length:
        return RewardResult(value, {which: value}, None, details)
    factor = 1.0 if len(gt_items) >= len(pred_items) else len(gt_items) / len(pred_items)
    return RewardResult(value * factor, {"ap": value, "length": factor}, None, details)


_UNSET = object()


def _lower(x: Any) -> str:
    return x.lower()


def weighted_sum(completion: Any, ground_truth: Any, *, iou_threshold: float, alpha: float, beta: float, gamma: float,
                 pred_frame: str, gt_frame: str, image_size: Any) -> RewardResult:
    comps = ("position", "label", "completeness")
    content = completion_text(completion)
    if (r := too_long(content, comps)) is not None:
        return r
    target = read_box_target(ground_truth, image_size=image_size)
    same_frame_or_qwen(MODE, pred_frame, target.frame or gt_frame, qwen=False)
    details: dict[str, Any] = {"compat": MODE}
    clean = read.clean_text(content)
    sol = read.clean_text(od_solution(target.boxes))
    if sol == "none":
        v = 1.0 if clean == "none" else 0.0
        return RewardResult(v, dict.fromkeys(comps, v), None, details)
    pred = read.first_fenced_items(clean)
    gt = read.first_fenced_items(sol)
    if not gt:  # pragma: no cover - a rendered solution always has boxes here
        v = 1.0 if not pred else 0.0
        return RewardResult(v, dict.fromkeys(comps, v), None, details)
    if not pred:
        return RewardResult(0.0, dict.fromkeys(comps, 0.0), None, details)
    ious = []
    for p in pred:
        row = []
        for g in gt:
            try:
                row.append(plus_one_iou(p["bbox_2d"], g["bbox_2d"]))
            except Exception:  # noqa: BLE001
                row.append(0.0)
        ious.append(row)
    free_p = list(range(len(pred)))
    free_g = list(range(len(gt)))
    matches: list[tuple[float, bool]] = []
    pred_label: Any = _UNSET
    gt_label: Any = ""
    best: float  # an IoU from `ious` (or the -1 start)
    while free_p and free_g:
        best, bp, bg = -1, -1, -1
        for i in free_p:
            for j in free_g:
                if ious[i][j] > best:
                    best, bp, bg = ious[i][j], i, j
        if best < iou_threshold:
            break
        try:
            pred_label = _lower(pred[bp]["label"])
        except Exception:  # noqa: BLE001 - the public code keeps the previous label
            pass
        try:
            gt_label = _lower(gt[bg]["label"])
        except Exception:  # noqa: BLE001
            gt_label = ""
        if pred_label is _UNSET:
            return public_raises(comps, **details, error="NameError")
        ok = pred_label == gt_label
        matches.append((best if ok else 0, ok))
        free_p.remove(bp)
        free_g.remove(bg)
    position = sum(m[0] for m in matches) / len(gt) if matches else 0.0
    label = sum(1.0 for m in matches if m[1]) / len(gt) if matches else 0.0
    miss = len(free_g) / len(gt)
    false_alarm = len(free_p) / len(pred)
    completeness = 1.0 - (miss + false_alarm) / 2.0
    value = (alpha * position + beta * label + gamma * completeness) / (alpha + beta + gamma)
    details.update(matched=len(matches), n_pred=len(pred), n_gt=len(gt))
    return RewardResult(value, {"position": position, "label": label, "completeness": completeness}, None, details)


def repetition(completion: Any) -> RewardResult:
    comps = ("repetition",)
    content = completion_text(completion)
    if (r := too_long(content, comps, -1.0)) is not None:
        return r
    repair = require("json_repair", MODE)
    details: dict[str, Any] = {"compat": MODE}
    if content == "":
        return RewardResult(0.0, {"repetition": 0.0}, None, details)
    payload = read.repetition_payload(content)
    if payload:
        try:
            data = json.loads(payload)
        except json.JSONDecodeError:
            try:
                data = json.loads(repair.repair_json(payload))
            except Exception:  # noqa: BLE001
                data = None
        except RecursionError:
            return public_raises(comps, -1.0, **details)
        if data and isinstance(data, list):
            try:
                items = [f"{item['bbox_2d']}_{item['label']}" for item in data if "bbox_2d" in item and "label" in item]
            except KeyError:  # pragma: no cover - the membership test rules it out for dicts
                items = None
            except Exception:  # noqa: BLE001 - e.g. an int item: the public code raises
                return public_raises(comps, -1.0, **details)
            if items is not None:
                if not items:
                    return RewardResult(0.0, {"repetition": 0.0}, None, details)
                v = (1 - len(set(items)) / len(items)) * -1.0
                return RewardResult(v, {"repetition": v}, None, {**details, "unit": "boxes"})
    if len(content.split()) < 6:
        return RewardResult(0.0, {"repetition": 0.0}, None, details)
    words = content.lower().split()
    grams = list(zip(*[words[i:] for i in range(6)]))
    if not grams:  # lower-casing changed the word count: the public division by zero
        return public_raises(comps, -1.0, **details)
    v = (1 - len(set(grams)) / len(grams)) * -1.0
    return RewardResult(v, {"repetition": v}, None, {**details, "unit": "ngrams"})
