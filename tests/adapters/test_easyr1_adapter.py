"""rewardkit.adapters.easyr1: EasyR1's function-file contract (loaded from its path)."""

from __future__ import annotations

import importlib.util
import json
from functools import partial

import pytest
import rewardkit.adapters.easyr1 as easyr1

GOOD = "<think>a cat</think><answer>[{'Position': [10, 10, 500, 500], 'Confidence': 0.8}]</answer>"
GT = json.dumps([[10, 10, 500, 500]])


def _load_like_easyr1(name="compute_score", **kwargs):
    """EasyR1 loads `path.py:function` with spec_from_file_location under its own name."""
    spec = importlib.util.spec_from_file_location("custom_reward_fn", easyr1.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, partial(getattr(module, name), **kwargs)


def test_batch_function_returns_overall_and_components():
    module, fn = _load_like_easyr1(reward="visual_rft.detection")
    assert module.REWARD_TYPE == "batch"
    inputs = [{"response": GOOD, "response_length": 20, "ground_truth": GT}, {"response": "nope", "response_length": 2, "ground_truth": GT}]
    out = fn(inputs)
    assert out[0] == {"overall": pytest.approx(2.8), "iou": 1.0, "confidence": pytest.approx(0.8), "format": 1.0}
    assert out[1] == {"overall": 0.0, "iou": 0.0, "confidence": 0.0, "format": 0.0}
    assert {tuple(o) for o in out} == {("overall", "iou", "confidence", "format")}


def test_sequential_form_and_params():
    _, fn = _load_like_easyr1("compute_score_sequential", reward="visual_rft.classification")
    out = fn({"response": "<think>x</think><answer>Rose</answer>", "response_length": 9, "ground_truth": "rose"})
    assert out == {"overall": 2.0, "accuracy": 1.0, "format": 1.0}
    # a single dict to compute_score gives a single dict
    single = easyr1.compute_score({"response": GOOD, "response_length": 1, "ground_truth": GT}, iou_threshold=0.5)
    assert single["iou"] == 1.0
    half = "<think>x</think><answer>[[10, 10, 500, 300]]</answer>"
    strict = easyr1.compute_score([{"response": half, "ground_truth": GT}], iou_threshold=0.75)
    assert strict[0]["iou"] == 0.0


def test_not_applicable_and_bad_input():
    out = easyr1.compute_score([{"response": GOOD, "ground_truth": "no boxes"}], none_score=-0.5)
    assert out[0]["overall"] == -0.5
    with pytest.raises(ValueError, match="Expected a dict"):
        easyr1.compute_score(["just a string"])
