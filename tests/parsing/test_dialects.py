"""VLM output dialects: each reads its documented form to the right pixel boxes.

Golden table, one labelled row per case. Image size (1000, 500) throughout, so that an
axis-order mistake (x and y swapped) or a frame mistake changes the numbers. Expected
values are computed by hand in the comment of each row from the format's definition
(cited in the reader modules of ``rewardkit.parsing.dialects``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rewardkit import read_vlm_output
from rewardkit.parsing.dialects import (
    DIALECTS,
    Dialect,
    dialect_names,
    get_dialect,
    register_dialect,
)
from rewardkit.parsing.dialects.tokens import kosmos2_patch_box
from rewardkit.parsing.frames import qwen25vl_resize

P = pytest.param


def close(got, want, atol=1e-9):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), rtol=0, atol=atol)


SIZE = (1000, 500)  # width, height: norm1000 x -> x * 1, y -> y / 2

BOXES = [
    # dialect, text, expected xyxy (pixels of a 1000 x 500 image), labels, scores
    P("visual_rft", "[{'Position': [100, 200, 300, 400], 'Confidence': 0.9}]", [[100, 100, 300, 200]], None, [0.9],
      id="visual_rft-norm1000"),
    P("visual_rft", '<think>t</think><answer>[{"bbox_2d": [100, 200, 300, 400], "label": "cat"}]</answer>',
      [[100, 100, 300, 200]], ("cat",), [math.nan], id="visual_rft-tagged-json"),
    P("qwen2_vl", "<|object_ref_start|>the cat<|object_ref_end|><|box_start|>(100,200),(300,400)<|box_end|>",
      [[100, 100, 300, 200]], ("the cat",), None, id="qwen2_vl-box-tokens"),
    P("qwen2_vl", "<|box_start|>(100,200),(300,400)<|box_end|> and <|box_start|>(0,0),(1000,1000)<|box_end|>",
      [[100, 100, 300, 200], [0, 0, 1000, 500]], None, None, id="qwen2_vl-two-boxes-no-ref"),
    # Qwen2.5-VL: resized 1000 x 500 -> 1008 x 504; [252, 126, 504, 252] * (1000/1008, 500/504)
    P("qwen2_5_vl", '```json\n[{"bbox_2d": [252, 126, 504, 252], "label": "cat"}]\n```', [[250, 125, 500, 250]],
      ("cat",), None, id="qwen2_5_vl-resized-pixels"),
    P("qwen3_vl", '```json\n[{"bbox_2d": [100, 200, 300, 400], "label": "cat"}]\n```', [[100, 100, 300, 200]],
      ("cat",), None, id="qwen3_vl-norm1000"),
    P("internvl", "<ref>the cat</ref><box>[[100, 200, 300, 400]]</box>", [[100, 100, 300, 200]], ("the cat",), None,
      id="internvl-ref-box"),
    P("internvl", "<ref>cats</ref><box>[[100, 200, 300, 400], [500, 0, 1000, 1000]]</box>",
      [[100, 100, 300, 200], [500, 0, 1000, 500]], ("cats", "cats"), None, id="internvl-two-boxes-one-ref"),
    P("internvl", "[[100, 200, 300, 400]]", [[100, 100, 300, 200]], None, None, id="internvl-bare-list"),
    # DeepSeek-VL2: 0..999 grid; 999 -> the full side
    P("deepseek_vl2", "<|ref|>the cat<|/ref|><|det|>[[0, 0, 999, 999]]<|/det|>", [[0, 0, 1000, 500]], ("the cat",), None,
      id="deepseek_vl2-full-image"),
    # PaliGemma: y first, 1024 bins: y1 256/1024*500=125, x1 128/1024*1000=125, y2 768 -> 375, x2 512 -> 500
    P("paligemma", "<loc0256><loc0128><loc0768><loc0512> cat", [[125, 125, 500, 375]], ("cat",), None,
      id="paligemma-y-first"),
    P("paligemma", "<loc0256><loc0128><loc0768><loc0512> cat ; <loc0000><loc0000><loc1024><loc1024> sky",
      [[125, 125, 500, 375], [0, 0, 1000, 500]], ("cat", "sky"), None, id="paligemma-two-objects"),
    P("paligemma", "<loc0256><loc0128><loc0768><loc0512>" + "<seg001>" * 16 + " cat", [[125, 125, 500, 375]], ("cat",),
      None, id="paligemma-with-mask-tokens"),
    # Florence-2: bin centres (N + 0.5) / 1000: x 99.5, y 199.5/1000*500 = 99.75, 299.5, 199.75
    P("florence2", "cat<loc_99><loc_199><loc_299><loc_399>", [[99.5, 99.75, 299.5, 199.75]], ("cat",), None,
      id="florence2-bin-centres"),
    P("florence2", "</s><s>cat<loc_99><loc_199><loc_299><loc_399><loc_0><loc_0><loc_9><loc_9>dog<loc_0><loc_0><loc_999><loc_999>",
      [[99.5, 99.75, 299.5, 199.75], [0.5, 0.25, 9.5, 4.75], [0.5, 0.25, 999.5, 499.75]], ("cat", "cat", "dog"), None,
      id="florence2-two-boxes-one-phrase"),
    # Gemini: box_2d = [ymin, xmin, ymax, xmax] on 0..1000
    P("gemini", '```json\n[{"box_2d": [200, 100, 400, 300], "label": "cat", "confidence": 0.8}]\n```',
      [[100, 100, 300, 200]], ("cat",), [0.8], id="gemini-y-first"),
    P("gemini", '{"boxes": [{"box_2d": [200, 100, 400, 300], "label": "bowl"}]}', [[100, 100, 300, 200]], ("bowl",),
      None, id="gemini-3-boxes-key"),
    P("moondream", '{"objects": [{"x_min": 0.1, "y_min": 0.2, "x_max": 0.3, "y_max": 0.4}]}', [[100, 100, 300, 200]],
      None, None, id="moondream-objects"),
    P("moondream", "{'objects': [{'x_min': 0.1, 'y_min': 0.2, 'x_max': 0.3, 'y_max': 0.4}]}", [[100, 100, 300, 200]],
      None, None, id="moondream-python-repr"),
    # Kosmos-2: cells 33 = (1, 1) and 198 = (6, 6) on 32 x 32 -> centres (1.5, 1.5, 6.5, 6.5) / 32
    P("kosmos2", "<grounding> An image of<phrase> a cat</phrase><object><patch_index_0033><patch_index_0198></object>.",
      [[46.875, 23.4375, 203.125, 101.5625]], ("a cat",), None, id="kosmos2-centres"),
    # same row (0 and 31): outer edges [0, 0, 32, 1] / 32
    P("kosmos2", "<object><patch_index_0000><patch_index_0031></object>", [[0, 0, 1000, 15.625]], None, None,
      id="kosmos2-one-row-edges"),
    P("kosmos2", "<phrase>dogs</phrase><object><patch_index_0033><patch_index_0198></delimiter_of_multi_objects/>"
      "<patch_index_0000><patch_index_0031></object>", [[46.875, 23.4375, 203.125, 101.5625], [0, 0, 1000, 15.625]],
      ("dogs", "dogs"), None, id="kosmos2-two-boxes-one-phrase"),
]


@pytest.mark.parametrize(("dialect", "text", "xyxy", "labels", "scores"), BOXES)
def test_dialect_boxes(dialect, text, xyxy, labels, scores):
    out = read_vlm_output(text, dialect, image_size=SIZE)
    assert out.reason is None, out.reason
    close(out.boxes.xyxy.tolist(), xyxy, atol=1e-9)
    assert out.boxes.labels == labels
    if scores is not None:
        got = out.boxes.scores.tolist()
        assert all((math.isnan(a) and math.isnan(b)) or a == pytest.approx(b) for a, b in zip(got, scores))


POINTS = [
    P("qwen2_5_vl", '[{"point_2d": [504, 252], "label": "cat"}]', [[500, 250]], id="qwen2_5_vl-point_2d"),
    P("qwen3_vl", '[{"point_2d": [500, 500], "label": "cat"}]', [[500, 250]], id="qwen3_vl-point_2d"),
    P("visual_rft", "[[500, 500], [100, 200]]", [[500, 250], [100, 100]], id="visual_rft-pairs"),
    # Gemini: point = [y, x] on 0..1000
    P("gemini", '[{"point": [250, 500], "label": "cat"}]', [[500, 125]], id="gemini-y-first"),
    P("moondream", '{"points": [{"x": 0.5, "y": 0.5}]}', [[500, 250]], id="moondream-points"),
    # Molmo: percent
    P("molmo", '<point x="10.0" y="40.0" alt="cat">cat</point>', [[100, 200]], id="molmo-point"),
    P("molmo", '<points x1="10" y1="20" x2="30" y2="40" alt="cats">cats</points>', [[100, 100], [300, 200]],
      id="molmo-points"),
    # Molmo 2: coords="image obj x y ..." on 0..1000
    P("molmo", '<points coords="1 1 900 700 2 900 800">tmp</points>', [[900, 350], [900, 400]], id="molmo2-coords"),
]


@pytest.mark.parametrize(("dialect", "text", "xy"), POINTS)
def test_dialect_points(dialect, text, xy):
    out = read_vlm_output(text, dialect, image_size=SIZE)
    assert out.points is not None
    close(out.points.xy.tolist(), xy, atol=1e-9)


def test_molmo_point_labels_and_no_boxes():
    out = read_vlm_output('<point x="10" y="40" alt="a cat">a cat</point>', "molmo", image_size=SIZE)
    assert out.point_labels == ("a cat",) and len(out.boxes) == 0 and out.ok
    assert get_dialect("molmo").read_boxes is None


def test_molmo_legacy_documented_example():
    """allenai/molmo tests (test_legacy_extract_points): 12 points of 'purple plates' on a
    360 x 640 image; the first is (23.0 % of 360, 17.7 % of 640) = (82.8, 113.28)."""
    text = (' <points x1="23.0" y1="17.7" x2="38.2" y2="24.1" x3="43.5" y3="5.0" x4="44.6" y4="13.8" x5="54.9" '
            'y5="20.4" x6="59.6" y6="7.7" x7="67.9" y7="12.3" x8="75.4" y8="25.0" x9="78.5" y9="7.7" x10="83.8" '
            'y10="20.3" x11="87.4" y11="12.5" x12="97.3" y12="17.3" alt="purple plates">purple plates</points>')
    out = read_vlm_output(text, "molmo", image_size=(360, 640))
    expected = [[82.8, 113.28], [137.52, 154.24], [156.6, 32.0], [160.56, 88.32], [197.64, 130.56], [214.56, 49.28],
                [244.44, 78.72], [271.44, 160.0], [282.6, 49.28], [301.68, 129.92], [314.64, 80.0], [350.28, 110.72]]
    close(out.points.xy.tolist(), expected, atol=1e-6)


def test_every_registered_dialect_reads_its_example():
    for name in dialect_names():
        d = get_dialect(name)
        out = read_vlm_output(d.example, name, image_size=(1000, 1000))
        assert out.ok, (name, out.reason)
        assert len(out.boxes) + (0 if out.points is None else len(out.points)) >= 1, name
        assert d.source and d.models


def test_examples_of_the_docs_page_agree_on_one_box():
    """The docs page shows the same cat in every dialect (1000 x 1000 image, about
    [254, 303, 602, 755]); each reading lands within 20 px of it (grids differ)."""
    for name in dialect_names():
        d = get_dialect(name)
        out = read_vlm_output(d.example, name, image_size=(1000, 1000))
        if name == "molmo":
            close(out.points.xy.tolist(), [[428.0, 529.0]])
            continue
        close(out.boxes.xyxy[0].tolist(), [254, 303, 602, 755], atol=20)


def test_qwen25vl_resize_used_with_pixel_bounds():
    w, h = qwen25vl_resize(1000, 500, max_pixels=100_000)
    out = read_vlm_output(f'[{{"bbox_2d": [0, 0, {w}, {h}]}}]', "qwen2_5_vl", image_size=SIZE, max_pixels=100_000)
    close(out.boxes.xyxy.tolist(), [[0, 0, 1000, 500]])


NEGATIVES = [
    P("gemini", "[]", id="gemini-empty-list"),
    P("paligemma", "No objects", id="paligemma-no-objects"),
    P("internvl", "none", id="internvl-none"),
    P("moondream", '{"objects": []}', id="moondream-empty"),
    P("qwen2_5_vl", "```json\n[]\n```", id="qwen2_5_vl-empty-fenced"),
]


@pytest.mark.parametrize(("dialect", "text"), NEGATIVES)
def test_negative_answers(dialect, text):
    out = read_vlm_output(text, dialect, image_size=SIZE)
    assert out.ok and len(out.boxes) == 0


FAILURES = [
    P("paligemma", "a cat in the middle", "unparseable", id="paligemma-prose"),
    P("qwen2_vl", '[{"bbox_2d": [1, 2, 3, 4]}]', "unparseable", id="qwen2_vl-reads-only-box-tokens"),
    P("deepseek_vl2", "<|ref|>cat<|/ref|><|det|>[[1, 2, 3", "unparseable", id="deepseek-cut-off"),
    P("kosmos2", "<phrase>cat</phrase><object><patch_index_0001>", "unparseable", id="kosmos2-unclosed"),
    P("florence2", "cat<loc_1><loc_2>", "unparseable", id="florence2-two-tokens"),
    P("gemini", '[{"box_2d": [1, 2, 3]}]', "unparseable", id="gemini-three-numbers"),
    P("visual_rft", "", "no_answer_tag", id="empty-completion"),
    P("visual_rft", "<think>[1, 2, 3, 4]</think>", "no_answer_tag", id="think-only"),
]


@pytest.mark.parametrize(("dialect", "text", "reason"), FAILURES)
def test_unreadable(dialect, text, reason):
    out = read_vlm_output(text, dialect, image_size=SIZE)
    assert out.reason == reason and len(out.boxes) == 0


def test_bad_coordinates_dropped_like_every_reader():
    out = read_vlm_output("<ref>a</ref><box>[[1, 2, 3, 4], [1e309, 0, 1, 1]]</box>", "internvl", image_size=SIZE)
    assert out.boxes.xyxy.tolist() == [[1, 1, 3, 2]]


def test_caller_errors_raise():
    with pytest.raises(KeyError, match="did you mean 'paligemma'"):
        read_vlm_output("x", "paligema", image_size=SIZE)
    with pytest.raises(ValueError, match="image_size"):
        read_vlm_output("[1, 2, 3, 4]", "qwen3_vl")
    with pytest.raises(ValueError, match="fixes its coordinate grid"):
        read_vlm_output("<loc0001><loc0001><loc0002><loc0002> a", "paligemma", image_size=SIZE, pred_frame="norm1000")
    with pytest.raises(ValueError, match="Expected pred_frame"):
        read_vlm_output("x", "qwen3_vl", image_size=SIZE, gt_frame="pixel")
    with pytest.raises(ValueError):
        register_dialect("not a dialect")  # type: ignore[arg-type]


def test_pred_frame_overrides_a_convention_frame():
    # a Qwen2.5-VL model prompted for 0..1000 (many R1 recipes) writes the JSON dialect in norm1000
    out = read_vlm_output('[{"bbox_2d": [100, 200, 300, 400]}]', "qwen2_5_vl", image_size=SIZE, pred_frame="norm1000")
    assert out.boxes.xyxy.tolist() == [[100, 100, 300, 200]] and out.frame == "norm1000"


def test_pixel_frame_needs_no_size():
    out = read_vlm_output("[10, 20, 30, 40]", "visual_rft", pred_frame="pixel")
    assert out.boxes.xyxy.tolist() == [[10, 20, 30, 40]]


def test_registry_is_extensible():
    from rewardkit.parsing.boxes import parse_boxes

    d = register_dialect(Dialect("test_norm1", "norm1", parse_boxes, models="test", example="[0.1, 0.2, 0.3, 0.4]"))
    try:
        out = read_vlm_output("[0.1, 0.2, 0.3, 0.4]", "test_norm1", image_size=SIZE)
        close(out.boxes.xyxy.tolist(), [[100, 100, 300, 200]])
    finally:
        DIALECTS.pop(d.name)


def test_kosmos2_patch_box_same_cell_is_the_cell():
    assert kosmos2_patch_box(33, 33) == [1 / 32, 1 / 32, 2 / 32, 2 / 32]


HOSTILE = {
    "unclosed-ref": "<ref>" * 20_000 + "<box>[[1, 2, 3, 4]]</box>",
    "unclosed-det": "<|det|>" * 20_000,
    "loc-spam": "<loc0001>" * 15_000,
    "florence-loc-spam": "a<loc_1>" * 15_000,
    "patch-spam": "<object>" + "<patch_index_0001>" * 8_000,
    "point-no-close": "<point " * 20_000,
    "point-attr-letters": "<point " + "x" * 150_000 + ">",
    "deep-json": "[" * 50_000,
    "nan-boxes": '[{"box_2d": [NaN, 1, 2, 3]}]',
    "huge-numbers": "<ref>a</ref><box>[[" + "9" * 5_000 + ", 1, 2, 3]]</box>",
    "too-long": "a" * 300_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_never_raises(name):
    for dialect in dialect_names():
        out = read_vlm_output(HOSTILE[name], dialect, image_size=SIZE)
        assert out.boxes.xyxy.shape[1] == 4
