"""Reasoning grounding on LISA (Visual-RFT Section 4.4, Table 5).

Protocol: train on the 239 LISA training images (500 steps), evaluate on LISA val/test:
``mIoU`` is the mean bounding-box IoU between the predicted box and the box around the
ground-truth target polygons; ``gIoU`` is LISA's mask metric when the predicted box is
turned into a mask by a segmenter (SAM in the paper; :mod:`rewardkit.metrics.lisa`).

Data: LISA's folders hold ``<name>.jpg`` and ``<name>.json`` (``{"text": [questions],
"is_sentence", "shapes": [{"label": "target" | "ignore", "points": [[x, y], ...]}]}``).
One row per (image, question): ``{"image", "id", "expression", "image_size", "box"
(norm1000 xyxy of all target polygons), "prompt", "solution", "gt"}``.

    python -m rewardkit.eval.lisa build --root lisa/train --out train.jsonl
    python -m rewardkit.eval.lisa evaluate --root lisa/val --predictions preds.jsonl   # {"id", "completion", "mask"?}
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from rewardkit.eval._detection import format_rows, read_jsonl, write_jsonl
from rewardkit.eval.prompts import grounding_prompt

__all__ = ["read_sample", "build_set", "evaluate", "format_table", "main"]


def _image_size(json_path: str, doc: Mapping[str, Any]) -> tuple[int, int]:
    if "imageWidth" in doc and "imageHeight" in doc:
        return int(doc["imageWidth"]), int(doc["imageHeight"])
    from PIL import Image

    with Image.open(os.path.splitext(json_path)[0] + ".jpg") as im:
        return im.size


def read_sample(json_path: str) -> list[dict[str, Any]]:
    """Rows of one LISA annotation file (one per question)."""
    with open(json_path, encoding="utf-8") as f:
        doc = json.load(f)
    w, h = _image_size(json_path, doc)
    targets = [np.asarray(s["points"], dtype=np.float64) for s in doc.get("shapes", []) if str(s.get("label", "")).lower() == "target"]
    if not targets:
        return []
    pts = np.concatenate(targets)
    x1, y1 = pts.min(0)
    x2, y2 = pts.max(0)
    box = [int(round(x1 / w * 1000)), int(round(y1 / h * 1000)), int(round(x2 / w * 1000)), int(round(y2 / h * 1000))]
    name = os.path.splitext(os.path.basename(json_path))[0]
    rows = []
    for k, text in enumerate(doc.get("text", []) or [""]):
        rows.append(
            {
                "image": name + ".jpg",
                "id": f"{name}#{k}",
                "expression": text,
                "image_size": [w, h],
                "box": box,
                "prompt": grounding_prompt(text),
                "solution": f"<answer>{box}</answer>",
                "gt": {"shapes": doc["shapes"], "imageWidth": w, "imageHeight": h},
            }
        )
    return rows


def build_set(root: str) -> list[dict[str, Any]]:
    """Rows of every ``*.json`` under ``root`` (sorted)."""
    rows: list[dict[str, Any]] = []
    for f in sorted(os.listdir(root)):
        if f.endswith(".json"):
            rows.extend(read_sample(os.path.join(root, f)))
    return rows


def evaluate(rows: Sequence[Mapping[str, Any]] | str, predictions: Sequence[Mapping[str, Any]] | str, *, pred_frame: str = "norm1000", mode: str = "lisa") -> dict[str, Any]:
    """``{"mIoU", "gIoU" (when predictions carry masks), "cIoU", "n", "unreadable"}``.

    ``mIoU``: mean box IoU (an unreadable answer counts 0). ``gIoU`` / ``cIoU``:
    :func:`rewardkit.metrics.lisa.lisa_evaluate` in ``mode`` on the predicted masks.
    """
    from rewardkit.geometry.boxes import box_iou
    from rewardkit.parsing.boxes import parse_boxes
    from rewardkit.parsing.frames import convert_boxes
    from rewardkit.parsing.tags import parse_completion

    if isinstance(rows, str):
        rows = build_set(rows)
    preds = read_jsonl(predictions) if isinstance(predictions, str) else list(predictions)
    by_id = {r["id"]: r for r in rows}
    ious, unreadable, gts, masks, sizes = [], 0, [], [], []
    for p in preds:
        row = by_id[p["id"]]
        w, h = row["image_size"]
        gt_box = convert_boxes(np.asarray([row["box"]], dtype=np.float64), "norm1000", "pixel", (w, h))
        tp = parse_completion(str(p.get("completion", "")))
        parsed = parse_boxes(tp.answer) if tp.answer is not None else None
        if parsed is None or not parsed.ok or len(parsed.value) == 0:
            unreadable += 1
            ious.append(0.0)
        else:
            pred = convert_boxes(parsed.value.xyxy[:1], pred_frame, "pixel", (w, h))
            ious.append(float(box_iou(pred, gt_box)[0, 0]))
        if p.get("mask") is not None:
            gts.append(row["gt"])
            masks.append(p["mask"])
            sizes.append((w, h))
    out: dict[str, Any] = {"mIoU": float(np.mean(ious)) if ious else float("nan"), "n": len(ious), "unreadable": unreadable}
    if masks:
        from rewardkit.metrics.lisa import lisa_evaluate

        m = lisa_evaluate(gts, masks, mode, image_sizes=sizes)  # type: ignore[arg-type]  # mode (str) is checked by lisa_evaluate against its gt_format literals
        out["gIoU"], out["cIoU"] = m["gIoU"], m["cIoU"]
    return out


def format_table(table: Mapping[str, Any], model: str = "model", split: str = "test") -> str:
    header = ["Model", f"mIoU_{split}"] + ([f"gIoU_{split}"] if "gIoU" in table else [])
    row = [model, table["mIoU"]] + ([table["gIoU"]] if "gIoU" in table else [])
    return format_rows("Visual-RFT Table 5 (reasoning grounding on LISA)", header, [row])


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rewardkit.eval.lisa", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--root", required=True)
    b.add_argument("--out", required=True)
    v = sub.add_parser("evaluate")
    v.add_argument("--root", required=True)
    v.add_argument("--predictions", required=True)
    v.add_argument("--split", default="test")
    v.add_argument("--model", default="model")
    a = p.parse_args(argv)
    if a.cmd == "build":
        rows = build_set(a.root)
        print(f"wrote {len(rows)} rows to {write_jsonl(rows, a.out)}")
    else:
        print(format_table(evaluate(a.root, a.predictions), a.model, a.split))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
