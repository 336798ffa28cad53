"""``point.in_mask``: points answered for a mask, scored by whether they land on it (Rex-Omni style point grounding).

Formula: docs/rewards-segmentation.md (``point.in_mask``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rewardkit.geometry.matching import match_hungarian
from rewardkit.parsing.dialects import get_dialect
from rewardkit.parsing.frames import convert_points
from rewardkit.parsing.reading import Reading, extract_answer_text
from rewardkit.parsing.segmentation import read_seg_target
from rewardkit.rewards.base import register_reward
from rewardkit.rewards.segmentation import _PIXEL_READING, _prepare_masks
from rewardkit.types import RewardResult

__all__ = ["point_in_mask_reward"]


@register_reward(
    "point.in_mask",
    task="point",
    range=(0.0, 1.0),
    components=("hit",),
    tags=("points", "segmentation", "rex-omni"),
    prepare=_prepare_masks,
    reading_fields=("answer", "dialect", "pred_frame"),
)


def point_in_mask_reward(
    completion: Any,
    ground_truth: Any,
    *,
    reading: Reading = _PIXEL_READING,
    empty_score: float = 1.0,
    prompt: str | None = None,
) -> RewardResult:
    """One mask: R = (points on the mask) / n_points.

    Instance masks (``{"masks": [...]}``): R = 2 * one-to-one matches / (n_points +
    n_instances). ``empty_score`` when there are no points and the mask is empty (no instances).

    Args:
        completion: The model's completion.
        ground_truth: One mask, or instance masks ``{"masks": [...]}``.
        reading: How to read the answer (dialect and ``pred_frame``; pixels by default).
        empty_score: The score with no points and an empty mask.
        prompt: The prompt (for answer extraction), or None.

    Returns:
        A :class:`~rewardkit.types.RewardResult` with component ``hit``.

    Raises:
        BadGroundTruth: an unreadable ground truth.
        ValueError: a dialect that writes no points.

    Example:
        >>> import numpy as np
        >>> gt = np.zeros((10, 10), bool); gt[0:5, 0:5] = True
        >>> float(point_in_mask_reward("<answer>[[2, 2], [8, 8]]</answer>", gt))
        0.5
    """
    target = read_seg_target(ground_truth)
    pred_frame = reading.frame
    read = get_dialect(reading.dialect).read_points
    if read is None:
        raise ValueError(f"Expected a dialect that writes points, but dialect {reading.dialect!r} writes boxes only")
    ans = extract_answer_text(completion, prompt, reading.answer)
    if ans.text is None:
        return RewardResult(0.0, {"hit": 0.0}, ans.reason or "no_answer_tag")
    parsed = read(ans.text)
    if not parsed.ok:
        return RewardResult(0.0, {"hit": 0.0}, parsed.reason)
    h, w = target.hw
    xy = parsed.value.xy
    if pred_frame != "pixel" and len(xy):
        xy = convert_points(xy, pred_frame, "pixel", image_size=(w, h))
    masks = np.stack([m.data for m in target.masks])
    if not target.instances:
        masks = masks[:1] if len(masks) == 1 else np.any(masks, axis=0, keepdims=True)
    n_inst = int(sum(1 for m in masks if m.any()))
    n_p = len(xy)
    if n_p == 0:
        value = float(empty_score) if n_inst == 0 else 0.0
        return RewardResult(value, {"hit": value}, None)
    cols = np.floor(xy[:, 0]).astype(np.int64)
    rows = np.floor(xy[:, 1]).astype(np.int64)
    valid = (cols >= 0) & (cols < w) & (rows >= 0) & (rows < h)
    on = np.zeros((n_p, masks.shape[0]), dtype=bool)
    on[valid] = masks[:, rows[valid], cols[valid]].T
    if not target.instances:
        value = float(on[:, 0].sum()) / n_p
        return RewardResult(value, {"hit": value}, None, {"hits": int(on[:, 0].sum())})
    keep = np.array([m.any() for m in masks])
    on = on[:, keep]
    if on.shape[1] == 0:
        return RewardResult(0.0, {"hit": 0.0}, None)
    pi, mi = match_hungarian(-on.astype(np.float64))
    hits = int(on[pi, mi].sum())
    value = 2.0 * hits / (n_p + on.shape[1])
    return RewardResult(value, {"hit": value}, None, {"hits": hits})
