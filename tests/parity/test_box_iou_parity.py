"""Box IoU parity with pycocotools.mask.iou: bit-identical (tolerance 0, np.array_equal)."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from rewardkit.geometry.boxes import box_iou, box_iou_xywh, box_iou_xywh_paired, xyxy_to_xywh


def _random_xywh(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    if kind == "float":
        xy = rng.uniform(0, 500, size=(n, 2))
        wh = rng.uniform(0, 200, size=(n, 2))
    elif kind == "int":
        xy = rng.integers(0, 100, size=(n, 2)).astype(np.float64)
        wh = rng.integers(0, 40, size=(n, 2)).astype(np.float64)
    else:  # "norm1": tiny floats, many near-touching boxes
        xy = rng.uniform(0, 1, size=(n, 2))
        wh = rng.uniform(0, 0.3, size=(n, 2))
    return np.concatenate([xy, wh], axis=1)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("kind", ["float", "int", "norm1"])
def test_box_iou_xywh_bit_identical(seed, kind):
    rng = np.random.default_rng(seed)
    dt = _random_xywh(rng, int(rng.integers(1, 30)), kind)
    gt = _random_xywh(rng, int(rng.integers(1, 30)), kind)
    ref = mask_utils.iou(dt, gt, [0] * len(gt))
    ours = box_iou_xywh(dt, gt)
    assert ours.shape == ref.shape
    assert np.array_equal(ours, ref)


@pytest.mark.parametrize("seed", range(12))
def test_box_iou_xyxy_bit_identical(seed):
    rng = np.random.default_rng(100 + seed)
    a = rng.uniform(0, 1000, size=(int(rng.integers(1, 25)), 4))
    b = rng.uniform(0, 1000, size=(int(rng.integers(1, 25)), 4))
    a = np.concatenate([np.minimum(a[:, :2], a[:, 2:]), np.maximum(a[:, :2], a[:, 2:])], axis=1)
    b = np.concatenate([np.minimum(b[:, :2], b[:, 2:]), np.maximum(b[:, :2], b[:, 2:])], axis=1)
    ref = mask_utils.iou(xyxy_to_xywh(a), xyxy_to_xywh(b), [0] * len(b))
    assert np.array_equal(box_iou(a, b), ref)


@pytest.mark.parametrize("seed", range(8))
def test_crowd_semantics_bit_identical(seed):
    # crowd ground truth: union = detection area (COCO)
    rng = np.random.default_rng(200 + seed)
    dt = _random_xywh(rng, 15, "float")
    gt = _random_xywh(rng, 10, "float")
    iscrowd = rng.integers(0, 2, size=10).tolist()
    ref = mask_utils.iou(dt, gt, iscrowd)
    assert np.array_equal(box_iou_xywh(dt, gt, iscrowd), ref)


def test_paired_matches_matrix_diagonal():
    rng = np.random.default_rng(7)
    dt = _random_xywh(rng, 20, "float")
    gt = _random_xywh(rng, 20, "float")
    crowd = rng.integers(0, 2, size=20)
    ref = mask_utils.iou(dt, gt, crowd.tolist())
    got = box_iou_xywh_paired(dt, gt, crowd)
    assert np.array_equal(got, np.diag(ref))


def test_edge_cases_match_pycocotools():
    # touching, identical, contained, zero-width, zero-area boxes
    dt = np.array([[0, 0, 10, 10], [10, 0, 10, 10], [0, 0, 0, 10], [2, 2, 3, 3], [5, 5, 0, 0]], dtype=np.float64)
    gt = np.array([[0, 0, 10, 10], [0, 0, 20, 20], [5, 5, 0, 0]], dtype=np.float64)
    for crowd in ([0, 0, 0], [1, 0, 1]):
        assert np.array_equal(box_iou_xywh(dt, gt, crowd), mask_utils.iou(dt, gt, crowd))
