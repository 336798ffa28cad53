"""rewardkit.adapters.verl: compute_score contract, data preparation, import weight (no torch)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from rewardkit.adapters.verl import RewardkitScorer, compute_score, make_row, write_parquet

from rewardkit.registry import get_reward

GOOD = '<think>a cat</think><answer>[{"Position": [10, 10, 500, 500], "Confidence": 0.8}]</answer>'
GT = [[10, 10, 500, 500]]
DET = {"reward": "visual_rft.detection"}


@pytest.mark.parametrize(
    "ground_truth",
    [
        GT,
        json.dumps(GT),
        {"boxes": GT},
        json.dumps({"boxes": GT}),
        np.array(GT),
        np.array([np.array(GT[0])], dtype=object),  # parquet list<list<double>> comes back like this
        "<answer>[{'Position': [10, 10, 500, 500], 'Confidence': 1}]</answer>",
    ],
    ids=["list", "json-list", "dict", "json-dict", "ndarray", "object-ndarray", "solution-string"],
)
def test_ground_truth_forms(ground_truth):
    out = compute_score("coco", GOOD, ground_truth, DET)
    assert out == {"score": pytest.approx(2.8), "iou": 1.0, "confidence": pytest.approx(0.8), "format": 1.0, "applicable": 1.0}


def test_same_keys_for_every_sample_of_a_reward():
    samples = [GOOD, "garbage", "", "<answer>[]</answer>", "<think></think><answer>No Objects</answer>"]
    keys = {tuple(compute_score("coco", s, GT, DET)) for s in samples}
    keys.add(tuple(compute_score("coco", GOOD, "not a box", DET)))  # bad ground truth
    assert keys == {("score", "iou", "confidence", "format", "applicable")}


def test_matches_the_reward_itself():
    for s in (GOOD, GOOD.replace("500, 500", "500, 250"), "x"):
        want = get_reward("visual_rft.detection")(s, GT)
        got = compute_score("coco", s, GT, DET)
        assert got["score"] == pytest.approx(want.score)
        assert {k: got[k] for k in want.components} == pytest.approx(dict(want.components))


def test_reward_selection_order():
    cls = "<think>x</think><answer>cat</answer>"
    # 1. extra_info["reward"]
    assert "accuracy" in compute_score("det", cls, "cat", {"reward": "visual_rft.classification"}, reward="visual_rft.detection")
    # 2. table by data_source
    out = compute_score("flowers", cls, "cat", {}, rewards={"flowers": "visual_rft.classification"}, reward="visual_rft.detection")
    assert out["score"] == 2.0
    # 3. data_source is a reward name
    assert compute_score("visual_rft.classification", cls, "cat")["accuracy"] == 1.0
    # 4. default reward
    assert compute_score("anything", GOOD, GT, None, reward="visual_rft.detection")["iou"] == 1.0
    with pytest.raises(KeyError, match="extra_info"):
        compute_score("anything", GOOD, GT)


def test_mixed_run_gives_every_sample_the_union_of_keys():
    mix = ["visual_rft.detection", "visual_rft.classification"]
    a = compute_score("d", GOOD, GT, DET, mix=mix)
    b = compute_score("c", "<think>x</think><answer>cat</answer>", "cat", {"reward": "visual_rft.classification"}, mix=mix)
    assert list(a) == list(b)
    assert b["iou"] == 0.0 and b["accuracy"] == 1.0


def test_not_applicable_scores_none_score():
    out = compute_score("coco", GOOD, "no boxes here", DET, none_score=-1.0)
    assert out["score"] == -1.0 and out["applicable"] == 0.0 and out["iou"] == 0.0


def test_params_from_config_and_from_the_row():
    half = '<think>x</think><answer>[{"Position": [10, 10, 500, 300], "Confidence": 1.0}]</answer>'  # IoU ~0.59
    assert compute_score("c", half, GT, DET)["iou"] > 0.5
    assert compute_score("c", half, GT, DET, params={"iou_threshold": 0.75})["iou"] == 0.0
    assert compute_score("c", half, GT, DET, params={"visual_rft.detection": {"iou_threshold": 0.75}})["iou"] == 0.0
    assert compute_score("c", half, GT, DET, iou_threshold=0.75)["iou"] == 0.0
    row = dict(DET, reward_params=json.dumps({"iou_threshold": 0.75}))
    assert compute_score("c", half, GT, row)["iou"] == 0.0
    with pytest.raises(ValueError, match="unknown parameter"):
        compute_score("c", half, GT, dict(DET, reward_params={"nope": 1}))
    with pytest.raises(ValueError, match="typo"):
        compute_score("c", half, GT, DET, iou_treshold=0.75)
    # veRL's own extra kwargs are ignored
    assert compute_score("c", half, GT, DET, reward_router_address=None)["iou"] > 0.5


def test_image_size_from_extra_info_converts_frames():
    gt_px = [[5, 5, 250, 250]]  # pixels of a 500 x 500 image == GT in norm1000
    info = dict(DET, image_size=[500, 500])
    out = compute_score("c", GOOD, gt_px, info, params={"gt_frame": "pixel"})
    assert out["iou"] == 1.0
    with pytest.raises(ValueError, match="image_size"):
        compute_score("c", GOOD, gt_px, DET, params={"gt_frame": "pixel"})


def test_ground_truth_is_prepared_once_per_prompt():
    scorer = RewardkitScorer()
    calls = []
    reward = scorer.reward("visual_rft.detection", {})
    orig = reward.prepare

    def counting(*a, **k):
        calls.append(1)
        return orig(*a, **k)

    reward.prepare = counting
    for _ in range(8):
        scorer("c", GOOD, json.dumps(GT), DET)
    scorer("c", GOOD, json.dumps([[0, 0, 10, 10]]), DET)
    assert len(calls) == 2


def test_step_for_scheduled_rewards_is_read_from_kwargs_and_extra_info():
    s = RewardkitScorer.step_of
    assert s({}, {}) == (None, None)
    assert s({"global_steps": 3, "max_steps": 10}, {}) == (3, 10)
    assert s({"step": 4, "global_steps": None, "total_training_steps": 8}, {}) == (4, 8)
    assert s({"global_steps": 3}, {"step": 5, "max_steps": 9}) == (5, 9)
    assert s({"global_steps": np.int64(2), "max_steps": 0}, {}) == (2, None)


def test_scheduled_reward_passes_step_and_requires_max_steps(monkeypatch):
    seen = []
    scorer = RewardkitScorer()
    spec_name = "visual_rft.detection"
    from rewardkit.rewards.base import REWARD_SPECS

    spec = REWARD_SPECS[spec_name]

    def spy(completion, gt, **kw):
        seen.append((kw.get("step"), kw.get("max_steps")))
        return spec.fn(completion, gt, **{k: v for k, v in kw.items() if k not in ("step", "max_steps")})

    import dataclasses

    monkeypatch.setitem(REWARD_SPECS, spec_name, dataclasses.replace(spec, fn=spy, scheduled=True))
    scorer("c", GOOD, GT, dict(DET, global_steps=6), max_steps=10)
    scorer("c", GOOD, GT, dict(DET, step=2, max_steps=4))
    scorer("c", GOOD, GT, DET)
    assert seen == [(6, 10), (2, 4), (None, None)]
    with pytest.raises(ValueError, match="max_steps"):
        scorer("c", GOOD, GT, dict(DET, global_steps=6))


def test_make_row_layout():
    row = make_row(
        prompt="Detect the cat.",
        ground_truth=GT,
        reward="visual_rft.detection",
        images=["/data/cat.jpg"],
        image_size=(640, 480),
        max_pixels=401408,
        index=3,
        reward_params={"iou_threshold": 0.5},
    )
    assert row["prompt"] == [{"role": "user", "content": "<image>Detect the cat."}]
    assert row["images"] == ["/data/cat.jpg"]
    assert row["data_source"] == "visual_rft.detection" and row["ability"] == "detection"
    assert json.loads(row["reward_model"]["ground_truth"]) == GT
    info = row["extra_info"]
    assert info["reward"] == "visual_rft.detection" and info["index"] == 3
    assert info["image_size"] == [640, 480]
    assert info["resized_size"][0] % 28 == 0 and info["resized_size"][1] % 28 == 0
    assert info["resize_scale"] == pytest.approx([info["resized_size"][0] / 640, info["resized_size"][1] / 480])
    # the row scores as written
    out = compute_score(row["data_source"], GOOD, row["reward_model"]["ground_truth"], info)
    assert out["iou"] == 1.0
    with pytest.raises(ValueError, match="placeholders"):
        make_row(prompt="<image><image>x", ground_truth=GT, reward="visual_rft.detection", images=["a"])


def test_write_parquet_roundtrip(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    rows = [
        make_row(prompt="Detect.", ground_truth=GT, reward="visual_rft.detection", images=[b"\x89PNG"], image_size=(10, 10), index=0),
        make_row(prompt="Which flower?", ground_truth="rose", reward="visual_rft.classification", images=["a.jpg"], index=1),
    ]
    with pytest.raises(ValueError, match="one image form"):
        write_parquet(rows, str(tmp_path / "mixed.parquet"))
    rows[1] = make_row(prompt="Which flower?", ground_truth="rose", reward="visual_rft.classification", images=[b"\x89PNG"], index=1)
    path = write_parquet(rows, str(tmp_path / "train.parquet"))
    back = pd.read_parquet(path)
    assert len(back) == 2
    assert back.iloc[1]["images"][0]["bytes"] == b"\x89PNG"
    r0 = back.iloc[0]
    out = compute_score(r0["data_source"], GOOD, r0["reward_model"]["ground_truth"], dict(r0["extra_info"]))
    assert out["iou"] == 1.0
    r1 = back.iloc[1]
    out = compute_score(r1["data_source"], "<think>x</think><answer>rose</answer>", r1["reward_model"]["ground_truth"], dict(r1["extra_info"]))
    assert out["accuracy"] == 1.0


def test_import_does_not_pull_torch_or_pandas():
    code = (
        "import sys; import rewardkit.adapters.verl, rewardkit.adapters.trl, rewardkit.adapters.easyr1; "
        "bad = [m for m in ('torch', 'pandas', 'pyarrow', 'verl', 'trl', 'transformers', 'ray') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
