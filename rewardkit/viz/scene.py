"""What a reward saw on one completion: shapes in one frame, matches, caption facts.

No drawing here (no Pillow): :func:`build_scene` scores the completion through the
registry (the score, components, reason and ``details`` are the reward's own) and then
reads the answer and the ground truth with the parsing layer and recomputes overlaps and
the one-to-one assignment with the geometry layer, using the matcher the reward's
formula names (Visual-RFT: greedy by confidence, ``IoU > tau``; F1 and Vision-R1:
Hungarian; VLM-R1's weighted sum: greedy by global maximum IoU; grounding: the first box
against the best-overlapping ground truth). The formulas themselves are not repeated:
the numbers in the caption are the reward's.

Coordinates: every shape is in the *canvas frame*: pixels of the image when its size is
known (``image_size``, the ground truth's size, or the image's), otherwise the ground
truth's frame (``norm1000`` gives a 1000 x 1000 canvas). Predictions are converted into
the ground truth's frame exactly as the reward converts them, so a prediction in the
wrong frame shows up where the reward put it (often far outside the image).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rewardkit.errors import BadGroundTruth
from rewardkit.registry import Reward
from rewardkit.types import RewardResult
from rewardkit.viz.shapes import (
    _GE,
    _MAX_SHAPES,
    COCO_SKELETON,
    Link,
    Scene,
    Shape,
    _answer_text,
    _dialect_reader,
    _label_of,
    _reading_of,
    _size_of,
)

__all__ = ["Shape", "Link", "Scene", "build_scene", "COCO_SKELETON"]

# ----------------------------------------------------------------------------- boxes


def _box_matching(name: str, p: Mapping[str, Any], result: RewardResult, iou: np.ndarray, giou_fn: Any,
                  pred_xyxy: np.ndarray, gt_xyxy: np.ndarray, scores: np.ndarray | None,
                  extent: tuple[float, float] | None) -> tuple[list[tuple[int, int, bool]], str | None]:
    """Pairs ``(pred, gt, passed)`` the reward's matcher makes, and its description."""
    from rewardkit.geometry.matching import (
        match_greedy_confidence,
        match_greedy_global,
        match_hungarian,
    )

    n_pred, n_gt = iou.shape
    if n_pred == 0 or n_gt == 0:
        return [], None
    if name == "visual_rft.detection":
        tau = float(p.get("iou_threshold", 0.5))
        d = float(p.get("default_confidence", 1.0))
        conf = np.full(n_pred, d) if scores is None else np.clip(np.where(np.isnan(scores), d, scores), 0.0, 1.0)
        pi, gi = match_greedy_confidence(iou, conf, threshold=tau, inclusive=False)
        return [(int(a), int(b), True) for a, b in zip(pi, gi)], f"greedy by confidence, IoU > {tau:g}"
    if name == "detection.f1":
        tau = float(p.get("iou_threshold", 0.5))
        inclusive = bool(p.get("inclusive", True))
        ok = iou >= tau if inclusive else iou > tau
        pi, gi = match_hungarian(-(ok.astype(np.float64) + 1e-3 * iou))
        return [(int(a), int(b), True) for a, b in zip(pi, gi) if ok[a, b]], f"one-to-one (Hungarian), IoU {_GE if inclusive else '>'} {tau:g}"
    if name == "vision_r1.localization":
        xi = result.details.get("xi") or (0.5, 0.5, 0.75)
        xi0 = float(xi[0])
        giou = giou_fn(pred_xyxy, gt_xyxy)
        cost = p.get("cost", "l1+giou")
        if cost == "l1+giou" and extent is not None:
            w, h = extent
            norm = np.array([w, h, w, h])
            c = np.abs(pred_xyxy[:, None, :] / norm - gt_xyxy[None, :, :] / norm).mean(axis=2) + (1.0 - giou)
        elif cost == "iou":
            c = 1.0 - iou
        else:
            c = 1.0 - giou
        pi, gi = match_hungarian(c)
        return [(int(a), int(b), bool(iou[a, b] >= xi0)) for a, b in zip(pi, gi)], f"one-to-one (Hungarian, {cost} cost), valid at IoU \u2265 {xi0:g}"
    if name == "vlm_r1.weighted_sum":
        tau = float(p.get("iou_threshold", 0.5))
        pi, gi = match_greedy_global(iou, threshold=tau, inclusive=True)
        return [(int(a), int(b), True) for a, b in zip(pi, gi)], f"greedy by largest IoU, IoU \u2265 {tau:g}"
    if name.startswith("vlm_r1.od_"):
        s = np.ones(n_pred) if scores is None else np.where(np.isnan(scores), 1.0, scores)
        pi, gi = match_greedy_confidence(iou, s, threshold=0.5, inclusive=True)
        return [(int(a), int(b), True) for a, b in zip(pi, gi)], "COCO greedy by score at IoU \u2265 0.5 (AP averages 0.5:0.95)"
    if name.startswith("grounding.") or name == "vlm_r1.rec_iou":
        g = int(np.argmax(iou[0]))
        v = float(iou[0, g])
        if name == "grounding.accuracy":
            thr = float(p["threshold"] if p.get("threshold") is not None else p.get("iou_threshold", 0.5))
            inclusive = p["comparison"] == ">=" if p.get("comparison") is not None else bool(p.get("inclusive", True))
            passed = v >= thr if inclusive else v > thr
            desc = f"first box against the best ground truth, IoU {'>=' if inclusive else '>'} {thr:g}"
        else:
            passed = v > 0
            desc = "first box against the best-overlapping ground truth"
        return ([(0, g, passed)] if v > 0 else []), desc
    return [], None


def _box_scene(name: str, spec: Any, p: dict[str, Any], completion: Any, ground_truth: Any, result: RewardResult,
               image_size: tuple[int, int] | None) -> Scene:
    from rewardkit.geometry.boxes import box_giou, box_iou
    from rewardkit.parsing.boxes import parse_boxes
    from rewardkit.parsing.frames import convert_boxes, frame_extent
    from rewardkit.parsing.ground_truth import read_box_target
    from rewardkit.rewards._common import boxes_to_gt_frame, resize_kwargs

    scene = Scene(name, spec.range, result, "pixel", None)
    rk = resize_kwargs(p.get("min_pixels"), p.get("max_pixels"))
    target = None
    try:
        target = read_box_target(ground_truth, image_size=image_size) if ground_truth is not None else None
    except BadGroundTruth as exc:
        scene.notes.append(f"ground truth unreadable: {str(exc)[:160]}")
    pred_frame = str(p.get("pred_frame", "norm1000"))
    gt_frame = str((target.frame if target is not None else None) or p.get("gt_frame", pred_frame))
    size = image_size or (target.image_size if target is not None else None)
    scene.frames = {"pred_frame": pred_frame, "gt_frame": gt_frame, "image_size": size}

    mode = str(p.get("answer", "auto"))
    text, why, where = _answer_text(completion, p.get("prompt"), mode)
    scene.frames["answer"] = where
    pred = None
    if text is None:
        scene.notes.append(f"no answer read ({why or 'no_answer_tag'})")
    else:
        parsed = _dialect_reader(p, "boxes", parse_boxes)(text)
        if parsed.ok:
            pred = parsed.value
        else:
            scene.notes.append(f"no boxes read from the answer ({parsed.reason})")
    gt_xyxy = target.boxes.xyxy if target is not None else np.zeros((0, 4))
    pred_xyxy = np.zeros((0, 4)) if pred is None else pred.xyxy
    if len(pred_xyxy) > _MAX_SHAPES or len(gt_xyxy) > _MAX_SHAPES:
        scene.notes.append(f"only the first {_MAX_SHAPES} boxes of each side are drawn")
    # predictions into the ground truth's frame, as the reward converts them
    pred_gt = pred_xyxy
    if len(pred_xyxy):
        try:
            bt = target if target is not None else read_box_target([], image_size=size)
            pred_gt = boxes_to_gt_frame(pred_xyxy, _reading_of(p), bt)
        except ValueError as exc:
            scene.notes.append(f"predictions not converted: {str(exc)[:120]}")
    # the canvas: pixels when the image size is known, else the ground truth's frame
    to_canvas = None
    if size is not None:
        scene.canvas_frame = "pixel"
        scene.frame_size = (float(size[0]), float(size[1]))
        if gt_frame != "pixel":
            to_canvas = (gt_frame, "pixel")
    else:
        scene.canvas_frame = gt_frame
        try:
            scene.frame_size = frame_extent(gt_frame, None, **rk)
        except ValueError:
            scene.frame_size = None  # pixel frame without a size: the shapes' extent
    extent = None
    try:
        extent = frame_extent(gt_frame, size, **rk)
    except ValueError:
        pass

    def canvas(xyxy: np.ndarray) -> np.ndarray:
        if to_canvas is None or not len(xyxy):
            return np.asarray(xyxy, dtype=np.float64)
        return convert_boxes(xyxy, to_canvas[0], to_canvas[1], size, **rk)

    iou = box_iou(pred_gt, gt_xyxy) if len(pred_gt) and len(gt_xyxy) else np.zeros((len(pred_gt), len(gt_xyxy)))
    scores = None if pred is None or pred.scores is None else np.asarray(pred.scores, dtype=np.float64)
    matcher = name in ("vision_r1.dual_format", "penalty.repetition") or target is None
    pairs, desc = ([], None) if matcher else _box_matching(name, p, result, iou, box_giou, pred_gt, gt_xyxy, scores, extent)
    scene.matching = desc
    matched_p = {a for a, _, ok in pairs if ok}
    matched_g = {b for _, b, ok in pairs if ok}
    n_shown_p = min(len(pred_gt), _MAX_SHAPES)
    n_shown_g = min(len(gt_xyxy), _MAX_SHAPES)
    gt_c = canvas(gt_xyxy[:n_shown_g])
    pr_c = canvas(pred_gt[:n_shown_p])
    gt_labels = target.boxes.labels if target is not None else None
    for j in range(n_shown_g):
        lab = _label_of(gt_labels, j)
        scene.gts.append(Shape("box", "gt", j, gt_c[j], f"GT{j + 1}" + (f" {lab}" if lab else ""), None if matcher else j in matched_g))
    for i in range(n_shown_p):
        lab = _label_of(pred.labels if pred is not None else None, i)
        conf = "" if scores is None or np.isnan(scores[i]) else f" {scores[i]:.2f}"
        grounding_extra = (name.startswith("grounding.") or name == "vlm_r1.rec_iou") and i > 0
        matched = None if matcher else (i in matched_p and not grounding_extra)
        scene.preds.append(Shape("box", "pred", i, pr_c[i], f"P{i + 1}" + (f" {lab}" if lab else "") + conf, matched))
    for a, b, ok in pairs:
        if ok and a < n_shown_p and b < n_shown_g:
            scene.links.append(Link(a, b, f"IoU {iou[a, b]:.2f}", float(iou[a, b])))
    if name.startswith("grounding.") and len(pred_gt) > 1:
        scene.notes.append("only the first predicted box is scored (multiple boxes: see `multiple`)")
    return scene


# ----------------------------------------------------------------------------- points


def _point_box_scene(name: str, spec: Any, p: dict[str, Any], completion: Any, ground_truth: Any,
                     result: RewardResult, image_size: tuple[int, int] | None) -> Scene:
    from rewardkit.geometry.matching import match_hungarian
    from rewardkit.parsing.frames import convert_boxes, convert_points, frame_extent
    from rewardkit.parsing.ground_truth import read_box_target
    from rewardkit.parsing.points import parse_points
    from rewardkit.rewards._common import points_to_gt_frame

    scene = Scene(name, spec.range, result, "pixel", None)
    try:
        target = read_box_target(ground_truth, image_size=image_size)
    except BadGroundTruth as exc:
        scene.notes.append(f"ground truth unreadable: {str(exc)[:160]}")
        return scene
    pred_frame = str(p.get("pred_frame", "norm1000"))
    gt_frame = str(target.frame or p.get("gt_frame", "norm1000"))
    size = image_size or target.image_size
    text, why, where = _answer_text(completion, p.get("prompt"), str(p.get("answer", "auto")))
    scene.frames = {"pred_frame": pred_frame, "gt_frame": gt_frame, "image_size": size, "answer": where}
    xy = np.zeros((0, 2))
    if text is None:
        scene.notes.append(f"no answer read ({why or 'no_answer_tag'})")
    else:
        parsed = _dialect_reader(p, "points", parse_points)(text)
        if parsed.ok:
            try:
                xy = points_to_gt_frame(parsed.value.xy, _reading_of(p), target)
            except ValueError as exc:
                xy = parsed.value.xy
                scene.notes.append(f"points not converted: {str(exc)[:120]}")
        else:
            scene.notes.append(f"no points read ({parsed.reason})")
    b = target.boxes.xyxy
    inside = ((xy[:, None, 0] >= b[None, :, 0]) & (xy[:, None, 0] <= b[None, :, 2])
              & (xy[:, None, 1] >= b[None, :, 1]) & (xy[:, None, 1] <= b[None, :, 3]))  # fmt: skip
    pairs = []
    if inside.size:
        pi, bi = match_hungarian(-inside.astype(np.float64))
        pairs = [(int(a), int(c)) for a, c in zip(pi, bi) if inside[a, c]]
    scene.matching = "one-to-one (Hungarian), point inside box"
    if size is not None:
        scene.frame_size = (float(size[0]), float(size[1]))
        if gt_frame != "pixel":
            b = convert_boxes(b, gt_frame, "pixel", size) if len(b) else b
            xy = convert_points(xy, gt_frame, "pixel", size) if len(xy) else xy
    else:
        scene.canvas_frame = gt_frame
        try:
            scene.frame_size = frame_extent(gt_frame)
        except ValueError:
            scene.frame_size = None
    mp = {a for a, _ in pairs}
    mb = {c for _, c in pairs}
    for j in range(min(len(b), _MAX_SHAPES)):
        scene.gts.append(Shape("box", "gt", j, b[j], f"GT{j + 1}", j in mb))
    for i in range(min(len(xy), _MAX_SHAPES)):
        scene.preds.append(Shape("point", "pred", i, xy[i], f"P{i + 1}", i in mp))
    for a, c in pairs:
        if a < _MAX_SHAPES and c < _MAX_SHAPES:
            scene.links.append(Link(a, c, "inside", 1.0))
    return scene


# ----------------------------------------------------------------------------- masks


def _mask_scene(name: str, spec: Any, p: dict[str, Any], completion: Any, ground_truth: Any,
                result: RewardResult) -> Scene:
    from rewardkit.geometry.masks import mask_iou_pair
    from rewardkit.parsing.frames import convert_boxes, convert_points
    from rewardkit.parsing.points import parse_points
    from rewardkit.parsing.seg_r1 import parse_seg_r1
    from rewardkit.rewards import segmentation as seg

    scene = Scene(name, spec.range, result, "pixel", None)
    try:
        target = seg.read_seg_target(ground_truth, image=p.get("image"))
    except BadGroundTruth as exc:
        scene.notes.append(f"ground truth unreadable: {str(exc)[:160]}")
        return scene
    h, w = target.hw
    scene.frame_size = (float(w), float(h))
    pred_frame = str(p.get("pred_frame", "pixel"))
    scene.frames = {"pred_frame": pred_frame, "gt_frame": "pixel (mask)", "image_size": (w, h), "answer": "<answer> tag"}
    masks = target.masks if (target.instances and name == "point.in_mask") else (target.mask,)
    for j, m in enumerate(masks[:_MAX_SHAPES]):
        scene.gts.append(Shape("mask", "gt", j, m.data, f"GT{j + 1}" if len(masks) > 1 else "GT mask", None))
    answer, why, _ = _answer_text(completion, p.get("prompt"), str(p.get("answer", "auto")))
    if answer is None:
        scene.notes.append(f"no answer read ({why or 'no_answer_tag'})")
        return scene
    if name == "point.in_mask":
        parsed = _dialect_reader(p, "points", parse_points)(answer)
        if not parsed.ok:
            scene.notes.append(f"no points read ({parsed.reason})")
            return scene
        xy = parsed.value.xy
        if pred_frame != "pixel" and len(xy):
            xy = convert_points(xy, pred_frame, "pixel", image_size=(w, h))
        hits = set()
        for i, (x, y) in enumerate(xy[:_MAX_SHAPES].tolist()):
            c, r = int(np.floor(x)), int(np.floor(y))
            on = [j for j, m in enumerate(masks) if 0 <= r < h and 0 <= c < w and m.data[r, c]]
            scene.preds.append(Shape("point", "pred", i, np.array([x, y]), f"P{i + 1}", bool(on)))
            hits.update(on)
        for j, s in enumerate(scene.gts):
            s.matched = j in hits
        scene.matching = "a point matches a mask it falls on"
        return scene
    # a predicted mask: Seg-R1 prompts through the segmenter, or an RLE / polygons
    segmenter = p.get("segmenter", "geometric")
    mask = None
    if name == "seg_r1.mask" or "<bbox>" in answer.lower() or "<points>" in answer.lower():
        parsed = parse_seg_r1(answer)
        if parsed.ok and len(parsed.value) <= int(p.get("max_prompts", 50)):
            prompts = parsed.value
            boxes, pts = prompts.boxes.xyxy, prompts.points.xy
            if pred_frame != "pixel":
                boxes = convert_boxes(boxes, pred_frame, "pixel", image_size=(w, h)) if len(boxes) else boxes
                pts = convert_points(pts, pred_frame, "pixel", image_size=(w, h)) if len(pts) else pts
            for i, bx in enumerate(boxes[:_MAX_SHAPES]):
                scene.prompts.append(Shape("box", "prompt", i, bx, f"box {i + 1}"))
            for i, pt in enumerate(pts[:_MAX_SHAPES]):
                lab = int(prompts.point_labels[i]) if i < len(prompts.point_labels) else 1
                scene.prompts.append(Shape("point", "prompt", i, pt, "+" if lab == 1 else "\u2212", lab == 1))
            mask, why = seg.mask_from_answer(answer, target, segmenter, pred_frame, int(p.get("max_prompts", 50)))
        else:
            why = parsed.reason if not parsed.ok else "too_many_prompts"
    else:
        mask, why = seg.mask_from_answer(answer, target, segmenter, pred_frame, int(p.get("max_prompts", 50)))
    if mask is None:
        scene.notes.append(f"no mask read ({why})")
        return scene
    iou = mask_iou_pair(mask, target.mask, empty_value=float(p.get("empty_score", 1.0)))
    scene.preds.append(Shape("mask", "pred", 0, mask.data, "predicted mask", iou > 0))
    scene.gts[0].matched = iou > 0 if len(scene.gts) == 1 else None
    scene.links.append(Link(0, 0, f"IoU {iou:.2f}", iou))
    scene.matching = "mask against the ground-truth mask" + (" (segmenter: " + str(segmenter) + ")" if name == "seg_r1.mask" else "")
    return scene


# ----------------------------------------------------------------------------- poses


def _pose_scene(name: str, spec: Any, p: dict[str, Any], completion: Any, ground_truth: Any,
                result: RewardResult, image_size: tuple[int, int] | None) -> Scene:
    from rewardkit.geometry.keypoints import oks as oks_fn
    from rewardkit.parsing.frames import convert_points
    from rewardkit.parsing.keypoints import COCO_KEYPOINT_NAMES, parse_keypoints
    from rewardkit.rewards.pose import read_pose_target

    scene = Scene(name, spec.range, result, "pixel", None)
    dims = 3 if name == "pose.mpjpe" else int(p.get("dims", 2) or 2)
    target = None
    if name != "pose.plausibility":
        try:
            target = read_pose_target(ground_truth, area=p.get("area"), dims=dims)
        except BadGroundTruth as exc:
            scene.notes.append(f"ground truth unreadable: {str(exc)[:160]}")
    pred_frame = str(p.get("pred_frame", "pixel"))
    size = image_size
    scene.frames = {"pred_frame": pred_frame, "gt_frame": "pixel", "image_size": size, "answer": "<answer> tag"}
    if size is not None:
        scene.frame_size = (float(size[0]), float(size[1]))
    if name in ("pose.mpjpe",) or dims == 3:
        scene.notes.append("3-D pose drawn as its x-y projection")
    k = target.k if target is not None else 17
    if target is not None:
        gxy = np.where((target.visibility > 0)[:, None], target.coords[:, :2], np.nan)
        scene.gts.append(Shape("pose", "gt", 0, gxy, "GT", None))
    answer, why, _ = _answer_text(completion, p.get("prompt"), str(p.get("answer", "auto")))
    if answer is None:
        scene.notes.append(f"no answer read ({why or 'no_answer_tag'})")
        return scene
    names = COCO_KEYPOINT_NAMES if k == 17 else tuple(f"joint_{i}" for i in range(k))
    parsed = parse_keypoints(answer, joint_names=names, num_keypoints=k, dims=dims)
    if not parsed.ok:
        scene.notes.append(f"no keypoints read ({parsed.reason})")
        return scene
    xy = np.array(parsed.value.xy, dtype=np.float64)[:, :2]
    present = parsed.value.visibility > 0
    if pred_frame != "pixel" and dims == 2:
        try:
            xy = convert_points(xy, pred_frame, "pixel", image_size=size)
        except ValueError as exc:
            scene.notes.append(f"keypoints not converted: {str(exc)[:120]}")
    pxy = np.where(present[:, None], xy, np.nan)
    if target is None or dims == 3 or pxy.shape[0] != target.k:
        scene.preds.append(Shape("pose", "pred", 0, pxy, "prediction", None))
        return scene
    area = target.area
    if area is None and target.bbox is not None:
        area = float(target.bbox[2] * target.bbox[3])
    if area is None:
        lab = target.visibility > 0
        ext = target.coords[lab].max(axis=0) - target.coords[lab].min(axis=0) if lab.sum() >= 2 else np.ones(2)
        area = float(ext[0] * ext[1])
    gt_xyv = np.concatenate([target.coords[:, :2], target.visibility[:, None]], axis=1)
    with np.errstate(invalid="ignore", over="ignore"):
        value = oks_fn(np.where(np.isnan(pxy), np.inf, pxy), gt_xyv, area, None if target.bbox is None else target.bbox, sigmas=p.get("sigmas"))
    value = value if np.isfinite(value) else 0.0
    scene.preds.append(Shape("pose", "pred", 0, pxy, "prediction", value > 0))
    scene.gts[0].matched = value > 0
    scene.links.append(Link(0, 0, f"OKS {value:.2f}", value))
    scene.matching = "one person: keypoints paired by joint"
    return scene


# ----------------------------------------------------------------------------- text


def _text_scene(name: str, spec: Any, p: dict[str, Any], completion: Any, ground_truth: Any, result: RewardResult) -> Scene:
    from rewardkit.parsing.ground_truth import read_text_target

    scene = Scene(name, spec.range, result, "pixel", None)
    text, why, where = _answer_text(completion, p.get("prompt"))
    scene.frames = {"answer": where}
    scene.answer = text if text is None or len(text) <= 200 else text[:199] + "\u2026"
    if text is None:
        scene.notes.append(f"no answer read ({why or 'no_answer_tag'})")
    if ground_truth is not None and spec.task in ("classification", "counting"):
        try:
            scene.expected = read_text_target(ground_truth)[:200]
        except (BadGroundTruth, ValueError):
            scene.notes.append("ground truth unreadable")
    return scene


# ----------------------------------------------------------------------------- entry point


def build_scene(completion: Any, ground_truth: Any, reward: str | Reward = "visual_rft.detection", *,
                image_size: Any = None, **params: Any) -> Scene:
    """Score ``completion`` with ``reward`` and lay out what the reward compared.

    ``params`` are the reward's parameters (unknown ones raise ``ValueError``, as the
    reward does); ``image_size`` is given to the reward when it takes one and fixes the
    canvas (pixels of that size). Model output never raises here.
    """
    r = reward if isinstance(reward, Reward) else Reward(str(reward))
    spec = r.spec
    call = dict(params)
    size = _size_of(image_size)
    if image_size is not None and "image_size" in spec.params:
        call["image_size"] = image_size
    result = r(completion, ground_truth, **call)
    p: dict[str, Any] = {**spec.params, **r.params, **call}
    if spec.reading is not None:  # the reward's Reading: frames and answer mode as it read them
        from rewardkit.rewards.base import fold_reading

        given = {k: v for k, v in {**r.params, **call}.items() if k == "reading" or k in spec.reading_fields}
        rd = fold_reading(given, spec.reading, spec.reading_fields)["reading"]
        p.update(pred_frame=rd.frame, gt_frame=rd.gt_frame, answer=rd.answer, dialect=rd.dialect,
                 min_pixels=rd.min_pixels, max_pixels=rd.max_pixels, reading=rd)
    name = r.name
    tags = spec.tags
    try:
        if spec.task == "pose":
            scene = _pose_scene(name, spec, p, completion, ground_truth, result, size)
        elif spec.task == "segmentation" or name == "point.in_mask":
            scene = _mask_scene(name, spec, p, completion, ground_truth, result)
        elif name == "point.in_box":
            scene = _point_box_scene(name, spec, p, completion, ground_truth, result, size)
        elif "boxes" in tags or name == "penalty.repetition":
            scene = _box_scene(name, spec, p, completion, ground_truth, result, size)
        else:
            scene = _text_scene(name, spec, p, completion, ground_truth, result)
    except (RecursionError, MemoryError, OverflowError) as exc:  # hostile output: never raise
        scene = Scene(name, spec.range, result, "pixel", None, notes=[f"nothing drawn: {type(exc).__name__}"])
    for key in ("dialect", "reading"):
        if p.get(key) is not None:
            scene.frames[key] = p[key]
    return scene
