"""``compat="visual_rft"``: the released Visual-RFT reward functions, end to end.

Read from github.com/Liuziyu77/Visual-RFT at commit
94866331ff38c516581697882a00f947c8bfda8a (``src/virft/src/open_r1/``); parsing in
:mod:`rewardkit.parsing.public.visual_rft`.

* Detection (``grpo.py``): ``accuracy_iou + accuracy_confidence + format``. Both
  accuracy terms first run math-verify on the whole completion against the solution
  (``verify(parse(completion), parse(solution))``: a match pays 1.0 to each, e.g. when
  the first number of the answer equals the first number of the solution); otherwise
  the answer's items are de-duplicated by ``Position`` (first kept), sorted by
  ``Confidence`` (descending, stable), and each takes the unmatched ground-truth box of
  highest IoU if that IoU is above 0.5. IoU term: sum of matched IoU / max(n_gt,
  n_pred), capped at 1; confidence term: mean of ``c`` (matched) or ``1 - c`` (not),
  clipped to [0, 1] (per-box confidences are not clipped). Any error while reading or
  scoring (missing key, a string confidence, an empty list, a box of 3 numbers) gives
  0 to both terms, as the public ``except Exception`` does.
* Classification (``grpo_classification.py``): ``accuracy + format``; accuracy is the
  math-verify pre-check, then ``gt in answer or answer in gt`` after removing spaces and
  underscores and lowercasing.
* LISA grounding (``grpo_lisa.py``, ``grounding.giou_plus_one``): the pre-check (1.0),
  else GIoU + 1 of the first two corners read from ``(x1,y1),(x2,y2)`` integer pairs
  (so an answer with two boxes is scored on the two top-left corners), overridden by
  2.0 when the answer string equals the solution's; 0 when fewer than two corners.

The ground truth is read as the default rewards read it and rendered as the public
dataset's ``solution``: ``<answer>[{'Position': [x1, y1, x2, y2], 'Confidence': 1},
...]</answer>`` (detection), ``<answer>label</answer>`` (classification; a string
holding ``<answer>`` is used as is), ``<answer> (x1,y1),(x2,y2) </answer>`` (LISA).
Coordinates are compared as written (``pred_frame`` must equal ``gt_frame``).
"""

from __future__ import annotations

from typing import Any

from rewardkit.parsing.ground_truth import read_box_target, read_text_target
from rewardkit.parsing.public import visual_rft as read
from rewardkit.parsing.tags import completion_text
from rewardkit.rewards.compat import (
    bad_gt,
    math_verify_equal,
    number_text,
    same_frame_or_qwen,
    too_long,
)
from rewardkit.types import RewardResult

__all__ = ["detection", "classification", "lisa_giou", "detection_solution", "iou_and_confidence"]

MODE = "visual_rft"


def detection_solution(boxes: Any) -> str:
    items = ", ".join(
        "{'Position': [" + ", ".join(number_text(v) for v in row) + "], 'Confidence': 1}" for row in boxes.xyxy.tolist()
    )
    return f"<answer>[{items}]</answer>"


def _box_iou(g: Any, p: Any) -> float:
    """IoU of the public detection reward, ground truth first (``max``/``min`` argument
    order matters for NaN).
    """
    x1, y1, x2, y2 = g
    a1, b1, a2, b2 = p
    xi1, yi1 = max(x1, a1), max(y1, b1)
    xi2, yi2 = min(x2, a2), min(y2, b2)
    if xi2 <= xi1 or yi2 <= yi1:
        return 0.0
    inter = (xi2 - xi1) * (yi2 - yi1)
    union = (x2 - x1) * (y2 - y1) + (a2 - a1) * (b2 - b1) - inter
    return inter / union


def iou_and_confidence(content: str, solution: str) -> tuple[float, float]:
    """The two public accuracy terms after the pre-check (any error: 0 and 0)."""
    try:
        gt = read.solution_items(solution)
        items = read.detection_items(content)
        if items is None or type(items[0]) is not dict:
            return 0.0, 0.0
        seen: set[Any] = set()
        unique = []
        for it in items:
            key = tuple(it["Position"])
            if key not in seen:
                seen.add(key)
                unique.append(it)
        taken: set[int] = set()
        results: list[tuple[Any, Any]] = []
        best: float  # an IoU (or the 0 start)
        for it in sorted(unique, key=lambda d: d["Confidence"], reverse=True):
            best, j = 0, -1
            for i, g in enumerate(gt):
                if i in taken:
                    continue
                v = _box_iou(g["Position"], it["Position"])
                if v > best:
                    best, j = v, i
            if best > 0.5:
                results.append((best, it["Confidence"]))
                taken.add(j)
            else:
                results.append((0, it["Confidence"]))
        iou_sum = conf_sum = 0.0
        for v, c in results:
            iou_sum += v
            conf_sum += (1 - v) * (1 - c) if v == 0 else c
        n = len(results)
        iou_r = iou_sum / len(gt) if len(gt) >= n else iou_sum / n
        conf_r = conf_sum / n
    except Exception:  # noqa: BLE001 - the public reward catches everything
        return 0.0, 0.0
    if iou_r > 1:
        iou_r = 1.0
    if conf_r > 1:
        conf_r = 1.0
    if conf_r < 0:
        conf_r = 0.0
    return iou_r, conf_r


def detection(completion: Any, ground_truth: Any, *, pred_frame: str, gt_frame: str, image_size: Any) -> RewardResult:
    comps = ("iou", "confidence", "format")
    content = completion_text(completion)
    if (r := too_long(content, comps)) is not None:
        return r
    target = read_box_target(ground_truth, image_size=image_size)
    same_frame_or_qwen(MODE, pred_frame, target.frame or gt_frame, qwen=False)
    solution = detection_solution(target.boxes)
    fmt = 1.0 if read.format_ok(content) else 0.0
    precheck = math_verify_equal(content, solution, MODE)
    iou_r, conf_r = (1.0, 1.0) if precheck else iou_and_confidence(content, solution)
    return RewardResult(iou_r + conf_r + fmt, {"iou": iou_r, "confidence": conf_r, "format": fmt}, None,
                        {"compat": MODE, "math_verify_match": precheck})


def classification_solution(ground_truth: Any) -> str:
    label = read_text_target(ground_truth)
    if isinstance(ground_truth, str) and "<answer>" in ground_truth:
        return ground_truth
    return f"<answer>{label}</answer>"


def classification_accuracy(content: str, solution: str) -> tuple[float, bool]:
    if math_verify_equal(content, solution, MODE):
        return 1.0, True
    gt = read.answer_text(solution).replace(" ", "").replace("_", "").lower()
    ans = read.answer_text(content).replace(" ", "").replace("_", "").lower()
    return (1.0 if gt in ans or ans in gt else 0.0), False


def classification(completion: Any, ground_truth: Any) -> RewardResult:
    comps = ("accuracy", "format")
    content = completion_text(completion)
    if (r := too_long(content, comps)) is not None:
        return r
    solution = classification_solution(ground_truth)
    acc, precheck = classification_accuracy(content, solution)
    fmt = 1.0 if read.format_ok(content) else 0.0
    return RewardResult(acc + fmt, {"accuracy": acc, "format": fmt}, None, {"compat": MODE, "math_verify_match": precheck})


def lisa_solution(boxes: Any) -> str:
    if len(boxes) != 1:
        raise bad_gt(f"Expected one ground-truth box under compat='visual_rft' (the public LISA reward reads one), but got {len(boxes)}")
    x1, y1, x2, y2 = (number_text(v) for v in boxes.xyxy[0].tolist())
    return f"<answer> ({x1},{y1}),({x2},{y2}) </answer>"


def _giou_plus_one(g: list[tuple[float, float]], s: list[tuple[float, float]]) -> float:
    (gx1, gy1), (gx2, gy2) = g[0], g[1]
    (sx1, sy1), (sx2, sy2) = s[0], s[1]
    iw = max(0, min(gx2, sx2) - max(gx1, sx1))
    ih = max(0, min(gy2, sy2) - max(gy1, sy1))
    inter = iw * ih
    union = (gx2 - gx1) * (gy2 - gy1) + (sx2 - sx1) * (sy2 - sy1) - inter
    iou = inter / union if union > 0 else 0
    c_area = (max(gx2, sx2) - min(gx1, sx1)) * (max(gy2, sy2) - min(gy1, sy1))
    giou = iou - (c_area - union) / c_area if c_area > 0 else iou
    return giou + 1


def lisa_accuracy(content: str, solution: str) -> tuple[float, bool]:
    if math_verify_equal(content, solution, MODE):
        return 1.0, True
    gt = read.answer_text(solution)
    ans = read.lisa_answer(content)
    try:
        value = float(_giou_plus_one(read.lisa_corners(gt), read.lisa_corners(ans)))
    except Exception:  # noqa: BLE001 - the public reward catches everything here
        value = 0.0
    if ans == gt:
        value = 2.0
    return value, False


def lisa_giou(completion: Any, ground_truth: Any, *, pred_frame: str, gt_frame: str, image_size: Any) -> RewardResult:
    comps = ("giou_plus_one",)
    content = completion_text(completion)
    if (r := too_long(content, comps)) is not None:
        return r
    target = read_box_target(ground_truth, image_size=image_size)
    same_frame_or_qwen(MODE, pred_frame, target.frame or gt_frame, qwen=False)
    value, precheck = lisa_accuracy(content, lisa_solution(target.boxes))
    return RewardResult(value, {"giou_plus_one": value}, None, {"compat": MODE, "math_verify_match": precheck})
