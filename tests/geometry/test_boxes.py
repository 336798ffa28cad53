"""Box kernels (IoU, GIoU, areas) and matchers, hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from rewardkit.geometry.boxes import box_area, box_giou, box_iou, xywh_to_xyxy, xyxy_to_xywh
from rewardkit.geometry.matching import (
    match_greedy_confidence,
    match_greedy_global,
    match_hungarian,
)

P = pytest.param

IOU = [
    P([0, 0, 100, 100], [0, 0, 100, 50], 0.5, id="half"),
    # inter 1 x 1 = 1, union 4 + 4 - 1 = 7
    P([0, 0, 2, 2], [1, 1, 3, 3], 1 / 7, id="diagonal-overlap"),
    P([0, 0, 1, 1], [0, 0, 1, 1], 1.0, id="identical"),
    P([0, 0, 1, 1], [1, 0, 2, 1], 0.0, id="touching-edge"),
    P([0, 0, 1, 1], [5, 5, 6, 6], 0.0, id="disjoint"),
    P([0, 0, 1, 1], [0, 0, 2, 2], 0.25, id="contained"),
    P([5, 5, 5, 5], [5, 5, 5, 5], 0.0, id="degenerate-point"),
    P([0, 0, 0, 10], [0, 0, 10, 10], 0.0, id="zero-width"),
]


@pytest.mark.parametrize(("a", "b", "expected"), IOU)
def test_iou_hand(a, b, expected):
    assert box_iou([a], [b])[0, 0] == pytest.approx(expected, abs=1e-15)
    assert box_iou([b], [a])[0, 0] == pytest.approx(expected, abs=1e-15)


GIOU = [
    P([0, 0, 1, 1], [0, 0, 1, 1], 1.0, id="identical"),
    # inter 0, union 2, enclosing [0,0,3,1] area 3: 0 - (3 - 2) / 3
    P([0, 0, 1, 1], [2, 0, 3, 1], -1 / 3, id="disjoint-same-row"),
    # iou 1/7, enclosing [0,0,3,3] area 9, union 7: 1/7 - 2/9 = -5/63
    P([0, 0, 2, 2], [1, 1, 3, 3], -5 / 63, id="diagonal-overlap"),
    # iou 1/4, enclosing = the larger box: giou = iou
    P([0, 0, 1, 1], [0, 0, 2, 2], 0.25, id="contained"),
    # enclosing 100 x 100 = 10000, union 2: -(9998 / 10000)
    P([0, 0, 1, 1], [99, 99, 100, 100], -0.9998, id="far-apart-near-minus-one"),
    P([0, 0, 1, 1], [1, 0, 2, 1], 0.0, id="touching-edge"),
    P([5, 5, 5, 5], [5, 5, 5, 5], 0.0, id="degenerate-same-point"),
]


@pytest.mark.parametrize(("a", "b", "expected"), GIOU)
def test_giou_hand(a, b, expected):
    assert box_giou([a], [b])[0, 0] == pytest.approx(expected, abs=1e-12)
    assert box_giou([b], [a])[0, 0] == pytest.approx(expected, abs=1e-12)


def test_giou_range_and_below_iou():
    rng = np.random.default_rng(3)
    pts = rng.uniform(0, 100, size=(2, 60, 4))
    a, b = (np.concatenate([np.minimum(p[:, :2], p[:, 2:]), np.maximum(p[:, :2], p[:, 2:])], axis=1) for p in pts)
    g = box_giou(a, b)
    i = box_iou(a, b)
    assert g.shape == (60, 60)
    assert np.all(g >= -1.0) and np.all(g <= 1.0)
    assert np.all(g <= i + 1e-12)


def test_shapes_and_empty():
    assert box_iou(np.zeros((0, 4)), [[0, 0, 1, 1]]).shape == (0, 1)
    assert box_iou([[0, 0, 1, 1]], []).shape == (1, 0)
    assert box_giou([], []).shape == (0, 0)
    assert box_iou([0, 0, 1, 1], [0, 0, 1, 1]).shape == (1, 1)
    with pytest.raises(ValueError, match="N x 4"):
        box_iou([[0, 0, 1]], [[0, 0, 1, 1]])


def test_area_and_layout_conversions():
    np.testing.assert_array_equal(box_area([[0, 0, 2, 3], [5, 5, 4, 4]]), [6, 0])
    np.testing.assert_array_equal(xyxy_to_xywh([[1, 2, 4, 6]]), [[1, 2, 3, 4]])
    np.testing.assert_array_equal(xywh_to_xyxy([[1, 2, 3, 4]]), [[1, 2, 4, 6]])


# ---------------------------------------------------------------------------------------
# matchers


def _pairs(m):
    return list(zip(m[0].tolist(), m[1].tolist()))


def test_greedy_confidence_highest_confidence_first():
    iou = [[0.6, 0.7], [0.9, 0.1]]
    # pred 1 (0.9) goes first and takes gt 0; pred 0 then takes the best free gt, 1
    assert _pairs(match_greedy_confidence(iou, [0.5, 0.9])) == [(1, 0), (0, 1)]
    # file order (no scores): pred 0 takes gt 1 (0.7), pred 1 takes gt 0 (0.9)
    assert _pairs(match_greedy_confidence(iou)) == [(0, 1), (1, 0)]


def test_greedy_confidence_ties_keep_file_order():
    iou = [[0.6], [0.9]]
    # equal confidence: stable order, pred 0 first takes the only gt although pred 1 overlaps more
    assert _pairs(match_greedy_confidence(iou, [0.8, 0.8])) == [(0, 0)]
    assert _pairs(match_greedy_confidence(iou, [0.8, 0.81])) == [(1, 0)]


def test_greedy_confidence_nan_scores_go_last():
    iou = [[0.9], [0.9]]
    assert _pairs(match_greedy_confidence(iou, [np.nan, 0.1])) == [(1, 0)]


def test_greedy_confidence_threshold_strict_by_default():
    assert _pairs(match_greedy_confidence([[0.5]], [1.0])) == []
    assert _pairs(match_greedy_confidence([[0.5]], [1.0], inclusive=True)) == [(0, 0)]
    assert _pairs(match_greedy_confidence([[0.5000001]], [1.0])) == [(0, 0)]
    assert _pairs(match_greedy_confidence([[0.3]], [1.0], threshold=0.25)) == [(0, 0)]


def test_greedy_confidence_best_free_gt_below_threshold():
    # pred 0 (first) takes gt 0; pred 1's best free gt (gt 1) has IoU 0.2: unmatched
    iou = [[0.9, 0.0], [0.8, 0.2]]
    assert _pairs(match_greedy_confidence(iou, [0.9, 0.5])) == [(0, 0)]


def test_greedy_confidence_empty():
    assert _pairs(match_greedy_confidence(np.zeros((0, 3)))) == []
    assert _pairs(match_greedy_confidence(np.zeros((3, 0)), [1, 1, 1])) == []


def test_greedy_global():
    iou = [[0.6, 0.7], [0.9, 0.1]]
    assert _pairs(match_greedy_global(iou)) == [(1, 0), (0, 1)]
    # global max first: (0, 0) 0.9; pred 1 is then left with gt 1 at 0.1 < 0.5
    iou2 = [[0.9, 0.8], [0.85, 0.1]]
    assert _pairs(match_greedy_global(iou2)) == [(0, 0)]
    # inclusive by default; strict on request
    assert _pairs(match_greedy_global([[0.5]])) == [(0, 0)]
    assert _pairs(match_greedy_global([[0.5]], inclusive=False)) == []
    # ties: lowest prediction index, then lowest gt index
    assert _pairs(match_greedy_global([[0.7, 0.7], [0.7, 0.7]])) == [(0, 0), (1, 1)]
    assert _pairs(match_greedy_global(np.zeros((0, 0)))) == []


def test_hungarian_maximizes_total():
    iou = np.array([[0.9, 0.8], [0.85, 0.1]])
    # 0.8 + 0.85 = 1.65 beats the greedy 0.9 + 0.1
    assert sorted(_pairs(match_hungarian(-iou))) == [(0, 1), (1, 0)]


def test_hungarian_rectangular_and_nonfinite():
    cost = np.array([[1.0, 2.0], [0.5, np.inf], [3.0, 0.1]])
    pairs = sorted(_pairs(match_hungarian(cost)))
    # two of three rows are assigned; minimum 0.5 + 0.1
    assert pairs == [(1, 0), (2, 1)]
    assert _pairs(match_hungarian(np.zeros((0, 2)))) == []
