"""visual_rft.detection (Visual-RFT Eq. 5-8) and detection.f1, hand-computed cases.

R_d = R_IoU + R_conf + R_format with
  R_IoU  = sum(matched IoU) / D, D = max(n_gt, n_pred) ("max") or n_pred ("pred"),
  R_conf = mean over predictions of c_i if matched else 1 - c_i,
  matching: predictions by descending confidence, each to the best free gt, IoU > tau.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from rewardkit import detection_reward, score
from rewardkit.errors import BadGroundTruth
from rewardkit.registry import get_reward, get_spec, score_batch
from rewardkit.types import Boxes

GT1 = [[0, 0, 100, 100]]
GT2 = [[0, 0, 100, 100], [200, 200, 300, 300]]


def c(answer: str, think: str = "I look at the image.") -> str:
    return f"<think>{think}</think><answer>{answer}</answer>"


def vrft(*boxes_conf) -> str:
    return "[" + ", ".join(f"{{'Position': {list(b)}, 'Confidence': {conf}}}" for b, conf in boxes_conf) + "]"


def test_perfect_single_box():
    r = detection_reward(c(vrft(([0, 0, 100, 100], 0.9))), GT1)
    # IoU 1, matched confidence 0.9, format 1
    assert r.score == pytest.approx(2.9)
    assert dict(r.components) == {"iou": 1.0, "confidence": pytest.approx(0.9), "format": 1.0}
    assert r.reason is None


@pytest.mark.parametrize(("normalize", "expected_iou"), [("max", 0.4), ("pred", 0.8)])
def test_normalize_max_vs_pred(normalize, expected_iou):
    # one prediction, IoU([0,0,100,80], [0,0,100,100]) = 8000 / 10000 = 0.8, two gt boxes:
    # "max": 0.8 / max(2, 1) = 0.4 (the missed object costs); "pred": 0.8 / 1 = 0.8
    r = detection_reward(c(vrft(([0, 0, 100, 80], 1.0))), GT2, normalize=normalize)
    assert r.components["iou"] == pytest.approx(expected_iou)
    assert r.components["confidence"] == pytest.approx(1.0)
    assert r.score == pytest.approx(expected_iou + 2.0)


def test_confidence_matched_c_unmatched_one_minus_c():
    # box A matches (c = 0.8), box B overlaps nothing (c = 0.3): R_conf = (0.8 + 0.7) / 2 = 0.75
    # R_IoU = 1.0 / max(1, 2) = 0.5
    r = detection_reward(c(vrft(([0, 0, 100, 100], 0.8), ([500, 500, 600, 600], 0.3))), GT1)
    assert r.components["confidence"] == pytest.approx(0.75)
    assert r.components["iou"] == pytest.approx(0.5)
    assert r.score == pytest.approx(2.25)


def test_threshold_strictly_greater():
    # IoU([0,0,100,50], [0,0,100,100]) = 0.5 exactly: not a match at tau = 0.5
    # R_IoU = 0, R_conf = 1 - 0.9 = 0.1, format 1
    r = detection_reward(c(vrft(([0, 0, 100, 50], 0.9))), GT1)
    assert r.components["iou"] == 0.0
    assert r.components["confidence"] == pytest.approx(0.1)
    assert r.score == pytest.approx(1.1)
    # tau = 0.4: matched, R_IoU = 0.5, R_conf = 0.9
    r = detection_reward(c(vrft(([0, 0, 100, 50], 0.9))), GT1, iou_threshold=0.4)
    assert r.score == pytest.approx(0.5 + 0.9 + 1.0)


def test_greedy_order_by_confidence():
    # one gt; P0 IoU 0.6, P1 IoU 0.9
    a, b = [0, 0, 100, 60], [0, 0, 100, 90]
    # P1 more confident: P1 matches (0.9); R_IoU = 0.9 / 2 = 0.45; R_conf = (1 - 0.4 + 0.9) / 2 = 0.75
    r = detection_reward(c(vrft((a, 0.4), (b, 0.9))), GT1)
    assert r.components["iou"] == pytest.approx(0.45)
    assert r.components["confidence"] == pytest.approx(0.75)
    # P0 more confident: P0 takes the gt with IoU 0.6; R_IoU = 0.3; R_conf = (0.9 + 1 - 0.4) / 2 = 0.75
    r = detection_reward(c(vrft((a, 0.9), (b, 0.4))), GT1)
    assert r.components["iou"] == pytest.approx(0.3)
    assert r.components["confidence"] == pytest.approx(0.75)


def test_equal_confidence_keeps_file_order():
    a, b = [0, 0, 100, 60], [0, 0, 100, 90]
    r = detection_reward(c(vrft((a, 0.5), (b, 0.5))), GT1)
    # a comes first and takes the gt: R_IoU = 0.6 / 2
    assert r.components["iou"] == pytest.approx(0.3)


def test_duplicate_boxes_cost():
    # three copies of the perfect box, confidence 1: one match; R_IoU = 1/3, R_conf = (1 + 0 + 0) / 3
    r = detection_reward(c(vrft(*[([0, 0, 100, 100], 1.0)] * 3)), GT1)
    assert r.components["iou"] == pytest.approx(1 / 3)
    assert r.components["confidence"] == pytest.approx(1 / 3)


def test_missing_confidence_uses_default():
    payload = '[{"bbox_2d": [0, 0, 100, 100], "label": "cat"}]'
    assert detection_reward(c(payload), GT1).score == pytest.approx(3.0)
    r = detection_reward(c(payload), GT1, default_confidence=0.5)
    assert r.components["confidence"] == pytest.approx(0.5)


def test_frames_mismatch_converted_with_image_size():
    # gt in pixels of a 640 x 480 image; prediction in norm1000: x * 0.64, y * 0.48
    gt_px = [[64, 96, 320, 480]]
    pred = c(vrft(([100, 200, 500, 1000], 1.0)))
    r = detection_reward(pred, gt_px, gt_frame="pixel", image_size=(640, 480))
    assert r.score == pytest.approx(3.0)
    # the same pair compared without conversion: IoU = 61600 / 356704 = 0.173 < 0.5: no match
    r = detection_reward(pred, gt_px)
    assert r.components["iou"] == 0.0 and r.components["confidence"] == 0.0
    # frame and size carried by the ground truth dict
    r = detection_reward(pred, {"boxes": gt_px, "image_size": (640, 480), "frame": "pixel"})
    assert r.score == pytest.approx(3.0)
    # Qwen2.5-VL processed pixels (640 x 480 -> 644 x 476): [64.4, 95.2, 322, 476] is norm1000 [100, 200, 500, 1000]
    r = detection_reward(c(vrft(([64.4, 95.2, 322, 476], 1.0))), [[100, 200, 500, 1000]], pred_frame="qwen25vl",
                         image_size=(640, 480))
    assert r.score == pytest.approx(3.0)


def test_missing_image_size_is_caller_error():
    with pytest.raises(ValueError, match="image_size"):
        detection_reward(c(vrft(([1, 2, 3, 4], 1.0))), [[1, 2, 3, 4]], gt_frame="pixel")


@pytest.mark.parametrize("answer", ["[]", "No Objects", "none", "```json\n[]\n```"])
def test_empty_on_empty_earns_empty_score(answer):
    r = detection_reward(c(answer), [])
    assert dict(r.components) == {"iou": 1.0, "confidence": 1.0, "format": 1.0}
    assert r.score == 3.0
    r = detection_reward(c(answer), [], empty_score=0.5)
    assert r.score == 2.0


def test_empty_answer_on_image_with_objects_scores_zero():
    r = detection_reward(c("[]"), GT1)
    assert r.components["iou"] == 0.0 and r.components["confidence"] == 0.0
    assert r.score == 1.0  # the format part only
    r = detection_reward(c("No Objects"), GT2)
    assert r.components["iou"] == 0.0 and r.components["confidence"] == 0.0


def test_boxes_on_empty_image():
    # no gt: R_IoU = 0 / max(0, 1) = 0, R_conf = 1 - 0.8 = 0.2
    r = detection_reward(c(vrft(([0, 0, 10, 10], 0.8))), [])
    assert r.components["iou"] == 0.0
    assert r.components["confidence"] == pytest.approx(0.2)


def test_multi_line_answer_scores():
    # the public regex without DOTALL scores this 0 while format scores 1
    completion = (
        "<think>\nTwo birds.\n</think>\n<answer>\n[{'Position': [0, 0, 100, 100], 'Confidence': 1},\n"
        " {'Position': [200, 200, 300, 300], 'Confidence': 1}]\n</answer>"
    )
    assert detection_reward(completion, GT2).score == pytest.approx(3.0)


@pytest.mark.parametrize("answer", ["10", "500", "The box starts at 10.", "[10]"])
def test_stray_number_grants_nothing(answer):
    # public defect: a math-verify pre-check extracted one number and granted full reward
    gt = "<answer>[{'Position': [10, 10, 500, 500], 'Confidence': 1}]</answer>"
    r = detection_reward(c(answer), gt)
    assert r.score == 0.0
    assert r.reason == "unparseable"


@pytest.mark.parametrize(("completion", "reason"), [
    (c("I see a cat in the middle"), "unparseable"),
    (c(""), "empty_answer"),
    ("<think>only thinking</think>", "no_answer_tag"),
    (c("[[NaN, 1, 2, 3]]"), "bad_coordinates"),
    ("", "no_answer_tag"),
])
def test_unreadable_payload_minimum_with_reason(completion, reason):
    r = detection_reward(completion, GT1)
    assert r.score == 0.0
    assert dict(r.components) == {"iou": 0.0, "confidence": 0.0, "format": 0.0}
    assert r.reason == reason


def test_bad_format_keeps_iou_and_confidence():
    # two answer blocks: the last is read, format is 0
    r = detection_reward(c("[]") + "<answer>" + vrft(([0, 0, 100, 100], 1.0)) + "</answer>", GT1)
    assert r.components["format"] == 0.0 and r.score == pytest.approx(2.0) and r.reason == "bad_format"
    # cut at the length limit after a complete payload
    r = detection_reward("<think>t</think><answer>[[0, 0, 100, 100]]", GT1)
    assert r.score == pytest.approx(2.0) and r.reason == "unclosed_answer_tag"


def test_echoed_prompt():
    prompt = "Detect the bird. Answer in <think></think><answer></answer>."
    completion = prompt + "\n" + c(vrft(([0, 0, 100, 100], 1.0)))
    assert detection_reward(completion, GT1).components["format"] == 0.0
    assert detection_reward(completion, GT1, prompt=prompt).score == pytest.approx(3.0)


@pytest.mark.parametrize("gt", [
    [[0, 0, 100, 100]],
    [0, 0, 100, 100],
    "<answer>[{'Position': [0, 0, 100, 100], 'Confidence': 1}]</answer>",
    '[{"bbox_2d": [0, 0, 100, 100], "label": "bird"}]',
    {"boxes": [[0, 0, 100, 100]], "labels": ["bird"]},
    Boxes(np.array([[0.0, 0, 100, 100]])),
    np.array([[0, 0, 100, 100]]),
])
def test_ground_truth_forms(gt):
    assert detection_reward(c(vrft(([0, 0, 100, 100], 1.0))), gt).score == pytest.approx(3.0)


@pytest.mark.parametrize("gt", [
    "garbage",
    [[1, 2, 3]],
    [[float("nan"), 0, 1, 1]],
    {"boxes": [[0, 0, 1, 1]], "labels": ["a", "b"]},
    {"boxes": [[0, 0, 1, 1]], "image_size": (0, 10)},
    [{"label": "cat"}],
])
def test_bad_ground_truth_scores_none(gt):
    r = detection_reward(c(vrft(([0, 0, 100, 100], 1.0))), gt)
    assert r.score is None and r.reason == "bad_ground_truth"
    with pytest.raises(BadGroundTruth):
        detection_reward(c(vrft(([0, 0, 100, 100], 1.0))), gt, strict=True)


@pytest.mark.parametrize("params", [
    {"iou_threshold": 1.5},
    {"iou_threshold": -0.1},
    {"normalize": "min"},
    {"default_confidence": 2.0},
    {"pred_frame": "norm100"},
    {"gt_frame": "pixels"},
])
def test_bad_parameter_raises(params):
    with pytest.raises(ValueError):
        detection_reward(c(vrft(([0, 0, 100, 100], 1.0))), [[0, 0, 50, 50]], **params)


def test_unknown_parameter_through_registry():
    with pytest.raises(ValueError, match="unknown parameter"):
        get_reward("visual_rft.detection", iou_treshold=0.5)
    with pytest.raises(ValueError, match="unknown parameter"):
        score(c("[]"), [], reward="visual_rft.detection", normalise="max")


def test_score_entry_point_needs_the_reward_name():
    r = score(c(vrft(([0, 0, 100, 100], 0.9))), GT1, reward="visual_rft.detection")
    assert r.score == pytest.approx(2.9)
    with pytest.raises(TypeError, match="needs reward=NAME"):  # no silent default (issue 11)
        score(c(vrft(([0, 0, 100, 100], 0.9))), GT1)
    assert get_spec("visual_rft.detection").components == ("iou", "confidence", "format")


def test_score_batch_equals_per_completion():
    gt = "<answer>[{'Position': [0, 0, 100, 100], 'Confidence': 1}, {'Position': [200, 200, 300, 300], 'Confidence': 1}]</answer>"
    completions = [
        c(vrft(([0, 0, 100, 100], 0.9))),
        c(vrft(([0, 0, 100, 90], 0.4), ([200, 200, 300, 300], 0.7))),
        c("[]"),
        c("garbage"),
        "<think>cut",
        c(vrft(([0, 0, 100, 100], 1.0), ([0, 0, 100, 100], 1.0))),
    ]
    for params in ({}, {"normalize": "pred", "iou_threshold": 0.3}):
        batch = score_batch(completions, gt, reward="visual_rft.detection", **params)
        single = [score(x, gt, reward="visual_rft.detection", **params) for x in completions]
        assert [r.to_dict() for r in batch] == [r.to_dict() for r in single]


def test_reward_pickle_round_trip():
    r = get_reward("visual_rft.detection", normalize="pred", iou_threshold=0.3)
    r2 = pickle.loads(pickle.dumps(r))
    assert r2.__name__ == "visual_rft.detection"
    assert r2.params == {"normalize": "pred", "iou_threshold": 0.3}
    x = c(vrft(([0, 0, 100, 80], 1.0)))
    assert r2(x, GT2).to_dict() == r(x, GT2).to_dict()
    assert r(x, GT2).components["iou"] == pytest.approx(0.8)  # normalize="pred" applied


# ---------------------------------------------------------------------------------------
# detection.f1: F1 = 2 TP / (n_pred + n_gt), one-to-one matching at IoU >= tau


def f1(completion, gt, **kw):
    return score(completion, gt, reward="detection.f1", **kw)


def test_f1_perfect_and_permuted():
    a = f1(c("[[0, 0, 100, 100], [200, 200, 300, 300]]"), GT2)
    b = f1(c("[[200, 200, 300, 300], [0, 0, 100, 100]]"), GT2)
    assert a.score == b.score == 1.0


def test_f1_duplicates_lower_score():
    # two copies of gt 0, nothing on gt 1: TP = 1, F1 = 2 * 1 / (2 + 2) = 0.5
    assert f1(c("[[0, 0, 100, 100], [0, 0, 100, 100]]"), GT2).score == pytest.approx(0.5)
    # three copies on one gt: 2 * 1 / (3 + 1)
    assert f1(c("[[0, 0, 100, 100], [0, 0, 100, 100], [0, 0, 100, 100]]"), GT1).score == pytest.approx(0.5)


def test_f1_threshold_inclusive_by_default():
    half = c("[[0, 0, 100, 50]]")  # IoU 0.5 with GT1
    assert f1(half, GT1).score == 1.0
    assert f1(half, GT1, inclusive=False).score == 0.0


def test_f1_one_to_one_assignment_maximizes_matches():
    # G0 = [0,0,100,100], G1 = [0,0,100,60]; P0 = [0,30,100,100], P1 = [0,0,100,80]
    # IoU(P0,G0) = 0.7, IoU(P0,G1) = 3000 / 10000 = 0.3, IoU(P1,G0) = 0.8, IoU(P1,G1) = 0.75.
    # Greedy by IoU would take P1-G0 (0.8) and leave P0 unmatched (TP 1); the one-to-one
    # assignment finds P0-G0 and P1-G1: TP 2, F1 = 1.
    gt = [[0, 0, 100, 100], [0, 0, 100, 60]]
    r = f1(c("[[0, 30, 100, 100], [0, 0, 100, 80]]"), gt)
    assert r.details["tp"] == 2 and r.score == 1.0


def test_f1_empty_cases():
    assert f1(c("[]"), []).score == 1.0
    assert f1(c("No Objects"), [], empty_score=0.0).score == 0.0
    assert f1(c("[]"), GT1).score == 0.0
    assert f1(c("[[0, 0, 1, 1]]"), []).score == 0.0
    r = f1(c("what?"), GT1)
    assert r.score == 0.0 and r.reason == "unparseable"


def test_small_and_large_iou_paths_agree_exactly():
    # a group with few boxes takes the plain-Python IoU kernel, a big group the numpy one;
    # both must give the same bits (box_iou_candidates mirrors box_iou's arithmetic)
    import numpy as np

    from rewardkit.registry import get_reward

    rng = np.random.default_rng(7)
    reward = get_reward("visual_rft.detection")
    for _ in range(20):
        gt = rng.uniform(0, 900, (6, 2))
        gt = np.concatenate([gt, gt + rng.uniform(5, 100, (6, 2))], 1)
        comps = []
        for _ in range(12):
            p = gt[rng.permutation(6)[:5]] + rng.normal(0, 8, (5, 4))
            items = ", ".join(f"{{'Position': {b.tolist()}, 'Confidence': {rng.uniform():.3f}}}" for b in p)
            comps.append(f"<think>x</think><answer>[{items}]</answer>")
        small = [reward(c, gt.tolist()) for c in comps]  # 5 x 6 pairs each: plain Python
        large = reward.score_batch(comps, gt.tolist())  # 60 x 6 + ... pairs: still small
        large8 = reward.score_batch(comps * 8, gt.tolist())[: len(comps)]  # 480 x 6 > 400: numpy
        for a, b, c in zip(small, large, large8):
            assert a.score == b.score == c.score
            assert dict(a.components) == dict(b.components) == dict(c.components)
