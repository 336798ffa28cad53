"""RefCOCO Acc@0.5 and mean IoU: hand-computed cases, the comparison parameter, completions."""

from __future__ import annotations

import numpy as np
import pytest

from rewardkit.metrics.grounding import grounding_evaluate, grounding_scores, refcoco_accuracy


def test_hand_computed_acc_and_miou():
    gt = [[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]]
    pred = [
        [0, 0, 10, 10],  # IoU 1
        [0, 0, 10, 5],  # IoU 0.5 exactly
        [0, 0, 10, 4],  # IoU 0.4
        None,  # no prediction: IoU 0
    ]
    r = grounding_scores(pred, gt)
    assert r["ious"].tolist() == [1.0, 0.5, 0.4, 0.0]
    assert r["acc"] == 0.5 and r["n_correct"] == 2 and r["n_unreadable"] == 1
    assert r["miou"] == pytest.approx(1.9 / 4)
    # the tie at exactly 0.5 flips with the strict comparison (VLM-R1 / Griffon)
    assert grounding_scores(pred, gt, inclusive=False)["acc"] == 0.25
    assert refcoco_accuracy(pred, gt, iou_threshold=0.4) == 0.75


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="comparison"), pytest.warns(DeprecationWarning):
        grounding_scores([[0, 0, 1, 1]], [[0, 0, 1, 1]], comparison="=>")
    with pytest.raises(ValueError, match="iou_threshold"):
        grounding_scores([[0, 0, 1, 1]], [[0, 0, 1, 1]], iou_threshold=1.5)
    with pytest.raises(ValueError, match="as many"):
        grounding_scores([[0, 0, 1, 1]], [[0, 0, 1, 1], [0, 0, 1, 1]])


def test_nan_prediction_counts_as_wrong():
    r = grounding_scores(np.array([[np.nan, 0, 1, 1]]), [[0, 0, 1, 1]])
    assert r["acc"] == 0.0 and r["n_unreadable"] == 1


def test_completions_same_reading_as_reward():
    comps = [
        "<think>x</think><answer>[0, 0, 100, 100]</answer>",
        "<answer>[0, 0, 100, 50]</answer>",
        "<answer>no box here</answer>",
        "no tags",
    ]
    gts = [[0, 0, 100, 100]] * 4
    r = grounding_evaluate(comps, gts)
    assert r["ious"].tolist() == [1.0, 0.5, 0.0, 0.0]
    assert r["acc"] == 0.5 and r["n"] == 4 and r["n_unreadable"] == 2
    assert grounding_evaluate(comps, gts, inclusive=False)["acc"] == 0.25


def test_completions_frame_conversion():
    # prediction in norm1000 of a 200 x 100 image, ground truth in pixels
    r = grounding_evaluate(
        ["<answer>[0, 0, 500, 500]</answer>"], [[0, 0, 100, 50]], pred_frame="norm1000", gt_frame="pixel",
        image_sizes=[(200, 100)],
    )  # fmt: skip
    assert r["ious"][0] == pytest.approx(1.0)


def test_old_threshold_and_comparison_keywords_warn_and_agree():
    pred, gt = [[0, 0, 10, 10]], [[0, 0, 10, 20]]  # IoU exactly 0.5
    with pytest.warns(DeprecationWarning, match="comparison"):
        old = grounding_scores(pred, gt, comparison=">")
    assert old["acc"] == grounding_scores(pred, gt, inclusive=False)["acc"] == 0.0
    with pytest.warns(DeprecationWarning, match="iou_threshold"):
        old = grounding_scores(pred, gt, threshold=0.4)
    assert old["acc"] == grounding_scores(pred, gt, iou_threshold=0.4)["acc"] == 1.0
    assert old["iou_threshold"] == old["threshold"] == 0.4 and old["inclusive"] is True
    with pytest.raises(ValueError, match="inclusive"):
        grounding_scores(pred, gt, inclusive=">")


def test_metric_reads_the_typed_iou_not_details():
    """The metric's per-expression IoU is :class:`GroundingMatch.iou` (the rewards' typed
    home of the IoU), not ``RewardResult.details``: equal on read, unreadable, converted
    and quadrilateral answers, and the module never reads ``details``."""
    import inspect

    import rewardkit.metrics.grounding as mod
    from rewardkit.metrics.grounding import GroundingMetrics
    from rewardkit.parsing.reading import Reading
    from rewardkit.rewards.grounding import grounding_match

    comps = ["<answer>[0, 0, 500, 500]</answer>", "no box", "<answer>[[0, 0, 1, 1], [0, 0, 2, 2]]</answer>",
             "<answer>[100, 100, 900, 700]</answer>", "<answer>[[0, 0], [500, 0], [500, 500], [0, 500]]</answer>"]
    gts = [[0, 0, 320, 240], [0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 1000, 1000],
           {"quad": [[0, 0], [1000, 0], [1000, 1000], [0, 1000]]}]
    sizes = [(640, 480), None, None, None, None]
    m = GroundingMetrics(gt_frame="pixel", multiple="zero")
    m2 = GroundingMetrics(multiple="zero")
    m.update(comps[:1], gts[:1], image_sizes=sizes[:1])
    m2.update(comps[1:], gts[1:])
    want = [grounding_match(comps[0], gts[0], reading=Reading(gt_frame="pixel", image_size=(640, 480))).iou]
    want += [grounding_match(c, g, multiple="zero").iou or 0.0 for c, g in zip(comps[1:], gts[1:])]
    assert want[0] == 1.0 and want[1] == want[2] == 0.0 and want[3] == pytest.approx(0.48)
    assert m.compute()["ious"].tolist() + m2.compute()["ious"].tolist() == want
    assert m2.compute()["reasons"] == {"unparseable": 1, "multiple_boxes": 1}
    assert ".details" not in inspect.getsource(mod)
