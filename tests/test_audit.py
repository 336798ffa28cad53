"""The reward-hacking audit over the whole registry (default parameters).

No default reward may pay an applicable probe. Known exceptions are listed with their
reason and reported as xfail (the probe is never weakened to make them pass).
"""

from __future__ import annotations

import json

import pytest

import rewardkit
from rewardkit.auditing import PROBES, Sample, _judge, audit, canonical_sample, paid_rows
from rewardkit.registry import get_spec, list_rewards
from tests.catalog import all_cases

_AP = (
    "COCO AP with every box scored 1.0 ignores false positives ranked after the true positives, so "
    "junk or duplicates appended to a correct answer cost nothing (inherent to AP; the reward must equal "
    "pycocotools); vlm_r1.od_length is the variant that penalizes them"
)
KNOWN_PAID: dict[str, tuple[set[str], str]] = {
    "vlm_r1.od_ap": ({"correct_plus_junk", "duplicates"}, _AP),
    "vlm_r1.od_ap50": ({"correct_plus_junk", "duplicates"}, _AP),
    "pose.keypoint_ap": ({"correct_plus_junk", "duplicates"}, (
        "COCO keypoint AP with every person scored 1.0 ignores false positives ranked after the true positives "
        "(inherent to AP; the reward must equal pycocotools); pose.multi_oks is the variant that charges extra persons"
    )),
}


def _catalog_sample(name: str) -> Sample | None:
    spec = get_spec(name)
    cases = [c for c in all_cases() if c.reward == name and c.expect_max and isinstance(c.completion, str)]
    cases.sort(key=lambda c: len(c.params))  # default parameters first
    for case in cases:
        return Sample.from_completion(case.completion, case.ground_truth, spec.task, case.params)
    return None


def _audit_rows(name: str) -> list[dict] | None:
    """Rows with the task's built-in sample, or with the reward's perfect catalog case when
    the built-in sample does not fit its ground truth (e.g. point.in_mask takes a mask)."""
    spec = get_spec(name)
    s = canonical_sample(spec.task)
    if s is not None:
        rows = audit(name, sample=s)
        if rows[0]["score"] is not None:
            return rows
    s = _catalog_sample(name)
    return None if s is None else audit(name, sample=s)


@pytest.mark.parametrize("name", list_rewards())
def test_default_reward_pays_no_applicable_probe(name):
    rows = _audit_rows(name)
    if rows is None:
        pytest.skip(f"no sample for {name} (no built-in one and no perfect catalog case)")
    honest = rows[0]
    assert honest["probe"] == "honest" and honest["score"] is not None, honest
    assert not [r for r in rows if r["error"]], [r for r in rows if r["error"]]
    paid = {r["probe"] for r in paid_rows(rows)}
    known, why = KNOWN_PAID.get(name, (set(), ""))
    assert paid <= known, f"{name} pays {sorted(paid - known)}: " + "; ".join(
        f"{r['probe']}: score {r['score']} vs {r['criterion']} {r['reference']}" for r in paid_rows(rows) if r["probe"] in paid - known
    )
    if paid & known:
        pytest.xfail(f"{name} pays {sorted(paid & known)}: {why}")


def test_every_task_with_a_sample_gets_its_probes():
    applicable = {r["probe"] for r in audit("vision_r1.localization") if r["applicable"]} - {"honest"}
    assert applicable == {p.name for p in PROBES} - {"or_labels", "prefix_label"}
    labels = {r["probe"] for r in audit("vlm_r1.weighted_sum") if r["applicable"]}
    assert {"or_labels", "prefix_label"} <= labels
    cls = {r["probe"] for r in audit("visual_rft.classification") if r["applicable"]}
    assert {"or_labels", "prefix_label", "empty_answer", "think_only", "prompt_echo"} <= cls
    assert "whole_image_box" not in cls
    fmt = {r["probe"] for r in audit("format.think_answer") if r["applicable"]}
    assert fmt - {"honest"} == {"several_answer_blocks", "several_answer_blocks_last_correct", "think_only", "prompt_echo"}
    dual = {r["probe"] for r in audit("vision_r1.dual_format") if r["applicable"]}
    assert {"empty_answer", "nonsense_inside", "huge_numbers", "negative_numbers"} <= dual
    assert "wrong_frame" not in dual
    assert {r["probe"] for r in audit("penalty.repetition") if r["applicable"]} == {"honest", "duplicates"}


def test_multi_person_pose_gets_person_probes():
    rows = {r["probe"]: r for r in audit("pose.multi_oks")}
    applicable = {p for p, r in rows.items() if r["applicable"]} - {"honest"}
    assert {"correct_plus_junk", "duplicates", "wrong_frame", "huge_numbers", "negative_numbers", "empty_list"} <= applicable
    assert rows["honest"]["score"] == 1.0
    assert rows["correct_plus_junk"]["score"] == 2 * 3 / (23 + 3)  # 20 extra persons
    assert rows["duplicates"]["score"] == 2 * 1 / (10 + 3)  # 10 copies of one of 3 persons
    assert not paid_rows(audit("pose.multi_oks"))


def test_compat_variants_show_the_public_hacks():
    released = {r["probe"] for r in paid_rows(audit("vision_r1.localization", compat="released_code"))}
    assert "correct_plus_junk" in released  # precision averaged over matched pairs: box spam is free
    assert "think_only" in released  # boxes read anywhere in the completion
    substring = {r["probe"] for r in paid_rows(audit("visual_rft.classification", compat="substring"))}
    assert {"empty_answer", "or_labels", "prefix_label"} <= substring
    first = {r["probe"] for r in paid_rows(audit("vlm_r1.rec_iou", multiple="first"))}
    assert first == {"correct_plus_junk", "duplicates"}
    assert not paid_rows(audit("vlm_r1.rec_iou"))


def test_second_stage_of_the_schedule_is_also_sound():
    assert not paid_rows(audit("vision_r1.localization", step=90, max_steps=100))


def test_rows_have_the_documented_columns_and_lazy_entry_point():
    rows = rewardkit.audit("vlm_r1.od_length")
    for r in rows:
        assert {"probe", "score", "max_score", "paid", "applicable", "description", "criterion"} <= set(r)
        assert isinstance(r["paid"], bool)
        assert r["max_score"] == 1.0
    assert [r["probe"] for r in rows] == ["honest"] + [p.name for p in PROBES]


def test_task_without_sample_is_not_applicable():
    spec_task = "pose"
    assert canonical_sample(spec_task) is None
    name = next(n for n in list_rewards() if get_spec(n).task == spec_task)
    rows = audit(name)
    assert rows and not any(r["applicable"] for r in rows)


@pytest.mark.parametrize(
    ("criterion", "score", "paid"),
    [
        ("min", 0.0, False), ("min", 0.1, True),
        ("below_max", 2.999, False), ("below_max", 3.0, True),
        ("below_honest", 2.9, False), ("below_honest", 3.0, True),
        ("below_partial", 1.9, False), ("below_partial", 2.0, True),
        ("below_partial", None, False),
    ],
)
def test_judge(criterion, score, paid):
    assert _judge(criterion, score, 0.0, 3.0, 3.0, 2.0)[1] is paid


def test_partial_at_minimum_requires_minimum():
    assert _judge("below_partial", 0.0, 0.0, 1.0, 1.0, 0.0) == (0.0, False)
    assert _judge("below_partial", 0.2, 0.0, 1.0, 1.0, 0.0) == (0.0, True)


def test_cli_audit(tmp_path, capsys):
    from rewardkit.cli import main

    out = tmp_path / "audit.json"
    rc = main(["audit", "vlm_r1.od_ap", "vision_r1.localization", "--json", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "correct_plus_junk" in text and "PAID" in text
    rows = json.loads(out.read_text())
    assert {r["reward"] for r in rows} == {"vlm_r1.od_ap", "vision_r1.localization"}
    assert main(["audit", "vlm_r1.od_ap", "--strict"]) == 1
    assert main(["audit", "vision_r1.localization", "--strict", "--param", "switch_at=0.25"]) == 0
