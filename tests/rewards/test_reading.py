"""Reading across the box rewards: answer modes, dialects, frames, bad ground truth.

Issue 9's "done when": bare and tagged Qwen2.5-VL completions get the same accuracy
components from every box reward (the format components stay strict), and ground truth
with inverted corners or outside the image is ``score=None, reason="bad_ground_truth"``
with what was wrong, everywhere.
"""

from __future__ import annotations

import inspect
import pickle

import pytest

from rewardkit import Reading
from rewardkit.registry import get_reward, get_spec, list_rewards, score
from rewardkit.rewards.grounding import grounding_reward
from rewardkit.rewards.localization import dual_format_reward

IMAGE = (1000, 500)  # Qwen2.5-VL resizes it to 1008 x 504
GT_PIXEL = {"boxes": [[250, 125, 500, 250]], "labels": ["cat"]}
# the same box in the processor's resized pixels: x * 1.008, y * 1.008
QWEN_JSON = '```json\n[{"bbox_2d": [252, 126, 504, 252], "label": "cat"}]\n```'
BARE = QWEN_JSON
TAGGED = f"<think>The cat is on the left.</think>\n<answer>{QWEN_JSON}</answer>"
THINK_THEN_BARE = f"<think>The cat is on the left.</think>\n{QWEN_JSON}"

BOX_REWARDS = sorted(
    n for n in list_rewards() if get_spec(n).reading is not None and "dialect" in get_spec(n).reading_fields
    and get_spec(n).task in ("detection", "grounding", "format")
)
FORMAT_COMPONENTS = {"format"}


def test_the_box_rewards_are_all_covered():
    assert {"visual_rft.detection", "detection.f1", "grounding.iou", "grounding.accuracy", "vlm_r1.rec_iou",
            "vlm_r1.od_ap", "vlm_r1.weighted_sum", "vision_r1.localization", "vision_r1.dual_format",
            "penalty.repetition"} <= set(BOX_REWARDS)


@pytest.mark.parametrize("name", BOX_REWARDS)
def test_bare_and_tagged_qwen25vl_get_the_same_accuracy(name):
    params = {"dialect": "qwen2_5_vl", "gt_frame": "pixel", "image_size": IMAGE}
    tagged = score(TAGGED, GT_PIXEL, reward=name, **params)
    for bare in (BARE, THINK_THEN_BARE):
        r = score(bare, GT_PIXEL, reward=name, **params)
        acc = {k: v for k, v in r.components.items() if k not in FORMAT_COMPONENTS or name.endswith("dual_format")}
        want = {k: v for k, v in tagged.components.items() if k not in FORMAT_COMPONENTS or name.endswith("dual_format")}
        assert acc == pytest.approx(want), (name, bare[:20], dict(r.components), dict(tagged.components))
    if name != "penalty.repetition":
        assert tagged.score == pytest.approx(get_spec(name).range[1]), (name, dict(tagged.components))


@pytest.mark.parametrize("name", ["visual_rft.detection", "vision_r1.localization"])
def test_bare_answer_loses_only_the_format_credit(name):
    params = {"dialect": "qwen2_5_vl", "gt_frame": "pixel", "image_size": IMAGE}
    r = score(BARE, GT_PIXEL, reward=name, **params)
    t = score(TAGGED, GT_PIXEL, reward=name, **params)
    if name == "visual_rft.detection":  # the strict think/answer format
        assert t.components["format"] == 1.0 and r.components["format"] == 0.0
        assert r.score == pytest.approx(t.score - 1.0)
    else:  # Vision-R1's dual format is a template check: a bare JSON list holds it
        assert r.score == t.score == 3.0


@pytest.mark.parametrize("name", BOX_REWARDS)
def test_tags_mode_is_the_old_behaviour(name):
    r = score(BARE, GT_PIXEL, reward=name, dialect="qwen2_5_vl", gt_frame="pixel", image_size=IMAGE, answer="tags")
    if name == "penalty.repetition":
        assert r.score == 0.0
    else:
        assert r.score == get_spec(name).range[0] and r.reason == "no_answer_tag", (name, r)


def test_issue_example_grounding_with_frames_instead_of_dialect():
    # `--pred-frame qwen25vl --gt-frame pixel` on a bare completion: 0 before issue 9
    r = grounding_reward(BARE, [250, 125, 500, 250], pred_frame="qwen25vl", gt_frame="pixel", image_size=IMAGE)
    assert r.score == pytest.approx(1.0)


def test_reading_value_equals_keywords():
    rd = Reading(dialect="qwen2_5_vl", gt_frame="pixel", image_size=IMAGE)
    a = grounding_reward(BARE, [250, 125, 500, 250], reading=rd)
    b = grounding_reward(BARE, [250, 125, 500, 250], dialect="qwen2_5_vl", gt_frame="pixel", image_size=IMAGE)
    c = grounding_reward(BARE, [250, 125, 500, 250], reading={"dialect": "qwen2_5_vl", "gt_frame": "pixel"},
                         image_size=IMAGE)
    assert a.score == b.score == c.score == pytest.approx(1.0)


def test_keyword_overrides_the_reading_value():
    rd = Reading(dialect="qwen2_5_vl", gt_frame="pixel", image_size=IMAGE)
    assert grounding_reward(BARE, [250, 125, 500, 250], reading=rd, answer="tags").reason == "no_answer_tag"


def test_naming_a_dialect_uses_its_frame_over_the_reward_default():
    # point.in_mask reads pixels by default; naming a dialect reads in the dialect's frame
    import numpy as np

    from rewardkit.rewards.segmentation import point_in_mask_reward

    gt = np.zeros((500, 1000), bool)
    gt[100:200, 100:300] = True
    assert point_in_mask_reward('<point x="20" y="30" alt="a">a</point>', gt, dialect="molmo").score == 1.0
    assert point_in_mask_reward("[200, 150]", gt).score == 1.0


def test_registry_lists_every_reading_keyword_with_its_default():
    spec = get_spec("grounding.iou")
    for k, v in {"answer": "auto", "dialect": "visual_rft", "pred_frame": None, "gt_frame": "norm1000",
                 "image_size": None, "min_pixels": None, "max_pixels": None}.items():
        assert spec.params[k] == v, k
    assert isinstance(spec.params["reading"], Reading)
    assert get_spec("seg_r1.mask").params["pred_frame"] == "seg_r1"
    assert set(get_spec("visual_rft.classification").params) >= {"answer", "reading"}
    assert "pred_frame" not in get_spec("visual_rft.classification").params
    sig = inspect.signature(grounding_reward)
    assert sig.parameters["dialect"].default == "visual_rft"


def test_unknown_reading_keyword_for_a_text_reward():
    with pytest.raises(ValueError, match="unknown parameter"):
        get_reward("visual_rft.classification", pred_frame="pixel")


def test_bad_reading_values_raise():
    with pytest.raises(ValueError, match="answer"):
        score(BARE, GT_PIXEL, reward="grounding.iou", answer="bare")
    with pytest.raises(KeyError, match="dialect"):
        score(BARE, GT_PIXEL, reward="grounding.iou", dialect="qwen25")
    with pytest.raises(ValueError, match="writes points only"):
        score(BARE, GT_PIXEL, reward="grounding.iou", dialect="molmo")


def test_reward_objects_with_a_reading_pickle():
    r = get_reward("grounding.iou", reading=Reading(dialect="gemini"))
    r2 = pickle.loads(pickle.dumps(r))
    assert r2.params["reading"] == Reading(dialect="gemini")
    assert r2('[{"box_2d": [200, 100, 400, 300]}]', [100, 200, 300, 400]).score == pytest.approx(1.0)


# ------------------------------------------------------------------- bad ground truth

BAD_GT = [
    pytest.param([[300, 400, 100, 200]], "inverted corners", id="inverted"),
    pytest.param([[100, 200, 1300, 400]], "inside the image", id="outside-norm1000"),
    pytest.param([[-50, 200, 300, 400]], "inside the image", id="negative"),
]


@pytest.mark.parametrize(("gt", "what"), BAD_GT)
@pytest.mark.parametrize("name", [n for n in BOX_REWARDS if n != "penalty.repetition"] + ["point.in_box"])
def test_bad_ground_truth_everywhere(name, gt, what):
    """(penalty.repetition reads no ground truth.)"""
    r = score("<think>t</think><answer>[100, 200, 300, 400]</answer>", gt, reward=name)
    assert r.score is None and r.reason == "bad_ground_truth", (name, r)
    assert what in r.details["error"]


def test_bad_ground_truth_in_score_batch():
    rs = get_reward("visual_rft.detection").score_batch(["<answer>[1, 2, 3, 4]</answer>"] * 3, [[300, 400, 100, 200]])
    assert [r.reason for r in rs] == ["bad_ground_truth"] * 3


def test_ground_truth_outside_a_pixel_image():
    gt = {"boxes": [[10, 10, 700, 100]], "image_size": [640, 480]}
    r = score("<answer>[10, 10, 600, 100]</answer>", gt, reward="grounding.iou", pred_frame="pixel", gt_frame="pixel")
    assert r.score is None and "640 x 480" in r.details["error"]
    # within 1% of the edge (rounding of pixel annotations): accepted
    ok = {"boxes": [[10, 10, 644, 100]], "image_size": [640, 480]}
    assert score("<answer>[10, 10, 640, 100]</answer>", ok, reward="grounding.iou", pred_frame="pixel", gt_frame="pixel").score > 0.9
    # pixel frame without a size: only the lower bound is known
    assert score("<answer>[10, 10, 900, 100]</answer>", [[10, 10, 900, 100]], reward="grounding.iou",
                 pred_frame="pixel", gt_frame="pixel").score == 1.0


# ------------------------------------------------------------------- dual format fence


DUAL = [
    pytest.param('```json\n[{"bbox_2d": [10, 20, 300, 400], "label": "cat"}]\n```', 1.0, None, id="fence-only"),
    pytest.param('Here are the boxes:\n```json\n[{"bbox_2d": [10, 20, 300, 400], "label": "cat"}]\n```', 0.0,
                 "bad_template", id="text-before-fence-bare"),
    pytest.param('<answer>Here:\n```json\n[{"bbox_2d": [10, 20, 300, 400], "label": "cat"}]\n```</answer>', 0.0,
                 "bad_template", id="text-before-fence-in-tags"),
    pytest.param('<answer>```json\n[{"bbox_2d": [10, 20, 300, 400], "label": "cat"}]\n```\nDone.</answer>', 0.0,
                 "bad_template", id="text-after-fence-in-tags"),
    pytest.param('<answer>```json\n[{"bbox_2d": [10, 20, 300, 400], "label": "cat"}]\n```</answer>', 1.0, None,
                 id="fence-in-tags"),
]


@pytest.mark.parametrize(("completion", "expected", "reason"), DUAL)
def test_dual_format_refuses_text_around_the_fence(completion, expected, reason):
    r = dual_format_reward(completion)
    assert r.score == expected and r.reason == reason


def test_seg_r1_released_layout_is_read_in_auto():
    """Seg-R1's released prompts write the prompts without an answer tag; ``auto`` reads
    them, the format stays strict (no answer block: 0)."""
    import numpy as np

    from rewardkit.rewards.segmentation import seg_r1_mask_reward

    gt = np.zeros((768, 768), bool)
    gt[100:300, 200:500] = True
    released = "<think>the mask</think><bbox>[200, 100, 500, 300]</bbox>, <points>[[350, 200]]</points>, <labels>[1]</labels>"
    tagged = f"<think>the mask</think><answer>{released.split('</think>')[1]}</answer>"
    r, t = seg_r1_mask_reward(released, gt), seg_r1_mask_reward(tagged, gt)
    assert r.components["iou"] == t.components["iou"] > 0 and r.components["s_measure"] == t.components["s_measure"]
    assert (r.components["format"], t.components["format"]) == (0.0, 1.0)
    box_only = "<think>the mask</think><bbox>[200, 100, 500, 300]</bbox>"
    assert dict(seg_r1_mask_reward(box_only, gt).components) == {"iou": 1.0, "s_measure": 1.0, "format": 0.0}
    assert seg_r1_mask_reward(released, gt, answer="tags").reason == "no_answer_tag"
