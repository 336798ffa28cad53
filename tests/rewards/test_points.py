"""point.in_box (SPEC 2.7): R = 2 * one-to-one hits / (n_points + n_boxes); parse_points rows."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from rewardkit.parsing.points import parse_points
from rewardkit.registry import get_reward, score

P = pytest.param
ONE = [[0, 0, 100, 100]]
TWO = [[0, 0, 100, 100], [200, 200, 300, 300]]


def c(answer: str) -> str:
    return f"<think>the cup is on the left</think><answer>{answer}</answer>"


def pib(completion, gt, **kw):
    return score(completion, gt, reward="point.in_box", **kw)


HAND = [
    P(c("[50, 50]"), ONE, {}, 1.0, id="inside"),
    P(c("[100, 100]"), ONE, {}, 1.0, id="corner-border-inclusive"),
    P(c("[101, 50]"), ONE, {}, 0.0, id="outside"),
    # two points in one box: one hit, 2 * 1 / (2 + 1)
    P(c("[[50, 50], [60, 60]]"), ONE, {}, 2 / 3, id="extra-point-costs"),
    # one point, two boxes: 2 * 1 / (1 + 2)
    P(c("[50, 50]"), TWO, {}, 2 / 3, id="missed-object-costs"),
    P(c("[[50, 50], [250, 250]]"), TWO, {}, 1.0, id="one-point-per-object"),
    P(c("[[250, 250], [50, 50]]"), TWO, {}, 1.0, id="one-point-per-object-permuted"),
    # both points in box 0, none in box 1: one-to-one gives 1 hit: 2 * 1 / 4
    P(c("[[50, 50], [60, 60]]"), TWO, {}, 0.5, id="two-points-same-box"),
    P(c('[{"point_2d": [50, 50], "label": "cup"}]'), ONE, {}, 1.0, id="qwen-point-json"),
    P(c("(50, 50)"), ONE, {}, 1.0, id="tuple"),
    # gt in pixels of 640 x 480: norm1000 (500, 500) -> (320, 240)
    P(c("[500, 500]"), [[300, 230, 330, 250]], {"gt_frame": "pixel", "image_size": (640, 480)}, 1.0, id="frames"),
    P(c("[]"), [], {}, 1.0, id="empty-on-empty"),
    P(c("No Objects"), [], {"empty_score": 0.0}, 0.0, id="empty-on-empty-score-param"),
    P(c("[]"), ONE, {}, 0.0, id="empty-answer-with-objects"),
    P(c("[50, 50]"), [], {}, 0.0, id="point-on-empty-image"),
]


@pytest.mark.parametrize(("completion", "gt", "params", "expected"), HAND)
def test_point_in_box(completion, gt, params, expected):
    r = pib(completion, gt, **params)
    assert r.score == pytest.approx(expected)
    assert dict(r.components) == {"hit": pytest.approx(expected)}
    assert r.reason is None


@pytest.mark.parametrize(("completion", "reason"), [
    (c("on the left"), "unparseable"),
    (c(""), "empty_answer"),
    ("<think>x</think>", "no_answer_tag"),
    (c("[NaN, 3]"), "bad_coordinates"),
])
def test_point_unreadable(completion, reason):
    r = pib(completion, ONE)
    assert r.score == 0.0 and r.reason == reason


def test_point_bad_ground_truth_and_parameter():
    r = pib(c("[50, 50]"), "garbage")
    assert r.score is None and r.reason == "bad_ground_truth"
    with pytest.raises(ValueError):
        pib(c("[50, 50]"), ONE, pred_frame="pixels")
    with pytest.raises(ValueError, match="image_size"):
        pib(c("[50, 50]"), ONE, gt_frame="pixel")


def test_point_pickle_batch():
    r = pickle.loads(pickle.dumps(get_reward("point.in_box", empty_score=0.5)))
    assert r.__name__ == "point.in_box" and r.params == {"empty_score": 0.5}
    comps = [c("[50, 50]"), c("[]"), c("x"), c("[[50, 50], [250, 250]]")]
    assert [x.to_dict() for x in r.score_batch(comps, TWO)] == [r(x, TWO).to_dict() for x in comps]


POINTS = [
    P("[50, 50]", True, [[50, 50]], id="one"),
    P("[[1, 2], [3, 4]]", True, [[1, 2], [3, 4]], id="list"),
    P("(1.5, 2.5)", True, [[1.5, 2.5]], id="tuple"),
    P('[{"point_2d": [1, 2]}, {"point_2d": [3, 4], "label": "b"}]', True, [[1, 2], [3, 4]], id="qwen-json"),
    P('```json\n[{"point_2d": [1, 2]}]\n```', True, [[1, 2]], id="fenced"),
    P("The cup is at (10, 20) and the mug at (30, 40).", True, [[10, 20], [30, 40]], id="prose"),
    P("[[NaN, 1], [3, 4]]", True, [[3, 4]], id="nan-dropped"),
    P("[]", True, [], id="negative"),
    P("nowhere", False, [], id="unparseable"),
    P("(" + "9" * 50000 + ", 1, 2", False, [], id="50k-digit-run-linear"),
    P("[" + "9" * 50000 + ", 1], [3, 4]", True, [[3, 4]], id="50k-digit-point-dropped"),
]


@pytest.mark.parametrize(("payload", "ok", "xy"), POINTS)
def test_parse_points(payload, ok, xy):
    r = parse_points(payload)
    assert r.ok is ok
    assert r.value.xy.shape == (len(xy), 2)
    if xy:
        np.testing.assert_array_equal(r.value.xy, np.asarray(xy, dtype=np.float64))
