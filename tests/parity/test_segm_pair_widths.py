"""pair_iou_segm hands the RLEs of a block's other categories to pycocotools with other
widths (so that their pairs are skipped); the IoU of the pairs it keeps must not move a
bit, empty masks and crowd ground truths included."""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mu

from rewardkit.metrics.coco.pairwise import pair_iou_segm


def _rle(m: np.ndarray) -> dict:
    r = mu.encode(np.asfortranarray(m.astype(np.uint8)))
    return {"size": r["size"], "counts": r["counts"].decode()}


def test_widths_per_category_change_no_iou():
    rng = np.random.default_rng(0)
    h, w = 23, 31
    dts, gts, d_img, d_cat, g_cat, g_img = [], [], [], [], [], []
    for img in range(6):
        for _ in range(int(rng.integers(3, 12))):
            m = np.zeros((h, w), bool)
            if rng.random() > 0.15:  # some empty masks
                y, x = rng.integers(0, h), rng.integers(0, w)
                m[y : y + rng.integers(1, h), x : x + rng.integers(1, w)] = True
            gts.append(_rle(m))
            g_cat.append(int(rng.integers(0, 4)))
            g_img.append(img)
        for _ in range(int(rng.integers(5, 25))):
            m = rng.random((h, w)) < rng.random() * 0.3 if rng.random() < 0.5 else np.zeros((h, w), bool)
            if not m.any() and rng.random() < 0.7:
                y, x = rng.integers(0, h), rng.integers(0, w)
                m[y : y + rng.integers(1, h), x : x + rng.integers(1, w)] = True
            dts.append(_rle(m))
            d_cat.append(int(rng.integers(0, 4)))
            d_img.append(img)
    crowd = rng.random(len(gts)) < 0.2
    d_img, d_cat, g_img, g_cat = map(np.asarray, (d_img, d_cat, g_img, g_cat))
    # candidate pairs: same image and category, detections in image order, a detection's pairs adjacent
    e_dt, e_gt = [], []
    for d in range(len(dts)):
        for g in np.flatnonzero((g_img == d_img[d]) & (g_cat == d_cat[d])).tolist():
            e_dt.append(d)
            e_gt.append(g)
    e_dt, e_gt = np.asarray(e_dt), np.asarray(e_gt)
    plain = pair_iou_segm(dts, gts, crowd, d_img, e_dt, e_gt)
    widened = pair_iou_segm(dts, gts, crowd, d_img, e_dt, e_gt, d_cat, g_cat)
    assert e_dt.size > 50 and (plain > 0).any() and (plain == 0).any()
    assert np.array_equal(plain, widened)
    # and each one is what pycocotools gives for that single pair
    for i in range(e_dt.size):
        ref = mu.iou([dts[e_dt[i]]], [gts[e_gt[i]]], [int(crowd[e_gt[i]])])
        assert float(np.asarray(ref).reshape(-1)[0]) == widened[i]
