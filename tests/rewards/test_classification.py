"""visual_rft.classification (Visual-RFT Eq. 9): R_cls = R_acc + R_format, hand cases."""

from __future__ import annotations

import pickle

import pytest

from rewardkit import classification_reward
from rewardkit.errors import BadGroundTruth
from rewardkit.registry import get_reward, score, score_batch

P = pytest.param


def c(answer: str, think: str = "The bird has a red crest.") -> str:
    return f"<think>{think}</think><answer>{answer}</answer>"


SYN = {"african elephant": ["loxodonta africana", "african bush elephant"]}

CASES = [
    P(c("Cardinal"), "cardinal", {}, 1.0, 1.0, None, id="case-insensitive"),
    P(c("The Black-footed_Albatross."), "Black_footed_Albatross", {}, 1.0, 1.0, None, id="normalized-exact"),
    P(c("\n  black footed albatross \n"), "Black-footed Albatross", {}, 1.0, 1.0, None, id="multi-line-answer"),
    P(c("robin"), "cardinal", {}, 0.0, 1.0, None, id="wrong-class"),
    P(c("Loxodonta africana"), "African elephant", {"synonyms": SYN}, 1.0, 1.0, None, id="synonym"),
    P(c("Loxodonta africana"), "African elephant", {}, 0.0, 1.0, None, id="synonym-without-table"),
    P(c("cardinal or robin"), "cardinal", {}, 0.0, 1.0, "multiple_answers", id="multi-or"),
    P(c("cardinal/robin"), "cardinal", {}, 0.0, 1.0, "multiple_answers", id="multi-slash"),
    P(c("cardinal, robin"), "cardinal", {}, 0.0, 1.0, "multiple_answers", id="multi-comma"),
    P(c("rose or garden phlox"), "garden phlox", {}, 0.0, 1.0, "multiple_answers", id="multi-flowers"),
    P(c("a"), "apple", {}, 0.0, 1.0, None, id="a-for-apple"),
    P(c("BMW"), "2012 BMW 1 Series Convertible", {}, 0.0, 1.0, None, id="short-prefix"),
    P("<answer>cardinal</answer>", "cardinal", {}, 1.0, 0.0, "bad_format", id="no-think-format-lost"),
    P(c("robin") + "<answer>cardinal</answer>", "cardinal", {}, 1.0, 0.0, "bad_format", id="second-answer-block-wins"),
    # answer="auto" (default): a bare answer keeps R_acc, loses R_format (issue 9)
    P("cardinal", "cardinal", {}, 1.0, 0.0, "no_answer_tag", id="no-tags-bare-answer-auto"),
    P("<think>red crest</think>\nCardinal", "cardinal", {}, 1.0, 0.0, "no_answer_tag", id="think-then-bare-answer-auto"),
    P("```\ncardinal\n```", "cardinal", {}, 1.0, 0.0, "no_answer_tag", id="fenced-bare-answer-auto"),
    P("cardinal", "cardinal", {"answer": "tags"}, 0.0, 0.0, "no_answer_tag", id="no-tags-tags-mode"),
    P("<think>cardinal</think>", "cardinal", {}, 0.0, 0.0, "no_answer_tag", id="think-only-is-no-answer"),
    P(c("robin") + " cardinal", "cardinal", {"answer": "whole"}, 0.0, 0.0, "bad_format", id="whole-mode-reads-everything"),
    P(c(""), "cardinal", {}, 0.0, 0.0, "empty_answer", id="empty-answer-pays-nothing"),
    P(c("cardinal"), "<answer>cardinal</answer>", {}, 1.0, 1.0, None, id="solution-string-gt"),
    P(c("cardinal"), {"label": "Cardinal"}, {}, 1.0, 1.0, None, id="dict-gt"),
    P(c("cardinal"), ["cardinal"], {}, 1.0, 1.0, None, id="one-element-list-gt"),
]


@pytest.mark.parametrize(("completion", "gt", "params", "acc", "fmt", "reason"), CASES)
def test_classification(completion, gt, params, acc, fmt, reason):
    r = classification_reward(completion, gt, **params)
    assert dict(r.components) == {"accuracy": acc, "format": fmt}
    assert r.score == acc + fmt
    assert r.reason == reason


COMPAT = [
    # compat="substring" reproduces the public rule (gt in ans or ans in gt): hackable
    P(c(""), "cardinal", 2.0, 0.0, id="empty-answer-pays-under-compat"),
    P(c("a"), "apple", 2.0, 1.0, id="a-for-apple-pays-under-compat"),
    P(c("rose or garden phlox"), "garden phlox", 2.0, 1.0, id="hedge-pays-under-compat"),
    P(c("BMW"), "2012 BMW 1 Series Convertible", 2.0, 1.0, id="prefix-pays-under-compat"),
    P(c("robin"), "cardinal", 1.0, 1.0, id="wrong-still-wrong"),
    P("cardinal", "cardinal", 1.0, 1.0, id="no-tags-reads-whole-completion"),
]


@pytest.mark.parametrize(("completion", "gt", "compat_score", "default_score"), COMPAT)
def test_compat_substring(completion, gt, compat_score, default_score):
    assert classification_reward(completion, gt, compat="substring").score == compat_score
    assert classification_reward(completion, gt).score == default_score


def test_collapsed_run_is_not_rewarded_by_default():
    # a run collapsed to "<answer></answer>" (reported by users of the public code)
    completions = [c("")] * 4
    assert [r.score for r in score_batch(completions, "cardinal", reward="visual_rft.classification")] == [0.0] * 4


@pytest.mark.parametrize("gt", ["", "   ", None, True, {"other": 1}, "<answer></answer>", 3.5j])
def test_bad_ground_truth(gt):
    r = classification_reward(c("cardinal"), gt)
    assert r.score is None and r.reason == "bad_ground_truth"
    with pytest.raises(BadGroundTruth):
        classification_reward(c("cardinal"), gt, strict=True)


def test_bad_parameter():
    with pytest.raises(ValueError, match="compat"):
        classification_reward(c("cardinal"), "cardinal", compat="prefix")


def test_pickle_and_batch():
    r = get_reward("visual_rft.classification", synonyms=SYN)
    r2 = pickle.loads(pickle.dumps(r))
    assert r2.__name__ == "visual_rft.classification" and r2.params == {"synonyms": SYN}
    completions = [c("Loxodonta africana"), c("asian elephant"), c(""), "x", c("a or b")]
    batch = r2.score_batch(completions, "African elephant")
    assert [x.to_dict() for x in batch] == [score(x, "African elephant", reward="visual_rft.classification", synonyms=SYN).to_dict() for x in completions]
    assert batch[0].score == 2.0
