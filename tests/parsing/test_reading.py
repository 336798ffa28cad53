"""``Reading`` (the one frozen, validated reading config) and the answer modes.

Answer-mode golden table: one labelled row per real-looking completion, with the answer
text each mode finds (``None``: no answer) and the reason.
"""

from __future__ import annotations

import pytest

from rewardkit.parsing.reading import (
    ANSWER_MODES,
    READING_FIELDS,
    Reading,
    clean_whole,
    extract_answer_text,
)

P = pytest.param

JSON = '[{"bbox_2d": [1, 2, 3, 4], "label": "cat"}]'
FENCED = f"```json\n{JSON}\n```"

MODES = [
    # completion, auto, tags, whole
    P(f"<think>t</think><answer>{JSON}</answer>", JSON, JSON, JSON, id="tagged"),
    P(FENCED, JSON, None, JSON, id="bare-fenced-qwen25vl"),
    P(JSON, JSON, None, JSON, id="bare-json"),
    P(f"<think>t</think>\n{FENCED}", JSON, None, JSON, id="think-then-bare"),
    P(f"reasoning first</think>\n{JSON}", JSON, None, JSON, id="close-think-only-reasoning-model"),
    P("<think>still thinking [1, 2, 3, 4]", None, None, None, id="unclosed-think"),
    P("<think>[1, 2, 3, 4]</think>", None, None, None, id="think-only"),
    P("<answer>a</answer><answer>b</answer>", "b", "b", "a b", id="two-answer-blocks-last-wins"),
    P("<think>t</think><answer>[1, 2, 3, 4", "[1, 2, 3, 4", "[1, 2, 3, 4", "[1, 2, 3, 4", id="cut-off-answer"),
    P("<bbox>[1, 2, 3, 4]</bbox>, <points>[[2, 3]]</points>, <labels>[1]</labels>",
      "<bbox>[1, 2, 3, 4]</bbox>, <points>[[2, 3]]</points>, <labels>[1]</labels>", None,
      "<bbox>[1, 2, 3, 4]</bbox>, <points>[[2, 3]]</points>, <labels>[1]</labels>", id="seg-r1-released-layout"),
    P("", None, None, None, id="empty"),
    P("   \n ", None, None, None, id="whitespace"),
    P("cat", "cat", None, "cat", id="bare-word"),
]


@pytest.mark.parametrize(("completion", "auto", "tags", "whole"), MODES)
def test_answer_modes(completion, auto, tags, whole):
    for mode, want in (("auto", auto), ("tags", tags), ("whole", whole)):
        got = extract_answer_text(completion, None, mode)
        norm = None if got.text is None else " ".join(got.text.split())
        assert norm == (None if want is None else " ".join(want.split())), (mode, got)
        assert (got.reason is None) == (want is not None), (mode, got)


def test_reasons():
    assert extract_answer_text("", None, "auto").reason == "no_answer_tag"
    assert extract_answer_text("x", None, "tags").reason == "no_answer_tag"
    assert extract_answer_text("<think>x</think>", None, "whole").reason == "empty_answer"
    assert extract_answer_text("<answer></answer>", None, "auto").reason is None  # empty block: the payload reader decides


def test_source_and_format_untouched():
    a = extract_answer_text(FENCED)
    assert a.source == "whole" and not a.tags.strict
    b = extract_answer_text(f"<think>t</think><answer>{JSON}</answer>")
    assert b.source == "tags" and b.tags.strict


def test_echoed_prompt_is_removed_in_whole():
    assert extract_answer_text("Find the cat. [1, 2, 3, 4]", "Find the cat.", "auto").text == "[1, 2, 3, 4]"


def test_clean_whole_tag_case_and_spaces():
    assert clean_whole("<THINK>a</ think >< Answer >x</ANSWER>") == "x"


def test_tag_alias():
    assert Reading(answer="tag").answer == "tags"
    assert extract_answer_text("x", None, "tag").text is None


def test_reading_defaults_and_frame():
    r = Reading()
    assert (r.answer, r.dialect, r.pred_frame, r.gt_frame, r.frame) == ("auto", "visual_rft", None, "norm1000", "norm1000")
    assert Reading(dialect="qwen2_5_vl").frame == "qwen25vl"
    assert Reading(dialect="paligemma").frame == "norm1"
    assert Reading(dialect="qwen2_5_vl", pred_frame="norm1000").frame == "norm1000"
    assert Reading().resize_kw == {"min_pixels": 3136, "max_pixels": 12845056}
    assert Reading(max_pixels=401408).resize_kw["max_pixels"] == 401408


def test_reading_is_frozen_hashable_and_normalized():
    a = Reading(image_size=[640.0, 480.0])
    assert a.image_size == (640, 480)
    assert a == Reading(image_size=(640, 480)) and hash(a) == hash(Reading(image_size=(640, 480)))
    with pytest.raises(AttributeError):
        a.answer = "tags"  # type: ignore[misc]
    assert set(a.as_dict()) == set(READING_FIELDS)
    assert ANSWER_MODES == ("auto", "tags", "whole")


BAD = [
    P({"answer": "bare"}, ValueError, "answer", id="answer"),
    P({"dialect": "qwen25"}, KeyError, "did you mean", id="dialect"),
    P({"pred_frame": "norm100"}, ValueError, "frame", id="pred-frame"),
    P({"gt_frame": "pixels"}, ValueError, "frame", id="gt-frame"),
    P({"image_size": (0, 10)}, ValueError, "image_size", id="image-size"),
    P({"min_pixels": -1}, ValueError, "min_pixels", id="min-pixels"),
    P({"max_pixels": 1.5}, ValueError, "max_pixels", id="max-pixels-float"),
    P({"min_pixels": 10_000, "max_pixels": 100}, ValueError, "min_pixels <= max_pixels", id="bounds-order"),
    P({"dialect": "florence2", "pred_frame": "norm1000"}, ValueError, "fixes its coordinate grid", id="fixed-grid"),
]


@pytest.mark.parametrize(("fields", "exc", "match"), BAD)
def test_bad_values_raise(fields, exc, match):
    with pytest.raises(exc, match=match):
        Reading(**fields)


def test_resolve():
    base = Reading(pred_frame="pixel")
    assert Reading.resolve(None, base) is base
    assert Reading.resolve(None, base, answer="tags") == Reading(pred_frame="pixel", answer="tags")
    # naming a dialect reads in its frame, unless pred_frame is named too
    assert Reading.resolve(None, base, dialect="molmo").frame == "norm1"
    assert Reading.resolve(None, base, dialect="qwen3_vl", pred_frame="pixel").frame == "pixel"
    assert Reading.resolve({"dialect": "gemini"}) == Reading(dialect="gemini")
    with pytest.raises(ValueError, match="fields of Reading"):
        Reading.resolve(None, base, frame="pixel")
    with pytest.raises(ValueError, match="Reading or a mapping"):
        Reading.resolve("gemini")
    assert Reading.resolve(None, base, image_size=[10, 20]).image_size == (10, 20)


def test_docstring_examples():
    import doctest

    import rewardkit.doctor
    import rewardkit.parsing.dialects
    import rewardkit.parsing.reading

    for mod in (rewardkit.parsing.reading, rewardkit.parsing.dialects, rewardkit.doctor):
        res = doctest.testmod(mod)
        assert res.failed == 0 and res.attempted > 0, mod.__name__
