"""The fast paths for well-formed answers give exactly what the general paths give.

Every fast path reads the usual shape with fewer Python steps and hands anything unusual
to the general code (issue 15, item 1):

* the tag scan (``rewardkit.parsing.tags._strict_fast``: the strict
  ``<think>..</think><answer>..</answer>`` shape read with ``str.find``);
* box payloads (``rewardkit.parsing.boxes._fast_parse_boxes``: Visual-RFT's Python
  literal, Qwen's JSON list of ``bbox_2d`` / ``label``, plain lists of 4 numbers, one
  optional code fence; ``json.loads`` after the quote swap, one validation pass);
* string ground truths read once per (string, reading) (``rewards._common.box_target``);
* the group entry points that share one IoU matrix (``visual_rft.detection``,
  ``vlm_r1.od_ap`` / ``od_ap50`` / ``od_length`` through ``image_ap_batch``).

Each test runs the same inputs with the fast paths switched off (:func:`slow_paths`)
and compares every field bit for bit: scores and components by ``repr``, arrays by
bytes, details, reasons. The generated payloads are well-formed ones and near misses
(a NaN, an inverted box, a string number, a boolean, trailing text, a missing or
renamed key, a cut-off tail, a huge integer, a label that is not a string, ...).
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rewardkit.parsing.boxes as boxes_mod
import rewardkit.parsing.tags as tags_mod
import rewardkit.rewards._common as common_mod
from rewardkit.parsing.boxes import parse_boxes
from rewardkit.parsing.ground_truth import read_box_target
from rewardkit.parsing.tags import parse_completion
from rewardkit.registry import get_reward, score, score_batch

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextlib.contextmanager
def slow_paths() -> Iterator[None]:
    """Switch the fast paths off: the tag scan and the payload reader fall through to the
    general code, and string ground truths are read on every call."""
    saved = (tags_mod._strict_fast, boxes_mod._fast_parse_boxes, common_mod._cached_box_target)
    tags_mod._strict_fast = lambda text: None
    boxes_mod._fast_parse_boxes = lambda text: None
    common_mod._cached_box_target = lambda gt, reading: read_box_target(gt, reading=reading)
    try:
        yield
    finally:
        tags_mod._strict_fast, boxes_mod._fast_parse_boxes, common_mod._cached_box_target = saved


# ----------------------------------------------------------------------------- payloads

ODD_NUMBERS = [
    "NaN", "nan", "Infinity", "-Infinity", "inf", "1e400", "-1e400", "1e308", "1e7", "1.5e7", "-1e7", "'12'", '"12"',
    "' 12 '", "true", "false", "True", "None", "null", "-0", "-0.0", "0", "1000", "9007199254740993", "1" * 30,
    "1" * 400, "5e-324", ".5", "5.", "1_000", "+7", "0x10", "[1]", "{}", '"a"', "[]",
]  # fmt: skip


@st.composite
def number(draw: Any, odd: float) -> str:
    if draw(st.floats(0, 1)) < odd:
        return draw(st.sampled_from(ODD_NUMBERS))
    if draw(st.booleans()):
        return str(draw(st.integers(0, 1000)))
    return f"{draw(st.floats(0, 1000, allow_nan=False)):.{draw(st.integers(0, 4))}f}"


@st.composite
def box(draw: Any, odd: float) -> str:
    x1, y1 = draw(st.integers(0, 950)), draw(st.integers(0, 950))
    x2, y2 = x1 + draw(st.integers(0, 300)), y1 + draw(st.integers(0, 300))
    vals = [str(v) for v in (x1, y1, x2, y2)]
    if draw(st.booleans()):
        vals = [f"{v}.{draw(st.integers(0, 99))}" for v in vals]
    if draw(st.floats(0, 1)) < odd:
        kind = draw(st.integers(0, 5))
        if kind == 0:
            vals[draw(st.integers(0, 3))] = draw(number(1.0))
        elif kind == 1:
            vals = [vals[2], vals[1], vals[0], vals[3]]  # inverted (or zero width)
        elif kind == 2:
            vals = vals[: draw(st.integers(0, 3))]
        elif kind == 3:
            vals = [*vals, "5"]
        elif kind == 4:
            return f"[[{vals[0]}, {vals[1]}], [{vals[2]}, {vals[3]}]]"
        else:
            vals[draw(st.integers(0, 3))] = str(draw(st.integers(1000, 3000)))
    return "[" + draw(st.sampled_from([", ", ",", " ,  ", ",\n "])).join(vals) + "]"


@st.composite
def visual_rft_payload(draw: Any, odd: float) -> str:
    items = []
    for _ in range(draw(st.integers(0, 12))):
        pk = "'Position'" if draw(st.floats(0, 1)) >= odd * 0.3 else draw(
            st.sampled_from(["'position'", "'bbox'", "'Pos'", "'POSITION'", "'Position '"]))
        ck = "'Confidence'" if draw(st.floats(0, 1)) >= odd * 0.3 else draw(st.sampled_from(["'confidence'", "'score'", "'Conf'"]))
        conf = draw(st.sampled_from(["0.93", "1", "0", "1.0", "0.5"])) if draw(st.floats(0, 1)) >= odd else draw(number(1.0))
        parts = [f"{pk}: {draw(box(odd))}", f"{ck}: {conf}"]
        if draw(st.floats(0, 1)) < odd * 0.2:
            parts.pop()
        if draw(st.floats(0, 1)) < odd * 0.2:
            parts.reverse()
        if draw(st.floats(0, 1)) < odd * 0.2:
            parts.append("'label': " + draw(st.sampled_from(["'cat'", "'person\\'s'", "1", "None", "['a']", "{'a': 1}", "'true'"])))
        items.append("{" + ", ".join(parts) + "}")
    return "[" + draw(st.sampled_from([", ", ",", ",\n"])).join(items) + "]"


@st.composite
def qwen_payload(draw: Any, odd: float) -> str:
    items = []
    for _ in range(draw(st.integers(0, 12))):
        bk = '"bbox_2d"' if draw(st.floats(0, 1)) >= odd * 0.3 else draw(
            st.sampled_from(['"bbox"', '"BBOX_2D"', '"box_2d"', '"bbox2d"', '"point_2d"']))
        lab = draw(st.sampled_from(['"cat"', '"traffic light"', '"caf\\u00e9"', '"a \\"b\\""', '"it\'s"']))
        if draw(st.floats(0, 1)) < odd * 0.3:
            lab = draw(st.sampled_from(["1", "null", '["a"]', "{}", "true", '""']))
        parts = [f"{bk}: {draw(box(odd))}", f'"label": {lab}']
        if draw(st.floats(0, 1)) < odd * 0.3:
            parts.append(f'"score": {draw(number(odd))}')
        if draw(st.floats(0, 1)) < odd * 0.2:
            parts.reverse()
        if draw(st.floats(0, 1)) < odd * 0.1:
            parts.pop(0)
        items.append("{" + ", ".join(parts) + "}")
    body = "[" + draw(st.sampled_from([", ", ",\n  "])).join(items) + "]"
    if draw(st.booleans()):
        body = draw(st.sampled_from(["```json\n", "```\n", "``` json\n", "```JSON\n", "```json "])) + body + draw(
            st.sampled_from(["\n```", "```", "\n```\n", "", "\n``` and more", "\n```\n```"]))
    return body


@st.composite
def plain_payload(draw: Any, odd: float) -> str:
    n = draw(st.integers(1, 6))
    if n == 1 and draw(st.booleans()):
        return draw(box(odd))
    return "[" + ", ".join(draw(box(odd)) for _ in range(n)) + "]"


def mutate(text: str, kind: int, cut: int) -> str:
    if kind == 0:
        return text + " and that's all"
    if kind == 1:
        return "Here: " + text
    if kind == 2:
        return text[: max(1, cut % max(1, len(text)))]
    if kind == 3:
        return text.replace("'", '"')
    if kind == 4:
        return text.replace(",", ",,", 1)
    if kind == 5:
        return text + "\n" + text
    if kind == 6:
        return "[" + text + "]"
    if kind == 7:
        return text.replace("[", "(").replace("]", ")")
    if kind == 8:
        return text.upper()
    return text


@st.composite
def payloads(draw: Any) -> str:
    odd = draw(st.sampled_from([0.0, 0.0, 0.1, 0.4, 1.0]))
    text = draw(st.one_of(visual_rft_payload(odd), qwen_payload(odd), plain_payload(odd)))
    if odd and draw(st.booleans()):
        text = mutate(text, draw(st.integers(0, 9)), draw(st.integers(0, 10**6)))
    return draw(st.sampled_from(["", " ", "\n"])) + text + draw(st.sampled_from(["", " ", "\n"]))


@st.composite
def completions(draw: Any) -> str:
    payload = draw(payloads())
    think = draw(st.sampled_from(["I see objects.", "", "a\nb", "x < y", "<b>bold</b>", "< answer", "<answer>x</answer>"]))
    shape = draw(st.sampled_from([
        "<think>{t}</think><answer>{p}</answer>", "<think>{t}</think>\n<answer>\n{p}\n</answer>\n",
        "  <think>{t}</think>  <answer>{p}</answer>  ", "<think>{t}</think><answer>{p}</answer> trailing",
        "lead <think>{t}</think><answer>{p}</answer>", "<THINK>{t}</THINK><ANSWER>{p}</ANSWER>",
        "<think>{t}</think>< answer >{p}</ answer>", "<answer>{p}</answer>", "<think>{t}</think><answer>{p}", "{p}",
        "<think>{t}</think><answer>x</answer><answer>{p}</answer>", "<think>{t}</think><answer>{p}</answer></think>",
        "<think>{t}</think>x<answer>{p}</answer>", "<think>{t}</think><answer>{p}</answer>\u3000",
        "<think>{t}</think><answer><answer>{p}</answer>", "<think>{t}</think><think>more</think><answer>{p}</answer>",
    ]))  # fmt: skip
    return shape.replace("{t}", think).replace("{p}", payload)


# ----------------------------------------------------------------------------- comparisons


def arr_key(a: Any) -> Any:
    if a is None:
        return None
    return (a.dtype.str, a.shape, a.tobytes(), a.flags.writeable)


def parse_key(r: Any) -> Any:
    b = r.value
    return (r.ok, r.reason, repr(dict(r.details)), arr_key(b.xyxy), arr_key(b.scores), b.labels)


def tags_key(tp: Any) -> Any:
    return (tp.answer, tp.think, tp.strict, tp.lenient, tp.n_think, tp.n_answer, tp.closed, tp.reason, repr(tp.details))


def result_key(r: Any) -> Any:
    return (repr(r.score), repr(dict(r.components)), r.reason, repr(dict(r.details)), type(r.components).__name__)


# ----------------------------------------------------------------------------- tests


@SETTINGS
@given(payloads())
def test_box_payloads_fast_equals_general(payload):
    fast = parse_boxes(payload)
    with slow_paths():
        slow = parse_boxes(payload)
    assert parse_key(fast) == parse_key(slow)


@SETTINGS
@given(completions())
def test_tag_scan_fast_equals_general(completion):
    fast = parse_completion(completion)
    with slow_paths():
        slow = parse_completion(completion)
    assert tags_key(fast) == tags_key(slow)
    assert fast == slow


GROUND_TRUTHS = [
    "<answer>[{'Position': [10, 10, 200, 220], 'Confidence': 1}, {'Position': [300, 40, 610, 400], 'Confidence': 1}]</answer>",
    '<answer>```json\n[{"bbox_2d": [12, 34, 220, 310], "label": "cat"}, {"bbox_2d": [300, 40, 610, 400], "label": "dog"}]\n```</answer>',
    "<answer>[]</answer>",
    [[0, 0, 500, 500]],
    {"boxes": [[100, 100, 300, 300], [500, 500, 900, 900]], "labels": ["cat", "dog"]},
    "<answer>[[1, 2, 0, 0]]</answer>",  # bad ground truth (inverted): raises again on every call
]
REWARDS = ["visual_rft.detection", "vlm_r1.od_ap", "vlm_r1.od_ap50", "vlm_r1.od_length", "detection.f1", "vlm_r1.weighted_sum",
           "grounding.iou", "format.think_answer", "format.tag_count"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(completions(), min_size=1, max_size=8), st.sampled_from(GROUND_TRUTHS), st.sampled_from(REWARDS),
       st.sampled_from([{}, {"pred_frame": "pixel", "gt_frame": "pixel", "image_size": (1000, 800)}]))
def test_rewards_fast_equals_general(group, gt, name, params):
    """Per call and through score() with the fast paths on, against per-call scoring with
    every fast path off; score_batch (the group entry points) against the prepared
    ground truth scored one completion at a time with every fast path off."""
    if name.startswith("format."):
        params = {}
    reward = get_reward(name, **params)
    fast_call = [result_key(reward(c, gt)) for c in group]
    fast_score = [result_key(score(c, gt, reward=name, **params)) for c in group]
    fast_batch = [result_key(r) for r in score_batch(group, gt, reward=name, **params)]
    with slow_paths():
        slow = [result_key(reward(c, gt)) for c in group]
        prepared = reward.prepare(gt)  # what score_batch did before the group entry points
        slow_batch = [result_key(reward.spec.fn(c, prepared, **reward.params)) for c in group]
    assert fast_call == slow
    assert fast_score == slow
    assert fast_batch == slow_batch


COMMON = [
    "[{'Position': [254, 36, 608, 434], 'Confidence': 0.92}, {'Position': [10, 20, 30, 40], 'Confidence': 1}]",
    '[{"bbox_2d": [12, 34, 220, 310], "label": "cat"}]',
    '```json\n[\n  {"bbox_2d": [12, 34, 220, 310], "label": "cat"},\n  {"bbox_2d": [300, 40, 610, 400], "label": "dog"}\n]\n```',
    "[12, 34, 220, 310]",
    "[[12, 34, 220, 310], [1.5, 2, 3, 4]]",
]


@pytest.mark.parametrize("payload", COMMON)
def test_common_shapes_take_the_fast_path(payload):
    """The fast path is not vacuous: the usual shapes are read by it."""
    assert boxes_mod._fast_parse_boxes(payload) is not None
    assert parse_key(boxes_mod._fast_parse_boxes(payload)) == parse_key(parse_boxes(payload))


@pytest.mark.parametrize("payload", [
    "[{'Position': [nan, 2, 3, 4]}]", "[{'Position': [30, 2, 3, 4]}]", "[{'Position': ['1', 2, 3, 4]}]",
    "[{'Position': [1, 2, 3, 4], 'Confidence': True}]", '[{"bbox_2d": [1, 2, 3, 4], "label": 1}]', "[1, 2, 3, 4] and more",
    "[{'Position': [1, 2, 3, 4]}, {'bbox': [1, 2, 3, 4]}]", "[[1, 2], [3, 4]]", "[1e400, 0, 1, 1]", "[true, 0, 1, 1]",
    "[{'Position': [1, 2, 3, 4], 'Confidence': 1e400}]", "[0, 0, 20000000, 1]",
])  # fmt: skip
def test_near_misses_go_to_the_general_reader(payload):
    assert boxes_mod._fast_parse_boxes(payload.strip()) is None


LONG_OK = [[10 * i, 10 * i, 10 * i + 5, 10 * i + 7.5] for i in range(12)]


@pytest.mark.parametrize("i, value", [(0, "NaN"), (3, '"12"'), (5, "1e400"), (7, "20000000"), (11, "[1]"), (2, "null"), (9, "-5e7")])
def test_long_answers_near_misses(i, value):
    """A long answer with one bad box (anywhere) goes to the general reader; the answer
    without it reads the same on both paths."""
    ok = ", ".join(f'{{"bbox_2d": {b}, "label": "a"}}' for b in LONG_OK)
    assert boxes_mod._fast_parse_boxes(f"[{ok}]") is not None
    rows = [json.dumps(b) for b in LONG_OK]
    rows[i] = rows[i].replace(rows[i][1:].split(",")[0], value, 1)
    payload = "[" + ", ".join(f'{{"bbox_2d": {r}, "label": "a"}}' for r in rows) + "]"
    assert boxes_mod._fast_parse_boxes(payload) is None
    inverted = [list(b) for b in LONG_OK]
    inverted[i] = [inverted[i][2], inverted[i][1], inverted[i][0], inverted[i][3]]
    assert boxes_mod._fast_parse_boxes(json.dumps(inverted)) is None
    fast = parse_boxes(f"[{ok}]")
    with slow_paths():
        assert parse_key(parse_boxes(f"[{ok}]")) == parse_key(fast)


def test_strict_shape_takes_the_fast_tag_scan():
    assert tags_mod._strict_fast("<think>a</think>\n<answer> [1, 2, 3, 4] </answer>\n") is not None
    for text in ["<think>a</think><answer>b</answer>x", "<think><answer>a</answer></think><answer>b</answer>",
                 "<think>a</think>< answer >b</answer>", "<THINK>a</THINK><answer>b</answer>"]:
        assert tags_mod._strict_fast(text) is None


def test_string_ground_truth_is_read_once_and_failures_are_not_cached():
    common_mod._cached_box_target.cache_clear()
    gt = GROUND_TRUTHS[0]
    reward = get_reward("visual_rft.detection")
    c = "<think>x</think><answer>[{'Position': [10, 10, 200, 220], 'Confidence': 0.9}]</answer>"
    first, second = reward(c, gt), reward(c, gt)
    assert result_key(first) == result_key(second)
    assert common_mod._cached_box_target.cache_info().hits >= 1
    bad = "<answer>[[1, 2, 0, 0]]</answer>"
    assert reward(c, bad).reason == reward(c, bad).reason == "bad_ground_truth"
    with pytest.raises(ValueError, match="inverted"):
        reward(c, bad, strict=True)


def test_group_entry_points_share_one_iou_matrix_and_match_per_call():
    """A group with confidences, ties, an empty answer and a negative answer."""
    rng = np.random.default_rng(3)
    gt = rng.uniform(0, 700, (12, 2))
    gt = np.concatenate([gt, gt + rng.uniform(20, 250, (12, 2))], 1).round(1)
    sol = {"boxes": gt.tolist()}
    group = []
    for k in range(8):
        p = gt[rng.permutation(12)[: rng.integers(0, 12)]] + rng.normal(0, 8, (1, 4))
        p = np.concatenate([np.minimum(p[:, :2], p[:, 2:]), np.maximum(p[:, :2], p[:, 2:])], 1)
        items = [{"bbox_2d": b, "label": "x", **({"score": round(float(rng.uniform()), 1)} if k % 2 else {})} for b in p.tolist()]
        group.append(f"<think>t</think><answer>{json.dumps(items)}</answer>")
    group += ["<think>t</think><answer>No Objects</answer>", "<think>t</think>no answer"]
    for name in ("vlm_r1.od_ap", "vlm_r1.od_ap50", "vlm_r1.od_length", "visual_rft.detection"):
        batch = [result_key(r) for r in score_batch(group, sol, reward=name)]
        assert batch == [result_key(score(c, sol, reward=name)) for c in group]
        assert any(not math.isclose(float(r.score), 0.0) for r in score_batch(group, sol, reward=name))
