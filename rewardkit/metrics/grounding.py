"""Referring-expression grounding metrics: RefCOCO Acc@0.5 and mean IoU.

Acc@t is the fraction of expressions whose predicted box has IoU >= t with the ground
truth (``inclusive=True``, the Qwen-VL / InternVL evaluators) or IoU > t
(``inclusive=False``, VLM-R1 / Griffon); ``t`` is ``iou_threshold``. The two differ only on exact ties, which
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
>>> grounding_scores([[0, 0, 10, 10]], [[0, 0, 10, 20]], inclusive=False)["acc"]
0.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from rewardkit.metrics._state import MergeableMetric, exact_mean
from rewardkit.parsing.frames import Frame
from rewardkit.rewards._common import iou_rule

__all__ = ["GroundingMetrics", "grounding_scores", "grounding_evaluate", "refcoco_accuracy"]

Comparison = Literal[">=", ">"]


def _check(iou_threshold: float, inclusive: bool, threshold: float | None = None, comparison: str | None = None) -> tuple[float, bool]:
    """The one validation of :class:`GroundingMetrics` and the grounding functions.

    The rule of the ``grounding.accuracy`` reward (:func:`rewardkit.rewards._common.iou_rule`):
    returns ``(iou_threshold, inclusive)``; the old keywords ``threshold`` and
    ``comparison`` (``">="`` / ``">"``) still work, with a :class:`DeprecationWarning`.
    """
    return iou_rule(iou_threshold, inclusive, threshold, comparison, stacklevel=4)


def _summary(ious: np.ndarray, iou_threshold: float, inclusive: bool, n_unreadable: int) -> dict[str, Any]:
    n = int(ious.shape[0])
    hit = ious >= iou_threshold if inclusive else ious > iou_threshold
    return {
        "acc": float(hit.mean()) if n else 0.0,
        "miou": exact_mean(ious) if n else 0.0,
        "n": n,
        "n_correct": int(hit.sum()),
        "n_unreadable": int(n_unreadable),
        "iou_threshold": float(iou_threshold),
        "inclusive": bool(inclusive),
        "threshold": float(iou_threshold),  # the old keys, kept for readers of saved results
        "comparison": ">=" if inclusive else ">",
        "ious": ious,
    }


class GroundingMetrics(MergeableMetric):
    """Streaming Acc@threshold and mean IoU of referring expressions.

    ``update(preds, target)`` with completions (read like the ``grounding.iou`` reward),
    or ``update_boxes(pred_xyxy, gt_xyxy)`` with boxes already in one frame;
    ``compute()`` gives :func:`grounding_evaluate`'s dict. Mean IoU is a correctly
    rounded mean, so merged shards (:meth:`merge`) give ``==`` the one-pass numbers.

    Args:
        iou_threshold: the IoU a correct box reaches.
        inclusive: ``IoU >= iou_threshold`` counts (True) or only ``IoU > iou_threshold``.
        pred_frame: coordinate frame of the predicted boxes (None: the dialect's).
        gt_frame: coordinate frame of the ground-truth boxes.
        multiple: an answer with several boxes: ``"first"`` box, or ``"zero"`` (IoU 0).
        min_pixels: lower pixel bound of the model's image resize (``qwen25vl`` frame).
        max_pixels: upper pixel bound of the model's image resize (``qwen25vl`` frame).
        answer: answer mode (``"auto"``, ``"tags"``, ``"whole"``).
        dialect: the model's output grammar (:mod:`rewardkit.parsing.dialects`).
        threshold: deprecated name of ``iou_threshold``.
        comparison: deprecated (``">="`` is ``inclusive=True``, ``">"`` is ``False``).

    Raises:
        ValueError: an unknown frame, dialect or answer mode, a threshold outside
            [0, 1], or an unknown ``comparison``.

    Example:
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
        iou_threshold: float = 0.5,
        inclusive: bool = True,
        pred_frame: Frame | None = None,
        gt_frame: Frame = "norm1000",
        multiple: Literal["first", "zero"] = "first",
        min_pixels: int | None = None,
        max_pixels: int | None = None,
        answer: str = "auto",
        dialect: str = "visual_rft",
        threshold: float | None = None,
        comparison: Comparison | None = None,
    ) -> None:
        from rewardkit.parsing.reading import Reading

        iou_threshold, inclusive = _check(iou_threshold, inclusive, threshold, comparison)
        # validated once, here (unknown frame, dialect or answer mode: ValueError)
        self._reading = Reading(answer=answer, dialect=dialect, pred_frame=pred_frame, gt_frame=gt_frame,
                                min_pixels=min_pixels, max_pixels=max_pixels)  # fmt: skip
        self.answer = answer
        self.dialect = dialect
        self.iou_threshold = iou_threshold
        self.inclusive = inclusive
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
        """Add expressions read from completions.

        Args:
            preds: the completions, one per expression.
            target: the ground-truth boxes, one per expression.
            image_sizes: ``(width, height)`` per expression, for pixel frames.
            prompts: the prompts, stripped from the completions when echoed.
            progress: show a tqdm progress bar.

        Raises:
            ValueError: a number of completions that differs from the number of ground
                truths, or a ground truth that is not usable for grounding.
        """
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
            reading = self._reading if sizes[i] is None else self._reading.replace(image_size=sizes[i])
            iou, reason = self._match(c, g, reading, prompts_[i], base + i)
            if iou is None:
                self._unreadable += 1
                key = reason or "unreadable"
                self._reasons[key] = self._reasons.get(key, 0) + 1
                self._ious.append(0.0)
                continue
            self._ious.append(iou)

    def _match(self, completion: Any, ground_truth: Any, reading: Any, prompt: str | None, index: int) -> tuple[float | None, str | None]:
        """``(IoU or None, reason)`` of one expression, through the rewards' :func:`grounding_match`.

        A ground truth that cannot be read raises ``ValueError``; any other failure that
        needs the completion (the same safety net as the rewards') makes it unreadable
        with reason ``internal_error:<Type>``.
        """
        from rewardkit.errors import ParameterError
        from rewardkit.rewards.grounding import grounding_match

        try:
            m = grounding_match(completion, ground_truth, reading=reading, multiple=self.multiple, prompt=prompt)
        except (ParameterError, ImportError):
            raise
        except Exception as exc:  # noqa: BLE001 - blamed below, as the rewards' safety net does
            try:
                grounding_match("", ground_truth, reading=reading, multiple=self.multiple)
            except Exception:  # noqa: BLE001 - fails without the completion: the ground truth's
                raise ValueError(f"Ground truth {index} is not usable for grounding: {type(exc).__name__}: {str(exc)[:200]}") from exc
            return None, f"internal_error:{type(exc).__name__}"
        return m.iou, m.reason

    def update_boxes(self, pred_xyxy: Any, gt_xyxy: Any) -> None:
        """Add expressions given as boxes in one frame.

        Args:
            pred_xyxy: predicted boxes (``None`` or a NaN row: no prediction, IoU 0).
            gt_xyxy: ``N x 4`` ground-truth boxes in the same frame.

        Raises:
            ValueError: a number of predictions that differs from the number of ground
                truths.
        """
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
        out = _summary(np.asarray(self._ious, dtype=np.float64), self.iou_threshold, self.inclusive, self._unreadable)
        out["reasons"] = dict(self._reasons)
        out["pred_frame"] = self._reading.frame
        out["gt_frame"] = self.gt_frame
        out["answer"] = self._reading.answer
        out["dialect"] = self._reading.dialect
        return out

    # -- mergeable state ---------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        return {
            "iou_threshold": self.iou_threshold, "inclusive": self.inclusive, "pred_frame": self.pred_frame,
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
    iou_threshold: float = 0.5,
    inclusive: bool = True,
    threshold: float | None = None,
    comparison: Comparison | None = None,
) -> dict[str, Any]:
    """Acc@iou_threshold and mean IoU of one predicted box per expression.

    Args:
        pred_xyxy: ``N x 4`` predicted boxes (a row of NaN, or ``None`` in a list, for an
            expression without prediction: IoU 0).
        gt_xyxy: ``N x 4`` ground-truth boxes in the same frame.
        iou_threshold: the IoU a correct box reaches.
        inclusive: ``IoU >= iou_threshold`` counts (True) or only ``IoU > iou_threshold``.
        threshold: deprecated name of ``iou_threshold``.
        comparison: deprecated (``">="`` is ``inclusive=True``, ``">"`` is ``False``).

    Returns:
        ``{"acc", "miou", "n", "n_correct", "n_unreadable", "iou_threshold", "inclusive",
        "ious"}`` (plus the old ``"threshold"`` / ``"comparison"`` keys).
    """
    iou_threshold, inclusive = _check(iou_threshold, inclusive, threshold, comparison)
    m = GroundingMetrics(iou_threshold=iou_threshold, inclusive=inclusive)
    m.update_boxes(pred_xyxy, gt_xyxy)
    return _summary(np.asarray(m._ious, dtype=np.float64), m.iou_threshold, m.inclusive, m._unreadable)


def grounding_evaluate(
    completions: Sequence[Any],
    ground_truths: Sequence[Any],
    *,
    iou_threshold: float = 0.5,
    inclusive: bool = True,
    pred_frame: Frame | None = None,
    gt_frame: Frame = "norm1000",
    image_sizes: Sequence[Any] | None = None,
    multiple: Literal["first", "zero"] = "first",
    prompts: Sequence[str | None] | None = None,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    answer: str = "auto",
    dialect: str = "visual_rft",
    progress: bool = False,
    threshold: float | None = None,
    comparison: Comparison | None = None,
) -> dict[str, Any]:
    """RefCOCO-style Acc@threshold and mean IoU over model completions.

    Each completion is read like the ``grounding.iou`` reward (answer mode ``answer``:
    ``"auto"`` reads an answer block or, without one, the bare completion; the
    ``dialect``'s grammar; first box; conversion from ``pred_frame``, default the
    dialect's frame, to the ground truth's frame); an unreadable answer has IoU 0. The
    streaming form is :class:`GroundingMetrics`.
    """
    iou_threshold, inclusive = _check(iou_threshold, inclusive, threshold, comparison)
    m = GroundingMetrics(
        iou_threshold=iou_threshold, inclusive=inclusive, pred_frame=pred_frame, gt_frame=gt_frame,
        multiple=multiple, min_pixels=min_pixels, max_pixels=max_pixels, answer=answer, dialect=dialect,
    )  # fmt: skip
    m.update(completions, ground_truths, image_sizes=image_sizes, prompts=prompts, progress=progress)
    return m.compute()


def refcoco_accuracy(pred_xyxy: Any, gt_xyxy: Any, *, iou_threshold: float = 0.5, inclusive: bool = True,
                     threshold: float | None = None, comparison: Comparison | None = None) -> float:
    """Acc@iou_threshold only (see :func:`grounding_scores`)."""
    iou_threshold, inclusive = _check(iou_threshold, inclusive, threshold, comparison)
    return grounding_scores(pred_xyxy, gt_xyxy, iou_threshold=iou_threshold, inclusive=inclusive)["acc"]
