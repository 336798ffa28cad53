"""Property-catalog cases of the segmentation rewards (seg_r1.mask, segmentation.mask_iou, point.in_mask)."""

from __future__ import annotations

import numpy as np

from rewardkit.parsing.masks import to_rle
from tests.catalog import Case


def _gt(h=64, w=64, box=(8, 4, 40, 30)):
    m = np.zeros((h, w), bool)
    x1, y1, x2, y2 = box
    m[y1:y2, x1:x2] = True
    return m


_G = _gt()
_RLE = to_rle(_G)
_TWO = np.zeros((64, 64), bool)
_TWO[0:10, 0:10] = True
_TWO[40:50, 40:50] = True
_A = np.zeros((64, 64), bool)
_A[0:10, 0:10] = True
_B = np.zeros((64, 64), bool)
_B[40:50, 40:50] = True

CASES = [
    Case(
        reward="seg_r1.mask",
        completion="<think>the cat</think><answer><bbox>[8, 4, 40, 30]</bbox></answer>",
        ground_truth={"mask": _RLE},
        params={"pred_frame": "pixel"},
        expect_max=True,
        id="seg_r1-box-exact",
    ),
    Case(
        reward="seg_r1.mask",
        completion="<think>two</think><answer><bbox>[[0, 0, 10, 10], [40, 40, 50, 50]]</bbox></answer>",
        ground_truth=_TWO,
        params={"pred_frame": "pixel"},
        expect_max=True,
        permutations=["<think>two</think><answer><bbox>[[40, 40, 50, 50], [0, 0, 10, 10]]</bbox></answer>"],
        id="seg_r1-two-boxes",
    ),
    Case(
        reward="seg_r1.mask",
        completion="<think>x</think><answer><bbox>[0, 0, 384, 384]</bbox><points>[[10, 10]]</points><labels>[1]</labels></answer>",
        ground_truth={"mask": _RLE},
        id="seg_r1-partial",
    ),
    Case(
        reward="segmentation.mask_iou",
        completion="<think>x</think><answer>[[8, 4, 40, 4, 40, 30, 8, 30]]</answer>",
        ground_truth=_RLE,
        expect_max=True,
        id="mask_iou-polygon",
    ),
    Case(
        reward="segmentation.mask_iou",
        completion="<think>x</think><answer>[[0, 0, 10, 0, 10, 10, 0, 10], [40, 40, 50, 40, 50, 50, 40, 50]]</answer>",
        ground_truth=_TWO,
        expect_max=True,
        permutations=["<think>x</think><answer>[[40, 40, 50, 40, 50, 50, 40, 50], [0, 0, 10, 0, 10, 10, 0, 10]]</answer>"],
        id="mask_iou-two-polygons",
    ),
    Case(
        reward="point.in_mask",
        completion="<think>x</think><answer>[[20, 10], [30, 20]]</answer>",
        ground_truth=_G,
        expect_max=True,
        permutations=["<think>x</think><answer>[[30, 20], [20, 10]]</answer>"],
        id="point_in_mask-all-inside",
    ),
    Case(
        reward="point.in_mask",
        completion="<think>x</think><answer>[[5, 5], [45, 45]]</answer>",
        ground_truth={"masks": [_A, _B]},
        expect_max=True,
        permutations=["<think>x</think><answer>[[45, 45], [5, 5]]</answer>"],
        id="point_in_mask-instances",
    ),
]
