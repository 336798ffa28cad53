"""format.think_answer (strict R1 format) and format.tag_count (open-r1), hand cases."""

from __future__ import annotations

import pickle

import pytest

from rewardkit import format_reward
from rewardkit.registry import get_reward, score

P = pytest.param

THINK_ANSWER = [
    P("<think>a</think><answer>b</answer>", 1.0, id="strict"),
    P("<think>\nline 1\nline 2\n</think>\n<answer>\n[1, 2, 3, 4]\n</answer>\n", 1.0, id="multi-line"),
    P("< think >a</ think >\n< ANSWER >b</ ANSWER >", 1.0, id="tolerant-tags"),
    P("<think>a</think>", 0.0, id="think-only-trl-would-pay"),
    P("<answer>b</answer>", 0.0, id="answer-only"),
    P("<think>a</think><answer>b</answer><answer>c</answer>", 0.0, id="two-answer-blocks"),
    P("<think>a</think><answer>b", 0.0, id="unclosed-answer"),
    P("Sure. <think>a</think><answer>b</answer>", 0.0, id="prose-before"),
    P("<think>a</think><answer>b</answer> Done.", 0.0, id="prose-after"),
    P("<answer>b</answer><think>a</think>", 0.0, id="wrong-order"),
    P("", 0.0, id="empty"),
]


@pytest.mark.parametrize(("completion", "expected"), THINK_ANSWER)
def test_think_answer(completion, expected):
    r = format_reward(completion)
    assert r.score == expected
    assert dict(r.components) == {"format": expected}
    assert (r.reason is None) is (expected == 1.0)


def test_think_answer_echoed_prompt():
    prompt = "Answer in <think></think><answer></answer>."
    completion = prompt + "\n<think>a</think><answer>b</answer>"
    assert format_reward(completion).score == 0.0
    assert format_reward(completion, prompt=prompt).score == 1.0
    assert score(completion, None, reward="format.think_answer", prompt=prompt).score == 1.0


TAG_COUNT = [
    P("<think>a</think><answer>b</answer>", 1.0, id="all-four-once"),
    # <answer> and </answer> twice: 0.25 * 2
    P("<think>a</think><answer>b</answer><answer>c</answer>", 0.5, id="two-answer-blocks"),
    P("<think>a</think>", 0.5, id="think-only"),
    P("<think>a</think><answer>b", 0.75, id="unclosed-answer"),
    P("<think>a</think></think><answer>b</answer>", 0.75, id="extra-close-think"),
    P("no tags", 0.0, id="no-tags"),
    P("<answer>b</answer><think>a</think>", 1.0, id="order-not-checked"),
]


@pytest.mark.parametrize(("completion", "expected"), TAG_COUNT)
def test_tag_count(completion, expected):
    r = score(completion, None, reward="format.tag_count")
    assert r.score == expected
    assert dict(r.components) == {"tag_count": expected}


def test_conversational_completion():
    msgs = [{"role": "assistant", "content": "<think>a</think><answer>b</answer>"}]
    assert format_reward(msgs).score == 1.0


def test_format_pickle_batch():
    r = pickle.loads(pickle.dumps(get_reward("format.tag_count")))
    assert r.__name__ == "format.tag_count" and r.params == {}
    comps = [x.values[0] for x in TAG_COUNT]
    assert [x.score for x in r.score_batch(comps, None)] == [x.values[1] for x in TAG_COUNT]
