"""``compat="r1_v"``: R1-V's released ``accuracy_reward`` and ``format_reward``.

Read from github.com/Deep-Agent/R1-V at commit bbbbe3dc1ea6a74ce31c118c1722b1ee73e372ba
(``src/r1-v/src/open_r1/grpo.py``); parsing in :mod:`rewardkit.parsing.public.r1_v`.

* ``count.exact``: 1 if math-verify verifies ``parse(completion)`` against
  ``parse(solution)``, else 1 if the first single-line answer block equals the
  solution's (exact string after strip: ``3.`` or ``three`` for ``3`` score 0), else 0.
  The ground truth is rendered as the CLEVR solution ``<answer> N </answer>`` (a string
  holding ``<answer>`` is used as is). Needs the ``compat`` extra (math-verify).
* ``format.think_answer``: the public full-match regex.
"""

from __future__ import annotations

from typing import Any

from rewardkit.parsing.public import r1_v as read
from rewardkit.parsing.tags import completion_text
from rewardkit.rewards.compat import math_verify_equal, too_long
from rewardkit.types import RewardResult

__all__ = ["count_exact", "think_answer_format", "count_solution"]

MODE = "r1_v"


def count_solution(ground_truth: Any, count: int) -> str:
    if isinstance(ground_truth, str) and "<answer>" in ground_truth:
        return ground_truth
    return f"<answer> {count} </answer>"


def count_exact(completion: Any, ground_truth: Any, count: int) -> RewardResult:
    content = completion_text(completion)
    if (r := too_long(content, ("accuracy",))) is not None:
        return r
    solution = count_solution(ground_truth, count)
    precheck = math_verify_equal(content, solution, MODE)
    acc = 1.0 if precheck or read.answer_text(content) == read.answer_text(solution) else 0.0
    return RewardResult(acc, {"accuracy": acc}, None, {"compat": MODE, "math_verify_match": precheck})


def think_answer_format(completion: Any) -> RewardResult:
    content = completion_text(completion)
    if (r := too_long(content, ("format",))) is not None:
        return r
    v = 1.0 if read.format_ok(content) else 0.0
    return RewardResult(v, {"format": v}, None if v else "bad_format", {"compat": MODE})
