"""Polygons and quads with shapely (issue 19): validation outcomes and reasons, exact IoU
(hand-computed areas, and convergence of pycocotools' raster IoU to it), quads in
detection.f1 and the grounding rewards."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rewardkit.geometry.polygons import polygon_iou, quad_giou, quad_iou
from rewardkit.parsing.polygons import (
    Ring,
    parse_polygons,
    validate_polygons,
)
from rewardkit.parsing.quads import parse_quads, read_florence2_quads
from rewardkit.registry import score
from rewardkit.types import Boxes, Quads

SQUARE = [0, 0, 40, 0, 40, 40, 0, 40]  # area 1600
GT = {"polygons": [SQUARE], "image_size": [100, 100]}
BOW_TIE = [0, 0, 40, 40, 40, 0, 0, 40]  # crosses itself at (20, 20): two triangles of area 400
MASK_GT = np.zeros((100, 100), bool)
MASK_GT[0:40, 0:40] = True


def _c(answer) -> str:
    return f"<think>t</think><answer>{answer if isinstance(answer, str) else json.dumps(answer)}</answer>"


# -- defined outcomes for self-intersecting, repeated-point and collapsed answers ---------------


def test_self_intersecting_answer_is_repaired_by_default():
    r = score(_c([BOW_TIE]), GT, reward="segmentation.polygon_iou")
    # make_valid: the two triangles (0,0)-(40,0)-(20,20) and (0,40)-(40,40)-(20,20), 400 each, inside the square
    assert r.score == pytest.approx(800 / 1600)
    assert r.reason == "repaired_polygon" and r.details["repaired"] == 1


def test_self_intersecting_answer_is_refused_on_request():
    for reward in ("segmentation.polygon_iou", "segmentation.mask_iou"):
        gt = GT if reward.endswith("polygon_iou") else MASK_GT
        r = score(_c([BOW_TIE]), gt, reward=reward, invalid="refuse")
        assert (r.score, r.reason) == (0.0, "self_intersecting"), reward


def test_mask_iou_rasterizes_the_repaired_polygon_like_pycocotools():
    from pycocotools import mask as mu

    r = score(_c([BOW_TIE]), MASK_GT, reward="segmentation.mask_iou")
    raw = mu.decode(mu.merge(mu.frPyObjects([[float(v) for v in BOW_TIE]], 100, 100))).astype(bool)
    expected = (raw & MASK_GT).sum() / (raw | MASK_GT).sum()  # pycocotools' even-odd fill of the raw ring
    assert r.reason == "repaired_polygon"
    assert r.score == pytest.approx(expected, abs=0.02)


def test_repeated_points_are_removed_with_a_count():
    rep = [0, 0, 0, 0, 40, 0, 40, 0, 40, 40, 0, 40, 0, 0]
    r = score(_c([rep]), GT, reward="segmentation.polygon_iou")
    assert r.score == 1.0 and r.reason is None
    res = parse_polygons(json.dumps([rep]), image_size=(100, 100))
    assert res.details["repeated_points"] == 3


@pytest.mark.parametrize(
    "answer",
    [[[5, 5, 5, 5, 5, 5]], [[0, 0, 10, 10, 20, 20, 30, 30]], [[0, 0, 10, 0, 0, 0, 10, 0]]],
    ids=["one-point", "collinear", "back-and-forth"],
)
def test_collapsed_answer_scores_zero_with_reason(answer):
    for reward, gt in (("segmentation.polygon_iou", GT), ("segmentation.mask_iou", MASK_GT)):
        r = score(_c(answer), gt, reward=reward)
        assert (r.score, r.reason) == (0.0, "degenerate_polygon"), reward


def test_collapsed_ring_beside_a_good_one_is_dropped_with_a_note():
    r = score(_c([SQUARE, [5, 5, 6, 6, 7, 7]]), GT, reward="segmentation.polygon_iou")
    assert r.score == 1.0 and r.reason == "dropped_degenerate_rings" and r.details["dropped_rings"] == 1


def test_repair_is_bounded_a_many_crossing_star_is_refused_fast():
    n = 101
    idx = (np.arange(n) * (n // 2)) % n
    ang = 2 * np.pi * idx / n
    star = np.stack([50 + 40 * np.cos(ang), 50 + 40 * np.sin(ang)], 1).ravel().round(3).tolist()
    r = score(_c([star]), GT, reward="segmentation.polygon_iou")  # make_valid alone takes ~10 s on it
    assert (r.score, r.reason) == (0.0, "self_intersecting")
    assert r.details["too_complex"] is True  # refused before make_valid ran


def test_validate_polygons_rejects_unknown_modes():
    with pytest.raises(ValueError, match="invalid"):
        validate_polygons([Ring(np.zeros((3, 2)))], invalid="fix")


# -- exact IoU ----------------------------------------------------------------------------------


def test_exact_iou_with_holes_and_multipolygons():
    # answer: the square with a 20x20 hole; ground truth: two 40x40 squares side by side
    answer = {"type": "Polygon", "coordinates": [[[0, 0], [40, 0], [40, 40], [0, 40]], [[10, 10], [30, 10], [30, 30], [10, 30]]]}
    gt = {"polygons": [SQUARE, [40, 0, 80, 0, 80, 40, 40, 40]], "image_size": [100, 100]}
    r = score(_c(answer), gt, reward="segmentation.polygon_iou")
    assert r.details["method"] == "exact"
    assert r.score == pytest.approx(1200 / 3200)


def test_exact_iou_is_independent_of_raster_size():
    tri = [[0.3, 0.1, 9.7, 0.2, 4.9, 9.9]]
    gt = {"polygons": [[0.0, 0.0, 10.0, 0.0, 10.0, 10.0, 0.0, 10.0]], "image_size": [12, 12]}
    r = score(_c(tri), gt, reward="segmentation.polygon_iou")
    from shapely.geometry import Polygon

    a = Polygon(np.reshape(tri[0], (-1, 2)))
    assert r.score == pytest.approx(a.area / 100.0, rel=1e-12)


def test_raster_iou_of_pycocotools_converges_to_the_exact_iou():
    """Tolerance: |raster - exact| <= 1e-4 once the shapes span >= 16 x 20 pixels; the error
    at 20 pixels is over 100 times larger (pycocotools 2.0.11)."""
    from pycocotools import mask as mu
    from shapely.geometry import Polygon

    a = np.array([[3.3, 2.1], [17.9, 4.7], [11.2, 18.6]])
    b = np.array([[6.1, 5.3], [19.4, 8.8], [16.0, 19.1], [4.2, 14.9]])
    exact = polygon_iou(Polygon(a), Polygon(b))
    errors = {}
    for s in (1, 4, 16, 64, 128):
        n = 20 * s
        ra, rb = mu.frPyObjects([(a * s).ravel().tolist()], n, n), mu.frPyObjects([(b * s).ravel().tolist()], n, n)
        errors[s] = abs(float(mu.iou(ra, rb, [0])[0, 0]) - exact)
    assert max(errors[16], errors[64], errors[128]) <= 1e-4, errors
    assert errors[1] > 100 * errors[128], errors


def test_mask_ground_truth_falls_back_to_raster():
    r = score(_c([SQUARE]), MASK_GT, reward="segmentation.polygon_iou")
    assert r.details["method"] == "raster" and r.score == 1.0


def test_rle_answer_against_polygon_ground_truth_is_raster():
    from rewardkit.parsing.masks import to_rle

    r = score(_c(to_rle(MASK_GT)), GT, reward="segmentation.polygon_iou")
    assert r.details["method"] == "raster" and r.score == 1.0


def test_polygon_ground_truth_without_image_size_does_not_apply():
    r = score(_c([SQUARE]), {"polygons": [SQUARE]}, reward="segmentation.polygon_iou")
    assert (r.score, r.reason) == (None, "bad_ground_truth") and "image size" in r.details["error"]
    assert score(_c([SQUARE]), {"polygons": [SQUARE]}, reward="segmentation.polygon_iou", image_size=(64, 64)).score == 1.0


def test_answer_in_norm1000_frame_is_converted():
    r = score(_c([[0, 0, 400, 0, 400, 400, 0, 400]]), GT, reward="segmentation.polygon_iou", pred_frame="norm1000")
    assert r.score == pytest.approx(1.0)


@pytest.mark.parametrize("v", ["1e7", "NaN", "-1e300"])
def test_out_of_bounds_answer_is_refused(v):
    r = score(f"<answer>[[0, 0, {v}, 0, 40, 40]]</answer>", GT, reward="segmentation.polygon_iou")
    assert (r.score, r.reason) == (0.0, "bad_coordinates")


# -- quads ----------------------------------------------------------------------------------------


def test_quads_type():
    q = Quads.from_boxes(Boxes(np.array([[0.0, 0.0, 10.0, 5.0]])))
    assert q.corners.tolist() == [[[0, 0], [10, 0], [10, 5], [0, 5]]]
    assert q.area.tolist() == [50.0] and q.bounds.xyxy.tolist() == [[0, 0, 10, 5]]
    with pytest.raises(ValueError):
        Quads(np.array([[[0, 0], [1, 0], [1, np.nan], [0, 1]]]))


@pytest.mark.parametrize(
    "payload",
    [
        "[10, 10, 50, 10, 50, 30, 10, 30]",
        "[[10, 10], [50, 10], [50, 30], [10, 30]]",
        '[{"quad": [10, 10, 50, 10, 50, 30, 10, 30], "label": "STOP"}]',
        '{"bbox_2d": [[10, 10], [50, 10], [50, 30], [10, 30]]}',
        "</s><s>STOP<loc_10><loc_10><loc_50><loc_10><loc_50><loc_30><loc_10><loc_30>",
        "the region is [10, 10, 50, 10, 50, 30, 10, 30].",
    ],
)
def test_parse_quads_layouts(payload):
    r = parse_quads(payload)
    assert r.ok, r.reason
    assert r.value.flat.tolist() == [[10, 10, 50, 10, 50, 30, 10, 30]]


def test_florence2_ocr_regions_with_labels():
    text = "</s><s>STOP<loc_1><loc_2><loc_3><loc_4><loc_5><loc_6><loc_7><loc_8>GO<loc_9><loc_10><loc_11><loc_12><loc_13><loc_14><loc_15><loc_16>"
    quads, labels = read_florence2_quads(text)
    assert labels == ["STOP", "GO"] and quads[1][0] == 9.0
    assert read_florence2_quads("cat<loc_1><loc_2><loc_3><loc_4>") is None  # a box, not a quad


def test_quad_iou_exact_rotated_square():
    # a diamond inscribed in the 2x2 square: area 2, inside it: IoU = 2 / 4
    a = Quads.from_flat([[0, 0, 2, 0, 2, 2, 0, 2]])
    b = Quads.from_flat([[1, 0, 2, 1, 1, 2, 0, 1]])
    assert quad_iou(a, b)[0, 0] == pytest.approx(0.5)
    assert quad_giou(a, b)[0, 0] == pytest.approx(0.5)
    # axis-aligned IoU of the bounding boxes would say 1.0


def test_crossing_quad_is_read_as_its_convex_hull():
    a = Quads.from_flat([[0, 0, 2, 2, 2, 0, 0, 2]])  # corners out of order: a bow tie
    b = Quads.from_flat([[0, 0, 2, 0, 2, 2, 0, 2]])
    assert quad_iou(a, b)[0, 0] == pytest.approx(1.0)


def test_detection_f1_and_grounding_on_quads():
    q1, q2 = [100, 100, 300, 120, 290, 220, 90, 200], [500, 500, 700, 500, 700, 600, 500, 600]
    assert score(_c([q1, q2]), {"quads": [q1, q2]}, reward="detection.f1").score == 1.0
    assert score(_c([q1]), {"quads": [q1, q2]}, reward="detection.f1").score == pytest.approx(2 / 3)
    diamond = [1, 0, 2, 1, 1, 2, 0, 1]
    r = score(_c([0, 0, 2, 2]), [diamond], reward="grounding.iou")  # a box answer against a quad
    assert r.score == pytest.approx(0.5) and r.details["quads"]
    r = score(_c(diamond), [diamond], reward="grounding.accuracy")
    assert r.score == 1.0


def test_quads_convert_frames_per_corner():
    q = [100, 100, 300, 100, 300, 200, 100, 200]  # pixels of a 1000 x 500 image
    pred = [100, 200, 300, 200, 300, 400, 100, 400]  # the same quad in norm1000
    r = score(_c(pred), {"quads": [q], "image_size": [1000, 500]}, reward="grounding.iou", pred_frame="norm1000",
              gt_frame="pixel")
    assert r.score == pytest.approx(1.0)


def test_quad_ground_truth_through_score_batch_is_prepared_once():
    q = [100, 100, 300, 120, 290, 220, 90, 200]
    from rewardkit.parsing.quads import QuadTarget
    from rewardkit.registry import Reward

    rw = Reward("grounding.iou")
    assert isinstance(rw.prepare([q]), QuadTarget)
    assert [r.score for r in rw.score_batch([_c(q), _c("[0, 0, 1, 1]")], [q])] == [1.0, 0.0]


def test_box_ground_truths_are_unchanged():
    assert score(_c([0, 0, 100, 100]), [0, 0, 100, 50], reward="grounding.iou").score == 0.5
