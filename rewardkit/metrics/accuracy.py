"""Classification and counting accuracy over model completions.

The answers are read and matched exactly as the rewards read them
(:func:`rewardkit.rewards.classification.classification_reward`'s ``accuracy``
component: normalized exact match with optional synonyms, a hedge such as "A or B" is
wrong; :func:`rewardkit.rewards.counting.counting_reward`: integer count with a
tolerance). A completion without a readable answer is wrong and stays in the
denominator (``n_unreadable`` counts them).

>>> classification_accuracy(["<answer>Cat</answer>", "<answer>dog or cat</answer>"], ["cat", "cat"])["accuracy"]
0.5
>>> counting_accuracy(["<answer>3</answer>", "<answer>five</answer>"], [3, 4])["accuracy"]
0.5
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np

__all__ = ["classification_accuracy", "counting_accuracy"]


def _check_lengths(a: Sequence[Any], b: Sequence[Any]) -> None:
    if len(a) != len(b):
        raise ValueError(f"Expected as many completions as ground truths, but got {len(a)} and {len(b)}")


def _maybe_progress(it: Any, n: int, progress: bool, desc: str) -> Any:
    if not progress:
        return it
    from tqdm.auto import tqdm

    return tqdm(it, total=n, desc=desc, unit="answer")


def classification_accuracy(
    completions: Sequence[Any],
    ground_truths: Sequence[Any],
    *,
    synonyms: Mapping[str, Iterable[str]] | None = None,
    compat: Literal["visual_rft", "substring"] | None = None,
    prompts: Sequence[str | None] | None = None,
    per_class: bool = True,
    answer: str = "auto",
    progress: bool = False,
) -> dict[str, Any]:
    """Top-1 accuracy of class-name answers (Visual-RFT's R_acc averaged).

    Returns ``accuracy``, ``n``, ``n_correct``, ``n_unreadable``, ``strict_format``
    (fraction of completions in the strict think/answer format) and, with
    ``per_class``, ``per_class`` accuracy keyed by ground-truth label. ``answer``: the
    answer mode (``"auto"`` reads a bare completion without tags; ``"tags"``).
    """
    from rewardkit.parsing.ground_truth import read_text_target
    from rewardkit.parsing.reading import extract_answer_text
    from rewardkit.rewards.classification import classification_reward

    _check_lengths(completions, ground_truths)
    n = len(completions)
    prompts_ = list(prompts) if prompts is not None else [None] * n
    correct = np.zeros(n, dtype=bool)
    fmt = np.zeros(n, dtype=bool)
    unreadable = 0
    classes: dict[str, list[int]] = {}
    for i, (c, g) in enumerate(_maybe_progress(zip(completions, ground_truths), n, progress, "classification")):
        r = classification_reward(c, g, synonyms=synonyms, compat=compat, prompt=prompts_[i], answer=answer)
        if r.score is None:
            raise ValueError(f"Ground truth {i} is not a usable class name: {r.details}")
        correct[i] = r.components.get("accuracy", 0.0) == 1.0
        ans = extract_answer_text(c, prompts_[i], answer)
        fmt[i] = ans.tags.strict
        if ans.text is None or r.reason in ("no_answer", "empty_answer", "unparseable"):
            unreadable += 1
        if per_class:
            key = read_text_target(g)
            classes.setdefault(key, [0, 0])
            classes[key][0] += int(correct[i])
            classes[key][1] += 1
    out: dict[str, Any] = {
        "accuracy": float(correct.mean()) if n else 0.0,
        "n": n,
        "n_correct": int(correct.sum()),
        "n_unreadable": unreadable,
        "strict_format": float(fmt.mean()) if n else 0.0,
        "correct": correct,
    }
    if per_class:
        out["per_class"] = {k: v[0] / v[1] for k, v in sorted(classes.items())}
        out["mean_per_class"] = float(np.mean(list(out["per_class"].values()))) if classes else 0.0
    return out


def counting_accuracy(
    completions: Sequence[Any],
    ground_truths: Sequence[Any],
    *,
    tolerance: int = 0,
    prompts: Sequence[str | None] | None = None,
    answer: str = "auto",
    progress: bool = False,
) -> dict[str, Any]:
    """Counting accuracy (``|n_pred - n_gt| <= tolerance``) and the mean absolute error
    over the readable answers (``mae``; NaN when none is readable). ``answer``: the
    answer mode, as for :func:`classification_accuracy`."""
    from rewardkit.rewards.counting import counting_reward

    _check_lengths(completions, ground_truths)
    n = len(completions)
    prompts_ = list(prompts) if prompts is not None else [None] * n
    correct = np.zeros(n, dtype=bool)
    errors = []
    unreadable = 0
    for i, (c, g) in enumerate(_maybe_progress(zip(completions, ground_truths), n, progress, "counting")):
        r = counting_reward(c, g, tolerance=tolerance, prompt=prompts_[i], answer=answer)
        if r.score is None:
            raise ValueError(f"Ground truth {i} is not a usable count: {r.details}")
        correct[i] = r.score == 1.0
        count = r.details.get("count") if r.details else None
        if count is None:
            unreadable += 1
        else:
            from rewardkit.rewards.counting import _gt_count

            errors.append(abs(int(count) - _gt_count(g)))
    return {
        "accuracy": float(correct.mean()) if n else 0.0,
        "n": n,
        "n_correct": int(correct.sum()),
        "n_unreadable": unreadable,
        "mae": float(np.mean(errors)) if errors else float("nan"),
        "tolerance": tolerance,
        "correct": correct,
    }
