"""Scaling out: score engines, COCO shard merging, veRL reward workers.

* ``score-engines``: ``rewardkit score`` on a rollout file (2% hostile rows) in one
  process, ``--workers 2`` (a process pool) and ``--engine ray --workers 2`` (a local
  Ray with 2 CPUs, started by the command). Each run is a fresh ``python -m
  rewardkit.cli`` process, timed from start to exit (Ray's start included); the driver's
  resident memory is sampled every 20 ms (the Ray engine's workers and raylet are other
  processes). ``extra_info``: rows/s and the driver's peak MiB, at two sizes, to show
  that the driver's memory does not grow with the input.
* ``coco-merge``: COCO bbox on the synthetic benchmark set: one pass, 16 matched shards
  (``coco_evaluate_sharded``, run one after the other here: the total work), the merge
  alone (concatenate 16 matched shards and accumulate: what the driver does when the
  shards run elsewhere), and 16 ``CocoEvaluator`` states merged then computed.
* ``verl-workers``: calls per second of ``rewardkit.adapters.verl.compute_score`` inside
  each of veRL's reward-loop workers (``reward.num_workers=2``, step-aware manager),
  measured by a probe around the call (first call excluded), next to the same calls in
  this process.

Default sizes are small (the CI smoke run); ``RK_BENCH_FULL=1`` uses the issue's sizes
(1,000,000 rows; 5,000 images). The Ray benchmarks run with ``RK_BENCH_FULL=1`` or
``RK_BENCH_RAY=1`` only (a Ray start costs more than the smoke run's budget).

    RK_BENCH_FULL=1 .venv/bin/pytest benchmarks/bench_scaling.py --benchmark-only -s
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rewardkit.metrics.coco import CocoEvaluator, coco_evaluate
from rewardkit.metrics.coco.shards import (
    coco_evaluate_sharded,
    match_job,
    merge_shards,
    split_by_image,
)
from tests._helpers.coco_synth import benchmark_set
from tests._helpers.hostile_rows import write_hostile_jsonl

FULL = os.environ.get("RK_BENCH_FULL") == "1"
RAY = FULL or os.environ.get("RK_BENCH_RAY") == "1"
ROOT = Path(__file__).resolve().parents[1]
ROWS = [100_000, 1_000_000] if FULL else [5_000, 20_000]
N_IMAGES = 5000 if FULL else 200


# ----------------------------------------------------------------------------- engines


@pytest.fixture(scope="module")
def rollouts(tmp_path_factory):
    d = tmp_path_factory.mktemp("rollouts")
    return {n: write_hostile_jsonl(d / f"r{n}.jsonl", n, seed=n, hostile=0.02) for n in ROWS}


def _run_cli(args: list[str]) -> tuple[float, float]:
    """Wall seconds and the driver's peak RSS (MiB) of ``python -m rewardkit.cli ARGS``."""
    import psutil

    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "rewardkit.cli", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    peak = 0
    ps = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            peak = max(peak, ps.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.02)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    assert proc.wait() == 0, err[-2000:]
    return time.perf_counter() - t0, peak / 2**20


ENGINES = {
    "one-process": [],
    "workers-2": ["--workers", "2"],
    "ray-2-workers": ["--engine", "ray", "--workers", "2"],
}


@pytest.mark.parametrize("n_rows", ROWS)
@pytest.mark.parametrize("engine", list(ENGINES))
def test_score_engines(benchmark, rollouts, tmp_path, engine, n_rows):
    if engine.startswith("ray") and not RAY:
        pytest.skip("the Ray engine benchmark runs with RK_BENCH_FULL=1 or RK_BENCH_RAY=1")
    pytest.importorskip("psutil")
    benchmark.group = f"score-engines-{n_rows}"
    src = rollouts[n_rows]
    out = tmp_path / "out.jsonl"
    result = {}

    def run():
        result["wall"], result["peak"] = _run_cli(["score", str(src), "-o", str(out), "-q", *ENGINES[engine]])

    benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(rows=n_rows, rows_per_s=round(n_rows / result["wall"]), driver_peak_mib=round(result["peak"], 1))
    print(f"\n[{engine}] {n_rows} rows: {result['wall']:.1f} s, {n_rows / result['wall']:,.0f} rows/s, driver peak {result['peak']:.0f} MiB")


# ----------------------------------------------------------------------------- COCO shards


@pytest.fixture(scope="module")
def coco_set():
    gt, dt = benchmark_set(0, n_images=N_IMAGES, iou_type="bbox")
    return gt, dt


def test_coco_one_pass(benchmark, coco_set):
    benchmark.group = f"coco-merge-{N_IMAGES}"
    gt, dt = coco_set
    benchmark.pedantic(coco_evaluate, args=(gt, dt), rounds=1 if FULL else 3, iterations=1)


def test_coco_16_matched_shards(benchmark, coco_set):
    benchmark.group = f"coco-merge-{N_IMAGES}"
    gt, dt = coco_set
    r = benchmark.pedantic(coco_evaluate_sharded, args=(gt, dt), kwargs={"shards": 16}, rounds=1 if FULL else 3, iterations=1)
    assert r["stats"] == coco_evaluate(gt, dt)["stats"]


def test_coco_merge_of_16_matched_shards(benchmark, coco_set):
    """The driver's part when 16 shards were matched elsewhere: concatenate and accumulate."""
    benchmark.group = f"coco-merge-{N_IMAGES}"
    gt, dt = coco_set
    img_ids = sorted(im["id"] for im in gt["images"])
    matched = [match_job((gt, rs, "bbox", ids, None, {})) for ids, rs in split_by_image(dt, img_ids, 16)]
    benchmark.pedantic(merge_shards, args=(matched,), rounds=1 if FULL else 3, iterations=1)


def test_coco_16_evaluator_states(benchmark, coco_set):
    """16 ``CocoEvaluator`` states (results by image) merged, then one compute."""
    benchmark.group = f"coco-merge-{N_IMAGES}"
    gt, dt = coco_set
    img_ids = sorted(im["id"] for im in gt["images"])
    states = []
    for _, rs in split_by_image(dt, img_ids, 16):
        ev = CocoEvaluator(gt)
        ev.update(rs)
        states.append(ev.state_dict())

    def run():
        return CocoEvaluator.from_states(states, gt).compute()

    benchmark.pedantic(run, rounds=1 if FULL else 3, iterations=1)


# ----------------------------------------------------------------------------- veRL


def _verl_batch(n: int):
    import json as _json

    det = "<think>a cat</think><answer>[{'Position': [10, 10, 500, 500], 'Confidence': 0.8}]</answer>"
    cls = "<think>petals</think><answer>rose</answer>"
    rows = []
    for i in range(n):
        if i % 2:
            rows.append({"data_source": "coco", "response": det, "ground_truth": _json.dumps([[10, 10, 500, 500 + i % 7]])})
        else:
            rows.append({"data_source": "flowers", "response": cls, "ground_truth": "rose" if i % 4 else "tulip"})
    return rows


def test_verl_calls_per_second_per_worker(benchmark, tmp_path):
    if not RAY:
        pytest.skip("the veRL reward-loop benchmark runs with RK_BENCH_FULL=1 or RK_BENCH_RAY=1")
    ray = pytest.importorskip("ray")
    pytest.importorskip("verl")
    import numpy as np
    import rewardkit.adapters.verl as adapter
    from verl.experimental.reward_loop.reward_loop import RewardLoopManager

    from rewardkit.testing.tiny_vlm import build_tokenizer
    from tests.adapters.test_verl_reward_loop import PROBE, _batch, _config

    benchmark.group = "verl-workers"
    tok = build_tokenizer()
    tok.save_pretrained(tmp_path / "tok")
    n = 4096 if FULL else 512
    rows = _verl_batch(n)
    table = {"coco": "visual_rft.detection", "flowers": "visual_rft.classification"}
    kw = {"rewards": table, "mix": sorted(table.values())}
    t0 = time.perf_counter()
    for r in rows:
        adapter.compute_score(r["data_source"], r["response"], r["ground_truth"], {}, **kw)
    local = n / (time.perf_counter() - t0)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    try:
        manager = RewardLoopManager(_config(str(tmp_path / "tok"), manager="rewardkit", reward_kwargs=kw, num_workers=2, path=PROBE))
        data = _batch(tok, rows, meta_info={"global_steps": 1})
        manager.compute_rm_score(data[:8])  # warm the workers
        out = benchmark.pedantic(manager.compute_rm_score, args=(data,), rounds=1, iterations=1)
    finally:
        ray.shutdown()
    extra = out.non_tensor_batch
    pids = extra["probe_pid"].astype(np.int64)
    per_worker = {}
    for pid in sorted(set(pids.tolist())):
        mine = pids == pid
        calls, busy = extra["probe_calls"][mine].max(), extra["probe_busy_s"][mine].max()
        per_worker[pid] = round((calls - 1) / busy)
    benchmark.extra_info.update(samples=n, in_process_calls_per_s=round(local), worker_calls_per_s=list(per_worker.values()))
    print(f"\n[veRL num_workers=2] {n} samples: in this process {local:,.0f} calls/s; per worker {list(per_worker.values())} calls/s")

