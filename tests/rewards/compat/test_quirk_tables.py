"""Quirk tables: one row per public-code behaviour a ``compat=`` mode must reproduce.

Each public score below was derived by reading the public code (no public code runs):

* Visual-RFT: github.com/Liuziyu77/Visual-RFT @ 94866331ff38c516581697882a00f947c8bfda8a
  (``src/virft/src/open_r1/grpo.py``, ``grpo_classification.py``, ``grpo_lisa.py``);
* VLM-R1: github.com/om-ai-lab/VLM-R1 @ 90052f478646e38bc67363862f699b7afca6b337
  (``src/open-r1-multimodal/src/open_r1/vlm_modules/qwen_module.py``, ``grpo_jsonl.py``);
* Vision-R1: github.com/jefferyZhan/Griffon @ 9866875e7d18e705239f3e03115a55aef30ab635
  (``Vision-R1/vision_r1/visionr1_qwen.py``);
* Seg-R1: github.com/geshang777/Seg-R1 (snapshot chenqiu1024/Seg-R1 @
  ca1256fae478fcf89cbcbfdfd8caef105d285bce, ``seg-r1/src/open_r1/grpo.py``);
* R1-V: github.com/Deep-Agent/R1-V @ bbbbe3dc1ea6a74ce31c118c1722b1ee73e372ba.

``T = "<think>t</think>"``. The docs pages (``docs/rewards-*.md``, "Compat modes") show
the same rows next to rewardkit's default score.
"""

from __future__ import annotations

import numpy as np
import pytest

from rewardkit.registry import get_spec
from rewardkit.rewards.compat import COMPAT_MODES, resolve_compat

pytest.importorskip("math_verify")
pytest.importorskip("json_repair")

T = "<think>t</think>"
G1 = [[10, 20, 110, 120]]
GL = {"boxes": [[10, 20, 110, 120]], "labels": ["cat"]}
GV = {"boxes": [[100, 100, 300, 300], [500, 500, 700, 800]], "labels": ["a", "b"]}
V2 = '[{"bbox_2d": [100, 100, 300, 300], "label": "a"}, {"bbox_2d": [500, 500, 700, 800], "label": "b"}]'
J = '[{"bbox_2d": [10, 20, 110, 120], "label": "cat"}]'
SEG_GT = np.zeros((768, 768), bool)
SEG_GT[100:300, 200:500] = True
P = pytest.param

ROWS = [
    # Visual-RFT classification: first single-line block, else the whole text; substring rule
    P("visual_rft.classification", T + "<answer>rose</answer><answer>tiger lily</answer>", "rose", 2.0, id="vrft-cls-first-block"),
    P("visual_rft.classification", T + "<answer>Boeing 73", "Boeing 737", 0.0, id="vrft-cls-unclosed-whole-text"),
    P("visual_rft.classification", T + "<answer>\na\n</answer>", "apple", 1.0, id="vrft-cls-multiline-not-read"),
    P("visual_rft.classification", T + "<answer></answer>", "rose", 2.0, id="vrft-cls-empty-answer-pays"),
    P("visual_rft.classification", T + "<answer>BMW</answer>", "2012 BMW 1 Series Convertible", 2.0, id="vrft-cls-prefix-pays"),
    P("visual_rft.classification", T + "<answer>rose</answer>\n", "rose", 1.0, id="vrft-cls-trailing-newline-format-0"),
    # Visual-RFT detection (math-verify reads the y1 of the first box here)
    P("visual_rft.detection", T + "<answer>[{'Position': [10, 20, 110, 120], 'Confidence': 0.9}]</answer>", G1, 3.0, id="vrft-det-precheck-ignores-confidence"),
    P("visual_rft.detection", T + "<answer>[{'Position': [500, 20, 600, 90], 'Confidence': 0.9}]</answer>", G1, 3.0, id="vrft-det-precheck-stray-number"),
    P("visual_rft.detection", T + "<answer>\n[{'Position': [12, 22, 110, 120], 'Confidence': 0.9}]\n</answer>", G1, 1.0, id="vrft-det-multiline-not-read"),
    P("visual_rft.detection", T + "<answer>[{'Position': [12, 22, 110, 120]}]</answer>", G1, 1.0, id="vrft-det-missing-confidence-0"),
    P("visual_rft.detection", T + "<answer>[{'Position': [12, 22, 110, 120], 'Confidence': 0.9}, {'Position': [12, 22, 110, 120], 'Confidence': 0.9}]</answer>",
      G1, 1.0 + 0.9604 + 0.9, id="vrft-det-duplicates-removed"),
    P("visual_rft.detection", T + "<answer>[{'Position': [12, 22, 110, 120], 'Confidence': 1.7}, {'Position': [500, 500, 600, 600], 'Confidence': 0.5}]</answer>",
      G1, 1.0 + 0.9604 / 2 + 1.0, id="vrft-det-confidence-clipped-after-mean"),
    P("visual_rft.detection", T + "<answer>[]</answer>", [], 1.0, id="vrft-det-empty-answer-crashes-to-0"),
    # Visual-RFT LISA (GIoU + 1)
    P("grounding.giou_plus_one", T + "<answer>(10,20),(110,120)</answer>", G1, 2.0, id="lisa-exact-string-2"),
    P("grounding.giou_plus_one", T + "<answer>(12,20),(110,120),(500,500),(600,600)</answer>", G1, 1.0385704478003452, id="lisa-two-boxes-top-left-corners"),
    P("grounding.giou_plus_one", T + "<answer>(10.5,20),(110,120)</answer>", G1, 0.0, id="lisa-float-not-read"),
    # corners not ordered by the public reward: GT (0.01,0.02)-(0.11,0.12), answer corners
    # (0.9,0.9),(0,0): inter 0, union 0.01 + 0.81 = 0.82, enclosing area 0.1 * 0.1 = 0.01,
    # GIoU = 0 - (0.01 - 0.82) / 0.01 = 81, + 1 = 82: far outside [0, 2], as released
    P("grounding.giou_plus_one", T + "<answer>(900,900),(0,0)</answer>", G1, 82.0, id="lisa-inverted-corners-unbounded"),
    # VLM-R1 REC
    P("vlm_r1.rec_iou", T + "<answer>[10.5, 20, 110, 120]</answer>", G1, 0.0, id="rec-float-not-read"),
    P("vlm_r1.rec_iou", T + "<answer>[ 10, 20, 110, 120 ]</answer>", G1, 0.0, id="rec-space-after-bracket"),
    P("vlm_r1.rec_iou", T + "<answer>[110, 120, 10, 20]</answer>", G1, 0.0, id="rec-inverted"),
    P("vlm_r1.rec_iou", T + "<answer>[10, 20, 110, 120]", G1, 0.0, id="rec-cut-off"),
    P("vlm_r1.rec_iou", T + "<ANSWER>[10, 20, 110, 120]</ANSWER>", G1, 0.0, id="rec-upper-case-tags"),
    P("vlm_r1.rec_iou", T + "<answer>[0, 0, 5, 5]</answer><answer>[10, 20, 110, 120]</answer>", G1, 0.0, id="rec-first-block"),
    P("vlm_r1.rec_iou", T + "<answer>[10, 20, 110, 120], [500, 500, 600, 600]</answer>", G1, 1.0, id="rec-first-box-of-several"),
    P("vlm_r1.rec_iou", T + "<answer><|box_start|>(10,20),(110,120)<|box_end|></answer>", G1, 0.0, id="rec-box-tokens"),
    P("vlm_r1.rec_iou", T + "<answer>[10, 20, 11, 120]</answer>", G1, 0.0, id="rec-plus-one-1px-overlap"),
    # VLM-R1 OD
    P("vlm_r1.od_ap", T + f"<answer>{J}</answer>", GL, 0.0, id="od-bare-json-no-fence"),
    P("vlm_r1.od_ap", T + f"<answer>```json\n{J}\n```</ANSWER>", GL, 0.0, id="od-upper-case-closing-tag"),
    P("vlm_r1.od_ap", T + '<answer>```json\n[{"bbox_2d": [110, 120, 10, 20], "label": "cat"}]\n```</answer>', GL, 0.0, id="od-inverted-box"),
    P("vlm_r1.od_ap", T + '<answer>```json\n[{"bbox_2d": [10, 20, 110, 120], "label": "Cat"}]\n```</answer>', GL, 0.0, id="od-label-case"),
    P("vlm_r1.od_ap", T + "<answer>None</answer>", {"boxes": []}, 1.0, id="od-none-on-empty"),
    P("vlm_r1.weighted_sum", T + '<answer>```json\n[{"bbox_2d": [10, 20, 110, 120]}]\n```</answer>', GL, "raises", id="ws-no-label-nameerror"),
    P("penalty.repetition", T + "<answer>```json\n[1, 2]\n```</answer>", None, "raises", id="rep-int-items-raise"),
    # Vision-R1 (released)
    P("vision_r1.localization", "<answer>" + V2 + "</answer>", GV, 2.0, id="vr1-tags-fail-format"),
    P("vision_r1.localization", V2[:-1] + ', {"bbox_2d": [0, 0, 5, 5], "label": "z"}, {"bbox_2d": [9, 9, 20, 20], "label": "z"}]', GV, 3.0, id="vr1-box-spam-free"),
    P("vision_r1.localization", V2.replace("100, 100, 300, 300", "300, 100, 100, 300"), GV, 2.5, id="vr1-inverted-dropped"),
    P("vision_r1.localization", V2.replace("100, 100, 300, 300", "100, 100, 100, 300"), GV, 2.5, id="vr1-zero-width-dropped"),
    P("vision_r1.localization", V2.replace("300, 300", "300.9, 300.9"), GV, 3.0, id="vr1-int-truncation"),
    P("vision_r1.localization", V2.replace(", ", ",")[:60], GV, 0.0, id="vr1-cut-off-compact-json-no-fallback"),
    P("vision_r1.dual_format", "5", GV, 1.0, id="vr1-bare-number-passes-format"),
    # Seg-R1
    P("seg_r1.mask", T + "<bbox>[200,100,500,300]</bbox>, <points>[[250,150]]</points>, <labels>[1]</labels>", SEG_GT, "seg", id="seg-layout-without-answer-tag"),
    P("seg_r1.mask", T + "<answer><bbox>[200, 100, 500, 300]</bbox></answer>", SEG_GT, 0.0, id="seg-point-required"),
    P("seg_r1.mask", T + "<bbox>[200.5,100,500,300]</bbox>, <points>[[250,150]]</points>, <labels>[1]</labels>", SEG_GT, 0.0, id="seg-float-bbox-not-read"),
    P("seg_r1.mask", T + "<bbox>[200,100,500,300]</bbox>, <points>[[250,150],[260,160]]</points>, <labels>[1]</labels>", SEG_GT, 0.0, id="seg-label-count-mismatch"),
    P("seg_r1.mask", T + "<bbox>[0200,100,500,300]</bbox>, <points>[[250,150]]</points>, <labels>[1]</labels>", SEG_GT, 0.0, id="seg-leading-zero-eval-fails"),
    # R1-V
    P("count.exact", T + "<answer>3.</answer>", 3, 0.0, id="r1v-count-trailing-dot"),
    P("count.exact", T + "<answer>three</answer>", 3, 0.0, id="r1v-count-word"),
    P("count.exact", T + "<answer>There are 3 dogs</answer>", 3, 1.0, id="r1v-count-math-verify-number"),
    P("format.think_answer", T + "<answer>a</answer>\n", None, 0.0, id="r1v-format-trailing-newline"),
    P("format.think_answer", T + "<answer>a</answer><answer>b</answer>", None, 1.0, id="r1v-format-two-answer-blocks"),
    P("format.think_answer", "<THINK>t</THINK><ANSWER>a</ANSWER>", None, 0.0, id="r1v-format-case"),
]


@pytest.mark.parametrize(("name", "completion", "gt", "public"), ROWS)
def test_compat_reproduces_public_quirk(name, completion, gt, public):
    mode = COMPAT_MODES[name][0]
    r = get_spec(name).fn(completion, gt, compat=mode)
    if public == "raises":
        assert r.reason == "public_code_raises"
        assert r.score == get_spec(name).range[0]
    elif public == "seg":
        # 0.7 IoU + 0.3 (1 - mean(pred)) + format 1: the S term ignores the ground truth
        assert r.components["format"] == 1.0
        assert r.components["s_measure"] == pytest.approx(1 - r.details["pred_area"] / 768**2)
        assert r.score == pytest.approx(0.7 * r.components["iou"] + 0.3 * r.components["s_measure"] + 1.0)
        assert r.details["segmenter_color_order"] == "bgr"
    else:
        assert r.score == pytest.approx(public, abs=1e-12), (r, r.details)


def test_aliases_and_errors():
    assert resolve_compat("visual_rft.classification", "substring") == "visual_rft"
    assert resolve_compat("vision_r1.localization", "released_code") == "vision_r1"
    assert resolve_compat("count.exact", None) is None
    with pytest.raises(ValueError, match="compat"):
        resolve_compat("vlm_r1.rec_iou", "visual_rft")
    with pytest.raises(ValueError, match="compat"):
        get_spec("count.exact").fn(T + "<answer>3</answer>", 3, compat="public")
    # compat compares coordinates as written: frames must agree (or the Qwen2.5-VL resize)
    with pytest.raises(ValueError, match="pred_frame"):
        get_spec("visual_rft.detection").fn(T + "<answer>[]</answer>", G1, compat="visual_rft", pred_frame="norm1")


def test_missing_extra_names_it(monkeypatch):
    import sys

    from rewardkit.rewards import compat

    monkeypatch.setitem(sys.modules, "math_verify", None)
    compat._parse_gold.cache_clear()
    with pytest.raises(ImportError, match=r"rewardkit\[compat\]"):
        get_spec("count.exact").fn(T + "<answer>3</answer>", 3, compat="r1_v")


def test_vlm_r1_rec_qwen_resize():
    # Qwen2.5-VL answers in the processor's pixels; the public code resizes to the original
    w, h = 1000, 500  # -> 1008 x 504 input pixels
    c = T + "<answer>[100, 100, 504, 302]</answer>"
    r = get_spec("vlm_r1.rec_iou").fn(c, [[100 / 1008 * 1000, 100 / 504 * 500, 504 / 1008 * 1000, 302 / 504 * 500]],
                                      compat="vlm_r1", pred_frame="qwen25vl", gt_frame="pixel", image_size=(w, h))
    assert r.score == pytest.approx(1.0)


def test_bad_ground_truth_under_compat():
    # the public OD code reads gt["label"]: unlabelled ground truth does not apply
    r = get_spec("vlm_r1.od_ap").fn(T + "<answer>```json\n[]\n```</answer>", [[0, 0, 10, 10]], compat="vlm_r1")
    assert r.score is None and r.reason == "bad_ground_truth"
    r = get_spec("vlm_r1.rec_iou").fn(T + "<answer>[0, 0, 10, 10]</answer>", [[0, 0, 10, 10], [5, 5, 9, 9]], compat="vlm_r1")
    assert r.score is None and r.reason == "bad_ground_truth"


def test_vision_r1_boxes_without_objects_raise_publicly():
    r = get_spec("vision_r1.localization").fn('[{"bbox_2d": [1, 2, 30, 40], "label": "a"}]', [], compat="vision_r1")
    assert r.reason == "public_code_raises" and r.score == 0.0
    # no box on an image without objects: recall = precision = 1, format inverted
    r = get_spec("vision_r1.localization").fn("nothing here", [], compat="vision_r1")
    assert dict(r.components) == {"format": 1.0, "recall": 1.0, "precision": 1.0}


def test_too_long_and_batch_path():
    big = T + "<answer>" + "x" * 300_000 + "</answer>"
    assert get_spec("count.exact").fn(big, 3, compat="r1_v").reason == "too_long"
    spec = get_spec("visual_rft.detection")
    cs = [T + "<answer>[{'Position': [12, 22, 110, 120], 'Confidence': 0.9}]</answer>", T + "<answer>[]</answer>"]
    batch = spec.batch(cs, G1, compat="visual_rft")
    assert [b.score for b in batch] == [spec.fn(c, G1, compat="visual_rft").score for c in cs]


def test_seg_r1_compat_encodes_the_image_with_swapped_channels():
    """The released SAMWrapper converts an RGB image with cv2.COLOR_BGR2RGB: the compat
    mode asks the segmenter for ``channel_swap=True``; the default path does not."""
    from rewardkit.geometry.segmenters import GeometricSegmenter

    seen = []

    class Spy(GeometricSegmenter):
        def state_for(self, image, *, channel_swap=None):
            seen.append(channel_swap)
            return super().state_for(image, channel_swap=channel_swap)

    c = T + "<bbox>[200,100,500,300]</bbox>, <points>[[250,150]]</points>, <labels>[1]</labels>"
    get_spec("seg_r1.mask").fn(c, SEG_GT, compat="seg_r1", segmenter=Spy())
    get_spec("seg_r1.mask").fn(c, SEG_GT, segmenter=Spy())
    assert seen[0] is True
    assert all(s is not True for s in seen[1:])
