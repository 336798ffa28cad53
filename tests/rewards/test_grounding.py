"""Grounding rewards (docs/rewards-grounding.md): IoU, IoU^2, GIoU + 1, thresholded accuracy; hand cases."""

from __future__ import annotations

import pickle

import pytest

from rewardkit import grounding_reward
from rewardkit.errors import BadGroundTruth
from rewardkit.registry import get_reward, get_spec, score, score_batch

P = pytest.param
GT = [0, 0, 100, 100]


def c(answer: str) -> str:
    return f"<think>the man on the left</think><answer>{answer}</answer>"


def g(name, completion, gt=GT, **kw):
    return score(completion, gt, reward=f"grounding.{name}", **kw)


HAND = [
    # IoU([0,0,100,50], [0,0,100,100]) = 0.5
    P("iou", c("[0, 0, 100, 50]"), GT, {}, 0.5, id="iou-half"),
    P("iou_squared", c("[0, 0, 100, 50]"), GT, {}, 0.25, id="iou-squared-half"),
    # GIoU = IoU for a contained box: 0.5 + 1
    P("giou_plus_one", c("[0, 0, 100, 50]"), GT, {}, 1.5, id="giou-contained"),
    # IoU 1/7, enclosing 9, union 7: GIoU = 1/7 - 2/9 = -5/63; + 1 = 58/63
    P("giou_plus_one", c("[0, 0, 2, 2]"), [1, 1, 3, 3], {}, 58 / 63, id="giou-diagonal"),
    # disjoint in a row: GIoU = -1/3
    P("giou_plus_one", c("[2, 0, 3, 1]"), [0, 0, 1, 1], {}, 2 / 3, id="giou-disjoint"),
    P("iou", c("[2, 0, 3, 1]"), [0, 0, 1, 1], {}, 0.0, id="iou-disjoint"),
    P("accuracy", c("[0, 0, 100, 50]"), GT, {}, 1.0, id="accuracy-ge-at-exactly-half"),
    P("accuracy", c("[0, 0, 100, 50]"), GT, {"inclusive": False}, 0.0, id="accuracy-gt-at-exactly-half"),
    P("accuracy", c("[0, 0, 100, 50]"), GT, {"iou_threshold": 0.6}, 0.0, id="accuracy-threshold-0.6"),
    P("accuracy", c("[0, 0, 100, 80]"), GT, {"inclusive": False}, 1.0, id="accuracy-gt-0.8"),
    P("iou", c("[100, 50, 0, 0]"), GT, {}, 0.5, id="inverted-corners-reordered"),
    P("iou", c('```json\n[{"bbox_2d": [0, 0, 100, 50], "label": "man"}]\n```'), GT, {}, 0.5, id="qwen-json"),
    P("iou", c("<|object_ref_start|>man<|object_ref_end|><|box_start|>(0,0),(100,50)<|box_end|>"), GT, {}, 0.5,
      id="qwen-box-tokens"),
    P("iou", "<answer>[0, 0, 100, 50]</answer>", GT, {}, 0.5, id="no-format-component"),
    # several boxes: the first is read by default ...
    P("iou", c("[[0, 0, 100, 50], [0, 0, 100, 100]]"), GT, {"multiple": "first"}, 0.5, id="multiple-first"),
    # several referents in the gt: the best-overlapping one
    P("iou", c("[200, 200, 300, 250]"), [[0, 0, 100, 100], [200, 200, 300, 300]], {}, 0.5, id="best-of-several-gt"),
    # frames: gt in pixels of 640 x 480, prediction in norm1000 [0, 0, 500, 500] = pixels [0, 0, 320, 240]
    P("iou", c("[0, 0, 500, 500]"), [0, 0, 320, 240], {"gt_frame": "pixel", "image_size": (640, 480)}, 1.0,
      id="frame-converted"),
    P("iou", c("[0, 0, 0.5, 0.5]"), [0, 0, 500, 500], {"pred_frame": "norm1"}, 1.0, id="norm1-prediction"),
]


@pytest.mark.parametrize(("name", "completion", "gt", "params", "expected"), HAND)
def test_grounding_hand(name, completion, gt, params, expected):
    r = g(name, completion, gt, **params)
    assert r.score == pytest.approx(expected, abs=1e-12)
    assert dict(r.components) == {name: pytest.approx(expected, abs=1e-12)}
    assert r.reason is None


def test_multiple_boxes_zero_by_default():
    # the default refuses answers with several boxes: "correct box plus junk" is not paid
    r = g("iou", c("[[0, 0, 100, 100], [500, 500, 600, 600]]"))
    assert r.score == 0.0 and r.reason == "multiple_boxes"


def test_multiple_boxes_zero_option():
    # with multiple="zero" an answer with several boxes scores 0, even if the first is perfect
    r = g("iou", c("[[0, 0, 100, 100], [0, 0, 100, 100]]"), multiple="zero")
    assert r.score == 0.0 and r.reason == "multiple_boxes"
    assert g("iou", c("[[0, 0, 100, 100]]"), multiple="zero").score == 1.0


@pytest.mark.parametrize("name", ["iou", "iou_squared", "giou_plus_one", "accuracy"])
@pytest.mark.parametrize(("completion", "reason"), [
    (c("the man on the left"), "unparseable"),
    (c("No Objects"), "no_boxes"),
    (c(""), "empty_answer"),
    ("<think>cut", "no_answer_tag"),
    (c("[NaN, 0, 1, 1]"), "bad_coordinates"),
])
def test_grounding_unreadable_minimum(name, completion, reason):
    r = g(name, completion)
    assert r.score == get_spec(f"grounding.{name}").range[0] == 0.0
    assert r.reason == reason


@pytest.mark.parametrize("name", ["iou", "iou_squared", "giou_plus_one", "accuracy"])
@pytest.mark.parametrize("gt", [[], "nothing", [[0, 0, 1]], "No Objects"])
def test_grounding_bad_ground_truth(name, gt):
    r = g(name, c("[0, 0, 1, 1]"), gt)
    assert r.score is None and r.reason == "bad_ground_truth"
    with pytest.raises(BadGroundTruth):
        g(name, c("[0, 0, 1, 1]"), gt, strict=True)


@pytest.mark.parametrize(("name", "params"), [
    ("accuracy", {"iou_threshold": 1.2}),
    ("accuracy", {"inclusive": "yes"}),
    ("iou", {"multiple": "all"}),
    ("iou", {"pred_frame": "normalized"}),
    ("giou_plus_one", {"gt_frame": "pixel"}),  # no image size
])
def test_grounding_bad_parameter(name, params):
    with pytest.raises(ValueError):
        g(name, c("[0, 0, 1, 1]"), **params)


def test_grounding_reward_is_iou_and_pickles():
    assert grounding_reward(c("[0, 0, 100, 50]"), GT).score == 0.5
    r = get_reward("grounding.accuracy", inclusive=False, iou_threshold=0.4)
    r2 = pickle.loads(pickle.dumps(r))
    assert r2.__name__ == "grounding.accuracy" and r2.params == {"inclusive": False, "iou_threshold": 0.4}
    comps = [c("[0, 0, 100, 50]"), c("[0, 0, 100, 30]"), c("x"), c("[[0, 0, 100, 100]]")]
    assert [x.to_dict() for x in r2.score_batch(comps, GT)] == [r(x, GT).to_dict() for x in comps]
    assert [x.score for x in score_batch(comps, GT, reward="grounding.iou")] == [0.5, pytest.approx(0.3), 0.0, 1.0]


def test_accuracy_old_keywords_warn_and_agree():
    """``threshold`` / ``comparison`` (the old vocabulary) still work, with a DeprecationWarning."""
    for comp in (c("[0, 0, 100, 50]"), c("[0, 0, 100, 80]"), c("[0, 0, 100, 30]")):
        with pytest.warns(DeprecationWarning, match="comparison"):
            old = g("accuracy", comp, GT, comparison=">")
        assert old.to_dict() == g("accuracy", comp, GT, inclusive=False).to_dict()
        with pytest.warns(DeprecationWarning, match="threshold"):
            old = g("accuracy", comp, GT, threshold=0.6)
        assert old.to_dict() == g("accuracy", comp, GT, iou_threshold=0.6).to_dict()
    with pytest.raises(ValueError, match="comparison"), pytest.warns(DeprecationWarning):
        g("accuracy", c("[0, 0, 1, 1]"), GT, comparison="=>")
    with pytest.warns(DeprecationWarning):
        r = score(c("[0, 0, 100, 50]"), GT, reward="grounding.accuracy", threshold=0.5, comparison=">")
    assert r.score == 0.0


def test_registry_names_match_function_names():
    """``grounding.<kind>`` is importable as ``grounding_<kind>_reward``; the old names stay."""
    from rewardkit.rewards import grounding as mod
    from rewardkit.rewards.base import REWARD_SPECS

    for name in ("iou", "iou_squared", "giou_plus_one", "accuracy"):
        fn = getattr(mod, f"grounding_{name}_reward")
        assert REWARD_SPECS[f"grounding.{name}"].fn is fn
    assert mod.grounding_reward is mod.grounding_iou_reward
    assert mod.grounding_giou_reward is mod.grounding_giou_plus_one_reward


def test_grounding_match_is_the_rewards_iou():
    """The typed IoU the metrics read (GroundingMatch.iou) is what the rewards score."""
    from rewardkit.rewards.grounding import GroundingMatch, grounding_match

    m = grounding_match(c("[0, 0, 100, 50]"), GT)
    assert m == GroundingMatch(0.5, None, 1, 0.5)
    assert grounding_match("no box here", GT) == GroundingMatch(None, "unparseable")
    assert grounding_match(c("[[0, 0, 1, 1], [0, 0, 2, 2]]"), GT).reason == "multiple_boxes"
    assert grounding_match(c("[[0, 0, 100, 50], [0, 0, 2, 2]]"), GT, multiple="first").iou == 0.5
    for comp in (c("[0, 0, 100, 50]"), c("[10, 10, 60, 90]"), c("[0, 0, 100, 100]")):
        m = grounding_match(comp, GT)
        assert g("iou", comp, GT).score == m.iou
        assert g("giou_plus_one", comp, GT).score == pytest.approx(m.giou + 1.0)
    with pytest.raises(BadGroundTruth):
        grounding_match(c("[0, 0, 1, 1]"), [])
