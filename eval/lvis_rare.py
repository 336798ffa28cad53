"""Few-shot detection on LVIS rare categories (Visual-RFT Section 4.3, Table 4).

Protocol: 6 rare LVIS categories (horse_buggy "buggy", die, kitchen_table, omelet,
papaya, stepladder); each has 1 to 10 training images, taken whole (the paper's
"10-shot"); evaluation on LVIS val with lvis-api semantics (federated: a category is
evaluated on an image only where it is present or verified absent; top 300 detections
per image); the reported mAP is the mean per-category AP over the 6.

    python -m rewardkit.eval.lvis_rare train --annotations lvis_v1_train.json --out train.jsonl
    python -m rewardkit.eval.lvis_rare eval-set --annotations lvis_v1_val.json --out eval.jsonl
    python -m rewardkit.eval.lvis_rare evaluate --annotations lvis_v1_val.json --predictions preds.jsonl
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

__all__ = ["CATEGORIES", "build_training_set", "build_eval_set", "evaluate", "format_table", "main"]

CATEGORIES = "visual_rft_lvis_rare6"


def _names(categories: str | Iterable[Any]) -> list[Any]:
    from rewardkit.eval.categories import available_lists, category_names

    if isinstance(categories, str):
        return category_names(categories) if categories in available_lists() else categories.split(",")
    return list(categories)


def build_training_set(annotations: Any, shots: int = 10, *, categories: str | Iterable[Any] = CATEGORIES, seed: int = 0) -> list[dict[str, Any]]:
    """Up to ``shots`` images per rare category (all of them when fewer)."""
    return few_shot_rows(load_json(annotations), _names(categories), shots, seed=seed, allow_fewer=True)


def build_eval_set(annotations: Any, *, categories: str | Iterable[Any] = CATEGORIES) -> list[dict[str, Any]]:
    """One prompt per (val image, category) that LVIS evaluates (present or verified absent)."""
    return eval_rows(load_json(annotations), _names(categories), federated=True)


def evaluate(annotations: Any, predictions: Sequence[Mapping[str, Any]] | str, *, categories: str | Iterable[Any] = CATEGORIES, pred_frame: str = "norm1000", image_ids: Iterable[int] | None = None) -> dict[str, Any]:
    """Table 4 numbers: ``{"mAP", "per_category", "counts"}`` (lvis-api semantics)."""
    from rewardkit.eval._detection import resolve_categories
    from rewardkit.eval.categories import subset_table

    from rewardkit.metrics.lvis import lvis_evaluate

    gt = load_json(annotations)
    preds = read_jsonl(predictions) if isinstance(predictions, str) else list(predictions)
    results, counts = coco_results(preds, gt, pred_frame=pred_frame)
    cats = resolve_categories(gt, _names(categories))
    ids = sorted({p["image_id"] for p in preds}) if image_ids is None else sorted(image_ids)
    result = lvis_evaluate(gt, results, "bbox", imgIds=ids)
    table = subset_table(result, [c["id"] for c in cats], ("AP",), gt_categories=gt["categories"])
    return {"mAP": table["AP"], "per_category": table["per_category"], "counts": counts, "n": table["n"]}


def format_table(table: Mapping[str, Any], model: str = "model") -> str:
    names = [r["name"] for r in table["per_category"]]
    return format_rows("Visual-RFT Table 4 (few-shot LVIS rare, AP)", ["Models", "mAP", *names], [[model, table["mAP"], *[r["AP"] for r in table["per_category"]]]])


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rewardkit.eval.lvis_rare", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--annotations", required=True)
    t.add_argument("--shots", type=int, default=10)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", required=True)
    e = sub.add_parser("eval-set")
    e.add_argument("--annotations", required=True)
    e.add_argument("--out", required=True)
    v = sub.add_parser("evaluate")
    v.add_argument("--annotations", required=True)
    v.add_argument("--predictions", required=True)
    v.add_argument("--pred-frame", default="norm1000")
    v.add_argument("--model", default="model")
    a = p.parse_args(argv)
    if a.cmd == "train":
        rows = build_training_set(a.annotations, a.shots, seed=a.seed)
        print(f"wrote {len(rows)} rows to {write_jsonl(rows, a.out)}")
    elif a.cmd == "eval-set":
        rows = build_eval_set(a.annotations)
        print(f"wrote {len(rows)} rows to {write_jsonl(rows, a.out)}")
    else:
        print(format_table(evaluate(a.annotations, a.predictions, pred_frame=a.pred_frame), a.model))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
