"""Lean format rewards, written the way research code does it (one regex or four
``str.count`` calls, no validation). Benchmark baselines for ``format.think_answer`` and
``format.tag_count`` (``bench_core.py``)."""

from __future__ import annotations

import re

_THINK_ANSWER = re.compile(r"<think>.*?</think>\s*<answer>.*?</answer>", re.DOTALL)


def think_answer(completion: str) -> float:
    """R1-V / Visual-RFT / VLM-R1: ``re.fullmatch`` of the think/answer pattern."""
    return 1.0 if _THINK_ANSWER.fullmatch(completion) else 0.0


def tag_count(completion: str) -> float:
    """open-r1's tag count (0.25 per tag that occurs exactly once), without its newlines."""
    return 0.25 * sum(completion.count(t) == 1 for t in ("<think>", "</think>", "<answer>", "</answer>"))
