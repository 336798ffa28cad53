"""Graded honest policies of the quality audit (:class:`Ladder`).

Graded honest policies (:class:`Ladder`) start from the ground truth and degrade it at a
series of quality levels, with common random numbers: the G completions of a row draw
their random numbers once and every level reuses them, so a reward that is monotone in
quality gives per-completion scores that are monotone in the level, and any drop is the
reward's, not the sampling's:

* ``iou`` (boxes, grounding, points, segmentation prompts, polygons): every box replaced by
  a box at a target IoU with it: per box, ``IoU ~ Beta(k q, k (1 - q))`` (``k = 40``,
  mean ``q``), reached along a random ray in (centre, log-size) space by bisection, the box
  kept inside the image; points are the centres of such boxes, polygons are mapped by the
  affine map from the ground-truth box to the noisy one. Confidences are the IoU reached;
* ``oks`` (poses, persons): every labelled keypoint displaced in a random direction by the
  distance at which its COCO OKS term equals a target ``~ Beta(k q, k (1 - q))``:
  ``d = 2 sigma_i sqrt(area) sqrt(-2 ln t)``;
* ``offset`` (points on masks): a random pixel of the mask moved by ``(1 - q)`` times the
  object size (times ``0.5 + u``) in a random direction;
* ``missing``, ``extra`` (on top of IoU / OKS ``0.9``): each object dropped, or a spurious
  one added (a training-size box at a random place, confidence 0.3; a template person),
  with probability ``rate``;
* ``label_error`` (boxes with labels, on top of IoU ``0.9``; classification): each label
  replaced by another class of the dataset with probability ``rate``;
* ``count_error``: the count off by 1 or 2 with probability ``rate``; ``count_offset``:
  every count off by ``d`` (random sign).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rewardkit.auditing.answers import Answer
from rewardkit.auditing.policies import (
    BASE_QUALITY,
    CONCENTRATION,
    EXTRA_CONFIDENCE,
    QUALITY_LEVELS,
    RATES,
    Priors,
    _cxcywh,
)
from rewardkit.auditing.quality_data import QualityRow

__all__ = ["Ladder", "ladders", "exact_answer", "box_at_iou", "box_iou_rows"]


def box_iou_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of each row of ``a`` with the same row of ``b`` (xyxy).

    Args:
        a: ``N x 4`` boxes.
        b: ``N x 4`` boxes.

    Returns:
        ``N`` IoUs.
    """
    iw = np.maximum(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0.0)
    ih = np.maximum(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0.0)
    inter = iw * ih
    union = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def _ray(c: np.ndarray, d: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Boxes at ``t`` along the rays ``d`` from the boxes ``c`` (cxcywh), clipped to the image."""
    cx = c[:, 0] + t * d[:, 0] * c[:, 2]
    cy = c[:, 1] + t * d[:, 1] * c[:, 3]
    w = c[:, 2] * np.exp(t * d[:, 2]) / 2
    h = c[:, 3] * np.exp(t * d[:, 3]) / 2
    box = np.stack([cx - w, cy - h, cx + w, cy + h], axis=1)
    return np.minimum(np.maximum(box, 0.0), 1.0)


T_MAX = 8.0
BISECTION_STEPS = 32


def box_at_iou(gt: np.ndarray, target: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Boxes at IoU ``target`` with the boxes ``gt`` (``N x 4`` normalized xyxy).

    Each box moves along the ray ``(cx + t dx w, cy + t dy h, w e^(t dw), h e^(t dh))`` of
    its direction (clipped to the image) until its IoU with the ground truth equals the
    target (bisection). ``directions`` is ``N x C x 4``: the first candidate whose ray
    reaches an IoU below the target is used (rays along which clipping keeps the IoU high
    are skipped). IoU is invariant to scaling x and y, so working in the normalized frame
    gives the IoU of every frame.

    Args:
        gt: ``N x 4`` ground-truth boxes.
        target: ``N`` target IoUs.
        directions: ``N x C x 4`` candidate ray directions.

    Returns:
        ``N x 4`` boxes.

    Example:
        >>> gt = np.array([[0.2, 0.2, 0.6, 0.6]])
        >>> box = box_at_iou(gt, np.array([0.5]), np.array([[[1.0, 0.0, 0.0, 0.0]]]))
        >>> round(float(box_iou_rows(box, gt)[0]), 6)
        0.5
    """
    gt = np.asarray(gt, dtype=np.float64).reshape(-1, 4)
    n = len(gt)
    if n == 0:
        return gt.copy()
    c = _cxcywh(gt)
    target = np.clip(np.asarray(target, dtype=np.float64), 0.0, 0.999999)
    dirs = np.asarray(directions, dtype=np.float64).reshape(n, -1, 4)
    chosen = dirs[:, -1]
    found = np.zeros(n, dtype=bool)
    far = np.full(n, T_MAX)
    for j in range(dirs.shape[1]):
        ok = box_iou_rows(_ray(c, dirs[:, j], far), gt) < target
        take = ok & ~found
        chosen = np.where(take[:, None], dirs[:, j], chosen)
        found |= ok
        if found.all():
            break
    lo = np.zeros(n)
    hi = far.copy()
    for _ in range(BISECTION_STEPS):
        mid = (lo + hi) / 2
        above = box_iou_rows(_ray(c, chosen, mid), gt) >= target
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return _ray(c, chosen, hi)


def _beta_targets(u: np.ndarray, q: float) -> np.ndarray:
    from scipy.stats import beta

    if q >= 1.0:
        return np.ones_like(u)
    return np.clip(beta.ppf(u, CONCENTRATION * q, CONCENTRATION * (1 - q)), 0.02, 0.999)


def _directions(g: np.random.Generator, n: int, candidates: int = 6, dims: int = 4) -> np.ndarray:
    d = g.normal(size=(n, candidates, dims))
    return d / np.linalg.norm(d, axis=-1, keepdims=True)


@dataclass(frozen=True)
class Ladder:
    """A graded honest policy: ``generate(row, gens)`` gives one answer per level.

    One list of answers per generator (one per completion of the group); each completion
    draws its random numbers once for all levels (common random numbers).
    """

    name: str
    description: str
    levels: tuple[float, ...]
    labels: tuple[str, ...]
    generate: Callable[[QualityRow, Sequence[np.random.Generator]], list[list[Answer]]]
    primary: bool = False


def _box_draws(row: QualityRow, g: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The random numbers of one completion's noisy boxes.

    A Beta quantile and candidate ray directions per box.
    """
    n = len(row.boxes)
    return g.random(n), _directions(g, n)


def _noisy_boxes(row: QualityRow, qs: Sequence[float], draws: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    """``[completion][level]`` -> (noisy boxes, IoU reached).

    Every completion and level is solved in one vectorized bisection.
    """
    gt = row.boxes
    n = len(gt)
    lv = len(qs)
    targets = np.concatenate([_beta_targets(u, q) for u, _ in draws for q in qs])
    dirs = np.concatenate([np.tile(d, (lv, 1, 1)) for _, d in draws])
    big_gt = np.tile(gt, (lv * len(draws), 1))
    boxes = box_at_iou(big_gt, targets, dirs)
    exact = np.tile(np.repeat(np.asarray(qs) >= 1.0, n), len(draws))
    boxes[exact] = big_gt[exact]
    reached = box_iou_rows(boxes, big_gt)
    out = []
    for j in range(len(draws)):
        base = j * lv * n
        out.append([(boxes[base + i * n: base + (i + 1) * n], reached[base + i * n: base + (i + 1) * n]) for i in range(lv)])
    return out


def _polygons_for(row: QualityRow, box: np.ndarray) -> tuple[tuple[float, ...], ...] | None:
    """The ground-truth polygons mapped from the ground-truth box onto ``box`` (pixels)."""
    if row.polygons is None:
        return None
    w, h = row.image_size
    g = row.boxes[0] * np.array([w, h, w, h])
    b = box * np.array([w, h, w, h])
    sx = (b[2] - b[0]) / max(g[2] - g[0], 1e-9)
    sy = (b[3] - b[1]) / max(g[3] - g[1], 1e-9)
    out = []
    for poly in row.polygons:
        p = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
        p = np.stack([b[0] + (p[:, 0] - g[0]) * sx, b[1] + (p[:, 1] - g[1]) * sy], axis=1)
        out.append(tuple(np.clip(p, 0, [w, h]).ravel().tolist()))
    return tuple(out)


def _warped_rle(row: QualityRow, box: np.ndarray) -> dict[str, Any]:
    """The ground-truth mask moved from its box onto ``box`` (nearest neighbour), as RLE."""
    from rewardkit.parsing.masks import to_rle

    h, w = row.mask.shape
    g = row.boxes[0] * np.array([w, h, w, h])
    b = box * np.array([w, h, w, h])
    ys, xs = np.mgrid[0:h, 0:w]
    sx = max(g[2] - g[0], 1e-9) / max(b[2] - b[0], 1e-9)
    sy = max(g[3] - g[1], 1e-9) / max(b[3] - b[1], 1e-9)
    src_x = np.floor(g[0] + (xs + 0.5 - b[0]) * sx).astype(np.int64)
    src_y = np.floor(g[1] + (ys + 0.5 - b[1]) * sy).astype(np.int64)
    inside = (src_x >= 0) & (src_x < w) & (src_y >= 0) & (src_y < h)
    out = np.zeros((h, w), dtype=bool)
    out[inside] = row.mask[src_y[inside], src_x[inside]]
    return to_rle(out)


def _mask_answer(kind: str, row: QualityRow, box: np.ndarray) -> Answer:
    if kind == "seg_boxes":
        return Answer(boxes=box[None])
    polys = _polygons_for(row, box)
    if polys is not None:
        return Answer(polygons=polys)
    return Answer(rle=_warped_rle(row, box))


def exact_answer(kind: str, row: QualityRow) -> Answer:
    """The ground truth itself, as an answer (the perfect policy).

    Args:
        kind: The answer kind.
        row: The quality row.

    Returns:
        The answer.

    Raises:
        ValueError: an unknown answer kind.
    """
    if kind in ("boxes", "box"):
        return Answer(boxes=row.boxes, labels=row.labels, scores=tuple([1.0] * len(row.boxes)) if kind == "boxes" else None)
    if kind == "points":
        return Answer(points=(row.boxes[:, :2] + row.boxes[:, 2:]) / 2)
    if kind == "mask_points":
        return Answer(points=_interior_point(row)[None])
    if kind in ("seg_boxes", "polygons"):
        return _mask_answer(kind, row, row.boxes[0])
    if kind == "count":
        return Answer(count=row.count)
    if kind == "label":
        return Answer(label=row.label)
    if kind in ("pose", "pose3d"):
        return Answer(keypoints=row.keypoints)
    if kind == "persons":
        return Answer(persons=row.persons)
    raise ValueError(f"Expected an answer kind, but got {kind!r}")


def _interior_point(row: QualityRow) -> np.ndarray:
    """The mask pixel farthest from the background (normalized centre of the pixel)."""
    from scipy import ndimage

    dist = ndimage.distance_transform_edt(row.mask)
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    h, w = row.mask.shape
    return np.array([(x + 0.5) / w, (y + 0.5) / h])


def _wrong_labels(g: np.random.Generator, truth: Sequence[str], vocab: Sequence[str]) -> list[str]:
    """One wrong label per true label (drawn once: common random numbers)."""
    out = []
    picks = g.random(len(truth))
    for t, p in zip(truth, picks):
        others = [v for v in vocab if v != t]
        out.append(others[int(p * len(others))] if others else f"not {t}")
    return out


def _box_ladders(kind: str, priors: Priors) -> list[Ladder]:
    levels = QUALITY_LEVELS
    iou_labels = tuple(f"IoU {q:g}" for q in levels)

    def iou(row: QualityRow, gens: Sequence[np.random.Generator]) -> list[list[Answer]]:
        solved = _noisy_boxes(row, levels, [_box_draws(row, g) for g in gens])
        out = []
        for per_level in solved:
            answers = []
            for b, reached in per_level:
                if kind in ("seg_boxes", "polygons"):
                    answers.append(_mask_answer(kind, row, b[0]))
                elif kind == "points":
                    answers.append(Answer(points=(b[:, :2] + b[:, 2:]) / 2))
                else:
                    answers.append(Answer(boxes=b, labels=row.labels, scores=tuple(np.round(reached, 2)) if kind == "boxes" else None))
            out.append(answers)
        return out

    ladders = [Ladder("iou", "every box at a target IoU with its ground truth (IoU ~ Beta, mean q)", levels, iou_labels, iou, primary=True)]
    if kind not in ("boxes", "points"):
        return ladders
    sizes = priors.extra.get("sizes")
    if sizes is None or not len(sizes):
        sizes = np.array([[0.2, 0.2]])

    def secondary(mode: str) -> Callable[[QualityRow, Sequence[np.random.Generator]], list[list[Answer]]]:
        def gen(row: QualityRow, gens: Sequence[np.random.Generator]) -> list[list[Answer]]:
            draws = [_box_draws(row, g) for g in gens]
            solved = _noisy_boxes(row, (BASE_QUALITY,), draws)
            return [one(row, g, *per_level[0]) for g, per_level in zip(gens, solved)]

        def one(row: QualityRow, g: np.random.Generator, base: np.ndarray, reached: np.ndarray) -> list[Answer]:
            n = len(row.boxes)
            u = g.random(n)
            centre = g.random((n, 2))
            wh = sizes[(g.random(n) * len(sizes)).astype(int)]
            extra_boxes = np.clip(np.concatenate([centre - wh / 2, centre + wh / 2], axis=1), 0, 1)
            extra_labels = [priors.vocab[int(p * len(priors.vocab))] if priors.vocab else None for p in g.random(n)]
            wrong = _wrong_labels(g, list(row.labels or ()), priors.vocab) if row.labels else []
            out = []
            for rate in RATES:
                keep = np.ones(n, dtype=bool)
                labels = list(row.labels) if row.labels else None
                scores = list(np.round(reached, 2))
                if mode == "missing":
                    keep = u >= rate
                elif mode == "label_error" and labels is not None:
                    labels = [w if uu < rate else t for t, w, uu in zip(labels, wrong, u)]
                b = base[keep]
                lab = None if labels is None else [lab for lab, k in zip(labels, keep) if k]
                sc = [s for s, k in zip(scores, keep) if k]
                if mode == "extra":
                    add = u < rate
                    b = np.concatenate([b, extra_boxes[add]])
                    if lab is not None:
                        lab += [extra_labels[i] or lab[0] for i in np.nonzero(add)[0]]
                    sc += [EXTRA_CONFIDENCE] * int(add.sum())
                if kind == "points":
                    out.append(Answer(points=(b[:, :2] + b[:, 2:]) / 2))
                else:
                    out.append(Answer(boxes=b, labels=None if lab is None else tuple(lab), scores=tuple(sc)))
            return out

        return gen

    rate_levels = tuple(1.0 - r for r in RATES)
    ladders.append(Ladder("missing", f"each object left out with probability rate (boxes at IoU {BASE_QUALITY})", rate_levels,
                          tuple(f"missing {r:g}" for r in RATES), secondary("missing")))
    ladders.append(Ladder("extra", f"a spurious object added per object with probability rate (boxes at IoU {BASE_QUALITY})", rate_levels,
                          tuple(f"extra {r:g}" for r in RATES), secondary("extra")))
    if kind == "boxes" and len(priors.vocab) > 1:
        ladders.append(Ladder("label_error", f"each label replaced by another class with probability rate (boxes at IoU {BASE_QUALITY})",
                              rate_levels, tuple(f"label errors {r:g}" for r in RATES), secondary("label_error")))
    return ladders


def _each(fn: Callable[[QualityRow, np.random.Generator], list[Answer]]) -> Callable[[QualityRow, Sequence[np.random.Generator]], list[list[Answer]]]:
    """A ladder generator from a one-completion generator."""

    def gen(row: QualityRow, gens: Sequence[np.random.Generator]) -> list[list[Answer]]:
        return [fn(row, g) for g in gens]

    return gen


def ladders(kind: str, priors: Priors) -> list[Ladder]:
    """The graded honest policies of an answer kind (the primary ladder first).

    Args:
        kind: The answer kind.
        priors: Priors of the training split (wrong-label vocabulary).

    Returns:
        The ladders.
    """
    levels = QUALITY_LEVELS
    if kind in ("boxes", "box", "points", "seg_boxes", "polygons"):
        return _box_ladders(kind, priors)
    if kind in ("pose", "pose3d", "persons"):
        from rewardkit.auditing.pose_ladders import (
            _pose_ladders,  # a leaf module: it builds on this one
        )

        return _pose_ladders(kind, priors)
    if kind == "mask_points":
        def offset(row: QualityRow, g: np.random.Generator) -> list[Answer]:
            ys, xs = np.nonzero(row.mask)
            i = int(g.random() * len(xs))
            h, w = row.mask.shape
            anchor = np.array([(xs[i] + 0.5) / w, (ys[i] + 0.5) / h])
            ang = g.random() * 2 * np.pi
            scale = 0.5 + g.random()
            bw, bh = row.boxes[0, 2:] - row.boxes[0, :2]
            out = []
            for q in levels:
                r = (1 - q) * scale
                p = anchor + r * np.array([np.cos(ang) * bw, np.sin(ang) * bh])
                out.append(Answer(points=np.clip(p, 0, 1 - 1e-6)[None]))
            return out

        return [Ladder("offset", "a mask pixel moved by (1 - q) x the object size in a random direction", levels,
                       tuple(f"offset {1 - q:.2g}" for q in levels), _each(offset), primary=True)]
    if kind == "count":
        def count_error(row: QualityRow, g: np.random.Generator) -> list[Answer]:
            u, sign, mag = g.random(), g.random() < 0.5, 1 + int(g.random() < 0.5)
            wrong = row.count + (mag if sign else -mag)
            if wrong < 0:
                wrong = row.count + mag
            return [Answer(count=wrong if u < 1 - q else row.count) for q in levels]

        offsets = (3, 2, 1, 0)

        def count_offset(row: QualityRow, g: np.random.Generator) -> list[Answer]:
            sign = g.random() < 0.5
            out = []
            for d in offsets:
                c = row.count + (d if sign else -d)
                out.append(Answer(count=c if c >= 0 else row.count + d))
            return out

        return [
            Ladder("count_error", "the count off by 1 or 2 with probability 1 - q", levels, tuple(f"errors {1 - q:.2g}" for q in levels),
                   _each(count_error), primary=True),
            Ladder("count_offset", "every count off by d (random sign)", tuple(-float(d) for d in offsets), tuple(f"off by {d}" for d in offsets),
                   _each(count_offset)),
        ]
    if kind == "label":
        def label_error(row: QualityRow, g: np.random.Generator) -> list[Answer]:
            u = g.random()
            (wrong,) = _wrong_labels(g, [row.label], priors.vocab)
            return [Answer(label=wrong if u < 1 - q else row.label) for q in levels]

        return [Ladder("label_error", "the label replaced by another class with probability 1 - q", levels,
                       tuple(f"errors {1 - q:.2g}" for q in levels), _each(label_error), primary=True)]
    return []
