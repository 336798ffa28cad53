"""Hand-computed cases for the VLM-R1 family (SPEC 2.6)."""

from __future__ import annotations

import json

import pytest

from rewardkit.parsing.frames import qwen25vl_resize
from rewardkit.rewards.vlm_r1 import (
    od_ap50_reward,
    od_ap_reward,
    od_length_reward,
    rec_iou_reward,
    repetition_penalty,
    weighted_sum_reward,
)

GT2 = {"boxes": [[0, 0, 100, 100], [200, 0, 300, 100]], "labels": ["cat", "dog"]}
A, B = [0, 0, 100, 100], [200, 0, 300, 100]
JUNK = [[400 + 10 * i, 400, 450 + 10 * i, 450] for i in range(8)]


def ans(boxes, labels=None, conf=None):
    items = []
    for i, b in enumerate(boxes):
        it = {"bbox_2d": b}
        if labels is not None and labels[i] is not None:
            it["label"] = labels[i]
        if conf is not None:
            it["confidence"] = conf[i]
        items.append(it)
    return f"<think>x</think><answer>{json.dumps(items)}</answer>"


# --- rec_iou ---------------------------------------------------------------------------

def test_rec_iou_value_and_multiple_boxes():
    assert rec_iou_reward("<answer>[0, 0, 100, 100]</answer>", [0, 0, 100, 50]).score == 0.5
    two = "<answer>[[0, 0, 100, 50], [500, 500, 600, 600]]</answer>"
    assert rec_iou_reward(two, [0, 0, 100, 50]).score == 0.0
    assert rec_iou_reward(two, [0, 0, 100, 50]).reason == "multiple_boxes"
    assert rec_iou_reward(two, [0, 0, 100, 50], multiple="first").score == 1.0
    assert rec_iou_reward("<answer>nothing</answer>", [0, 0, 100, 50]).score == 0.0


def test_rec_iou_qwen25vl_frame():
    w, h = 1000, 800
    rw, rh = qwen25vl_resize(w, h)
    gt = [100, 100, 500, 400]
    pred = [gt[0] * rw / w, gt[1] * rh / h, gt[2] * rw / w, gt[3] * rh / h]
    c = f"<answer>{json.dumps(pred)}</answer>"
    r = rec_iou_reward(c, gt, pred_frame="qwen25vl", gt_frame="pixel", image_size=(w, h))
    assert r.score == pytest.approx(1.0)
    assert rec_iou_reward(c, gt, gt_frame="pixel", pred_frame="pixel", image_size=(w, h)).score < 0.99


# --- AP family ---------------------------------------------------------------------------

def test_od_ap_perfect_partial_and_empty():
    assert od_ap_reward(ans([A, B]), GT2).score == 1.0
    # one of two objects: precision 1 up to recall 0.5 -> 51 of 101 recall points
    assert od_ap_reward(ans([A]), GT2).score == pytest.approx(51 / 101)
    assert od_ap_reward(ans([]), []).score == 1.0  # both empty (VLM-R1)
    assert od_ap_reward("<answer>No Objects</answer>", []).score == 1.0
    assert od_ap_reward(ans([A]), []).score == 0.0  # pycocotools: -1
    assert od_ap_reward(ans([A]), [], no_gt=0.25).score == 0.25
    assert od_ap_reward(ans([]), GT2).score == 0.0
    assert od_ap_reward("<think>x</think>", GT2).score == 0.0


def test_od_ap_vs_ap50():
    gt = [[0, 0, 100, 100]]
    c = ans([[0, 0, 100, 62]])  # IoU 0.62 passes the thresholds 0.50, 0.55, 0.60
    # pycocotools' precision is tp / (tp + fp + eps): 1 - 1e-16 here, kept bit for bit
    assert od_ap50_reward(c, gt).score == pytest.approx(1.0, abs=1e-12)
    assert od_ap_reward(c, gt).score == pytest.approx(0.3)


def test_od_ap_junk_after_correct_is_free_but_length_penalizes():
    c = ans([A, B] + JUNK)
    assert od_ap_reward(c, GT2).score == 1.0  # all scored 1.0, junk ranked last: AP unchanged
    r = od_length_reward(c, GT2)
    assert r.score == pytest.approx(2 / 10)
    assert dict(r.components) == {"ap": 1.0, "length": pytest.approx(0.2)}
    assert od_length_reward(ans([A]), GT2).score == pytest.approx(51 / 101)  # fewer boxes: factor 1


def test_od_ap_junk_first_and_confidences():
    # junk ranked first: precision 1/9 at recall .5 and 2/10 at recall 1 -> 0.2 everywhere
    assert od_ap_reward(ans(JUNK + [A, B]), GT2).score == pytest.approx(0.2)
    conf = [0.1] * 8 + [0.9, 0.9]
    assert od_ap_reward(ans(JUNK + [A, B], conf=conf), GT2).score == 1.0


# --- weighted_sum ------------------------------------------------------------------------

def test_weighted_sum_hand_computed():
    # A matches cat (IoU 1, label ok); B' matches dog with IoU 0.6 but label "cat" (wrong);
    # one unmatched prediction. position = 1/2, completeness = 1 - (0 + 1/3)/2 = 5/6
    c = ans([A, [200, 0, 300, 60], [700, 700, 800, 800]], ["cat", "cat", "dog"])
    r = weighted_sum_reward(c, GT2)
    assert r.components["position"] == pytest.approx(0.5)
    assert r.components["completeness"] == pytest.approx(5 / 6)
    assert r.score == pytest.approx(0.7 * 0.5 + 0.3 * 5 / 6)
    r2 = weighted_sum_reward(c, GT2, beta=0.2)
    assert r2.score == pytest.approx((0.7 * 0.5 + 0.2 * 0.5 + 0.3 * 5 / 6) / 1.2)


def test_weighted_sum_misses_and_threshold():
    # only A: miss rate 1/2, no false alarm: 0.7 * 1/2 + 0.3 * (1 - 0.25)
    assert weighted_sum_reward(ans([A], ["cat"]), GT2).score == pytest.approx(0.35 + 0.225)
    # IoU exactly 0.5 matches (>=)
    half = ans([[0, 0, 100, 50]], ["cat"])
    r = weighted_sum_reward(half, {"boxes": [A], "labels": ["cat"]})
    assert r.components["position"] == pytest.approx(0.5)
    assert r.components["completeness"] == 1.0


def test_weighted_sum_missing_label_does_not_crash():
    c = ans([A, B], [None, "dog"])
    r = weighted_sum_reward(c, GT2)
    assert r.components["position"] == pytest.approx(0.5)  # unlabeled match counts as wrong label
    # ground truth without labels: labels are not checked
    assert weighted_sum_reward(ans([A, B]), [A, B]).score == 1.0


def test_weighted_sum_empty_cases_and_labels():
    assert weighted_sum_reward(ans([]), []).score == 1.0
    assert weighted_sum_reward(ans([A], ["cat"]), []).score == 0.0
    assert weighted_sum_reward(ans([]), GT2).score == 0.0
    assert weighted_sum_reward(ans([A, B], ["Cat", "the dog"]), GT2).score == 1.0  # normalized labels
    r = weighted_sum_reward(ans([A, B], ["cat or dog", "cat or dog"]), GT2)
    assert r.components["position"] == 0.0 and r.score == pytest.approx(0.3)
    with pytest.raises(ValueError):
        weighted_sum_reward(ans([A]), GT2, alpha=-1)


# --- repetition --------------------------------------------------------------------------

def test_repetition_penalty():
    assert repetition_penalty(ans([A, A, A, A], ["cat"] * 4)).score == -0.75
    assert repetition_penalty(ans([A, B], ["cat", "dog"])).score == 0.0
    assert repetition_penalty(ans([A, A], ["cat", "dog"])).score == 0.0  # different labels
    assert repetition_penalty(ans([A, A], ["cat", "Cat"])).score == -0.5
    assert repetition_penalty(ans([[0, 0, 10, 10.2], [0, 0, 10, 10.4]]), decimals=0).score == -0.5
    # text fallback: 12 words, 7 six-grams, 6 unique -> -(1 - 6/7)
    assert repetition_penalty("a b c d e f a b c d e f").score == pytest.approx(-1 / 7)
    assert repetition_penalty("too short").score == 0.0
    assert repetition_penalty("").score == 0.0
    with pytest.raises(ValueError):
        repetition_penalty("x", ngram_size=0)


def _fence(c):
    # the public od_reward reads the last ```json fence of the answer block
    return c.replace("<answer>", "<answer>```json\n").replace("</answer>", "\n```</answer>")


def test_od_ap_vlm_r1_compat_per_label():
    # without a json fence the public reward reads no box (compat reproduces it)
    assert od_ap_reward(ans([A, B], ["cat", "dog"]), GT2, compat="vlm_r1").score == 0.0
    # labels swapped: class-agnostic AP is perfect, per-label AP (public) is 0
    swapped = ans([A, B], ["dog", "cat"])
    assert od_ap_reward(swapped, GT2).score == 1.0
    assert od_ap_reward(_fence(swapped), GT2, compat="vlm_r1").score == 0.0
    # (1 - 2e-16: pycocotools' np.spacing(1) term, kept bit for bit)
    assert od_ap_reward(_fence(ans([A, B], ["cat", "dog"])), GT2, compat="vlm_r1").score == pytest.approx(1.0, abs=1e-12)
    # a label unknown to the ground truth is dropped by the public code: junk labelled
    # "zebra" after the correct boxes costs nothing; only od_length's factor counts it
    junk = ans([A, B] + JUNK, ["cat", "dog"] + ["zebra"] * 8)
    assert od_ap_reward(_fence(junk), GT2, compat="vlm_r1").score == pytest.approx(1.0, abs=1e-12)
    assert od_length_reward(_fence(junk), GT2, compat="vlm_r1").score == pytest.approx(0.2)
    # only unknown labels: the public code returns 0
    assert od_ap_reward(_fence(ans([A], ["zebra"])), GT2, compat="vlm_r1").score == 0.0
    # one object of class cat found, dog missed: mean over the two categories of (1, 0)
    r = od_ap50_reward(_fence(ans([A], ["cat"])), GT2, compat="vlm_r1")
    assert r.score == pytest.approx(0.5, abs=1e-12)
    # confidences are ignored by the public code
    c = ans([JUNK[0], A, B], ["cat", "cat", "dog"], conf=[0.9, 0.1, 0.1])
    assert od_ap_reward(_fence(c), GT2, compat="vlm_r1").score > od_ap_reward(c, GT2).score
    with pytest.raises(ValueError):
        od_ap_reward(swapped, GT2, compat="public")
