"""COCO evaluation speed: rewardkit's native engine vs pycocotools vs faster-coco-eval.

Synthetic COCO-like sets (``rewardkit.metrics._coco_synth.benchmark_set``): by default
small (200 images bbox, 40 images segm) so that ``--benchmark-disable`` is a quick smoke
test; ``RK_BENCH_FULL=1`` uses the issue's sizes (5,000 images, 80 categories, ~7 ground
truths and 100 detections per image; segm 500 images). Each group times the references
on the same data, so the ratio reads off one run. Every evaluator gets fresh copies of
the inputs (pycocotools and faster-coco-eval mutate them); copying is not timed.

    .venv/bin/pytest benchmarks/bench_coco.py --benchmark-only
    RK_BENCH_FULL=1 .venv/bin/pytest benchmarks/bench_coco.py --benchmark-only
"""

from __future__ import annotations

import contextlib
import copy
import io
import os

import numpy as np
import pytest

from rewardkit.metrics._coco_synth import benchmark_set
from rewardkit.metrics.coco import coco_evaluate

FULL = os.environ.get("RK_BENCH_FULL") == "1"
SIZES = {"bbox": 5000 if FULL else 200, "segm": 500 if FULL else 40}
ROUNDS = 1 if FULL else 3


@pytest.fixture(scope="module", params=["bbox", "segm"])
def data(request):
    iou_type = request.param
    gt, dt = benchmark_set(0, n_images=SIZES[iou_type], iou_type=iou_type)
    return iou_type, gt, dt


def _copies(gt, dt):
    return (copy.deepcopy(gt), copy.deepcopy(dt)), {}


def _pycocotools(gt, dt, iou_type):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt
        coco.createIndex()
        E = COCOeval(coco, coco.loadRes(dt), iou_type)
        E.evaluate()
        E.accumulate()
        E.summarize()
    return np.asarray(E.stats)


def _faster(gt, dt, iou_type):
    from faster_coco_eval import COCO, COCOeval_faster

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt
        coco.createIndex()
        E = COCOeval_faster(coco, coco.loadRes(dt), iou_type)
        E.evaluate()
        E.accumulate()
        E.summarize()
    return np.asarray(E.stats)


def _run(benchmark, fn, data):
    iou_type, gt, dt = data
    benchmark.group = f"coco-{iou_type}-{SIZES[iou_type]}img"
    return benchmark.pedantic(
        lambda g, d: fn(g, d, iou_type), setup=lambda: _copies(gt, dt), rounds=ROUNDS, iterations=1
    )


def test_native(benchmark, data):
    stats = _run(benchmark, lambda g, d, t: np.asarray(coco_evaluate(g, d, t)["stats"]), data)
    assert stats.shape == (12,)


def test_pycocotools(benchmark, data):
    stats = _run(benchmark, _pycocotools, data)
    iou_type, gt, dt = data
    # same numbers as the native engine (bit-identical)
    assert stats.tolist() == coco_evaluate(gt, dt, iou_type)["stats"]


def test_faster_coco_eval(benchmark, data):
    pytest.importorskip("faster_coco_eval")
    stats = _run(benchmark, _faster, data)
    assert stats.shape == (12,)
