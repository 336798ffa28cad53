"""Benchmarks: per-completion AP (VLM-R1 od_ap) and Vision-R1's localization reward.

Groups (reference timed in the same group, so the ratio reads from one run):

* ``ap-kernel-<n>gt-<m>pred``: :func:`rewardkit.geometry.ap.image_ap` (the AP kernel, no
  parsing; the end-to-end reward is ``reward-od_ap-*`` in ``bench_core.py``) against the public approach,
  a fresh pycocotools ``COCO`` + ``COCOeval`` (evaluate, accumulate, summarize) per
  completion. Each round scores a batch of seeded completions.
* ``vision_r1_localization``: ``vision_r1.localization`` on a group of 8 completions
  (``score_batch``: the ground truth is parsed once) with 30 boxes each.

Default sizes are small (CI smoke run with ``--benchmark-disable``); ``RK_BENCH_FULL=1``
runs the sizes of the issue.
"""

from __future__ import annotations

import contextlib
import io
import json
import os

import numpy as np
import pytest
from _harness import label

from rewardkit.geometry.ap import image_ap
from rewardkit.registry import Reward

FULL = os.environ.get("RK_BENCH_FULL") == "1"
N_COMPLETIONS = 64 if FULL else 4
AP_SIZES = [(5, 8), (30, 30)] if FULL else [(5, 8)]
GROUP_BOXES = 30 if FULL else 5


def _cases(n_gt: int, n_pred: int, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        gt = np.column_stack([rng.uniform(0, 800, (n_gt, 2)), rng.uniform(20, 200, (n_gt, 2))])
        k = min(n_gt, n_pred)
        dt = gt[rng.integers(0, n_gt, k)] + rng.normal(0, 5, (k, 4))
        extra = np.column_stack([rng.uniform(0, 800, (n_pred - k, 2)), rng.uniform(20, 200, (n_pred - k, 2))])
        dt = np.vstack([dt, extra])
        dt[:, 2:] = np.maximum(dt[:, 2:], 1.0)
        out.append((dt, gt))
    return out


def _pycocotools_ap(dt, gt):
    """The public approach (VLM-R1 calculate_map): a fresh evaluator per completion."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = {
            "images": [{"id": 0, "width": 2048, "height": 2048}],
            "categories": [{"id": 0, "name": "object"}],
            "annotations": [
                {"id": i + 1, "image_id": 0, "category_id": 0, "bbox": b.tolist(), "area": float(b[2] * b[3]), "iscrowd": 0}
                for i, b in enumerate(gt)
            ],
        }
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes([{"image_id": 0, "category_id": 0, "bbox": b.tolist(), "score": 1.0} for b in dt])
        ev = COCOeval(coco_gt, coco_dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats[0]


@pytest.mark.parametrize(("n_gt", "n_pred"), AP_SIZES)
def test_completion_ap_rewardkit(benchmark, n_gt, n_pred):
    label(benchmark, f"ap-kernel-{n_gt}gt-{n_pred}pred", "rewardkit")
    cases = _cases(n_gt, n_pred, N_COMPLETIONS)
    out = benchmark(lambda: [image_ap(dt, gt, fmt="xywh").ap for dt, gt in cases])
    assert len(out) == len(cases)


@pytest.mark.parametrize(("n_gt", "n_pred"), AP_SIZES)
def test_completion_ap_pycocotools_fresh_evaluator(benchmark, n_gt, n_pred):
    label(benchmark, f"ap-kernel-{n_gt}gt-{n_pred}pred", "pycocotools-fresh-evaluator")
    cases = _cases(n_gt, n_pred, N_COMPLETIONS)
    out = benchmark(lambda: [_pycocotools_ap(dt, gt) for dt, gt in cases])
    assert out == [image_ap(dt, gt, fmt="xywh").ap for dt, gt in cases]


def _group(n_boxes: int, g: int = 8, seed: int = 1):
    rng = np.random.default_rng(seed)
    gt_xyxy = []
    for _ in range(n_boxes):
        x, y = rng.uniform(0, 850, 2)
        w, h = rng.uniform(20, 140, 2)
        gt_xyxy.append([round(x), round(y), round(min(x + w, 1000)), round(min(y + h, 1000))])
    gt = {"boxes": gt_xyxy, "labels": ["object"] * n_boxes}
    completions = []
    for _ in range(g):
        items = []
        for b in gt_xyxy:
            jit = rng.normal(0, 4, 4)
            nb = np.clip(np.array(b) + jit, 0, 1000).round().tolist()
            nb = [min(nb[0], nb[2] - 1), min(nb[1], nb[3] - 1), nb[2], nb[3]]
            items.append({"bbox_2d": nb, "label": "object"})
        completions.append("<think>counting</think><answer>" + json.dumps(items) + "</answer>")
    return completions, gt


@pytest.mark.benchmark(group="vision_r1_localization")
def test_vision_r1_localization_group_of_8(benchmark):
    completions, gt = _group(GROUP_BOXES)
    reward = Reward("vision_r1.localization")
    out = benchmark(lambda: reward.score_batch(completions, gt, step=10, max_steps=100))
    assert len(out) == 8 and all(r.score is not None and r.score > 1.0 for r in out)
    stats = getattr(benchmark, "stats", None)
    if stats is not None and getattr(stats, "stats", None) is not None:
        benchmark.extra_info["completions_per_second"] = 8 / stats.stats.mean
