r"""OpenRLHF reward-function file for registered rewardkit rewards.

OpenRLHF (tested with 0.11.2) accepts a Python file where a reward-model URL goes
(``--reward.remote_url`` in 0.11, ``--remote_rm_url`` before)::

    --reward.remote_url $(python -c "import rewardkit.adapters.openrlhf as m; print(m.__file__)")

Its single-turn rollout (``openrlhf/utils/agent.py``, ``SingleTurnAgentExecutor``) loads
the file with ``importlib.util.spec_from_file_location("reward_func", path)`` (so this
file imports rewardkit only by absolute names), and after each generation calls, in a
worker thread::

    reward_func([query], [prompt], [label])

where ``query = tokenizer.decode(prompt_tokens + response_tokens,
skip_special_tokens=False)``: the prompt (chat template applied, image placeholders
expanded for VLMs) followed by the response and its end-of-turn token; ``prompt`` is the
templated prompt text and ``label`` the dataset's ``--data.label_key`` value. It reads back
``rewards`` (the RL reward), ``scores`` (used by dynamic filtering, expected in [0, 1])
and ``extra_logs`` (logged per sample).

:func:`reward_func` returns, for ``n`` queries (float32 torch tensors of length ``n``, or
lists where torch is absent)::

    {"rewards": [reward score],
     "scores": [score rescaled to [0, 1] by the reward's declared range],
     "extra_logs": {"rewardkit/<component>": [...], "rewardkit/applicable": [1. or 0.]}}

**The response** is the query with the prompt stripped: ``query[len(prompt):]`` when the
query starts with the prompt, else the prompt's pieces between image/video placeholders
(which the processor expands to many tokens) are found in order and the rest is kept;
trailing end tokens (``<|im_end|>``, ``<|endoftext|>``, ``</s>``, ``<|eot_id|>``, ...)
are removed.

**The reward and the ground truth**: a label that is a dict (or a JSON string of one) with
a ``ground_truth`` key is an envelope (:func:`make_label` writes it): ``reward``,
``params``, ``image_size`` (``[width, height]``, for frame conversions; images never
reach the reward), ``min_pixels`` / ``max_pixels``, ``step`` / ``max_steps``. Any other
label is the ground truth itself. The reward is the envelope's ``reward``, else the
``reward=`` keyword, else the ``REWARDKIT_OPENRLHF_REWARD`` environment variable;
parameters likewise from ``params=`` or ``REWARDKIT_OPENRLHF_PARAMS`` (JSON). The file
takes no arguments from OpenRLHF, so set the variables where the rollout runs (Ray's
``runtime_env``).

**A run mixing rewards** names them all (``REWARDKIT_OPENRLHF_MIX=a,b`` or ``mix=``):
every sample then logs the union of their components, as OpenRLHF stacks the logs of
all samples. **Not applicable** (unreadable ground truth): OpenRLHF cannot skip a
sample, so it gets ``none_score`` (default 0.0, ``REWARDKIT_OPENRLHF_NONE_SCORE``) and
``rewardkit/applicable`` 0, like the veRL adapter.

``rewardkit serve`` answers the same request at ``POST /openrlhf``
(``--reward.remote_url http://host:port/openrlhf``), which moves the scoring off the
rollout workers.

    >>> q = "<|im_start|>user\nWhere is the cat?<|im_end|>\n<|im_start|>assistant\n"
    >>> out = score_openrlhf([q + "<think>x</think><answer>[[10, 10, 50, 50]]</answer><|im_end|>"], [q],
    ...                      ["[[10, 10, 50, 50]]"], reward="visual_rft.detection")
    >>> out["rewards"], out["scores"], out["extra_logs"]["rewardkit/iou"]
    ([3.0], [1.0], [1.0])
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from rewardkit.adapters._common import normalize_ground_truth
from rewardkit.adapters.verl import RewardkitScorer

from rewardkit.registry import get_spec

__all__ = ["reward_func", "score_openrlhf", "strip_prompt", "make_label", "LOG_PREFIX", "END_TOKENS"]

LOG_PREFIX = "rewardkit/"
END_TOKENS = ("<|im_end|>", "<|endoftext|>", "</s>", "<|eot_id|>", "<|end_of_text|>", "<|end|>", "<end_of_turn>", "<eos>")
"""End-of-turn tokens removed from the end of a response (``skip_special_tokens=False``
keeps them in OpenRLHF's query)."""

ENV_REWARD = "REWARDKIT_OPENRLHF_REWARD"
ENV_PARAMS = "REWARDKIT_OPENRLHF_PARAMS"
ENV_MIX = "REWARDKIT_OPENRLHF_MIX"
ENV_NONE_SCORE = "REWARDKIT_OPENRLHF_NONE_SCORE"

# placeholders a processor expands to many tokens (Qwen-VL, LLaVA, InternVL, ...)
_PLACEHOLDERS = re.compile(r"(?:<\|image_pad\|>|<\|video_pad\|>|<\|IMAGE\|>|<IMG_CONTEXT>|<image>|<video>)+")
_TAIL_CHARS = 64
_ENVELOPE_KEYS = ("image_size", "min_pixels", "max_pixels", "step", "max_steps", "global_step")

_SCORER = RewardkitScorer()


def strip_prompt(query: str, prompt: str | None, end_tokens: Sequence[str] = END_TOKENS) -> str:
    r"""The response part of an OpenRLHF query (see the module docstring).

    Args:
        query: The decoded query (prompt and response, special tokens kept).
        prompt: The prompt text, or None (only the end tokens are stripped).
        end_tokens: End-of-turn tokens stripped from the end of the response.

    Returns:
        The response text.

    Example:
        >>> strip_prompt("<|im_start|>user\n<|vision_start|><|image_pad|><|image_pad|><|vision_end|>Find it"
        ...              "<|im_end|>\n<|im_start|>assistant\nHere<|im_end|>",
        ...              "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Find it<|im_end|>\n"
        ...              "<|im_start|>assistant\n")
        'Here'
    """
    query = "" if query is None else str(query)
    rest = query
    if prompt:
        prompt = str(prompt)
        if query.startswith(prompt):
            rest = query[len(prompt):]
        else:
            pieces = [p for p in _PLACEHOLDERS.split(prompt) if p]
            pos = 0
            for piece in pieces:
                j = query.find(piece, pos)
                if j < 0:
                    pos = -1
                    break
                pos = j + len(piece)
            if pos > 0:
                rest = query[pos:]
            else:  # the decoded prompt differs from the prompt text: cut after its tail
                tail = prompt[-_TAIL_CHARS:]
                j = query.find(tail)
                if j >= 0:
                    rest = query[j + len(tail):]
    changed = True
    while changed:
        changed = False
        stripped = rest.rstrip()
        for tok in end_tokens:
            if tok and stripped.endswith(tok):
                rest = stripped[: -len(tok)]
                changed = True
    return rest


def make_label(
    ground_truth: Any,
    *,
    reward: str | None = None,
    params: Mapping[str, Any] | None = None,
    image_size: Sequence[int] | None = None,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
) -> str:
    """A label for an OpenRLHF dataset row (a JSON string).

    The label holds the ground truth and, per row, the reward, its parameters and the
    original image size.

    Args:
        ground_truth: The row's ground truth.
        reward: The registered reward name that scores the row, or None (the rollout's
            ``REWARDKIT_OPENRLHF_REWARD``).
        params: Parameters of the reward, or None.
        image_size: The original ``[width, height]``, or None.
        min_pixels: Qwen2.5-VL processor minimum pixels, or None.
        max_pixels: Qwen2.5-VL processor maximum pixels, or None.

    Returns:
        The label as a JSON string.

    Example:
        >>> make_label([[10, 10, 50, 50]], reward="visual_rft.detection", image_size=(640, 480))
        '{"ground_truth": [[10, 10, 50, 50]], "reward": "visual_rft.detection", "image_size": [640, 480]}'
    """
    if reward is not None:
        get_spec(reward)  # KeyError with suggestions on a typo
    label: dict[str, Any] = {"ground_truth": normalize_ground_truth(ground_truth)}
    if reward is not None:
        label["reward"] = reward
    if params:
        label["params"] = dict(params)
    if image_size is not None:
        label["image_size"] = [int(v) for v in image_size]
    if min_pixels is not None:
        label["min_pixels"] = int(min_pixels)
    if max_pixels is not None:
        label["max_pixels"] = int(max_pixels)
    return json.dumps(label)


def _envelope(label: Any) -> tuple[Any, dict[str, Any]]:
    """``(ground_truth, extra_info)`` from a label."""
    value = label
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str) and value.lstrip()[:1] == "{":
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = None
        if isinstance(decoded, Mapping) and "ground_truth" in decoded:
            value = decoded
    if isinstance(value, Mapping) and "ground_truth" in value:
        info: dict[str, Any] = {}
        if value.get("reward"):
            info["reward"] = value["reward"]
        if value.get("params"):
            info["reward_params"] = value["params"]
        for key in _ENVELOPE_KEYS:
            if value.get(key) is not None:
                info[key] = value[key]
        return value["ground_truth"], info
    return label, {}


def _env_config(reward: str | None, params: Mapping[str, Any] | None, mix: Sequence[str] | str | None, none_score: float | None) -> tuple[str | None, dict[str, Any] | None, list[str] | None, float]:
    if reward is None:
        reward = os.environ.get(ENV_REWARD) or None
    if params is None and os.environ.get(ENV_PARAMS):
        try:
            params = json.loads(os.environ[ENV_PARAMS])
        except ValueError as exc:
            raise ValueError(f"Expected {ENV_PARAMS} to hold a JSON object, but got: {exc}") from None
        if not isinstance(params, Mapping):
            raise ValueError(f"Expected {ENV_PARAMS} to hold a JSON object, but got {type(params).__name__}")
    if mix is None and os.environ.get(ENV_MIX):
        mix = os.environ[ENV_MIX]
    if isinstance(mix, str):
        mix = [m.strip() for m in mix.split(",") if m.strip()]
    if none_score is None:
        none_score = float(os.environ.get(ENV_NONE_SCORE) or 0.0)
    return reward, (dict(params) if params else None), (list(mix) if mix else None), float(none_score)


def _unit(score: float, lo: float, hi: float) -> float:
    if not math.isfinite(score):
        return 0.0
    if hi <= lo:
        return 1.0 if score >= hi else 0.0
    return min(1.0, max(0.0, (score - lo) / (hi - lo)))


def score_openrlhf(
    queries: Sequence[str],
    prompts: Sequence[str | None] | None = None,
    labels: Sequence[Any] | None = None,
    *,
    reward: str | None = None,
    params: Mapping[str, Any] | None = None,
    mix: Sequence[str] | str | None = None,
    none_score: float | None = None,
    strip: bool = True,
    scorer: RewardkitScorer | None = None,
) -> dict[str, Any]:
    """OpenRLHF's reward answer as plain lists (what ``POST /openrlhf`` sends back).

    ``reward`` / ``params`` / ``mix`` / ``none_score`` default to the
    ``REWARDKIT_OPENRLHF_*`` environment variables; ``strip=False`` scores the query as
    it is (a query that holds only the response).

    Args:
        queries: Decoded queries (prompt and response).
        prompts: The prompt texts, or None.
        labels: The rows' labels (from :func:`make_label`, or bare ground truth), or None.
        reward: Default reward name (for labels that name none).
        params: Parameters of the reward.
        mix: Every reward name of a run that mixes rewards (a list or a comma-separated
            string), so all samples get the same log keys.
        none_score: Score given when a reward does not apply.
        strip: Strip the prompt from each query (:func:`strip_prompt`).
        scorer: The :class:`~rewardkit.adapters.verl.RewardkitScorer` to use (default:
            the module's).

    Returns:
        ``{"rewards": [...], "scores": [...] (scaled to [0, 1] by the reward's range),
        "extra_logs": {"rewardkit/<component>": [...], "rewardkit/applicable": [...]}}``.

    Raises:
        ValueError: prompts or labels of another length than the queries, or a
            ``REWARDKIT_OPENRLHF_PARAMS`` that is not a JSON object.
        KeyError: a sample with no reward (none in its label, no ``reward``), or an
            unknown reward name.
    """
    n = len(queries)
    prompts = [None] * n if prompts is None else list(prompts)
    labels = [None] * n if labels is None else list(labels)
    if len(prompts) != n or len(labels) != n:
        raise ValueError(f"Expected as many prompts and labels as queries ({n}), but got {len(prompts)} and {len(labels)}")
    reward, params, mix, none_score = _env_config(reward, params, mix, none_score)
    scorer = scorer or _SCORER
    rows: list[tuple[str, dict[str, float]]] = []
    for query, prompt, label in zip(queries, prompts, labels):
        ground_truth, info = _envelope(label)
        if not info.get("reward") and not reward:
            raise KeyError(
                f"No reward for this sample: set {ENV_REWARD}=<reward name> where the rollout runs, pass "
                "reward=..., or write labels with rewardkit.adapters.openrlhf.make_label(..., reward=...)"
            )
        name = RewardkitScorer.select(None, info, reward, None)
        info["reward"] = name
        text = strip_prompt(query, prompt) if strip else ("" if query is None else str(query))
        out = scorer(None, text, ground_truth, info, reward=reward, params=params, mix=mix, none_score=none_score)
        rows.append((name, out))
    keys: dict[str, None] = {}
    for _, out in rows:
        for k in out:
            if k not in ("score", "applicable"):
                keys.setdefault(k, None)
    rewards = [float(out["score"]) for _, out in rows]
    scores = []
    for name, out in rows:
        lo, hi = get_spec(name).range
        scores.append(_unit(float(out["score"]), lo, hi))
    logs = {f"{LOG_PREFIX}{k}": [float(out.get(k, 0.0)) for _, out in rows] for k in keys}
    logs[f"{LOG_PREFIX}applicable"] = [float(out["applicable"]) for _, out in rows]
    return {"rewards": rewards, "scores": scores, "extra_logs": logs}


def reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any], **kwargs: Any) -> dict[str, Any]:
    """OpenRLHF's entry point: :func:`score_openrlhf` with float32 tensors.

    OpenRLHF's own reward-function examples return tensors; lists where torch is not
    installed.

    Args:
        queries: Decoded queries (prompt and response).
        prompts: The prompt texts.
        labels: The rows' labels.
        **kwargs: :func:`score_openrlhf`'s keywords (OpenRLHF passes none).

    Returns:
        :func:`score_openrlhf`'s dict with float32 tensors in place of lists.

    Raises:
        ValueError: as :func:`score_openrlhf`.
        KeyError: as :func:`score_openrlhf`.
    """
    out = score_openrlhf(queries, prompts, labels, **kwargs)
    try:
        import torch
    except ImportError:  # pragma: no cover - OpenRLHF always has torch
        return out
    return {
        "rewards": torch.tensor(out["rewards"], dtype=torch.float32),
        "scores": torch.tensor(out["scores"], dtype=torch.float32),
        "extra_logs": {k: torch.tensor(v, dtype=torch.float32) for k, v in out["extra_logs"].items()},
    }
