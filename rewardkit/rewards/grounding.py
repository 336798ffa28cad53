"""Grounding rewards: one predicted box against the referred object (REC, reasoning grounding).

Formulas and sources: docs/rewards-grounding.md.

* ``grounding.iou`` (:data:`grounding_iou_reward`, also ``grounding_reward``): IoU
  (VLM-R1, UniVG-R1).
* ``grounding.iou_squared`` (:data:`grounding_iou_squared_reward`): IoU^2 (Perception-R1).
* ``grounding.giou_plus_one`` (:data:`grounding_giou_plus_one_reward`, also
  ``grounding_giou_reward``): GIoU + 1, in [0, 2] (Visual-RFT on LISA).
* ``grounding.accuracy`` (:data:`grounding_accuracy_reward`): 1 if IoU passes
  ``iou_threshold``, with ``>=`` (``inclusive=True``: Qwen-VL, InternVL evaluators) or
  ``>`` (``inclusive=False``: VLM-R1, Griffon), as the grounding metrics.

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
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from rewardkit.geometry.boxes import box_giou, box_iou
from rewardkit.parsing.reading import Reading
from rewardkit.rewards._common import (
    box_target,
    boxes_to_gt_frame,
    check_choice,
    frame_warning,
    iou_rule,
    passes_iou,
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
    "GroundingMatch",
    "GroundingReward",
    "grounding_match",
    "grounding_reward",
    "grounding_iou_reward",
    "grounding_iou_squared_reward",
    "grounding_giou_reward",
    "grounding_giou_plus_one_reward",
    "grounding_accuracy_reward",
]

Kind = Literal["iou", "iou_squared", "giou_plus_one", "accuracy"]
_KINDS = ("iou", "iou_squared", "giou_plus_one", "accuracy")
_READING = Reading()


@dataclass(frozen=True)
class GroundingMatch:
    """The first predicted box of a completion against the best ground-truth box.

    What the ``grounding.*`` rewards score and what the grounding metrics
    (:class:`rewardkit.metrics.grounding.GroundingMetrics`) average: the typed home of the
    IoU, so that no caller reads ``RewardResult.details``.

    Attributes:
        iou: IoU of the first predicted box (quad) with the best-overlapping ground-truth
            box (quad), in the ground truth's frame; ``None`` when no box was read.
        reason: why no box was read (``no_answer_tag``, ``no_boxes``,
            ``multiple_boxes``, ...) when ``iou`` is ``None``, else the frame warning
            (``frame_mismatch?``...) or ``None``.
        n_boxes: the number of boxes in the answer (0 when none was read).
        giou: GIoU of the same pair (``None`` when no box was read).
    """

    iou: float | None
    reason: str | None = None
    n_boxes: int = 0
    giou: float | None = None


def grounding_match(
    completion: Any,
    ground_truth: Any,
    *,
    reading: Reading = _READING,
    multiple: Literal["first", "zero"] = "zero",
    prompt: str | None = None,
) -> GroundingMatch:
    """Read the first box of ``completion`` and match it to the best ground-truth box.

    The reading of the ``grounding.*`` rewards (answer mode, dialect, frames of
    ``reading``; a quadrilateral ground truth compared on the exact quad IoU); see
    docs/rewards-grounding.md.

    Args:
        completion: the model's completion (a string or chat messages).
        ground_truth: one box, several boxes (several referents) or quads.
        reading: how the completion is read (:class:`~rewardkit.parsing.reading.Reading`).
        multiple: an answer with several boxes: ``"zero"`` (no IoU, reason
            ``multiple_boxes``) or ``"first"`` box.
        prompt: the prompt, stripped when the model echoes it.

    Returns:
        A :class:`GroundingMatch`; ``iou`` is ``None`` when the answer gives no usable box.

    Raises:
        BadGroundTruth: a ground truth without any box.
        ValueError: an unknown ``multiple``, or a frame conversion without an image size.

    Example:
        >>> grounding_match("<answer>[0, 0, 100, 100]</answer>", [0, 0, 100, 50]).iou
        0.5
        >>> grounding_match("no box", [0, 0, 100, 50]).reason
        'unparseable'
    """
    check_choice("multiple", multiple, ("first", "zero"))
    quads = quad_target_or_none(ground_truth, reading.image_size)
    if quads is not None:  # quadrilateral ground truth (OCR regions, rotated boxes): exact quad IoU
        r = quad_grounding("giou_plus_one", completion, quads, reading, multiple=multiple, prompt=prompt)
        if r.score is None or "iou" not in r.details:  # the internal record of the quad path, same layer
            return GroundingMatch(None, r.reason)
        return GroundingMatch(float(r.details["iou"]), r.reason, int(r.details["n_boxes"]), float(r.score) - 1.0)
    target = box_target(ground_truth, reading)
    if len(target.boxes) == 0:
        raise BadGroundTruth("Expected at least one ground-truth box for grounding, but got none")
    _, pred, reason = read_boxes(completion, prompt, reading)
    if pred is None:
        return GroundingMatch(None, reason)
    if len(pred) == 0:
        return GroundingMatch(None, "no_boxes")
    if len(pred) > 1 and multiple == "zero":
        return GroundingMatch(None, "multiple_boxes", len(pred))
    warn = frame_warning(pred.xyxy[:1], reading, target)
    xyxy = boxes_to_gt_frame(pred.xyxy[:1], reading, target)
    iou = float(np.max(box_iou(xyxy, target.boxes.xyxy)))
    giou = float(np.max(box_giou(xyxy, target.boxes.xyxy)))
    return GroundingMatch(iou, warn, len(pred), giou)


def _grounding(
    kind: str,
    completion: Any,
    ground_truth: Any,
    *,
    reading: Reading,
    multiple: str,
    prompt: str | None,
    iou_threshold: float = 0.5,
    inclusive: bool = True,
) -> RewardResult:
    comp = (kind,)
    check_choice("multiple", multiple, ("first", "zero"))
    quads = quad_target_or_none(ground_truth, reading.image_size)
    if quads is not None:  # quadrilateral ground truth (OCR regions, rotated boxes): exact quad IoU
        return quad_grounding(kind, completion, quads, reading, multiple=multiple, prompt=prompt,
                              threshold=iou_threshold, comparison=">=" if inclusive else ">")
    m = grounding_match(completion, ground_truth, reading=reading, multiple=multiple, prompt=prompt)  # type: ignore[arg-type]
    if m.iou is None:
        return zero(comp, m.reason)
    iou = m.iou
    if kind == "iou":
        value = iou
    elif kind == "iou_squared":
        value = iou * iou
    elif kind == "giou_plus_one":
        value = float(m.giou) + 1.0  # type: ignore[arg-type]
    else:
        value = 1.0 if passes_iou(iou, iou_threshold, inclusive) else 0.0
    return RewardResult(value, {kind: value}, m.reason, {"iou": iou, "n_boxes": m.n_boxes})


class GroundingReward:
    """One predicted box against the referred object, scored by ``kind``.

    ``kind`` is ``"iou"``, ``"iou_squared"``, ``"giou_plus_one"`` or ``"accuracy"`` (the
    last one takes ``iou_threshold`` and ``inclusive``, and the deprecated ``threshold``
    and ``comparison``). Instances are registered under several names (``grounding.*``,
    ``vlm_r1.rec_iou``); each has its own docstring and signature.

    Args:
        kind: the score (see above).
        name: the function name the instance reports (``__name__``).
        doc: the instance's docstring.
        compat: ``(registry name, function)`` adds a ``compat`` parameter whose modes
            (:func:`rewardkit.rewards.compat.resolve_compat`) run
            ``function(completion, ground_truth, reading)``, the public code end to end.

    Raises:
        ValueError: an unknown ``kind``.
    """

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
            params += [inspect.Parameter("iou_threshold", kw, default=0.5, annotation=float),
                       inspect.Parameter("inclusive", kw, default=True, annotation=bool)]
        params += [
            inspect.Parameter("multiple", kw, default="zero", annotation=Literal["first", "zero"]),
            inspect.Parameter("prompt", kw, default=None, annotation=str | None),
        ]
        if compat is not None:
            params.append(inspect.Parameter("compat", kw, default=None))
        params.append(inspect.Parameter("reading", kw, default=_READING))
        if kind == "accuracy":  # deprecated names, last
            params += [inspect.Parameter("threshold", kw, default=None, annotation=float | None),
                       inspect.Parameter("comparison", kw, default=None, annotation=Literal[">=", ">"] | None)]
        self.__signature__ = inspect.Signature(params, return_annotation=RewardResult)

    def __call__(self, completion: Any, ground_truth: Any, *, multiple: str = "zero", prompt: str | None = None,
                 reading: Reading = _READING, iou_threshold: float = 0.5, inclusive: bool = True,
                 threshold: float | None = None, comparison: str | None = None,
                 compat: str | None = None) -> RewardResult:
        """Score one completion (see the instance's docstring)."""
        if self.compat is not None and resolve_compat(self.compat[0], compat):
            return self.compat[1](completion, ground_truth, reading)
        if compat is not None:
            raise ValueError(f"Expected no `compat` for {self.__name__}, but got {compat!r}")
        if self.kind == "accuracy":
            iou_threshold, inclusive = iou_rule(iou_threshold, inclusive, threshold, comparison, stacklevel=4)
        return _grounding(self.kind, completion, ground_truth, reading=reading, multiple=multiple, prompt=prompt,
                          iou_threshold=iou_threshold, inclusive=inclusive)

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
)(GroundingReward("accuracy", "grounding_accuracy_reward", """R = 1 if IoU >= iou_threshold (``inclusive=False``: IoU > iou_threshold) else 0.

    The RefCOCO Acc@t rule per completion (docs/rewards-grounding.md): ``inclusive=True``
    as the Qwen-VL / InternVL evaluators, ``False`` as VLM-R1 / Griffon; the two differ
    only on exact ties, which integer ``norm1000`` coordinates make possible.

    Args:
        iou_threshold: the IoU a correct box reaches (default 0.5).
        inclusive: an IoU equal to ``iou_threshold`` counts (default ``True``).
        threshold: deprecated name of ``iou_threshold`` (a ``DeprecationWarning``).
        comparison: deprecated: ``">="`` is ``inclusive=True``, ``">"`` is ``False``.

    Other parameters as ``grounding.iou``.

    >>> float(grounding_accuracy_reward("<answer>[0, 0, 100, 100]</answer>", [0, 0, 100, 50]))
    1.0
    >>> float(grounding_accuracy_reward("<answer>[0, 0, 100, 100]</answer>", [0, 0, 100, 50], inclusive=False))
    0.0
    """))

# Registry names equal to function names (``grounding.<kind>`` -> ``grounding_<kind>_reward``);
# the first names stay importable.
grounding_iou_reward = grounding_reward
grounding_giou_plus_one_reward = grounding_giou_reward
