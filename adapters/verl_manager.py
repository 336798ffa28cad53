"""veRL (0.9.1) reward managers that pass the training step to rewardkit rewards.

veRL calls the custom reward function once per sample without the training step, which
Vision-R1's progressive rule refinement needs (thresholds switch at a fraction STEP of
training). These managers are veRL's own plus one thing: before scoring, they write
``step`` and ``max_steps`` into the sample's ``extra_info``, which
:func:`rewardkit.adapters.verl.compute_score` reads.

* :class:`RewardkitRewardManager`: veRL's ``naive`` manager (scores in the reward-loop
  worker's thread pool);
* :class:`RewardkitRemoteRewardManager`: veRL's ``remote`` manager (scores in
  ``reward.num_workers`` separate ``RewardComputeWorker`` processes per reward-loop
  worker, for CPU-heavy rewards).

Both work with ``reward.num_workers > 1`` (``RewardLoopManager`` starts that many
reward-loop workers, on every node of the cluster). Load one with::

    reward.reward_manager.source=importlib
    reward.reward_manager.name=RewardkitRewardManager        # or RewardkitRemoteRewardManager
    reward.reward_manager.module.path=pkg://rewardkit.adapters.verl_manager
    reward.custom_reward_function.path=pkg://rewardkit.adapters.verl

Where the step comes from, first found wins:

* ``data.meta_info["global_steps"]`` (set by the trainer on the generation batch),
* the ``global_steps`` / ``max_global_steps`` columns of the batch (the agent loop
  copies the rollout server's weight version there),
* ``tool_extra_fields["global_steps"]`` (the agent loop's streaming reward path).

``max_steps`` comes from ``reward.custom_reward_function.reward_kwargs.max_steps`` if
set, else the trainer's ``total_training_steps`` (which veRL writes into
``actor_rollout_ref.actor.optim.total_training_steps`` when it builds the data loader)
or ``trainer.total_training_steps``.

This module imports torch and veRL: only veRL loads it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from verl import DataProto
from verl.experimental.reward_loop.reward_manager.naive import NaiveRewardManager
from verl.experimental.reward_loop.reward_manager.remote import RemoteRewardManager

__all__ = ["RewardkitRewardManager", "RewardkitRemoteRewardManager", "step_from_batch", "max_steps_from_config", "with_step"]


def _scalar(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        if value.size == 0:
            return None
        value = value.reshape(-1)[-1]
    try:
        return int(value.item() if hasattr(value, "item") else value)
    except (TypeError, ValueError):
        return None


def _cfg_get(config: Any, *path: str) -> Any:
    node = config
    for key in path:
        if node is None:
            return None
        try:
            node = node.get(key) if hasattr(node, "get") else getattr(node, key, None)
        except Exception:  # omegaconf raises on missing keys of structured configs
            return None
    return node


def step_from_batch(data: DataProto) -> int | None:
    """The training step of a batch (see the module docstring for the sources).

    Args:
        data: veRL's batch.

    Returns:
        The step, or None when the batch carries none.
    """
    step = _scalar((data.meta_info or {}).get("global_steps"))
    if step is not None:
        return step
    for key in ("global_steps", "max_global_steps"):
        col = data.non_tensor_batch.get(key)
        if col is not None and len(col):
            step = _scalar(col[-1])
            if step is not None:
                return step
    fields = data.non_tensor_batch.get("tool_extra_fields")
    if fields is not None and len(fields) and isinstance(fields[-1], dict):
        return _scalar(fields[-1].get("global_steps"))
    return None


def max_steps_from_config(config: Any) -> int | None:
    """Total training steps from the trainer configuration, if known.

    Args:
        config: veRL's trainer configuration (omegaconf or dict).

    Returns:
        The total steps, or None.
    """
    for path in (
        ("reward", "custom_reward_function", "reward_kwargs", "max_steps"),
        ("actor_rollout_ref", "actor", "optim", "total_training_steps"),
        ("trainer", "total_training_steps"),
    ):
        value = _scalar(_cfg_get(config, *path))
        if value is not None and value > 0:
            return value
    return None


def with_step(data: DataProto, max_steps: int | None) -> DataProto:
    """The last sample of ``data`` with ``step`` and ``max_steps`` in its ``extra_info``.

    ``step`` comes from the batch; ``extra_info`` is a copy (a new DataProto: the
    caller's is not modified).

    Args:
        data: veRL's batch (one sample in the managers' ``run_single``).
        max_steps: Total training steps, or None (kept when ``extra_info`` has one).

    Returns:
        A new one-sample DataProto.
    """
    data = data[-1:]  # a new DataProto: its non-tensor dict can be replaced safely
    step = step_from_batch(data)
    old = data.non_tensor_batch.get("extra_info")
    info = dict(old[0]) if old is not None and isinstance(old[0], dict) else {}
    if step is not None:
        # "step" is read first by compute_score; veRL's managers later merge the rollout's
        # tool_extra_fields (whose "global_steps" may be None) over extra_info.
        info["step"] = step
    if max_steps is not None and info.get("max_steps") is None:
        info["max_steps"] = max_steps
    cell = np.empty(1, dtype=object)
    cell[0] = info
    data.non_tensor_batch = {**data.non_tensor_batch, "extra_info": cell}
    return data


class RewardkitRewardManager(NaiveRewardManager):
    """veRL's naive reward manager that also puts the training step into ``extra_info``.

    Args:
        config: veRL's trainer configuration.
        tokenizer: The policy's tokenizer.
        compute_score: The reward function (:func:`rewardkit.adapters.verl.compute_score`).
        reward_router_address: As in veRL's ``NaiveRewardManager``.
        reward_model_tokenizer: As in veRL's ``NaiveRewardManager``.
    """

    def __init__(self, config, tokenizer, compute_score, reward_router_address=None, reward_model_tokenizer=None):
        super().__init__(
            config,
            tokenizer,
            compute_score,
            reward_router_address=reward_router_address,
            reward_model_tokenizer=reward_model_tokenizer,
        )
        self.max_steps = max_steps_from_config(config)

    async def run_single(self, data: DataProto) -> dict:
        return await super().run_single(with_step(data, self.max_steps))


class RewardkitRemoteRewardManager(RemoteRewardManager):
    """veRL's remote reward manager that also puts the training step into ``extra_info``.

    It scores in separate ``RewardComputeWorker`` processes. Each compute worker imports
    rewardkit once and keeps its bound rewards and prepared ground truths across calls.

    Args:
        config: veRL's trainer configuration.
        tokenizer: The policy's tokenizer.
        compute_score: The reward function (:func:`rewardkit.adapters.verl.compute_score`).
        reward_router_address: As in veRL's ``RemoteRewardManager``.
        reward_model_tokenizer: As in veRL's ``RemoteRewardManager``.
    """

    def __init__(self, config, tokenizer, compute_score, reward_router_address=None, reward_model_tokenizer=None):
        super().__init__(
            config,
            tokenizer,
            compute_score,
            reward_router_address=reward_router_address,
            reward_model_tokenizer=reward_model_tokenizer,
        )
        self.max_steps = max_steps_from_config(config)

    async def run_single(self, data: DataProto) -> dict:
        return await super().run_single(with_step(data, self.max_steps))
