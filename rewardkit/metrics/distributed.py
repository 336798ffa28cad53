"""Merge a metric's state across ``torch.distributed`` ranks.

Each rank updates its own metric on its part of the data; :func:`gather_metric`
exchanges the states with ``torch.distributed.all_gather_object`` and returns, on every
rank, a new metric holding every rank's samples, merged in rank order. The numbers it
computes are ``==`` those of one process over all the data (see
:mod:`rewardkit.metrics._state` and, for COCO / LVIS, the condition in
:class:`~rewardkit.metrics.coco.CocoEvaluator`: a split by image).

torch is imported inside the function, never at module level.

Example, one line per rank after the evaluation loop::

    from rewardkit.metrics.coco import CocoEvaluator
    from rewardkit.metrics.distributed import gather_metric

    ev = CocoEvaluator(gt)            # every rank, same ground truth
    for batch in loader:              # a DistributedSampler over images
        ev.update(model_results(batch))
    result = gather_metric(ev).compute()   # same numbers on every rank
"""

from __future__ import annotations

from typing import Any, TypeVar

from rewardkit.metrics._state import MergeableMetric

__all__ = ["gather_metric", "gather_states"]

M = TypeVar("M", bound=MergeableMetric)


def gather_states(metric: MergeableMetric, group: Any = None) -> list[dict[str, Any]]:
    """Every rank's ``metric.state_dict()``, in rank order (all ranks must call it).

    Without an initialized process group it returns ``[metric.state_dict()]``.
    """
    if not isinstance(metric, MergeableMetric):
        raise TypeError(f"Expected a rewardkit metric with state_dict(), but got {type(metric).__name__}")
    state = metric.state_dict()
    try:
        import torch.distributed as dist
    except ImportError:  # pragma: no cover - torch is optional
        return [state]
    if not (dist.is_available() and dist.is_initialized()):
        return [state]
    states: list[Any] = [None] * dist.get_world_size(group)
    dist.all_gather_object(states, state, group=group)
    return states


def gather_metric(metric: M, group: Any = None) -> M:
    """A new metric (same configuration) holding the samples of every rank; ``metric`` itself is left as it was.

    A collective call: every rank of ``group`` must make it.
    """
    return metric.empty_like().merge_all(gather_states(metric, group))
