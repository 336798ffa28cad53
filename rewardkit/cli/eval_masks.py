"""``rewardkit eval lisa`` and ``rewardkit eval sod`` (mask metrics on files).

``register_kinds(eval_subparsers)`` adds the two kinds to the ``eval`` sub-command (the
COCO/LVIS CLI module calls it).

* ``rewardkit eval lisa --gt G --pred P [--mode lisa|seg_r1|visual_rft]``: ``G`` and ``P``
  are directories of mask images paired by file stem, or JSON files holding masks as RLE:
  a list (paired by position), a dict ``{key: rle}`` (paired by key), or a list of records
  ``{"id" | "image_id" | "file_name": ..., "segmentation" | "mask" | "rle": ...}`` (paired by
  that key). ``--gt-format label_map`` reads ground-truth images as 0 / 1 / 255 label maps.
* ``rewardkit eval sod --gt DIR --pred DIR [--compat seg_r1]``: grey-level PNG folders
  paired by stem (PySODMetrics' layout); prints Smeasure, wFmeasure, MAE, adpEm, meanEm,
  maxEm, adpFm, meanFm, maxFm.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["register_kinds", "read_mask_collection"]

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
_KEYS = ("id", "image_id", "file_name", "name", "key")
_MASK_KEYS = ("segmentation", "mask", "rle")


def read_mask_collection(path: str | Path, what: str = "") -> dict[str, Any] | list[Any]:
    """Masks of a directory (``{stem: path}``) or a JSON file (list or ``{key: mask}``)."""
    from rewardkit.io import read_json

    p = Path(path)
    if p.is_dir():
        files = {f.stem: f for f in sorted(p.iterdir()) if f.suffix.lower() in _IMAGE_SUFFIXES}
        if not files:
            raise ValueError(f"No mask images found in {str(p)!r}")
        return files
    if str(path) != "-" and not p.is_file():
        raise ValueError(f"Expected a directory of mask images or a JSON file, but {str(p)!r} does not exist")
    data = read_json(path, what)
    if isinstance(data, Mapping) and not ("counts" in data and "size" in data):
        if "annotations" in data:
            data = data["annotations"]
        else:
            return {str(k): v for k, v in data.items()}
    if isinstance(data, list):
        if data and all(isinstance(d, Mapping) and any(k in d for k in _KEYS) and any(k in d for k in _MASK_KEYS) for d in data):
            out: dict[str, Any] = {}
            for d in data:
                key = str(next(d[k] for k in _KEYS if k in d))
                mask = next(d[k] for k in _MASK_KEYS if k in d)
                out[Path(key).stem if "file_name" in d and key == str(d.get("file_name")) else key] = mask
            return out
        return data
    raise ValueError(f"Expected a list or an object of masks in {str(p)!r}")


def _pair(gt: dict[str, Any] | list[Any], pred: dict[str, Any] | list[Any]) -> tuple[list[str], list[Any], list[Any]]:
    if isinstance(gt, list) and isinstance(pred, list):
        if len(gt) != len(pred):
            raise ValueError(f"Expected as many predictions as ground truths, but got {len(pred)} and {len(gt)}")
        keys = [str(i) for i in range(len(gt))]
        return keys, gt, pred
    if isinstance(gt, list) or isinstance(pred, list):
        raise ValueError("Cannot pair a keyed collection with an unkeyed list; give both as lists or both keyed")
    missing = sorted(set(gt) - set(pred))
    if missing:
        raise ValueError(f"{len(missing)} ground truths have no prediction, e.g. {missing[:5]}")
    keys = sorted(gt)
    return keys, [gt[k] for k in keys], [pred[k] for k in keys]


def _print(result: dict[str, Any], json_path: str | None, header: str) -> None:
    from rewardkit.cli.eval import write_json

    if json_path:
        write_json(json_path, result)
    if json_path == "-":
        return
    print(header)
    width = max(len(k) for k in result)
    for k, v in result.items():
        print(f"  {k:<{width}}  {v:.6f}" if isinstance(v, float) else f"  {k:<{width}}  {v}")


def _cmd_lisa(args: argparse.Namespace) -> int:
    from rewardkit.metrics.lisa import lisa_evaluate

    keys, gts, preds = _pair(read_mask_collection(args.gt, "--gt"), read_mask_collection(args.pred, "--pred"))
    result = lisa_evaluate(gts, preds, mode=args.mode, gt_format=args.gt_format)
    result = {**result, "n": len(keys), "mode": args.mode}
    _print(result, args.json, f"LISA ({args.mode}) on {len(keys)} masks")
    return 0


def _cmd_sod(args: argparse.Namespace) -> int:
    from rewardkit.metrics.sod import load_sod_folder, sod_evaluate

    gts, preds = load_sod_folder(args.gt, args.pred)
    result = sod_evaluate(gts, preds, compat=args.compat, progress=not args.quiet)
    out: dict[str, Any] = {**result, "n": len(gts)}
    if args.compat:
        out["compat"] = args.compat
    _print(out, args.json, f"SOD metrics on {len(gts)} images" + (f" (compat={args.compat})" if args.compat else ""))
    return 0


def register_kinds(eval_subparsers: Any) -> None:
    """Add ``lisa`` and ``sod`` to the ``rewardkit eval`` sub-parsers."""
    p = eval_subparsers.add_parser(
        "lisa",
        help="gIoU / cIoU of reasoning segmentation masks",
        description="gIoU and cIoU (LISA). --gt/--pred: directories of mask PNGs paired by stem, or JSON files of RLE masks.",
    )
    p.add_argument("--gt", required=True, help="ground-truth masks: directory of PNGs or JSON of RLE")
    p.add_argument("--pred", required=True, help="predicted masks: directory of PNGs or JSON of RLE")
    p.add_argument("--mode", choices=("lisa", "seg_r1", "visual_rft"), default="lisa", help="evaluator variant (default: lisa)")
    p.add_argument("--gt-format", choices=("mask", "label_map"), default="mask", help="label_map: 0/1 with 255 = ignore")
    p.add_argument("--json", metavar="FILE", help="write the numbers as JSON to FILE (- for standard output)")
    p.set_defaults(func=_cmd_lisa)

    p = eval_subparsers.add_parser(
        "sod",
        help="salient / camouflaged object metrics (PySODMetrics)",
        description="S-measure, weighted F, MAE, E- and F-measure (adaptive, mean, max) on PNG folders paired by stem.",
    )
    p.add_argument("--gt", required=True, help="directory of ground-truth masks (0..255, binarized > 128)")
    p.add_argument("--pred", required=True, help="directory of predicted maps (0..255)")
    p.add_argument("--compat", choices=("seg_r1",), default=None, help="seg_r1: the S-measure of PySODMetrics < 1.6.2")
    p.add_argument("--json", metavar="FILE", help="write the numbers as JSON to FILE (- for standard output)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_sod)
