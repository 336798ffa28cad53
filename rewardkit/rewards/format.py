"""Format rewards (docs/rewards-format.md).

* ``format.think_answer``: 1 if the completion is exactly one ``<think>`` block followed
  by exactly one ``<answer>`` block with nothing else but whitespace (DeepSeek-R1 style),
  else 0. TRL's ``think_format_reward`` only checks ``<think>``; this checks both.
* ``format.tag_count`` (open-r1): 0.25 for each of ``<think>``, ``</think>``,
  ``<answer>``, ``</answer>`` that occurs exactly once, so a second answer block loses.
"""

from __future__ import annotations

from typing import Any, Literal

from rewardkit.parsing.tags import parse_completion
from rewardkit.rewards._signatures import FormatRewardSignature, typed_as
from rewardkit.rewards.base import new_result, register_reward
from rewardkit.rewards.compat import resolve_compat
from rewardkit.types import RewardResult

__all__ = ["format_reward", "format_think_answer_reward", "tag_count_reward"]


@typed_as(FormatRewardSignature)  # the full signature for type checkers (rewards/_signatures.py)
@register_reward("format.think_answer", task="format", range=(0.0, 1.0), components=("format",), tags=("format", "r1"))
def format_reward(
    completion: Any, ground_truth: Any = None, *, prompt: str | None = None, compat: Literal["r1_v"] | None = None
) -> RewardResult:
    """Strict think/answer format: R_format = 1 if ``<think>...</think><answer>...</answer>``
    (exactly one of each, in order, nothing outside but whitespace) else 0.

    ``compat="r1_v"``: R1-V's (and Visual-RFT's, VLM-R1's) full-match regex
    ``<think>.*?</think>\\s*<answer>.*?</answer>`` (DOTALL): a trailing newline fails,
    several answer blocks pass (:mod:`rewardkit.rewards.compat.r1_v`).

    >>> float(format_reward("<think>a</think>\\n<answer>b</answer>"))
    1.0
    >>> float(format_reward("<think>a</think><answer>b</answer><answer>c</answer>"))
    0.0
    """
    if resolve_compat("format.think_answer", compat):
        from rewardkit.rewards.compat.r1_v import think_answer_format

        return think_answer_format(completion)
    tp = parse_completion(completion, prompt)
    value = 1.0 if tp.strict else 0.0
    reason = None if tp.strict else (tp.reason or "bad_format")
    return new_result(value, {"format": value}, reason, {})


@register_reward("format.tag_count", task="format", range=(0.0, 1.0), components=("tag_count",), tags=("format", "open-r1"))
def tag_count_reward(completion: Any, ground_truth: Any = None, *, prompt: str | None = None) -> RewardResult:
    """open-r1's tag count: 0.25 per tag among ``<think>``, ``</think>``, ``<answer>``,
    ``</answer>`` that appears exactly once.

    >>> float(tag_count_reward("<think>a</think><answer>b</answer>"))
    1.0
    >>> float(tag_count_reward("<think>a</think><answer>b</answer><answer>c</answer>"))
    0.5
    """
    tp = parse_completion(completion, prompt)
    value = 0.25 * sum(1 for n in tp.details["counts"].values() if n == 1)
    return new_result(value, {"tag_count": value}, None if value == 1.0 else "bad_format", {})


# Registry name ``format.think_answer`` as a function name; ``format_reward`` stays.
format_think_answer_reward = format_reward
