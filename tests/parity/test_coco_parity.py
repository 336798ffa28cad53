"""Parity of rewardkit's native COCO engine with pycocotools COCOeval (run here, same input).

Tolerances: ``stats`` within 1e-12 and ``precision`` / ``recall`` within 1e-15 (the issue's
bar); in practice every value is bit-identical, which ``test_bit_identical`` asserts on
the public fixtures.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json

import numpy as np
import pytest

from rewardkit.metrics.coco import CocoEvaluator, coco_evaluate
from tests._helpers.coco_synth import synthetic_coco

pycocotools = pytest.importorskip("pycocotools")
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402

from tests._helpers import DATA  # noqa: E402

FIX = DATA

STATS_TOL = 1e-12
PREC_TOL = 1e-15


def reference(gt: dict, dt: list, iou_type: str, **params):
    """pycocotools on deep copies (it mutates its inputs); returns (stats, precision, recall)."""
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = copy.deepcopy(gt)
        coco.createIndex()
        res = coco.loadRes(copy.deepcopy(dt))
        E = COCOeval(coco, res, iou_type)
        for k, v in params.items():
            setattr(E.params, k, v)
        E.evaluate()
        E.accumulate()
        E.summarize()
    return np.asarray(E.stats), E.eval["precision"], E.eval["recall"], E.eval["scores"]


def assert_parity(gt, dt, iou_type, **params):
    r = coco_evaluate(gt, dt, iou_type, compat="pycocotools", **params)
    stats, prec, rec, scores = reference(gt, dt, iou_type, **params)
    assert r["precision"].shape == prec.shape
    assert np.max(np.abs(np.asarray(r["stats"]) - stats)) <= STATS_TOL
    assert np.max(np.abs(r["precision"] - prec)) <= PREC_TOL
    assert np.max(np.abs(r["recall"] - rec)) <= PREC_TOL
    assert np.max(np.abs(r["scores"] - scores)) <= PREC_TOL
    return r, stats


def _fixture(name):
    exp = json.loads((FIX / "expected.json").read_text())[name]
    gt = json.loads((FIX / exp["gt"]).read_text())
    dt = json.loads((FIX / exp["dt"]).read_text())
    return exp, gt, dt


@pytest.mark.parametrize(
    "name,iou_type",
    [("coco_bbox", "bbox"), ("coco_segm", "segm"), ("coco_keypoints", "keypoints")],
)
def test_fixtures_bit_identical(name, iou_type):
    exp, gt, dt = _fixture(name)
    r, stats = assert_parity(gt, dt, iou_type)
    # bit-identical to pycocotools run here and to the recorded expected values
    assert r["stats"] == stats.tolist()
    assert r["stats"] == exp["stats"]
    _, prec, _, _ = reference(gt, dt, iou_type)
    assert np.array_equal(r["precision"], prec)
    # default mode equals compat mode on default parameters
    assert coco_evaluate(gt, dt, iou_type)["stats"] == r["stats"]


def _sets():
    cases = []
    for seed in range(24):
        iou_type = ("bbox", "segm", "keypoints")[seed % 3]
        mode = ("random", "ties", "constant", "ties")[seed % 4]
        params = {}
        if seed % 5 == 1:
            params = {"maxDets": [1, 4, 9]} if iou_type != "keypoints" else {"maxDets": [3]}
        elif seed % 5 == 2:
            params = (
                {"areaRng": [[0, 1e10], [0, 400], [300, 6000], [5000, 1e10]]}
                if iou_type != "keypoints"
                else {"areaRng": [[0, 1e10], [0, 2500], [2000, 1e10]]}
            )
        elif seed % 5 == 3:
            params = {"iouThrs": np.array([0.3, 0.5, 0.7])}
        cases.append((seed, iou_type, mode, params))
    return cases


@pytest.mark.parametrize("seed,iou_type,mode,params", _sets())
def test_random_sets(seed, iou_type, mode, params):
    gt, dt = synthetic_coco(
        seed,
        iou_type=iou_type,
        score_mode=mode,
        n_images=12,
        n_cats=3,
        gt_per_image=5,
        dt_per_image=14,
        crowd_frac=0.2,
        empty_frac=0.2,
        zero_area_frac=0.08,
        image_size=(160, 120),
        gt_id_start=0 if seed % 7 == 3 else 1,
    )
    assert any(a.get("iscrowd") for a in gt["annotations"]) or iou_type == "keypoints"
    r, stats = assert_parity(gt, dt, iou_type, **params)
    assert r["stats"] == stats.tolist()


def test_dense_contention():
    """Many detections per ground truth, constant scores: tie-breaking and greedy order."""
    gt, dt = synthetic_coco(
        7, n_images=10, n_cats=2, gt_per_image=10, dt_per_image=80, score_mode="constant",
        crowd_frac=0.3, image_size=(120, 90),
    )
    assert_parity(gt, dt, "bbox")


def test_empty_results_default_zero_and_compat_raises():
    _, gt, _ = _fixture("coco_bbox")
    r = coco_evaluate(gt, [], "bbox")
    assert r["stats"] == [0.0] * 12
    with pytest.raises(IndexError):
        coco_evaluate(gt, [], "bbox", compat="pycocotools")


def test_stats0_quirk_only_in_compat():
    exp, gt, dt = _fixture("coco_bbox")
    md = [1, 10, 50]
    compat = coco_evaluate(gt, dt, "bbox", compat="pycocotools", maxDets=md)
    stats, *_ = reference(gt, dt, "bbox", maxDets=md)
    assert compat["stats"] == stats.tolist()
    assert compat["AP"] == -1.0  # pycocotools reads AP at maxDets=100, absent here
    fixed = coco_evaluate(gt, dt, "bbox", maxDets=md)
    assert fixed["AP"] > 0
    assert fixed["stats"][1:] == compat["stats"][1:]


def test_named_stats_and_per_category():
    exp, gt, dt = _fixture("coco_bbox")
    r = coco_evaluate(gt, dt, "bbox")
    assert r["AP"] == exp["stats"][0] and r["ARl"] == exp["stats"][11]
    assert r["precision"].shape == (10, 101, len(gt["categories"]), 4, 3)
    assert r["recall"].shape == (10, len(gt["categories"]), 4, 3)
    rows = {row["id"]: row for row in r["per_category"]}
    k = 0
    cid = r["params"]["catIds"][k]
    s = r["precision"][:, :, k, 0, -1]
    want = np.mean(s[s > -1]) if (s > -1).any() else np.nan
    assert rows[cid]["AP"] == pytest.approx(want, nan_ok=True)


def test_streaming_matches_function():
    _, gt, dt = _fixture("coco_bbox")
    ev = CocoEvaluator(gt, "bbox")
    for i in range(0, len(dt), 100):
        ev.update(dt[i : i + 100])
    assert ev.compute()["stats"] == coco_evaluate(gt, dt, "bbox")["stats"]
    ev.reset()
    assert len(ev) == 0


def test_inputs_not_mutated():
    _, gt, dt = _fixture("coco_segm")
    before = json.dumps([gt["annotations"][:5], dt[:5]], sort_keys=True)
    coco_evaluate(gt, dt, "segm")
    coco_evaluate(gt, dt, "segm", backend="pycocotools")
    assert json.dumps([gt["annotations"][:5], dt[:5]], sort_keys=True) == before


def test_faster_coco_eval_backend_agrees():
    pytest.importorskip("faster_coco_eval")
    _, gt, dt = _fixture("coco_bbox")
    a = coco_evaluate(gt, dt, "bbox")
    b = coco_evaluate(gt, dt, "bbox", backend="faster_coco_eval")
    assert np.max(np.abs(np.asarray(a["stats"]) - np.asarray(b["stats"]))) < 1e-12


def test_results_from_unknown_image_raise():
    _, gt, _ = _fixture("coco_bbox")
    with pytest.raises(ValueError, match="image ids"):
        coco_evaluate(gt, [{"image_id": -12345, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}])


def test_img_and_cat_subsets():
    gt, dt = synthetic_coco(31, n_images=15, n_cats=4, gt_per_image=5, dt_per_image=15, image_size=(160, 120))
    img_ids = sorted(im["id"] for im in gt["images"])[::2]
    assert_parity(gt, dt, "bbox", imgIds=img_ids, catIds=[2, 3])


def test_keypoint_results_without_bbox():
    """loadRes' keypoints branch: area from the keypoints' extent."""
    gt, dt = synthetic_coco(5, iou_type="keypoints", n_images=10, gt_per_image=4, dt_per_image=10, image_size=(160, 120))
    assert "bbox" not in dt[0]
    assert_parity(gt, dt, "keypoints")
    with_box = [{**d, "bbox": [0, 0, 50, 50]} for d in dt]  # bbox branch: area = w * h
    assert_parity(gt, with_box, "keypoints")


def test_segm_results_with_bbox_field_use_box_area():
    """loadRes picks the bbox branch from the first result: area = w * h, even for segm."""
    gt, dt = synthetic_coco(9, iou_type="segm", n_images=10, gt_per_image=4, dt_per_image=10, image_size=(160, 120))
    from pycocotools import mask as mask_utils

    boxed = [{**d, "bbox": [float(v) for v in mask_utils.toBbox(d["segmentation"])]} for d in dt]
    assert_parity(gt, boxed, "segm")
    assert_parity(gt, boxed, "bbox")
    assert_parity(gt, dt, "bbox")  # bbox evaluation of mask-only results: toBbox


@pytest.mark.parametrize("seed,iou_type", [(0, "bbox"), (1, "segm"), (2, "bbox")])
def test_use_cats_zero(seed, iou_type):
    """Category-agnostic evaluation: per image, ground truths and detections of all
    categories (in catIds order, then file order) compete."""
    gt, dt = synthetic_coco(
        seed, iou_type=iou_type, n_images=12, n_cats=3, gt_per_image=5, dt_per_image=14,
        image_size=(160, 120), score_mode=("random", "ties", "constant")[seed], crowd_frac=0.2,
    )  # fmt: skip
    params = {"useCats": 0} if seed != 2 else {"useCats": 0, "catIds": [3, 1]}
    r, stats = assert_parity(gt, dt, iou_type, **params)
    assert r["precision"].shape[2] == 1 and r["per_category"][0]["id"] == -1
    assert r["stats"] == stats.tolist()


def _grid_set(seed: int) -> tuple[dict, list]:
    """Boxes on a coarse integer grid: IoUs exactly at thresholds (0.5, 0.75 ...) and equal
    IoUs with several ground truths (pycocotools gives the match to the later one)."""
    rng = np.random.default_rng(seed)
    images, anns, dets = [], [], []
    aid = 1
    for img in range(1, 6):
        images.append({"id": img, "width": 60, "height": 60})
        for _ in range(int(rng.integers(0, 6))):
            x, y = (int(v) for v in rng.integers(0, 5, 2) * 5)
            w, h = (int(v) for v in rng.choice([10, 20], 2))
            crowd = int(rng.random() < 0.15)
            anns.append({"id": aid, "image_id": img, "category_id": int(rng.integers(1, 3)), "bbox": [x, y, w, h],
                         "area": w * h, "iscrowd": crowd})  # fmt: skip
            aid += 1
        for _ in range(int(rng.integers(0, 12))):
            x, y = (int(v) for v in rng.integers(0, 5, 2) * 5)
            w, h = (int(v) for v in rng.choice([5, 10, 15, 20], 2))
            dets.append({"image_id": img, "category_id": int(rng.integers(1, 3)), "bbox": [x, y, w, h],
                         "score": float(rng.choice([0.5, 0.9, 1.0]))})  # fmt: skip
    gt = {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]}
    return gt, dets


@pytest.mark.parametrize("seed", range(6))
def test_integer_grid_exact_threshold_ties(seed):
    gt, dt = _grid_set(seed)
    if not dt:
        pytest.skip("empty draw")
    r, stats = assert_parity(gt, dt, "bbox", areaRng=[[0, 1e10], [0, 150], [100, 300], [300, 1e10]])
    assert r["stats"] == stats.tolist()
