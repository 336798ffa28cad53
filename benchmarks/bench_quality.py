"""Benchmarks: the quality audit (``rewardkit audit --quality``).

Groups:

* ``quality-<reward>``: :func:`rewardkit.auditing.quality.quality_report` on the default
  dataset, against the reference in the same group: the reward alone scoring as many
  completions (its exact answer on the test rows, in groups of G) as the report made it
  score, so the ratio is the audit's overhead (policies, answers, search, statistics).
* ``quality-table`` (``RK_BENCH_FULL=1``): the full table, every registered reward with
  the default settings (seed 0, G = 8, 100 rows per split, 100 search evaluations), one
  round; ``extra_info["cpu_s"]`` is its CPU time (the goal: under 5 minutes on one
  core; the machine's other load does not count there).

Default sizes are small (CI smoke run with ``--benchmark-disable``).
"""

from __future__ import annotations

import os
import time

import pytest

from rewardkit.auditing.answers import answer_format, format_completion
from rewardkit.auditing.ladders import exact_answer
from rewardkit.auditing.quality import quality_many, quality_report
from rewardkit.auditing.quality_data import kind_of, load_rows, read_rows, split_rows
from rewardkit.registry import Reward, get_spec

FULL = os.environ.get("RK_BENCH_FULL") == "1"
REWARDS = ["visual_rft.detection", "vlm_r1.od_length", "seg_r1.mask", "count.exact"] if FULL else ["count.exact", "grounding.iou"]
SETTINGS = {} if FULL else {"max_rows": 10, "search_evals": 10}


@pytest.fixture(scope="module")
def rows():
    return load_rows()


@pytest.mark.parametrize("name", REWARDS)
def test_quality_report(benchmark, rows, name):
    benchmark.group = f"quality-{name}"
    rep = benchmark.pedantic(quality_report, args=(name,), kwargs={"rows": rows, **SETTINGS}, rounds=1, iterations=1)
    assert rep["applicable"]
    benchmark.extra_info["reward_calls"] = rep["reward_calls"]


@pytest.mark.parametrize("name", REWARDS)
def test_reward_alone(benchmark, rows, name):
    """The reference: the reward scoring as many completions as the report scored."""
    benchmark.group = f"quality-{name}"
    spec = get_spec(name)
    kind = kind_of(spec)
    qrows, _ = read_rows(rows, kind)
    _, test = split_rows(qrows, SETTINGS.get("max_rows", 100), 0)
    fmt = answer_format(kind, spec)
    reward = Reward(name)
    calls = quality_report(name, rows=rows, **SETTINGS)["reward_calls"]
    groups = [(r, [format_completion(exact_answer(kind, r), fmt, r.image_size)] * 8) for r in test]

    def run():
        done = 0
        while done < calls:
            for r, completions in groups:
                reward.score_batch(completions, r.ground_truth)
                done += len(completions)
                if done >= calls:
                    break

    benchmark.pedantic(run, rounds=1, iterations=1)


@pytest.mark.skipif(not FULL, reason="the full table runs with RK_BENCH_FULL=1")
def test_full_table(benchmark):
    benchmark.group = "quality-table"
    cpu = {}

    def run():
        t = time.process_time()
        out = quality_many()
        cpu["s"] = time.process_time() - t
        return out

    reports = benchmark.pedantic(run, rounds=1, iterations=1)
    assert all(r["applicable"] for r in reports)
    benchmark.extra_info["cpu_s"] = round(cpu["s"], 1)
    benchmark.extra_info["rewards"] = len(reports)
