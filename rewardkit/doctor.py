r"""Which reading fits these completions? ``rewardkit doctor`` and ``score``'s warning.

The number one complaint in the public projects is a localization reward stuck near 0
because the completions were read in the wrong coordinate frame or the wrong model's
grammar. :func:`diagnose` scores sample rows that have a ground truth under every
candidate :class:`~rewardkit.parsing.reading.Reading` that can apply (the dialects that
write what the reward reads, the frames each dialect may be in, the ground-truth frames)
and reports, per candidate, the mean reward, the mean IoU of the ground-truth boxes with
the best-overlapping predicted box, the share of rows read at all, and the share of
rows flagged ``out_of_frame`` / ``suspect_frame_norm1``. The best candidate is the one
with the highest mean reward (ties: higher IoU, then a dialect that names its own frame,
then the current reading). The verdict is a one-line suggestion when the current
reading is clearly worse (mean reward lower by at least 10% of the reward's range).

>>> rows = [{"completion": '```json\n[{"bbox_2d": [252, 126, 504, 252]}]\n```',
...          "ground_truth": {"boxes": [[250, 125, 500, 250]], "image_size": [1000, 500]}}]
>>> d = diagnose(rows, "grounding.iou", {"gt_frame": "pixel"})
>>> d["best"]["dialect"], round(d["best"]["mean_score"], 3)
('qwen2_5_vl', 1.0)
>>> d["verdict"]
'predictions look like qwen2_5_vl (frame qwen25vl); you scored them as visual_rft (frame norm1000): add --param dialect=qwen2_5_vl'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from rewardkit.errors import BadGroundTruth
from rewardkit.io import COMPLETION_FIELDS, GROUND_TRUTH_FIELDS, get_field
from rewardkit.parsing.dialects import dialect_names, get_dialect
from rewardkit.parsing.reading import READING_FIELDS, Reading
from rewardkit.registry import Reward, get_spec

__all__ = ["diagnose", "CLEARLY_WORSE", "DEFAULT_LIMIT"]

CLEARLY_WORSE = 0.1
"""The current reading is clearly worse when the best candidate's mean reward is higher
by at least this fraction of the reward's range."""
DEFAULT_LIMIT = 200
_SIZE_FRAMES = ("pixel", "qwen25vl")
_PRED_FRAMES = ("norm1000", "norm1", "pixel", "qwen25vl")
_GT_FRAMES = ("norm1000", "norm1", "pixel")


def _row_size(data: Mapping[str, Any], gt: Any) -> Any:
    if data.get("image_size") is not None:
        return data["image_size"]
    params = data.get("params")
    if isinstance(params, Mapping) and params.get("image_size") is not None:
        return params["image_size"]
    if isinstance(gt, Mapping) and gt.get("image_size") is not None:
        return gt["image_size"]
    return None


def _sample(rows: Iterable[Any], reward: str | None, limit: int) -> tuple[str | None, list[dict[str, Any]]]:
    """Rows (dicts or ``InputRow``) with a completion and a ground truth, for one reward."""
    out: list[dict[str, Any]] = []
    names: dict[str, int] = {}
    for row in rows:
        data = getattr(row, "data", row)
        if not isinstance(data, Mapping):
            continue
        name = data.get("reward") or reward
        if reward is not None and data.get("reward") not in (None, reward):
            continue
        cname, completion = get_field(data, COMPLETION_FIELDS)
        gname, gt = get_field(data, GROUND_TRUTH_FIELDS)
        if cname is None or gname is None or gt is None:
            continue
        if name:
            names[name] = names.get(name, 0) + 1
        raw_params = data.get("params")
        params = raw_params if isinstance(raw_params, Mapping) else {}
        out.append({"completion": completion, "ground_truth": gt, "prompt": data.get("prompt"),
                    "image_size": _row_size(data, gt), "params": dict(params)})
        if len(out) >= limit:
            break
    if reward is None and names:
        reward = max(names, key=names.get)  # type: ignore[arg-type]  # a dict of counts: get never returns None for its own keys
    return reward, out


def _candidates(spec: Any, current: Reading, sizes_known: bool) -> list[Reading]:
    fields = spec.reading_fields
    points = spec.task == "point"
    if "dialect" in fields:
        dialects = [d for d in dialect_names()
                    if (get_dialect(d).read_points if points else get_dialect(d).read_boxes) is not None]
    else:
        dialects = [current.dialect]
    pred_frames: list[str | None] = [None] if "pred_frame" in fields else [current.pred_frame]
    if "pred_frame" in fields:
        pred_frames += [f for f in (*_PRED_FRAMES, current.pred_frame) if f is not None and f not in pred_frames]
    gt_frames: list[str] = [current.gt_frame]
    if "gt_frame" in fields:
        gt_frames += [f for f in _GT_FRAMES if f not in gt_frames]
    out: list[Reading] = []
    seen: set[Reading] = set()
    # readings that read the same way (same reader, same frames) are one candidate, named
    # by the current reading if it is among them, else by a dialect that names its frame
    groups: dict[tuple[Any, ...], Reading] = {}

    def effective(r: Reading) -> tuple[Any, ...]:
        d = get_dialect(r.dialect)
        return (d.read_points if points else d.read_boxes, r.frame, r.gt_frame)

    def rank(r: Reading) -> tuple[int, int, int]:
        return (0 if r == current else 1, 0 if r.pred_frame is None else 1, 0 if r.dialect == current.dialect else 1)

    for d in dialects:
        dia = get_dialect(d)
        for pf in pred_frames:
            if dia.fixed_frame and pf is not None and pf != dia.frame:
                continue
            frame = dia.frame if pf is None else pf
            if frame in _SIZE_FRAMES and not sizes_known and frame != current.frame:
                continue
            for gf in gt_frames:
                if gf in _SIZE_FRAMES and not sizes_known and gf != current.gt_frame:
                    continue
                try:
                    r = current.replace(dialect=d, pred_frame=pf, gt_frame=gf)
                except ValueError:
                    continue
                if r not in seen:
                    seen.add(r)
                    out.append(r)
    for r in [current, *out]:
        k = effective(r)
        if k not in groups or rank(r) < rank(groups[k]):
            groups[k] = r
    kept = set(groups.values())
    return [current] + [r for r in out if r in kept and r != current]


def _iou_and_flag(row: Mapping[str, Any], reading: Reading, kind: str) -> tuple[float | None, str | None, bool]:
    """(mean over GT boxes of the best IoU with a predicted box, frame flag, read) of one
    row; IoU ``None`` for point rewards or unusable ground truth.
    """
    from rewardkit.geometry.boxes import box_iou
    from rewardkit.rewards._common import (
        box_target,
        boxes_to_gt_frame,
        frame_warning,
        read_boxes,
        read_points,
    )

    try:
        r = reading if row["image_size"] is None else reading.replace(image_size=row["image_size"])
        target = box_target(row["ground_truth"], r)
    except (BadGroundTruth, ValueError, TypeError):
        return None, None, False
    read = read_points if kind == "points" else read_boxes
    _, pred, _ = read(row["completion"], row["prompt"], r)
    if pred is None:
        return (0.0 if kind == "boxes" and len(target.boxes) else None), None, False
    if kind == "points" or len(pred) == 0 or len(target.boxes) == 0:
        return (0.0 if kind == "boxes" and len(target.boxes) else None), None, True
    try:
        flag = frame_warning(pred.xyxy, r, target)
        xyxy = boxes_to_gt_frame(pred.xyxy, r, target)
    except ValueError:
        return None, None, True
    iou = box_iou(xyxy, target.boxes.xyxy)
    return float(iou.max(axis=0).mean()), flag, True


def _score_candidate(reward: Reward, reading: Reading, rows: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    scores: list[float] = []
    ious: list[float] = []
    flags = {"out_of_frame": 0, "suspect_frame_norm1": 0}
    n_read = n_bad = n_err = 0
    for row in rows:
        params = {k: v for k, v in row["params"].items() if k not in READING_FIELDS and k != "reading"}
        call = {"reading": reading, **params}
        if row["image_size"] is not None:
            call["image_size"] = row["image_size"]
        if row["prompt"] is not None and "prompt" in reward.spec.params:
            call["prompt"] = row["prompt"]
        try:
            res = reward(row["completion"], row["ground_truth"], **call)
        except (ValueError, TypeError, KeyError):
            n_err += 1
            continue
        if res.score is None:
            n_bad += 1
            continue
        scores.append(float(res.score))
        if kind != "none":
            iou, flag, read = _iou_and_flag(row, reading, kind)
            n_read += int(read)
            if iou is not None:
                ious.append(iou)
            if flag in flags:
                flags[flag] += 1
    n = len(scores)
    return {
        "dialect": reading.dialect,
        "pred_frame": reading.pred_frame,
        "frame": reading.frame,
        "gt_frame": reading.gt_frame,
        "n_scored": n,
        "n_bad_ground_truth": n_bad,
        "n_errors": n_err,
        "mean_score": float(np.mean(scores)) if n else None,
        "mean_iou": float(np.mean(ious)) if ious else None,
        "read_rate": n_read / n if n and kind != "none" else None,
        "out_of_frame": flags["out_of_frame"] / n if n else None,
        "suspect_frame_norm1": flags["suspect_frame_norm1"] / n if n else None,
    }


def _key(c: dict[str, Any], current: Reading) -> tuple[Any, ...]:
    ms = c["mean_score"] if c["mean_score"] is not None else -math.inf
    iou = c["mean_iou"] if c["mean_iou"] is not None else -math.inf
    # a reading under which ground truths become unusable (bad_ground_truth: boxes outside
    # that frame's extent) cannot be the right one, whatever its mean over the rows left
    unusable = c["n_bad_ground_truth"] + c["n_errors"]
    return (-unusable, round(ms, 9), round(iou, 9), c["pred_frame"] is None, c["dialect"] == current.dialect,
            c["gt_frame"] == current.gt_frame)


def _suggest(best: dict[str, Any], current: Reading) -> str:
    parts = []
    if best["dialect"] != current.dialect:
        parts.append(f"--param dialect={best['dialect']}")
    if best["frame"] != current.frame and (best["pred_frame"] is not None or best["dialect"] == current.dialect):
        parts.append(f"--param pred_frame={best['frame']}")
    elif best["pred_frame"] is None and current.pred_frame is not None and best["dialect"] != current.dialect:
        parts.append(f"and remove pred_frame={current.pred_frame}")
    if best["gt_frame"] != current.gt_frame:
        parts.append(f"--param gt_frame={best['gt_frame']}")
    return " ".join(parts)


def diagnose(rows: Iterable[Any], reward: str | None = None, params: Mapping[str, Any] | None = None,
             *, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """Score candidate readings on up to ``limit`` rows with a ground truth.

    ``rows``: mappings (or :class:`~rewardkit.io.InputRow`) with a completion and a
    ground truth (the ``rewardkit score`` columns). ``reward``: the reward name (default:
    the rows' most common ``reward`` column). ``params``: the parameters the rows were
    scored with (the current reading is the reward's default with them applied).
    Returns ``{"reward", "n_rows", "current", "best", "candidates", "verdict"}``;
    ``verdict`` is ``None`` unless the current reading is clearly worse. ``ValueError``
    for a reward that reads no coordinates or rows without ground truth.
    """
    name, sample = _sample(rows, reward, max(1, int(limit)))
    if name is None:
        raise ValueError("Expected a reward name (--reward NAME or a 'reward' column), but got none")
    spec = get_spec(name)
    if spec.reading is None or not ({"dialect", "pred_frame"} & set(spec.reading_fields)):
        raise ValueError(f"Expected a reward that reads boxes or points, but {name!r} reads no coordinates")
    if not sample:
        raise ValueError("Expected rows with a completion and a ground truth, but found none")
    params = dict(params or {})
    given = {k: params.pop(k) for k in list(params) if k in READING_FIELDS}
    current = Reading.resolve(params.pop("reading", None), spec.reading, **given)
    rw = Reward(name, **{k: v for k, v in params.items() if k in spec.params})
    sizes_known = current.image_size is not None or all(r["image_size"] is not None for r in sample)
    kind = "points" if spec.task == "point" else ("boxes" if spec.task in ("detection", "grounding", "format") else "none")
    cands = [_score_candidate(rw, c, sample, kind) for c in _candidates(spec, current, sizes_known)]
    cur = cands[0] if _same(cands[0], current) else next(c for c in cands if _same(c, current))
    best = max(cands, key=lambda c: _key(c, current))
    lo, hi = spec.range
    verdict = None
    cur_ms = cur["mean_score"] if cur["mean_score"] is not None else lo
    if best is not cur and best["mean_score"] is not None and best["mean_score"] - cur_ms >= CLEARLY_WORSE * (hi - lo):
        verdict = (f"predictions look like {best['dialect']} (frame {best['frame']}"
                   + (f", ground truth {best['gt_frame']}" if best["gt_frame"] != current.gt_frame else "")
                   + f"); you scored them as {current.dialect} (frame {current.frame}"
                   + (f", ground truth {current.gt_frame}" if best["gt_frame"] != current.gt_frame else "")
                   + f"): add {_suggest(best, current)}")
    order = sorted(cands, key=lambda c: _key(c, current), reverse=True)
    return {
        "reward": name,
        "n_rows": len(sample),
        "current": cur,
        "best": {k: best[k] for k in ("dialect", "pred_frame", "frame", "gt_frame", "mean_score", "mean_iou")},
        "candidates": order,
        "verdict": verdict,
    }


def _same(c: dict[str, Any], r: Reading) -> bool:
    return c["dialect"] == r.dialect and c["pred_frame"] == r.pred_frame and c["gt_frame"] == r.gt_frame
