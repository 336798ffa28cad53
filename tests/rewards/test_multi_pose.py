"""Multi-person pose rewards: hand-computed cases for pose.multi_oks (R = 2 S / (N + M)),
the persons parser and pose.keypoint_ap's edges (its parity with pycocotools lives in
tests/parity/test_keypoint_ap_parity.py)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from rewardkit.parsing.keypoints import MAX_PERSONS, parse_persons
from rewardkit.registry import Reward
from rewardkit.rewards.pose import keypoint_ap_reward, multi_oks_reward, read_multi_pose_target

A = "<think>t</think><answer>{}</answer>"
SIG = [0.5, 0.5]  # (2 sigma)^2 = 1: e = d^2 / (area + eps) / 2


def _ans(persons):
    return A.format(json.dumps([[list(map(float, p)) for p in person] for person in persons]))


def _ann(points, area=0.5, vis=(2, 2), **extra):
    return {"keypoints": [c for (x, y), v in zip(points, vis) for c in (x, y, v)], "area": area, **extra}


def _ks(d2, area=0.5):
    return math.exp(-(d2 / 1.0 / (area + np.spacing(1)) / 2))


P1 = [[0.0, 0.0], [0.0, 1.0]]
P2 = [[5.0, 0.0], [5.0, 1.0]]


def test_exact_persons_in_any_order_score_one():
    gt = [_ann(P1), _ann(P2)]
    assert multi_oks_reward(_ans([P1, P2]), gt, sigmas=SIG).score == 1.0
    assert multi_oks_reward(_ans([P2, P1]), gt, sigmas=SIG).score == 1.0


def test_missed_and_extra_persons_cost_half_a_pair_each():
    gt = [_ann(P1), _ann(P2)]
    one = multi_oks_reward(_ans([P1]), gt, sigmas=SIG)
    assert one.score == pytest.approx(2 * 1 / (1 + 2))
    assert one.components == pytest.approx({"matched_oks": 1.0, "precision": 1.0, "recall": 0.5})
    far = [[100.0, 100.0], [100.0, 101.0]]
    extra = multi_oks_reward(_ans([P1, P2, far]), gt, sigmas=SIG)
    assert extra.score == pytest.approx(2 * 2 / (3 + 2))
    assert extra.components["precision"] == pytest.approx(2 / 3) and extra.components["recall"] == pytest.approx(1.0)


def test_partial_oks_by_hand():
    # P1 shifted by (0.3, 0.4): d^2 = 0.25 on both keypoints
    gt = [_ann(P1), _ann(P2)]
    shifted = [[0.3, 0.4], [0.3, 1.4]]
    r = multi_oks_reward(_ans([shifted, P2]), gt, sigmas=SIG)
    s = _ks(0.25) + 1.0
    assert r.score == pytest.approx(2 * s / 4, rel=1e-12)
    assert r.components["matched_oks"] == pytest.approx(s / 2, rel=1e-12)


def test_hungarian_not_greedy():
    """Greedy by largest OKS pairs P1-G1 (0.817) then P2-G2 (0.105); the best total is
    P1-G2 (0.739) + P2-G1 (0.779) = 1.518."""
    g1, g2 = [[0.0, 0.0]], [[1.0, 0.0]]
    gt = [_ann(g1, vis=(2,)), _ann(g2, vis=(2,))]
    p1, p2 = [[0.45, 0.0]], [[-0.5, 0.0]]
    r = multi_oks_reward(_ans([p1, p2]), gt, sigmas=[0.5])
    best = _ks(0.55**2) + _ks(0.25)
    greedy = _ks(0.45**2) + _ks(1.5**2)
    assert best > greedy
    assert r.score == pytest.approx(2 * best / 4, rel=1e-12)
    assert sorted((p, g) for p, g, _ in r.details["matches"]) == [(0, 1), (1, 0)]


def test_empty_cases():
    gt = [_ann(P1)]
    assert multi_oks_reward(A.format("[]"), [], sigmas=SIG).score == 1.0
    assert multi_oks_reward(A.format("[]"), [], both_empty=0.5).score == 0.5
    assert multi_oks_reward(_ans([P1]), [], sigmas=SIG).score == 0.0
    assert multi_oks_reward(A.format("[]"), gt, sigmas=SIG).score == 0.0
    assert keypoint_ap_reward(A.format("[]"), []).score == 1.0
    assert keypoint_ap_reward(_ans([P1]), [], no_gt=0.0).score == 0.0
    assert keypoint_ap_reward(A.format("[]"), gt, sigmas=SIG).score == 0.0


def test_crowd_and_unlabelled_persons_are_not_persons_to_find():
    gt = [_ann(P1), _ann(P2, iscrowd=1), {"keypoints": [0, 0, 0, 0, 0, 0], "area": 4.0, "bbox": [9, 9, 2, 2]}]
    t = read_multi_pose_target(gt)
    assert t.m == 3 and t.persons.tolist() == [True, False, False]
    assert multi_oks_reward(_ans([P1]), gt, sigmas=SIG).score == 1.0
    # a person without labelled keypoints needs its bbox (COCO's rule); else bad ground truth
    bad = multi_oks_reward(_ans([P1]), [_ann(P1), {"keypoints": [0, 0, 0, 0, 0, 0], "area": 4.0}], sigmas=SIG)
    assert bad.score is None and bad.reason == "bad_ground_truth"


def test_missing_predicted_keypoints_count_as_far():
    gt = [_ann(P1)]
    r = multi_oks_reward(A.format(json.dumps([[[0.0, 0.0], None]])), gt, sigmas=SIG)
    assert r.score == pytest.approx(0.5)  # OKS = (1 + 0) / 2


def test_answer_forms_frames_and_scores():
    gt = [_ann(P1), _ann(P2)]
    forms = [
        json.dumps({"persons": [[c for x, y in p for c in (x, y, 2)] for p in (P1, P2)]}),
        json.dumps([{"keypoints": p, "score": 0.9} for p in (P1, P2)]),
        json.dumps([{"joint_0": p[0], "joint_1": p[1]} for p in (P1, P2)]),
    ]
    for f in forms:
        assert multi_oks_reward(A.format(f), gt, sigmas=SIG).score == 1.0, f
    norm = [[[x / 10 * 1000, y / 10 * 1000] for x, y in p] for p in (P1, P2)]
    assert multi_oks_reward(_ans(norm), gt, sigmas=SIG, pred_frame="norm1000", image_size=(10, 10)).score == pytest.approx(1.0)
    # scores rank persons for AP: a junk person ranked first lowers AP, ranked last does not
    junk = [[50.0, 50.0], [50.0, 51.0]]
    first = [{"keypoints": junk, "score": 0.9}, {"keypoints": P1, "score": 0.5}, {"keypoints": P2, "score": 0.5}]
    last = [{"keypoints": junk, "score": 0.1}, {"keypoints": P1, "score": 0.5}, {"keypoints": P2, "score": 0.5}]
    assert keypoint_ap_reward(A.format(json.dumps(first)), gt, sigmas=SIG).score < 1.0
    assert keypoint_ap_reward(A.format(json.dumps(last)), gt, sigmas=SIG).score == 1.0


def test_bad_outputs_score_the_minimum_with_a_reason():
    gt = [_ann(P1)]
    for reward in (multi_oks_reward, keypoint_ap_reward):
        assert reward("no tags", gt, answer="tags").reason == "no_answer_tag"
        assert reward("no tags", gt).reason == "unparseable"  # answer="auto" reads the bare text (issue 9)
        assert reward(A.format("lorem ipsum"), gt).reason == "unparseable"
        assert reward(A.format("[[[1, 2]]]"), gt).reason == "wrong_keypoint_count"
        many = A.format(json.dumps([P1] * (MAX_PERSONS + 1)))
        r = reward(many, gt)
        assert r.score == 0.0 and r.reason == "too_many_persons"
        assert reward(A.format("[" * 5000), gt).score == 0.0


def test_parse_persons_forms():
    assert parse_persons("[]").ok and len(parse_persons("[]").value) == 0
    one = parse_persons("[[1, 2], [3, 4]]", num_keypoints=2)
    assert one.ok and len(one.value) == 1  # one person given unwrapped
    two = parse_persons("[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]", num_keypoints=2)
    assert two.ok and len(two.value) == 2 and two.value.scores == (None, None)
    scored = parse_persons('[{"keypoints": [1, 2, 2, 3, 4, 2], "confidence": 0.3}]', num_keypoints=2)
    assert scored.value.scores == (0.3,)
    assert parse_persons('{"people": [[1, 2, 2, 3, 4, 2]]}', num_keypoints=2).ok
    assert parse_persons("[[[1, 2]]]", num_keypoints=2).reason == "wrong_keypoint_count"
    assert parse_persons("nonsense").reason == "unparseable"


def test_batch_matches_per_completion():
    gt = [_ann(P1), _ann(P2)]
    comps = [_ans([P1, P2]), _ans([P1]), A.format("[]"), "junk"]
    for name in ("pose.multi_oks", "pose.keypoint_ap"):
        rw = Reward(name, sigmas=SIG)
        assert [r.score for r in rw.score_batch(comps, gt)] == [rw(c, gt).score for c in comps]
