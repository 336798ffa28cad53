"""hypothesis: parsers never raise on arbitrary text and keep their invariants; boxes
written in any supported layout read back exactly."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewardkit.parsing._structured import load_structured
from rewardkit.parsing.boxes import parse_boxes
from rewardkit.parsing.labels import normalize_label, parse_label
from rewardkit.parsing.numbers import parse_count
from rewardkit.parsing.points import parse_points
from rewardkit.parsing.tags import parse_completion

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_PIECES = ["[", "]", "{", "}", "(", ")", ",", "'", '"', ":", "1", "2.5", "-3", "1e400", "nan", "NaN", "None",
           "True", "<answer>", "</answer>", "<think>", "<|box_start|>", "<|box_end|>", "<7>", "```json", "```",
           "bbox_2d", "Position", "Confidence", "label", "\n", " ", "No Objects", "\\"]
TEXT = st.one_of(st.text(max_size=400), st.lists(st.sampled_from(_PIECES), max_size=150).map("".join))


@SETTINGS
@given(TEXT)
def test_parse_boxes_never_raises_and_valid(text):
    r = parse_boxes(text)
    xyxy = r.value.xyxy
    assert xyxy.ndim == 2 and xyxy.shape[1] == 4
    assert np.all(np.isfinite(xyxy))
    assert np.all(xyxy[:, 0] <= xyxy[:, 2]) and np.all(xyxy[:, 1] <= xyxy[:, 3])
    if not r.ok:
        assert len(r.value) == 0 and r.reason
    if r.value.scores is not None:
        assert r.value.scores.shape == (len(r.value),)


@SETTINGS
@given(TEXT)
def test_other_parsers_never_raise(text):
    p = parse_points(text)
    assert np.all(np.isfinite(p.value.xy))
    c = parse_count(text)
    assert isinstance(c.value, int) and c.value >= 0 and (c.ok or c.reason)
    lab = parse_label(text)
    assert isinstance(lab.value, str)
    normalize_label(text)
    tp = parse_completion(text)
    assert tp.strict <= tp.lenient  # strict implies lenient
    ok, _, details = load_structured(text)
    assert ok or "error" in details


COORD = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
BOX = st.tuples(COORD, COORD, COORD, COORD)


def _layouts(boxes, confs):
    yield json.dumps([list(b) for b in boxes])
    yield json.dumps([{"bbox_2d": list(b), "label": "x"} for b in boxes])
    yield repr([{"Position": list(b), "Confidence": c} for b, c in zip(boxes, confs)])
    yield "```json\n" + json.dumps([{"bbox_2d": list(b)} for b in boxes], indent=2) + "\n```"
    yield "\n".join(repr(list(b)) for b in boxes)


@settings(max_examples=120, deadline=None)
@given(st.lists(BOX, min_size=1, max_size=8), st.data())
def test_boxes_read_back_in_every_layout(boxes, data):
    confs = data.draw(st.lists(st.floats(0, 1), min_size=len(boxes), max_size=len(boxes)))
    arr = np.asarray(boxes, dtype=np.float64)
    expected = np.stack([np.minimum(arr[:, 0], arr[:, 2]), np.minimum(arr[:, 1], arr[:, 3]),
                         np.maximum(arr[:, 0], arr[:, 2]), np.maximum(arr[:, 1], arr[:, 3])], axis=1)
    for text in _layouts(boxes, confs):
        r = parse_boxes(text)
        assert r.ok, (text, r.reason)
        np.testing.assert_array_equal(r.value.xyxy, expected, err_msg=text)


_DIALECT_PIECES = ["<ref>", "</ref>", "<box>", "</box>", "<|ref|>", "<|/ref|>", "<|det|>", "<|/det|>", "<loc0256>",
                   "<loc1024>", "<loc_12>", "<loc_999>", "<seg001>", ";", "<phrase>", "</phrase>", "<object>",
                   "</object>", "<patch_index_0044>", "<patch_index_1023>", "</delimiter_of_multi_objects/>",
                   '<point x="', '<points x1="', '" y="', '" y1="', '" alt="a">', "</point>", 'coords="1 1 900 ',
                   "box_2d", "point", "x_min", "objects", "points", *_PIECES]
DIALECT_TEXT = st.one_of(st.text(max_size=300), st.lists(st.sampled_from(_DIALECT_PIECES), max_size=150).map("".join))


@SETTINGS
@given(DIALECT_TEXT)
def test_dialect_readers_never_raise_and_valid(text):
    from rewardkit.parsing.dialects import dialect_names, get_dialect

    for name in dialect_names():
        d = get_dialect(name)
        if d.read_boxes is not None:
            r = d.read_boxes(text)
            xyxy = r.value.xyxy
            assert xyxy.ndim == 2 and xyxy.shape[1] == 4 and np.all(np.isfinite(xyxy))
            assert np.all(xyxy[:, 0] <= xyxy[:, 2]) and np.all(xyxy[:, 1] <= xyxy[:, 3])
            assert r.ok or (len(r.value) == 0 and r.reason)
        if d.read_points is not None:
            p = d.read_points(text)
            assert np.all(np.isfinite(p.value.xy)) and (p.ok or p.reason)
