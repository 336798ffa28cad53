"""Trainer-adapter overhead: what the TRL and veRL glue adds on top of the reward itself.

Batch of 64 completions (8 prompts x G = 8 generations, Visual-RFT detection answers with
1-4 boxes). Each group times the reward alone (the reference) next to the adapter path:

* ``adapters-trl``: ``Reward.score_batch`` per prompt group (reference) vs the three
  per-component functions of ``trl_rewards("visual_rft.detection")`` called as TRL calls
  them (one scores the batch, two read the cache) and the single total function;
* ``adapters-verl``: the reward per sample with ground truth parsed per call (what a
  hand-written ``compute_score`` does) vs ``rewardkit.adapters.verl.compute_score`` per
  sample (JSON ground truth as in the parquet row; prepared once per prompt).

Overhead per completion = (adapter time - reference time) / 64. No torch needed.
``RK_BENCH_FULL=1`` adds a batch of 512 (64 prompts x 8).
"""

from __future__ import annotations

import json
import os
import random

import pytest
from rewardkit.adapters.trl import trl_rewards
from rewardkit.adapters.verl import compute_score

from rewardkit.registry import get_reward

SIZES = [(8, 8)] + ([(64, 8)] if os.environ.get("RK_BENCH_FULL") else [])


def _batch(n_prompts: int, g: int, seed: int = 0):
    rng = random.Random(seed)
    prompts, completions, solutions = [], [], []
    for i in range(n_prompts):
        gt = [[rng.randint(0, 500), rng.randint(0, 500), rng.randint(501, 1000), rng.randint(501, 1000)] for _ in range(rng.randint(1, 4))]
        sol = "<answer>" + str([{"Position": b, "Confidence": 1} for b in gt]) + "</answer>"
        for _ in range(g):
            boxes = [[v + rng.randint(-40, 40) for v in b] for b in gt[: rng.randint(1, len(gt))]]
            items = ", ".join(f"{{'Position': {b}, 'Confidence': {rng.random():.2f}}}" for b in boxes)
            completions.append(f"<think>I see {len(boxes)} objects.</think><answer>[{items}]</answer>")
            prompts.append(f"Detect the objects of prompt {i}.")
            solutions.append(sol)
    return prompts, completions, solutions


def _groups(solutions, g):
    return [(k, solutions[k]) for k in range(0, len(solutions), g)]


@pytest.mark.benchmark(group="adapters-trl")
@pytest.mark.parametrize("n_prompts, g", SIZES)
def test_trl_reference_score_batch(benchmark, n_prompts, g):
    prompts, completions, solutions = _batch(n_prompts, g)
    reward = get_reward("visual_rft.detection")

    def run():
        out = []
        for k, sol in _groups(solutions, g):
            out.extend(reward.score_batch(completions[k : k + g], sol))
        return out

    out = benchmark(run)
    assert len(out) == len(completions)


@pytest.mark.benchmark(group="adapters-trl")
@pytest.mark.parametrize("n_prompts, g", SIZES)
def test_trl_per_component_functions(benchmark, n_prompts, g):
    prompts, completions, solutions = _batch(n_prompts, g)
    funcs = trl_rewards("visual_rft.detection")

    def run():
        # TRL builds a new completions list every step: a fresh list per call
        comps = list(completions)
        return [f(prompts=prompts, completions=comps, completion_ids=None, solution=solutions, trainer_state=None) for f in funcs]

    out = benchmark(run)
    assert len(out) == 3 and len(out[0]) == len(completions)


@pytest.mark.benchmark(group="adapters-trl")
@pytest.mark.parametrize("n_prompts, g", SIZES)
def test_trl_total_function(benchmark, n_prompts, g):
    prompts, completions, solutions = _batch(n_prompts, g)
    (func,) = trl_rewards("visual_rft.detection", split_components=False)
    metrics = []

    def run():
        return func(prompts=prompts, completions=list(completions), solution=solutions, log_metric=lambda n, v: metrics.append(v))

    out = benchmark(run)
    assert len(out) == len(completions)


@pytest.mark.benchmark(group="adapters-verl")
@pytest.mark.parametrize("n_prompts, g", SIZES)
def test_verl_reference_reward_per_sample(benchmark, n_prompts, g):
    _, completions, solutions = _batch(n_prompts, g)
    reward = get_reward("visual_rft.detection")
    gts = [json.dumps(s) for s in solutions]

    def run():
        return [reward(c, json.loads(s)) for c, s in zip(completions, gts)]

    out = benchmark(run)
    assert len(out) == len(completions)


@pytest.mark.benchmark(group="adapters-verl")
@pytest.mark.parametrize("n_prompts, g", SIZES)
def test_verl_compute_score_per_sample(benchmark, n_prompts, g):
    _, completions, solutions = _batch(n_prompts, g)
    gts = [json.dumps(s) for s in solutions]
    info = {"reward": "visual_rft.detection", "index": 0}

    def run():
        return [compute_score("coco", c, s, info) for c, s in zip(completions, gts)]

    out = benchmark(run)
    assert len(out) == len(completions) and set(out[0]) == {"score", "iou", "confidence", "format", "applicable"}


@pytest.mark.benchmark(group="adapters-verl")
@pytest.mark.parametrize("n_prompts, g", SIZES)
def test_verl_reference_reward_prepared(benchmark, n_prompts, g):
    """The reward alone per sample with ground truth already prepared (the floor)."""
    _, completions, solutions = _batch(n_prompts, g)
    reward = get_reward("visual_rft.detection")
    prepared = {s: reward.prepare(s) for s in set(solutions)}
    fn = reward.spec.fn

    def run():
        return [fn(c, prepared[s]) for c, s in zip(completions, solutions)]

    out = benchmark(run)
    assert len(out) == len(completions)
