"""EasyR1 reward function file for registered rewardkit rewards.

EasyR1 loads a reward function from a file, ``worker.reward.reward_function=PATH:NAME``,
and passes ``worker.reward.reward_function_kwargs`` as keyword arguments::

    worker.reward.reward_type=batch
    worker.reward.reward_function=/path/to/site-packages/rewardkit/adapters/easyr1.py:compute_score
    worker.reward.reward_function_kwargs='{"reward": "visual_rft.detection"}'

(``python -c "import rewardkit.adapters.easyr1 as m; print(m.__file__)"`` prints the path.)

``REWARD_TYPE = "batch"``: :func:`compute_score` takes the list of
``{"response", "response_length", "ground_truth"}`` dicts of a batch and returns one dict
per input with ``overall`` (the reward's score) plus its components, the same keys for
every input. Given a single dict (``reward_type=sequential``) it returns a single dict;
:func:`compute_score_sequential` is the same for configurations that name it.
Ground truth is parsed once per distinct value (the G responses of one prompt share it).
A ground truth that does not apply scores ``none_score`` (default 0).

EasyR1 passes neither the training step nor the image: schedules stay at their first
stage unless ``step`` / ``max_steps`` are given, and a frame conversion needs the image
size inside the ground truth (``{"boxes": [...], "image_size": [w, h]}``).

The file imports only rewardkit (no torch): EasyR1 loads it under its own module name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rewardkit.adapters.verl import RewardkitScorer

__all__ = ["REWARD_TYPE", "compute_score", "compute_score_sequential"]

REWARD_TYPE = "batch"

_SCORER = RewardkitScorer()


def _one(reward_input: Mapping[str, Any], reward: str, none_score: float, kwargs: Mapping[str, Any]) -> dict[str, float]:
    if not isinstance(reward_input, Mapping):
        raise ValueError(f"Expected a dict with 'response' and 'ground_truth', but got {type(reward_input).__name__}")
    extra = {"reward": reward_input.get("reward") or reward}
    for key in ("image_size", "min_pixels", "max_pixels", "reward_params", "step", "max_steps", "global_step"):
        if reward_input.get(key) is not None:
            extra[key] = reward_input[key]
    out = _SCORER(
        reward_input.get("data_source", reward),
        reward_input.get("response", ""),
        reward_input.get("ground_truth"),
        extra,
        none_score=none_score,
        **kwargs,
    )
    out.pop("applicable", None)
    return {"overall": out.pop("score"), **out}


def compute_score(
    reward_inputs: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    reward: str = "visual_rft.detection",
    none_score: float = 0.0,
    **kwargs: Any,
) -> list[dict[str, float]] | dict[str, float]:
    """Score EasyR1 reward inputs with the registered reward ``reward``.

    ``kwargs`` are reward parameters (``iou_threshold=0.5``), ``params`` (a dict of
    them), ``mix`` (every reward of a mixed run, so all outputs have the same keys),
    or ``step`` / ``max_steps`` for scheduled rewards.

    Args:
        reward_inputs: One EasyR1 input dict (``response``, ``ground_truth``, optional
            ``reward``, ``image_size``...) or a list of them.
        reward: Default reward name (an input's ``reward`` overrides it).
        none_score: Score given when the reward does not apply.
        **kwargs: Reward parameters and the keywords above.

    Returns:
        One dict per input (``overall`` and every component), or one dict for one input.

    Raises:
        ValueError: an input that is not a dict.
        KeyError: an unknown reward name.
    """
    if isinstance(reward_inputs, Mapping):
        return _one(reward_inputs, reward, none_score, kwargs)
    return [_one(r, reward, none_score, kwargs) for r in reward_inputs]


def compute_score_sequential(reward_input: Mapping[str, Any], reward: str = "visual_rft.detection", none_score: float = 0.0, **kwargs: Any) -> dict[str, float]:
    """The ``reward_type=sequential`` form: one input dict, one output dict.

    Args:
        reward_input: One EasyR1 input dict.
        reward: Default reward name.
        none_score: Score given when the reward does not apply.
        **kwargs: As in :func:`compute_score`.

    Returns:
        ``overall`` and every component.

    Raises:
        ValueError: an input that is not a dict.
        KeyError: an unknown reward name.
    """
    return _one(reward_input, reward, none_score, kwargs)
