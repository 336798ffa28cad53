"""Pose rewards: hand-computed cases (OKS, PCK, recall-weighted, plausibility, MPJPE)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rewardkit.geometry.body_profiles import ADULT_COCO17, PROFILES, profile_from_samples
from rewardkit.geometry.keypoints import COCO_SIGMAS, mpjpe, pck, procrustes_align
from rewardkit.rewards.pose import (
    mpjpe_reward,
    oks_reward,
    pck_reward,
    plausibility_reward,
    recall_weighted_reward,
)

A = "<think>t</think><answer>{}</answer>"
# a standing adult, 2-D, y down (units ~ cm)
STAND = np.array(
    [[0, -60], [-3, -63], [3, -63], [-8, -58], [8, -58], [-20, -40], [20, -40], [-22, -9], [22, -9],
     [-24, 16], [24, 16], [-15, 10], [15, 10], [-15, 52], [15, 52], [-15, 94], [15, 94]],
    dtype=float,
)


def _gt(coords, vis=None, area=1000.0, bbox=None):
    v = np.full(len(coords), 2) if vis is None else np.asarray(vis)
    kp = np.concatenate([np.asarray(coords, float), v[:, None]], 1).ravel().tolist()
    d = {"keypoints": kp, "area": area}
    if bbox is not None:
        d["bbox"] = bbox
    return d


def _fmt(coords, vis=None):
    if vis is None:
        return A.format([[float(x), float(y)] for x, y in coords])
    return A.format([[float(x), float(y), int(v)] for (x, y), v in zip(coords, vis)])


def test_oks_hand_case():
    gt = _gt(STAND, area=1000.0)
    assert oks_reward(_fmt(STAND), gt).score == 1.0
    shifted = STAND + [3, 4]  # every keypoint 5 px off
    expected = np.mean(np.exp(-(25 / (2 * COCO_SIGMAS) ** 2 / (1000 + np.spacing(1)) / 2)))
    assert oks_reward(_fmt(shifted), gt).score == pytest.approx(expected, rel=1e-14)
    # an unlabelled GT keypoint does not count; a missing predicted one counts as 0
    vis = np.full(17, 2)
    vis[0] = 0
    r = oks_reward(_fmt(shifted), _gt(STAND, vis))
    assert r.score == pytest.approx(np.mean(np.exp(-(25 / (2 * COCO_SIGMAS[1:]) ** 2 / (1000 + np.spacing(1)) / 2))), rel=1e-14)
    pv = np.full(17, 2)
    pv[5] = 0
    r2 = oks_reward(_fmt(STAND, pv), gt)
    assert r2.score == pytest.approx(16 / 17)


def test_oks_bad_outputs_and_frames():
    gt = _gt(STAND)
    assert oks_reward("nothing", gt).score == 0.0
    assert oks_reward(A.format("[[1, 2]]"), gt).reason == "wrong_keypoint_count"
    # norm1000 predictions with the image size
    norm = STAND / [200, 200] * 1000
    r = oks_reward(_fmt(norm), gt, pred_frame="norm1000", image_size=(200, 200))
    assert r.score == pytest.approx(1.0)
    assert oks_reward(_fmt(STAND), {"foo": 1}).score is None


def test_pck_hand_case():
    gt = _gt(STAND, bbox=[-24, -63, 48, 157])  # scale = 157
    moved = STAND.copy()
    moved[:4] += [40, 0]  # 4 keypoints 40 px off > 0.2 * 157 = 31.4
    moved[4] += [30, 0]  # within
    r = pck_reward(_fmt(moved), gt)
    assert r.score == pytest.approx(13 / 17)
    assert pck_reward(_fmt(moved), gt, threshold=0.3).score == 1.0
    assert pck(moved, STAND, scale=157, threshold=0.2) == pytest.approx(13 / 17)
    torso = np.linalg.norm(STAND[5] - STAND[12])
    assert pck_reward(_fmt(moved), gt, normalize="torso").details["scale"] == pytest.approx(torso)


def test_recall_weighted_missed_costs_more_than_misplaced():
    vis = np.full(17, 2)
    vis[16] = 0  # right ankle unlabelled
    gt = _gt(STAND, vis, area=1000.0)
    pv = np.full(17, 2)
    pv[16] = 0
    perfect = recall_weighted_reward(_fmt(STAND, pv), gt)
    assert perfect.score == 1.0
    misplaced = STAND.copy()
    misplaced[9] += [500, 500]  # far away: ks ~ 0, cost ~ 1
    r_mis = recall_weighted_reward(_fmt(misplaced, pv), gt)
    missed_v = pv.copy()
    missed_v[9] = 0
    r_miss = recall_weighted_reward(_fmt(STAND, missed_v), gt)
    denom = 2.0 * 16 + 0.5 * 1
    assert r_mis.score == pytest.approx(1 - 1 / denom, abs=1e-9)
    assert r_miss.score == pytest.approx(1 - 2 / denom)
    assert r_miss.score < r_mis.score
    # a false keypoint (predicted where the GT is unlabelled) costs false_weight
    r_false = recall_weighted_reward(_fmt(STAND), gt)
    assert r_false.score == pytest.approx(1 - 0.5 / denom)
    assert r_false.score > r_mis.score > r_miss.score


def test_plausibility_adult_vs_broken():
    r = plausibility_reward(_fmt(STAND))
    assert r.score == 1.0, r.details["checks"]
    broken = STAND.copy()
    broken[9] = [-22, 200]  # left forearm 209 long vs torso 50
    rb = plausibility_reward(_fmt(broken))
    assert rb.components["bones"] < 1.0 and rb.components["symmetry"] < 1.0
    assert rb.score < r.score
    # collapsed limb: zero-length forearm gives angle score 0
    col = STAND.copy()
    col[9] = col[7]
    assert plausibility_reward(_fmt(col)).components["angles"] < 1.0
    assert plausibility_reward(A.format("[[0, 0]]")).score == 0.0
    assert plausibility_reward("no answer").score == 0.0


def test_plausibility_hand_check_score():
    # 3-D: a left forearm exactly 20 % above the upper bound scores 1 - 0.2 / 0.5 = 0.6 on that check
    pose3 = np.concatenate([STAND, np.zeros((17, 1))], 1)
    torso = 50.0
    hi = ADULT_COCO17.ratio_ranges["left_forearm"][1]
    pose3[9] = pose3[7] + [0, hi * 1.2 * torso, 0]
    r = plausibility_reward(A.format(pose3.tolist()), dims=3)
    ratio, s = r.details["checks"]["ratio:left_forearm"]
    assert ratio == pytest.approx(hi * 1.2) and s == pytest.approx(0.6)


def _infant_like():
    # short limbs, big head (a pose the adult profile rejects)
    infant = STAND.copy()
    infant[[7, 8]] = infant[[5, 6]] + [0, 25]
    infant[[9, 10]] = infant[[7, 8]] + [0, 21]
    infant[[13, 14]] = infant[[11, 12]] + [0, 30]
    infant[[15, 16]] = infant[[13, 14]] + [0, 26]
    infant[3] = [-14, -58]
    infant[4] = [14, -58]
    return infant


def test_no_unsourced_infant_profile_and_custom_profiles_work():
    # the placeholder infant profile was removed (no checkable source); a profile built
    # from annotated poses takes its place
    assert set(PROFILES) == {"adult", "adult_coco17"}
    infant = _infant_like()
    c = _fmt(infant)
    with pytest.raises(KeyError, match="available"):
        plausibility_reward(c, profile="infant_coco17")
    with pytest.raises(KeyError):
        plausibility_reward(c, profile="alien")
    assert plausibility_reward(c).score < 1.0  # head breadth 28 / torso 50 = 0.56 > 0.355
    rng = np.random.default_rng(3)
    prof = profile_from_samples([infant * rng.uniform(0.95, 1.05, (17, 2)) for _ in range(40)], name="my_infants", quantiles=(0.0, 1.0))
    r = plausibility_reward(c, profile=prof)
    assert r.score == 1.0 and r.details["profile"] == "my_infants"
    assert prof.angle_ranges == ADULT_COCO17.angle_ranges


def _ansur_ratios():
    import csv
    import gzip
    from pathlib import Path

    with gzip.open(Path(__file__).parents[1] / "data" / "ansur2" / "segments.csv.gz", "rt") as fh:
        rows = list(csv.DictReader(fh))
    col = {k: np.array([float(r[k]) for r in rows]) for k in rows[0] if k not in ("subjectid", "sex")}
    torso = col["acromialheight"] - col["trochanterionheight"]
    lengths = {
        "upper_arm": col["acromionradialelength"],
        "forearm": col["radialestylionlength"],
        "thigh": col["trochanterionheight"] - col["lateralfemoralepicondyleheight"],
        "shank": col["lateralfemoralepicondyleheight"] - col["lateralmalleolusheight"],
        "shoulder_width": col["biacromialbreadth"],
        "hip_width": col["hipbreadth"],
        "head_breadth": col["headbreadth"],
    }
    return len(rows), {k: v / torso for k, v in lengths.items()}


def test_adult_ratio_ranges_are_the_ansur2_percentiles():
    """Every adult bone range is recomputed from the ANSUR II columns in tests/data."""
    n, ratios = _ansur_ratios()
    assert n == 6068  # 4,082 men + 1,986 women
    for bone, r in ratios.items():
        lo, hi = np.quantile(r, [0.005, 0.995])
        want = (math.floor(lo * 1000) / 1000, math.ceil(hi * 1000) / 1000)
        names = [f"left_{bone}", f"right_{bone}"] if bone in ("upper_arm", "forearm", "thigh", "shank") else [bone]
        for name in names:
            assert ADULT_COCO17.ratio_ranges[name] == pytest.approx(want, abs=1e-12), name
    # the Drillis & Contini (Winter 2009, Fig. 4.1) ratios lie inside the ranges
    winter_torso = 0.818 - 0.530
    winter = {"upper_arm": 0.186, "forearm": 0.146, "thigh": 0.530 - 0.285, "shank": 0.285 - 0.039,
              "shoulder_width": 0.259, "hip_width": 0.191}
    for bone, frac in winter.items():
        lo, hi = ADULT_COCO17.ratio_ranges[bone if bone.endswith(("width", "breadth")) else f"left_{bone}"]
        assert lo <= frac / winter_torso <= hi, bone
    assert ADULT_COCO17.angle_ranges["left_elbow"] == (30.0, 180.0)  # 180 - 150 (AAOS elbow flexion)
    assert ADULT_COCO17.angle_ranges["left_knee"] == (40.0, 180.0)  # 180 - 140 (knee flexion)


def test_profile_from_samples():
    rng = np.random.default_rng(0)
    poses = [STAND * rng.uniform(0.9, 1.1) for _ in range(20)]
    prof = profile_from_samples(poses)
    lo, hi = prof.ratio_ranges["left_thigh"]
    assert lo <= 42 / 50 <= hi


def test_mpjpe_and_alignment():
    rng = np.random.default_rng(1)
    gt = rng.normal(0, 100, (17, 3))
    assert mpjpe(gt + 50, gt, align="root") == pytest.approx(0.0, abs=1e-12)
    assert mpjpe(gt + 50, gt, align="none") == pytest.approx(50 * math.sqrt(3))
    # a rotated, scaled, shifted copy is perfect after Procrustes
    th = 0.7
    rot = np.array([[math.cos(th), -math.sin(th), 0], [math.sin(th), math.cos(th), 0], [0, 0, 1]])
    pred = 1.3 * gt @ rot.T + 5
    assert mpjpe(pred, gt, align="procrustes") == pytest.approx(0.0, abs=1e-9)
    assert np.allclose(procrustes_align(pred, gt), gt)
    # reward: 30 mm error with max 150 -> 0.8
    pred2 = gt.copy()
    pred2 += np.array([30.0, 0, 0]) * (np.arange(17) % 2 == 0)[:, None]
    r = mpjpe_reward(A.format(pred2.tolist()), gt.tolist(), align="none")
    expected = np.mean(np.linalg.norm(pred2 - gt, axis=1))
    assert r.details["mpjpe"] == pytest.approx(expected)
    assert r.score == pytest.approx(1 - expected / 150)
    assert mpjpe_reward(A.format(pred.tolist()), gt.tolist(), align="procrustes").score == pytest.approx(1.0)
    missing = [None] + pred2.tolist()[1:]
    import json

    assert mpjpe_reward(A.format(json.dumps(missing)), gt.tolist()).reason == "missing_joints"
