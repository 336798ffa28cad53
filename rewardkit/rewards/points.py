"""Point rewards (Rex-Omni style pointing; formulas: docs/rewards-counting-points.md).

``point.in_box``: predicted points against ground-truth boxes. Points and boxes are
matched one-to-one (a point matches a box that contains it, borders included; the
assignment maximizes the number of matches), and ``R = 2 * matches / (n_points + n_boxes)``
(an F1), so one point per object is needed and extra points cost. One point and one box:
1 if the point is inside. ``empty_score`` when both sides are empty.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rewardkit.geometry.matching import match_hungarian
from rewardkit.parsing.reading import Reading
from rewardkit.rewards._common import (
    box_target,
    points_to_gt_frame,
    prepare_box_target,
    read_points,
    zero,
)
from rewardkit.rewards.base import register_reward
from rewardkit.types import RewardResult

__all__ = ["point_in_box_reward"]

_READING = Reading()


@register_reward("point.in_box", task="point", range=(0.0, 1.0), components=("hit",), tags=("points", "rex-omni"), prepare=prepare_box_target)
def point_in_box_reward(
    completion: Any,
    ground_truth: Any,
    *,
    empty_score: float = 1.0,
    prompt: str | None = None,
    reading: Reading = _READING,
) -> RewardResult:
    """R = 2 * (points matched one-to-one to a containing box) / (n_points + n_boxes).

    Points are read by the dialect of ``reading`` (``[x, y]`` lists and ``point_2d`` by
    default; ``dialect="molmo"`` reads ``<point x= y=>`` tags, ...), in its frame.

    >>> float(point_in_box_reward("<answer>[50, 50]</answer>", [[0, 0, 100, 100]]))
    1.0
    """
    target = box_target(ground_truth, reading)
    _, points, reason = read_points(completion, prompt, reading)
    if points is None:
        return zero(("hit",), reason)
    n_p, n_b = len(points), len(target.boxes)
    if n_p == 0 and n_b == 0:
        return RewardResult(float(empty_score), {"hit": float(empty_score)}, None)
    if n_p == 0 or n_b == 0:
        return RewardResult(0.0, {"hit": 0.0}, None)
    xy = points_to_gt_frame(points.xy, reading, target)
    b = target.boxes.xyxy
    inside = (
        (xy[:, None, 0] >= b[None, :, 0]) & (xy[:, None, 0] <= b[None, :, 2])
        & (xy[:, None, 1] >= b[None, :, 1]) & (xy[:, None, 1] <= b[None, :, 3])
    )
    pi, bi = match_hungarian(-inside.astype(np.float64))
    hits = int(inside[pi, bi].sum())
    value = 2.0 * hits / (n_p + n_b)
    return RewardResult(value, {"hit": value}, None, {"hits": hits})
