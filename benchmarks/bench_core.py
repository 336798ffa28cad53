"""Per-call reward speed against the lean loops they replace, and ``rewardkit score`` on a
large JSONL file.

Groups (naming convention: ``_harness.py``; each round scores the 8 completions of one
prompt, so every implementation does the same work):

* ``reward-detection-<n>box`` (n = 3, 10, 30; prediction = jittered ground truth):
  ``visual_rft.detection`` per call (``rewardkit-call``) and through ``score_batch``
  (``rewardkit-score_batch``) against a lean plain-Python reading of Visual-RFT's reward
  (``lean-loop``, ``_baseline_visual_rft.py``: quote swap + ``json.loads``, Python IoU
  loops, greedy matching, no validation).
* ``reward-od_ap-<n>box``: end-to-end per-completion AP, parsing included:
  ``score(completion, gt, reward="vlm_r1.od_ap")`` per call and ``score_batch`` against
  VLM-R1's path (``vlm-r1-path``, ``_baseline_vlm_r1.py``: regexes, ``json.loads`` and a
  fresh pycocotools evaluator per completion). The AP kernel alone is
  ``ap-kernel-*`` in ``bench_localization.py``.
* ``reward-format-think_answer`` / ``reward-format-tag_count``: format-only rewards per
  call and through ``score_batch`` against a lean regex / ``str.count``
  (``_baseline_format.py``); ``extra_info["calls_per_s"]`` is 8 / min(round).
* ``score-cli`` (no reference): ``rewardkit score`` on 2,000 rows (100,000 with
  ``RK_BENCH_FULL=1``) in a subprocess; rows/s and peak memory in ``extra_info``
  (wall clock: a CPU-time timer does not see the child process).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import numpy as np
import pytest
from _baseline_format import tag_count, think_answer
from _baseline_visual_rft import baseline_detection_reward
from _baseline_vlm_r1 import od_reward
from _harness import label
from conftest import FULL

from rewardkit.registry import get_reward, score, score_batch

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


def _calls_per_s(benchmark, calls: int) -> None:
    stats = getattr(benchmark, "stats", None)
    if stats is not None and getattr(stats, "stats", None) is not None and stats.stats.min > 0:
        benchmark.extra_info["calls_per_s"] = round(calls / stats.stats.min)


# ----------------------------------------------------------------------------- detection

DET_SIZES = [3, 10, 30]


@pytest.mark.parametrize("n_boxes", DET_SIZES)
def test_detection_lean_loop(benchmark, n_boxes):
    label(benchmark, f"reward-detection-{n_boxes}box", "lean-loop")
    comps, sol = _group(n_boxes)
    out = benchmark(lambda: [baseline_detection_reward(c, sol) for c in comps])
    ours = [r.score for r in get_reward("visual_rft.detection").score_batch(comps, sol)]
    np.testing.assert_allclose(out, ours, rtol=0, atol=1e-12)  # same formula, same numbers
    _calls_per_s(benchmark, G)


@pytest.mark.parametrize("n_boxes", DET_SIZES)
def test_detection_rewardkit_call(benchmark, n_boxes):
    label(benchmark, f"reward-detection-{n_boxes}box", "rewardkit-call")
    comps, sol = _group(n_boxes)
    reward = get_reward("visual_rft.detection")
    out = benchmark(lambda: [reward(c, sol) for c in comps])
    assert len(out) == G
    _calls_per_s(benchmark, G)


@pytest.mark.parametrize("n_boxes", DET_SIZES)
def test_detection_rewardkit_score_batch(benchmark, n_boxes):
    label(benchmark, f"reward-detection-{n_boxes}box", "rewardkit-score_batch")
    comps, sol = _group(n_boxes)
    reward = get_reward("visual_rft.detection")
    res = benchmark(lambda: reward.score_batch(comps, sol))
    assert len(res) == G
    _calls_per_s(benchmark, G)


# ----------------------------------------------------------------------------- od_ap

AP_SIZES = [10, 30] if FULL else [10]


def _od_group(n_boxes: int, seed: int = 2) -> tuple[list[str], str]:
    """VLM-R1 answers (a json fence of ``bbox_2d`` / ``label`` items, one label) in the
    0..1000 frame: jittered ground truth, a missed box and a false one."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 800, (n_boxes, 2))
    wh = rng.uniform(20, 190, (n_boxes, 2))
    gt = np.concatenate([xy, xy + wh], 1).round().astype(int)

    def fence(boxes):
        return "```json\n" + json.dumps([{"bbox_2d": [int(v) for v in b], "label": "object"} for b in boxes]) + "\n```"

    sol = f"<answer>{fence(gt)}</answer>"
    comps = []
    for _ in range(G):
        p = np.clip(gt + rng.integers(-12, 12, gt.shape), 0, 1000)[1:]
        extra = np.concatenate([rng.uniform(0, 800, 2), rng.uniform(820, 1000, 2)]).round().astype(int)
        comps.append(f"<think>I see {n_boxes} objects.</think><answer>{fence(np.vstack([p, extra]))}</answer>")
    return comps, sol


@pytest.mark.parametrize("n_boxes", AP_SIZES)
def test_od_ap_vlm_r1_path(benchmark, n_boxes):
    label(benchmark, f"reward-od_ap-{n_boxes}box", "vlm-r1-path")
    comps, sol = _od_group(n_boxes)
    out = benchmark(lambda: [od_reward(c, sol) for c in comps])
    ours = [r.score for r in score_batch(comps, sol, reward="vlm_r1.od_ap")]
    assert out == ours  # the same AP (rewardkit is bit-identical to pycocotools here)
    _calls_per_s(benchmark, G)


@pytest.mark.parametrize("n_boxes", AP_SIZES)
def test_od_ap_rewardkit_call(benchmark, n_boxes):
    label(benchmark, f"reward-od_ap-{n_boxes}box", "rewardkit-call")
    comps, sol = _od_group(n_boxes)
    out = benchmark(lambda: [score(c, sol, reward="vlm_r1.od_ap") for c in comps])
    assert len(out) == G and all(0 < r.score < 1 for r in out)
    _calls_per_s(benchmark, G)


@pytest.mark.parametrize("n_boxes", AP_SIZES)
def test_od_ap_rewardkit_score_batch(benchmark, n_boxes):
    label(benchmark, f"reward-od_ap-{n_boxes}box", "rewardkit-score_batch")
    comps, sol = _od_group(n_boxes)
    out = benchmark(lambda: score_batch(comps, sol, reward="vlm_r1.od_ap"))
    assert len(out) == G
    _calls_per_s(benchmark, G)


# ----------------------------------------------------------------------------- format

FORMAT = {"think_answer": ("format.think_answer", think_answer), "tag_count": ("format.tag_count", tag_count)}


def _format_group() -> list[str]:
    comps, _ = _group(3)
    return comps


@pytest.mark.parametrize("which", sorted(FORMAT))
def test_format_lean(benchmark, which):
    label(benchmark, f"reward-format-{which}", "lean-regex" if which == "think_answer" else "lean-count")
    comps = _format_group()
    fn = FORMAT[which][1]
    out = benchmark(lambda: [fn(c) for c in comps])
    assert out == [r.score for r in get_reward(FORMAT[which][0]).score_batch(comps, None)]
    _calls_per_s(benchmark, G)


@pytest.mark.parametrize("which", sorted(FORMAT))
def test_format_rewardkit_call(benchmark, which):
    label(benchmark, f"reward-format-{which}", "rewardkit-call")
    comps = _format_group()
    reward = get_reward(FORMAT[which][0])
    out = benchmark(lambda: [reward(c, None) for c in comps])
    assert all(r.score == 1.0 for r in out)
    _calls_per_s(benchmark, G)


@pytest.mark.parametrize("which", sorted(FORMAT))
def test_format_rewardkit_score_batch(benchmark, which):
    label(benchmark, f"reward-format-{which}", "rewardkit-score_batch")
    comps = _format_group()
    reward = get_reward(FORMAT[which][0])
    out = benchmark(lambda: reward.score_batch(comps, None))
    assert len(out) == G
    _calls_per_s(benchmark, G)


# ----------------------------------------------------------------------------- CLI


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
    wall = []

    def run():
        t = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall.append(time.perf_counter() - t)

    benchmark.pedantic(run, rounds=1, iterations=1)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(out) as fh:
        n_out = sum(1 for _ in fh)
    assert n_out == n_rows
    benchmark.extra_info["rows"] = n_rows
    benchmark.extra_info["wall_s"] = round(min(wall), 3)
    benchmark.extra_info["rows_per_s_wall"] = round(n_rows / min(wall))
    benchmark.extra_info["peak_rss_mib_children"] = round(max(peak_kib, before) / 1024, 1)
