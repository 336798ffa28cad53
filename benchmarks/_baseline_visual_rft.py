"""A plain-Python loop implementation of Visual-RFT's detection reward, written the way
research code does it (per-pair IoU in Python, ``json.loads`` after quote replacement,
the ground truth parsed again for every completion, matching done once for the IoU
reward and again for the confidence reward). Used only as the benchmark baseline."""

from __future__ import annotations

import json
import re


def _iou(a, b):
    ix1, iy1 = max(a[0], b[0]), max(a[1], b[1])
    ix2, iy2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, ix2 - ix1) * max(0.0, iy2 - iy1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _load(text):
    m = re.search(r"<answer>(.*?)</answer>", text, re.DOTALL)
    return json.loads(m.group(1).strip().replace("'", '"')) if m else None


def _match(preds, gts, thr):
    preds = sorted(preds, key=lambda p: p["Confidence"], reverse=True)
    used = set()
    out = []
    for p in preds:
        best, best_j = 0.0, -1
        for j, g in enumerate(gts):
            if j in used:
                continue
            v = _iou(p["Position"], g["Position"])
            if v > best:
                best, best_j = v, j
        if best > thr:
            used.add(best_j)
            out.append((p, best))
        else:
            out.append((p, 0.0))
    return out


def iou_reward(completion, solution, thr=0.5):
    preds, gts = _load(completion), _load(solution)
    if not preds or gts is None:
        return 0.0
    matched = _match(preds, gts, thr)
    return sum(v for _, v in matched) / max(len(gts), len(preds))


def confidence_reward(completion, solution, thr=0.5):
    preds, gts = _load(completion), _load(solution)
    if not preds or gts is None:
        return 0.0
    matched = _match(preds, gts, thr)
    return sum((p["Confidence"] if v > 0 else 1 - p["Confidence"]) for p, v in matched) / len(preds)


def format_reward(completion):
    return 1.0 if re.fullmatch(r"\s*<think>.*?</think>\s*<answer>.*?</answer>\s*", completion, re.DOTALL) else 0.0


def baseline_detection_reward(completion, solution):
    return iou_reward(completion, solution) + confidence_reward(completion, solution) + format_reward(completion)
