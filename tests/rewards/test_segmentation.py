"""Segmentation rewards end to end with the geometric segmenter; Seg-R1 parser; segmenters."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from rewardkit.geometry.segmenters import (
    GeometricSegmenter,
    SAM2Segmenter,
    Segmenter,
    segment_prompts,
)
from rewardkit.metrics.sod import s_measure
from rewardkit.parsing.masks import to_rle
from rewardkit.parsing.seg_r1 import parse_seg_r1
from rewardkit.registry import get_reward
from rewardkit.rewards.segmentation import (
    mask_iou_reward,
    point_in_mask_reward,
    register_segmenter,
    seg_r1_mask_reward,
)

T = "<think>ok</think><answer>{}</answer>"


def _gt768():
    gt = np.zeros((768, 768), bool)
    gt[100:300, 200:500] = True
    return gt


@pytest.mark.parametrize(
    "payload,ok,reason,n_boxes,n_points",
    [
        ("<bbox>[10,20,100,200]</bbox>, <points>[[50,60],[70,80]]</points>, <labels>[1,0]</labels>", True, None, 1, 2),
        ("<bbox>[[1,2,3,4],[5,6,7,8]]</bbox>", True, None, 2, 0),
        ("<bbox>[1,2,3,4]</bbox>\n<bbox>[5,6,7,8]</bbox><points>[[2,3]]</points>", True, None, 2, 1),
        ("<points>[[5,5]]</points><labels>[1,0]</labels>", False, "points_labels_mismatch", 0, 0),
        ("<points>[[5,5]]</points><labels>[2]</labels>", False, "bad_labels", 0, 0),
        ("[10, 20, 30, 40]", False, "no_prompt_tags", 0, 0),
        ("<bbox>oops</bbox>", False, "bbox_unparseable", 0, 0),
        ("<bbox>[]</bbox><points>[]</points>", False, "no_prompts", 0, 0),
    ],
)
def test_parse_seg_r1_golden(payload, ok, reason, n_boxes, n_points):
    r = parse_seg_r1(payload)
    assert r.ok is ok and r.reason == reason
    assert len(r.value.boxes) == n_boxes and len(r.value.points) == n_points


def test_seg_r1_perfect_box_scores_two():
    r = seg_r1_mask_reward(T.format("<bbox>[200, 100, 500, 300]</bbox>"), _gt768())
    assert r.score == 2.0 and dict(r.components) == {"iou": 1.0, "s_measure": 1.0, "format": 1.0}


def test_seg_r1_formula_hand_case():
    gt = _gt768()
    # half-width box: IoU = 0.5
    r = seg_r1_mask_reward(T.format("<bbox>[200, 100, 350, 300]</bbox>"), gt)
    pred = np.zeros_like(gt)
    pred[100:300, 200:350] = True
    s = s_measure(pred, gt)
    assert r.components["iou"] == 0.5
    assert r.components["s_measure"] == pytest.approx(s, abs=1e-15)
    assert r.score == pytest.approx(0.7 * 0.5 + 0.3 * s + 1.0, abs=1e-15)
    # frame: the same box in pixels of a 384 x 384 image, with gt at that size
    small = gt[::2, ::2]
    r2 = seg_r1_mask_reward(T.format("<bbox>[200, 100, 350, 300]</bbox>"), small)
    assert r2.components["iou"] == 0.5


def test_seg_r1_boxes_ored_and_points_inside_box():
    gt = np.zeros((768, 768), bool)
    gt[0:100, 0:100] = True
    gt[500:600, 500:600] = True
    two = T.format("<bbox>[[0,0,100,100],[500,500,600,600]]</bbox>")
    assert seg_r1_mask_reward(two, gt).components["iou"] == 1.0
    one = T.format("<bbox>[0,0,100,100]</bbox>")
    assert seg_r1_mask_reward(one, gt).components["iou"] == 0.5


def test_seg_r1_gt_zero_one_is_not_emptied():
    # the Seg-R1 defect: a 0/1 ground truth thresholded with > 128 becomes empty
    gt = _gt768().astype(np.uint8)
    r = seg_r1_mask_reward(T.format("<bbox>[200, 100, 500, 300]</bbox>"), gt)
    assert r.components["iou"] == 1.0
    r_png = seg_r1_mask_reward(T.format("<bbox>[200, 100, 500, 300]</bbox>"), gt * 255)
    assert r_png.score == 2.0


def test_seg_r1_bad_outputs_score_minimum():
    gt = _gt768()
    for c in ["no tags", "<answer>[1,2,3,4]</answer>", "<answer><bbox>nan</bbox></answer>", "<answer>" + "<bbox>" * 10_000 + "</answer>"]:
        r = seg_r1_mask_reward(c, gt)
        assert r.score == 0.0 and r.reason
    # lenient format: scored, format 0
    r = seg_r1_mask_reward("<answer><bbox>[200, 100, 500, 300]</bbox></answer>", gt)
    assert r.components["format"] == 0.0 and r.score == 1.0


def test_seg_r1_bad_ground_truth_is_none():
    assert seg_r1_mask_reward(T.format("<bbox>[1,2,3,4]</bbox>"), "not a mask").score is None
    assert seg_r1_mask_reward(T.format("<bbox>[1,2,3,4]</bbox>"), np.full((4, 4), 7, np.uint8)).score is None


def test_score_batch_encodes_image_once_and_pickles():
    seg = GeometricSegmenter()
    register_segmenter("test-geo", seg)
    img = np.zeros((64, 64), np.uint8)
    img[10:30, 10:30] = 200
    gt = {"mask": to_rle(img > 0), "image": img}
    reward = get_reward("seg_r1.mask", segmenter="test-geo", pred_frame="pixel")
    comps = [T.format("<bbox>[5,5,40,40]</bbox><points>[[15,15]]</points>"), T.format("<points>[[15,15]]</points>"), T.format("<bbox>[0,0,64,64]</bbox>")]
    res = reward.score_batch(comps, gt)
    assert seg.n_prepared == 1
    # a point grows the bright square: perfect with or without the box
    assert res[0].components["iou"] == 1.0 and res[1].components["iou"] == 1.0
    assert res[2].components["iou"] == pytest.approx(400 / 4096)
    clone = pickle.loads(pickle.dumps(reward))
    assert clone(comps[0], gt).score == res[0].score


def test_negative_point_removes_region():
    seg = GeometricSegmenter()
    img = np.zeros((20, 20), np.uint8)
    img[:, 10:] = 255
    state = seg.state_for(img)
    m = segment_prompts(seg, state, [[0, 0, 20, 20]], [[15, 5], [5, 5]], [1, 0])
    assert m.area == 200 and m.data[:, 10:].all()
    m2 = segment_prompts(seg, state, [[0, 0, 20, 20]], [[5, 5]], [0])
    assert m2.area == 200  # the box minus the left half
    assert isinstance(seg, Segmenter)


def test_sam2_missing_gives_clear_error():
    try:
        import sam2  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"rewardkit\[sam2\]"):
            SAM2Segmenter("cfg.yaml", "/nonexistent.pt", device="cpu")
    else:  # pragma: no cover - only where sam2 is installed
        with pytest.raises(ValueError, match="checkpoint"):
            SAM2Segmenter("cfg.yaml", "/nonexistent.pt", device="cpu")


def test_mask_iou_reward_forms():
    gt = np.zeros((10, 10), bool)
    gt[0:5, 0:5] = True
    assert mask_iou_reward(T.format("[[0, 0, 5, 0, 5, 5, 0, 5]]"), gt).score == 1.0
    assert mask_iou_reward(T.format("[[0, 0], [5, 0], [5, 5], [0, 5]]"), gt).score == 1.0
    import json

    assert mask_iou_reward(T.format(json.dumps(to_rle(gt))), gt).score == 1.0
    half = np.zeros_like(gt)
    half[0:5, 0:10] = True
    assert mask_iou_reward(T.format(json.dumps(to_rle(half))), gt).score == 0.5
    assert mask_iou_reward(T.format("[[0, 0, 500, 0, 500, 500, 0, 500]]"), gt, pred_frame="norm1000").score == 1.0
    assert mask_iou_reward(T.format("garbage"), gt).score == 0.0
    empty = np.zeros((10, 10), bool)
    assert mask_iou_reward(T.format("[]"), empty).score == 1.0
    assert mask_iou_reward(T.format("[]"), empty, empty_score=0.0).score == 0.0


def test_point_in_mask():
    gt = np.zeros((10, 10), bool)
    gt[0:5, 0:5] = True
    assert point_in_mask_reward(T.format("[[2, 2], [8, 8]]"), gt).score == 0.5
    assert point_in_mask_reward(T.format("[[2, 2]]"), gt).score == 1.0
    assert point_in_mask_reward(T.format("[[-1, 2], [100, 100]]"), gt).score == 0.0
    a = np.zeros((10, 10), bool)
    a[0:3, 0:3] = True
    b = np.zeros((10, 10), bool)
    b[6:9, 6:9] = True
    inst = {"masks": [a, b]}
    assert point_in_mask_reward(T.format("[[1, 1], [7, 7]]"), inst).score == 1.0
    # two points on the same instance: one match of 2 points + 2 instances
    assert point_in_mask_reward(T.format("[[1, 1], [2, 2]]"), inst).score == pytest.approx(0.5)
    assert point_in_mask_reward(T.format("[]"), np.zeros((4, 4), bool)).score == 1.0


def test_too_many_prompts_is_bounded():
    gt = _gt768()
    boxes = ",".join("[0, 0, 10, 10]" for _ in range(51))
    r = seg_r1_mask_reward(T.format(f"<bbox>[{boxes}]</bbox>"), gt)
    assert r.score == 0.0 and r.reason == "too_many_prompts"
    assert seg_r1_mask_reward(T.format(f"<bbox>[{boxes}]</bbox>"), gt, max_prompts=60).reason is None
