"""Referring-expression grounding metrics: RefCOCO Acc@0.5 and mean IoU.

Acc@t is the fraction of expressions whose predicted box has IoU >= t with the ground
truth (``comparison=">="``, the Qwen-VL / InternVL evaluators) or IoU > t
(``comparison=">"``, VLM-R1 / Griffon). The two differ only on exact ties, which
integer ``norm1000`` coordinates make possible. Mean IoU averages the per-expression IoU.
An expression without a readable box counts as IoU 0 (wrong) and is counted in
``n_unreadable``; it is never dropped from the denominator.

Two entry points:

- :func:`grounding_scores` on boxes already in one frame (``xyxy``);
- :func:`grounding_evaluate` on model completions: the box is read with the same
  parsing and frame conversion as the ``grounding.*`` rewards (first box of the answer,
  ground truth with several boxes scored against the best one).

>>> r = grounding_scores([[0, 0, 10, 10], [0, 0, 10, 10]], [[0, 0, 10, 10], [0, 0, 10, 20]])
>>> r["acc"], r["miou"]
(1.0, 0.75)
>>> grounding_scores([[0, 0, 10, 10]], [[0, 0, 10, 20]], comparison=">")["acc"]
0.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from rewardkit.metrics._state import MergeableMetric, exact_mean

__all__ = ["GroundingMetrics", "grounding_scores", "grounding_evaluate", "refcoco_accuracy"]

Comparison = Literal[">=", ">"]


def _check(threshold: float, comparison: str) -> None:
    """The one validation of :class:`GroundingMetrics` and the grounding functions."""
    if not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"Expected `threshold` in [0, 1], but got {threshold!r}")
    if comparison not in (">=", ">"):
        raise ValueError(f"Expected `comparison` to be '>=' or '>', but got {comparison!r}")


def _summary(ious: np.ndarray, threshold: float, comparison: str, n_unreadable: int) -> dict[str, Any]:
    n = int(ious.shape[0])
    hit = ious >= threshold if comparison == ">=" else ious > threshold
    return {
        "acc": float(hit.mean()) if n else 0.0,
        "miou": exact_mean(ious) if n else 0.0,
        "n": n,
        "n_correct": int(hit.sum()),
        "n_unreadable": int(n_unreadable),
        "threshold": float(threshold),
        "comparison": comparison,
        "ious": ious,
    }


class GroundingMetrics(MergeableMetric):
    """Streaming Acc@threshold and mean IoU: ``update(preds, target)`` with completions
    (read like the ``grounding.iou`` reward), or ``update_boxes(pred_xyxy, gt_xyxy)``
    with boxes already in one frame; ``compute()`` gives :func:`grounding_evaluate`'s
    dict. Mean IoU is a correctly rounded mean, so merged shards (:meth:`merge`) give
    ``==`` the one-pass numbers.

    >>> m = GroundingMetrics()
    >>> m.update_boxes([[0, 0, 10, 10]], [[0, 0, 10, 20]])
    >>> m.update(["<answer>[0, 0, 10, 10]</answer>"], [[0, 0, 10, 10]])
    >>> r = m.compute(); r["acc"], r["miou"]
    (1.0, 0.75)
    """

    _KIND = "grounding"

    def __init__(
        self,
        *,
        threshold: float = 0.5,
        comparison: Comparison = ">=",
        pred_frame: str | None = None,
        gt_frame: str = "norm1000",
        multiple: Literal["first", "zero"] = "first",
        min_pixels: int | None = None,
        max_pixels: int | None = None,
        answer: str = "auto",
        dialect: str = "visual_rft",
    ) -> None:
        from rewardkit.parsing.reading import Reading

        _check(threshold, comparison)
        # validated once, here (unknown frame, dialect or answer mode: ValueError)
        self._reading = Reading(answer=answer, dialect=dialect, pred_frame=pred_frame, gt_frame=gt_frame,
                                min_pixels=min_pixels, max_pixels=max_pixels)  # fmt: skip
        self.answer = answer
        self.dialect = dialect
        self.threshold = float(threshold)
        self.comparison = comparison
        self.pred_frame = pred_frame
        self.gt_frame = gt_frame
        self.multiple = multiple
        self.min_pixels = min_pixels
        self.max_pixels = max_pixels
        self.reset()

    def reset(self) -> None:
        self._ious: list[float] = []
        self._unreadable = 0
        self._reasons: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._ious)

    def update(
        self,
        preds: Sequence[Any],
        target: Sequence[Any],
        *,
        image_sizes: Sequence[Any] | None = None,
        prompts: Sequence[str | None] | None = None,
        progress: bool = False,
    ) -> None:
        """Add expressions: ``preds`` completions, ``target`` ground-truth boxes."""
        from rewardkit.rewards.grounding import grounding_reward

        if len(preds) != len(target):
            raise ValueError(f"Expected as many completions as ground truths, but got {len(preds)} and {len(target)}")
        n = len(preds)
        sizes = list(image_sizes) if image_sizes is not None else [None] * n
        prompts_ = list(prompts) if prompts is not None else [None] * n
        pairs: Any = zip(preds, target)
        if progress:
            from tqdm.auto import tqdm

            pairs = tqdm(pairs, total=n, desc="grounding", unit="expr")
        base = len(self._ious)
        for i, (c, g) in enumerate(pairs):
            r = grounding_reward(c, g, reading=self._reading, image_size=sizes[i], multiple=self.multiple, prompt=prompts_[i])
            if r.score is None:
                why = (r.details or {}).get("error", r.reason)
                raise ValueError(f"Ground truth {base + i} is not usable for grounding: {why}")
            iou = r.details.get("iou") if r.details else None
            if iou is None:
                self._unreadable += 1
                key = r.reason or "unreadable"
                self._reasons[key] = self._reasons.get(key, 0) + 1
                self._ious.append(0.0)
                continue
            self._ious.append(float(iou))

    def update_boxes(self, pred_xyxy: Any, gt_xyxy: Any) -> None:
        """Add expressions given as boxes in one frame (``None`` or a NaN row: no
        prediction, IoU 0)."""
        from rewardkit.geometry.boxes import box_iou

        preds = list(pred_xyxy)
        gts = np.asarray(gt_xyxy, dtype=np.float64).reshape(-1, 4)
        if len(preds) != gts.shape[0]:
            raise ValueError(f"Expected as many predictions as ground truths, but got {len(preds)} and {gts.shape[0]}")
        for i, p in enumerate(preds):
            b = None if p is None else np.asarray(p, dtype=np.float64).reshape(-1)
            if b is None or b.shape[0] != 4 or not np.all(np.isfinite(b)):
                self._unreadable += 1
                self._ious.append(0.0)
                continue
            self._ious.append(float(box_iou(b[None], gts[i : i + 1])[0, 0]))

    def compute(self) -> dict[str, Any]:
        out = _summary(np.asarray(self._ious, dtype=np.float64), self.threshold, self.comparison, self._unreadable)
        out["reasons"] = dict(self._reasons)
        out["pred_frame"] = self._reading.frame
        out["gt_frame"] = self.gt_frame
        out["answer"] = self._reading.answer
        out["dialect"] = self._reading.dialect
        return out

    # -- mergeable state ---------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold, "comparison": self.comparison, "pred_frame": self.pred_frame,
            "gt_frame": self.gt_frame, "multiple": self.multiple, "min_pixels": self.min_pixels,
            "max_pixels": self.max_pixels, "answer": self.answer, "dialect": self.dialect,
        }  # fmt: skip

    def _get_state(self) -> dict[str, Any]:
        return {"ious": list(self._ious), "n_unreadable": self._unreadable, "reasons": dict(self._reasons)}

    def _merge_state(self, state: Any) -> None:
        self._ious.extend(float(v) for v in state["ious"])
        self._unreadable += int(state["n_unreadable"])
        for k, v in state["reasons"].items():
            self._reasons[k] = self._reasons.get(k, 0) + int(v)

    def _empty_like(self) -> GroundingMetrics:
        return GroundingMetrics(**self._config())


def grounding_scores(
    pred_xyxy: Any,
    gt_xyxy: Any,
    *,
    threshold: float = 0.5,
    comparison: Comparison = ">=",
) -> dict[str, Any]:
    """Acc@threshold and mean IoU of one predicted box per expression.

    Args:
        pred_xyxy: ``N x 4`` predicted boxes (a row of NaN, or ``None`` in a list, for an
            expression without prediction: IoU 0).
        gt_xyxy: ``N x 4`` ground-truth boxes in the same frame.
    """
    m = GroundingMetrics(threshold=threshold, comparison=comparison)
    m.update_boxes(pred_xyxy, gt_xyxy)
    return _summary(np.asarray(m._ious, dtype=np.float64), m.threshold, m.comparison, m._unreadable)


def grounding_evaluate(
    completions: Sequence[Any],
    ground_truths: Sequence[Any],
    *,
    threshold: float = 0.5,
    comparison: Comparison = ">=",
    pred_frame: str | None = None,
    gt_frame: str = "norm1000",
    image_sizes: Sequence[Any] | None = None,
    multiple: Literal["first", "zero"] = "first",
    prompts: Sequence[str | None] | None = None,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    answer: str = "auto",
    dialect: str = "visual_rft",
    progress: bool = False,
) -> dict[str, Any]:
    """RefCOCO-style Acc@threshold and mean IoU over model completions.

    Each completion is read like the ``grounding.iou`` reward (answer mode ``answer``:
    ``"auto"`` reads an answer block or, without one, the bare completion; the
    ``dialect``'s grammar; first box; conversion from ``pred_frame``, default the
    dialect's frame, to the ground truth's frame); an unreadable answer has IoU 0. The
    streaming form is :class:`GroundingMetrics`.
    """
    m = GroundingMetrics(
        threshold=threshold, comparison=comparison, pred_frame=pred_frame, gt_frame=gt_frame,
        multiple=multiple, min_pixels=min_pixels, max_pixels=max_pixels, answer=answer, dialect=dialect,
    )  # fmt: skip
    m.update(completions, ground_truths, image_sizes=image_sizes, prompts=prompts, progress=progress)
    return m.compute()


def refcoco_accuracy(pred_xyxy: Any, gt_xyxy: Any, *, threshold: float = 0.5, comparison: Comparison = ">=") -> float:
    """Acc@threshold only (see :func:`grounding_scores`)."""
    return grounding_scores(pred_xyxy, gt_xyxy, threshold=threshold, comparison=comparison)["acc"]
