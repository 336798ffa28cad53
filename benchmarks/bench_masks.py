"""Mask IoU for the G = 8 completions of one prompt vs pycocotools (RLE encode + iou).

Group ``mask-iou-8vs1-<h>x<w>``: ``rewardkit-matrix`` (``mask_iou``), ``rewardkit-pairs``
(``mask_iou_pair`` per completion) and ``pycocotools`` (encode both, then ``iou``).
``pycocotools-rle-given`` (masks already RLE, only ``iou`` timed) is less work and sits in
its own group ``...-rle-given`` (timed, no ratio).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from _harness import label
from pycocotools import mask as mask_utils

from rewardkit.geometry.masks import mask_iou, mask_iou_pair

FULL = os.environ.get("RK_BENCH_FULL") == "1"
SIZES = [(480, 640), (1024, 1024)]


def _group(h, w, g=8, seed=0):
    rng = np.random.default_rng(seed)
    gt = np.zeros((h, w), bool)
    gt[h // 4 : h // 2, w // 4 : w // 2] = True
    preds = np.zeros((g, h, w), bool)
    for i in range(g):
        y0, x0 = rng.integers(0, h // 3), rng.integers(0, w // 3)
        preds[i, y0 : y0 + h // 3, x0 : x0 + w // 3] = True
    return preds, gt


@pytest.mark.parametrize("hw", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("impl", ["rewardkit-matrix", "rewardkit-pairs", "pycocotools", "pycocotools-rle-given"])
def test_group_of_8(benchmark, hw, impl):
    preds, gt = _group(*hw)
    # RLE-given pycocotools does less work (no encoding): its own group, no ratio
    suffix = "-rle-given" if impl == "pycocotools-rle-given" else ""
    label(benchmark, f"mask-iou-8vs1-{hw[0]}x{hw[1]}{suffix}", impl)
    if impl == "rewardkit-matrix":
        out = benchmark(mask_iou, preds, gt[None])
    elif impl == "rewardkit-pairs":
        out = benchmark(lambda: np.array([[mask_iou_pair(p, gt)] for p in preds]))
    elif impl == "pycocotools-rle-given":  # masks already RLE: only the IoU is timed
        rp = mask_utils.encode(np.asfortranarray(preds.transpose(1, 2, 0).astype(np.uint8)))
        rg = mask_utils.encode(np.asfortranarray(gt[:, :, None].astype(np.uint8)))
        out = benchmark(mask_utils.iou, rp, rg, [0])
    else:
        def ref():
            rp = mask_utils.encode(np.asfortranarray(preds.transpose(1, 2, 0).astype(np.uint8)))
            rg = mask_utils.encode(np.asfortranarray(gt[:, :, None].astype(np.uint8)))
            return mask_utils.iou(rp, rg, [0])

        out = benchmark(ref)
    assert np.asarray(out).shape == (8, 1)
