"""Golden table: think/answer tags of real-looking completions (SPEC section 1).

One labelled row per case. Columns: completion, prompt passed by the caller (or None),
expected answer (the LAST answer block, stripped; None if there is none), strict format,
lenient format, number of ``<think>`` and ``<answer>`` opening tags, reason code.
"""

from __future__ import annotations

import pytest

from rewardkit.parsing.tags import extract_answer, parse_completion

VRFT_ANSWER = "[{'Position': [254, 36, 608, 434], 'Confidence': 0.92}]"

P = pytest.param

ROWS = [
    P("<think>The bird has a red crest.</think><answer>cardinal</answer>", None,
      "cardinal", True, True, 1, 1, None, id="plain-r1"),
    P("<think>\nI look at the image.\nThere is one cat.\n</think>\n<answer>\n" + VRFT_ANSWER + "\n</answer>\n", None,
      VRFT_ANSWER, True, True, 1, 1, None, id="newlines-around-and-inside-tags"),
    P("<think>two objects</think><answer>[{'Position': [1, 2, 3, 4], 'Confidence': 0.9},\n"
      " {'Position': [5, 6, 7, 8], 'Confidence': 0.8}]</answer>", None,
      "[{'Position': [1, 2, 3, 4], 'Confidence': 0.9},\n {'Position': [5, 6, 7, 8], 'Confidence': 0.8}]",
      True, True, 1, 1, None, id="multi-line-answer-public-regex-misses"),
    P("<think>a</think><answer>dog</answer><answer>cat</answer>", None,
      "cat", False, True, 1, 2, None, id="two-answer-blocks-last-wins-strict-fails"),
    P("<think>a</think><answer>1</answer>\n<answer>2</answer>\n<answer>3</answer>", None,
      "3", False, True, 1, 3, None, id="three-answer-blocks"),
    P("<think>I think it is a sparrow but I am not sure</think>", None,
      None, False, False, 1, 0, "no_answer_tag", id="think-only"),
    P("<think>Counting the boxes</think><answer>[{'Position': [254, 36, 608, 434], 'Confidence': 0.92}, {'Posit",
      None, "[{'Position': [254, 36, 608, 434], 'Confidence': 0.92}, {'Posit", False, False, 1, 1,
      "unclosed_answer_tag", id="unclosed-answer-cut-at-length-limit"),
    P("<think>a</think><answer>", None, "", False, False, 1, 1, "unclosed_answer_tag", id="cut-right-after-answer-open"),
    P("<think>long reasoning that never ends", None, None, False, False, 1, 0, "no_answer_tag",
      id="cut-inside-think"),
    P("< think >a</ think >< answer >b</ answer >", None, "b", True, True, 1, 1, None, id="spaces-inside-brackets"),
    P("<THINK>a</THINK><ANSWER>b</ANSWER>", None, "b", True, True, 1, 1, None, id="upper-case-tags"),
    P("<Think>a</Think>\n\n<Answer> b </Answer>", None, "b", True, True, 1, 1, None, id="title-case-tags"),
    P("<think>a</think><answer>b</answer>", None, "b", True, True, 1, 1, None, id="no-whitespace"),
    P("   \n<think>a</think>   \n\t<answer>b</answer>  \n", None, "b", True, True, 1, 1, None,
      id="whitespace-outside-tags-allowed"),
    P("Sure! <think>a</think><answer>b</answer>", None, "b", False, True, 1, 1, None, id="prose-before-strict-fails"),
    P("<think>a</think><answer>b</answer> Hope this helps.", None, "b", False, True, 1, 1, None,
      id="prose-after-strict-fails"),
    P("<think>a</think> so the answer is: <answer>b</answer>", None, "b", False, True, 1, 1, None,
      id="prose-between-strict-fails"),
    P("<answer>b</answer><think>a</think>", None, "b", False, True, 1, 1, None, id="answer-before-think"),
    P("<answer>b</answer>", None, "b", False, True, 0, 1, None, id="answer-only-no-think"),
    P("<think>a</think><think>b</think><answer>c</answer>", None, "c", False, True, 2, 1, None, id="two-think-blocks"),
    P("<think>maybe <answer>dog</answer>?</think><answer>cat</answer>", None, "cat", False, True, 1, 2, None,
      id="answer-inside-think-last-wins"),
    P("<think>a</think><answer></answer>", None, "", True, True, 1, 1, None, id="empty-answer-block"),
    P("<think>a</think><answer>   \n  </answer>", None, "", True, True, 1, 1, None, id="whitespace-answer-block"),
    P("", None, None, False, False, 0, 0, "no_answer_tag", id="empty-completion"),
    P("The answer is cardinal.", None, None, False, False, 0, 0, "no_answer_tag", id="no-tags-at-all"),
    # the LAST answer is the cut-off one: lenient reports on the answer that is used
    P("<answer>dog</answer> then <answer>cat", None, "cat", False, False, 0, 2, "unclosed_answer_tag",
      id="closed-block-then-unclosed-last"),
    P("</answer><think>a</think><answer>b</answer>", None, "b", False, True, 1, 1, None,
      id="stray-closing-tag-before"),
    P("<think>a</think><answer>b</answer></answer>", None, "b", False, True, 1, 1, None, id="stray-closing-tag-after"),
    P("<think>a</think><answer>x < y and y > z</answer>", None, "x < y and y > z", True, True, 1, 1, None,
      id="angle-brackets-in-answer"),
    P("<think>a</think><answer><12><34><560><780></answer>", None, "<12><34><560><780>", True, True, 1, 1, None,
      id="rex-omni-bins-inside-answer"),
    P("<think>a</think><answer>```json\n[{\"bbox_2d\": [1, 2, 3, 4]}]\n```</answer>", None,
      "```json\n[{\"bbox_2d\": [1, 2, 3, 4]}]\n```", True, True, 1, 1, None, id="json-fence-inside-answer"),
    # echoed prompt (Qwen3-VL): removed only when passed
    P("Detect all birds. Output <think></think><answer></answer>.\n<think>a</think><answer>b</answer>",
      "Detect all birds. Output <think></think><answer></answer>.", "b", True, True, 1, 1, None,
      id="echoed-prompt-removed-when-passed"),
    P("Detect all birds. Output <think></think><answer></answer>.\n<think>a</think><answer>b</answer>",
      None, "b", False, True, 2, 2, None, id="echoed-prompt-kept-when-not-passed"),
    P("  Question: which bird?\n<think>a</think><answer>b</answer>", "Question: which bird?\n", "b", True, True, 1, 1,
      None, id="echoed-prompt-leading-whitespace"),
    P("<think>a</think><answer>b</answer>", "Question: which bird?", "b", True, True, 1, 1, None,
      id="prompt-passed-but-not-echoed"),
]


@pytest.mark.parametrize(("text", "prompt", "answer", "strict", "lenient", "n_think", "n_answer", "reason"), ROWS)
def test_golden_tags(text, prompt, answer, strict, lenient, n_think, n_answer, reason):
    tp = parse_completion(text, prompt)
    assert tp.answer == answer
    assert tp.strict is strict
    assert tp.lenient is lenient
    assert (tp.n_think, tp.n_answer) == (n_think, n_answer)
    assert tp.reason == reason
    assert extract_answer(text, prompt) == answer


def test_think_text_is_reported():
    tp = parse_completion("<think>\nred crest\n</think><answer>cardinal</answer>")
    assert tp.think == "\nred crest\n"


def test_tag_counts_count_closing_tags():
    tp = parse_completion("<think>a</think></think><answer>b</answer>")
    assert tp.counts == {"<think>": 1, "</think>": 2, "<answer>": 1, "</answer>": 1}
    assert not tp.strict


def test_conversational_completion_is_read():
    # TRL passes conversational completions as a list of messages
    msgs = [{"role": "assistant", "content": "<think>a</think><answer>b</answer>"}]
    tp = parse_completion(msgs)
    assert tp.answer == "b" and tp.strict


def test_many_unclosed_answer_tags_linear_and_safe():
    text = "<answer>" * 20000 + "x"
    tp = parse_completion(text)
    assert tp.answer == "x" and not tp.closed and tp.n_answer == 20000
