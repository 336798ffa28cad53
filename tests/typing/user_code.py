"""Typical user code, type-checked by mypy in strict mode (tests/typing/test_mypy.py) and
run (so every line here also works): the README's snippets, keyword arguments of the
exported rewards, a TRL reward-function list, ``score`` / ``score_batch`` and the fields
of a ``RewardResult``. ``assert_type`` fails the type check when an exported name loses
its signature (``Any`` or ``Callable[..., ...]`` would not match).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rewardkit.adapters.trl import TRLRewardFunction, trl_rewards

import rewardkit
from rewardkit import (
    Boxes,
    Reading,
    RewardResult,
    classification_reward,
    counting_reward,
    detection_reward,
    format_reward,
    grounding_reward,
    list_rewards,
    score,
    score_batch,
)

if TYPE_CHECKING:
    from typing_extensions import assert_type  # typing.assert_type from Python 3.11 on
else:

    def assert_type(value, _type):  # checked by mypy; a no-op at run time
        return value

COMPLETION = "<think>one bus</think><answer>[{'Position': [254, 303, 291, 365], 'Confidence': 0.9}]</answer>"
GT = [[254, 303, 291, 365]]

# TRL's GRPOTrainer takes reward functions of this shape (trl.trainer.grpo_trainer.RewardFunc)
RewardFunc = Callable[..., Sequence[float | None]]


def readme_snippet() -> float:
    result = detection_reward(COMPLETION, "<answer>[{'Position': [254, 303, 291, 365], 'Confidence': 1}]</answer>")
    assert_type(result, RewardResult)
    total: float | None = result.score
    components: Mapping[str, float] = result.components
    reason: str | None = result.reason
    assert reason is None and components["iou"] == 1.0 and total is not None
    one = score(COMPLETION, GT, reward="grounding.iou")
    group = score_batch([COMPLETION, "no answer"], GT, reward="grounding.iou")
    assert_type(one, RewardResult)
    assert_type(group, list[RewardResult])
    names: list[str] = list_rewards(task="detection")
    assert "visual_rft.detection" in names
    return float(result)


def keyword_arguments() -> list[RewardResult]:
    return [
        detection_reward(COMPLETION, GT, iou_threshold=0.75, normalize="pred", default_confidence=1.0, empty_score=0.0),
        detection_reward(COMPLETION, GT, answer="tags", gt_frame="pixel", image_size=(640, 480), strict=True),
        detection_reward(COMPLETION, GT, reading=Reading(answer="whole", dialect="visual_rft")),
        grounding_reward("<answer>[0, 0, 100, 100]</answer>", [0, 0, 100, 50], multiple="first", dialect="qwen2_5_vl",
                         image_size=[1000, 800], min_pixels=3136, max_pixels=12845056),
        format_reward("<think>a</think><answer>b</answer>", compat=None),
        classification_reward("<answer>cat</answer>", "cat", synonyms={"cat": ["kitty"]}, answer="auto"),
        counting_reward("<answer>3</answer>", 3, tolerance=1, prompt="How many?"),
        score(COMPLETION, GT, reward="visual_rft.detection", iou_threshold=0.5),
    ]


def trl_reward_list() -> list[RewardFunc]:
    funcs = trl_rewards(["visual_rft.detection", "format.think_answer"], ground_truth_column="solution")
    assert_type(funcs, list[TRLRewardFunction])
    reward_funcs: list[RewardFunc] = list(funcs)
    for f in reward_funcs:
        name: str = f.__name__
        assert name
    return reward_funcs


def typed_boxes() -> Boxes:
    boxes = Boxes.empty()
    assert_type(boxes, Boxes)
    return boxes


def lazy_names() -> list[str]:
    module_names: list[str] = rewardkit.__all__
    value: Any = getattr(rewardkit, "detection_reward")  # noqa: B009 - the run-time lazy path
    assert value is detection_reward
    return module_names


def main() -> None:
    assert readme_snippet() > 2.8
    assert all(isinstance(r, RewardResult) for r in keyword_arguments())
    assert len(trl_reward_list()) >= 2
    assert len(typed_boxes()) == 0
    assert "score_batch" in lazy_names()
