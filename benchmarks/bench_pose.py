"""Benchmarks: per-completion keypoint AP (pose.keypoint_ap) and multi-person OKS.

Groups (reference timed in the same group, so the ratio reads from one run):

* ``keypoint-ap-kernel-<n>gt-<m>pred``: :func:`rewardkit.geometry.keypoints.keypoint_image_ap` against a fresh
  pycocotools ``COCO`` + ``COCOeval(iouType="keypoints")`` (evaluate, accumulate,
  summarize) per completion, the way a per-completion AP is computed with pycocotools.
* ``multi_oks``: ``pose.multi_oks`` on a group of 8 completions (``score_batch``).

Default sizes are small (CI smoke run with ``--benchmark-disable``); ``RK_BENCH_FULL=1``
runs larger ones.
"""

from __future__ import annotations

import contextlib
import io
import json
import os

import numpy as np
import pytest
from _harness import label

from rewardkit.geometry.keypoints import keypoint_image_ap
from rewardkit.registry import Reward

FULL = os.environ.get("RK_BENCH_FULL") == "1"
N_COMPLETIONS = 64 if FULL else 4
SIZES = [(3, 4), (10, 20)] if FULL else [(3, 4)]
K = 17


def _cases(n_gt: int, n_pred: int, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        centers = rng.uniform(100, 1500, (n_gt, 1, 2))
        gt_xy = centers + rng.normal(0, 40, (n_gt, K, 2))
        gt = np.concatenate([gt_xy, np.full((n_gt, K, 1), 2.0)], axis=2)
        areas = np.full(n_gt, 6400.0)
        k = min(n_gt, n_pred)
        dt = np.concatenate([gt_xy[:k] + rng.normal(0, 4, (k, K, 2)),
                             rng.uniform(100, 1500, (n_pred - k, 1, 2)) + rng.normal(0, 40, (n_pred - k, K, 2))])
        out.append((dt, gt, areas))
    return out


def _pycocotools_kp_ap(dt, gt, areas):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        cg = COCO()
        cg.dataset = {
            "images": [{"id": 1, "width": 2000, "height": 2000}],
            "categories": [{"id": 1, "name": "person"}],
            "annotations": [
                {"id": i + 1, "image_id": 1, "category_id": 1, "keypoints": g.ravel().tolist(), "num_keypoints": K,
                 "area": float(a), "bbox": [0.0, 0.0, 1.0, 1.0], "iscrowd": 0}
                for i, (g, a) in enumerate(zip(gt, areas))
            ],
        }
        cg.createIndex()
        cd = cg.loadRes([{"image_id": 1, "category_id": 1, "score": 1.0,
                          "keypoints": np.concatenate([p, np.full((K, 1), 2.0)], 1).ravel().tolist()} for p in dt])
        ev = COCOeval(cg, cd, "keypoints")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats[0]


@pytest.mark.parametrize(("n_gt", "n_pred"), SIZES)
def test_keypoint_ap_rewardkit(benchmark, n_gt, n_pred):
    label(benchmark, f"keypoint-ap-kernel-{n_gt}gt-{n_pred}pred", "rewardkit")
    cases = _cases(n_gt, n_pred, N_COMPLETIONS)
    out = benchmark(lambda: [keypoint_image_ap(dt, gt, a).ap for dt, gt, a in cases])
    assert len(out) == len(cases)


@pytest.mark.parametrize(("n_gt", "n_pred"), SIZES)
def test_keypoint_ap_pycocotools_fresh_evaluator(benchmark, n_gt, n_pred):
    label(benchmark, f"keypoint-ap-kernel-{n_gt}gt-{n_pred}pred", "pycocotools-fresh-evaluator")
    cases = _cases(n_gt, n_pred, N_COMPLETIONS)
    out = benchmark(lambda: [_pycocotools_kp_ap(dt, gt, a) for dt, gt, a in cases])
    assert out == [keypoint_image_ap(dt, gt, a).ap for dt, gt, a in cases]


@pytest.mark.benchmark(group="multi_oks")
def test_multi_oks_group(benchmark):
    dt, gt, areas = _cases(6, 8, 1)[0]
    gt_payload = [{"keypoints": g.ravel().tolist(), "area": float(a)} for g, a in zip(gt, areas)]
    rng = np.random.default_rng(3)
    completions = [f"<think>t</think><answer>{json.dumps((dt + rng.normal(0, 2, dt.shape)).round(1).tolist())}</answer>" for _ in range(8)]
    reward = Reward("pose.multi_oks")
    out = benchmark(lambda: reward.score_batch(completions, gt_payload))
    assert len(out) == 8 and all(0 < r.score < 1 for r in out)
