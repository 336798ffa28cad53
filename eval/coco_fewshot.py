"""Visual-RFT few-shot detection on COCO (paper Section 4.3, Table 3).

Protocol: 8 COCO categories (bus, train, fire hydrant, stop sign, cat, dog, bed, toilet;
``rewardkit.eval.categories``), 1 / 4 / 8 training images per category, 200 GRPO steps;
evaluation on COCO val with one detection prompt (Table 1) per image and category; the
reported mAP is the mean over the 8 categories of the per-category COCO AP
(``precision[:, :, k, all, maxDets=100]`` over entries > -1).

Command line (annotation files and image folders are yours; nothing is downloaded)::

    python -m rewardkit.eval.coco_fewshot train --annotations instances_train2017.json --shots 4 --out train.jsonl
    python -m rewardkit.eval.coco_fewshot eval-set --annotations instances_val2017.json --out eval.jsonl
    # run the model on eval.jsonl, write {"image_id", "category_id", "completion"} per line
    python -m rewardkit.eval.coco_fewshot evaluate --annotations instances_val2017.json --predictions preds.jsonl
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rewardkit.eval._detection import (
    coco_results,
    eval_rows,
    few_shot_rows,
    format_rows,
    load_json,
    read_jsonl,
    write_jsonl,
)

__all__ = ["CATEGORIES", "SHOTS", "build_training_set", "build_eval_set", "evaluate", "format_table", "main"]

CATEGORIES = "visual_rft_coco8"
SHOTS = (1, 4, 8)


def _names(categories: str | Iterable[Any]) -> list[Any]:
    from rewardkit.eval.categories import available_lists, category_names

    if isinstance(categories, str):
        return category_names(categories) if categories in available_lists() else categories.split(",")
    return list(categories)


def build_training_set(annotations: Any, shots: int, *, categories: str | Iterable[Any] = CATEGORIES, seed: int = 0, negatives: int = 0) -> list[dict[str, Any]]:
    """Few-shot training rows (see :mod:`rewardkit.eval._detection` for the row layout)."""
    return few_shot_rows(load_json(annotations), _names(categories), shots, seed=seed, negatives=negatives)


def build_eval_set(annotations: Any, *, categories: str | Iterable[Any] = CATEGORIES, only_present: bool = False) -> list[dict[str, Any]]:
    """One detection prompt per (val image, category)."""
    return eval_rows(load_json(annotations), _names(categories), only_present=only_present)


def evaluate(
    annotations: Any,
    predictions: Sequence[Mapping[str, Any]] | str,
    *,
    categories: str | Iterable[Any] = CATEGORIES,
    pred_frame: str = "norm1000",
    image_ids: Iterable[int] | None = None,
) -> dict[str, Any]:
    """Table 3 numbers: ``{"mAP", "per_category": [{name, AP, AP50, AP75}], "counts"}``.

    Evaluated over the images that appear in the predictions (or ``image_ids``) and the
    protocol's categories.
    """
    from rewardkit.eval.categories import subset_table

    from rewardkit.metrics.coco import coco_evaluate

    gt = load_json(annotations)
    preds = read_jsonl(predictions) if isinstance(predictions, str) else list(predictions)
    results, counts = coco_results(preds, gt, pred_frame=pred_frame)
    from rewardkit.eval._detection import resolve_categories

    cats = resolve_categories(gt, _names(categories))
    ids = sorted({p["image_id"] for p in preds}) if image_ids is None else sorted(image_ids)
    result = coco_evaluate(gt, results, "bbox", imgIds=ids, catIds=[c["id"] for c in cats])
    table = subset_table(result, [c["id"] for c in cats])
    return {"mAP": table["AP"], "AP50": table["AP50"], "per_category": table["per_category"], "counts": counts, "n": table["n"]}


def format_table(table: Mapping[str, Any], model: str = "model", title: str = "Visual-RFT Table 3 (few-shot COCO, AP)") -> str:
    names = [r["name"] for r in table["per_category"]]
    return format_rows(title, ["Models", "mAP", *names], [[model, table["mAP"], *[r["AP"] for r in table["per_category"]]]])


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rewardkit.eval.coco_fewshot", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="write the few-shot training set (JSONL)")
    t.add_argument("--annotations", required=True)
    t.add_argument("--shots", type=int, default=4)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--negatives", type=int, default=0)
    t.add_argument("--categories", default=CATEGORIES)
    t.add_argument("--out", required=True)
    e = sub.add_parser("eval-set", help="write the evaluation prompts (JSONL)")
    e.add_argument("--annotations", required=True)
    e.add_argument("--categories", default=CATEGORIES)
    e.add_argument("--only-present", action="store_true")
    e.add_argument("--out", required=True)
    v = sub.add_parser("evaluate", help="print Table 3 from a predictions file")
    v.add_argument("--annotations", required=True)
    v.add_argument("--predictions", required=True)
    v.add_argument("--categories", default=CATEGORIES)
    v.add_argument("--pred-frame", default="norm1000")
    v.add_argument("--model", default="model")
    a = p.parse_args(argv)
    if a.cmd == "train":
        rows = build_training_set(a.annotations, a.shots, categories=a.categories, seed=a.seed, negatives=a.negatives)
        write_jsonl(rows, a.out)
        print(f"wrote {len(rows)} rows to {a.out}")
    elif a.cmd == "eval-set":
        rows = build_eval_set(a.annotations, categories=a.categories, only_present=a.only_present)
        write_jsonl(rows, a.out)
        print(f"wrote {len(rows)} rows to {a.out}")
    else:
        table = evaluate(a.annotations, a.predictions, categories=a.categories, pred_frame=a.pred_frame)
        print(format_table(table, a.model))
        print(f"rows {table['counts']['rows']}, boxes {table['counts']['boxes']}, unreadable {table['counts']['unreadable']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
