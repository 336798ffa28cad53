"""gIoU / cIoU hand cases per mode (LISA, Seg-R1, Visual-RFT)."""

from __future__ import annotations

import numpy as np
import pytest

from rewardkit.metrics.lisa import LISAMetrics, lisa_evaluate
from rewardkit.parsing.masks import to_rle


def _box(h, w, y0, y1, x0, x1):
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


def test_hand_case_lisa_mode():
    gt1 = _box(10, 10, 0, 4, 0, 5)  # 20 px
    pr1 = _box(10, 10, 0, 4, 0, 10)  # 40 px, I = 20, U = 40
    gt2 = _box(10, 10, 0, 1, 0, 2)  # 2 px
    pr2 = _box(10, 10, 0, 1, 0, 2)  # perfect: I = U = 2
    empty = np.zeros((10, 10), bool)
    r = lisa_evaluate([gt1, gt2, empty], [pr1, pr2, empty], return_per_sample=True)
    per = [20 / (40 + 1e-5), 2 / (2 + 1e-5), 0 / (0 + 1e-5) + 1.0]
    assert r["per_sample"] == pytest.approx(per, abs=1e-15)
    assert r["gIoU"] == pytest.approx(np.mean(per), abs=1e-15)
    assert r["cIoU"] == pytest.approx(22 / (42 + 1e-10), abs=1e-15)


@pytest.mark.parametrize("mode", ["seg_r1", "visual_rft"])
def test_empty_on_empty_scores_zero_in_public_modes(mode):
    empty = np.zeros((10, 10), bool)
    gt = _box(10, 10, 0, 4, 0, 5)
    r = lisa_evaluate([gt, empty], [gt, empty], mode=mode)
    assert r["gIoU"] == pytest.approx((20 / (20 + 1e-5) + 0.0) / 2)
    assert r["cIoU"] == pytest.approx(20 / 20, abs=1e-9)
    # the named parameter overrides the mode default
    r1 = lisa_evaluate([empty], [empty], mode=mode, empty_score=1.0)
    assert r1["gIoU"] == 1.0


def test_ignore_label_only_in_lisa_mode():
    label = np.zeros((4, 4), np.uint8)
    label[0, :2] = 1
    label[3, :] = 255  # ignored row
    pred = np.zeros((4, 4), bool)
    pred[0, :2] = True
    pred[3, :] = True  # predictions on ignored pixels do not count in LISA
    r = lisa_evaluate([label], [pred], gt_format="label_map")
    assert r["gIoU"] == pytest.approx(2 / (2 + 1e-5))
    r2 = lisa_evaluate([label], [pred], mode="seg_r1", gt_format="label_map")
    assert r2["gIoU"] == pytest.approx(2 / (6 + 1e-5))
    with pytest.raises(ValueError, match="label-map"):
        lisa_evaluate([np.full((2, 2), 7, np.uint8)], [np.zeros((2, 2), bool)], gt_format="label_map")


def test_all_polygons_vs_first_polygon():
    polys = [[0, 0, 4, 0, 4, 4, 0, 4], [6, 6, 10, 6, 10, 10, 6, 10]]
    from rewardkit.parsing.masks import from_polygons

    full = from_polygons(polys, (10, 10)).data
    first = from_polygons(polys[:1], (10, 10)).data
    # predicting only the first square: perfect in the first-polygon modes, half in LISA
    r_lisa = lisa_evaluate([polys], [first], image_sizes=[(10, 10)])
    r_seg = lisa_evaluate([polys], [first], mode="seg_r1", image_sizes=[(10, 10)])
    assert r_lisa["gIoU"] == pytest.approx(first.sum() / (full.sum() + 1e-5))
    assert r_seg["gIoU"] == pytest.approx(first.sum() / (first.sum() + 1e-5))


def test_lisa_json_shapes_with_ignore_and_flag():
    ann = {
        "imageWidth": 10,
        "imageHeight": 10,
        "shapes": [
            {"label": "target", "points": [[0, 0], [8, 0], [8, 8], [0, 8]]},
            {"label": "ignore", "points": [[0, 0], [4, 0], [4, 4], [0, 4]]},
            {"label": "flag", "points": [[0, 0], [10, 0], [10, 10], [0, 10]]},
        ],
    }
    from rewardkit.metrics.lisa import read_lisa_gt

    fg, ign = read_lisa_gt(ann)
    assert ign is not None and ign.sum() == 16 and not (fg & ign).any()
    fg2, ign2 = read_lisa_gt(ann, mode="seg_r1")
    assert ign2 is None and fg2.sum() == 64


def test_rle_and_stream_class():
    gt = _box(6, 6, 1, 3, 1, 3)
    m = LISAMetrics()
    iou = m.update(to_rle(gt), to_rle(gt))
    assert iou == pytest.approx(4 / (4 + 1e-5))
    m.update(~gt, gt)  # update(preds, target)
    out = m.compute()
    assert set(out) == {"gIoU", "cIoU"}
    assert out["cIoU"] == pytest.approx(4 / (4 + 36))


def test_bad_inputs():
    with pytest.raises(ValueError, match="mode"):
        lisa_evaluate([], [], mode="coco")
    with pytest.raises(ValueError):
        lisa_evaluate([np.zeros((2, 2), bool)], [np.zeros((3, 3), bool)])
    with pytest.raises(ValueError):
        lisa_evaluate([np.zeros((2, 2), bool)], [])
