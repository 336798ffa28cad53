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

__all__ = ["grounding_scores", "grounding_evaluate", "refcoco_accuracy"]

Comparison = Literal[">=", ">"]


def _check(threshold: float, comparison: str) -> None:
    if not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"Expected `threshold` in [0, 1], but got {threshold!r}")
    if comparison not in (">=", ">"):
        raise ValueError(f"Expected `comparison` to be '>=' or '>', but got {comparison!r}")


def _summary(ious: np.ndarray, threshold: float, comparison: str, n_unreadable: int) -> dict[str, Any]:
    n = int(ious.shape[0])
    hit = ious >= threshold if comparison == ">=" else ious > threshold
    return {
        "acc": float(hit.mean()) if n else 0.0,
        "miou": float(ious.mean()) if n else 0.0,
        "n": n,
        "n_correct": int(hit.sum()),
        "n_unreadable": int(n_unreadable),
        "threshold": float(threshold),
        "comparison": comparison,
        "ious": ious,
    }


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
    from rewardkit.geometry.boxes import box_iou

    _check(threshold, comparison)
    preds = list(pred_xyxy) if not isinstance(pred_xyxy, np.ndarray) else list(pred_xyxy)
    gts = np.asarray(gt_xyxy, dtype=np.float64).reshape(-1, 4)
    if len(preds) != gts.shape[0]:
        raise ValueError(f"Expected as many predictions as ground truths, but got {len(preds)} and {gts.shape[0]}")
    ious = np.zeros(gts.shape[0])
    missing = 0
    for i, p in enumerate(preds):
        if p is None:
            missing += 1
            continue
        b = np.asarray(p, dtype=np.float64).reshape(-1)
        if b.shape[0] != 4 or not np.all(np.isfinite(b)):
            missing += 1
            continue
        ious[i] = float(box_iou(b[None], gts[i : i + 1])[0, 0])
    return _summary(ious, threshold, comparison, missing)


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
    dialect's frame, to the ground truth's frame); an unreadable answer has IoU 0.
    """
    from rewardkit.parsing.reading import Reading
    from rewardkit.rewards.grounding import grounding_reward

    _check(threshold, comparison)
    base = Reading(answer=answer, dialect=dialect, pred_frame=pred_frame, gt_frame=gt_frame,
                   min_pixels=min_pixels, max_pixels=max_pixels)
    if len(completions) != len(ground_truths):
        raise ValueError(
            f"Expected as many completions as ground truths, but got {len(completions)} and {len(ground_truths)}"
        )
    n = len(completions)
    sizes = list(image_sizes) if image_sizes is not None else [None] * n
    prompts_ = list(prompts) if prompts is not None else [None] * n
    ious = np.zeros(n)
    unreadable = 0
    reasons: dict[str, int] = {}
    pairs = zip(completions, ground_truths)
    if progress:
        from tqdm.auto import tqdm

        pairs = tqdm(pairs, total=n, desc="grounding", unit="expr")
    for i, (c, g) in enumerate(pairs):
        r = grounding_reward(c, g, reading=base, image_size=sizes[i], multiple=multiple, prompt=prompts_[i])
        if r.score is None:
            why = (r.details or {}).get("error", r.reason)
            raise ValueError(f"Ground truth {i} is not usable for grounding: {why}")
        iou = r.details.get("iou") if r.details else None
        if iou is None:
            unreadable += 1
            reasons[r.reason or "unreadable"] = reasons.get(r.reason or "unreadable", 0) + 1
            continue
        ious[i] = float(iou)
    out = _summary(ious, threshold, comparison, unreadable)
    out["reasons"] = reasons
    out["pred_frame"] = base.frame
    out["gt_frame"] = gt_frame
    out["answer"] = base.answer
    out["dialect"] = base.dialect
    return out


def refcoco_accuracy(pred_xyxy: Any, gt_xyxy: Any, *, threshold: float = 0.5, comparison: Comparison = ">=") -> float:
    """Acc@threshold only (see :func:`grounding_scores`)."""
    return grounding_scores(pred_xyxy, gt_xyxy, threshold=threshold, comparison=comparison)["acc"]
