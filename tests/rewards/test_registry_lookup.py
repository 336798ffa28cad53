"""Registry surface: lookup errors with suggestions, listing, Reward objects."""

from __future__ import annotations

import pickle

import pytest

import rewardkit
from rewardkit.registry import Reward, get_reward, get_spec, list_rewards, score

CORE = [
    "format.think_answer", "format.tag_count", "visual_rft.detection", "visual_rft.classification",
    "grounding.iou", "grounding.iou_squared", "grounding.giou_plus_one", "grounding.accuracy",
    "count.exact", "detection.f1", "point.in_box",
]


def test_core_rewards_registered():
    names = list_rewards()
    assert names == sorted(names)
    assert set(CORE) <= set(names)
    assert set(list_rewards(task="grounding")) >= {"grounding.iou", "grounding.accuracy"}
    assert "visual_rft.detection" in list_rewards(tags=["visual_rft"])
    assert list_rewards(task="no-such-task") == []


@pytest.mark.parametrize(("typo", "suggestion"), [
    ("visual_rft.detecton", "visual_rft.detection"),
    ("grounding.iou_sq", "grounding.iou_squared"),
    ("count.exat", "count.exact"),
])
def test_unknown_name_did_you_mean(typo, suggestion):
    with pytest.raises(KeyError) as info:
        get_reward(typo)
    msg = str(info.value)
    assert "did you mean" in msg and repr(suggestion) in msg and "available:" in msg
    with pytest.raises(KeyError, match="did you mean"):
        score("x", None, reward=typo)


def test_unknown_name_without_close_match_lists_available():
    with pytest.raises(KeyError) as info:
        get_spec("zzzz")
    assert "available:" in str(info.value) and "visual_rft.detection" in str(info.value)


@pytest.mark.parametrize("name", CORE)
def test_reward_object_pickles_with_name(name):
    r = get_reward(name)
    assert isinstance(r, Reward) and r.__name__ == name
    r2 = pickle.loads(pickle.dumps(r))
    assert r2.__name__ == name and r2.params == r.params
    spec = get_spec(name)
    assert spec.range[0] <= spec.range[1] and spec.components


def test_public_api():
    for name in ("detection_reward", "classification_reward", "grounding_reward", "format_reward",
                 "counting_reward", "score", "list_rewards"):
        assert callable(getattr(rewardkit, name))
    assert rewardkit.detection_reward.reward_spec.name == "visual_rft.detection"
    with pytest.raises(AttributeError):
        rewardkit.no_such_name  # noqa: B018


def test_score_needs_reward_and_one_completion():
    """Issue 11 item 3: no silent default reward; a list of completions points at score_batch."""
    from rewardkit import score_batch

    with pytest.raises(TypeError, match="needs reward=NAME"):
        score("<answer>[0, 0, 1, 1]</answer>", [0, 0, 1, 1])
    with pytest.raises(TypeError, match="score_batch"):
        score(["<answer>[0, 0, 1, 1]</answer>", "x"], [0, 0, 1, 1], reward="grounding.iou")
    with pytest.raises(TypeError, match="needs reward=NAME"):
        score_batch(["a"], [0, 0, 1, 1])
    with pytest.raises(TypeError, match=r"rewardkit.score\(\)"):
        score_batch("<answer>[0, 0, 1, 1]</answer>", [0, 0, 1, 1], reward="grounding.iou")
    # one chat completion (a list of messages) is one completion
    chat = [{"role": "assistant", "content": "<answer>[0, 0, 10, 10]</answer>"}]
    assert score(chat, [0, 0, 10, 10], reward="grounding.iou").score == 1.0
    assert [r.score for r in score_batch([chat, "no"], [0, 0, 10, 10], reward="grounding.iou")] == [1.0, 0.0]


def test_describe_params_and_value_check():
    from rewardkit.registry import check_param_values, describe_params

    info = {p.name: p for p in describe_params("grounding.iou")}
    assert info["multiple"].default == "zero" and info["multiple"].choices == ("first", "zero")
    assert "pixel" in info["pred_frame"].choices and info["pred_frame"].meaning
    with pytest.raises(ValueError, match="did you mean 'pred_frame'"):
        check_param_values("grounding.iou", {"pred_fram": "pixel"})
    with pytest.raises(ValueError, match="did you mean 'pixel'"):
        check_param_values("grounding.iou", {"pred_frame": "pixels"})
    check_param_values("grounding.iou", {"pred_frame": "pixel", "multiple": "first"})


def test_reward_spec_attribute_is_the_registered_spec():
    """``fn.reward_spec`` stays current after ``register_batch`` replaces the record."""
    from rewardkit.rewards.base import REWARD_SPECS

    for name, spec in REWARD_SPECS.items():
        assert spec.fn.reward_spec is spec, name
    assert REWARD_SPECS["vlm_r1.od_ap"].fn.reward_spec.batch is not None


def test_task_points_is_an_alias_of_point():
    from rewardkit.registry import list_tasks, resolve_task

    assert "point" in list_tasks() and "points" not in list_tasks()
    assert resolve_task("points") == "point"
    assert list_rewards(task="points") == list_rewards(task="point") == ["point.in_box", "point.in_mask"]


def test_unknown_reward_words_its_error_like_the_other_tables():
    from rewardkit.names import unknown_name
    from rewardkit.rewards.base import REWARD_SPECS

    with pytest.raises(KeyError) as err:
        get_spec("grounding.iuo")
    assert str(err.value) == str(unknown_name("reward", "grounding.iuo", REWARD_SPECS))
    assert "did you mean 'grounding.iou'" in str(err.value)


def test_registry_names_have_matching_function_names():
    """Each ``family.kind`` is importable as ``family_kind_reward`` or ``kind_reward`` (issue 12)."""
    import sys

    from rewardkit.rewards.base import REWARD_SPECS

    mods = [m for n, m in sorted(sys.modules.items()) if n.startswith("rewardkit.rewards.") and ".compat" not in n]
    missing = []
    for name, spec in REWARD_SPECS.items():
        family, kind = name.split(".", 1)
        wanted = (f"{family}_{kind}_reward", f"{kind}_reward")
        if not any(getattr(m, w, None) is spec.fn for m in mods for w in wanted):
            missing.append(name)
    assert missing == ["count.exact"]  # rewards/counting.py: counting_reward, left to its owner (issue 12 note)
