"""``compat="vision_r1"``: Vision-R1's released rewards (Griffon repository), end to end.

Read from github.com/jefferyZhan/Griffon at commit 9866875e7d18e705239f3e03115a55aef30ab635
(``Vision-R1/vision_r1/visionr1_qwen.py``, ``griffon/coor_utils.py``,
``Vision-R1/vision_r1/trainer/qwen_trainer.py``); parsing in
:mod:`rewardkit.parsing.public.vision_r1`. The released launch script does not pass
``--adaptive``, so the trainer hands the rewards ``step=None``: no schedule.

* ``dual_format``: the released template check, inverted (``1 - r``) for samples
  without objects.
* ``recall`` / ``precision``: boxes read by ``extract`` (whole completion, ``int()``,
  inverted and zero-width boxes dropped); predicted boxes in float32, resized from the
  model's input pixels (``image_grid_thw * 14``) to the original image when
  ``pred_frame="qwen25vl"`` and ``gt_frame="pixel"`` (no resize when the frames are
  equal); matching by ``linear_sum_assignment`` on the float32 cost ``L1 (unnormalized)
  - [labels agree] - GIoU``; recall = (matched GIoU > 0.5, 0.5 exactly counting one
  half) / n_gt, clipped to [0, 1]; precision = mean over matched pairs of GIoU clipped to
  [0, 1] (box spam is free). No box read: 0 (1 on an image without objects). Boxes on an
  image without objects: the public code raises (``public_code_raises``).

Arithmetic is float32 as in the public torch code (elementwise operations and the
L1 sum are bit-identical; the float32 mean of torch's reduction may differ in the last
float32 place, about 1e-7). Labels are matched by ``strip().lower()`` against the
ground truth's ``lower()``; ground truth without labels leaves the label term out (the
public code needs them).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from rewardkit.parsing.frames import qwen25vl_resize
from rewardkit.parsing.ground_truth import read_box_target
from rewardkit.parsing.public import vision_r1 as read
from rewardkit.parsing.tags import completion_text
from rewardkit.rewards._common import resize_kwargs
from rewardkit.rewards.compat import public_raises, same_frame_or_qwen, too_long
from rewardkit.types import RewardResult

__all__ = ["localization", "dual_format", "released_giou"]

MODE = "vision_r1"
_F = np.float32


def released_giou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``generalized_box_iou`` of ``griffon/coor_utils.py`` in float32 (N x M)."""
    area1 = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area2 = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.maximum(rb - lt, _F(0))
    inter = wh[..., 0] * wh[..., 1]
    union = area1[:, None] + area2[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = inter / union
        lt2 = np.minimum(a[:, None, :2], b[None, :, :2])
        rb2 = np.maximum(a[:, None, 2:], b[None, :, 2:])
        wh2 = np.maximum(rb2 - lt2, _F(0))
        area = wh2[..., 0] * wh2[..., 1]
        return iou - (area - union) / area


def _f32_sum(values: np.ndarray) -> np.float32:
    s = _F(0)
    for v in values:
        s = _F(s + v)
    return s


def dual_format(completion: Any, ground_truth: Any, *, image_size: Any) -> RewardResult:
    content = completion_text(completion)
    if (r := too_long(content, ("format",))) is not None:
        return r
    n_gt = 1 if ground_truth is None else len(read_box_target(ground_truth, image_size=image_size).boxes)
    try:
        v = read.dual_format_value(content)
    except RecursionError:
        return public_raises(("format",), compat=MODE)
    v = v if n_gt > 0 else 1.0 - v
    return RewardResult(v, {"format": v}, None, {"compat": MODE})


def localization(completion: Any, ground_truth: Any, *, pred_frame: str, gt_frame: str, image_size: Any,
                 min_pixels: int | None, max_pixels: int | None) -> RewardResult:
    comps = ("format", "recall", "precision")
    content = completion_text(completion)
    if (r := too_long(content, comps)) is not None:
        return r
    target = read_box_target(ground_truth, image_size=image_size)
    resize = same_frame_or_qwen(MODE, pred_frame, target.frame or gt_frame, qwen=True)
    if resize and target.image_size is None:
        raise ValueError("Expected image_size=(width, height) of the original image for the Qwen2.5-VL resize, but got None")
    gt = target.boxes
    n_gt = len(gt)
    details: dict[str, Any] = {"compat": MODE, "n_gt": n_gt}
    try:
        df = read.dual_format_value(content)
    except RecursionError:
        return public_raises(comps, **details)
    df = df if n_gt > 0 else 1.0 - df
    dt = read.extract(content.strip())
    details["n_pred"] = len(dt)
    if not dt:
        rp = 0.0 if n_gt > 0 else 1.0
        return RewardResult(df + 2 * rp, {"format": df, "recall": rp, "precision": rp}, None, details)
    if n_gt == 0:
        return public_raises(comps, **details)  # torch.cat of no ground-truth box
    try:
        pred = np.array([[float(v) for v in d["bbox"]] for d in dt], dtype=np.float64).astype(_F)
    except OverflowError:
        return public_raises(comps, **details)
    if resize:
        assert target.image_size is not None  # None raised above
        w, h = target.image_size
        in_w, in_h = qwen25vl_resize(w, h, **resize_kwargs(min_pixels, max_pixels))
        pred[:, 0::2] = pred[:, 0::2] / _F(in_w) * _F(w)
        pred[:, 1::2] = pred[:, 1::2] / _F(in_h) * _F(h)
    gxy = gt.xyxy.astype(_F)
    agree = np.zeros((len(dt), n_gt), dtype=_F)
    if gt.labels is not None:
        ids: dict[str, int] = {}
        for lab in gt.labels:
            ids.setdefault(str(lab).lower(), len(ids) + 1)
        gids = [ids[str(lab).lower()] for lab in gt.labels]
        for i, d in enumerate(dt):
            try:
                pid = ids[d["category_name"].strip().lower()]
            except Exception:  # noqa: BLE001 - the public code maps unknown names to class 0
                pid = 0
            agree[i] = [_F(1) if pid == g else _F(0) for g in gids]
    diff = np.abs(pred[:, None, :] - gxy[None, :, :])
    l1 = ((diff[..., 0] + diff[..., 1]) + diff[..., 2]) + diff[..., 3]
    giou = released_giou(pred, gxy)
    cost = (l1 + -agree) + -giou
    try:
        rows, cols = linear_sum_assignment(cost)
    except ValueError:  # NaN or infeasible cost: the public code raises too
        return public_raises(comps, **details)
    g = giou[rows, cols]
    counted = np.where(g < _F(0.5), _F(0), np.where(g > _F(0.5), _F(1), g))
    recall = _F(_f32_sum(counted) / _F(n_gt))
    recall = 0.0 if recall < 0 else 1.0 if recall > 1 else float(recall)
    clipped = np.where(g < _F(0), _F(0), np.where(g > _F(1), _F(1), g))
    precision = float(_F(_f32_sum(clipped) / _F(len(clipped))))
    if math.isnan(precision) or math.isnan(recall):
        details["nan"] = True
    details.update(matched=len(rows))
    return RewardResult(df + recall + precision, {"format": df, "recall": recall, "precision": precision}, None, details)
