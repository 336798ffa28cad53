"""rewardkit.adapters.openrlhf: a reward-function file for OpenRLHF's ``--remote_rm_url``.

The loader test runs OpenRLHF's own code (openrlhf 0.11.2, installed without its
dependencies by ``scripts/test.sh``): ``openrlhf.utils.agent.SingleTurnAgentExecutor``
loads this file as ``--remote_rm_url`` does, and its ``execute`` generates (a fake
engine), decodes the query with the tokenizer (the tiny Qwen tokenizer / processor of
``rewardkit.testing.tiny_vlm``) and calls ``reward_func``. How OpenRLHF then reads the
answer is reconstructed from ``openrlhf/trainer/ppo_utils/samples_generator.py``
(``_process_response_into_experience``, openrlhf 0.11.2 and commit 3c3be623 of
OpenRLHF/OpenRLHF), whose module imports vLLM.
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest
from rewardkit.adapters import openrlhf as rk_orl
from rewardkit.adapters.openrlhf import make_label, reward_func, score_openrlhf, strip_prompt

from rewardkit.registry import Reward

GOOD = "<think>a cat</think><answer>[{'Position': [10, 10, 500, 500], 'Confidence': 0.9}]</answer>"
HALF = "<think>a cat</think><answer>[{'Position': [10, 10, 500, 250], 'Confidence': 0.6}]</answer>"
GT = [[10, 10, 500, 500]]
# the prompt holds an answer of its own: a response that is not cut from the query
# would be scored on the prompt's example instead
PROMPT = ("<|im_start|>system\nAnswer like <answer>[[0, 0, 1, 1]]</answer>.<|im_end|>\n"
          "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Detect the cat.<|im_end|>\n"
          "<|im_start|>assistant\n")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for var in (rk_orl.ENV_REWARD, rk_orl.ENV_PARAMS, rk_orl.ENV_MIX, rk_orl.ENV_NONE_SCORE):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.parametrize(("query", "expected"), [
    (PROMPT + "resp<|im_end|>", "resp"),
    (PROMPT.replace("<|image_pad|>", "<|image_pad|>" * 9) + "resp<|im_end|><|endoftext|>", "resp"),
    (PROMPT + "resp", "resp"),
    ("garbled " + PROMPT[-64:] + "resp<|im_end|>", "resp"),  # decoded prompt differs: cut after its 64-char tail
    ("no prompt here: resp", "no prompt here: resp"),
])
def test_strip_prompt(query, expected):
    assert strip_prompt(query, PROMPT) == expected


def test_strip_prompt_without_prompt_keeps_the_text():
    assert strip_prompt("abc<|im_end|>", None) == "abc"
    assert strip_prompt("abc", "") == "abc"


def test_rewards_scores_and_logs_per_component():
    out = score_openrlhf([PROMPT + GOOD + "<|im_end|>", PROMPT + HALF + "<|im_end|>"], [PROMPT, PROMPT],
                         [json.dumps(GT), GT], reward="visual_rft.detection")
    ref = [Reward("visual_rft.detection")(c, GT) for c in (GOOD, HALF)]
    assert out["rewards"] == pytest.approx([r.score for r in ref])
    assert out["rewards"][0] == pytest.approx(2.9)
    assert out["scores"] == pytest.approx([r.score / 3.0 for r in ref])  # range (0, 3) -> [0, 1]
    logs = out["extra_logs"]
    assert list(logs) == ["rewardkit/iou", "rewardkit/confidence", "rewardkit/format", "rewardkit/applicable"]
    assert logs["rewardkit/iou"] == pytest.approx([r.components["iou"] for r in ref])
    assert logs["rewardkit/applicable"] == [1.0, 1.0]


def test_label_envelope_selects_reward_params_and_size():
    # grounding in pixels on a 640 x 480 image; the model answers in norm1000
    label = make_label([64, 48, 128, 96], reward="grounding.iou", params={"gt_frame": "pixel"}, image_size=(640, 480))
    out = score_openrlhf([PROMPT + "<answer>[100, 100, 200, 200]</answer>"], [PROMPT], [label], reward="visual_rft.detection",
                         mix="visual_rft.detection,grounding.iou")
    assert out["rewards"] == [pytest.approx(1.0)]
    # the mix gives every sample the union of components, in a fixed order
    assert list(out["extra_logs"]) == ["rewardkit/iou", "rewardkit/confidence", "rewardkit/format", "rewardkit/applicable"]
    with pytest.raises(KeyError, match="did you mean"):
        make_label(GT, reward="visual_rft.detectoin")


def test_environment_configures_the_file(monkeypatch):
    monkeypatch.setenv(rk_orl.ENV_REWARD, "visual_rft.detection")
    monkeypatch.setenv(rk_orl.ENV_PARAMS, json.dumps({"iou_threshold": 0.9}))
    out = score_openrlhf([PROMPT + HALF], [PROMPT], [GT])
    assert out["extra_logs"]["rewardkit/iou"] == [0.0]  # IoU ~0.49 under a 0.9 threshold
    monkeypatch.setenv(rk_orl.ENV_PARAMS, "[1]")
    with pytest.raises(ValueError, match=rk_orl.ENV_PARAMS):
        score_openrlhf([PROMPT + HALF], [PROMPT], [GT])


def test_bad_ground_truth_scores_none_score(monkeypatch):
    monkeypatch.setenv(rk_orl.ENV_NONE_SCORE, "-1")
    out = score_openrlhf([PROMPT + GOOD], [PROMPT], ["not boxes"], reward="visual_rft.detection")
    assert out["rewards"] == [-1.0] and out["scores"] == [0.0]
    assert out["extra_logs"]["rewardkit/applicable"] == [0.0]


def test_no_reward_is_one_clear_error():
    with pytest.raises(KeyError, match="REWARDKIT_OPENRLHF_REWARD"):
        score_openrlhf([GOOD], [None], [GT])
    with pytest.raises(ValueError, match="as many prompts and labels"):
        score_openrlhf([GOOD, GOOD], [None], [GT, GT], reward="visual_rft.detection")


def test_reward_func_returns_float_tensors():
    torch = pytest.importorskip("torch")
    out = reward_func([PROMPT + GOOD], [PROMPT], [GT], reward="visual_rft.detection")
    assert isinstance(out["rewards"], torch.Tensor) and out["rewards"].dtype == torch.float32
    assert out["rewards"].tolist() == [pytest.approx(2.9)]
    assert all(isinstance(v, torch.Tensor) and v.shape == (1,) for v in out["extra_logs"].values())


# -- through OpenRLHF's own loader and rollout -----------------------------------------------
class _Engine:
    """A vLLM engine stand-in: ``generate`` answers fixed token ids."""

    def __init__(self, tokenizer, text: str) -> None:
        self.text = text
        self.ids = tokenizer(text=text, add_special_tokens=False)["input_ids"]
        if self.ids and isinstance(self.ids[0], list):
            self.ids = self.ids[0]

    async def generate(self, token_ids, params, multi_modal_data=None):
        self.prompt_ids, self.mm = token_ids, multi_modal_data
        out = SimpleNamespace(token_ids=list(self.ids), text=self.text, finish_reason="stop", logprobs=None)
        return SimpleNamespace(outputs=[out])


def _experience_fields(response: dict):
    """What ``SamplesGenerator._process_response_into_experience`` (openrlhf 0.11.2) does
    with the executor's answer: ``torch.tensor([reward])``, ``torch.tensor([score])`` and
    every extra log ``value.flatten()[0].item()`` into ``torch.tensor([value])``."""
    import torch

    reward, score = response.get("reward"), response.get("scores")
    info = {"reward": torch.tensor([reward]), "score": torch.tensor([score])}
    for key, value in response.get("extra_logs", {}).items():
        if isinstance(value, torch.Tensor):
            value = value.flatten()[0].item()
        info[key] = torch.tensor([value])
    return info


@pytest.mark.trainer
@pytest.mark.parametrize("vision", [False, True], ids=["text", "vlm"])
def test_through_openrlhf_loader_and_rollout(monkeypatch, vision):
    agent = pytest.importorskip("openrlhf.utils.agent", reason="openrlhf not installed (scripts/test.sh)")
    torch = pytest.importorskip("torch")
    from rewardkit.testing.tiny_vlm import build_processor, build_tokenizer, tiny_images

    monkeypatch.setenv(rk_orl.ENV_REWARD, "visual_rft.detection")
    executor = agent.SingleTurnAgentExecutor(remote_rm_url=rk_orl.__file__)  # loads the file as OpenRLHF does
    assert executor.reward_func.__module__ == "reward_func"
    tok = build_processor() if vision else build_tokenizer()
    prompt = PROMPT if vision else PROMPT.replace("<|vision_start|><|image_pad|><|vision_end|>", "")
    engine = _Engine(tok, HALF + "<|im_end|>")
    images = tiny_images(1, size=(56, 56)) if vision else None
    params = SimpleNamespace(max_tokens=64, logprobs=None)
    out = asyncio.run(executor.execute(prompt, json.dumps(GT), params, 4096, tok, engine, images=images))
    if vision:  # the processor expanded the one image placeholder into several tokens
        pad = tok.tokenizer.convert_tokens_to_ids("<|image_pad|>")
        assert engine.prompt_ids.count(pad) > 1
    expected = Reward("visual_rft.detection")(HALF, GT)
    assert out["reward"].tolist() == [pytest.approx(expected.score)]
    assert out["scores"].tolist() == [pytest.approx(expected.score / 3.0)]
    info = _experience_fields(out)
    assert info["reward"].flatten().tolist() == [pytest.approx(expected.score)]
    assert info["rewardkit/iou"].item() == pytest.approx(expected.components["iou"])
    assert info["rewardkit/applicable"].item() == 1.0
    assert info["score"].dtype == torch.float32
