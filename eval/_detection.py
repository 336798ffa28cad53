"""Shared pieces of the detection protocols (few-shot COCO, open-vocabulary COCO, LVIS rare).

Training rows and evaluation rows are plain dicts (JSONL-friendly):

* training row: ``{"image": file name, "image_id", "image_size": [w, h], "category",
  "category_id", "boxes": [[x1, y1, x2, y2], ...] (norm1000 integers), "prompt",
  "solution"}``; ``solution`` is the Visual-RFT answer string of the boxes.
* evaluation row: the same without ``boxes`` / ``solution`` (one per image and category).

A predictions file is JSONL with one line per evaluation row: ``{"image_id",
"category_id" (or "category"), "completion"}``. :func:`coco_results` turns the
completions into a COCO results list (boxes read by :mod:`rewardkit.parsing`, converted
from the prediction frame to pixel ``xywh``; the score is the box's confidence, or
``default_score`` when the answer gives none).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rewardkit.eval.prompts import detection_prompt

from rewardkit.io import read_json, read_jsonl

__all__ = [
    "load_json",
    "read_jsonl",
    "write_jsonl",
    "resolve_categories",
    "boxes_norm1000",
    "solution_string",
    "few_shot_rows",
    "eval_rows",
    "coco_results",
]


def load_json(path_or_dict: Any) -> dict[str, Any]:
    """An annotation dict, or the JSON file it is in (:func:`rewardkit.io.read_json`).

    Args:
        path_or_dict: A dict, or the path of a JSON file.

    Returns:
        The annotation dict (a copy of a dict).
    """
    if isinstance(path_or_dict, Mapping):
        return dict(path_or_dict)
    return read_json(path_or_dict, "annotations")


def write_jsonl(rows: Iterable[Mapping[str, Any]], path: str) -> str:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    return path


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", " ").replace("-", " ")


def resolve_categories(dataset: Mapping[str, Any], categories: Iterable[Any]) -> list[dict[str, Any]]:
    """Categories of ``dataset`` named by id, name or LVIS synonym.

    Names match whatever their case and ``_``/``-``/space.

    Args:
        dataset: A COCO/LVIS annotation dict.
        categories: Category ids, names or synonyms.

    Returns:
        The dataset's category dicts, in the order asked.

    Raises:
        KeyError: categories that are not in the dataset (named in the message).
    """
    cats = dataset["categories"]
    by_id = {c["id"]: c for c in cats}
    by_name: dict[str, dict[str, Any]] = {}
    for c in cats:
        by_name.setdefault(_norm(c["name"]), c)
        for syn in c.get("synonyms", ()) or ():
            by_name.setdefault(_norm(syn), c)
    out, missing = [], []
    for want in categories:
        c = by_id.get(want) if isinstance(want, int) else by_name.get(_norm(str(want)))
        if c is None:
            missing.append(want)
        else:
            out.append(c)
    if missing:
        raise KeyError(f"Categories {missing} are not in the annotation file ({len(cats)} categories)")
    return out


def boxes_norm1000(xywh: Sequence[Sequence[float]], width: int, height: int) -> list[list[int]]:
    """COCO ``xywh`` pixel boxes as Visual-RFT's integer 0..1000 ``xyxy``.

    Args:
        xywh: Pixel boxes ``[x, y, w, h]``.
        width: Image width in pixels.
        height: Image height in pixels.

    Returns:
        ``[x1, y1, x2, y2]`` boxes on the 0..1000 grid.
    """
    out = []
    for x, y, w, h in xywh:
        out.append(
            [
                int(round(x / width * 1000)),
                int(round(y / height * 1000)),
                int(round((x + w) / width * 1000)),
                int(round((y + h) / height * 1000)),
            ]
        )
    return out


def solution_string(boxes: Sequence[Sequence[int]]) -> str:
    """The Visual-RFT answer of the boxes (confidence 1), ``No Objects`` when empty.

    Args:
        boxes: 0..1000 ``xyxy`` boxes.

    Returns:
        The solution string.
    """
    if not boxes:
        return "<answer>No Objects</answer>"
    items = ", ".join(f"{{'Position': [{', '.join(str(v) for v in b)}], 'Confidence': 1}}" for b in boxes)
    return f"<answer>[{items}]</answer>"


def _index(dataset: Mapping[str, Any]) -> tuple[dict[int, dict], dict[tuple[int, int], list[dict]]]:
    images = {im["id"]: im for im in dataset["images"]}
    anns: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for a in dataset.get("annotations", []):
        if a.get("iscrowd", 0):
            continue
        anns[(a["image_id"], a["category_id"])].append(a)
    return images, anns


def _row(im: Mapping[str, Any], cat: Mapping[str, Any], anns: Sequence[Mapping[str, Any]] | None, display: str) -> dict[str, Any]:
    w, h = int(im["width"]), int(im["height"])
    row: dict[str, Any] = {
        "image": im.get("file_name") or im.get("coco_url", "").rsplit("/", 1)[-1],
        "image_id": im["id"],
        "image_size": [w, h],
        "category": display,
        "category_id": cat["id"],
        "prompt": detection_prompt(display),
    }
    if anns is not None:
        boxes = boxes_norm1000([a["bbox"] for a in anns], w, h)
        row["boxes"] = boxes
        row["solution"] = solution_string(boxes)
    return row


def display_name(cat: Mapping[str, Any]) -> str:
    """The name a prompt uses: LVIS identifiers ``kitchen_table`` -> ``kitchen table``.

    Args:
        cat: A category dict.

    Returns:
        The display name.
    """
    return str(cat["name"]).replace("_", " ")


def few_shot_rows(
    dataset: Mapping[str, Any],
    categories: Iterable[Any],
    shots: int,
    *,
    seed: int = 0,
    negatives: int = 0,
    allow_fewer: bool = False,
) -> list[dict[str, Any]]:
    """``shots`` images per category, one row per (image, category) with all its boxes.

    The images hold at least one non-crowd box of the category and are drawn with
    ``random.Random(seed)`` from the sorted image ids; ``negatives`` extra images per
    category without it ("No Objects"). ``allow_fewer`` takes every image of a category
    that has fewer than ``shots`` (LVIS rare categories: Visual-RFT's "10-shot" holds 1
    to 10 images each).

    Args:
        dataset: A COCO/LVIS annotation dict.
        categories: Category ids, names or synonyms.
        shots: Images per category.
        seed: Seed of the draw.
        negatives: Extra images per category without it.
        allow_fewer: Take every image of a category with fewer than ``shots``.

    Returns:
        The training rows.

    Raises:
        ValueError: ``shots < 1``, or a category with fewer images than ``shots``
            (without ``allow_fewer``).
        KeyError: categories that are not in the dataset.
    """
    if shots < 1:
        raise ValueError(f"Expected shots >= 1, but got {shots}")
    images, anns = _index(dataset)
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for cat in resolve_categories(dataset, categories):
        with_cat = sorted(img for (img, c) in anns if c == cat["id"])
        if len(with_cat) < shots and not allow_fewer:
            raise ValueError(f"Category {cat['name']!r} has {len(with_cat)} images with boxes, fewer than {shots} shots")
        for img in rng.sample(with_cat, min(shots, len(with_cat))):
            rows.append(_row(images[img], cat, anns[(img, cat["id"])], display_name(cat)))
        if negatives:
            pool = sorted(set(images) - set(with_cat))
            for img in rng.sample(pool, min(negatives, len(pool))):
                rows.append(_row(images[img], cat, [], display_name(cat)))
    return rows


def eval_rows(
    dataset: Mapping[str, Any],
    categories: Iterable[Any],
    *,
    image_ids: Iterable[int] | None = None,
    only_present: bool = False,
    federated: bool = False,
) -> list[dict[str, Any]]:
    """One evaluation prompt per (image, category).

    ``only_present=True`` keeps the pairs where the category has a box (the paper first asks
    whether the category is present, then asks for boxes; this is the oracle version of that
    first step). ``federated=True`` (LVIS) keeps the pairs LVIS evaluates: the category is
    present or in the image's ``neg_category_ids``.

    Args:
        dataset: A COCO/LVIS annotation dict.
        categories: Category ids, names or synonyms.
        image_ids: The images to use (default: every image).
        only_present: Keep the pairs where the category has a box.
        federated: Keep the pairs LVIS evaluates.

    Returns:
        The evaluation rows.

    Raises:
        KeyError: categories that are not in the dataset.
    """
    images, anns = _index(dataset)
    ids = sorted(images) if image_ids is None else list(image_ids)
    cats = resolve_categories(dataset, categories)
    rows = []
    for img in ids:
        for cat in cats:
            present = bool(anns.get((img, cat["id"])))
            if only_present and not present:
                continue
            if federated and not present and cat["id"] not in set(images[img].get("neg_category_ids", ())):
                continue  # LVIS: a category neither present nor verified absent is not evaluated
            rows.append(_row(images[img], cat, None, display_name(cat)))
    return rows


def coco_results(
    predictions: Iterable[Mapping[str, Any]],
    dataset: Mapping[str, Any],
    *,
    pred_frame: str = "norm1000",
    min_pixels: int | None = None,
    max_pixels: int | None = None,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """COCO results from the protocols' completion rows.

    The rows go through the one converter
    :func:`rewardkit.metrics.results.completions_to_results` (the model's confidences as
    they are, a box without one at 1.0; image sizes from the dataset).

    Args:
        predictions: Completion rows of the protocol.
        dataset: The COCO/LVIS annotation dict (image sizes, categories).
        pred_frame: Frame of the predicted boxes.
        min_pixels: Qwen2.5-VL processor minimum pixels, or None.
        max_pixels: Qwen2.5-VL processor maximum pixels, or None.

    Returns:
        ``(results, counts)`` with ``rows``, ``boxes``, ``unreadable``.
    """
    from rewardkit.metrics.results import completions_to_results

    sizes = {im["id"]: (int(im["width"]), int(im["height"])) for im in dataset["images"]}
    results, stats = completions_to_results(predictions, dataset["categories"], frame=pred_frame, image_sizes=sizes,
                                            min_pixels=min_pixels, max_pixels=max_pixels)
    return results, {"rows": stats["n_rows"], "boxes": stats["n_boxes"], "unreadable": stats["n_unreadable"]}


def format_rows(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A small text table (values x 100 with one decimal, as the papers print AP).

    Args:
        title: The first line.
        header: Column names.
        rows: The rows' values.

    Returns:
        The table text.
    """
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "nan" if v != v else f"{100 * v:.1f}"
        return str(v)

    table = [list(header)] + [[cell(v) for v in r] for r in rows]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    lines = [title, "  ".join(str(h).ljust(w) for h, w in zip(table[0], widths))]
    lines += ["  ".join(str(v).ljust(w) for v, w in zip(r, widths)) for r in table[1:]]
    return "\n".join(lines)
