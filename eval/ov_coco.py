"""Open-vocabulary detection on COCO (Visual-RFT Section 4.5, Table 6).

Protocol: train on a 10-shot set of the 48 base categories (10 images per category),
evaluate on COCO val over the 65 OV-COCO categories; report nAP50 (mean per-category AP50
over the 17 novel categories: ids 5 6 17 18 21 22 28 32 36 41 47 49 61 63 76 81 87),
bAP50 (48 base) and AP50 over all 65 (Table 6's nAP / bAP / mAP columns; Fig. 6 uses
nAP50). Tables come from :func:`rewardkit.eval.categories.ov_coco_table`.

    python -m rewardkit.eval.ov_coco train --annotations instances_train2017.json --out train.jsonl
    python -m rewardkit.eval.ov_coco eval-set --annotations instances_val2017.json --out eval.jsonl
    python -m rewardkit.eval.ov_coco evaluate --annotations instances_val2017.json --predictions preds.jsonl
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

__all__ = ["build_training_set", "build_eval_set", "evaluate", "format_table", "main"]


def _ids(name: str) -> list[int]:
    from rewardkit.eval.categories import category_ids

    return category_ids(name)


def build_training_set(annotations: Any, shots: int = 10, *, seed: int = 0) -> list[dict[str, Any]]:
    """``shots`` images per base category (48), one row per (image, category)."""
    return few_shot_rows(load_json(annotations), _ids("ov_coco_base48"), shots, seed=seed)


def build_eval_set(annotations: Any, *, only_present: bool = False) -> list[dict[str, Any]]:
    """One prompt per (val image, category) over the 65 OV-COCO categories."""
    return eval_rows(load_json(annotations), _ids("ov_coco_novel17") + _ids("ov_coco_base48"), only_present=only_present)


def evaluate(annotations: Any, predictions: Sequence[Mapping[str, Any]] | str, *, pred_frame: str = "norm1000", image_ids: Iterable[int] | None = None) -> dict[str, Any]:
    """Table 6 numbers: ``{"nAP50", "bAP50", "AP50", "novel", "base", "counts"}``."""
    from rewardkit.eval.categories import ov_coco_table

    from rewardkit.metrics.coco import coco_evaluate

    gt = load_json(annotations)
    preds = read_jsonl(predictions) if isinstance(predictions, str) else list(predictions)
    results, counts = coco_results(preds, gt, pred_frame=pred_frame)
    ids = sorted({p["image_id"] for p in preds}) if image_ids is None else sorted(image_ids)
    cats = _ids("ov_coco_novel17") + _ids("ov_coco_base48")
    result = coco_evaluate(gt, results, "bbox", imgIds=ids, catIds=sorted(c for c in cats if any(g["id"] == c for g in gt["categories"])))
    table = dict(ov_coco_table(result))
    table["counts"] = counts
    return table


def format_table(table: Mapping[str, Any], model: str = "model") -> str:
    return format_rows("Visual-RFT Table 6 (open-vocabulary COCO)", ["Models", "nAP50", "bAP50", "AP50"], [[model, table["nAP50"], table["bAP50"], table["AP50"]]])


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rewardkit.eval.ov_coco", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--annotations", required=True)
    t.add_argument("--shots", type=int, default=10)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", required=True)
    e = sub.add_parser("eval-set")
    e.add_argument("--annotations", required=True)
    e.add_argument("--only-present", action="store_true")
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
        rows = build_eval_set(a.annotations, only_present=a.only_present)
        print(f"wrote {len(rows)} rows to {write_jsonl(rows, a.out)}")
    else:
        print(format_table(evaluate(a.annotations, a.predictions, pred_frame=a.pred_frame), a.model))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
