"""Hand-computed cases for Vision-R1's criterion-driven reward (paper Eq. 4-8)."""

from __future__ import annotations

import json
import pickle

import pytest

from rewardkit.registry import Reward, score
from rewardkit.rewards.localization import (
    differentiate,
    dual_format_reward,
    localization_reward,
    progressive_schedule,
)
from rewardkit.rewards.schedules import Staged

GT2 = {"boxes": [[0, 0, 100, 100], [200, 0, 300, 100]], "labels": ["cat", "dog"]}


def js(boxes, labels=None):
    labels = labels or ["cat"] * len(boxes)
    return json.dumps([{"bbox_2d": b, "label": lab} for b, lab in zip(boxes, labels)])


def wrap(payload):
    return f"<think>looking</think><answer>{payload}</answer>"


# IoU 0.8 with the first object, 0.6 with the second
TWO = js([[0, 0, 100, 80], [200, 0, 300, 60]], ["cat", "dog"])


def test_differentiation_eq8():
    assert differentiate(0.8, 0.5, 0.75) == 1.0
    assert differentiate(0.75, 0.5, 0.75) == 1.0  # x >= xi2
    assert differentiate(0.6, 0.5, 0.75) == 0.6
    assert differentiate(0.5, 0.5, 0.75) == 0.5  # not < xi1
    assert differentiate(0.49, 0.5, 0.75) == 0.0


def test_perfect_answer_scores_three():
    r = localization_reward(wrap(js([[0, 0, 100, 100], [200, 0, 300, 100]], ["cat", "dog"])), GT2)
    assert r.score == 3.0 and dict(r.components) == {"format": 1.0, "recall": 1.0, "precision": 1.0}


def test_first_stage_hand_computed():
    # xi = (0.5, 0.5, 0.75): both valid; recall f(1) = 1; precision (f(.8)=1 + f(.6)=.6) / 2
    r = localization_reward(wrap(TWO), GT2)
    assert r.components["recall"] == 1.0
    assert r.components["precision"] == pytest.approx(0.8)
    assert r.score == pytest.approx(2.8)
    # no step given -> first stage, whatever max_steps says
    assert localization_reward(wrap(TWO), GT2, max_steps=10).score == pytest.approx(2.8)


def test_second_stage_hand_computed():
    # xi = (0.75, 0.75, 0.9): only the IoU-0.8 box is valid; recall f(1/2) = 0 (< 0.75);
    # precision (f(0.8) = 0.8 + 0) / 2 = 0.4
    r = localization_reward(wrap(TWO), GT2, step=50, max_steps=100)
    assert r.components["recall"] == 0.0
    assert r.components["precision"] == pytest.approx(0.4)
    assert r.score == pytest.approx(1.4)
    assert r.details["xi"] == (0.75, 0.75, 0.9)
    # just before the switch: still the first stage
    assert localization_reward(wrap(TWO), GT2, step=49, max_steps=100).score == pytest.approx(2.8)


def test_switch_at_one_never_switches_and_custom_switch():
    assert localization_reward(wrap(TWO), GT2, step=99, max_steps=100, switch_at=1.0).score == pytest.approx(2.8)
    assert localization_reward(wrap(TWO), GT2, step=30, max_steps=100, switch_at=0.25).score == pytest.approx(1.4)


def test_recall_partial_first_stage():
    # one of two objects found exactly: recall f(0.5) = 0.5 (0.5 is not < xi1 = 0.5)
    r = localization_reward(wrap(js([[0, 0, 100, 100]])), GT2)
    assert r.components["recall"] == 0.5
    assert r.components["precision"] == 1.0
    # second stage: f(0.5) = 0 (< 0.75)
    assert localization_reward(wrap(js([[0, 0, 100, 100]])), GT2, step=9, max_steps=10).components["recall"] == 0.0


def test_box_spam_costs_in_paper_mode_but_not_in_released_code():
    correct = [[0, 0, 100, 100], [200, 0, 300, 100]]
    junk = [[400 + 50 * i, 500, 440 + 50 * i, 540] for i in range(8)]
    c = js(correct + junk)
    paper = localization_reward(c, GT2)
    assert paper.components["recall"] == 1.0
    assert paper.components["precision"] == pytest.approx(2 / 10)  # Eq. 6: divided by M = 10
    released = localization_reward(c, GT2, compat="released_code")
    assert dict(released.components) == {"format": 1.0, "recall": 1.0, "precision": 1.0}
    assert released.score == 3.0 > paper.score


def test_duplicates_cost():
    c = js([[0, 0, 100, 100]] * 6)
    r = localization_reward(c, GT2)
    assert r.components["recall"] == 0.5  # one valid match of 2 objects
    assert r.components["precision"] == pytest.approx(1 / 6)


def test_released_code_uses_giou_mean_over_matched_pairs():
    r = localization_reward(TWO, GT2, compat="released_code")
    # GIoU equals IoU here (the prediction lies inside its object): 0.8 and 0.6
    assert r.components["precision"] == pytest.approx(0.7)
    assert r.components["recall"] == 1.0  # both GIoU > 0.5
    # schedule off: the step changes nothing
    assert localization_reward(TWO, GT2, compat="released_code", step=90, max_steps=100).score == r.score


def test_released_code_negative_sample_pays_garbage():
    # released dual format is inverted on samples without objects: non-JSON text earns 1,
    # and no readable box earns recall = precision = 1 -> the maximum for garbage
    r = localization_reward("I cannot see anything useful here", [], compat="released_code")
    assert r.score == 3.0
    assert localization_reward("I cannot see anything useful here", []).score == 0.0


def test_hungarian_assignment_is_box_optimal():
    gt = [[0, 0, 100, 100], [60, 0, 160, 100]]
    # p0 overlaps both objects; p1 only the first: the optimal assignment is p0->g1, p1->g0
    c = js([[50, 0, 150, 100], [0, 0, 100, 100]])
    r = localization_reward(c, gt)
    assert r.components["recall"] == 1.0
    assert r.details["valid"] == 2


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (js([[0, 0, 100, 1200]]), "out_of_bounds"),
        (js([[-5, 0, 100, 100]]), "out_of_bounds"),
        (js([[100, 0, 0, 100]]), "inverted_box"),
        (js([[0, 0, 0, 100]]), "empty_box"),
        (json.dumps([{"bbox_2d": [0, 0, 100, 100]}]), "missing_label"),
        ('[{"bbox_2d": [0, 0, 100, 100], "label": "cat"}, {"bbox_2d": [200, 0, 3', "bad_template"),
        ('Sure! ' + js([[0, 0, 100, 100]]), "bad_template"),
    ],
)
def test_dual_format_failures(payload, reason):
    r = dual_format_reward(wrap(payload), GT2)
    assert r.score == 0.0 and r.reason == reason


def test_dual_format_content_but_matching_still_counts():
    # out of bounds -> DF 0, but the first box still matches its object
    r = localization_reward(wrap(js([[0, 0, 100, 100], [200, 0, 300, 1100]])), GT2)
    assert r.components["format"] == 0.0
    assert r.components["recall"] == 0.5


def test_dual_format_accepts_negatives_and_needs_one_answer_block():
    assert dual_format_reward(wrap("[]"), GT2).score == 1.0
    assert dual_format_reward(wrap("No Objects")).score == 1.0
    twice = wrap(js([[0, 0, 1, 1]])) + "<answer>" + js([[0, 0, 100, 100]]) + "</answer>"
    assert dual_format_reward(twice, GT2).reason == "several_answer_blocks"
    assert dual_format_reward(js([[0, 0, 100, 100]]), {"boxes": [[0, 0, 10, 10]]}).score == 1.0  # no labels needed
    assert dual_format_reward(js([[0.5, 0, 100, 100]]), integer_coords=True).score == 0.0
    assert dual_format_reward(js([[0.1, 0.1, 0.5, 0.5]]), pred_frame="norm1").score == 1.0
    assert dual_format_reward(js([[0.1, 0.1, 1.5, 0.5]]), pred_frame="norm1").score == 0.0


def test_empty_cases():
    assert localization_reward(wrap("No Objects"), []).score == 3.0
    assert localization_reward(wrap("[]"), [], empty_score=0.5).score == 2.0
    r = localization_reward(wrap(js([[0, 0, 10, 10]])), [])
    assert dict(r.components) == {"format": 1.0, "recall": 0.0, "precision": 0.0}
    r = localization_reward(wrap("[]"), GT2)
    assert dict(r.components) == {"format": 1.0, "recall": 0.0, "precision": 0.0}


def test_unreadable_answers_score_minimum():
    assert localization_reward(wrap("lorem ipsum"), GT2).score == 0.0
    assert localization_reward("<think>[[0, 0, 100, 100]]</think>", GT2).score == 0.0
    assert localization_reward(wrap(""), GT2).score == 0.0


def test_rec_single_box_and_bare_completion():
    gt = [10, 20, 110, 220]  # one box (REC / grounding) is a list of one
    assert localization_reward("[10, 20, 110, 220]", gt).score == 3.0
    assert localization_reward(wrap('{"bbox_2d": [10, 20, 110, 220]}'), gt).score == 3.0


def test_frames():
    norm1 = js([[0.0, 0.0, 0.1, 0.1], [0.2, 0.0, 0.3, 0.1]], ["cat", "dog"])
    assert localization_reward(norm1, GT2, pred_frame="norm1").score == pytest.approx(3.0)
    # the wrong frame is not silently fixed
    assert localization_reward(norm1, GT2).components["recall"] == 0.0
    px = js([[0, 0, 64, 48], [128, 0, 192, 48]], ["cat", "dog"])
    r = localization_reward(px, GT2, pred_frame="pixel", image_size=(640, 480))
    assert r.score == pytest.approx(3.0)


def test_use_labels():
    swapped = js([[0, 0, 100, 100], [200, 0, 300, 100]], ["dog", "cat"])
    assert localization_reward(swapped, GT2).components["recall"] == 1.0
    r = localization_reward(swapped, GT2, use_labels=True)
    assert r.components["recall"] == 0.0 and r.components["precision"] == 0.0


@pytest.mark.parametrize("cost", ["l1+giou", "giou", "iou"])
def test_cost_variants_agree_on_clear_cases(cost):
    assert localization_reward(wrap(TWO), GT2, cost=cost).score == pytest.approx(2.8)


def test_parameters_are_validated():
    with pytest.raises(ValueError):
        localization_reward(TWO, GT2, before=(0.5, 0.8, 0.7))
    with pytest.raises(ValueError):
        localization_reward(TWO, GT2, switch_at=1.5)
    with pytest.raises(ValueError):
        localization_reward(TWO, GT2, compat="public")
    with pytest.raises(ValueError, match="max_steps"):
        localization_reward(TWO, GT2, step=3)
    with pytest.raises(ValueError, match="xi"):
        localization_reward(TWO, GT2, schedule=Staged([(0, {"xi0": 0.5})]))


def test_custom_schedule_by_step():
    s = Staged([(0, {"xi0": 0.5, "xi1": 0.5, "xi2": 0.75}), (1500, {"xi0": 0.75, "xi1": 0.75, "xi2": 0.9})], by="step")
    assert localization_reward(TWO, GT2, schedule=s, step=1499).score == pytest.approx(2.8)
    assert localization_reward(TWO, GT2, schedule=s, step=1500).score == pytest.approx(1.4)
    assert progressive_schedule(0.5).at(5, 10) == {"xi0": 0.75, "xi1": 0.75, "xi2": 0.9}


def test_registry_passes_step_and_pickles():
    assert score(TWO, GT2, reward="vision_r1.localization", step=80, max_steps=100).score == pytest.approx(1.4)
    r = Reward("vision_r1.localization", switch_at=0.25)
    r2 = pickle.loads(pickle.dumps(r))
    assert r2.__name__ == "vision_r1.localization"
    assert r2(TWO, GT2, step=30, max_steps=100).score == pytest.approx(1.4)
    assert r.spec.scheduled
    out = r.score_batch([TWO, wrap(TWO)], GT2)
    assert [o.score for o in out] == pytest.approx([2.8, 2.8])


def test_bad_ground_truth_is_none():
    assert localization_reward(TWO, "not boxes at all").score is None
