"""LVIS evaluation speed: rewardkit's native engine vs lvis-api 0.5.3 (same data, same group).

Synthetic LVIS-like set (``benchmark_set(lvis=True)``: federated ``neg_category_ids`` and
``not_exhaustive_category_ids``, r/c/f frequencies). Default: 100 images, 300
categories, ~10 ground truths and 300 detections per image; ``RK_BENCH_FULL=1``: 2,000
images, 1,203 categories. lvis-api needs ``np.float``, restored for its call only.

    .venv/bin/pytest benchmarks/bench_lvis.py --benchmark-only
"""

from __future__ import annotations

import copy
import logging
import os

import numpy as np
import pytest
from _harness import label, rounds

from rewardkit.metrics.lvis import lvis_evaluate
from tests._helpers.coco_synth import benchmark_set

FULL = os.environ.get("RK_BENCH_FULL") == "1"
N_IMAGES = 2000 if FULL else 100
N_CATS = 1203 if FULL else 300
ROUNDS = rounds(2 if FULL else 3)


@pytest.fixture(scope="module")
def data():
    return benchmark_set(1, n_images=N_IMAGES, n_cats=N_CATS, gt_per_image=10, dt_per_image=300, lvis=True)


def _lvis_api(gt, dt):
    had = hasattr(np, "float")
    if not had:
        np.float = float  # type: ignore[attr-defined]
    try:
        from lvis import LVIS, LVISEval, LVISResults

        logging.getLogger("lvis").setLevel(logging.ERROR)
        g = LVIS.__new__(LVIS)
        g.logger = logging.getLogger("lvis.lvis")
        g.dataset = gt
        g._create_index()
        E = LVISEval(g, LVISResults(g, dt), "bbox")
        E.run()
        return dict(E.results)
    finally:
        if not had:
            del np.float  # type: ignore[attr-defined]


def _run(benchmark, fn, data, impl):
    gt, dt = data
    label(benchmark, f"lvis-bbox-{N_IMAGES}img-{N_CATS}cat", impl)
    return benchmark.pedantic(
        fn, setup=lambda: ((copy.deepcopy(gt), copy.deepcopy(dt)), {}), rounds=ROUNDS, iterations=1
    )


def test_native(benchmark, data):
    r = _run(benchmark, lambda g, d: lvis_evaluate(g, d, "bbox"), data, "rewardkit")
    assert "APr" in r


def test_lvis_api(benchmark, data):
    pytest.importorskip("lvis")
    ref = _run(benchmark, _lvis_api, data, "lvis-api")
    gt, dt = data
    ours = lvis_evaluate(gt, dt, "bbox")
    for k, v in ref.items():
        assert ours[k] == float(v), k


if __name__ == "__main__":
    import time

    gt, dt = benchmark_set(1, n_images=N_IMAGES, n_cats=N_CATS, gt_per_image=10, dt_per_image=300, lvis=True)
    print(f"{N_IMAGES} images, {N_CATS} categories, {len(gt['annotations'])} gt, {len(dt)} detections")
    for name, fn in (("native", lambda g, d: lvis_evaluate(g, d, "bbox")), ("lvis-api", _lvis_api)):
        g, d = copy.deepcopy(gt), copy.deepcopy(dt)
        t = time.perf_counter()
        fn(g, d)
        print(f"{name}: {time.perf_counter() - t:.2f}s")
