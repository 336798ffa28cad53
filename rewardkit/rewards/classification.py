"""Visual-RFT classification reward (paper Eq. 9): R_cls = R_acc + R_format.

``R_acc = 1`` if the answer names the ground-truth class, else 0. Matching is exact on a
normalized form (:func:`rewardkit.parsing.labels.normalize_label`: case, whitespace,
underscores, punctuation, articles) with an optional synonym table. An answer naming
several classes ("A or B") scores 0, as does an empty answer.

The public code accepts ``gt in ans or ans in gt`` after stripping, which pays the empty
answer (a run collapsed to ``<answer></answer>``), "a" for "apple", hedges and short
prefixes. That rule is available only as ``compat="visual_rft"`` (old spelling
``"substring"``), which reproduces the released reward end to end
(:mod:`rewardkit.rewards.compat.visual_rft`: math-verify pre-check, first single-line
answer block else the whole completion, the public format regex; needs the ``compat``
extra).

The answer is found by the answer mode (``answer=``, or ``reading=Reading(answer=...)``):
``"auto"`` (default) reads a bare completion without tags (think blocks removed), so a
bare correct answer keeps R_acc and loses only R_format; ``"tags"`` needs an answer
block.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from rewardkit.parsing.ground_truth import read_text_target
from rewardkit.parsing.labels import labels_match, parse_label
from rewardkit.parsing.reading import Reading, extract_answer_text
from rewardkit.rewards._common import zero
from rewardkit.rewards._signatures import ClassificationRewardSignature, typed_as
from rewardkit.rewards.base import register_reward
from rewardkit.rewards.compat import resolve_compat
from rewardkit.types import RewardResult

__all__ = ["classification_reward"]

_COMPONENTS = ("accuracy", "format")
_READING = Reading()


def _prepare(ground_truth: Any, **_: Any) -> str:
    return read_text_target(ground_truth)


@typed_as(ClassificationRewardSignature)  # the full signature for type checkers (rewards/_signatures.py)
@register_reward(
    "visual_rft.classification",
    task="classification",
    range=(0.0, 2.0),
    components=_COMPONENTS,
    tags=("visual_rft", "paper:Visual-RFT", "labels"),
    prepare=_prepare,
    reading_fields=("answer",),
)
def classification_reward(
    completion: Any,
    ground_truth: Any,
    *,
    synonyms: Mapping[str, Iterable[str]] | None = None,
    compat: Literal["visual_rft", "substring"] | None = None,
    prompt: str | None = None,
    reading: Reading = _READING,
) -> RewardResult:
    """R_cls = R_acc + R_format (Visual-RFT Eq. 9), in [0, 2].

    >>> float(classification_reward("<think>red bird</think><answer>Cardinal</answer>", "cardinal"))
    2.0
    >>> float(classification_reward("<think>?</think><answer>cardinal or robin</answer>", "cardinal"))
    1.0
    >>> float(classification_reward("<think>?</think><answer></answer>", "cardinal"))
    0.0
    >>> dict(classification_reward("Cardinal", "cardinal").components)
    {'accuracy': 1.0, 'format': 0.0}
    """
    if resolve_compat("visual_rft.classification", compat):
        from rewardkit.rewards.compat.visual_rft import classification

        return classification(completion, ground_truth)
    gt = read_text_target(ground_truth)
    ans = extract_answer_text(completion, prompt, reading.answer)
    tp = ans.tags
    fmt = 1.0 if tp.strict else 0.0
    if ans.text is None:
        return zero(_COMPONENTS, ans.reason)
    label = parse_label(ans.text)
    if not label.ok:
        return zero(_COMPONENTS, label.reason)
    if label.details.get("multi") and not labels_match(label.value, gt, synonyms):
        return RewardResult(fmt, {"accuracy": 0.0, "format": fmt}, "multiple_answers")
    acc = 1.0 if labels_match(label.value, gt, synonyms) else 0.0
    reason = None if tp.strict else (tp.reason or "bad_format")
    return RewardResult(acc + fmt, {"accuracy": acc, "format": fmt}, reason)
