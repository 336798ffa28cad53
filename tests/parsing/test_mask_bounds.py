"""RLE and polygon bounds (issue 10, item 1): rewardkit decodes RLE counts itself, exactly
as pycocotools reads them, and refuses what would make pycocotools crash or stall."""

from __future__ import annotations

import random

import numpy as np
import pytest
from pycocotools import mask as mu

from rewardkit.parsing.masks import (
    MaskError,
    check_polygon_bounds,
    compressed_rles_valid,
    from_rle,
    rle_counts,
)


def _random_rles(n: int, seed: int = 0):
    rng, r = np.random.default_rng(seed), random.Random(seed)
    out = []
    for _ in range(n):
        h, w = (int(v) for v in rng.integers(0, 30, 2))
        m = rng.random((h, w)) < rng.random()
        s = mu.encode(np.asfortranarray(m.astype(np.uint8)))["counts"]
        u, hh = r.random(), h
        if u < 0.3 and s:
            b = bytearray(s)
            b[r.randrange(len(b))] = r.randint(40, 120)
            s = bytes(b)
        elif u < 0.4:
            s = s + bytes([r.randint(48, 111)])
        elif u < 0.45:
            hh = h + 1
        out.append((s, hh, w, m))
    return out


def test_compressed_counts_decode_as_pycocotools():
    for s, h, w, m in _random_rles(2000):
        if (h, w) == m.shape and s == mu.encode(np.asfortranarray(m.astype(np.uint8)))["counts"]:
            assert np.array_equal(from_rle({"size": [h, w], "counts": s}).data, m)


def test_batch_validation_agrees_with_the_single_reader():
    items = _random_rles(3000, seed=1)
    expected = []
    for s, h, w, _ in items:
        try:
            rle_counts(s, h, w)
            expected.append(True)
        except MaskError:
            expected.append(False)
    got = compressed_rles_valid([s for s, *_ in items], np.array([(h, w) for _, h, w, _ in items]))
    assert got.tolist() == expected
    assert 0 < sum(expected) < len(expected)  # both kinds were drawn


def test_short_rle_in_coco_results_raises_instead_of_stalling():
    # pycocotools' rleIou loops forever when a detection's runs end before the image does
    from rewardkit.metrics.coco import coco_evaluate

    gt = {"images": [{"id": 1, "width": 4, "height": 4}], "categories": [{"id": 1}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 4, "iscrowd": 0,
                           "segmentation": [[0, 0, 2, 0, 2, 2, 0, 2]], "bbox": [0, 0, 2, 2]}]}
    short = mu.encode(np.asfortranarray(np.ones((4, 3), np.uint8)))["counts"]  # 12 pixels, not 16
    res = [{"image_id": 1, "category_id": 1, "score": 1.0, "segmentation": {"size": [4, 4], "counts": short.decode()}}]
    with pytest.raises(ValueError, match="result 0"):
        coco_evaluate(gt, res, iou_type="segm")


@pytest.mark.parametrize(
    ("polys", "reason"),
    [
        ([[0, 0, 1e7, 0, 5, 5]], "bad_coordinates"),
        ([[0, 0, float("nan"), 0, 5, 5]], "bad_coordinates"),
        ([[0, 0, 10, 0, 10, 10]] * 1001, "too_many_polygons"),
        ([list(range(20002))], "too_many_vertices"),
        ([[0, 0, 20, 0] * 300], "bad_coordinates"),  # a perimeter of 24,000 px in a 10 x 10 image
    ],
    ids=["far", "nan", "count", "vertices", "perimeter"],
)
def test_polygon_bounds(polys, reason):
    with pytest.raises(MaskError) as info:
        check_polygon_bounds(polys, (10, 10))
    assert info.value.reason == reason
