"""Policies of the quality audit: priors, k-means and the blind policies.

Every policy is deterministic given the seed and writes its answers through
:func:`rewardkit.auditing.answers.format_completion`.

Blind policies see only what a model sees without the image: the prompt and the image
size (a :class:`BlindView`), plus priors computed on the training split
(:class:`Priors`):

* ``empty``: the empty answer (``[]``, an empty answer block);
* ``modal``: the most frequent answer of the training split for this prompt (label,
  count; the global mode for an unseen prompt); box answers carry the modal label of the
  prompt (the most frequent training label among the categories the prompt names);
* ``full_image``: one box covering the image (its centre for point answers);
* ``kmeans_k``: ``k`` prior boxes (``k = 1..10``): the k-means centres of the training
  split's ground-truth boxes, normalized to the image (centre, width, height), with the
  share of boxes in each cluster (over the largest) as confidence; persons: the k-means
  centres of the training persons' normalized keypoints; single poses: the mean pose;
* ``grid_g``: a ``g x g`` grid of boxes tiling the image (``g = 2, 3, 4``);
* ``search`` (:func:`search_policy`): a bounded (1+1) evolution strategy with the 1/5
  success rule over ``k`` prior boxes and their confidences (persons, poses: offset and
  scale of the templates), started from the best prior policy on the training split,
  maximizing the mean reward on the training split; reported on the test split. For
  labels and counts the search is exhaustive: the best constant answer per prompt.

Graded honest policies (:class:`Ladder`) live in :mod:`rewardkit.auditing.ladders`.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rewardkit.auditing.answers import Answer
from rewardkit.auditing.quality_data import QualityRow

__all__ = [
    "BlindView",
    "Priors",
    "BlindPolicy",
    "QUALITY_LEVELS",
    "RATES",
    "build_priors",
    "blind_policies",
    "kmeans",
    "row_rng",
]

QUALITY_LEVELS: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
"""Quality levels of the primary ladders (IoU / OKS targets, 1 - error rate)."""
RATES: tuple[float, ...] = (0.75, 0.5, 0.25, 0.1, 0.0)
"""Rates of the secondary ladders (missing, extra, label errors)."""
BASE_QUALITY = 0.9
"""IoU / OKS target under the secondary ladders."""
CONCENTRATION = 40.0
EXTRA_CONFIDENCE = 0.3
KMEANS_MAX_K = 10
GRIDS = (2, 3, 4)


def _hash(*parts: Any) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode())


def row_rng(seed: int, *parts: Any) -> np.random.Generator:
    """A generator seeded by ``seed`` and a stable hash of ``parts``.

    The hash is not Python's randomized ``hash``, so results do not depend on evaluation
    order.

    Args:
        seed: The run's seed.
        *parts: Values naming the draw (row id, policy...).

    Returns:
        The generator.
    """
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, _hash(*parts)])


# ------------------------------------------------------------------------------- priors


@dataclass(frozen=True)
class BlindView:
    """What a blind policy sees: the prompt and the image size."""

    prompt: str | None
    image_size: tuple[int, int] | None


@dataclass(frozen=True, eq=False)
class Priors:
    """Statistics of the training split (and the class vocabulary of all rows)."""

    boxes: np.ndarray
    labels_by_prompt: dict[str, Counter]
    labels: Counter
    vocab: tuple[str, ...]
    counts_by_prompt: dict[str, Counter]
    counts: Counter
    poses: np.ndarray | None = None
    pose_mean: np.ndarray | None = None
    persons: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def modal_label(self, prompt: str | None) -> str | None:
        if prompt is not None and prompt in self.labels_by_prompt:
            return self.labels_by_prompt[prompt].most_common(1)[0][0]
        if prompt:
            low = prompt.lower()
            named = [(n, lab) for lab, n in self.labels.items() if lab and lab.lower() in low]
            if named:
                return max(named, key=lambda t: (t[0], -len(t[1])))[1]
        return self.labels.most_common(1)[0][0] if self.labels else None

    def modal_count(self, prompt: str | None) -> int | None:
        if prompt is not None and prompt in self.counts_by_prompt:
            return _mode(self.counts_by_prompt[prompt])
        return _mode(self.counts) if self.counts else None


def _mode(c: Counter) -> Any:
    """Most frequent value; ties go to the smallest value (deterministic)."""
    best = max(c.values())
    return min(v for v, n in c.items() if n == best)


def _norm_pose(kp: np.ndarray, size: tuple[int, int] | None, dims: int) -> np.ndarray:
    xy = kp[:, :dims].copy()
    if dims == 2 and size is not None:
        xy /= np.array(size, dtype=np.float64)
    xy[kp[:, dims] <= 0] = np.nan
    return xy


def _root(xyz: np.ndarray) -> np.ndarray:
    k = xyz.shape[0]
    if k == 17 and np.all(np.isfinite(xyz[[11, 12]])):
        return xyz[[11, 12]].mean(axis=0)
    return np.nanmean(xyz, axis=0)


def build_priors(kind: str, train: Sequence[QualityRow], everything: Sequence[QualityRow]) -> Priors:
    """Priors of the blind policies, from the training split only.

    The vocabulary of wrong labels of the graded policies comes from every row: it is
    the class set.

    Args:
        kind: The answer kind.
        train: The training split.
        everything: Every row (the class vocabulary).

    Returns:
        The priors.
    """
    boxes = [r.boxes for r in train if r.boxes is not None and len(r.boxes)]
    all_boxes = np.concatenate(boxes) if boxes else np.zeros((0, 4))
    labels_by_prompt: dict[str, Counter] = {}
    labels: Counter = Counter()
    counts_by_prompt: dict[str, Counter] = {}
    counts: Counter = Counter()
    for r in train:
        labs = list(r.labels or ()) if r.label is None else [r.label]
        if labs:
            labels.update(labs)
            labels_by_prompt.setdefault(r.prompt or "", Counter()).update(labs)
        if r.count is not None:
            counts[r.count] += 1
            counts_by_prompt.setdefault(r.prompt or "", Counter())[r.count] += 1
    vocab = sorted({lab for r in everything for lab in ((r.labels or ()) if r.label is None else (r.label,))})
    poses = pose_mean = persons = None
    if kind in ("pose", "pose3d"):
        dims = 3 if kind == "pose3d" else 2
        ps = np.array([_norm_pose(r.keypoints, r.image_size, dims) for r in train if r.keypoints is not None])
        if kind == "pose3d":
            ps = np.array([p - _root(p) for p in ps])
        poses = ps
        pose_mean = _impute(_nanmean(ps, axis=0)) if len(ps) else None
    if kind == "persons":
        pp = [_norm_pose(p, r.image_size, 2) for r in train for p in r.persons]
        if pp:
            arr = np.array(pp)
            mean = _impute(_nanmean(arr - _nanmean(arr, axis=1, keepdims=True), axis=0))
            persons = np.array([_fill(p, mean) for p in arr])
    sizes = all_boxes[:, 2:] - all_boxes[:, :2] if len(all_boxes) else np.zeros((0, 2))
    return Priors(all_boxes, labels_by_prompt, labels, tuple(vocab), counts_by_prompt, counts, poses, pose_mean, persons,
                  {"sizes": sizes})


def _nanmean(x: np.ndarray, **kw: Any) -> np.ndarray:
    """``np.nanmean`` without the warning on all-NaN slices (they stay NaN)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(x, **kw)


def _impute(mean: np.ndarray) -> np.ndarray:
    """Joints never labelled in the training split: the mean of the labelled ones."""
    out = mean.copy()
    bad = ~np.all(np.isfinite(out), axis=1)
    if bad.all():
        return np.zeros_like(out)
    out[bad] = _nanmean(out[~bad], axis=0)
    return out


def _fill(p: np.ndarray, mean_shape: np.ndarray) -> np.ndarray:
    """A person's missing joints from the mean shape placed at the person's centroid."""
    out = p.copy()
    bad = ~np.all(np.isfinite(out), axis=1)
    if bad.any():
        out[bad] = mean_shape[bad] + _nanmean(p, axis=0)
    return out


# ------------------------------------------------------------------------------ k-means


def kmeans(x: np.ndarray, k: int, seed: int = 0, iterations: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Centres and cluster sizes of ``k``-means on the rows of ``x``.

    k-means++ seeding, Lloyd iterations, sorted by size (largest first). Deterministic
    for a seed.

    Args:
        x: ``N x D`` points.
        k: Clusters (at most ``N``).
        seed: Seed of the k-means++ seeding.
        iterations: Most Lloyd iterations.

    Returns:
        ``(centres, sizes)``.

    Raises:
        ValueError: no points.
    """
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    if n == 0:
        raise ValueError("Expected at least one point, but got none")
    k = min(k, n)
    rng = np.random.default_rng(seed)
    centres = [x[rng.integers(n)]]
    for _ in range(1, k):
        d2 = np.min(((x[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1)
        total = d2.sum()
        centres.append(x[rng.choice(n, p=d2 / total)] if total > 0 else x[rng.integers(n)])
    c = np.array(centres)
    assign = np.zeros(n, dtype=np.int64)
    for _ in range(iterations):
        assign = ((x[:, None, :] - c[None]) ** 2).sum(-1).argmin(axis=1)
        new = np.array([x[assign == j].mean(axis=0) if np.any(assign == j) else c[j] for j in range(k)])
        if np.allclose(new, c):
            break
        c = new
    sizes = np.bincount(assign, minlength=k)
    order = np.lexsort((np.arange(k), -sizes))
    return c[order], sizes[order]


def _cxcywh(xyxy: np.ndarray) -> np.ndarray:
    return np.concatenate([(xyxy[:, :2] + xyxy[:, 2:]) / 2, xyxy[:, 2:] - xyxy[:, :2]], axis=1)


def _xyxy(c: np.ndarray) -> np.ndarray:
    c = np.asarray(c, dtype=np.float64).reshape(-1, 4)
    out = np.concatenate([c[:, :2] - c[:, 2:] / 2, c[:, :2] + c[:, 2:] / 2], axis=1)
    out = np.clip(out, 0.0, 1.0)
    out[:, 2] = np.maximum(out[:, 2], np.minimum(out[:, 0] + 1e-3, 1.0))
    out[:, 3] = np.maximum(out[:, 3], np.minimum(out[:, 1] + 1e-3, 1.0))
    return out


# ------------------------------------------------------------------------------- blind


@dataclass(frozen=True)
class BlindPolicy:
    """A blind policy: ``answer(view)`` builds its answer from the prompt and image size.

    ``boxes``/``scores`` (normalized ``xyxy``) or ``template`` are the parameters a search
    can start from.
    """

    name: str
    description: str
    answer: Callable[[BlindView], Answer]
    boxes: np.ndarray | None = None
    scores: np.ndarray | None = None
    template: np.ndarray | None = None


def boxes_answer(kind: str, boxes: np.ndarray, scores: np.ndarray | None, label: str | None) -> Answer:
    """An answer of ``boxes`` for a box-like kind (points: their centres).

    Args:
        kind: The answer kind.
        boxes: ``N x 4`` normalized xyxy boxes.
        scores: ``N`` confidences, or None.
        label: The label of every box, or None.

    Returns:
        The answer.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if kind in ("points", "mask_points"):
        return Answer(points=(boxes[:, :2] + boxes[:, 2:]) / 2)
    if kind in ("boxes", "box"):
        labels = None if label is None else tuple([label] * len(boxes))
        sc = None if scores is None else tuple(float(s) for s in scores)
        return Answer(boxes=boxes, labels=labels, scores=sc)
    return Answer(boxes=boxes)


def template_answer(kind: str, template: np.ndarray, view: BlindView) -> Answer:
    """Pose / person templates (normalized to the image; 3-D: root-relative) as an answer.

    Args:
        kind: ``pose``, ``pose3d`` or ``persons``.
        template: The template keypoints.
        view: What the blind policy sees (the image size scales the template).

    Returns:
        The answer.
    """
    size = np.array(view.image_size if view.image_size is not None else (1, 1), dtype=np.float64)
    if kind == "pose3d":
        kp = np.concatenate([template, np.full((len(template), 1), 2.0)], axis=1)
        return Answer(keypoints=kp)
    if kind == "pose":
        kp = np.concatenate([template * size, np.full((len(template), 1), 2.0)], axis=1)
        return Answer(keypoints=kp)
    persons = tuple(np.concatenate([t * size, np.full((len(t), 1), 2.0)], axis=1) for t in template)
    return Answer(persons=persons)


BOX_KINDS = ("boxes", "box", "points", "mask_points", "seg_boxes", "polygons")


def blind_policies(kind: str, priors: Priors, seed: int) -> list[BlindPolicy]:
    """The blind policies of an answer kind (see the module docstring).

    Args:
        kind: The answer kind.
        priors: Priors of the training split.
        seed: The run's seed.

    Returns:
        The policies.
    """
    out: list[BlindPolicy] = [BlindPolicy("empty", "the empty answer", lambda v: Answer())]
    if kind == "count":
        out.append(BlindPolicy("modal", "the training split's most frequent count for the prompt (global mode for an unseen prompt)",
                               lambda v: Answer(count=priors.modal_count(v.prompt))))
        if priors.counts:
            g = _mode(priors.counts)
            out.append(BlindPolicy("modal_global", f"the most frequent count of the training split ({g})", lambda v: Answer(count=g)))
        return out
    if kind == "label":
        out.append(BlindPolicy("modal", "the training split's most frequent label for the prompt",
                               lambda v: Answer(label=priors.modal_label(v.prompt))))
        if priors.labels:
            g = priors.labels.most_common(1)[0][0]
            top = ", ".join(lab for lab, _ in priors.labels.most_common(5))
            out.append(BlindPolicy("modal_global", f"the most frequent label of the training split ({g!r})", lambda v: Answer(label=g)))
            out.append(BlindPolicy("top5_list", "the five most frequent training labels, comma-separated (a hedge)", lambda v: Answer(label=top)))
        return out
    if kind in BOX_KINDS:
        labelled = kind in ("boxes", "box")

        def make(name: str, desc: str, boxes: np.ndarray, scores: np.ndarray | None) -> BlindPolicy:
            sc = scores if kind == "boxes" else None
            return BlindPolicy(name, desc, lambda v: boxes_answer(kind, boxes, sc, priors.modal_label(v.prompt) if labelled else None), boxes, sc)

        out.append(make("full_image", "one box covering the whole image", np.array([[0.0, 0.0, 1.0, 1.0]]), np.array([1.0])))
        if len(priors.boxes):
            x = _cxcywh(priors.boxes)
            seen = set()
            for k in range(1, KMEANS_MAX_K + 1):
                if k > len(x):
                    break
                c, n = kmeans(x, k, seed)
                if len(c) in seen:
                    break
                seen.add(len(c))
                out.append(make(f"kmeans_{k}", f"{k} prior box{'es' if k > 1 else ''} (k-means of the training boxes)",
                                _xyxy(c), np.round(n / n.max(), 2)))
        for g in GRIDS:
            edges = np.linspace(0, 1, g + 1)
            cells = np.array([[edges[i], edges[j], edges[i + 1], edges[j + 1]] for j in range(g) for i in range(g)])
            out.append(make(f"grid_{g}", f"a {g} x {g} grid of boxes tiling the image", cells, np.ones(len(cells))))
        return out
    if kind in ("pose", "pose3d") and priors.pose_mean is not None:
        t = priors.pose_mean
        out.append(BlindPolicy("mean_pose", "the mean training pose" + (" (root-relative)" if kind == "pose3d" else " (normalized to the image)"),
                               lambda v: template_answer(kind, t, v), template=t[None]))
        return out
    if kind == "persons" and priors.persons is not None and len(priors.persons):
        flat = priors.persons.reshape(len(priors.persons), -1)
        seen = set()
        for k in range(1, KMEANS_MAX_K + 1):
            if k > len(flat):
                break
            c, _ = kmeans(flat, k, seed)
            if len(c) in seen:
                break
            seen.add(len(c))
            t = c.reshape(len(c), -1, 2)
            out.append(BlindPolicy(f"kmeans_{k}", f"{k} prior person{'s' if k > 1 else ''} (k-means of the training persons)",
                                   lambda v, t=t: template_answer(kind, t, v), template=t))
    return out


# ------------------------------------------------------------------------------ graded


_MOVED = ("Ladder", "ladders", "exact_answer", "box_at_iou", "box_iou_rows")


def __getattr__(name: str) -> object:
    """Old import paths of the names that moved to :mod:`rewardkit.auditing.ladders` keep working."""
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module("rewardkit.auditing.ladders"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
