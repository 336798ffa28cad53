"""COCO parameter and input edge cases found in other projects' test suites (issue 11
item 11), each against pycocotools on the same input."""

from __future__ import annotations

import numpy as np
import pytest

from rewardkit.metrics.coco import coco_evaluate
from tests.parity.test_coco_parity import reference

GT = {
    "images": [{"id": 1, "width": 100, "height": 100}],
    "categories": [{"id": 1, "name": "a"}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 40, 40], "area": 1600, "iscrowd": 0},
        {"id": 2, "image_id": 1, "category_id": 1, "bbox": [50, 50, 10, 10], "area": 100, "iscrowd": 0},
    ],
}
DT = [
    {"image_id": 1, "category_id": 1, "bbox": [0, 0, 40, 40], "score": 0.9},
    {"image_id": 1, "category_id": 1, "bbox": [50, 50, 10, 12], "score": 0.8},
]


def test_area_rng_without_labels_keeps_pycocotools_labels():
    """Five ranges and no labels: pycocotools keeps its four default labels for the first
    four ranges (the fifth is computed, not summarized); it used to rename them and print -1."""
    ranges = [[0, 1e10], [0, 32**2], [32**2, 96**2], [96**2, 1e10], [0, 50**2]]
    ours = coco_evaluate(GT, DT, areaRng=ranges)
    stats, prec, _, _ = reference(GT, DT, "bbox", areaRng=ranges)
    assert ours["stats"] == stats.tolist()
    assert np.array_equal(ours["precision"], prec)
    assert ours["params"]["areaRngLbl"][:4] == ["all", "small", "medium", "large"]
    assert ours["AP"] > 0.8


def test_empty_area_rng_gives_minus_one():
    """``areaRng=[]`` (and no label): every stat -1, as pycocotools with ``areaRngLbl=[]``
    (with its default labels pycocotools raises IndexError in summarize)."""
    ours = coco_evaluate(GT, DT, areaRng=[])
    stats, _, _, _ = reference(GT, DT, "bbox", areaRng=[], areaRngLbl=[])
    assert ours["stats"] == stats.tolist() == [-1.0] * 12
    assert all(np.isnan(row["AP"]) for row in ours["per_category"])


def test_keypoints_on_empty_ground_truth_and_results_without_keypoints():
    gt = {"images": [{"id": 1, "width": 100, "height": 100}], "categories": [{"id": 1, "name": "person"}], "annotations": []}
    dt = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9}]
    ours = coco_evaluate(gt, dt, "keypoints")
    stats, _, _, _ = reference(gt, dt, "keypoints")
    assert ours["stats"] == stats.tolist() == [-1.0] * 10


def test_keypoints_result_without_keypoints_where_ground_truth_exists_names_it():
    gt = {"images": [{"id": 1, "width": 100, "height": 100}], "categories": [{"id": 1, "name": "person"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100,
                           "iscrowd": 0, "num_keypoints": 1, "keypoints": [5, 5, 2] + [0] * 48}]}  # fmt: skip
    dt = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9}]
    with pytest.raises(ValueError, match="Expected 'keypoints' on result 0"):
        coco_evaluate(gt, dt, "keypoints")


def _float32_case():
    """A small ground truth matched exactly, and a higher-scored false positive whose
    float32 area is exactly 32**2 (inside 'small') while its float64 area is just above."""
    w = np.float32(32 + 2.0**-18)
    h = np.float32(32 - 2.0**-19)
    assert float(w * h) == 1024.0 and float(w) * float(h) > 1024.0
    gt = {
        "images": [{"id": 1, "width": 200, "height": 200}],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 25, 40], "area": 1000, "iscrowd": 0}],
    }
    f = np.float32
    dt = [
        {"image_id": 1, "category_id": 1, "bbox": [f(0), f(0), f(25), f(40)], "score": f(0.9)},
        {"image_id": 1, "category_id": 1, "bbox": [f(100), f(100), w, h], "score": f(0.95)},
    ]
    return gt, dt


def test_float32_boxes_compat_pycocotools_bit_identical():
    gt, dt = _float32_case()
    stats, prec, rec, _ = reference(gt, dt, "bbox")
    compat = coco_evaluate(gt, dt, compat="pycocotools")
    assert compat["stats"] == stats.tolist()
    assert np.array_equal(compat["precision"], prec) and np.array_equal(compat["recall"], rec)
    assert compat["APs"] == pytest.approx(0.5)
    # the default computes areas in float64: the false positive lies outside 'small'
    assert coco_evaluate(gt, dt)["APs"] == pytest.approx(1.0)
