"""COCO evaluation speed: rewardkit's native engine vs pycocotools vs faster-coco-eval.

Synthetic COCO-like sets (``tests._helpers.coco_synth.benchmark_set``: 80 categories,
~7 ground truths and 100 detections per image, 5% crowd, scores with ties). Groups
``coco-<iou_type>-<n>img``, implementations ``rewardkit`` / ``pycocotools`` /
``faster-coco-eval`` (naming convention: ``_harness.py``):

* small evaluations, where fixed costs dominate: 1, 10 and 100 images (bbox and segm),
  and ``coco-<iou_type>-1img-tiny`` (``synthetic_coco``: one image, one category, 3
  ground truths, 5 detections: a per-completion-sized evaluation);
* large ones: segm 40 images by default (quick mode); ``RK_BENCH_FULL=1`` adds segm 100,
  bbox 5,000 images and segm 500 and 2,000 (the issues' sizes).

Every evaluator gets fresh copies of the inputs (pycocotools and faster-coco-eval mutate
them); copying is not timed. Rounds: many on small sets, few on large ones
(``RK_BENCH_ROUNDS`` overrides); the ratio uses the min of rounds.

    .venv/bin/pytest benchmarks/bench_coco.py --benchmark-only
    RK_BENCH_FULL=1 .venv/bin/pytest benchmarks/bench_coco.py --benchmark-only
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests._helpers when run as a script
from _harness import FULL, label, rounds  # noqa: E402

from rewardkit.metrics.coco import coco_evaluate  # noqa: E402
from tests._helpers.coco_synth import benchmark_set, synthetic_coco  # noqa: E402

# (iou_type, n_images); "tiny": one image, one category, 3 ground truths, 5 detections
CASES = [("bbox", "tiny"), ("segm", "tiny"), ("bbox", 1), ("bbox", 10), ("bbox", 100), ("segm", 1), ("segm", 10)]
CASES += [("segm", 100), ("bbox", 5000), ("segm", 500), ("segm", 2000)] if FULL else [("segm", 40)]


def _rounds(n_images: int) -> int:
    return rounds(15 if n_images <= 10 else 5 if n_images <= 100 else 3 if n_images <= 500 or not FULL else 2)


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"{c[0]}-{c[1]}" + ("" if c[1] == "tiny" else "img"))
def data(request):
    iou_type, size = request.param
    if size == "tiny":
        gt, dt = synthetic_coco(0, n_images=1, n_cats=1, gt_per_image=3, dt_per_image=5, iou_type=iou_type,
                                empty_frac=0.0, crowd_frac=0.0)
        return iou_type, "1img-tiny", 1, gt, dt
    gt, dt = benchmark_set(0, n_images=size, iou_type=iou_type)
    return iou_type, f"{size}img", size, gt, dt


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


def _run(benchmark, fn, data, impl):
    iou_type, name, n_images, gt, dt = data
    label(benchmark, f"coco-{iou_type}-{name}", impl)
    return benchmark.pedantic(
        lambda g, d: fn(g, d, iou_type), setup=lambda: _copies(gt, dt), rounds=_rounds(n_images), iterations=1
    )


def test_native(benchmark, data):
    stats = _run(benchmark, lambda g, d, t: np.asarray(coco_evaluate(g, d, t)["stats"]), data, "rewardkit")
    assert stats.shape == (12,)


def test_pycocotools(benchmark, data):
    stats = _run(benchmark, _pycocotools, data, "pycocotools")
    iou_type, _, _, gt, dt = data
    # same numbers as the native engine (bit-identical)
    assert stats.tolist() == coco_evaluate(gt, dt, iou_type)["stats"]


def test_faster_coco_eval(benchmark, data):
    pytest.importorskip("faster_coco_eval")
    stats = _run(benchmark, _faster, data, "faster-coco-eval")
    assert stats.shape == (12,)


# ----------------------------------------------------------------------------- memory
# ``python benchmarks/bench_coco.py [bbox|segm] [n_images]`` measures, for each evaluator in
# a fresh subprocess, the wall time and the peak resident set size growth (ru_maxrss);
# with ``--tracemalloc`` also the tracemalloc peak (Python and numpy allocations; it slows
# pycocotools' pure-Python loop about 15x, so use it on small sizes).

_CHILD = r"""
import sys, time, tracemalloc, resource, pickle
sys.path.insert(0, {root!r})
sys.path.insert(0, {root!r} + "/benchmarks")
from bench_coco import _pycocotools, _faster
from rewardkit.metrics.coco import coco_evaluate
with open({path!r}, "rb") as f:
    gt, dt = pickle.load(f)
name, iou_type = {name!r}, {iou_type!r}
fn = {{"native": lambda g, d, t: coco_evaluate(g, d, t)["stats"], "pycocotools": _pycocotools,
      "faster_coco_eval": _faster}}[name]
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if {trace!r}:
    tracemalloc.start()
t = time.perf_counter()
fn(gt, dt, iou_type)
dt_s = time.perf_counter() - t
peak = tracemalloc.get_traced_memory()[1] if {trace!r} else 0
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{{name}} time={{dt_s:.2f}}s tracemalloc_peak={{peak / 2**20:.0f}}MiB rss_growth={{(rss1 - rss0) / 1024:.0f}}MiB")
"""


def _memory_main(iou_type: str, n_images: int, traces=(False,)) -> None:
    import pickle
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[1])
    gt, dt = benchmark_set(0, n_images=n_images, iou_type=iou_type)
    with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as f:
        pickle.dump((gt, dt), f)
    print(f"{iou_type}: {n_images} images, {len(gt['annotations'])} gt, {len(dt)} detections")
    for trace in traces:
        for name in ("native", "pycocotools", "faster_coco_eval"):
            code = _CHILD.format(root=root, path=f.name, name=name, iou_type=iou_type, trace=trace)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            print(("[tracemalloc] " if trace else "") + (out.stdout.strip() or out.stderr[-500:]))
    os.unlink(f.name)


if __name__ == "__main__":
    _memory_main(
        sys.argv[1] if len(sys.argv) > 1 else "bbox",
        int(sys.argv[2]) if len(sys.argv) > 2 else 200,
        (False, True) if "--tracemalloc" in sys.argv else (False,),
    )
