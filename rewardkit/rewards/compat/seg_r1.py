"""``compat="seg_r1"``: Seg-R1's released ``segmentation_reward + format_reward``.

Read from github.com/geshang777/Seg-R1 (snapshot github.com/chenqiu1024/Seg-R1 at the
authors' initial commit ca1256fae478fcf89cbcbfdfd8caef105d285bce,
``seg-r1/src/open_r1/grpo.py``; training uses the reward functions ``segment`` and
``format``); parsing in :mod:`rewardkit.parsing.public.seg_r1`.

* Nothing is scored unless points, labels and at least one box are all read: at least
  one point is required and float boxes are not read (reward 0, format 0).
* Per box, the points inside it (bounds included, compared as written) are its prompts;
  the box masks are OR-ed; a box whose segmentation fails is skipped.
* ``IoU = |P & G| / |P | G|``, 0 when both masks are empty.
* S-measure term: the released code binarizes the (0/1) ground truth with ``> 128``,
  which empties it, so PySODMetrics' S-measure reduces to ``1 - mean(pred)``: the
  fraction of the image NOT predicted, clipped to [0, 1] (an empty mask earns 0.3).
* ``R = 0.7 * IoU + 0.3 * S + format``; format = 1 when points, labels and boxes are
  read and a ``<think>...</think>`` block exists.

Geometry is the default path's: prompts in ``pred_frame`` (768 x 768 for Seg-R1) are
converted to the segmenter's pixels and the mask compared at the ground truth's size.

Colour order: the released ``SAMWrapper.predict`` converts an RGB image with
``cv2.COLOR_BGR2RGB``, so SAM2 sees the channels swapped. This mode encodes the image
with ``state_for(image, channel_swap=True)`` on every :class:`BaseSegmenter` (the SAM2
wrappers and the geometric segmenter), and reports it as
``details["segmenter_color_order"] = "bgr"``; a custom segmenter without that option
gets the image unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rewardkit.geometry.segmenters import BaseSegmenter
from rewardkit.parsing.frames import convert_boxes, convert_points
from rewardkit.parsing.public import seg_r1 as read
from rewardkit.parsing.tags import completion_text
from rewardkit.rewards.compat import too_long
from rewardkit.types import RewardResult

__all__ = ["seg_r1_mask"]

MODE = "seg_r1"
COLOR_ORDER = "bgr"


def seg_r1_mask(completion: Any, target: Any, *, segmenter: Any, pred_frame: str, max_prompts: int) -> RewardResult:
    from rewardkit.rewards.segmentation import _resize_nearest, _segmenter_input, get_segmenter

    comps = ("iou", "s_measure", "format")
    content = completion_text(completion)
    if (r := too_long(content, comps)) is not None:
        return r
    details: dict[str, Any] = {"compat": MODE, "segmenter_color_order": COLOR_ORDER}
    points, labels, boxes = read.parse_custom_format(content)
    if points is None or labels is None or boxes is None:
        return RewardResult(0.0, dict.fromkeys(comps, 0.0), None, details)
    fmt = 1.0 if read.has_think(content) else 0.0
    if len(boxes) + len(points) > max_prompts:
        return RewardResult(0.0, dict.fromkeys(comps, 0.0), "too_many_prompts", {**details, "n_prompts": len(boxes) + len(points)})
    seg = get_segmenter(segmenter)
    img = _segmenter_input(target)
    # the released SAMWrapper swaps R and B of an RGB image: reproduce it on segmenters that can
    state = seg.state_for(img, channel_swap=True) if isinstance(seg, BaseSegmenter) else seg.prepare(img)
    h, w = seg.image_size(state)
    pred = np.zeros((h, w), dtype=bool)
    for b in boxes:
        b = b.tolist()
        inside = (points[:, 0] >= b[0]) & (points[:, 0] <= b[2]) & (points[:, 1] >= b[1]) & (points[:, 1] <= b[3])
        sel, lab = points[inside], labels[inside]
        box = np.asarray([b], dtype=np.float64)
        pts = sel.astype(np.float64).reshape(-1, 2)
        if pred_frame != "pixel":
            box = convert_boxes(box, pred_frame, "pixel", image_size=(w, h))
            pts = convert_points(pts, pred_frame, "pixel", image_size=(w, h)) if len(pts) else pts
        try:
            m = seg.predict(state, box[0], pts if len(pts) else None, lab.astype(np.int64) if len(pts) else None)
            pred |= np.asarray(m.data if hasattr(m, "data") else m, dtype=bool)
        except Exception:  # noqa: BLE001 - the public loop skips a box whose prediction fails
            continue
    pred = _resize_nearest(pred, target.hw)
    gt = target.mask.data
    inter = int(np.logical_and(pred, gt).sum())
    union = int(np.logical_or(pred, gt).sum())
    iou = inter / union if union > 0 else 0.0
    s = 1 - float(np.mean(pred.astype(np.float64)))
    s = max(0.0, min(1.0, s))
    score = 0.7 * iou + 0.3 * s + fmt
    # components are the raw terms; the weights make the total recoverable (TRL adapter)
    details.update(pred_area=int(pred.sum()), n_boxes=len(boxes), n_points=len(points),
                   weights={"iou": 0.7, "s_measure": 0.3, "format": 1.0})
    return RewardResult(score, {"iou": iou, "s_measure": s, "format": fmt}, None, details)
