"""From model completions to a COCO results list (the input of COCO / LVIS evaluation).

A vision-language model answers in text. To evaluate it with :func:`coco_evaluate`,
every predicted box needs an image id, a category id, an ``xywh`` box in pixels of the
original image and a score. :func:`completions_to_results` builds them from rows of
completions, in either layout used by the public evaluators:

- one row per (image, category): the prompt asked for one category ("detect every
  cat"), the row carries ``category_id`` (or ``category``, a name); every box of the
  answer belongs to it;
- one row per image with labelled boxes (``{"bbox_2d": [...], "label": "cat"}``): each
  label is mapped to a category id with the same normalization as classification
  (:func:`rewardkit.parsing.labels.normalize_label`, plus the categories' ``synonyms``
  and an optional synonym table). Boxes with an unknown label are dropped and counted.

Coordinates are read with :func:`rewardkit.parsing.boxes.parse_boxes` in the declared
``frame`` (``norm1000``, ``norm1``, ``pixel``, ``qwen25vl``, ``seg_r1``) and converted to
pixels of the original image (``image_size`` per row, or ``width`` / ``height``).

Score policy (the AP of a ranked list depends on it):

``"model"`` (default)
    the model's own confidence when the box has one (Visual-RFT's ``Confidence``, a
    ``score`` / ``confidence`` field), else ``constant_score``; ``stats["n_constant"]``
    counts the fallbacks.
``"constant"``
    every box gets ``constant_score``. pycocotools then orders the detections of a
    category by image order and, inside an image, by results-file order: the AP depends
    on the order of the rows. The public VLM evaluators (which give every box 1.0 or
    0.99) silently report such numbers; rewardkit makes the choice explicit.
``"rank"``
    the k-th box of an answer (k = 0, 1, ...) gets ``1 / (k + 1)``: the model's own
    listing order ranks its boxes; ties across images are again broken by image order.

>>> cats = [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]
>>> rows = [{"image_id": 7, "width": 200, "height": 100,
...          "completion": '<answer>[{"bbox_2d": [0, 0, 500, 500], "label": "Cat"}]</answer>'}]
>>> res, stats = completions_to_results(rows, cats, frame="norm1000")
>>> res
[{'image_id': 7, 'category_id': 1, 'bbox': [0.0, 0.0, 100.0, 50.0], 'score': 1.0}]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np

__all__ = ["completions_to_results", "category_lookup", "ScorePolicy"]

ScorePolicy = Literal["model", "constant", "rank"]


def category_lookup(
    categories: Sequence[Mapping[str, Any]], synonyms: Mapping[str, Iterable[str]] | None = None
) -> dict[str, Any]:
    """Normalized name (and synonyms) -> category id.

    Args:
        categories: the ground truth's ``categories`` (``id``, ``name``, optional
            ``synonyms``).
        synonyms: an optional table ``{canonical name: [other names]}``; a canonical name
            that is no category is skipped.

    Returns:
        ``{normalized name: category id}``; the first category wins a shared name.
    """
    from rewardkit.parsing.labels import normalize_label

    table: dict[str, Any] = {}
    for c in categories:
        table.setdefault(normalize_label(c["name"]), c["id"])
    for c in categories:
        for s in c.get("synonyms", []) or []:
            table.setdefault(normalize_label(s), c["id"])
    if synonyms:
        for canonical, others in synonyms.items():
            cid = table.get(normalize_label(canonical))
            if cid is None:
                continue
            for o in others:
                table.setdefault(normalize_label(o), cid)
    return table


def _row_size(row: Mapping[str, Any], image_sizes: Mapping[Any, Any] | None) -> Any:
    if row.get("image_size") is not None:
        return row["image_size"]
    if row.get("width") is not None and row.get("height") is not None:
        return (row["width"], row["height"])
    if image_sizes is not None:
        return image_sizes.get(row["image_id"])
    return None


def completions_to_results(
    rows: Iterable[Mapping[str, Any]],
    categories: Sequence[Mapping[str, Any]],
    *,
    frame: str | None = None,
    score_policy: ScorePolicy = "model",
    constant_score: float = 1.0,
    image_sizes: Mapping[Any, Any] | None = None,
    synonyms: Mapping[str, Iterable[str]] | None = None,
    clip: bool = False,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    answer: str = "auto",
    dialect: str = "visual_rft",
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """COCO results (pixel ``xywh``) from completion rows; returns ``(results, stats)``.

    Args:
        rows: mappings with ``image_id``, ``completion`` (text or chat messages), and
            optionally ``category_id`` / ``category``, ``image_size`` or ``width`` and
            ``height``, ``prompt`` (stripped when echoed) and ``frame`` (overrides ``frame``).
        categories: the ground truth's ``categories`` (``id``, ``name``, optional ``synonyms``).
        frame: coordinate frame of the predicted boxes (``None``: the dialect's frame,
            ``norm1000`` for the default ``visual_rft`` reading).
        answer: answer mode (``"auto"``: the answer block, or the bare completion
            without think blocks when it has none; ``"tags"``; ``"whole"``).
        dialect: the model's output grammar (:mod:`rewardkit.parsing.dialects`).
        score_policy: ``"model"``, ``"constant"`` or ``"rank"`` (see the module docstring).
        constant_score: the score of a box under ``"constant"``, and of a box without
            its own confidence under ``"model"``.
        image_sizes: ``image_id -> (width, height)`` for rows without a size (e.g. from
            the ground truth's ``images``).
        synonyms: an optional synonym table ``{canonical name: [other names]}`` added to
            the categories' own ``synonyms`` (:func:`category_lookup`).
        clip: clip boxes to the image.
        min_pixels: lower pixel bound of the model's image resize (``qwen25vl`` frame).
        max_pixels: upper pixel bound of the model's image resize (``qwen25vl`` frame).

    Returns:
        ``(results, stats)``: the COCO results list and ``stats``: ``n_rows``,
        ``n_boxes``, ``n_unreadable`` (no answer / unparseable rows, by reason in
        ``reasons``), ``n_unknown_label``, ``n_unlabelled`` (boxes without label in a row
        without category), ``n_constant`` (boxes scored with the constant), ``frame``,
        ``score_policy``.

    Raises:
        ValueError: an unknown ``score_policy``, a points-only ``dialect``, a row without
            ``image_id`` or with an unknown category, or ``clip=True`` without an image
            size.
    """
    from rewardkit.parsing.dialects import get_dialect
    from rewardkit.parsing.frames import check_frame, convert_boxes
    from rewardkit.parsing.labels import normalize_label
    from rewardkit.parsing.reading import Reading, extract_answer_text

    if score_policy not in ("model", "constant", "rank"):
        raise ValueError(f"Expected `score_policy` in ('model', 'constant', 'rank'), but got {score_policy!r}")
    reading = Reading(answer=answer, dialect=dialect, pred_frame=None if frame is None else check_frame(frame), min_pixels=min_pixels, max_pixels=max_pixels)
    read_boxes = get_dialect(reading.dialect).read_boxes
    if read_boxes is None:
        raise ValueError(f"Expected a dialect that writes boxes, but dialect {dialect!r} writes points only")
    frame = reading.frame
    lookup = category_lookup(categories, synonyms)
    valid_ids = {c["id"] for c in categories}
    resize_kw = reading.resize_kw
    out: list[dict[str, Any]] = []
    stats: dict[str, Any] = {
        "n_rows": 0, "n_boxes": 0, "n_unreadable": 0, "n_unknown_label": 0, "n_unlabelled": 0,
        "n_constant": 0, "reasons": {}, "unknown_labels": {}, "frame": frame, "score_policy": score_policy,
        "answer": reading.answer, "dialect": reading.dialect,
    }  # fmt: skip
    for row in rows:
        stats["n_rows"] += 1
        if "image_id" not in row:
            raise ValueError(f"Expected an 'image_id' in every row, but got keys {sorted(row)}")
        row_cat = row.get("category_id")
        if row_cat is None and row.get("category") is not None:
            row_cat = lookup.get(normalize_label(str(row["category"])))
            if row_cat is None:
                raise ValueError(f"Unknown category {row['category']!r} in row for image {row['image_id']}")
        if row_cat is not None and row_cat not in valid_ids:
            raise ValueError(f"Unknown category id {row_cat!r} in row for image {row['image_id']}")
        ans = extract_answer_text(row.get("completion", ""), row.get("prompt"), reading.answer)
        if ans.text is None:
            stats["n_unreadable"] += 1
            stats["reasons"][ans.reason or "no_answer"] = stats["reasons"].get(ans.reason or "no_answer", 0) + 1
            continue
        parsed = read_boxes(ans.text)
        if not parsed.ok:
            if parsed.reason != "no_boxes":
                stats["n_unreadable"] += 1
            stats["reasons"][parsed.reason] = stats["reasons"].get(parsed.reason, 0) + 1
            continue
        boxes = parsed.value
        if len(boxes) == 0:
            continue
        row_frame = row.get("frame", frame)
        size = _row_size(row, image_sizes)
        xyxy = convert_boxes(boxes.xyxy, row_frame, "pixel", size, **resize_kw) if row_frame != "pixel" else boxes.xyxy
        if clip:
            if size is None:
                raise ValueError("clip=True needs the image size")
            from rewardkit.types import as_image_size

            w, h = as_image_size(size)
            xyxy = np.clip(xyxy, 0, [w, h, w, h])
        for k in range(len(boxes)):
            cid = row_cat
            if cid is None:
                label = boxes.labels[k] if boxes.labels is not None else None
                if label is None:
                    stats["n_unlabelled"] += 1
                    continue
                cid = lookup.get(normalize_label(label))
                if cid is None:
                    stats["n_unknown_label"] += 1
                    stats["unknown_labels"][label] = stats["unknown_labels"].get(label, 0) + 1
                    continue
            conf = float(boxes.scores[k]) if boxes.scores is not None else float("nan")
            if score_policy == "model" and np.isfinite(conf):
                score = conf
            elif score_policy == "rank":
                score = 1.0 / (k + 1)
            else:
                score = float(constant_score)
                stats["n_constant"] += 1
            x1, y1, x2, y2 = (float(v) for v in xyxy[k])
            out.append({"image_id": row["image_id"], "category_id": cid, "bbox": [x1, y1, x2 - x1, y2 - y1], "score": score})
            stats["n_boxes"] += 1
    return out, stats
