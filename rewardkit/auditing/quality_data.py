"""Datasets of the quality audit: rows, their reading per reward, splits.

A row (one JSON object per line of a ``.jsonl`` file)::

    {"ground_truth": ..., "image_size": [w, h], "prompt": "...",
     "split": "train" | "test",      # optional: a seeded half/half split otherwise
     "task": "detection", "id": "..."}  # optional

``ground_truth`` is what the reward receives in training (any form its reader accepts);
``image_size`` is the original image's ``(width, height)`` (needed for box frames other
than ``norm1000``/``norm1``, and for the blind priors). A file may hold rows of several
tasks (the default dataset does): rows with a ``task`` field are used only for rewards
whose data task matches (:func:`data_task`).

The default dataset (``rewardkit/auditing/data/quality_default.jsonl``, built by
``scripts/build_quality_data.py`` from COCO 2014 val, LVIS v1 val and COCO 2017 person
keypoints; see ``data/README.md``) ships in the package, so ``rewardkit audit --quality``
works on an installed wheel.

Each row is read once per reward into a :class:`QualityRow`: the ground truth in the
structured form the policies need (boxes normalized to ``[0, 1]``, labels, a count, a
label, keypoints, persons, a mask), read by the same parsing-layer readers the rewards use.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "QualityRow",
    "DEFAULT_DATA",
    "load_rows",
    "kind_of",
    "data_task",
    "read_rows",
    "split_rows",
    "KINDS",
]

DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "quality_default.jsonl"
MAX_ROWS_READ = 1_000_000
"""At most this many rows are read from a file."""

KINDS: dict[str, str] = {
    "boxes": "detection",
    "box": "grounding",
    "points": "detection",
    "mask_points": "segmentation",
    "seg_boxes": "segmentation",
    "polygons": "segmentation",
    "count": "counting",
    "label": "classification",
    "pose": "pose",
    "pose3d": "pose3d",
    "persons": "multi_pose",
}
"""Answer kinds the policies produce, and the data task (default dataset) of each."""


def kind_of(spec: Any, params: Mapping[str, Any] | None = None) -> str | None:
    """The answer kind of a registered reward (``None``: no policies for its task).

    Follows the task and the tags: detection and format rewards answer boxes, grounding
    one box, ``point`` rewards points (on masks when tagged ``segmentation``), Seg-R1
    style rewards (``pred_frame="seg_r1"``) segmenter box prompts, other segmentation
    rewards polygons, pose rewards keypoints (3-D when tagged ``3d``), multi-person pose
    lists of persons.

    Args:
        spec: The reward's spec.
        params: The parameters the reward is bound to.

    Returns:
        The answer kind, or None.
    """
    params = dict(params or {})
    task = spec.task
    if task in ("detection", "format"):
        return "boxes"
    if task == "grounding":
        return "box"
    if task == "point":
        return "mask_points" if "segmentation" in spec.tags else "points"
    if task == "counting":
        return "count"
    if task == "classification":
        return "label"
    if task == "segmentation":
        frame = params.get("pred_frame", spec.params.get("pred_frame"))
        return "seg_boxes" if frame == "seg_r1" else "polygons"
    if task == "pose":
        return "pose3d" if "3d" in spec.tags else "pose"
    if task == "multi_pose":
        return "persons"
    return None


def data_task(kind: str) -> str:
    """The ``task`` of the default dataset's rows a kind reads.

    Args:
        kind: The answer kind.

    Returns:
        The task name.
    """
    return KINDS[kind]


def load_rows(path: str | Path | None = None) -> list[dict[str, Any]]:
    """Rows of a JSONL file (the default dataset when ``path`` is None).

    Args:
        path: The JSONL file, or None.

    Returns:
        The rows.

    Raises:
        ValueError: no such file, an empty file, or a line that is not a JSON object
            with a ``ground_truth`` key (the message names the line).
    """
    p = DEFAULT_DATA if path is None else Path(path)
    if not p.is_file():
        raise ValueError(f"Expected a JSONL file of rows, but got {str(p)!r} (no such file)")
    rows: list[dict[str, Any]] = []
    with p.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            if len(rows) >= MAX_ROWS_READ:
                break
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"Expected one JSON object per line, but line {n} of {p.name} is not JSON ({exc.msg})") from None
            if not isinstance(row, dict) or "ground_truth" not in row:
                raise ValueError(f"Expected rows with a 'ground_truth' key, but line {n} of {p.name} has keys {sorted(row) if isinstance(row, dict) else type(row).__name__}")
            row.setdefault("id", f"{p.stem}:{n}")
            rows.append(row)
    if not rows:
        raise ValueError(f"Expected at least one row, but {p.name} is empty")
    return rows


@dataclass(frozen=True, eq=False)
class QualityRow:
    """One sample read for one reward: the raw row plus the structured ground truth.

    ``boxes``: ``N x 4`` xyxy normalized to the image (``[0, 1]``); ``labels``: one per
    box or None; ``count``/``label``: textual answers; ``keypoints``: ``K x 3`` pixels and
    visibility (``K x 4`` with z for 3-D); ``persons``: tuple of ``K x 3``; ``mask``: bool
    ``H x W``; ``polygons``: the ground-truth polygons in pixels when the ground truth holds
    polygons (the honest answer of polygon rewards).
    """

    id: str
    split: str
    ground_truth: Any
    prompt: str | None
    image_size: tuple[int, int] | None
    boxes: np.ndarray | None = None
    labels: tuple[str, ...] | None = None
    count: int | None = None
    label: str | None = None
    keypoints: np.ndarray | None = None
    area: float | None = None
    persons: tuple[np.ndarray, ...] = ()
    mask: np.ndarray | None = None
    polygons: tuple[tuple[float, ...], ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _size(row: Mapping[str, Any]) -> tuple[int, int] | None:
    raw = row.get("image_size")
    if raw is None and isinstance(row.get("ground_truth"), Mapping):
        raw = row["ground_truth"].get("image_size")
    if raw is None:
        return None
    from rewardkit.types import as_image_size

    w, h = as_image_size(raw)
    return int(w), int(h)


def _read_one(kind: str, row: Mapping[str, Any], params: Mapping[str, Any], split: str) -> QualityRow:
    gt = row["ground_truth"]
    size = _size(row)
    prompt = row.get("prompt")
    base = {"id": str(row.get("id")), "split": split, "ground_truth": gt, "prompt": prompt if isinstance(prompt, str) else None, "image_size": size}
    if kind in ("boxes", "box", "points"):
        from rewardkit.parsing.frames import convert_boxes
        from rewardkit.parsing.ground_truth import read_box_target

        target = read_box_target(gt, image_size=size)
        frame = target.frame or params.get("gt_frame", "norm1000")
        size = size or (tuple(int(v) for v in target.image_size) if target.image_size is not None else None)
        xyxy = convert_boxes(target.boxes.xyxy, frame, "norm1", size) if len(target.boxes) else np.zeros((0, 4))
        if kind == "box" and len(xyxy) != 1:
            raise ValueError(f"Expected one ground-truth box for grounding, but got {len(xyxy)}")
        labels = tuple(str(v) for v in target.boxes.labels) if target.boxes.labels is not None else None
        return QualityRow(**{**base, "image_size": size}, boxes=np.clip(xyxy, 0.0, 1.0), labels=labels)
    if kind == "count":
        from rewardkit.parsing.ground_truth import read_text_target

        text = read_text_target(gt)
        n = float(text)
        if not (n == int(n) and n >= 0):
            raise ValueError(f"Expected a whole non-negative count, but got {text!r}")
        return QualityRow(**base, count=int(n))
    if kind == "label":
        from rewardkit.parsing.ground_truth import read_text_target

        return QualityRow(**base, label=read_text_target(gt))
    if kind in ("mask_points", "seg_boxes", "polygons"):
        from rewardkit.rewards.segmentation import read_seg_target

        target = read_seg_target(gt, image_size=size)
        mask = np.asarray(target.mask.data, dtype=bool)
        h, w = mask.shape
        polys = None
        seg = gt.get("segmentation") if isinstance(gt, Mapping) else None
        if isinstance(seg, Sequence) and seg and all(isinstance(p, Sequence) and len(p) >= 6 for p in seg):
            polys = tuple(tuple(float(v) for v in p) for p in seg)
        ys, xs = np.nonzero(mask)
        if len(xs) == 0:
            raise ValueError("Expected a non-empty ground-truth mask")
        box = np.array([[xs.min() / w, ys.min() / h, (xs.max() + 1) / w, (ys.max() + 1) / h]])
        return QualityRow(**{**base, "image_size": (w, h)}, boxes=box, mask=mask, polygons=polys)
    if kind in ("pose", "pose3d"):
        from rewardkit.rewards.pose import read_pose_target

        dims = 3 if kind == "pose3d" else 2
        target = read_pose_target(gt, dims=dims)
        kp = np.concatenate([target.coords, target.visibility[:, None].astype(np.float64)], axis=1)
        if (target.visibility > 0).sum() < 2:
            raise ValueError("Expected at least two labelled keypoints")
        area = target.area
        if area is None and target.bbox is not None:
            area = float(target.bbox[2] * target.bbox[3])
        if area is None:
            lab = target.coords[target.visibility > 0]
            ext = lab.max(axis=0) - lab.min(axis=0)
            area = float(np.prod(ext[:2]))
        return QualityRow(**base, keypoints=kp, area=max(float(area), 1.0))
    if kind == "persons":
        from rewardkit.rewards.pose import read_multi_pose_target

        target = read_multi_pose_target(gt)
        keep = target.persons
        persons = tuple(np.array(target.keypoints[i], dtype=np.float64) for i in range(target.m) if keep[i])
        areas = tuple(float(target.areas[i]) for i in range(target.m) if keep[i])
        return QualityRow(**base, persons=persons, extra={"areas": areas})
    raise ValueError(f"Expected an answer kind among {sorted(KINDS)}, but got {kind!r}")


def read_rows(rows: Iterable[Mapping[str, Any]], kind: str, params: Mapping[str, Any] | None = None, *, seed: int = 0) -> tuple[list[QualityRow], list[tuple[str, str]]]:
    """Read the rows that suit ``kind``.

    Rows with a ``task`` field are kept only when it is the kind's data task; rows without
    a ``split`` get one from a seeded half/half split (stable for a given seed and id).

    Args:
        rows: The raw rows.
        kind: The answer kind.
        params: The parameters the reward is bound to (its frame).
        seed: Seed of the split of rows without one.

    Returns:
        ``(rows, skipped)`` where ``skipped`` lists ``(id, reason)`` of rows whose
        ground truth could not be read for it.
    """
    params = dict(params or {})
    want = data_task(kind)
    out: list[QualityRow] = []
    skipped: list[tuple[str, str]] = []
    for row in rows:
        if "task" in row and row["task"] != want:
            continue
        split = row.get("split")
        if split not in ("train", "test"):
            split = _seeded_split(str(row.get("id")), seed)
        try:
            out.append(_read_one(kind, row, params, split))
        except (ValueError, TypeError, KeyError) as exc:  # BadGroundTruth is a ValueError
            skipped.append((str(row.get("id")), f"{type(exc).__name__}: {str(exc)[:120]}"))
    return out, skipped


def _seeded_split(key: str, seed: int) -> str:
    import zlib

    return "train" if zlib.crc32(f"{seed}:{key}".encode()) % 2 == 0 else "test"


def split_rows(rows: Sequence[QualityRow], max_rows: int | None, seed: int) -> tuple[list[QualityRow], list[QualityRow]]:
    """``(train, test)``, each at most ``max_rows`` rows (a seeded choice, file order kept).

    When one split is empty, the rows are dealt alternately into both (a dataset of test
    rows only still gets a training split for the priors).

    Args:
        rows: The quality rows.
        max_rows: Most rows per split, or None for all.
        seed: Seed of the choice.

    Returns:
        ``(train, test)``.
    """
    train = [r for r in rows if r.split == "train"]
    test = [r for r in rows if r.split == "test"]
    if not train or not test:
        both = list(rows)
        train, test = both[0::2], both[1::2]
    rng = np.random.default_rng(seed)

    def cap(rs: list[QualityRow]) -> list[QualityRow]:
        if max_rows is None or len(rs) <= max_rows:
            return rs
        keep = np.sort(rng.choice(len(rs), size=max_rows, replace=False))
        return [rs[i] for i in keep]

    return cap(train), cap(test)
