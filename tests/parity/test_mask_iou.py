"""Mask IoU matrix against pycocotools.mask.iou on RLE (bit-identical)."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from rewardkit.geometry.masks import intersection_union, mask_iou, mask_iou_pair


def _masks(rng, n, h, w):
    out = np.zeros((n, h, w), bool)
    for i in range(n):
        kind = rng.integers(5)
        if kind == 0:
            continue  # empty
        if kind == 1:
            out[i] = True
        elif kind == 2:
            out[i, rng.integers(h), rng.integers(w)] = True
        else:
            out[i] = rng.random((h, w)) < rng.random()
    return out


@pytest.mark.parametrize("seed", range(6))
def test_mask_iou_bit_identical_to_pycocotools(seed):
    rng = np.random.default_rng(seed)
    h, w = rng.integers(1, 60, size=2)
    a = _masks(rng, int(rng.integers(0, 9)), h, w)
    b = _masks(rng, int(rng.integers(1, 6)), h, w)
    crowd = rng.random(b.shape[0]) < 0.3
    rle_a = [mask_utils.encode(np.asfortranarray(m.astype(np.uint8))) for m in a]
    rle_b = [mask_utils.encode(np.asfortranarray(m.astype(np.uint8))) for m in b]
    for flags in (np.zeros_like(crowd), crowd):
        ref = mask_utils.iou(rle_a, rle_b, flags.astype(np.uint8).tolist()) if len(rle_a) else np.zeros((0, b.shape[0]))
        ours = mask_iou(a, b, iscrowd=flags)
        ref = np.asarray(ref).reshape(ours.shape)
        assert np.array_equal(ours, ref), (ours, ref)


def test_intersection_union_and_pair():
    a = np.zeros((4, 4), bool)
    a[:2] = True
    b = np.zeros((4, 4), bool)
    b[:, :2] = True
    inter, union = intersection_union([a], [b, a])
    assert inter.tolist() == [[4, 8]] and union.tolist() == [[12, 8]]
    assert mask_iou_pair(a, b) == 4 / 12
    empty = np.zeros((4, 4), bool)
    assert mask_iou_pair(empty, empty) == 0.0
    assert mask_iou_pair(empty, empty, empty_value=1.0) == 1.0
    assert mask_iou([empty], [empty], empty_value=1.0)[0, 0] == 1.0
    with pytest.raises(ValueError):
        mask_iou([a.astype(np.uint8)], [b])
