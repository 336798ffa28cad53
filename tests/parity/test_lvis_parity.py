"""Parity of rewardkit's LVIS evaluation with lvis-api 0.5.3 (run here, same input).

lvis 0.5.3 uses ``np.float``, removed in numpy 1.24: the test restores the alias with
monkeypatch for the duration of the reference call only.
"""

from __future__ import annotations

import copy
import json
import logging

import numpy as np
import pytest

from rewardkit.metrics.lvis import LvisEvaluator, limit_dets_per_image, lvis_evaluate
from tests._helpers.coco_synth import synthetic_coco

lvis = pytest.importorskip("lvis")

from tests._helpers import DATA  # noqa: E402

FIX = DATA
TOL = 1e-12


@pytest.fixture
def lvis_ref(monkeypatch):
    monkeypatch.setattr(np, "float", float, raising=False)
    from lvis import LVIS, LVISEval, LVISResults

    logging.getLogger("lvis").setLevel(logging.ERROR)

    def run(gt: dict, dt: list, iou_type: str = "bbox", max_dets: int = 300):
        g = LVIS.__new__(LVIS)
        g.logger = logging.getLogger("lvis.lvis")
        g.dataset = copy.deepcopy(gt)
        g._create_index()
        r = LVISResults(g, copy.deepcopy(dt), max_dets=max_dets)
        E = LVISEval(g, r, iou_type)
        E.params.max_dets = max_dets
        E.run()
        return E

    return run


def _fixture(name):
    exp = json.loads((FIX / "expected.json").read_text())[name]
    gt = json.loads((FIX / exp["gt"]).read_text())
    dt = json.loads((FIX / exp["dt"]).read_text())
    return exp, gt, dt


def _compare(r, E):
    for k, v in E.results.items():
        assert abs(r[k] - float(v)) <= TOL, k
    assert np.max(np.abs(r["precision"] - E.eval["precision"])) <= 1e-15
    assert np.max(np.abs(r["recall"] - E.eval["recall"])) <= 1e-15


@pytest.mark.parametrize("name", ["lvis_seed0", "lvis_seed1_cap"])
def test_fixtures(name, lvis_ref):
    exp, gt, dt = _fixture(name)
    r = lvis_evaluate(gt, dt, "bbox")
    # bit-identical to the recorded values
    for k, v in exp["results"].items():
        assert r[k] == v, k
    _compare(r, lvis_ref(gt, dt, "bbox"))


def test_cap_fixture_has_images_over_300():
    _, _, dt = _fixture("lvis_seed1_cap")
    counts: dict = {}
    for d in dt:
        counts[d["image_id"]] = counts.get(d["image_id"], 0) + 1
    assert max(counts.values()) > 300
    capped = limit_dets_per_image(dt, 300)
    assert len(capped) < len(dt)


def _lvis_set(seed, iou_type, mode):
    gt, dt = synthetic_coco(
        seed,
        iou_type=iou_type,
        lvis=True,
        score_mode=mode,
        n_images=10,
        n_cats=6,
        gt_per_image=5,
        dt_per_image=25,
        empty_frac=0.2,
        zero_area_frac=0.05,
        image_size=(160, 120),
    )
    rng = np.random.default_rng(seed)
    for a in gt["annotations"]:
        if rng.random() < 0.05:
            a["ignore"] = 1
    return gt, dt


@pytest.mark.parametrize("seed", range(8))
def test_random_sets(seed, lvis_ref):
    iou_type = "segm" if seed % 4 == 3 else "bbox"
    mode = ("random", "ties", "constant", "ties")[seed % 4]
    gt, dt = _lvis_set(seed, iou_type, mode)
    max_dets = 12 if seed % 2 else 300  # a small cap exercises the cross-category cut
    r = lvis_evaluate(gt, dt, iou_type, max_dets=max_dets)
    _compare(r, lvis_ref(gt, dt, iou_type, max_dets=max_dets))


def test_streaming_and_keys():
    exp, gt, dt = _fixture("lvis_seed0")
    ev = LvisEvaluator(gt)
    ev.update(dt[:1000])
    ev.update(dt[1000:])
    r = ev.compute()
    assert [k for k in exp["results"]] == [k for k in r if k in exp["results"]]
    assert r["AP"] == exp["results"]["AP"]


def test_lvis_backend_wrapper_matches_native():
    exp, gt, dt = _fixture("lvis_seed0")
    before = hasattr(np, "float")
    ref = lvis_evaluate(gt, dt, "bbox", backend="lvis")
    for k, v in exp["results"].items():
        assert ref[k] == v, k
    assert hasattr(np, "float") == before  # the alias is only restored for the call
