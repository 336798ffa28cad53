"""VLM-R1's localization rewards (Shen et al., 2025, "VLM-R1: A Stable and Generalizable
R1-style Large Vision-Language Model"; om-ai-lab/VLM-R1); docs/rewards-localization.md.

* ``vlm_r1.rec_iou``: IoU of the answer's box with the referred object (REC).
* ``vlm_r1.od_ap`` / ``vlm_r1.od_ap50``: COCO AP@[.5:.95] / AP50 of this completion's
  boxes against this sample's ground truth, every box scored 1.0 unless the answer gives
  a confidence; computed by :func:`rewardkit.geometry.ap.image_ap`, bit-identical to a
  one-image, one-category pycocotools evaluation (the public code builds a whole COCO
  evaluator per completion). Both sides empty gives ``both_empty`` (1.0).
* ``vlm_r1.od_length``: AP x min(1, n_gt / n_pred) (the public ``odLength``).
* ``vlm_r1.weighted_sum``: greedy matching by global maximum IoU (pairs need IoU >=
  ``iou_threshold``), then ``(alpha * position + beta * label + gamma * completeness) /
  (alpha + beta + gamma)`` with position = sum of the IoU of label-correct matches / n_gt,
  label = label-correct matches / n_gt, completeness = 1 - (miss rate + false-alarm
  rate) / 2, miss rate = unmatched ground truth / n_gt, false-alarm rate = unmatched
  predictions / n_pred. Defaults alpha 0.7, beta 0, gamma 0.3: ``0.7 * position + 0.3 *
  completeness``. A matched pair with a wrong label is neither a miss nor a false alarm
  (as in the public code) but adds nothing to position. A prediction without a label
  is label-wrong when the ground truth has labels (the public code crashes with a
  ``NameError`` on the first such match); ground truth without labels makes every match
  label-correct.
* ``penalty.repetition``: ``-(1 - unique / total)`` over the answer's boxes (box and
  label), or over word 6-grams of the text when the answer holds no box list.

Differences from the public code, all deliberate (docs/rewards-localization.md: known defects of the public code are fixed by default):
one IoU convention (continuous coordinates; the public REC/weighted-sum IoU computes the
same continuous intersection, its ``-1`` and ``+1`` cancel, except that an overlap of
1 pixel or less in width or height counts as no overlap); frames are explicit; class-agnostic AP (the public
``calculate_map`` evaluates per label and silently drops predictions whose label is
not in the ground truth); a REC answer with several boxes scores 0 (``multiple="zero"``;
the public reward reads the first box: ``multiple="first"``).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from rewardkit.geometry.ap import image_ap, image_ap_batch
from rewardkit.geometry.boxes import box_iou
from rewardkit.geometry.matching import match_greedy_global
from rewardkit.limits import MAX_REPETITION_CHARS
from rewardkit.parsing.labels import labels_match, normalize_label
from rewardkit.parsing.reading import Reading, extract_answer_text
from rewardkit.rewards._common import (
    box_reader,
    box_target,
    boxes_to_gt_frame,
    check_unit,
    frame_flags,
    frame_warning,
    prepare_box_target,
    read_boxes,
    reduce_frame_flags,
    zero,
)
from rewardkit.rewards.base import new_result, register_batch, register_reward
from rewardkit.rewards.compat import resolve_compat
from rewardkit.rewards.grounding import GroundingReward
from rewardkit.types import RewardResult

__all__ = ["rec_iou_reward", "od_ap_reward", "od_ap50_reward", "od_length_reward", "weighted_sum_reward", "repetition_penalty",
           "penalty_repetition_reward"]

_TAGS = ("vlm_r1", "paper:VLM-R1", "boxes")
_READING = Reading()


def _vlm_r1_rec_iou(completion: Any, ground_truth: Any, reading: Reading) -> RewardResult:
    from rewardkit.rewards.compat.vlm_r1 import rec_iou

    return rec_iou(completion, ground_truth, pred_frame=reading.frame, gt_frame=reading.gt_frame,
                   image_size=reading.image_size, min_pixels=reading.min_pixels, max_pixels=reading.max_pixels)


rec_iou_reward = register_reward(
    "vlm_r1.rec_iou", task="grounding", range=(0.0, 1.0), components=("iou",), tags=(*_TAGS, "rec", "grounding"),
    prepare=prepare_box_target,
)(GroundingReward("iou", "rec_iou_reward", """VLM-R1 REC reward: IoU of the predicted box with the referred object, in [0, 1].

    ``compat="vlm_r1"``: the released ``iou_reward`` end to end
    (:mod:`rewardkit.rewards.compat.vlm_r1`: first answer block, first integer box, the
    Qwen2.5-VL resize when ``pred_frame="qwen25vl"`` and ``gt_frame="pixel"``).

    ``multiple="zero"`` (default): an answer with several boxes scores 0 (otherwise a
    correct first box followed by any number of guesses earns full reward);
    ``"first"``: the public behaviour (the first box is read). Reading: VLM-R1 trains
    Qwen2.5-VL, whose boxes are in pixels of the resized image: ``dialect="qwen2_5_vl"``
    (or ``pred_frame="qwen25vl"``) with the original ``image_size``. A bare answer
    without tags is read (``answer="auto"``).

    >>> float(rec_iou_reward("<answer>[0, 0, 100, 100]</answer>", [0, 0, 100, 50]))
    0.5
    """, compat=("vlm_r1.rec_iou", _vlm_r1_rec_iou)))


def _read_boxes(completion: Any, ground_truth: Any, prompt: str | None, reading: Reading):
    """(pred_xyxy in the gt frame, pred Boxes, target, reason) or a reason for failure."""
    target = box_target(ground_truth, reading)
    _, pred, reason = read_boxes(completion, prompt, reading)
    if pred is None:
        return None, None, target, reason
    warn = frame_warning(pred.xyxy, reading, target)
    xyxy = boxes_to_gt_frame(pred.xyxy, reading, target)
    return xyxy, pred, target, warn


def _ap(completion: Any, ground_truth: Any, *, which: str, length: bool, both_empty: float, no_gt: float,
        prompt: str | None, reading: Reading, compat: str | None = None) -> RewardResult:
    if resolve_compat("vlm_r1.od_length" if length else f"vlm_r1.od_{which}", compat):
        from rewardkit.rewards.compat.vlm_r1 import od

        return od(completion, ground_truth, which=which, length=length, pred_frame=reading.frame, gt_frame=reading.gt_frame,
                  image_size=reading.image_size)
    return _ap_group([completion], ground_truth, which=which, length=length, both_empty=both_empty, no_gt=no_gt,
                     prompt=prompt, reading=reading)[0]


def _ap_scores(pred: Any) -> list[float] | None:
    """The answer's confidences (a missing or non-finite one ranks as 1.0), or ``None``
    when it gives none (every box then scores 1.0: file order breaks the ties).
    """
    if pred.scores is None or not len(pred):
        return None
    inf = math.inf
    raw = pred.scores.tolist()
    if not any(-inf < v < inf for v in raw):
        return None
    return [v if -inf < v < inf else 1.0 for v in raw]


def _ap_group(completions: list[Any], ground_truth: Any, *, which: str, length: bool, both_empty: float, no_gt: float,
              prompt: str | None, reading: Reading) -> list[RewardResult]:
    """AP rewards of the completions of one prompt: the ground truth read once, frame
    checks on all boxes at once, and (for a group) one IoU matrix (:func:`image_ap_batch`);
    each result is what the reward returns for that completion alone.
    """
    comps = ("ap", "length") if length else (which,)
    target = box_target(ground_truth, reading)
    reads = [read_boxes(c, prompt, reading) for c in completions]
    filled = [pred.xyxy for _, pred, _ in reads if pred is not None and len(pred)]
    out_f: list[bool] = []
    small_f: list[bool] = []
    pos_f: list[bool] = []
    xyxy_all = None
    if filled:
        stacked = np.concatenate(filled) if len(filled) > 1 else filled[0]
        flags = frame_flags(stacked, reading, target)
        if flags is not None:
            out_f, small_f, pos_f = flags
        xyxy_all = boxes_to_gt_frame(stacked, reading, target)
    xyxys: list[np.ndarray] = []
    scores: list[list[float] | None] = []
    warns: list[str | None] = []
    k = 0
    for _, pred, _ in reads:
        if pred is None:
            continue
        n = len(pred)
        if n and xyxy_all is not None:
            xyxys.append(xyxy_all[k : k + n])
            warns.append(reduce_frame_flags(out_f[k : k + n], small_f[k : k + n], pos_f[k : k + n]) if out_f else None)
        else:
            xyxys.append(pred.xyxy)
            warns.append(None)
        scores.append(_ap_scores(pred))
        k += n
    gt = target.boxes.xyxy
    if len(xyxys) > 1:
        aps = image_ap_batch(xyxys, gt, scores, both_empty=both_empty, no_gt=no_gt)
    else:
        aps = [image_ap(x, gt, sc, both_empty=both_empty, no_gt=no_gt) for x, sc in zip(xyxys, scores)]
    results: list[RewardResult] = []
    j = 0
    for _, pred, reason in reads:
        if pred is None:
            results.append(zero(comps, reason))
            continue
        r, warn = aps[j], warns[j]
        j += 1
        value = float(r.ap if which == "ap" else r.ap50)
        details = {"n_pred": r.n_pred, "n_gt": r.n_gt, "ap": r.ap, "ap50": r.ap50, "defined": r.defined}
        if not length:
            results.append(new_result(value, {which: value}, warn, details))
            continue
        n_pred, n_gt = r.n_pred, r.n_gt
        factor = 1.0 if n_pred <= n_gt else n_gt / n_pred
        results.append(new_result(value * factor, {"ap": value, "length": float(factor)}, warn, details))
    return results


def _ap_batch_entry(which: str, length: bool) -> Any:
    def batch(completions: list[Any], ground_truth: Any, *, compat: str | None = None, both_empty: float = 1.0,
              no_gt: float = 0.0, prompt: str | None = None, reading: Reading = _READING) -> list[RewardResult]:
        if compat is not None:
            fn = od_length_reward if length else od_ap_reward if which == "ap" else od_ap50_reward
            return [fn(c, ground_truth, compat=compat, both_empty=both_empty, no_gt=no_gt, prompt=prompt, reading=reading)
                    for c in completions]
        return _ap_group(completions, ground_truth, which=which, length=length, both_empty=both_empty, no_gt=no_gt,
                         prompt=prompt, reading=reading)

    return batch


@register_reward("vlm_r1.od_ap", task="detection", range=(0.0, 1.0), components=("ap",), tags=(*_TAGS, "ap"), prepare=prepare_box_target)
def od_ap_reward(
    completion: Any,
    ground_truth: Any,
    *,
    both_empty: float = 1.0,
    no_gt: float = 0.0,
    prompt: str | None = None,
    compat: Literal["vlm_r1"] | None = None,
    reading: Reading = _READING,
) -> RewardResult:
    """VLM-R1 ``od_ap``: COCO AP@[.5:.95] of this completion against this sample, in [0, 1].

    Equal to pycocotools' ``stats[0]`` for a one-image, one-category evaluation.

    Parameters: ``both_empty`` (no box on an image without objects; 1.0 as the public
    code), ``no_gt`` (boxes on an image without objects, where pycocotools gives -1;
    0.0), ``reading`` (or its fields as keywords: frames, ``image_size``, ``dialect``,
    ``answer``). Confidences in the answer rank the boxes, otherwise
    every box scores 1.0 and the answer's order breaks ties (pycocotools' stable sort);
    at most 100 boxes count (``maxDets``). ``compat="vlm_r1"``: the released reward end
    to end (:mod:`rewardkit.rewards.compat.vlm_r1`: last answer block, last json fence,
    one COCO category per ground-truth label, confidences ignored; labelled ground truth).
    """
    return _ap(completion, ground_truth, which="ap", length=False, both_empty=both_empty, no_gt=no_gt,
               prompt=prompt, reading=reading, compat=compat)


@register_reward("vlm_r1.od_ap50", task="detection", range=(0.0, 1.0), components=("ap50",), tags=(*_TAGS, "ap"), prepare=prepare_box_target)
def od_ap50_reward(
    completion: Any,
    ground_truth: Any,
    *,
    both_empty: float = 1.0,
    no_gt: float = 0.0,
    prompt: str | None = None,
    compat: Literal["vlm_r1"] | None = None,
    reading: Reading = _READING,
) -> RewardResult:
    """VLM-R1 ``od_ap50``: COCO AP50 of this completion against this sample, in [0, 1]
    (pycocotools' ``stats[1]`` for a one-image, one-category evaluation).

    Parameters: ``both_empty`` (no box on an image without objects; 1.0 as the public
    code), ``no_gt`` (boxes on an image without objects, where pycocotools gives -1;
    0.0), ``reading`` (or its fields as keywords: frames, ``image_size``, ``dialect``,
    ``answer``). Confidences in the answer rank the boxes, otherwise
    every box scores 1.0 and the answer's order breaks ties (pycocotools' stable sort);
    at most 100 boxes count (``maxDets``). ``compat="vlm_r1"``: the released reward end
    to end (:mod:`rewardkit.rewards.compat.vlm_r1`: last answer block, last json fence,
    one COCO category per ground-truth label, confidences ignored; labelled ground truth).
    """
    return _ap(completion, ground_truth, which="ap50", length=False, both_empty=both_empty, no_gt=no_gt,
               prompt=prompt, reading=reading, compat=compat)


@register_reward("vlm_r1.od_length", task="detection", range=(0.0, 1.0), components=("ap", "length"), tags=(*_TAGS, "ap"), prepare=prepare_box_target)
def od_length_reward(
    completion: Any,
    ground_truth: Any,
    *,
    both_empty: float = 1.0,
    no_gt: float = 0.0,
    prompt: str | None = None,
    compat: Literal["vlm_r1"] | None = None,
    reading: Reading = _READING,
) -> RewardResult:
    """VLM-R1 ``odLength``: AP@[.5:.95] x min(1, n_gt / n_pred), in [0, 1].

    The length factor makes extra boxes cost even when they rank after the correct ones
    (plain AP ignores them when every box is scored 1.0).

    Parameters: ``both_empty`` (no box on an image without objects; 1.0 as the public
    code), ``no_gt`` (boxes on an image without objects, where pycocotools gives -1;
    0.0), ``reading`` (or its fields as keywords: frames, ``image_size``, ``dialect``,
    ``answer``). Confidences in the answer rank the boxes, otherwise
    every box scores 1.0 and the answer's order breaks ties (pycocotools' stable sort);
    at most 100 boxes count (``maxDets``). ``compat="vlm_r1"``: the released reward end
    to end (:mod:`rewardkit.rewards.compat.vlm_r1`: last answer block, last json fence,
    one COCO category per ground-truth label, confidences ignored; labelled ground truth).
    """
    return _ap(completion, ground_truth, which="ap", length=True, both_empty=both_empty, no_gt=no_gt,
               prompt=prompt, reading=reading, compat=compat)




for _name, _which, _length in (("vlm_r1.od_ap", "ap", False), ("vlm_r1.od_ap50", "ap50", False),
                               ("vlm_r1.od_length", "ap", True)):
    register_batch(_name)(_ap_batch_entry(_which, _length))


@register_reward(
    "vlm_r1.weighted_sum",
    task="detection",
    range=(0.0, 1.0),
    components=("position", "label", "completeness"),
    tags=(*_TAGS, "labels"),
    prepare=prepare_box_target,
)
def weighted_sum_reward(
    completion: Any,
    ground_truth: Any,
    *,
    iou_threshold: float = 0.5,
    alpha: float = 0.7,
    beta: float = 0.0,
    gamma: float = 0.3,
    empty_score: float = 1.0,
    synonyms: Any = None,
    prompt: str | None = None,
    compat: Literal["vlm_r1"] | None = None,
    reading: Reading = _READING,
) -> RewardResult:
    """VLM-R1 ``weighted_sum`` detection score, in [0, 1]:
    ``(alpha * position + beta * label + gamma * completeness) / (alpha + beta + gamma)``.

    Greedy matching by global maximum IoU, pairs need IoU >= ``iou_threshold``.
    position = sum(IoU of label-correct matches) / n_gt; label = label-correct matches /
    n_gt; completeness = 1 - (misses / n_gt + false alarms / n_pred) / 2. Labels compare
    by :func:`~rewardkit.parsing.labels.labels_match` (normalized; ``synonyms``).
    ``empty_score`` when neither the ground truth nor the answer has a box; an answer
    with boxes on an image without objects scores 0, no box on an image with objects 0.

    >>> gt = {"boxes": [[0, 0, 100, 100]], "labels": ["cat"]}
    >>> float(weighted_sum_reward('<answer>[{"bbox_2d": [0, 0, 100, 100], "label": "cat"}]</answer>', gt))
    1.0

    ``compat="vlm_r1"``: the released ``detection_score`` end to end
    (:mod:`rewardkit.rewards.compat.vlm_r1`: lower-cased text, first json fence, "+1"
    IoU, stale labels).
    """
    if resolve_compat("vlm_r1.weighted_sum", compat):
        from rewardkit.rewards.compat.vlm_r1 import weighted_sum

        return weighted_sum(completion, ground_truth, iou_threshold=iou_threshold, alpha=alpha, beta=beta, gamma=gamma,
                            pred_frame=reading.frame, gt_frame=reading.gt_frame, image_size=reading.image_size)
    check_unit("iou_threshold", iou_threshold)
    if min(alpha, beta, gamma) < 0 or alpha + beta + gamma <= 0:
        raise ValueError(f"Expected non-negative weights with a positive sum, but got {(alpha, beta, gamma)}")
    comps = ("position", "label", "completeness")
    xyxy, pred, target, reason = _read_boxes(completion, ground_truth, prompt, reading)
    if pred is None:
        return zero(comps, reason)
    gt = target.boxes
    n_pred, n_gt = len(pred), len(gt)
    details: dict[str, Any] = {"n_pred": n_pred, "n_gt": n_gt}
    if n_gt == 0:
        v = float(empty_score) if n_pred == 0 else 0.0
        return RewardResult(v, {"position": v, "label": v, "completeness": v}, reason, details)
    if n_pred == 0:
        return RewardResult(0.0, {c: 0.0 for c in comps}, reason, details)
    iou = box_iou(xyxy, gt.xyxy)
    pi, gi = match_greedy_global(iou, threshold=iou_threshold, inclusive=True)
    correct = []
    for p, g in zip(pi, gi):
        gl = gt.labels[g] if gt.labels is not None else None
        pl = pred.labels[p] if pred.labels is not None else None
        correct.append(gl is None or (pl is not None and labels_match(pl, gl, synonyms)))
    correct_arr = np.asarray(correct, dtype=bool)
    position = float(iou[pi, gi][correct_arr].sum()) / n_gt if len(pi) else 0.0
    label = float(correct_arr.sum()) / n_gt
    miss = (n_gt - len(pi)) / n_gt
    false_alarm = (n_pred - len(pi)) / n_pred
    completeness = 1.0 - (miss + false_alarm) / 2.0
    value = (alpha * position + beta * label + gamma * completeness) / (alpha + beta + gamma)
    details.update(matched=len(pi), label_correct=int(correct_arr.sum()), miss_rate=miss, false_alarm_rate=false_alarm)
    return RewardResult(value, {"position": position, "label": label, "completeness": completeness}, reason, details)


@register_reward("penalty.repetition", task="detection", range=(-1.0, 0.0), components=("repetition",), tags=("vlm_r1", "paper:VLM-R1", "penalty"))
def repetition_penalty(
    completion: Any,
    ground_truth: Any = None,
    *,
    ngram_size: int = 6,
    decimals: int | None = None,
    prompt: str | None = None,
    compat: Literal["vlm_r1"] | None = None,
    reading: Reading = _READING,
) -> RewardResult:
    """VLM-R1 repetition penalty: ``-(1 - unique / total)``, in [-1, 0].

    Items are the boxes of the answer (coordinates and normalized label; ``decimals``
    rounds coordinates before comparing, ``None`` compares them exactly), or, when the
    answer holds no box list, the word ``ngram_size``-grams of the text (lowercased).
    Fewer items than one n-gram, or an empty completion: 0 (no penalty). The ground truth
    is not used. Text longer than :data:`~rewardkit.limits.MAX_REPETITION_CHARS` scores
    the minimum -1 (``too_long``). ``reading``: the answer mode (``answer="auto"``: the answer block, or
    the whole completion without think blocks when it has none) and the dialect whose
    box reader finds the items.

    >>> b = '{"bbox_2d": [0, 0, 10, 10], "label": "cat"}'
    >>> float(repetition_penalty(f"<answer>[{b}, {b}, {b}, {b}]</answer>"))
    -0.75

    ``compat="vlm_r1"``: the released ``repetition_reward`` on the whole completion
    (:mod:`rewardkit.rewards.compat.vlm_r1`; needs the ``compat`` extra for json-repair).
    """
    if resolve_compat("penalty.repetition", compat):
        from rewardkit.rewards.compat.vlm_r1 import repetition

        return repetition(completion)
    if int(ngram_size) < 1:
        raise ValueError(f"Expected ngram_size >= 1, but got {ngram_size!r}")
    ans = extract_answer_text(completion, prompt, reading.answer)
    text = ans.text
    if text is not None and len(text) > MAX_REPETITION_CHARS:
        return RewardResult(-1.0, {"repetition": -1.0}, "too_long", {"n_chars": len(text)})
    if not text or not text.strip():
        return RewardResult(0.0, {"repetition": 0.0}, None, {"items": 0})
    parsed = box_reader(reading)(text)
    if parsed.ok and len(parsed.value):
        boxes = parsed.value
        coords = boxes.xyxy if decimals is None else np.round(boxes.xyxy, int(decimals))
        labels = boxes.labels or (None,) * len(boxes)
        items = [(tuple(c.tolist()), normalize_label(lab) if lab is not None else None) for c, lab in zip(coords, labels)]
        unit = "boxes"
    else:
        words = text.lower().split()
        n = int(ngram_size)
        items = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
        unit = "ngrams"
    if not items:
        return RewardResult(0.0, {"repetition": 0.0}, None, {"items": 0, "unit": unit})
    value = -(1.0 - len(set(items)) / len(items))
    value = 0.0 if value == 0 else value
    return RewardResult(value, {"repetition": value}, None, {"items": len(items), "unique": len(set(items)), "unit": unit})


# Registry name ``penalty.repetition`` as a function name; ``repetition_penalty`` stays.
penalty_repetition_reward = repetition_penalty
