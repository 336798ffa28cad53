"""count.exact (SPEC 2.7): R = 1 if |count - gt| <= tolerance else 0."""

from __future__ import annotations

import pickle

import pytest

from rewardkit import counting_reward
from rewardkit.errors import BadGroundTruth
from rewardkit.registry import get_reward, score

P = pytest.param


def c(answer: str) -> str:
    return f"<think>I count them one by one.</think><answer>{answer}</answer>"


CASES = [
    P(c("3"), 3, {}, 1.0, None, id="digit"),
    P(c("There are 3 dogs."), 3, {}, 1.0, None, id="sentence"),
    P(c("three"), 3, {}, 1.0, None, id="word"),
    P(c("3."), "3", {}, 1.0, None, id="digit-period-string-gt"),
    P(c("\n3\n"), 3, {}, 1.0, None, id="multi-line"),
    P(c("4"), 3, {}, 0.0, None, id="off-by-one"),
    P(c("4"), 3, {"tolerance": 1}, 1.0, None, id="tolerance-1-up"),
    P(c("2"), 3, {"tolerance": 1}, 1.0, None, id="tolerance-1-down"),
    P(c("5"), 3, {"tolerance": 1}, 0.0, None, id="tolerance-1-off-by-two"),
    P(c("0"), 0, {}, 1.0, None, id="zero"),
    P(c("1,000"), 1000, {}, 1.0, None, id="thousands"),
    P(c("2 or 3"), 3, {}, 0.0, "ambiguous", id="hedge"),
    P(c("2 or 3"), 3, {"tolerance": 5}, 0.0, "ambiguous", id="hedge-even-with-tolerance"),
    P(c("-3"), 3, {}, 0.0, "not_a_count", id="negative"),
    P(c("2.5"), 3, {}, 0.0, "not_a_count", id="float"),
    P(c("many"), 3, {}, 0.0, "unparseable", id="no-number"),
    P(c(""), 3, {}, 0.0, "empty_answer", id="empty"),
    # answer="auto" (default) reads a bare completion (issue 9); "tags" needs an answer block
    P("There are 3 dogs.", 3, {}, 1.0, None, id="no-tags-bare-answer-auto"),
    P("<think>1, 2, 3, 4</think>There are 3 dogs.", 3, {}, 1.0, None, id="think-numbers-ignored-auto"),
    P("There are 3 dogs.", 3, {"answer": "tags"}, 0.0, "no_answer_tag", id="no-tags-tags-mode"),
    P("<answer>3</answer>", 3, {}, 1.0, None, id="answer-only-no-format-part"),
    P(c("3"), "<answer>3</answer>", {}, 1.0, None, id="solution-string-gt"),
    P(c("3"), {"count": 3}, {}, 1.0, None, id="dict-gt"),
    P(c("3"), 3.0, {}, 1.0, None, id="float-integral-gt"),
]


@pytest.mark.parametrize(("completion", "gt", "params", "expected", "reason"), CASES)
def test_counting(completion, gt, params, expected, reason):
    r = counting_reward(completion, gt, **params)
    assert r.score == expected
    assert dict(r.components) == {"accuracy": expected}
    assert r.reason == reason


NEGATIVE_INT_GT = pytest.param(
    -2, id="negative-int",
)


@pytest.mark.parametrize("gt", ["many", "-2", NEGATIVE_INT_GT, "2 or 3", None, True, 2.5, {"n": 3}])
def test_bad_ground_truth(gt):
    r = counting_reward(c("3"), gt)
    assert r.score is None and r.reason == "bad_ground_truth"
    with pytest.raises(BadGroundTruth):
        counting_reward(c("3"), gt, strict=True)


@pytest.mark.parametrize("tolerance", [-1, 1.5])
def test_bad_tolerance(tolerance):
    with pytest.raises(ValueError, match="tolerance"):
        counting_reward(c("3"), 3, tolerance=tolerance)


def test_registry_pickle_batch():
    r = pickle.loads(pickle.dumps(get_reward("count.exact", tolerance=1)))
    assert r.__name__ == "count.exact" and r.params == {"tolerance": 1}
    comps = [c("3"), c("4"), c("6"), c("x"), c("2 or 3")]
    assert [x.score for x in r.score_batch(comps, 3)] == [1.0, 1.0, 0.0, 0.0, 0.0]
    assert [x.to_dict() for x in r.score_batch(comps, 3)] == [score(x, 3, reward="count.exact", tolerance=1).to_dict() for x in comps]
