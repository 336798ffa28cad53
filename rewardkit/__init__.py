"""rewardkit: verifiable visual rewards and dataset metrics for VLM reinforcement learning.

    >>> from rewardkit import detection_reward
    >>> completion = "<think>one cat</think><answer>[{'Position': [10, 10, 500, 500], 'Confidence': 0.9}]</answer>"
    >>> round(float(detection_reward(completion, [[10, 10, 500, 500]])), 3)
    2.9

Any registered reward by name: ``score(completion, ground_truth, reward="grounding.iou")``
for one completion, ``score_batch(completions, ground_truth, reward=...)`` for the G
completions of one prompt (the ground truth parsed once), ``list_rewards()`` for the names.

Public names are loaded on first use so that ``import rewardkit`` stays cheap (no torch,
pandas, matplotlib or trainer import, ever).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # what editors and type checkers see; mirrors _LAZY (a test checks)
    from rewardkit.auditing import audit
    from rewardkit.parsing.dialects import dialect_names, read_vlm_output
    from rewardkit.parsing.reading import Reading
    from rewardkit.registry import (
        Reward,
        get_reward,
        list_rewards,
        register_reward,
        score,
        score_batch,
    )
    from rewardkit.rewards.classification import classification_reward
    from rewardkit.rewards.counting import counting_reward
    from rewardkit.rewards.detection import detection_reward
    from rewardkit.rewards.format import format_reward
    from rewardkit.rewards.grounding import grounding_reward
    from rewardkit.types import Boxes, Keypoints, Mask, ParseResult, Points, RewardResult
    from rewardkit.viz.show import show

_LAZY: dict[str, str] = {
    # types
    "Boxes": "rewardkit.types",
    "Points": "rewardkit.types",
    "Keypoints": "rewardkit.types",
    "Mask": "rewardkit.types",
    "RewardResult": "rewardkit.types",
    "ParseResult": "rewardkit.types",
    # registry
    "Reward": "rewardkit.registry",
    "get_reward": "rewardkit.registry",
    "list_rewards": "rewardkit.registry",
    "score": "rewardkit.registry",
    "score_batch": "rewardkit.registry",
    "register_reward": "rewardkit.registry",
    # reading completions
    "Reading": "rewardkit.parsing.reading",
    "read_vlm_output": "rewardkit.parsing.dialects",
    "dialect_names": "rewardkit.parsing.dialects",
    # reward-hacking audit
    "audit": "rewardkit.auditing",
    # pictures (Pillow, the ``plot`` extra, imported on first call)
    "show": "rewardkit.viz.show",
    # reward families
    "format_reward": "rewardkit.rewards.format",
    "detection_reward": "rewardkit.rewards.detection",
    "classification_reward": "rewardkit.rewards.classification",
    "grounding_reward": "rewardkit.rewards.grounding",
    "counting_reward": "rewardkit.rewards.counting",
}

__all__ = sorted(_LAZY)


if not TYPE_CHECKING:  # hidden from type checkers: with it they would accept any name

    def __getattr__(name: str) -> Any:
        mod = _LAZY.get(name)
        if mod is None:
            raise AttributeError(f"module 'rewardkit' has no attribute {name!r}")
        value = getattr(importlib.import_module(mod), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
