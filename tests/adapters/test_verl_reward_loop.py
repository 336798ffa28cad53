"""veRL 0.9.1 reward loop with ``pkg://rewardkit.adapters.verl`` on a hand-built DataProto.

Needs verl (and its reward-loop imports: torch, ray, tensordict, omegaconf, transformers);
skipped otherwise. A full veRL run needs GPUs and a rollout server: these tests go up to
the reward manager, and to the trainer's RewardLoopManager on a local Ray (started once
for the module, 4 logical CPUs: the remote manager's compute workers take one each)
with ``reward.num_workers`` 1 and 2, the naive and remote managers and their step-aware
versions.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("verl")
OmegaConf = pytest.importorskip("omegaconf").OmegaConf
from verl import DataProto  # noqa: E402
from verl.trainer.ppo.reward import load_reward_manager  # noqa: E402

from rewardkit.testing.tiny_vlm import build_tokenizer  # noqa: E402

pytestmark = pytest.mark.trainer
PROBE = str(Path(__file__).resolve().parents[1] / "_helpers" / "verl_probe.py")

DET = "<think>a cat</think><answer>[{'Position': [10, 10, 500, 500], 'Confidence': 0.8}]</answer>"
CLS = "<think>petals</think><answer>rose</answer>"
# IoU 0.6 with the ground truth: counts before Vision-R1's switch (xi_0 = 0.5), not after (0.75)
VR1 = '<think>x</think><answer>[{"bbox_2d": [0, 0, 100, 60], "label": "cat"}]</answer>'


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    tok = build_tokenizer()
    path = tmp_path_factory.mktemp("tok")
    tok.save_pretrained(path)
    return str(path), tok


_MANAGERS = {
    "rewardkit": ("importlib", "RewardkitRewardManager", "pkg://rewardkit.adapters.verl_manager"),
    "rewardkit_remote": ("importlib", "RewardkitRemoteRewardManager", "pkg://rewardkit.adapters.verl_manager"),
}


def _config(tok_path, *, manager="naive", reward_kwargs=None, total_steps=10, num_workers=1, path="pkg://rewardkit.adapters.verl"):
    manager_cfg = {"source": "register", "name": manager, "module": {"path": None, "name": "custom_reward_manager"}}
    if manager in _MANAGERS:
        source, name, module = _MANAGERS[manager]
        manager_cfg = {"source": source, "name": name, "module": {"path": module, "name": "custom_reward_manager"}}
    return OmegaConf.create(
        {
            "actor_rollout_ref": {
                "model": {"path": tok_path, "tokenizer_path": None},
                "actor": {"optim": {"total_training_steps": total_steps}},
            },
            "trainer": {"total_training_steps": None, "experiment_name": "rewardkit-test"},
            "reward": {
                "num_workers": num_workers,
                "custom_reward_function": {
                    "path": path,
                    "name": "compute_score",
                    "reward_kwargs": dict(reward_kwargs or {}),
                },
                "reward_manager": manager_cfg,
                "reward_model": {"enable": False, "enable_resource_pool": False, "model_path": None},
                "sandbox_fusion": {"url": None},
            },
        }
    )


def _batch(tok, rows, meta_info=None):
    """A DataProto as veRL's trainer hands it to the reward loop (left-padded prompts,
    right-padded responses, one attention mask over both)."""
    prompt_ids = [tok("<|im_start|>user\nDetect.<|im_end|>\n<|im_start|>assistant\n")["input_ids"] for _ in rows]
    resp_ids = [tok(r["response"])["input_ids"] + [tok.eos_token_id] for r in rows]
    P, R, pad = max(map(len, prompt_ids)), max(map(len, resp_ids)), tok.pad_token_id
    prompts = torch.tensor([[pad] * (P - len(p)) + p for p in prompt_ids])
    responses = torch.tensor([r + [pad] * (R - len(r)) for r in resp_ids])
    mask = torch.tensor([[0] * (P - len(p)) + [1] * (len(p) + len(r)) + [0] * (R - len(r)) for p, r in zip(prompt_ids, resp_ids)])
    obj = lambda values: np.array(values, dtype=object)  # noqa: E731
    return DataProto.from_dict(
        tensors={"prompts": prompts, "responses": responses, "attention_mask": mask, "input_ids": torch.cat([prompts, responses], 1)},
        non_tensors={
            "data_source": obj([r["data_source"] for r in rows]),
            "reward_model": obj([{"style": "rule", "ground_truth": r["ground_truth"]} for r in rows]),
            "extra_info": obj([dict(r.get("extra_info", {})) for r in rows]),
        },
        meta_info=dict(meta_info or {}),
    )


def _run(manager, data):
    return [manager.loop.run_until_complete(manager.run_single(data[i : i + 1])) for i in range(len(data))]


def test_naive_manager_scores_and_logs_components(tokenizer_dir):
    path, tok = tokenizer_dir
    rows = [
        {"data_source": "coco", "response": DET, "ground_truth": json.dumps([[10, 10, 500, 500]]), "extra_info": {"reward": "visual_rft.detection"}},
        {"data_source": "coco", "response": "I see a cat.", "ground_truth": json.dumps([[10, 10, 500, 500]]), "extra_info": {"reward": "visual_rft.detection"}},
    ]
    data = _batch(tok, rows)
    manager = load_reward_manager(_config(path), tok)
    out = _run(manager, data)
    assert [o["reward_score"] for o in out] == pytest.approx([2.8, 0.0])
    info = out[0]["reward_extra_info"]
    assert info == {"score": pytest.approx(2.8), "iou": 1.0, "confidence": pytest.approx(0.8), "format": 1.0, "applicable": 1.0}
    assert list(out[1]["reward_extra_info"]) == list(info)
    # the reward tensor: the score on the last valid response token
    rm = type(manager).assemble_rm_scores(data, [o["reward_score"] for o in out])
    assert rm.shape == data.batch["responses"].shape
    last = data.batch["attention_mask"][:, data.batch["prompts"].shape[1] :].sum(-1) - 1
    assert rm[0, last[0]].item() == pytest.approx(2.8)
    assert rm.sum().item() == pytest.approx(2.8)


def test_reward_loop_worker_mixed_batch_has_stable_keys(tokenizer_dir):
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    path, tok = tokenizer_dir
    rows = [
        {"data_source": "coco", "response": DET, "ground_truth": json.dumps([[10, 10, 500, 500]])},
        {"data_source": "flowers", "response": CLS, "ground_truth": "rose"},
    ]
    table = {"coco": "visual_rft.detection", "flowers": "visual_rft.classification"}
    worker = RewardLoopWorker(_config(path, reward_kwargs={"rewards": table}))
    data = _batch(tok, rows)
    outs = worker.loop.run_until_complete(worker.compute_score_batch(data))
    assert [o["reward_score"] for o in outs] == pytest.approx([2.8, 2.0])
    keys = [list(o["reward_extra_info"]) for o in outs]
    assert keys[0] == keys[1]  # veRL stacks the keys of sample 0 over the batch
    # what RewardLoopManager.compute_rm_score does with them
    extra = {k: np.array([o["reward_extra_info"][k] for o in outs]) for k in keys[0]}
    assert extra["accuracy"].tolist() == [0.0, 1.0] and extra["iou"].tolist() == [1.0, 0.0]


@pytest.mark.parametrize("step, expected", [(1, 2.6), (9, 1.0)])
def test_rewardkit_manager_passes_the_step_to_the_vision_r1_schedule(tokenizer_dir, step, expected):
    path, tok = tokenizer_dir
    rows = [{"data_source": "vision_r1", "response": VR1, "ground_truth": json.dumps([[0, 0, 100, 100]]), "extra_info": {"reward": "vision_r1.localization"}}]
    manager = load_reward_manager(_config(path, manager="rewardkit", total_steps=10), tok)
    assert type(manager).__name__ == "RewardkitRewardManager" and manager.max_steps == 10
    # the trainer's meta info (generation batch / colocated path)
    out = _run(manager, _batch(tok, rows, meta_info={"global_steps": step}))
    assert out[0]["reward_score"] == pytest.approx(expected)
    # the agent loop's streaming path: the rollout server's weight version in tool_extra_fields
    data = _batch(tok, rows)
    fields = np.empty(1, dtype=object)
    fields[0] = {"global_steps": step, "turn_scores": []}
    data.non_tensor_batch["tool_extra_fields"] = fields
    out = _run(manager, data)
    assert out[0]["reward_score"] == pytest.approx(expected)


def test_naive_manager_with_a_step_but_no_max_steps_says_what_to_do(tokenizer_dir):
    path, tok = tokenizer_dir
    rows = [{"data_source": "vision_r1", "response": VR1, "ground_truth": json.dumps([[0, 0, 100, 100]]), "extra_info": {"reward": "vision_r1.localization"}}]
    data = _batch(tok, rows)
    fields = np.empty(1, dtype=object)
    fields[0] = {"global_steps": 9}
    data.non_tensor_batch["tool_extra_fields"] = fields
    manager = load_reward_manager(_config(path), tok)
    with pytest.raises(ValueError, match="RewardkitRewardManager"):
        _run(manager, data)
    # with reward_kwargs.max_steps the naive manager works too (agent-loop path)
    manager = load_reward_manager(_config(path, reward_kwargs={"max_steps": 10}), tok)
    assert _run(manager, data)[0]["reward_score"] == pytest.approx(1.0)


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    yield ray
    if started:
        ray.shutdown()


def test_reward_loop_manager_on_local_ray(tokenizer_dir, local_ray):
    """The trainer's entry point: RewardLoopManager starts RewardLoopWorker Ray actors,
    which load pkg://rewardkit.adapters.verl themselves."""
    from verl.experimental.reward_loop.reward_loop import RewardLoopManager

    path, tok = tokenizer_dir
    table = {"coco": "visual_rft.detection", "flowers": "visual_rft.classification"}
    rows = [
        {"data_source": "coco", "response": DET, "ground_truth": json.dumps([[10, 10, 500, 500]])},
        {"data_source": "flowers", "response": CLS, "ground_truth": "rose"},
    ]
    manager = RewardLoopManager(_config(path, reward_kwargs={"rewards": table}))
    try:
        out = manager.compute_rm_score(_batch(tok, rows))
    finally:
        for w in manager.reward_loop_workers:
            local_ray.kill(w)
    assert out.batch["rm_scores"].sum(-1).tolist() == pytest.approx([2.8, 2.0])
    keys = out.meta_info["reward_extra_keys"]
    assert keys == ["score", "iou", "confidence", "format", "accuracy", "applicable"]
    assert out.non_tensor_batch["accuracy"].tolist() == [0.0, 1.0]
    assert out.non_tensor_batch["iou"].tolist() == [1.0, 0.0]


def _scale_rows(n: int) -> list[dict]:
    """A batch mixing detection, classification and Vision-R1's scheduled reward."""
    rows = []
    for i in range(n):
        k = i % 3
        if k == 0:
            rows.append({"data_source": "coco", "response": DET if i % 2 else "no box", "ground_truth": json.dumps([[10, 10, 500, 500]])})
        elif k == 1:
            rows.append({"data_source": "flowers", "response": CLS, "ground_truth": "rose" if i % 2 else "tulip"})
        else:
            rows.append({"data_source": "vision_r1", "response": VR1, "ground_truth": json.dumps([[0, 0, 100, 100]])})
    return rows


@pytest.mark.parametrize("manager", ["rewardkit", "rewardkit_remote"])
def test_reward_loop_at_scale_two_workers(tokenizer_dir, local_ray, manager):
    """``reward.num_workers=2`` with the step-aware managers built on veRL's naive and
    remote managers (the remote one runs veRL's ``RemoteRewardManager.run_single``): same
    scores as one call in this process, the step reaches the schedule, every worker
    imports rewardkit and binds each reward once."""
    import rewardkit.adapters.verl as adapter
    from verl.experimental.reward_loop.reward_loop import RewardLoopManager

    path, tok = tokenizer_dir
    table = {"coco": "visual_rft.detection", "flowers": "visual_rft.classification", "vision_r1": "vision_r1.localization"}
    kwargs = {"rewards": table, "mix": sorted(set(table.values()))}
    rows = _scale_rows(24)
    step = 9  # after Vision-R1's switch at 0.5 * 10 steps: the IoU 0.6 box no longer counts
    manager_obj = RewardLoopManager(_config(path, manager=manager, reward_kwargs=kwargs, num_workers=2, path=PROBE))
    try:
        data = _batch(tok, rows, meta_info={"global_steps": step})
        out = manager_obj.compute_rm_score(data)
    finally:
        for w in manager_obj.reward_loop_workers:
            local_ray.kill(w)
    expected = [
        adapter.compute_score(r["data_source"], r["response"], r["ground_truth"], {"step": step, "max_steps": 10}, **{**kwargs, "max_steps": None})["score"]
        for r in rows
    ]
    assert out.batch["rm_scores"].sum(-1).tolist() == pytest.approx(expected)
    assert expected[2] == pytest.approx(1.0)  # the schedule took the step
    extra = out.non_tensor_batch
    pids = extra["probe_pid"].astype(np.int64)
    assert len(set(pids.tolist())) >= 2  # two workers scored (remote: up to 4 compute workers)
    for pid in set(pids.tolist()):
        mine = pids == pid
        # one adapter module and one registry per process for all its calls; each reward bound once
        assert len(set(extra["probe_module_id"][mine].tolist())) == 1
        assert len(set(extra["probe_registry_id"][mine].tolist())) == 1
        assert extra["probe_rewards_bound"][mine].max() <= len(set(table.values()))
        assert extra["probe_calls"][mine].max() == mine.sum()  # every call of this batch went through it
