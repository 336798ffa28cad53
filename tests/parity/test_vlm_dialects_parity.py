"""Dialect readers against the references, on the references' own documented inputs.

* supervision (roboflow/supervision, ``Detections.from_vlm``; the ``dev`` extra): the
  examples of its ``from_vlm`` docstring for PaliGemma, Qwen2.5-VL, Qwen3-VL, Gemini
  2.0 / 2.5, DeepSeek-VL2, Moondream and Kosmos-2, at the documented resolution and at a
  non-square one (so an x/y swap shows).
* transformers' own post-processors (pure functions, no model or hub): Kosmos-2's
  ``clean_text_and_extract_entities_with_bboxes`` and Florence-2's
  ``Florence2PostProcessor.parse_description_with_bboxes_from_text_and_spans``.

supervision takes Qwen2.5-VL's ``input_wh`` (the size the model saw) explicitly;
rewardkit derives it from the original size by the processor's resize rule, so the
comparison passes ``input_wh=qwen25vl_resize(*image_size)``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from rewardkit import read_vlm_output
from rewardkit.parsing.frames import qwen25vl_resize

sv = pytest.importorskip("supervision")

QWEN = """```json
[
    {"bbox_2d": [139, 768, 315, 954], "label": "cat"},
    {"bbox_2d": [366, 679, 536, 849], "label": "dog"}
]
```"""
GEMINI = """```json
    [
        {"box_2d": [543, 40, 728, 200], "label": "cat", "id": 1},
        {"box_2d": [653, 352, 820, 522], "label": "dog", "id": 2}
    ]
```"""
DEEPSEEK = ("<|ref|>The giraffe at the back<|/ref|><|det|>[[580, 270, 999, 904]]<|/det|><|ref|>The giraffe at the "
            "front<|/ref|><|det|>[[26, 31, 632, 998]]<|/det|><|end▁of▁sentence|>")
MOONDREAM = {"objects": [
    {"x_min": 0.5704046934843063, "y_min": 0.20069346576929092, "x_max": 0.7049859315156937, "y_max": 0.3012596592307091},
    {"x_min": 0.6210969910025597, "y_min": 0.3300672620534897, "x_max": 0.8417936339974403, "y_max": 0.4961046129465103},
]}
KOSMOS_TEXT = ("<grounding> An image of<phrase> a snowman</phrase><object><patch_index_0044><patch_index_0863></object> "
               "warming himself by<phrase> a fire</phrase><object><patch_index_0005><patch_index_0911></object>.")
SIZES = [(1000, 1000), (640, 480)]


def _same(ours, xyxy, labels=None, atol=1e-6):
    np.testing.assert_allclose(ours.boxes.xyxy, np.asarray(xyxy, dtype=np.float64), rtol=0, atol=atol)
    if labels is not None:
        assert list(ours.boxes.labels) == [str(x) for x in labels]


@pytest.mark.parametrize("size", SIZES)
def test_paligemma(size):
    text = "<loc0256><loc0256><loc0768><loc0768> cat"
    ref = sv.Detections.from_vlm(sv.VLM.PALIGEMMA, text, resolution_wh=size)
    _same(read_vlm_output(text, "paligemma", image_size=size), ref.xyxy, ref.data["class_name"])


@pytest.mark.parametrize("size", SIZES)
def test_qwen_2_5_vl(size):
    ref = sv.Detections.from_vlm(sv.VLM.QWEN_2_5_VL, QWEN, input_wh=qwen25vl_resize(*size), resolution_wh=size)
    _same(read_vlm_output(QWEN, "qwen2_5_vl", image_size=size), ref.xyxy, ref.data["class_name"])


@pytest.mark.parametrize("size", SIZES)
def test_qwen_3_vl(size):
    ref = sv.Detections.from_vlm(sv.VLM.QWEN_3_VL, QWEN, resolution_wh=size)
    _same(read_vlm_output(QWEN, "qwen3_vl", image_size=size), ref.xyxy, ref.data["class_name"])


@pytest.mark.parametrize("vlm", ["GOOGLE_GEMINI_2_0", "GOOGLE_GEMINI_2_5"])
@pytest.mark.parametrize("size", SIZES)
def test_gemini(vlm, size):
    ref = sv.Detections.from_vlm(getattr(sv.VLM, vlm), GEMINI, resolution_wh=size)
    _same(read_vlm_output(GEMINI, "gemini", image_size=size), ref.xyxy, ref.data["class_name"])


@pytest.mark.parametrize("size", SIZES)
def test_deepseek_vl_2(size):
    ref = sv.Detections.from_vlm(sv.VLM.DEEPSEEK_VL_2, DEEPSEEK, resolution_wh=size)
    # supervision returns float32
    _same(read_vlm_output(DEEPSEEK, "deepseek_vl2", image_size=size), ref.xyxy, ref.data["class_name"], atol=1e-3)


@pytest.mark.parametrize("size", SIZES)
def test_moondream(size):
    ref = sv.Detections.from_vlm(sv.VLM.MOONDREAM, MOONDREAM, resolution_wh=size)
    _same(read_vlm_output(json.dumps(MOONDREAM), "moondream", image_size=size), ref.xyxy)
    _same(read_vlm_output(repr(MOONDREAM), "moondream", image_size=size), ref.xyxy)


@pytest.mark.parametrize("size", SIZES)
def test_kosmos_2(size):
    """Raw generated text -> transformers' post-processor -> supervision, against
    rewardkit's reader of the raw text."""
    kosmos = pytest.importorskip("transformers.models.kosmos2.processing_kosmos2")
    result = kosmos.clean_text_and_extract_entities_with_bboxes(KOSMOS_TEXT)
    ref = sv.Detections.from_vlm(sv.VLM.KOSMOS_2, result, resolution_wh=size)
    _same(read_vlm_output(KOSMOS_TEXT, "kosmos2", image_size=size), ref.xyxy, ref.data["class_name"])


def test_kosmos_2_documented_entities():
    """supervision's documented Kosmos-2 result: cells (8, 0) and (22, 31) -> centres."""
    pytest.importorskip("transformers")
    text = "An image of<phrase> a cat</phrase><object><patch_index_0008><patch_index_1014></object>"
    out = read_vlm_output(text, "kosmos2", image_size=(1000, 1000))
    _same(out, [[265.625, 15.625, 703.125, 984.375]], ["a cat"])


class _NoTokens:
    all_special_tokens: list[str] = []


@pytest.mark.parametrize("size", SIZES)
def test_florence_2_processor(size):
    """Florence-2's post-processor dequantizes to bin centres and truncates to whole
    pixels; rewardkit keeps the fraction: floor(ours) == the processor's."""
    pytest.importorskip("torch")
    fl = pytest.importorskip("transformers.models.florence2.processing_florence2")
    post = fl.Florence2PostProcessor(config={}, tokenizer=_NoTokens())
    text = "</s><s>car<loc_52><loc_333><loc_932><loc_774>wheel<loc_108><loc_570><loc_285><loc_774><loc_700><loc_571><loc_878><loc_773></s>"
    ref = post.parse_description_with_bboxes_from_text_and_spans(text, image_size=size)
    ours = read_vlm_output(text, "florence2", image_size=size)
    assert [r["cat_name"] for r in ref] == list(ours.boxes.labels)
    np.testing.assert_array_equal(np.floor(ours.boxes.xyxy), np.asarray([r["bbox"] for r in ref], dtype=np.float64))
