"""Grounding rewards: one predicted box against the referred object (REC, reasoning
grounding). SPEC 2.4.

* ``grounding.iou``: IoU (VLM-R1, UniVG-R1).
* ``grounding.iou_squared``: IoU^2 (Perception-R1).
* ``grounding.giou_plus_one``: GIoU + 1, in [0, 2] (Visual-RFT on LISA).
* ``grounding.accuracy``: 1 if IoU passes a threshold, with ``>=`` (Qwen-VL, InternVL
  evaluators) or ``>`` (VLM-R1, Griffon) as the ``comparison`` parameter.

One area convention (continuous coordinates, no "+1"). An answer with several boxes
scores 0 by default (``multiple="zero"``, reason ``multiple_boxes``): reading only the
first box, as the public REC rewards do (``multiple="first"``), pays "correct box plus
junk" and "ten copies of the correct box". A ground truth with several boxes (several
referents) scores against the best-overlapping one. A ground truth of quadrilaterals
(four corners: OCR regions, rotated boxes) is compared on the exact quad IoU / GIoU
(the answer read as quads; axis-aligned boxes count as rectangles).

The answer is read with a :class:`~rewardkit.parsing.reading.Reading` (``reading=`` or
its fields as keywords: ``answer="auto"`` reads a bare completion without an answer
tag, ``dialect=`` names the model's output grammar, ``pred_frame`` / ``gt_frame`` /
``image_size`` / ``min_pixels`` / ``max_pixels`` the frames). One class,
:class:`GroundingReward`, is registered once per kind.
"""

from __future__ import annotations

import inspect
from typing import Any, Literal

import numpy as np

from rewardkit.geometry.boxes import box_giou, box_iou
from rewardkit.parsing.reading import Reading
from rewardkit.rewards._common import (
    box_target,
    boxes_to_gt_frame,
    check_choice,
    check_unit,
    frame_warning,
    prepare_box_target,
    read_boxes,
    zero,
)
from rewardkit.rewards._quads import quad_grounding, quad_target_or_none
from rewardkit.rewards._signatures import GroundingRewardSignature, typed_as
from rewardkit.rewards.base import BadGroundTruth, register_reward
from rewardkit.rewards.compat import resolve_compat
from rewardkit.types import RewardResult

__all__ = [
    "GroundingReward",
    "grounding_reward",
    "grounding_iou_squared_reward",
    "grounding_giou_reward",
    "grounding_accuracy_reward",
]

Kind = Literal["iou", "iou_squared", "giou_plus_one", "accuracy"]
_KINDS = ("iou", "iou_squared", "giou_plus_one", "accuracy")
_READING = Reading()


def _grounding(
    kind: str,
    completion: Any,
    ground_truth: Any,
    *,
    reading: Reading,
    multiple: str,
    prompt: str | None,
    threshold: float = 0.5,
    comparison: str = ">=",
) -> RewardResult:
    comp = (kind,)
    check_choice("multiple", multiple, ("first", "zero"))
    quads = quad_target_or_none(ground_truth, reading.image_size)
    if quads is not None:  # quadrilateral ground truth (OCR regions, rotated boxes): exact quad IoU
        return quad_grounding(kind, completion, quads, reading, multiple=multiple, prompt=prompt,
                              threshold=threshold, comparison=comparison)
    target = box_target(ground_truth, reading)
    if len(target.boxes) == 0:
        raise BadGroundTruth("Expected at least one ground-truth box for grounding, but got none")
    _, pred, reason = read_boxes(completion, prompt, reading)
    if pred is None:
        return zero(comp, reason)
    if len(pred) == 0:
        return zero(comp, "no_boxes")
    if len(pred) > 1 and multiple == "zero":
        return zero(comp, "multiple_boxes")
    warn = frame_warning(pred.xyxy[:1], reading, target)
    xyxy = boxes_to_gt_frame(pred.xyxy[:1], reading, target)
    iou = float(np.max(box_iou(xyxy, target.boxes.xyxy)))
    if kind == "iou":
        value = iou
    elif kind == "iou_squared":
        value = iou * iou
    elif kind == "giou_plus_one":
        value = float(np.max(box_giou(xyxy, target.boxes.xyxy))) + 1.0
    else:
        value = 1.0 if (iou >= threshold if comparison == ">=" else iou > threshold) else 0.0
    return RewardResult(value, {kind: value}, warn, {"iou": iou, "n_boxes": len(pred)})


class GroundingReward:
    """One predicted box against the referred object; ``kind`` picks the score:
    ``"iou"``, ``"iou_squared"``, ``"giou_plus_one"`` or ``"accuracy"`` (the last one
    takes ``threshold`` and ``comparison``). Instances are registered under several
    names (``grounding.*``, ``vlm_r1.rec_iou``); each has its own docstring and
    signature. ``compat=(registry name, function)`` adds a ``compat`` parameter whose
    modes (:func:`rewardkit.rewards.compat.resolve_compat`) run
    ``function(completion, ground_truth, reading)``, the public code end to end."""

    def __init__(self, kind: Kind, name: str, doc: str, compat: tuple[str, Any] | None = None) -> None:
        check_choice("kind", kind, _KINDS)
        self.kind = kind
        self.compat = compat
        self.__name__ = self.__qualname__ = name
        self.__doc__ = doc
        params = [
            inspect.Parameter("completion", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Any),
            inspect.Parameter("ground_truth", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Any),
        ]
        kw = inspect.Parameter.KEYWORD_ONLY
        if kind == "accuracy":
            params += [inspect.Parameter("threshold", kw, default=0.5, annotation=float),
                       inspect.Parameter("comparison", kw, default=">=", annotation=Literal[">=", ">"])]
        params += [
            inspect.Parameter("multiple", kw, default="zero", annotation=Literal["first", "zero"]),
            inspect.Parameter("prompt", kw, default=None, annotation=str | None),
        ]
        if compat is not None:
            params.append(inspect.Parameter("compat", kw, default=None))
        params.append(inspect.Parameter("reading", kw, default=_READING))
        self.__signature__ = inspect.Signature(params, return_annotation=RewardResult)

    def __call__(self, completion: Any, ground_truth: Any, *, multiple: str = "zero", prompt: str | None = None,
                 reading: Reading = _READING, threshold: float = 0.5, comparison: str = ">=",
                 compat: str | None = None) -> RewardResult:
        if self.compat is not None and resolve_compat(self.compat[0], compat):
            return self.compat[1](completion, ground_truth, reading)
        if compat is not None:
            raise ValueError(f"Expected no `compat` for {self.__name__}, but got {compat!r}")
        if self.kind == "accuracy":
            check_unit("threshold", threshold)
            check_choice("comparison", comparison, (">=", ">"))
        return _grounding(self.kind, completion, ground_truth, reading=reading, multiple=multiple, prompt=prompt,
                          threshold=threshold, comparison=comparison)

    def __repr__(self) -> str:
        return f"GroundingReward({self.kind!r}, {self.__name__!r})"


_TAGS = ("grounding", "boxes", "rec")

# typed_as: the full signature for type checkers (rewards/_signatures.py)
grounding_reward = typed_as(GroundingRewardSignature)(register_reward(
    "grounding.iou", task="grounding", range=(0.0, 1.0), components=("iou",), tags=(*_TAGS, "vlm-r1"), prepare=prepare_box_target,
)(GroundingReward("iou", "grounding_reward", """R = IoU(predicted box, ground-truth box), in [0, 1] (VLM-R1 REC reward).

    ``multiple="zero"``: an answer with several boxes scores 0; ``"first"`` reads the
    first box. Reading: ``reading=`` or its fields as keywords (``answer``, ``dialect``,
    ``pred_frame``, ``gt_frame``, ``image_size``, ``min_pixels``, ``max_pixels``).

    >>> float(grounding_reward("<answer>[0, 0, 100, 100]</answer>", [0, 0, 100, 50]))
    0.5
    >>> float(grounding_reward('```json\\n[{"bbox_2d": [0, 0, 100, 100]}]\\n```', [0, 0, 100, 50]))
    0.5
    """)))

grounding_iou_squared_reward = register_reward(
    "grounding.iou_squared", task="grounding", range=(0.0, 1.0), components=("iou_squared",), tags=(*_TAGS, "perception-r1"),
    prepare=prepare_box_target,
)(GroundingReward("iou_squared", "grounding_iou_squared_reward", """R = IoU^2 (Perception-R1), in [0, 1].

    Parameters as ``grounding.iou``.
    """))

def _visual_rft_lisa(completion: Any, ground_truth: Any, reading: Reading) -> RewardResult:
    from rewardkit.rewards.compat.visual_rft import lisa_giou

    return lisa_giou(completion, ground_truth, pred_frame=reading.frame, gt_frame=reading.gt_frame,
                     image_size=reading.image_size)


grounding_giou_reward = register_reward(
    "grounding.giou_plus_one", task="grounding", range=(0.0, 2.0), components=("giou_plus_one",),
    tags=(*_TAGS, "visual_rft", "lisa"), prepare=prepare_box_target,
)(GroundingReward("giou_plus_one", "grounding_giou_reward", """R = GIoU + 1, in [0, 2] (Visual-RFT reasoning grounding on LISA).

    Parameters as ``grounding.iou``. ``compat="visual_rft"``: the released LISA accuracy
    reward end to end (:mod:`rewardkit.rewards.compat.visual_rft`; needs the ``compat``
    extra).
    """, compat=("grounding.giou_plus_one", _visual_rft_lisa)))

grounding_accuracy_reward = register_reward(
    "grounding.accuracy", task="grounding", range=(0.0, 1.0), components=("accuracy",), tags=(*_TAGS, "refcoco"),
    prepare=prepare_box_target,
)(GroundingReward("accuracy", "grounding_accuracy_reward", """R = 1 if IoU >= threshold (``comparison=">"``: strictly above) else 0.

    Other parameters as ``grounding.iou``.
    """))
