"""Segmentation rewards: mask IoU, Seg-R1's mask reward, point-in-mask (formulas: docs/rewards-segmentation.md).

* ``segmentation.mask_iou``: IoU between the mask the completion describes and the
  ground-truth mask. The answer may hold an RLE dict, polygons (``[[x1, y1, x2, y2,
  ...], ...]`` or one polygon as ``[[x, y], ...]`` points) in ``pred_frame``, or Seg-R1
  prompts turned into a mask by the segmenter.
* ``seg_r1.mask`` (Seg-R1): the answer holds box and point prompts
  (``<bbox>[...]</bbox>, <points>[[x, y], ...]</points>, <labels>[1, 0, ...]</labels>``);
  a promptable segmenter turns them into a mask (per box, the points inside it are its
  prompts; several boxes are OR-ed) and
  ``R = 0.7 * IoU(mask, gt) + 0.3 * S_alpha(mask, gt) + R_format`` with ``alpha = 0.5``,
  in [0, 2]. ``R_format`` is 1 when the strict think/answer format holds and the prompts
  parse. S-measure is PySODMetrics 1.6.2's; where it gives NaN (an object whose centroid
  is in the last row or column) the term is 0, which is also what the old version gives.
  ``compat="seg_r1"`` reproduces the released reward end to end
  (:mod:`rewardkit.rewards.compat.seg_r1`: its reading of the prompts, IoU 0 on two empty
  masks, and the S-measure term ``1 - mean(pred)`` its ``> 128`` ground truth leaves).
* ``point.in_mask`` (Rex-Omni style pointing): with one ground-truth mask, the fraction of
  predicted points that fall on it; with a list of instance masks, points and instances
  are matched one-to-one (a point matches an instance it falls on) and
  ``R = 2 * matches / (n_points + n_instances)``.

Fixed public defect (Seg-R1): its ground truth (0/1) was thresholded with ``> 128`` and
so became empty, which makes the S-measure term reward smaller masks. Here ground truth
goes through :func:`rewardkit.parsing.masks.to_mask` (one bool contract, a 0/1 image can
never be emptied); only ``compat="seg_r1"`` reproduces the defect.

Segmenters: pass ``segmenter=`` a :class:`~rewardkit.geometry.segmenters.Segmenter`
instance or the name of one registered with :func:`register_segmenter` (names keep
reward objects picklable for trainer workers; ``"geometric"`` is built in). The image
comes from the ``image`` parameter or the ground truth's ``"image"`` key; without one,
the segmenter gets the mask size (enough for the geometric segmenter). Its embedding is
cached per image, so the G completions of one prompt encode it once; ``score_batch``
warms the cache once in ``prepare``. With a segmenter whose ``predict_many`` decodes
in batches (:class:`~rewardkit.geometry.segmenters.TransformersSAM2Segmenter`), the
group entry point of ``seg_r1.mask`` decodes the prompt sets of all G completions
together, then scores each completion with the per-completion reward.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from rewardkit.geometry.masks import mask_iou_pair
from rewardkit.geometry.segmenters import (
    BaseSegmenter,
    GeometricSegmenter,
    segment_prompts,
)
from rewardkit.names import Registry, unknown_name
from rewardkit.parsing.frames import convert_boxes, convert_points
from rewardkit.parsing.polygons import InvalidPolygons
from rewardkit.parsing.reading import Reading, extract_answer_text
from rewardkit.parsing.seg_r1 import parse_seg_r1
from rewardkit.parsing.segmentation import SegTarget, read_mask_answer, read_seg_target
from rewardkit.rewards._common import check_choice
from rewardkit.rewards.base import register_batch, register_reward
from rewardkit.rewards.compat import resolve_compat
from rewardkit.types import Mask, RewardResult

__all__ = [
    "SegTarget",
    "read_seg_target",
    "prepare_seg_target",
    "register_segmenter",
    "get_segmenter",
    "mask_iou_reward",
    "seg_r1_mask_reward",
    "mask_from_answer",
]

def _check_segmenter(segmenter: Any) -> None:
    if not (hasattr(segmenter, "predict") and hasattr(segmenter, "prepare")):
        raise ValueError(f"Expected a segmenter with prepare() and predict(), but got {type(segmenter).__name__}")


_SEGMENTERS: Registry[Any] = Registry("segmenter", _check_segmenter)


def register_segmenter(name: str, segmenter: Any) -> None:
    """Make ``segmenter`` reachable as ``segmenter=name`` (register it in every worker).

    Args:
        name: The name.
        segmenter: A segmenter instance (with ``prepare`` and ``predict``).

    Raises:
        ValueError: ``segmenter`` has no ``prepare`` or ``predict``.
    """
    _SEGMENTERS.register(str(name), segmenter)


def get_segmenter(segmenter: Any) -> Any:
    """A segmenter instance from an instance or a registered name (``"geometric"`` built in).

    Args:
        segmenter: A segmenter instance, a registered name, or None (``"geometric"``).

    Returns:
        The segmenter instance.

    Raises:
        KeyError: an unknown name.
        ValueError: an object that is not a segmenter.
    """
    if segmenter is None or segmenter == "geometric":
        if "geometric" not in _SEGMENTERS:
            _SEGMENTERS["geometric"] = GeometricSegmenter()
        return _SEGMENTERS["geometric"]
    if isinstance(segmenter, str):
        if segmenter not in _SEGMENTERS:
            raise unknown_name("segmenter", segmenter, {"geometric", *_SEGMENTERS})
        return _SEGMENTERS[segmenter]
    if not (hasattr(segmenter, "predict") and hasattr(segmenter, "prepare")):
        raise ValueError(f"Expected a segmenter (prepare/predict) or its registered name, but got {type(segmenter).__name__}")
    return segmenter


def prepare_seg_target(ground_truth: Any, **params: Any) -> SegTarget:
    """Parse the ground truth once per prompt and warm the segmenter's embedding cache.

    Args:
        ground_truth: The ground truth (see :func:`read_seg_target`).
        **params: The reward's parameters (``image``, ``segmenter`` are used).

    Returns:
        The :class:`SegTarget`.

    Raises:
        BadGroundTruth: an unreadable ground truth.
        KeyError: an unknown segmenter name.
    """
    target = read_seg_target(ground_truth, image=params.get("image"))
    seg = get_segmenter(params.get("segmenter", "geometric"))
    if isinstance(seg, BaseSegmenter):
        seg.state_for(_segmenter_input(target))
    return target


def _prepare_masks(ground_truth: Any, **params: Any) -> SegTarget:
    return read_seg_target(ground_truth)


def _segmenter_input(target: SegTarget) -> Any:
    if target.image is not None:
        return target.image
    h, w = target.hw
    return (w, h)


def _resize_nearest(mask: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    h, w = hw
    if mask.shape == (h, w):
        return mask
    rows = np.minimum((np.arange(h) + 0.5) * mask.shape[0] / h, mask.shape[0] - 1).astype(np.intp)
    cols = np.minimum((np.arange(w) + 0.5) * mask.shape[1] / w, mask.shape[1] - 1).astype(np.intp)
    return mask[rows[:, None], cols[None, :]]


def _prompts_to_mask(prompts: Any, target: SegTarget, segmenter: Any, pred_frame: str) -> Mask:
    seg = get_segmenter(segmenter)
    img = _segmenter_input(target)
    state = seg.state_for(img) if isinstance(seg, BaseSegmenter) else seg.prepare(img)
    h, w = seg.image_size(state)
    boxes = prompts.boxes.xyxy
    pts = prompts.points.xy
    if pred_frame != "pixel":
        boxes = convert_boxes(boxes, pred_frame, "pixel", image_size=(w, h)) if len(boxes) else boxes
        pts = convert_points(pts, pred_frame, "pixel", image_size=(w, h)) if len(pts) else pts
    m = segment_prompts(seg, state, boxes, pts, prompts.point_labels)
    return Mask(_resize_nearest(m.data, target.hw))


def _s_term(pred: np.ndarray, gt: np.ndarray, alpha: float, compat: Any) -> tuple[float, bool]:
    from rewardkit.geometry.saliency import s_measure

    if np.array_equal(pred, gt):
        return 1.0, False  # identical masks: exactly 1 (the formula gives 1 - O(1e-14))
    s = s_measure(pred, gt, alpha=alpha, compat=compat)
    if np.isnan(s):
        return 0.0, True
    return float(s), False


def _check_weights(iou_weight: float, s_weight: float) -> None:
    if not (0.0 <= iou_weight <= 1.0 and 0.0 <= s_weight <= 1.0 and iou_weight + s_weight <= 1.0 + 1e-12):
        raise ValueError(f"Expected iou_weight, s_weight in [0, 1] with sum <= 1, but got {iou_weight}, {s_weight}")


_SEG_COMPONENTS = ("iou", "s_measure", "format")
_SEG_R1_READING = Reading(pred_frame="seg_r1")
_PIXEL_READING = Reading(pred_frame="pixel")


@register_reward(
    "seg_r1.mask",
    task="segmentation",
    range=(0.0, 2.0),
    components=_SEG_COMPONENTS,
    tags=("segmentation", "seg-r1", "segmenter"),
    prepare=prepare_seg_target,
    reading_fields=("answer", "pred_frame"),
)


def seg_r1_mask_reward(
    completion: Any,
    ground_truth: Any,
    *,
    image: Any = None,
    segmenter: Any = "geometric",
    reading: Reading = _SEG_R1_READING,
    iou_weight: float = 0.7,
    s_weight: float = 0.3,
    alpha: float = 0.5,
    compat: Literal["seg_r1"] | None = None,
    empty_score: float = 1.0,
    max_prompts: int = 50,
    prompt: str | None = None,
) -> RewardResult:
    """Seg-R1: R = 0.7 * IoU(mask, gt) + 0.3 * S_0.5(mask, gt) + R_format, in [0, 2].

    ``empty_score`` is the IoU when both masks are empty. ``pred_frame`` is the frame of
    the prompts (Seg-R1: pixels of the image resized to 768 x 768). ``answer="auto"``
    (default) also reads Seg-R1's released layout without an answer tag
    (``<think>..</think><bbox>..</bbox>, <points>..</points>, <labels>..</labels>``);
    R_format stays the strict think/answer format. More than
    ``max_prompts`` boxes + points score the minimum (``too_many_prompts``): each prompt
    costs a segmenter call, and work is bounded by input size. ``compat="seg_r1"``: the
    released reward (see the module docstring; ``details["segmenter_color_order"]``
    reports the channel swap its SAM2 wrapper applies).

    Args:
        completion: The model's completion.
        ground_truth: The ground-truth mask (see :func:`read_seg_target`).
        image: The image for the segmenter (else the ground truth's, else its size).
        segmenter: A segmenter instance or registered name (``"geometric"`` by default).
        reading: How to read the answer (``pred_frame="seg_r1"`` by default).
        iou_weight: The weight of the IoU term (0.7).
        s_weight: The weight of the S-measure term (0.3).
        alpha: The S-measure's ``alpha`` (0.5).
        compat: ``"seg_r1"`` for the released reward, or None.
        empty_score: The IoU when both masks are empty.
        max_prompts: Most boxes + points an answer may hold.
        prompt: The prompt (for answer extraction), or None.

    Returns:
        A :class:`~rewardkit.types.RewardResult` with components ``iou``, ``s_measure``
        and ``format`` (raw terms; the weights are in ``details["weights"]``).

    Raises:
        BadGroundTruth: an unreadable ground truth.
        ValueError: weights outside [0, 1] or summing above 1, or an unknown ``compat``.
        KeyError: an unknown segmenter name.

    Example:
        >>> import numpy as np
        >>> gt = np.zeros((768, 768), bool); gt[100:300, 200:500] = True
        >>> c = "<think>t</think><answer><bbox>[200, 100, 500, 300]</bbox></answer>"
        >>> float(seg_r1_mask_reward(c, gt))
        2.0
    """
    _check_weights(iou_weight, s_weight)
    pred_frame = reading.frame
    target = read_seg_target(ground_truth, image=image)
    if resolve_compat("seg_r1.mask", compat):
        from rewardkit.rewards.compat.seg_r1 import seg_r1_mask

        return seg_r1_mask(completion, target, segmenter=segmenter, pred_frame=pred_frame, max_prompts=max_prompts)
    ans = extract_answer_text(completion, prompt, reading.answer)
    tp = ans.tags
    if ans.text is None:
        return RewardResult(0.0, dict.fromkeys(_SEG_COMPONENTS, 0.0), ans.reason or "no_answer_tag")
    parsed = parse_seg_r1(ans.text)
    if not parsed.ok:
        return RewardResult(0.0, dict.fromkeys(_SEG_COMPONENTS, 0.0), parsed.reason)
    if len(parsed.value) > max_prompts:
        return RewardResult(0.0, dict.fromkeys(_SEG_COMPONENTS, 0.0), "too_many_prompts", {"n_prompts": len(parsed.value)})
    fmt = 1.0 if tp.strict else 0.0
    pred = _prompts_to_mask(parsed.value, target, segmenter, pred_frame)
    gt = target.mask
    iou = mask_iou_pair(pred, gt, empty_value=empty_score)
    s, s_nan = _s_term(pred.data, gt.data, alpha, None)
    score = iou_weight * iou + s_weight * s + fmt
    # components are the raw terms; the weights make the total recoverable (TRL adapter)
    details = {"pred_area": pred.area, "gt_area": gt.area, "weights": {"iou": iou_weight, "s_measure": s_weight, "format": 1.0}}
    if s_nan:
        details["s_measure_nan"] = True
    return RewardResult(score, {"iou": iou, "s_measure": s, "format": fmt}, None if tp.strict else (tp.reason or "bad_format"), details)


def _set_key(prompt_set: Any) -> tuple[bytes | None, ...]:
    return tuple(None if v is None else np.ascontiguousarray(v, dtype=np.float64).tobytes() for v in prompt_set)


class _GroupSegmenter(BaseSegmenter):
    """Wraps a segmenter for the group entry point of ``seg_r1.mask``.

    In ``record`` mode ``predict_many`` only notes the prompt sets (and returns empty
    masks); :meth:`decode` then decodes every noted set of a state in one
    ``predict_many`` call; afterwards the wrapper serves those masks and defers anything
    else to the segmenter.
    """

    def __init__(self, segmenter: Any) -> None:
        super().__init__()
        self.segmenter = segmenter
        self.record = True
        self._states: dict[int, Any] = {}
        self._pending: dict[int, dict[tuple[bytes | None, ...], tuple[Any, Any, Any]]] = {}
        self._masks: dict[tuple[int, tuple[bytes | None, ...]], Mask] = {}

    def prepare(self, image: Any) -> Any:
        return self.segmenter.prepare(image)

    def state_for(self, image: Any, **kwargs: Any) -> Any:
        return self.segmenter.state_for(image, **kwargs)

    def image_size(self, state: Any) -> tuple[int, int]:
        return self.segmenter.image_size(state)

    def predict(self, state: Any, box: Any = None, points: Any = None, point_labels: Any = None) -> Mask:
        return self.predict_many(state, [(box, points, point_labels)])[0]

    def predict_many(self, state: Any, prompt_sets: Any) -> list[Mask]:
        sets = list(prompt_sets)
        sid = id(state)
        self._states[sid] = state  # keeps the state (and so its id) alive
        keys = [_set_key(s) for s in sets]
        if self.record:
            pending = self._pending.setdefault(sid, {})
            for k, ps in zip(keys, sets):
                pending.setdefault(k, ps)
            h, w = self.segmenter.image_size(state)
            return [Mask(np.zeros((h, w), dtype=bool)) for _ in sets]
        missing = [i for i, k in enumerate(keys) if (sid, k) not in self._masks]
        if missing:
            for i, m in zip(missing, self.segmenter.predict_many(state, [sets[i] for i in missing])):
                self._masks[(sid, keys[i])] = m
        return [self._masks[(sid, k)] for k in keys]

    def decode(self) -> None:
        for sid, pending in self._pending.items():
            keys = list(pending)
            for k, m in zip(keys, self.segmenter.predict_many(self._states[sid], [pending[k] for k in keys])):
                self._masks[(sid, k)] = m
        self._pending.clear()
        self.record = False


@register_batch("seg_r1.mask")
def _seg_r1_mask_batch(completions: list[Any], ground_truth: Any, **params: Any) -> list[RewardResult]:
    """The G completions of one prompt, with their prompt sets decoded together.

    With a batched segmenter (one that overrides ``predict_many``), their prompt sets are
    decoded together (one decoder call per set shape instead of one per box and
    completion); then each completion is scored by ``seg_r1.mask`` itself, served the
    decoded masks.
    """
    seg = get_segmenter(params.get("segmenter", "geometric"))
    batched = isinstance(seg, BaseSegmenter) and type(seg).predict_many is not BaseSegmenter.predict_many
    if not batched or len(completions) < 2:
        return [seg_r1_mask_reward(c, ground_truth, **params) for c in completions]
    target = read_seg_target(ground_truth, image=params.get("image"))
    group = _GroupSegmenter(seg)
    reading = params.get("reading", _SEG_R1_READING)  # folded by register_batch
    pred_frame = reading.frame
    max_prompts = params.get("max_prompts", 50)
    for c in completions:  # the same reading as seg_r1_mask_reward, up to the segmenter call
        ans = extract_answer_text(c, params.get("prompt"), reading.answer)
        if ans.text is None:
            continue
        parsed = parse_seg_r1(ans.text)
        if parsed.ok and len(parsed.value) <= max_prompts:
            _prompts_to_mask(parsed.value, target, group, pred_frame)
    group.decode()
    return [seg_r1_mask_reward(c, target, **{**params, "segmenter": group}) for c in completions]


def mask_from_answer(
    answer: str,
    target: SegTarget,
    segmenter: Any,
    pred_frame: str,
    max_prompts: int,
    invalid: InvalidPolygons = "repair",
) -> tuple[Mask | None, str | None]:
    """The answer's mask and a reason (a failure when the mask is None, else a note).

    RLE answers must have the ground truth's size (compared before decoding); polygon
    answers are bounded and validated with shapely first
    (:func:`rewardkit.parsing.polygons.validate_rings`): a valid answer is rasterized as
    written (pycocotools, as before), a repaired or partly degenerate one from its
    validated geometry.

    Args:
        answer: The answer text (RLE, polygons, ``[]`` or Seg-R1 prompts).
        target: The ground truth.
        segmenter: The segmenter for Seg-R1 prompts (instance or registered name).
        pred_frame: The coordinate frame of the answer.
        max_prompts: Most boxes + points a prompt answer may hold.
        invalid: ``"repair"`` or ``"refuse"`` self-intersecting polygons.

    Returns:
        ``(mask, reason)``: the mask or None, and a failure code or a note or None.

    Raises:
        KeyError: an unknown segmenter name.
    """
    if "<bbox>" in answer.lower() or "<points>" in answer.lower():
        parsed = parse_seg_r1(answer)
        if not parsed.ok:
            return None, parsed.reason
        if len(parsed.value) > max_prompts:
            return None, "too_many_prompts"
        return _prompts_to_mask(parsed.value, target, segmenter, pred_frame), None
    return read_mask_answer(answer, target.hw, pred_frame, invalid)


@register_reward(
    "segmentation.mask_iou",
    task="segmentation",
    range=(0.0, 1.0),
    components=("iou",),
    tags=("segmentation",),
    prepare=prepare_seg_target,
    reading_fields=("answer", "pred_frame"),
)


def mask_iou_reward(
    completion: Any,
    ground_truth: Any,
    *,
    image: Any = None,
    segmenter: Any = "geometric",
    reading: Reading = _PIXEL_READING,
    empty_score: float = 1.0,
    max_prompts: int = 50,
    invalid: InvalidPolygons = "repair",
    prompt: str | None = None,
) -> RewardResult:
    """R = IoU(predicted mask, gt mask) = |P & G| / |P | G|; ``empty_score`` when both are empty.

    Polygon answers are validated with shapely before rasterizing (see
    :mod:`rewardkit.parsing.polygons`): ``invalid="repair"`` (default) scores a
    self-intersecting polygon as repaired by ``make_valid`` (the region a COCO evaluator
    rasterizes; reason ``repaired_polygon``), ``"refuse"`` scores it 0
    (``self_intersecting``); collapsed rings are dropped (``degenerate_polygon`` when
    nothing is left). RLE answers of another size than the ground truth score 0
    (``wrong_mask_size``) without being decoded.

    Args:
        completion: The model's completion.
        ground_truth: The ground-truth mask (see :func:`read_seg_target`).
        image: The image for the segmenter (Seg-R1 prompt answers).
        segmenter: A segmenter instance or registered name (``"geometric"`` by default).
        reading: How to read the answer (``pred_frame="pixel"`` by default).
        empty_score: The IoU when both masks are empty.
        max_prompts: Most boxes + points a prompt answer may hold.
        invalid: ``"repair"`` (default) or ``"refuse"`` self-intersecting polygons.
        prompt: The prompt (for answer extraction), or None.

    Returns:
        A :class:`~rewardkit.types.RewardResult` with component ``iou``.

    Raises:
        BadGroundTruth: an unreadable ground truth.
        ValueError: an unknown ``invalid``.

    Example:
        >>> import numpy as np
        >>> gt = np.zeros((10, 10), bool); gt[0:5, 0:5] = True
        >>> float(mask_iou_reward("<answer>[[0, 0, 5, 0, 5, 5, 0, 5]]</answer>", gt))
        1.0
    """
    check_choice("invalid", invalid, ("repair", "refuse"))
    target = read_seg_target(ground_truth, image=image)
    ans = extract_answer_text(completion, prompt, reading.answer)
    if ans.text is None:
        return RewardResult(0.0, {"iou": 0.0}, ans.reason or "no_answer_tag")
    pred, reason = mask_from_answer(ans.text, target, segmenter, reading.frame, max_prompts, invalid)
    if pred is None:
        return RewardResult(0.0, {"iou": 0.0}, reason)
    iou = mask_iou_pair(pred, target.mask, empty_value=empty_score)
    return RewardResult(iou, {"iou": iou}, reason, {"pred_area": pred.area})


def __getattr__(name: str) -> Any:
    # point_in_mask_reward moved to rewardkit.rewards.point_mask (this module's size);
    # its old import path keeps working
    if name == "point_in_mask_reward":
        from rewardkit.rewards.point_mask import point_in_mask_reward

        return point_in_mask_reward
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
