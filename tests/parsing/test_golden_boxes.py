"""Golden table: box payloads of real-looking model answers (SPEC section 1).

One labelled row per case. Columns: the answer payload (the text inside ``<answer>``),
``ok``, the reason code, the expected ``xyxy`` boxes (coordinates as written: no frame
conversion), the expected confidences (``NAN`` = none given; ``ANY`` = not checked) and
the expected labels.

Bad-box rule (documented in ``rewardkit.parsing.boxes``): inverted corners are
REORDERED, a box with NaN/inf or a coordinate of magnitude above ``MAX_ABS_COORD``
(1e7) is DROPPED, zero-area boxes are KEPT; if every box is dropped the parse fails with
``bad_coordinates``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rewardkit.parsing.boxes import MAX_BOXES, is_negative_answer, parse_boxes

NAN = math.nan
ANY = object()
P = pytest.param

QWEN_FENCED = """```json
[
  {"bbox_2d": [12, 34, 220, 310], "label": "cat"},
  {"bbox_2d": [300, 40, 610, 400], "label": "dog"}
]
```"""

ROWS = [
    # --- Visual-RFT python literals -------------------------------------------------
    P("[{'Position': [254, 36, 608, 434], 'Confidence': 0.92}]", True, None,
      [[254, 36, 608, 434]], [0.92], None, id="vrft-one-box"),
    P("[{'Position': [254, 36, 608, 434], 'Confidence': 0.92}, {'Position': [10, 20, 30, 40], 'Confidence': 1}]",
      True, None, [[254, 36, 608, 434], [10, 20, 30, 40]], [0.92, 1.0], None, id="vrft-two-boxes-int-confidence"),
    P("[{'Position': [254, 36, 608, 434], 'Confidence': 0.92},\n {'Position': [10, 20, 30, 40], 'Confidence': 0.5}]",
      True, None, [[254, 36, 608, 434], [10, 20, 30, 40]], [0.92, 0.5], None, id="vrft-multi-line"),
    P("[{'position': [1, 2, 3, 4], 'confidence': 0.3}]", True, None, [[1, 2, 3, 4]], [0.3], None,
      id="vrft-lower-case-keys"),
    P("[{'Position': ['254', '36', '608', '434'], 'Confidence': '0.5'}]", True, None,
      [[254, 36, 608, 434]], [0.5], None, id="vrft-string-numbers"),
    P("[{'Position': [254, 36, 608, 434], 'Confidence': True}]", True, None,
      [[254, 36, 608, 434]], [NAN], None, id="vrft-confidence-True-is-missing"),
    P("[{'Position': [254, 36, 608, 434], 'Confidence': None}]", True, None,
      [[254, 36, 608, 434]], [NAN], None, id="vrft-confidence-None-is-missing"),
    P("[{'Position': [1, 2, 3, 4], 'Confidence': 0.9, 'extra': True, 'note': None}]", True, None,
      [[1, 2, 3, 4]], [0.9], None, id="vrft-extra-keys-True-None"),
    P("[{'Position': [10.5, 20.25, 30.0, 40], 'Confidence': 0.7}]", True, None,
      [[10.5, 20.25, 30, 40]], [0.7], None, id="vrft-float-coordinates"),
    P("[{'Position': [254, 36, 608, 434], 'Confidence': 0.92}, {'Position': [10, 20",
      True, None, [[254, 36, 608, 434]], [0.92], None, id="vrft-truncated-tail-repaired"),
    P("[{'Position': [254, 36, 608, 434], 'Confidence': 0.92},\n {'Position': [10, 20, 30, 40], 'Confidence': 0.5},",
      True, None, [[254, 36, 608, 434], [10, 20, 30, 40]], [0.92, 0.5], None, id="vrft-truncated-after-comma"),
    P("[{'Position': [1, 2, 3, 4], 'Confidence': 0.9}] and also [{'Position': [5, 6, 7, 8], 'Confidence': 0.9}]",
      True, None, [[1, 2, 3, 4]], [0.9], None, id="vrft-two-lists-first-read"),
    # issue 9 item 4: a nested list of box dicts lost its confidences through the regex fallback
    P("[[{'Position': [11, 11, 99, 99], 'Confidence': 0.2}]]", True, None, [[11, 11, 99, 99]], [0.2], None,
      id="vrft-nested-list-keeps-confidence"),
    P("[[{'Position': [11, 11, 99, 99], 'Confidence': 0.2}], [{'Position': [1, 2, 3, 4], 'Confidence': 0.6}]]", True,
      None, [[11, 11, 99, 99], [1, 2, 3, 4]], [0.2, 0.6], None, id="vrft-two-nested-lists-keep-confidences"),
    # --- Qwen2.5-VL JSON ---------------------------------------------------------------
    P(QWEN_FENCED, True, None, [[12, 34, 220, 310], [300, 40, 610, 400]], [NAN, NAN], ("cat", "dog"),
      id="qwen-json-fenced"),
    P('[{"bbox_2d": [12, 34, 220, 310], "label": "cat"}]', True, None, [[12, 34, 220, 310]], [NAN], ("cat",),
      id="qwen-json-no-fence"),
    P("```\n[{\"bbox_2d\": [12, 34, 220, 310], \"label\": \"cat\"}]\n```", True, None, [[12, 34, 220, 310]],
      [NAN], ("cat",), id="qwen-fence-without-language"),
    P('```json\n[\n  {"bbox_2d": [12, 34, 220, 310], "label": "cat"},\n  {"bbox_2d": [300, 40, 6', True, None,
      [[12, 34, 220, 310]], [NAN], ("cat",), id="qwen-fenced-truncated-mid-number"),
    P('[{"bbox_2d": [12, 34, 220, 310], "label": "cat"}, {"bbox_2d": [300, 40, 610, 400], "label": "d', True, None,
      [[12, 34, 220, 310]], [NAN], ("cat",), id="qwen-truncated-mid-string"),
    P('[{"bbox_2d": [1, 2, 3, 4]', True, None, [[1, 2, 3, 4]], ANY, None, id="qwen-truncated-first-item"),
    P('[{"bbox_2d": [12, 34, 220, 310], "label": "cat"}] These are the cats.', True, None,
      [[12, 34, 220, 310]], [NAN], ("cat",), id="qwen-trailing-prose"),
    P('Sure! Here are the boxes:\n```json\n[{"bbox_2d": [1, 2, 3, 4], "label": "a"}]\n```\nLet me know.', True,
      None, [[1, 2, 3, 4]], [NAN], ("a",), id="qwen-prose-around-fence"),
    P('{"bbox_2d": [1, 2, 3, 4], "label": "cat"}', True, None, [[1, 2, 3, 4]], [NAN], ("cat",),
      id="qwen-single-object-not-in-list"),
    P('[{"bbox_2d": [1, 2, 3, 4], "label": "it\'s"}]', True, None, [[1, 2, 3, 4]], [NAN], ("it's",),
      id="qwen-apostrophe-in-label"),
    P('[{"bbox_2d": [1, 2, 3, 4], "label": "cat", "score": 0.4}]', True, None, [[1, 2, 3, 4]], [0.4], ("cat",),
      id="qwen-with-score-key"),
    P('{"bbox": [1, 2, 3, 4]}', True, None, [[1, 2, 3, 4]], [NAN], None, id="dict-bbox-key"),
    P('{"boxes": [[1, 2, 3, 4], [5, 6, 7, 8]]}', True, None, [[1, 2, 3, 4], [5, 6, 7, 8]], [NAN, NAN], None,
      id="dict-of-boxes"),
    P('[{"bbox_2d": [1, 2, 3, 4], "label": "cat"}, {"label": "dog"}]', True, None, [[1, 2, 3, 4]], [NAN],
      ("cat",), id="item-without-box-skipped"),
    # --- plain lists, nested lists, tuples -------------------------------------------
    P("[12, 34, 220, 310]", True, None, [[12, 34, 220, 310]], [NAN], None, id="plain-list"),
    P("[[1, 2, 3, 4], [5, 6, 7, 8]]", True, None, [[1, 2, 3, 4], [5, 6, 7, 8]], [NAN, NAN], None, id="list-of-lists"),
    P("[[[1, 2, 3, 4]], [[5, 6, 7, 8]]]", True, None, [[1, 2, 3, 4], [5, 6, 7, 8]], ANY, None,
      id="doubly-nested-lists"),
    P("[[10, 20], [30, 40]]", True, None, [[10, 20, 30, 40]], [NAN], None, id="corner-pairs"),
    P("[1, 2, 3, 4], [5, 6, 7, 8]", True, None, [[1, 2, 3, 4], [5, 6, 7, 8]], ANY, None, id="two-lists-no-outer"),
    P("[12, 34, 220, 310]\n[300, 40, 610, 400]", True, None, [[12, 34, 220, 310], [300, 40, 610, 400]], [NAN, NAN],
      None, id="one-list-per-line"),
    P('{"bbox_2d": [1, 2, 3, 4], "label": "a"}\n{"bbox_2d": [5, 6, 7, 8], "label": "b"}', True, None,
      [[1, 2, 3, 4], [5, 6, 7, 8]], [NAN, NAN], ("a", "b"), id="json-lines-objects"),
    P("[{'Position': [1, 2, 3, 4], 'Confidence': 0.9}]\n[{'Position': [5, 6, 7, 8], 'Confidence': 0.4}]", True, None,
      [[1, 2, 3, 4], [5, 6, 7, 8]], [0.9, 0.4], None, id="vrft-one-list-per-line"),
    P("[12, 34, 220, 310]\nThis is the cat.", True, None, [[12, 34, 220, 310]], [NAN], None, id="list-then-prose-line"),
    P("[[1,2,3,4],[5,6,7,8],", True, None, [[1, 2, 3, 4], [5, 6, 7, 8]], ANY, None, id="list-of-lists-truncated"),
    P("(10,20),(30,40)", True, None, [[10, 20, 30, 40]], ANY, None, id="tuple-corners"),
    P("(10, 20), (30, 40) and (50,60),(70,80)", True, None, [[10, 20, 30, 40], [50, 60, 70, 80]], ANY, None,
      id="tuple-corners-in-prose"),
    P("((10, 20), (30, 40))", True, None, [[10, 20, 30, 40]], ANY, None, id="tuple-of-tuples"),
    P("[(10, 20, 30, 40), (50, 60, 70, 80)]", True, None, [[10, 20, 30, 40], [50, 60, 70, 80]], ANY, None,
      id="list-of-tuples"),
    P("The box is [12, 34, 220, 310].", True, None, [[12, 34, 220, 310]], ANY, None, id="list-in-prose"),
    P("The cat is at [12, 34, 220, 310] and the dog at [300, 40, 610, 400].", True, None,
      [[12, 34, 220, 310]], ANY, None, id="two-lists-in-prose-first-structure"),
    # --- Qwen box tokens and Rex-Omni bins ----------------------------------------
    P("<|object_ref_start|>the red car<|object_ref_end|><|box_start|>(100,200),(300,400)<|box_end|>", True, None,
      [[100, 200, 300, 400]], [NAN], ("the red car",), id="qwen-box-token-with-ref"),
    P("<|box_start|>(100,200),(300,400)<|box_end|><|box_start|>(1,2),(3,4)<|box_end|>", True, None,
      [[100, 200, 300, 400], [1, 2, 3, 4]], [NAN, NAN], None, id="qwen-two-box-tokens"),
    P("<|object_ref_start|>cat<|object_ref_end|><|box_start|>(1,2),(3,4)<|box_end|> and "
      "<|object_ref_start|>dog<|object_ref_end|><|box_start|>(5,6),(7,8)<|box_end|>", True, None,
      [[1, 2, 3, 4], [5, 6, 7, 8]], [NAN, NAN], ("cat", "dog"), id="qwen-box-tokens-two-refs"),
    P("<|box_start|>(300,400),(100,200)<|box_end|>", True, None, [[100, 200, 300, 400]], [NAN], None,
      id="qwen-box-token-inverted"),
    P("<|object_ref_start|>a<|object_ref_end|> text <|object_ref_start|>b<|object_ref_end|><|box_start|>(1,2),(3,4)<|box_end|>",
      True, None, [[1, 2, 3, 4]], [NAN], ("b",), id="qwen-ref-label-is-the-one-before-the-box"),
    P("<|box_start|>" * 15000, False, "unparseable", [], None, None, id="qwen-unclosed-box-start-spam-linear"),
    P("<|object_ref_start|>" * 9000 + "<|box_start|>(1,2),(3,4)<|box_end|>", True, None, [[1, 2, 3, 4]], [NAN], None,
      id="qwen-unclosed-ref-spam-linear"),
    P("<12><34><560><780>", True, None, [[12, 34, 560, 780]], [NAN], None, id="rex-omni-bins"),
    P("person<12><34><560><780>, <1><2><3><4>", True, None, [[12, 34, 560, 780], [1, 2, 3, 4]], [NAN, NAN], None,
      id="rex-omni-two-boxes"),
    P("<12> <34> <560> <780>", True, None, [[12, 34, 560, 780]], ANY, None, id="rex-omni-bins-spaced"),
    # --- negatives ------------------------------------------------------------------
    P("No Objects", True, None, [], None, None, id="neg-No-Objects"),
    P("No objects.", True, None, [], None, None, id="neg-no-objects-period"),
    P("none", True, None, [], None, None, id="neg-none"),
    P("None", True, None, [], None, None, id="neg-None"),
    P("[]", True, None, [], None, None, id="neg-empty-list"),
    P("[ ]", True, None, [], ANY, None, id="neg-empty-list-spaced"),
    P("```json\n[]\n```", True, None, [], ANY, None, id="neg-empty-list-fenced"),
    P("There are no objects", True, None, [], None, None, id="neg-sentence"),
    # --- bad coordinates: one documented rule ---------------------------------------
    P("[[NaN, 1, 2, 3], [1, 2, 3, 4]]", True, None, [[1, 2, 3, 4]], [NAN], None, id="json-NaN-box-dropped"),
    P("[[Infinity, 1, 2, 3], [1, 2, 3, 4]]", True, None, [[1, 2, 3, 4]], [NAN], None, id="json-inf-box-dropped"),
    P("[{'Position': [nan, 1, 2, 3], 'Confidence': 0.9}, {'Position': [1, 2, 3, 4], 'Confidence': 0.8}]", True,
      None, [[1, 2, 3, 4]], [0.8], None, id="python-nan-box-dropped"),
    P("[{'Position': [-inf, 1, 2, 3], 'Confidence': None}]", False, "bad_coordinates", [], None, None,
      id="python-inf-only-box-bad"),
    P("[[1e400, 1, 2, 3], [1, 2, 3, 4]]", True, None, [[1, 2, 3, 4]], [NAN], None, id="overflowing-float-dropped"),
    P("[[1e8, 1, 2, 3], [1, 2, 3, 4]]", True, None, [[1, 2, 3, 4]], [NAN], None, id="huge-coordinate-dropped"),
    P("[[" + "9" * 40 + ", 1, 2, 3], [1, 2, 3, 4]]", True, None, [[1, 2, 3, 4]], [NAN], None,
      id="40-digit-integer-dropped"),
    P("[" + "9" * 50000 + ", 1, 2, 3]", False, "bad_coordinates", [], None, None, id="50k-digit-run-linear-and-dropped"),
    P("[" + "9" * 50000 + ", 1, 2, 3], [1, 2, 3, 4]", True, None, [[1, 2, 3, 4]], [NAN], None,
      id="50k-digit-run-beside-good-box"),
    P("(" + "9" * 50000 + ", 1, 2", False, "unparseable", [], None, None, id="50k-digit-tuple-linear"),
    P("[[-5, -5, 10, 10]]", True, None, [[-5, -5, 10, 10]], [NAN], None, id="negative-coordinates-kept"),
    P("[[NaN, 1, 2, 3]]", False, "bad_coordinates", [], None, None, id="only-box-NaN"),
    P("[300, 400, 100, 200]", True, None, [[100, 200, 300, 400]], [NAN], None, id="inverted-corners-reordered"),
    P("[100, 400, 300, 200]", True, None, [[100, 200, 300, 400]], [NAN], None, id="inverted-y-only-reordered"),
    P("[100, 200, 100, 300]", True, None, [[100, 200, 100, 300]], [NAN], None, id="zero-width-kept"),
    P("[100, 200, 100, 200]", True, None, [[100, 200, 100, 200]], [NAN], None, id="point-box-kept"),
    # --- unreadable ------------------------------------------------------------------
    P("[1, 2, 3]", False, "unparseable", [], None, None, id="three-numbers"),
    P("I cannot see anything.", False, "unparseable", [], None, None, id="prose-only"),
    P('[{"label": "cat"}]', False, "unparseable", [], None, None, id="no-box-key"),
    P("-", False, "unparseable", [], None, None, id="dash"),
    P("", False, "empty_answer", [], None, None, id="empty-string"),
    P("   \n ", False, "empty_answer", [], None, None, id="whitespace-only"),
    P("3", False, "unparseable", [], None, None, id="single-stray-number"),
    P("[" * 5000, False, "unparseable", [], None, None, id="deep-open-brackets"),
    P("[" * 100 + "1, 2, 3, 4" + "]" * 100, True, None, [[1, 2, 3, 4]], ANY, None, id="deep-nesting-regex-fallback"),
]


def _check(r, ok, reason, xyxy, scores, labels):
    assert r.ok is ok, (r.reason, dict(r.details))
    assert r.reason == reason
    got = r.value.xyxy
    assert got.shape == (len(xyxy), 4)
    if xyxy:
        np.testing.assert_array_equal(got, np.asarray(xyxy, dtype=np.float64))
    if scores is not ANY and scores is not None:
        np.testing.assert_array_equal(r.value.scores, np.asarray(scores, dtype=np.float64))
    if labels is not ANY:
        assert r.value.labels == labels


@pytest.mark.parametrize(("payload", "ok", "reason", "xyxy", "scores", "labels"), ROWS)
def test_golden_boxes(payload, ok, reason, xyxy, scores, labels):
    _check(parse_boxes(payload), ok, reason, xyxy, scores, labels)


def test_negative_answers_marked():
    for text in ("No Objects", "[]", "none"):
        r = parse_boxes(text)
        assert r.ok and len(r.value) == 0 and r.details.get("negative") is True
        assert is_negative_answer(text)
    assert not is_negative_answer("no cats but a dog at [1, 2, 3, 4]")


def test_repair_is_reported():
    r = parse_boxes('[{"bbox_2d": [1, 2, 3, 4]}, {"bbox_2d": [5, 6')
    assert r.ok and r.details.get("repaired") is True


def test_dropped_and_reordered_reported():
    r = parse_boxes("[[NaN, 1, 2, 3], [3, 4, 1, 2]]")
    assert r.details.get("dropped") == 1 and r.details.get("reordered") is True


def test_too_many_boxes_fails():
    payload = "[" + ", ".join("[1, 2, 3, 4]" for _ in range(MAX_BOXES + 5)) + "]"
    r = parse_boxes(payload)
    assert not r.ok and r.reason == "too_many_boxes" and len(r.value) == 0


def test_megabyte_payload_refused_quickly():
    r = parse_boxes("[1, 2, 3, 4], " * 100_000)
    assert not r.ok and r.reason == "too_long"


def test_none_payload():
    r = parse_boxes(None)
    assert not r.ok and r.reason == "no_answer"
