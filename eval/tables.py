"""Print the papers' tables from a predictions file (one entry point for every protocol).

==================  ==========================================  ===============================
``coco-fewshot``    Visual-RFT Table 3 (mAP over 8 COCO cats)    :mod:`rewardkit.eval.coco_fewshot`
``lvis-rare``       Visual-RFT Table 4 (mAP over 6 LVIS rare)    :mod:`rewardkit.eval.lvis_rare`
``ov-coco``         Visual-RFT Table 6 (nAP50 / bAP50 / AP50)    :mod:`rewardkit.eval.ov_coco`
``classification``  Visual-RFT Table 2 (accuracy per dataset)    :mod:`rewardkit.eval.classification`
``lisa``            Visual-RFT Table 5 (box mIoU, mask gIoU)     :mod:`rewardkit.eval.lisa`
``vision-r1``       Vision-R1 Table 1 COCO columns (AP50, AP75,  :func:`vision_r1_table`
                    mAP over all categories)
==================  ==========================================  ===============================

::

    python -m rewardkit.eval.tables coco-fewshot --annotations instances_val2017.json --predictions preds.jsonl
    python -m rewardkit.eval.tables vision-r1 --annotations instances_val2017.json --predictions preds.jsonl --pred-frame qwen25vl
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

from rewardkit.eval._detection import coco_results, format_rows, load_json, read_jsonl

__all__ = ["vision_r1_table", "format_vision_r1", "main", "PROTOCOLS"]

PROTOCOLS = ("coco-fewshot", "lvis-rare", "ov-coco", "classification", "lisa", "vision-r1")


def vision_r1_table(annotations: Any, predictions: Sequence[Mapping[str, Any]] | str, *, pred_frame: str = "qwen25vl", min_pixels: int | None = None, max_pixels: int | None = None) -> dict[str, Any]:
    """COCO val2017 AP50 / AP75 / mAP of Vision-R1's Table 1.

    Computed from per-(image, category) completions (Qwen2.5-VL JSON boxes in
    ``pred_frame``; the processed-image frame ``qwen25vl`` needs the min/max pixels the
    processor used, defaults of Qwen2.5-VL).

    Args:
        annotations: The COCO annotation dict or its JSON file.
        predictions: Completion rows, or a JSONL path.
        pred_frame: Frame of the predicted boxes.
        min_pixels: Qwen2.5-VL processor minimum pixels, or None (its default).
        max_pixels: Qwen2.5-VL processor maximum pixels, or None (its default).

    Returns:
        ``{"AP50", "AP75", "mAP", "counts"}``.
    """
    from rewardkit.metrics.coco import coco_evaluate

    gt = load_json(annotations)
    preds = read_jsonl(predictions) if isinstance(predictions, str) else list(predictions)
    results, counts = coco_results(preds, gt, pred_frame=pred_frame, min_pixels=min_pixels, max_pixels=max_pixels)
    ids = sorted({p["image_id"] for p in preds})
    r = coco_evaluate(gt, results, "bbox", imgIds=ids)
    return {"AP50": r["AP50"], "AP75": r["AP75"], "mAP": r["AP"], "counts": counts}


def format_vision_r1(table: Mapping[str, Any], model: str = "model") -> str:
    return format_rows("Vision-R1 Table 1 (MSCOCO val2017)", ["Model", "AP50", "AP75", "mAP"], [[model, table["AP50"], table["AP75"], table["mAP"]]])


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rewardkit.eval.tables", description=__doc__.splitlines()[0])
    p.add_argument("protocol", choices=PROTOCOLS)
    p.add_argument("--predictions", required=True, help="JSONL of completions (see the protocol's module)")
    p.add_argument("--annotations", help="COCO / LVIS annotation JSON (detection protocols)")
    p.add_argument("--root", help="LISA folder (lisa)")
    p.add_argument("--pred-frame", default=None)
    p.add_argument("--model", default="model")
    a = p.parse_args(argv)
    if a.protocol in ("coco-fewshot", "lvis-rare", "ov-coco", "vision-r1") and not a.annotations:
        p.error(f"{a.protocol} needs --annotations")
    if a.protocol == "coco-fewshot":
        from rewardkit.eval import coco_fewshot as m

        print(m.format_table(m.evaluate(a.annotations, a.predictions, pred_frame=a.pred_frame or "norm1000"), a.model))
    elif a.protocol == "lvis-rare":
        from rewardkit.eval import lvis_rare as m

        print(m.format_table(m.evaluate(a.annotations, a.predictions, pred_frame=a.pred_frame or "norm1000"), a.model))
    elif a.protocol == "ov-coco":
        from rewardkit.eval import ov_coco as m

        print(m.format_table(m.evaluate(a.annotations, a.predictions, pred_frame=a.pred_frame or "norm1000"), a.model))
    elif a.protocol == "classification":
        from rewardkit.eval import classification as m

        print(m.format_table(m.evaluate(a.predictions), a.model))
    elif a.protocol == "lisa":
        from rewardkit.eval import lisa as m

        if not a.root:
            p.error("lisa needs --root (the LISA split folder)")
        print(m.format_table(m.evaluate(a.root, a.predictions, pred_frame=a.pred_frame or "norm1000"), a.model))
    else:
        print(format_vision_r1(vision_r1_table(a.annotations, a.predictions, pred_frame=a.pred_frame or "qwen25vl"), a.model))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
