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

from rewardkit.metrics._state import MergeableMetric

__all__ = ["ClassificationAccuracy", "CountingAccuracy", "classification_accuracy", "counting_accuracy"]


def _check_lengths(a: Sequence[Any], b: Sequence[Any]) -> None:
    """The one length check of the accuracy classes and functions."""
    if len(a) != len(b):
        raise ValueError(f"Expected as many completions as ground truths, but got {len(a)} and {len(b)}")


def _maybe_progress(it: Any, n: int, progress: bool, desc: str) -> Any:
    if not progress:
        return it
    from tqdm.auto import tqdm

    return tqdm(it, total=n, desc=desc, unit="answer")


_UNREADABLE = ("no_answer", "empty_answer", "unparseable")


class ClassificationAccuracy(MergeableMetric):
    """Streaming classification accuracy.

    ``update(preds, target)`` with completions and class names, ``compute()`` gives
    :func:`classification_accuracy`'s dict.

    Counts are integers, so merged shards (:meth:`merge`) give ``==`` the one-pass
    numbers.

    Args:
        synonyms: extra accepted names per ground-truth label.
        compat: ``"visual_rft"`` or ``"substring"`` for the public code's matching
            (``None``: rewardkit's).
        per_class: also give the accuracy per ground-truth label.
        answer: how the answer is read from a completion (``"auto"`` by default).

    Example:
        >>> a, b = ClassificationAccuracy(), ClassificationAccuracy()
        >>> a.update(["<answer>Cat</answer>"], ["cat"]); b.update(["<answer>dog</answer>"], ["cat"])
        >>> ClassificationAccuracy.from_states([a.state_dict(), b.state_dict()]).compute()["accuracy"]
        0.5
    """

    _KIND = "classification_accuracy"

    def __init__(
        self,
        *,
        synonyms: Mapping[str, Iterable[str]] | None = None,
        compat: Literal["visual_rft", "substring"] | None = None,
        per_class: bool = True,
        answer: str = "auto",
    ) -> None:
        self.synonyms = {str(k): [str(v) for v in vs] for k, vs in synonyms.items()} if synonyms else None
        self.compat = compat
        self.per_class = bool(per_class)
        self.answer = answer
        self.reset()

    def reset(self) -> None:
        self._correct: list[bool] = []
        self._format: list[bool] = []
        self._unreadable = 0
        self._classes: dict[str, list[int]] = {}

    def __len__(self) -> int:
        return len(self._correct)

    def update(
        self,
        preds: Sequence[Any],
        target: Sequence[Any],
        *,
        prompts: Sequence[str | None] | None = None,
        progress: bool = False,
    ) -> None:
        """Add answers: ``preds`` completions, ``target`` ground-truth class names."""
        from rewardkit.parsing.ground_truth import read_text_target
        from rewardkit.parsing.reading import extract_answer_text
        from rewardkit.rewards.classification import classification_reward

        _check_lengths(preds, target)
        n = len(preds)
        prompts_ = list(prompts) if prompts is not None else [None] * n
        base = len(self._correct)
        for i, (c, g) in enumerate(_maybe_progress(zip(preds, target), n, progress, "classification")):
            r = classification_reward(c, g, synonyms=self.synonyms, compat=self.compat, prompt=prompts_[i], answer=self.answer)
            if r.score is None:
                raise ValueError(f"Ground truth {base + i} is not a usable class name: {r.details}")
            ok = r.components.get("accuracy", 0.0) == 1.0
            self._correct.append(bool(ok))
            ans = extract_answer_text(c, prompts_[i], self.answer)
            self._format.append(bool(ans.tags.strict))
            if ans.text is None or r.reason in _UNREADABLE:
                self._unreadable += 1
            if self.per_class:
                key = read_text_target(g)
                counts = self._classes.setdefault(key, [0, 0])
                counts[0] += int(ok)
                counts[1] += 1

    def compute(self) -> dict[str, Any]:
        correct = np.asarray(self._correct, dtype=bool)
        fmt = np.asarray(self._format, dtype=bool)
        n = int(correct.shape[0])
        out: dict[str, Any] = {
            "accuracy": float(correct.mean()) if n else 0.0,
            "n": n,
            "n_correct": int(correct.sum()),
            "n_unreadable": self._unreadable,
            "strict_format": float(fmt.mean()) if n else 0.0,
            "correct": correct,
        }
        if self.per_class:
            out["per_class"] = {k: v[0] / v[1] for k, v in sorted(self._classes.items())}
            out["mean_per_class"] = float(np.mean(list(out["per_class"].values()))) if self._classes else 0.0
        return out

    # -- mergeable state ---------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        return {"synonyms": self.synonyms, "compat": self.compat, "per_class": self.per_class, "answer": self.answer}

    def _get_state(self) -> dict[str, Any]:
        return {
            "correct": list(self._correct), "format": list(self._format), "n_unreadable": self._unreadable,
            "classes": {k: list(v) for k, v in self._classes.items()},
        }  # fmt: skip

    def _merge_state(self, state: Any) -> None:
        self._correct.extend(bool(v) for v in state["correct"])
        self._format.extend(bool(v) for v in state["format"])
        self._unreadable += int(state["n_unreadable"])
        for k, (c, t) in state["classes"].items():
            counts = self._classes.setdefault(k, [0, 0])
            counts[0] += int(c)
            counts[1] += int(t)

    def _empty_like(self) -> ClassificationAccuracy:
        return ClassificationAccuracy(**self._config())


class CountingAccuracy(MergeableMetric):
    """Streaming counting accuracy and mean absolute error.

    Counting accuracy (``|n_pred - n_gt| <= tolerance``) and mean absolute error over the
    readable answers: ``update(preds, target)``, ``compute()``.

    Args:
        tolerance: the largest accepted ``|n_pred - n_gt|``.
        answer: how the answer is read from a completion (``"auto"`` by default).

    Example:
        >>> m = CountingAccuracy()
        >>> m.update(["<answer>3</answer>", "<answer>five</answer>"], [3, 4])
        >>> m.compute()["accuracy"]
        0.5
    """

    _KIND = "counting_accuracy"

    def __init__(self, *, tolerance: int = 0, answer: str = "auto") -> None:
        self.tolerance = int(tolerance)
        self.answer = answer
        self.reset()

    def reset(self) -> None:
        self._correct: list[bool] = []
        self._errors: list[int] = []
        self._unreadable = 0

    def __len__(self) -> int:
        return len(self._correct)

    def update(
        self,
        preds: Sequence[Any],
        target: Sequence[Any],
        *,
        prompts: Sequence[str | None] | None = None,
        progress: bool = False,
    ) -> None:
        """Add answers: ``preds`` completions, ``target`` ground-truth counts."""
        from rewardkit.parsing.numbers import parse_count, read_count_target
        from rewardkit.parsing.reading import extract_answer_text
        from rewardkit.rewards.counting import counting_reward

        _check_lengths(preds, target)
        n = len(preds)
        prompts_ = list(prompts) if prompts is not None else [None] * n
        base = len(self._correct)
        for i, (c, g) in enumerate(_maybe_progress(zip(preds, target), n, progress, "counting")):
            r = counting_reward(c, g, tolerance=self.tolerance, prompt=prompts_[i], answer=self.answer)
            if r.score is None:
                raise ValueError(f"Ground truth {base + i} is not a usable count: {r.details}")
            self._correct.append(r.score == 1.0)
            # the counts themselves from the parsing layer (typed), as the reward reads them
            ans = extract_answer_text(c, prompts_[i], self.answer)
            count = parse_count(ans.text) if ans.text is not None else None
            if count is None or not count.ok:
                self._unreadable += 1
            else:
                self._errors.append(abs(count.value - read_count_target(g)))

    def compute(self) -> dict[str, Any]:
        correct = np.asarray(self._correct, dtype=bool)
        n = int(correct.shape[0])
        return {
            "accuracy": float(correct.mean()) if n else 0.0,
            "n": n,
            "n_correct": int(correct.sum()),
            "n_unreadable": self._unreadable,
            "mae": float(sum(self._errors) / len(self._errors)) if self._errors else float("nan"),
            "tolerance": self.tolerance,
            "correct": correct,
        }

    # -- mergeable state ---------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        return {"tolerance": self.tolerance, "answer": self.answer}

    def _get_state(self) -> dict[str, Any]:
        return {"correct": list(self._correct), "errors": list(self._errors), "n_unreadable": self._unreadable}

    def _merge_state(self, state: Any) -> None:
        self._correct.extend(bool(v) for v in state["correct"])
        self._errors.extend(int(v) for v in state["errors"])
        self._unreadable += int(state["n_unreadable"])

    def _empty_like(self) -> CountingAccuracy:
        return CountingAccuracy(**self._config())


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
    ``per_class``, ``per_class`` accuracy keyed by ground-truth label. The streaming
    form is :class:`ClassificationAccuracy`.

    Args:
        completions: the model completions.
        ground_truths: the ground-truth class names, one per completion.
        synonyms: extra accepted names per ground-truth label.
        compat: ``"visual_rft"`` or ``"substring"`` for the public code's matching
            (``None``: rewardkit's).
        prompts: the prompts, one per completion (optional).
        per_class: also give the accuracy per ground-truth label.
        answer: how the answer is read from a completion (``"auto"`` by default).
        progress: show a progress bar.

    Returns:
        The dict described above.

    Raises:
        ValueError: a ground truth that is not a usable class name, or lengths that differ.
    """
    m = ClassificationAccuracy(synonyms=synonyms, compat=compat, per_class=per_class, answer=answer)
    m.update(completions, ground_truths, prompts=prompts, progress=progress)
    return m.compute()


def counting_accuracy(
    completions: Sequence[Any],
    ground_truths: Sequence[Any],
    *,
    tolerance: int = 0,
    prompts: Sequence[str | None] | None = None,
    answer: str = "auto",
    progress: bool = False,
) -> dict[str, Any]:
    """Counting accuracy (``|n_pred - n_gt| <= tolerance``) and the mean absolute error.

    The mean absolute error is over the readable answers (``mae``; NaN when none is
    readable). The streaming form is :class:`CountingAccuracy`.

    Args:
        completions: the model completions.
        ground_truths: the ground-truth counts, one per completion.
        tolerance: the largest accepted ``|n_pred - n_gt|``.
        prompts: the prompts, one per completion (optional).
        answer: how the answer is read from a completion (``"auto"`` by default).
        progress: show a progress bar.

    Returns:
        ``accuracy``, ``n``, ``n_correct``, ``n_unreadable``, ``mae``, ``tolerance`` and
        ``correct`` (per completion).

    Raises:
        ValueError: a ground truth that is not a usable count, or lengths that differ.
    """
    m = CountingAccuracy(tolerance=tolerance, answer=answer)
    m.update(completions, ground_truths, prompts=prompts, progress=progress)
    return m.compute()
