"""Two GRPO steps on CPU with a tiny random Qwen2-VL / Qwen2.5-VL and rewardkit rewards.

Needs torch, transformers and trl (skipped otherwise; CI installs them). A random model
never writes ``<answer>``, so the rewardkit components are 0: an auxiliary length reward
gives the group a spread so that the weights move, and the test checks that every
rewardkit component was logged under its own name and that the weights changed.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
trl = pytest.importorskip("trl")
datasets = pytest.importorskip("datasets")

from rewardkit.adapters.trl import trl_rewards  # noqa: E402

from rewardkit.testing.tiny_vlm import load_tiny_processor, save_tiny_vlm, tiny_images  # noqa: E402

pytestmark = pytest.mark.trainer

SOLUTION = "<answer>[{'Position': [10, 10, 500, 500], 'Confidence': 1}]</answer>"


def length_reward(completions, **kwargs):
    """Auxiliary reward with a spread across the group (picklable module-level function)."""
    return [len(c[-1]["content"] if isinstance(c, list) else c) / 10.0 for c in completions]


def _dataset(n=2):
    rows = []
    for i, image in enumerate(tiny_images(n, seed=1)):
        rows.append(
            {
                "prompt": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": f"Detect the cat {i}."}]}],
                "image": image,
                "solution": SOLUTION,
                "task": "detection",
            }
        )
    return datasets.Dataset.from_list(rows)


def _config(out, **kw):
    base = dict(
        output_dir=str(out),
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=12,
        max_steps=2,
        learning_rate=5e-2,
        beta=0.04,
        use_cpu=True,
        bf16=False,
        gradient_checkpointing=False,
        remove_unused_columns=False,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        temperature=1.0,
        seed=0,
    )
    base.update(kw)
    return trl.GRPOConfig(**base)


@pytest.mark.parametrize("kind", ["qwen2_vl", "qwen2_5_vl"])
def test_two_grpo_steps_log_every_component_and_move_the_weights(tmp_path, kind):
    path = save_tiny_vlm(tmp_path / "model", kind)
    processor = load_tiny_processor(path, kind)
    funcs = trl_rewards(["visual_rft.detection", "format.think_answer"])
    trainer = trl.GRPOTrainer(
        model=path,  # beta > 0 reloads the reference model from this directory
        reward_funcs=[*funcs, length_reward],
        args=_config(tmp_path / "out"),
        train_dataset=_dataset(),
        processing_class=processor,
    )
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()
    changed = [n for n, p in trainer.model.named_parameters() if not torch.equal(before[n], p.detach())]
    assert changed, "no weight changed after two GRPO steps"
    logs = [h for h in trainer.state.log_history if "reward" in h]
    assert len(logs) == 2
    for name in (
        "visual_rft.detection/iou",
        "visual_rft.detection/confidence",
        "visual_rft.detection/format",
        "format.think_answer",
    ):
        for h in logs:
            assert f"rewards/{name}/mean" in h
            assert 0.0 <= h[f"rewards/{name}/mean"] <= 1.0


def test_total_mode_and_async_under_grpo(tmp_path):
    path = save_tiny_vlm(tmp_path / "model", "qwen2_vl")
    processor = load_tiny_processor(path, "qwen2_vl")
    funcs = trl_rewards("visual_rft.detection", split_components=False, asynchronous=True)
    trainer = trl.GRPOTrainer(
        model=path,
        reward_funcs=[*funcs, length_reward],
        args=_config(tmp_path / "out", max_steps=1, beta=0.0),
        train_dataset=_dataset(),
        processing_class=processor,
    )
    trainer.train()
    h = next(h for h in trainer.state.log_history if "reward" in h)
    assert "rewards/visual_rft.detection/mean" in h
    # components arrive through log_metric
    for comp in ("iou", "confidence", "format"):
        assert f"visual_rft.detection/{comp}" in h
