"""Counting reward: integer equality with an optional tolerance (docs/rewards-counting-points.md).

``R = 1 if |n_pred - n_gt| <= tolerance else 0``. The count is read by
:func:`rewardkit.parsing.numbers.parse_count` (digits or words zero..twenty); an answer
with several different numbers ("2 or 3") is ambiguous and scores 0. The answer is
found by the answer mode (``answer="auto"``: the answer block, or a bare completion
without think blocks when there is none).
"""

from __future__ import annotations

from typing import Any, Literal

from rewardkit.parsing.numbers import parse_count, read_count_target
from rewardkit.parsing.reading import Reading, extract_answer_text
from rewardkit.rewards._common import zero
from rewardkit.rewards._signatures import CountingRewardSignature, typed_as
from rewardkit.rewards.base import register_reward
from rewardkit.rewards.compat import resolve_compat
from rewardkit.types import RewardResult

__all__ = ["counting_reward"]


def _prepare(ground_truth: Any, **_: Any) -> int:
    return read_count_target(ground_truth)


_READING = Reading()


@typed_as(CountingRewardSignature)  # the full signature for type checkers (rewards/_signatures.py)
@register_reward("count.exact", task="counting", range=(0.0, 1.0), components=("accuracy",), tags=("counting",), prepare=_prepare,
                 reading_fields=("answer",))
def counting_reward(completion: Any, ground_truth: Any, *, tolerance: int = 0, prompt: str | None = None,
                    compat: Literal["r1_v"] | None = None, reading: Reading = _READING) -> RewardResult:
    """R = 1 if |count - ground truth| <= tolerance else 0.

    ``compat="r1_v"``: R1-V's released accuracy reward end to end (math-verify pre-check,
    then exact string equality of the first single-line answer block;
    :mod:`rewardkit.rewards.compat.r1_v`; needs the ``compat`` extra).

    >>> float(counting_reward("<think>..</think><answer>There are 3 dogs.</answer>", 3))
    1.0
    """
    if int(tolerance) != tolerance or tolerance < 0:
        raise ValueError(f"Expected `tolerance` to be a non-negative integer, but got {tolerance!r}")
    gt = read_count_target(ground_truth)
    if resolve_compat("count.exact", compat):
        from rewardkit.rewards.compat.r1_v import count_exact

        return count_exact(completion, ground_truth, gt)
    ans = extract_answer_text(completion, prompt, reading.answer)
    if ans.text is None:
        return zero(("accuracy",), ans.reason)
    parsed = parse_count(ans.text)
    if not parsed.ok:
        return zero(("accuracy",), parsed.reason)
    acc = 1.0 if abs(parsed.value - gt) <= tolerance else 0.0
    return RewardResult(acc, {"accuracy": acc}, None, {"count": parsed.value})
