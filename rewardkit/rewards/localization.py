"""Vision-R1's criterion-driven localization reward (Zhan et al., 2025, Section 3.2-3.3).

"Vision-R1: Evolving Human-Free Alignment in Large Vision-Language Models via
Vision-Guided Reinforcement Learning". Every localization task (detection, visual
grounding, REC: one box is a list of one) is scored as detection::

    reward = reward_DF + reward_recall + reward_prec                      (Eq. 7)

* ``reward_DF`` (:func:`dual_format_reward`, Eq. 4): 1 only if the template holds (the
  payload is one well-formed box list: JSON/literal list, every item has a box, a label
  when the ground truth has labels, nothing cut off, repaired or around it, one answer
  block when tags are used) AND the content holds (4 finite numbers per box, x1 < x2 and
  y1 < y2 as written, inside the frame's bounds, whole numbers when
  ``integer_coords``). ``[]`` / "No Objects" is a valid answer (it is the correct one on
  an image without objects).
* Box-prioritized matching (Eq. 3): Hungarian assignment on a box-only cost with terms
  on comparable scales: mean absolute coordinate difference in the normalized
  ``norm1`` frame (in [0, 1]) plus ``1 - GIoU`` (in [0, 2]); ``cost="giou"`` or
  ``"iou"`` use the overlap term only.
* ``reward_recall = f(n_valid / n_gt)`` (Eq. 5), a matched prediction being valid when
  its IoU ``>= xi_0``.
* ``reward_prec = sum_m f([IoU_m >= xi_0] * IoU_m) / M`` (Eq. 6) over the matched
  predictions, ``M`` = the number of predicted instances: unmatched and duplicate boxes
  count in ``M``, so box spam costs.
* Differentiation (Eq. 8): ``f(x) = 1 if x >= xi_2; 0 if x < xi_1; x otherwise``.
* Staged progression (Section 3.3): ``(xi_0, xi_1, xi_2) = before`` (0.5, 0.5, 0.75)
  until the fraction ``switch_at`` of training, ``after`` (0.75, 0.75, 0.9) from then on
  (``switch_at=1.0``: never, the paper's choice for Qwen2.5-VL; 0.5 for Griffon-G). The
  reward is scheduled: pass ``step`` and ``max_steps`` (the trainer adapters do); without
  a step the first stage applies. ``schedule=`` takes any
  :class:`~rewardkit.rewards.schedules.Staged` giving ``xi0``, ``xi1``, ``xi2``.

Empty cases (named parameters): no object and no prediction: recall = precision =
``empty_score`` (1.0); no object but predictions: both 0; objects but no prediction:
both 0.

``compat="vision_r1"`` (old spelling ``"released_code"``) reproduces the released
implementation (Griffon repository, ``visionr1_qwen.py``) end to end, parsing included,
so runs can be compared: see :mod:`rewardkit.rewards.compat.vision_r1` (boxes read from
the whole completion with ``int()``, inverted and zero-width boxes dropped; unnormalized
L1 - GIoU - label cost in float32; precision averaged over matched pairs only, so box
spam is free; recall counts GIoU > 0.5; no schedule; the released template check).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from rewardkit.geometry.boxes import box_giou, box_iou
from rewardkit.geometry.matching import match_hungarian
from rewardkit.parsing.frames import frame_extent
from rewardkit.parsing.ground_truth import BoxTarget
from rewardkit.parsing.labels import normalize_label
from rewardkit.parsing.reading import Reading, extract_answer_text
from rewardkit.parsing.tags import TagParse
from rewardkit.rewards._common import (
    box_reader,
    box_target,
    boxes_to_gt_frame,
    check_choice,
    check_unit,
    prepare_box_target,
)
from rewardkit.rewards.base import register_reward
from rewardkit.rewards.compat import resolve_compat
from rewardkit.rewards.schedules import Staged
from rewardkit.types import Boxes, ParseResult, RewardResult

__all__ = [
    "localization_reward",
    "dual_format_reward",
    "differentiate",
    "progressive_schedule",
    "read_payload",
    "prepare_box_target",
    "Payload",
]

_COMPONENTS = ("format", "recall", "precision")
_READING = Reading()
_JSON_DIALECTS = frozenset({"visual_rft", "qwen2_5_vl", "qwen3_vl", "gemini"})
PAPER_BEFORE = (0.5, 0.5, 0.75)
PAPER_AFTER = (0.75, 0.75, 0.9)


def differentiate(x: float, xi1: float, xi2: float) -> float:
    """Vision-R1's differentiation f (Eq. 8): 1 if x >= xi2, 0 if x < xi1, else x.

    Args:
        x: the value to differentiate (a recall or an IoU).
        xi1: below it, 0.
        xi2: from it on, 1.

    Returns:
        ``f(x)`` as a float.
    """
    if x >= xi2:
        return 1.0
    if x < xi1:
        return 0.0
    return float(x)


def _check_thresholds(name: str, value: Any) -> tuple[float, float, float]:
    try:
        xi = tuple(float(v) for v in value)
    except TypeError:
        raise ValueError(f"Expected `{name}` as (xi0, xi1, xi2), but got {value!r}") from None
    if len(xi) != 3 or not all(0.0 <= v <= 1.0 for v in xi):
        raise ValueError(f"Expected `{name}` as three thresholds in [0, 1], but got {value!r}")
    if xi[1] > xi[2]:
        raise ValueError(f"Expected xi1 <= xi2 in `{name}`, but got {value!r}")
    return xi


def progressive_schedule(switch_at: float = 0.5, before: Any = PAPER_BEFORE, after: Any = PAPER_AFTER) -> Staged:
    """The staged progression of Section 3.3 as a :class:`Staged` schedule by fraction.

    Args:
        switch_at: fraction of training where ``after`` replaces ``before`` (1.0: never).
        before: thresholds ``(xi0, xi1, xi2)`` of the first stage.
        after: thresholds ``(xi0, xi1, xi2)`` of the second stage.

    Returns:
        A :class:`Staged` schedule giving ``xi0``, ``xi1`` and ``xi2``.

    Raises:
        ValueError: ``switch_at`` outside [0, 1], or thresholds that are not three values
            in [0, 1] with ``xi1 <= xi2``.
    """
    check_unit("switch_at", switch_at)
    b = _check_thresholds("before", before)
    a = _check_thresholds("after", after)
    return Staged(
        [(0.0, {"xi0": b[0], "xi1": b[1], "xi2": b[2]}), (float(switch_at), {"xi0": a[0], "xi1": a[1], "xi2": a[2]})],
        by="fraction",
    )


class Payload:
    """The answer text of a completion and how it was found.

    Attributes:
        text: the answer text (None when there is none).
        tags: the tag parse of the completion (None when tags were not read).
        reason: why there is no payload (a reason code) or None.
        one_block: True when the payload is one answer block (or the whole completion).
    """

    __slots__ = ("text", "tags", "reason", "one_block")

    def __init__(self, text: str | None, tags: TagParse | None, reason: str | None, one_block: bool) -> None:
        self.text = text
        self.tags = tags
        self.reason = reason
        self.one_block = one_block


def read_payload(completion: Any, prompt: str | None = None, answer: str = "auto") -> Payload:
    """Find the answer payload of a completion.

    The answer mode ``answer`` (:func:`~rewardkit.parsing.reading.extract_answer_text`)
    reads the last ``<answer>`` block (``"tags"``; ``"tag"`` is an alias), the whole
    completion without think blocks, answer-tag tokens and fence markers (``"whole"``,
    the released Vision-R1 setup: Qwen2.5-VL answers with bare JSON), or ``"auto"``: the
    answer block when the completion has an answer tag, else the whole completion. A
    think block with nothing after it has no payload.

    Args:
        completion: the model's completion (text or chat messages).
        prompt: the prompt, stripped from the completion when echoed.
        answer: the answer mode (``"auto"``, ``"tags"`` / ``"tag"`` or ``"whole"``).

    Returns:
        A :class:`Payload` (``text`` None when there is no payload, with ``reason``).
    """
    ans = extract_answer_text(completion, prompt, answer)
    if ans.source == "whole":
        return Payload(ans.text, ans.tags, ans.reason, True)
    if ans.text is None:
        return Payload(None, ans.tags, ans.reason or "no_answer_tag", False)
    counts = ans.tags.counts
    one = counts.get("<answer>", 0) == 1 and counts.get("</answer>", 0) == 1 and ans.tags.closed
    return Payload(ans.text, ans.tags, None, one)


def _content_ok(parsed: ParseResult[Boxes], extent: tuple[float, float] | None, integer_coords: bool) -> tuple[bool, str | None]:
    d = parsed.details
    if d.get("dropped"):
        return False, "bad_coordinates"
    if d.get("reordered"):
        return False, "inverted_box"
    xyxy = parsed.value.xyxy
    if xyxy.shape[0] == 0:
        return True, None
    if np.any(xyxy[:, 2] <= xyxy[:, 0]) or np.any(xyxy[:, 3] <= xyxy[:, 1]):
        return False, "empty_box"
    if np.any(xyxy < 0):
        return False, "out_of_bounds"
    if extent is not None:
        w, h = extent
        if np.any(xyxy[:, [0, 2]] > w) or np.any(xyxy[:, [1, 3]] > h):
            return False, "out_of_bounds"
    if integer_coords and np.any(xyxy != np.round(xyxy)):
        return False, "non_integer_coordinates"
    return True, None


def _pred_extent(pred_frame: str, target: BoxTarget | None, image_size: Any, resize_kw: dict[str, int]) -> tuple[float, float] | None:
    size = image_size if image_size is not None else (target.image_size if target is not None else None)
    if pred_frame in ("pixel", "qwen25vl") and size is None:
        return None  # upper bound unknown: only >= 0 is checked
    return frame_extent(pred_frame, size, **resize_kw)


def _dual_format(
    payload: Payload,
    parsed: ParseResult[Boxes] | None,
    target: BoxTarget | None,
    *,
    reading: Reading,
    integer_coords: bool,
) -> tuple[float, str | None]:
    """(reward_DF, reason) of Eq. 4.

    The template is a JSON/literal box list for the JSON dialects, the dialect's own
    grammar for the others.
    """
    if payload.text is None or not payload.text:
        return 0.0, payload.reason or "empty_answer"
    if not payload.one_block:
        return 0.0, "several_answer_blocks"
    if parsed is None or not parsed.ok:
        return 0.0, (parsed.reason if parsed is not None else None) or "unparseable"
    d = parsed.details
    if not d.get("negative"):
        structured = reading.dialect in _JSON_DIALECTS
        if (structured and d.get("format") != "structured") or d.get("invalid_items"):
            return 0.0, "bad_template"
        if d.get("repaired") or d.get("trimmed_suffix") or d.get("skipped_prefix") or d.get("text_outside_fence"):
            return 0.0, "bad_template"
        boxes = parsed.value
        gt_has_labels = target is not None and target.boxes.labels is not None
        if gt_has_labels and (boxes.labels is None or any(lab is None or not str(lab).strip() for lab in boxes.labels)):
            return 0.0, "missing_label"
    ok, why = _content_ok(parsed, _pred_extent(reading.frame, target, reading.image_size, reading.resize_kw), integer_coords)
    return (1.0, None) if ok else (0.0, why)


@register_reward(
    "vision_r1.dual_format",
    task="format",
    range=(0.0, 1.0),
    components=("format",),
    tags=("vision_r1", "paper:Vision-R1", "format", "content_check", "boxes"),
    prepare=prepare_box_target,
)
def dual_format_reward(
    completion: Any,
    ground_truth: Any = None,
    *,
    integer_coords: bool = False,
    prompt: str | None = None,
    compat: Literal["vision_r1"] | None = None,
    reading: Reading = _READING,
) -> RewardResult:
    """Vision-R1 dual format reward (Eq. 4): 1 if the template AND the content hold, else 0.

    Template: one box list (JSON or literal; every item has a box, and a label when the
    ground truth has labels; no cut-off/repaired tail, no text around it; a single answer
    block when tags are used). Content: 4 finite numbers per box written with x1 < x2 and
    y1 < y2, inside ``[0, extent]`` of the prediction frame (``pixel``/``qwen25vl`` need
    ``image_size`` for the upper bound), whole numbers if ``integer_coords``. ``[]`` and
    "No Objects" hold both. Prose before or after a code fence breaks the template.

    Args:
        completion: the model's completion (text or chat messages).
        ground_truth: optional boxes; only their labels and image size are used.
        integer_coords: coordinates must be whole numbers.
        prompt: the prompt, stripped from the completion when echoed.
        compat: ``"vision_r1"``: the released template check (inverted for samples
            without objects; :mod:`rewardkit.rewards.compat.vision_r1`).
        reading: how the answer is read (or its fields as keywords): ``answer``
            (``"auto"``: an answer block if there is one, else the bare completion),
            ``dialect`` (a non-JSON dialect's grammar is its template), ``pred_frame``,
            ``image_size``, ``min_pixels`` / ``max_pixels``.

    Returns:
        A :class:`~rewardkit.types.RewardResult` with score and ``format`` component 0 or
        1 and the reason code of a failed check.

    Example:
        >>> float(dual_format_reward('[{"bbox_2d": [10, 20, 300, 400], "label": "cat"}]'))
        1.0
        >>> float(dual_format_reward('[{"bbox_2d": [10, 20, 3000, 400], "label": "cat"}]'))
        0.0
    """
    if resolve_compat("vision_r1.dual_format", compat):
        from rewardkit.rewards.compat.vision_r1 import dual_format

        return dual_format(completion, ground_truth, image_size=reading.image_size)
    target = None
    if ground_truth is not None:
        target = box_target(ground_truth, reading)
    payload = read_payload(completion, prompt, reading.answer)
    parsed = box_reader(reading)(payload.text) if payload.text else None
    df, why = _dual_format(payload, parsed, target, reading=reading, integer_coords=integer_coords)
    return RewardResult(df, {"format": df}, why)


def _norm1(xyxy: np.ndarray, extent: tuple[float, float]) -> np.ndarray:
    w, h = extent
    return xyxy / np.array([w, h, w, h])


@register_reward(
    "vision_r1.localization",
    task="detection",
    range=(0.0, 3.0),
    components=_COMPONENTS,
    tags=("vision_r1", "paper:Vision-R1", "boxes", "grounding", "rec"),
    scheduled=True,
    prepare=prepare_box_target,
)
def localization_reward(
    completion: Any,
    ground_truth: Any,
    *,
    switch_at: float = 0.5,
    before: tuple[float, float, float] = PAPER_BEFORE,
    after: tuple[float, float, float] = PAPER_AFTER,
    schedule: Staged | None = None,
    step: int | None = None,
    max_steps: int | None = None,
    cost: Literal["l1+giou", "giou", "iou"] = "l1+giou",
    use_labels: bool = False,
    compat: Literal["vision_r1", "released_code"] | None = None,
    integer_coords: bool = False,
    empty_score: float = 1.0,
    prompt: str | None = None,
    reading: Reading = _READING,
) -> RewardResult:
    """Vision-R1 criterion-driven reward = dual format + recall + precision (Eq. 4-8), in [0, 3].

    The formula, the matching and the empty cases are in the module docstring and
    ``docs/rewards-localization.md``.

    Args:
        completion: the model's completion (text or chat messages).
        ground_truth: the ground-truth boxes (a list of boxes or a record).
        switch_at: fraction of training where ``after`` replaces ``before`` (1.0: never).
        before: thresholds ``(xi0, xi1, xi2)`` of the first stage.
        after: thresholds ``(xi0, xi1, xi2)`` of the second stage.
        schedule: a custom :class:`Staged` schedule giving ``xi0``, ``xi1``, ``xi2``
            (replaces ``switch_at`` / ``before`` / ``after``).
        step: training step (no step: the first stage).
        max_steps: total training steps.
        cost: cost of the box-prioritized Hungarian matching (``"l1+giou"``, ``"giou"``,
            ``"iou"``).
        use_labels: a matched pair with a wrong label is not valid (the paper matches on
            boxes only).
        compat: ``"vision_r1"`` (old spelling ``"released_code"``): the released code end
            to end (see the module docstring).
        integer_coords: the format check requires whole-number coordinates.
        empty_score: recall and precision when the image has no object and the answer
            has none.
        prompt: the prompt, stripped from the completion when echoed.
        reading: how the answer is read (or its fields as keywords: ``answer``,
            ``dialect``, ``pred_frame``, ``gt_frame``, ``image_size``, ``min_pixels``,
            ``max_pixels``).

    Returns:
        A :class:`~rewardkit.types.RewardResult` with components ``format``, ``recall``
        and ``precision``.

    Raises:
        ValueError: an unknown ``cost``, bad thresholds, or a ``schedule`` that is not a
            :class:`Staged` giving ``xi0``, ``xi1`` and ``xi2``.

    Example:
        >>> gt = [[100, 100, 300, 300], [500, 500, 700, 800]]
        >>> c = '[{"bbox_2d": [100, 100, 300, 300], "label": "a"}, {"bbox_2d": [500, 500, 700, 800], "label": "b"}]'
        >>> r = localization_reward(c, gt)
        >>> r.score, dict(r.components)
        (3.0, {'format': 1.0, 'recall': 1.0, 'precision': 1.0})
    """
    if resolve_compat("vision_r1.localization", compat):
        from rewardkit.rewards.compat.vision_r1 import localization

        return localization(completion, ground_truth, pred_frame=reading.frame, gt_frame=reading.gt_frame,
                            image_size=reading.image_size, min_pixels=reading.min_pixels, max_pixels=reading.max_pixels)
    check_choice("cost", cost, ("l1+giou", "giou", "iou"))
    if schedule is None:
        schedule = progressive_schedule(switch_at, before, after)
    elif not isinstance(schedule, Staged):
        raise ValueError(f"Expected `schedule` to be a Staged schedule, but got {type(schedule).__name__}")
    xi = schedule.at(step, max_steps)
    try:
        xi0, xi1, xi2 = float(xi["xi0"]), float(xi["xi1"]), float(xi["xi2"])
    except KeyError as exc:
        raise ValueError(f"Expected the schedule to give xi0, xi1 and xi2, but it lacks {exc}") from None
    resize_kw = reading.resize_kw
    gt_frame = reading.gt_frame

    target = box_target(ground_truth, reading)
    gt = target.boxes
    n_gt = len(gt)
    payload = read_payload(completion, prompt, reading.answer)
    parsed = box_reader(reading)(payload.text) if payload.text else None
    df, why = _dual_format(payload, parsed, target, reading=reading, integer_coords=integer_coords)
    details: dict[str, Any] = {"n_gt": n_gt, "xi": (xi0, xi1, xi2)}
    if parsed is None or not parsed.ok:
        reason = why or payload.reason or (parsed.reason if parsed is not None else None) or "unparseable"
        return RewardResult(df, {"format": df, "recall": 0.0, "precision": 0.0}, reason, details)

    pred = parsed.value
    n_pred = len(pred)
    details["n_pred"] = n_pred
    if n_gt == 0 or n_pred == 0:
        rp = float(empty_score) if (n_gt == 0 and n_pred == 0) else 0.0
        return RewardResult(df + 2 * rp, {"format": df, "recall": rp, "precision": rp}, why, details)

    pxyxy = boxes_to_gt_frame(pred.xyxy, reading, target)
    gxyxy = gt.xyxy
    giou = box_giou(pxyxy, gxyxy)

    iou = box_iou(pxyxy, gxyxy)
    if cost == "l1+giou":
        extent = _norm_extent(target.frame or gt_frame, target, pxyxy, gxyxy, resize_kw)
        l1 = np.abs(_norm1(pxyxy, extent)[:, None, :] - _norm1(gxyxy, extent)[None, :, :]).mean(axis=2)
        c = l1 + (1.0 - giou)
    elif cost == "giou":
        c = 1.0 - giou
    else:
        c = 1.0 - iou
    pi, gi = match_hungarian(c)
    ious = iou[pi, gi]
    valid = ious >= xi0
    label_ok = _label_agreement(pred, gt) if use_labels else None
    if label_ok is not None:
        valid &= label_ok[pi, gi]
    n_valid = int(valid.sum())
    recall = differentiate(n_valid / n_gt, xi1, xi2)
    per_instance = [differentiate(float(v) if ok else 0.0, xi1, xi2) for v, ok in zip(ious, valid)]
    precision = float(sum(per_instance)) / n_pred
    details.update(matched=len(pi), valid=n_valid, mean_iou=float(ious.mean()) if ious.size else 0.0)
    return RewardResult(df + recall + precision, {"format": df, "recall": recall, "precision": precision}, why, details)


def _label_agreement(pred: Boxes, gt: Boxes) -> np.ndarray | None:
    """``(n_pred, n_gt)`` bool: labels agree (normalized, :func:`labels_match` without synonyms).

    A ground truth without a label agrees with any labelled prediction. None if either side has
    no labels.
    """
    if pred.labels is None or gt.labels is None:
        return None
    pn = [normalize_label(p) if p is not None else None for p in pred.labels]
    gn = [normalize_label(g) if g is not None else None for g in gt.labels]
    out = np.zeros((len(pn), len(gn)), dtype=bool)
    for i, p in enumerate(pn):
        if not p:
            continue
        for j, g in enumerate(gn):
            out[i, j] = g is None or p == g
    return out


def _norm_extent(gt_frame: str, target: BoxTarget, pxyxy: np.ndarray, gxyxy: np.ndarray, resize_kw: dict[str, int]) -> tuple[float, float]:
    """Size of the image in ``gt_frame`` units, for the normalized L1 cost.

    Without an image size in a pixel frame, the extent of all boxes stands in (documented).
    """
    if gt_frame in ("pixel", "qwen25vl") and target.image_size is None:
        both = np.concatenate([pxyxy, gxyxy], axis=0)
        w = float(max(np.abs(both[:, [0, 2]]).max(), 1.0))
        h = float(max(np.abs(both[:, [1, 3]]).max(), 1.0))
        return (w, h)
    return frame_extent(gt_frame, target.image_size, **resize_kw)
