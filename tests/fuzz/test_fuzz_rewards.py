"""Fuzzing every registered reward (issue 10, item 6).

For every reward of the registry (so rewards added later are covered without a change
here), hypothesis draws hostile completions and hostile ground truths
(``tests/fuzz/strategies.py``); each call runs in a forked child under a memory limit
(1 GB above the parent's size) and a time limit (2 s) (``tests/fuzz/sandbox.py``) and
must end with:

* no signal death (segfault, abort) and no time-out or memory exhaustion;
* no escaping exception, on ``score`` and on ``score_batch`` (two completions);
* a score within the reward's declared range, or ``None`` with ``bad_ground_truth``;
  finite components.

The valid ground truth and parameters of each reward come from its property-catalog
case (``tests/catalog/``). CI mode (the default run) draws ``RK_FUZZ_EXAMPLES`` (default
25) completions and 10 ground truths per reward, derandomized (the same examples every
run). The long mode, ``RK_FUZZ_LONG=1``, runs seeds ``RK_FUZZ_SEED_START`` ... (default 0)
for ``RK_FUZZ_MINUTES`` (default 30) minutes, ``RK_FUZZ_LONG_EXAMPLES`` (default 60)
examples per reward and seed, and writes a summary (seed range, examples, failures) to
``RK_FUZZ_REPORT`` (default ``fuzz-report.json`` in the working directory).
"""

from __future__ import annotations

import json
import math
import os
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from rewardkit.registry import get_spec, list_rewards, score, score_batch
from tests.catalog import all_cases
from tests.fuzz.sandbox import run_isolated
from tests.fuzz.strategies import completions, ground_truths

NAMES = list_rewards()
_CASES: dict[str, Any] = {}
for _case in all_cases():  # a default-mode case (compat modes reproduce public code, ranges included)
    if _case.expect_max and _case.reward not in _CASES and _case.params.get("compat") is None:
        _CASES[_case.reward] = _case

CI_EXAMPLES = int(os.environ.get("RK_FUZZ_EXAMPLES", "25"))
CI_GT_EXAMPLES = int(os.environ.get("RK_FUZZ_GT_EXAMPLES", "10"))
LONG = os.environ.get("RK_FUZZ_LONG") == "1"
_COMMON = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck), print_blob=True)


def _base(name: str) -> tuple[str, Any, dict[str, Any]]:
    case = _CASES.get(name)
    if case is None:
        return "<answer>1</answer>", None, {}
    return case.completion, case.ground_truth, dict(case.params)


def _call(name: str, completion: Any, ground_truth: Any, params: dict[str, Any]) -> list[tuple[Any, Any, dict]]:
    """Runs in the child: one ``score`` and one ``score_batch`` of two completions."""
    out = []
    r = score(completion, ground_truth, reward=name, **params)
    out.append((r.score, r.reason, dict(r.components)))
    for r in score_batch([completion, completion], ground_truth, reward=name, **params):
        out.append((r.score, r.reason, dict(r.components)))
    return out


def _problem(name: str, completion: Any, ground_truth: Any, params: dict[str, Any]) -> str | None:
    """None when the call honours the contract, else what went wrong."""
    out = run_isolated(_call, name, completion, ground_truth, params)
    if not out.ok:
        return str(out)
    lo, hi = get_spec(name).range
    for s, reason, comps in out.value:
        if s is None:
            if reason != "bad_ground_truth":
                return f"score None with reason {reason!r}"
            continue
        if not (isinstance(s, float) and lo - 1e-9 <= s <= hi + 1e-9):
            return f"score {s!r} outside {(lo, hi)} (reason {reason!r})"
        if any(not math.isfinite(v) for v in comps.values()):
            return f"non-finite component in {comps}"
    return None


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) < 400 else text[:300] + f"... ({len(text)} chars)"


def _completion_check(name: str):
    _, gt, params = _base(name)

    def check(completion: Any) -> None:
        problem = _problem(name, completion, gt, params)
        assert problem is None, f"{name} on completion {_short(completion)}: {problem}"

    return check


def _gt_check(name: str):
    good, _, params = _base(name)

    def check(ground_truth: Any, completion: Any) -> None:
        problem = _problem(name, completion, ground_truth, params)
        assert problem is None, f"{name} on ground truth {_short(ground_truth)}: {problem}"

    return check


@pytest.mark.parametrize("name", NAMES)
def test_fuzz_completions(name):
    task = get_spec(name).task
    settings(max_examples=CI_EXAMPLES, derandomize=True, **_COMMON)(given(completions(task))(_completion_check(name)))()


@pytest.mark.parametrize("name", NAMES)
def test_fuzz_ground_truths(name):
    good, gt, _ = _base(name)
    strategy = given(ground_truths(gt), st.one_of(st.just(good), completions(get_spec(name).task)))
    settings(max_examples=CI_GT_EXAMPLES, derandomize=True, **_COMMON)(strategy(_gt_check(name)))()


def test_every_reward_has_a_fuzz_base_case():
    missing = sorted(set(NAMES) - set(_CASES))
    assert not missing, f"rewards without a catalog case (the fuzz suite falls back to no ground truth): {missing}"


@pytest.mark.skipif(not LONG, reason="long fuzzing: RK_FUZZ_LONG=1 (RK_FUZZ_MINUTES, RK_FUZZ_SEED_START)")
def test_fuzz_long():
    minutes = float(os.environ.get("RK_FUZZ_MINUTES", "30"))
    first = int(os.environ.get("RK_FUZZ_SEED_START", "0"))
    examples = int(os.environ.get("RK_FUZZ_LONG_EXAMPLES", "60"))
    report_path = os.environ.get("RK_FUZZ_REPORT", "fuzz-report.json")
    deadline = time.monotonic() + 60 * minutes
    started = time.monotonic()
    failures: list[str] = []
    s = first
    done = 0
    complete = True
    while time.monotonic() < deadline:
        for name in NAMES:
            if time.monotonic() >= deadline:
                complete = False  # the last seed ran for part of the rewards
                break
            for make, strategy in (
                (_completion_check, lambda n: given(completions(get_spec(n).task))),
                (_gt_check, lambda n: given(ground_truths(_base(n)[1]), st.one_of(st.just(_base(n)[0]), completions(get_spec(n).task)))),
            ):
                test = seed(s)(settings(max_examples=examples, **_COMMON)(strategy(name)(make(name))))
                try:
                    test()
                except AssertionError as exc:
                    failures.append(f"seed {s} {name}: {str(exc)[:2000]}")
                done += examples
        with open(report_path, "w") as f:
            json.dump({"seeds": [first, s], "last_seed_complete": complete, "rewards": len(NAMES),
                       "examples_per_reward_and_seed": 2 * examples, "calls": done,
                       "minutes": round((time.monotonic() - started) / 60, 1), "failures": failures}, f, indent=2)
        s += 1
    assert not failures, "\n\n".join(failures[:5])
