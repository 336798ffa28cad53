"""Dataset-level metrics (COCO, LVIS, LISA, RefCOCO, salient objects, accuracy).

Every streaming class (``CocoEvaluator``, ``LvisEvaluator``, ``SODMetrics``,
``LISAMetrics``, ``GroundingMetrics``, ``ClassificationAccuracy``, ``CountingAccuracy``)
takes ``update(preds, target)`` (torchmetrics' order; COCO / LVIS take the ground truth
in the constructor) and has ``state_dict()`` / ``merge(other)`` / ``from_states(...)``
(:mod:`rewardkit.metrics._state`); :func:`rewardkit.metrics.distributed.gather_metric`
merges across ``torch.distributed`` ranks.

Submodules are imported on use (``from rewardkit.metrics.coco import coco_evaluate``);
names listed in ``_LAZY`` are also reachable as attributes of this package.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY: dict[str, str] = {
    # name -> submodule; each metric family adds its public functions here
    "sod_evaluate": "sod",
    "SODMetrics": "sod",
    "lisa_evaluate": "lisa",
    "LISAMetrics": "lisa",
    "coco_evaluate": "coco",
    "CocoEvaluator": "coco",
    "category_subset_ap": "coco",
    "lvis_evaluate": "lvis",
    "LvisEvaluator": "lvis",
    "grounding_scores": "grounding",
    "grounding_evaluate": "grounding",
    "refcoco_accuracy": "grounding",
    "GroundingMetrics": "grounding",
    "classification_accuracy": "accuracy",
    "counting_accuracy": "accuracy",
    "ClassificationAccuracy": "accuracy",
    "CountingAccuracy": "accuracy",
    "gather_metric": "distributed",
    "completions_to_results": "results",
}


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'rewardkit.metrics' has no attribute {name!r}")
    return getattr(importlib.import_module(f"rewardkit.metrics.{mod}"), name)


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
