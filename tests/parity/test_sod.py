"""SOD metrics against PySODMetrics 1.6.2 (fixture + seeded random maps incl. degenerate ones)."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from rewardkit.metrics.sod import SODMetrics, load_sod_folder, s_measure, sod_evaluate
from tests._helpers import DATA

FIXTURES = DATA

M = pytest.importorskip("py_sod_metrics")
TOL = 1e-12


def _fixture():
    return load_sod_folder(FIXTURES / "sod" / "masks", FIXTURES / "sod" / "preds")


def test_fixture_matches_expected_json():
    gts, preds = _fixture()
    ours = sod_evaluate(gts, preds)
    expected = json.loads((FIXTURES / "expected.json").read_text())["sod"]["values"]
    for k, v in expected.items():
        assert ours[k] == pytest.approx(v, abs=TOL), k
    versions = json.loads((FIXTURES / "sod" / "version_performance.json").read_text())
    for k, v in versions["v1_4_3"].items():
        if k in ours:
            assert ours[k] == pytest.approx(v, abs=TOL), k
    # PySODMetrics' own check (examples/version_performance.json): MAE bit-identical
    assert ours["MAE"] == versions["v1_4_3"]["MAE"] == expected["MAE"]
    # the Seg-R1 compat mode is the same on non-degenerate masks
    old = sod_evaluate(gts, preds, compat="seg_r1")
    for k in expected:
        assert old[k] == pytest.approx(ours[k], abs=1e-12), k


def _pairs(seed: int, n: int = 60):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        h, w = (int(v) for v in rng.integers(2, 40, size=2))
        g = np.zeros((h, w), np.uint8)
        k = i % 10
        if k == 1:
            g[:] = 255
        elif k == 2:  # single pixel
            g[rng.integers(h), rng.integers(w)] = 255
        elif k == 3:  # single background pixel
            g[:] = 255
            g[rng.integers(h), rng.integers(w)] = 0
        elif k == 4:  # single pixel in the last row/column: 1.6.2 gives NaN
            g[h - 1, w - 1] = 255
        elif k == 5:
            g = ((rng.random((h, w)) < 0.3) * 255).astype(np.uint8)
        elif k >= 6:
            y0, x0 = rng.integers(0, h), rng.integers(0, w)
            g[y0 : y0 + rng.integers(1, h + 1), x0 : x0 + rng.integers(1, w + 1)] = 255
        pk = i % 7
        if pk == 0:
            p = (rng.random((h, w)) * 255).astype(np.uint8)
        elif pk == 1:
            p = np.zeros((h, w), np.uint8)
        elif pk == 2:
            p = np.full((h, w), 255, np.uint8)
        elif pk == 3:
            p = g.copy()
        elif pk == 4:
            p = np.full((h, w), 77, np.uint8)
        elif pk == 5:
            p = ((rng.random((h, w)) < 0.5) * 255).astype(np.uint8)
        else:
            p = np.clip(g * 0.7 + rng.normal(0, 40, (h, w)), 0, 255).astype(np.uint8)
        out.append((p, g))
    return out


def _same(a, b, tol=TOL):
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol


@pytest.mark.parametrize("seed", [0, 1])
def test_random_and_degenerate_maps_match_pysodmetrics(seed):
    pairs = _pairs(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm, em, wfm, fm, mae = M.Smeasure(), M.Emeasure(), M.WeightedFmeasure(), M.Fmeasure(), M.MAE()
        ours = SODMetrics()
        for p, g in pairs:
            for m in (sm, em, wfm, fm, mae):
                m.step(p, g)
            v = ours.update(p, g)
            assert _same(v["Smeasure"], sm.sms[-1]), (g.shape, v["Smeasure"], sm.sms[-1])
            assert _same(v["wFmeasure"], wfm.weighted_fms[-1])
            assert _same(v["MAE"], mae.maes[-1])
            assert _same(v["adpEm"], em.adaptive_ems[-1])
            assert _same(v["adpFm"], fm.adaptive_fms[-1])
        e, f = em.get_results()["em"], fm.get_results()["fm"]
        ref = {
            "Smeasure": sm.get_results()["sm"],
            "wFmeasure": wfm.get_results()["wfm"],
            "MAE": mae.get_results()["mae"],
            "adpEm": e["adp"],
            "meanEm": e["curve"].mean(),
            "maxEm": e["curve"].max(),
            "adpFm": f["adp"],
            "meanFm": f["curve"].mean(),
            "maxFm": f["curve"].max(),
        }
    got = ours.compute()
    for k, v in ref.items():
        assert _same(got[k], v), (k, got[k], v)


def test_smeasure_version_difference_on_degenerate_masks():
    rng = np.random.default_rng(0)
    pred = (rng.random((6, 8)) * 255).astype(np.uint8)
    center = np.zeros((6, 8), np.uint8)
    center[2, 3] = 255
    corner = np.zeros((6, 8), np.uint8)
    corner[5, 7] = 255
    # PySODMetrics < 1.6.2 (Seg-R1): NaN from std(ddof=1) of one pixel, clipped by Python max -> 0
    assert s_measure(pred, center, compat="seg_r1") == 0.0
    assert s_measure(pred, corner, compat="seg_r1") == 0.0
    # 1.6.2: a finite value for an inner pixel, NaN when a quadrant is empty
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = M.Smeasure()
        ref.step(pred, center)
        ref.step(pred, corner)
    assert s_measure(pred, center) == pytest.approx(ref.sms[0], abs=TOL) and ref.sms[0] > 0
    assert math.isnan(s_measure(pred, corner)) and math.isnan(ref.sms[1])


def test_zero_one_uint8_ground_truth_refused():
    g = np.zeros((4, 4), np.uint8)
    g[1:3, 1:3] = 1
    with pytest.raises(ValueError, match="Seg-R1"):
        sod_evaluate([g], [g * 255])
    # as bool it is fine and perfect
    assert sod_evaluate([g.astype(bool)], [g * 255])["Smeasure"] == pytest.approx(1.0)


def test_length_mismatch_and_shape_mismatch():
    g = np.zeros((4, 4), np.uint8)
    with pytest.raises(ValueError):
        sod_evaluate([g], [])
    with pytest.raises(ValueError, match="Shape"):
        sod_evaluate([g], [np.zeros((4, 5), np.uint8)])


def test_mae_bit_identical_to_pysodmetrics():
    """MAE is ``np.mean(|pred - gt|)`` exactly as PySODMetrics 1.6.2 computes it (a
    histogram dot product differed by one ulp on the fixture)."""
    from rewardkit.parsing.masks import load_mask_image

    gts, preds = _fixture()
    ref = M.MAE()
    for g, p in zip(gts, preds):
        ref.step(pred=load_mask_image(p), gt=load_mask_image(g))
    assert sod_evaluate(gts, preds)["MAE"] == float(ref.get_results()["mae"])
    for seed in range(3):
        pairs = _pairs(seed, 30)
        ref = M.MAE()
        for p, g in pairs:
            ref.step(pred=p, gt=g)
        ours = sod_evaluate([g for _, g in pairs], [p for p, _ in pairs])
        assert ours["MAE"] == float(ref.get_results()["mae"]), seed
