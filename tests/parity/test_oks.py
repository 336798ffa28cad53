"""OKS against pycocotools COCOeval.computeOks (fixture in tests/data + seeded synthetic sets)."""

from __future__ import annotations

import contextlib
import copy
import io
import json

import numpy as np
import pytest

from rewardkit.geometry.keypoints import COCO_SIGMAS, compute_oks, oks
from tests._helpers import DATA

FIXTURES = DATA
pytest.importorskip("pycocotools")
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402


def _coco_eval(gt_dict, dt_list):
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = copy.deepcopy(gt_dict)
        coco.createIndex()
        dt = coco.loadRes(copy.deepcopy(dt_list))
        ev = COCOeval(coco, dt, "keypoints")
        ev.params.maxDets = [1000]
        ev.params.useCats = 1
    return coco, dt, ev


def _compare(gt_dict, dt_list):
    coco, cdt, ev = _coco_eval(gt_dict, dt_list)
    ev._prepare()
    n = 0
    for img in ev.params.imgIds:
        for cat in ev.params.catIds:
            ref = ev.computeOks(img, cat)
            gts = ev._gts[img, cat]
            dts = ev._dts[img, cat]
            if len(ref) == 0:
                continue
            inds = np.argsort([-d["score"] for d in dts], kind="mergesort")
            dts = [dts[i] for i in inds]
            ours = compute_oks(
                [d["keypoints"] for d in dts],
                [g["keypoints"] for g in gts],
                [g["area"] for g in gts],
                [g["bbox"] for g in gts],
            )
            assert np.array_equal(ours, np.asarray(ref)), (img, np.abs(ours - ref).max())
            n += 1
    return n


def test_fixture_matches_compute_oks():
    gt = json.loads((FIXTURES / "keypoints" / "gt.json").read_text())
    dt = json.loads((FIXTURES / "keypoints" / "dt.json").read_text())
    assert _compare(gt, dt) >= 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_seeded_matches_compute_oks(seed):
    rng = np.random.default_rng(seed)
    images, anns, dets = [], [], []
    aid = 1
    for img_id in range(1, 6):
        images.append({"id": img_id, "width": 640, "height": 480})
        for _ in range(int(rng.integers(1, 4))):
            x, y = rng.uniform(0, 500), rng.uniform(0, 350)
            w, h = rng.uniform(10, 140), rng.uniform(10, 130)
            kx = rng.uniform(x, x + w, 17)
            ky = rng.uniform(y, y + h, 17)
            v = rng.integers(0, 3, 17)
            if rng.random() < 0.2:
                v[:] = 0  # no labelled keypoint: the bbox rule
            kp = np.stack([np.round(kx), np.round(ky), v], 1)
            kp[v == 0, :2] = 0
            anns.append({"id": aid, "image_id": img_id, "category_id": 1, "bbox": [x, y, w, h], "area": float(w * h * rng.uniform(0.3, 1.0)), "iscrowd": 0, "num_keypoints": int((v > 0).sum()), "keypoints": kp.ravel().tolist()})
            aid += 1
            for _ in range(int(rng.integers(0, 3))):
                noise = rng.normal(0, rng.uniform(1, 30), (17, 2))
                dk = np.stack([kx + noise[:, 0], ky + noise[:, 1], rng.random(17)], 1)
                dets.append({"image_id": img_id, "category_id": 1, "keypoints": dk.ravel().tolist(), "score": float(rng.choice([0.5, 0.9, rng.random()]))})
    gt = {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "person", "keypoints": [], "skeleton": []}]}
    if not dets:
        pytest.skip("no detections drawn")
    assert _compare(gt, dets) >= 1


def test_single_pair_helper_and_sigmas():
    gt = np.zeros((17, 3))
    gt[:, 0] = np.arange(17) * 10
    gt[:, 2] = 2
    assert oks(gt[:, :2], gt, area=100.0) == 1.0
    moved = gt[:, :2] + [3, 4]  # distance 5 everywhere
    expected = np.mean(np.exp(-(25 / (2 * COCO_SIGMAS) ** 2 / (100 + np.spacing(1)) / 2)))
    assert oks(moved, gt, area=100.0) == pytest.approx(expected, rel=1e-15)
    with pytest.raises(ValueError, match="sigmas"):
        oks(gt[:5, :2], gt[:5], area=1.0)
