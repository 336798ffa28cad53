"""Core reward speed: ``visual_rft.detection`` against a plain-Python loop baseline written
the way research code does it (``_baseline_visual_rft.py``), and ``rewardkit score`` on a
large JSONL file (rows per second, peak memory).

Run: ``python -m pytest benchmarks/bench_core.py`` (``RK_BENCH_FULL=1`` for the
100,000-row file). Read the ratio from the ``detection`` group: baseline mean / rewardkit
mean, per completion.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import numpy as np
import pytest
from _baseline_visual_rft import baseline_detection_reward
from conftest import FULL

from rewardkit.registry import get_reward

G = 8  # completions per prompt (GRPO group)


def _group(n_boxes: int, seed: int = 0) -> tuple[list[str], str]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 800, (n_boxes, 2))
    wh = rng.uniform(20, 200, (n_boxes, 2))
    gt = np.concatenate([xy, np.minimum(xy + wh, 1000)], 1).round().astype(int)
    sol = "<answer>[" + ", ".join(f"{{'Position': {[int(v) for v in b]}, 'Confidence': 1}}" for b in gt) + "]</answer>"
    comps = []
    for _ in range(G):
        p = np.clip(gt + rng.integers(-15, 15, gt.shape), 0, 1000)
        items = ", ".join(f"{{'Position': {[int(v) for v in b]}, 'Confidence': {rng.uniform(0.3, 1):.2f}}}" for b in p)
        comps.append(f"<think>I see {n_boxes} objects.</think><answer>[{items}]</answer>")
    return comps, sol


SIZES = [10, 30] if FULL else [10]


@pytest.mark.benchmark(group="detection-group-of-8")
@pytest.mark.parametrize("n_boxes", SIZES)
def test_baseline_loop(benchmark, n_boxes):
    comps, sol = _group(n_boxes)
    out = benchmark(lambda: [baseline_detection_reward(c, sol) for c in comps])
    ours = [r.score for r in get_reward("visual_rft.detection").score_batch(comps, sol)]
    np.testing.assert_allclose(out, ours, rtol=0, atol=1e-12)  # same formula, same numbers


@pytest.mark.benchmark(group="detection-group-of-8")
@pytest.mark.parametrize("n_boxes", SIZES)
def test_rewardkit_score_batch(benchmark, n_boxes):
    comps, sol = _group(n_boxes)
    reward = get_reward("visual_rft.detection")
    res = benchmark(lambda: reward.score_batch(comps, sol))
    assert len(res) == G
    benchmark.extra_info["completions_per_call"] = G


@pytest.mark.benchmark(group="detection-group-of-8")
@pytest.mark.parametrize("n_boxes", SIZES)
def test_rewardkit_per_completion(benchmark, n_boxes):
    comps, sol = _group(n_boxes)
    reward = get_reward("visual_rft.detection")
    benchmark(lambda: [reward(c, sol) for c in comps])


def _write_rows(path, n_rows: int) -> None:
    comps, sol = _group(10)
    with open(path, "w") as fh:
        for i in range(n_rows):
            fh.write(json.dumps({"id": i, "reward": "visual_rft.detection", "completion": comps[i % G], "solution": sol}) + "\n")


@pytest.mark.benchmark(group="score-cli")
@pytest.mark.parametrize("n_rows", [100_000] if FULL else [2_000])
def test_score_cli(benchmark, tmp_path, n_rows):
    src = tmp_path / "preds.jsonl"
    _write_rows(src, n_rows)
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "rewardkit.cli", "score", str(src), "-o", str(out), "-q"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    benchmark.pedantic(lambda: subprocess.run(cmd, check=True), rounds=1, iterations=1)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(out) as fh:
        n_out = sum(1 for _ in fh)
    assert n_out == n_rows
    benchmark.extra_info["rows"] = n_rows
    benchmark.extra_info["peak_rss_mib_children"] = round(max(peak_kib, before) / 1024, 1)
