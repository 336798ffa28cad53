"""The native engine's accumulation processes (area range, threshold) rows in chunks sized
by ``engine._ROW_BUDGET``; whatever the chunk size, the arrays are pycocotools' bits.

The default budget puts a small evaluation in one chunk; a budget of 1 forces one row per
chunk (the path of a large evaluation). Both are compared with pycocotools' ``COCOeval``
on sets where most categories have no ground truth in an image (the sparse case the
accumulation restricts itself to) and with LVIS-style uncapped accumulation.
"""

from __future__ import annotations

import numpy as np
import pytest

from rewardkit.metrics.coco import coco_evaluate, engine
from tests._helpers.coco_synth import benchmark_set, synthetic_coco
from tests.parity.test_coco_parity import reference


def _arrays(gt, dt, iou_type, **params):
    r = coco_evaluate(gt, dt, iou_type, compat="pycocotools", **params)
    return r["stats"], r["precision"], r["recall"], r["scores"]


@pytest.mark.parametrize("budget", [1, 7, 1 << 20])
@pytest.mark.parametrize(
    "case",
    [
        ("bbox", dict(seed=3, n_images=4, n_cats=12, gt_per_image=3, dt_per_image=9)),
        ("segm", dict(seed=4, n_images=3, n_cats=6, gt_per_image=4, dt_per_image=8, image_size=(90, 70))),
        ("keypoints", dict(seed=5, n_images=5, gt_per_image=3, dt_per_image=6)),
    ],
    ids=lambda c: c[0] if isinstance(c, tuple) else None,
)
def test_chunked_accumulation_is_bit_identical(monkeypatch, budget, case):
    iou_type, kw = case
    kw = dict(kw)
    gt, dt = synthetic_coco(kw.pop("seed"), iou_type=iou_type, score_mode="ties", **kw)
    monkeypatch.setattr(engine, "_ROW_BUDGET", budget)
    stats, prec, rec, scores = _arrays(gt, dt, iou_type)
    ref_stats, ref_prec, ref_rec, ref_scores = reference(gt, dt, iou_type)
    assert stats == ref_stats.tolist()
    assert np.array_equal(prec, ref_prec)
    assert np.array_equal(rec, ref_rec)
    assert np.array_equal(scores, ref_scores)


def test_one_image_many_categories(monkeypatch):
    """1 image, 80 categories of which a handful have ground truth (the small-evaluation case)."""
    gt, dt = benchmark_set(0, n_images=1)
    ref_stats, ref_prec, ref_rec, ref_scores = reference(gt, dt, "bbox")
    for budget in (1, 1 << 20):
        monkeypatch.setattr(engine, "_ROW_BUDGET", budget)
        stats, prec, rec, scores = _arrays(gt, dt, "bbox")
        assert stats == ref_stats.tolist()
        assert np.array_equal(prec, ref_prec) and np.array_equal(rec, ref_rec)
        assert np.array_equal(scores, ref_scores)


def test_per_category_table_is_the_per_category_mean():
    """The vectorized table gives ``float(np.mean(s[s > -1]))`` per category, bit for bit,
    including categories without ground truth (NaN) and rows mixing -1 and values."""
    from rewardkit.metrics.coco.summary import per_category_table

    rng = np.random.default_rng(0)
    prec = rng.random((10, 101, 7, 4, 3))
    prec[:, :, 2] = -1.0  # no ground truth
    prec[3, 5:40, 4, 0, -1] = -1.0  # mixed row (not produced by COCO, handled anyway)
    thrs = np.linspace(0.5, 0.95, 10)
    rows = per_category_table(prec, list(range(7)), [str(i) for i in range(7)], thrs)
    for k, row in enumerate(rows):
        for key, t in (("AP", None), ("AP50", [0]), ("AP75", [5])):
            s = prec[:, :, k, 0, -1] if t is None else prec[t, :, k, 0, -1]
            v = s[s > -1]
            want = float(np.mean(v)) if v.size else float("nan")
            assert row[key] == want or (np.isnan(want) and np.isnan(row[key])), (k, key)
