"""``rewardkit eval``: dataset metrics from files (COCO, LVIS, RefCOCO, classification).

``register(subparsers)`` adds the ``eval`` command to the ``rewardkit`` parser (called
by :mod:`rewardkit.cli`); the mask kinds ``lisa`` and ``sod`` come from
:mod:`rewardkit.cli.eval_masks`.

Examples::

    rewardkit eval coco --gt instances_val2017.json --pred detections.json
    rewardkit eval coco --gt gt.json --pred dets.json --engine ray --shards 16
    rewardkit eval coco --gt gt.json --pred completions.jsonl --frame norm1000 \\
        --categories visual_rft_coco8 --per-category --json out.json --plot pr.png
    rewardkit eval lvis --gt lvis_v1_val.json --pred detections.json --iou-type segm
    rewardkit eval refcoco --pred refcoco_val.jsonl --comparison ">"
    rewardkit eval classification --pred flowers.jsonl
    rewardkit eval classification --pred counts.jsonl --task counting --tolerance 0
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from rewardkit.cli._errors import CliError

__all__ = ["register"]


# ----------------------------------------------------------------------------- helpers


def _read_jsonl(path: str) -> list[dict[str, Any]]:
    import gzip

    opener = gzip.open if path.endswith(".gz") else open
    rows = []
    with opener(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"error: {path}:{i}: not JSON ({exc.msg})") from None
    return rows


def _is_jsonl(path: str) -> bool:
    return path.endswith((".jsonl", ".jsonl.gz", ".ndjson"))


def _fmt(v: Any, scale: float = 100.0) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, float) and v < 0:
        return "-1"
    return f"{v * scale:.1f}"


def _print_table(keys: list[str], values: dict[str, Any], title: str | None = None) -> None:
    if title:
        print(title)
    cells = [_fmt(values.get(k)) for k in keys]
    widths = [max(len(k), len(c)) for k, c in zip(keys, cells)]
    print("  ".join(k.rjust(w) for k, w in zip(keys, widths)))
    print("  ".join(c.rjust(w) for c, w in zip(cells, widths)))


def _jsonable(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    return obj


def _write_json(path: str, payload: dict[str, Any], arrays: dict[str, Any] | None = None) -> None:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if arrays:
        import numpy as np

        npz = out.with_suffix(".npz")
        np.savez_compressed(npz, **arrays)
        payload = {**payload, "arrays": str(npz.name), "array_shapes": {k: list(v.shape) for k, v in arrays.items()}}
    out.write_text(json.dumps(_jsonable(payload), indent=2))
    print(f"wrote {out}" + (f" and {out.with_suffix('.npz')}" if arrays else ""), file=sys.stderr)


def _plot_pr(path: str, precision: Any, rec_thrs: Any, iou_thrs: Any, title: str) -> None:
    """Precision-recall curves (mean over categories, area all, last maxDets)."""
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("error: --plot needs matplotlib (pip install 'rewardkit[plot]')") from None
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = precision if precision.ndim == 4 else precision[..., -1]  # (T, R, K, A)
    p = p[:, :, :, 0]
    fig, ax = plt.subplots(figsize=(5, 4))

    def mean_curve(s: np.ndarray) -> np.ndarray:
        import warnings

        s = np.where(s > -1, s, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(s, axis=-1)

    thrs = np.asarray(iou_thrs)
    for t_val, style in ((0.5, "-"), (0.75, "--")):
        idx = np.where(np.isclose(thrs, t_val))[0]
        if idx.size:
            ax.plot(rec_thrs, mean_curve(p[idx[0]]), style, label=f"IoU={t_val:.2f}")
    ax.plot(rec_thrs, mean_curve(np.stack([mean_curve(p[t]) for t in range(p.shape[0])], axis=-1)), ":",
            label=f"IoU={thrs[0]:.2f}:{thrs[-1]:.2f}")  # fmt: skip
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"wrote {path}", file=sys.stderr)


def _per_category_print(rows: list[dict[str, Any]], keys=("AP", "AP50", "AP75")) -> None:
    width = max([len(str(r["name"])) for r in rows] + [8])
    print(f"{'id':>6}  {'category':<{width}}  " + "  ".join(f"{k:>6}" for k in keys))
    for r in rows:
        print(f"{r['id']!s:>6}  {str(r['name']):<{width}}  " + "  ".join(f"{_fmt(r.get(k)):>6}" for k in keys))


def _subset(result: dict[str, Any], spec: str, gt_categories: list[dict[str, Any]]) -> dict[str, Any]:
    from rewardkit.eval.categories import available_lists, category_names, subset_table

    names: list[Any] = []
    for part in [s.strip() for s in spec.split(",") if s.strip()]:
        names.extend(category_names(part) if part in available_lists() else [part])
    return subset_table(result, names, gt_categories=gt_categories)


def _load_gt(path: str) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise SystemExit(f"error: ground truth {path!r} not found")
    return json.loads(p.read_text())


def _load_detections(args: argparse.Namespace, gt: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """A COCO results list, or completions JSONL turned into one."""
    if not Path(args.pred).is_file():
        raise SystemExit(f"error: predictions {args.pred!r} not found")
    if _is_jsonl(args.pred):
        from rewardkit.metrics.results import completions_to_results

        rows = _read_jsonl(args.pred)
        sizes = {img["id"]: (img["width"], img["height"]) for img in gt.get("images", []) if "width" in img}
        res, stats = completions_to_results(
            rows, gt.get("categories", []), frame=args.frame, score_policy=args.score_policy,
            constant_score=args.constant_score, image_sizes=sizes,
        )  # fmt: skip
        return res, stats
    data = json.loads(Path(args.pred).read_text())
    if isinstance(data, dict) and "annotations" in data:
        data = data["annotations"]
    if not isinstance(data, list):
        raise SystemExit("error: --pred must be a COCO results list (JSON) or completions (JSONL)")
    return data, None


# ----------------------------------------------------------------------------- commands


def _cmd_coco(args: argparse.Namespace) -> int:
    from rewardkit.metrics.coco import DET_STAT_NAMES, KPT_STAT_NAMES, coco_evaluate

    gt = _load_gt(args.gt)
    res, conv = _load_detections(args, gt)
    params = {}
    if args.max_dets:
        params["maxDets"] = [int(x) for x in args.max_dets.split(",")]
    if args.engine == "ray" or (args.shards or 1) > 1:
        r = _coco_sharded(args, gt, res, params)
    else:
        if args.address:
            raise CliError("--address goes with --engine ray")
        r = coco_evaluate(gt, res, args.iou_type, compat=args.compat, backend=args.backend, progress=not args.quiet, **params)
    names = list(DET_STAT_NAMES if args.iou_type != "keypoints" else KPT_STAT_NAMES)
    title = f"COCO {args.iou_type}: {len(gt.get('images', []))} images, {len(res)} detections ({args.backend})"
    if conv:
        title += f"; from completions: frame={conv['frame']}, scores={conv['score_policy']}, unreadable={conv['n_unreadable']}"
    _print_table(names, r, title)
    payload: dict[str, Any] = {k: r[k] for k in names}
    payload.update({"stats": r["stats"], "params": r["params"], "per_category": r["per_category"], "backend": r["backend"]})
    if conv:
        payload["conversion"] = conv
    if args.per_category:
        print()
        _per_category_print(r["per_category"])
    if args.categories:
        sub = _subset(r, args.categories, gt.get("categories", []))
        print()
        _print_table(["AP", "AP50", "AP75"], sub, f"subset ({sub['n']} categories with ground truth): {args.categories}")
        payload["subset"] = sub
    if args.ov_coco:
        from rewardkit.eval.categories import ov_coco_table

        ov = ov_coco_table(r)
        print()
        _print_table(["nAP50", "bAP50", "AP50"], ov, "open-vocabulary COCO (17 novel / 48 base)")
        payload["ov_coco"] = ov
    if args.json:
        _write_json(args.json, payload, {"precision": r["precision"], "recall": r["recall"], "scores": r["scores"]})
    if args.plot:
        _plot_pr(args.plot, r["precision"], r["params"]["recThrs"], r["params"]["iouThrs"], f"COCO {args.iou_type}")
    return 0


def _coco_sharded(args: argparse.Namespace, gt: dict[str, Any], res: list[Any], params: dict[str, Any]) -> dict[str, Any]:
    """Images cut into ``--shards`` matched apart (Ray tasks with ``--engine ray``) and
    accumulated once: the numbers of one pass."""
    from rewardkit.metrics.coco.shards import coco_evaluate_sharded

    if args.backend != "native":
        raise CliError(f"--shards and --engine ray run the native engine, but got --backend {args.backend}")
    if args.engine != "ray":
        if args.address:
            raise CliError("--address goes with --engine ray")
        return coco_evaluate_sharded(gt, res, args.iou_type, shards=args.shards, compat=args.compat, progress=not args.quiet, **params)
    from rewardkit.engines.ray import coco_shard_map, start_ray

    with start_ray(args.address) as ray:
        shards = args.shards or 2 * max(1, int(ray.cluster_resources().get("CPU", 1)))
        return coco_evaluate_sharded(
            gt, res, args.iou_type, shards=shards, map=coco_shard_map, compat=args.compat, progress=not args.quiet, **params
        )


def _cmd_lvis(args: argparse.Namespace) -> int:
    from rewardkit.metrics.lvis import lvis_evaluate

    gt = _load_gt(args.gt)
    res, conv = _load_detections(args, gt)
    r = lvis_evaluate(gt, res, args.iou_type, max_dets=args.max_dets, backend=args.backend, progress=not args.quiet)
    keys = ["AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf"] + [
        k for k in r if isinstance(k, str) and k.startswith("AR")
    ]
    _print_table(keys, r, f"LVIS {args.iou_type}: {len(gt.get('images', []))} images, {len(res)} detections")
    payload: dict[str, Any] = {k: r[k] for k in keys}
    payload.update({"per_category": r.get("per_category"), "params": r.get("params")})
    if conv:
        payload["conversion"] = conv
    if args.per_category and r.get("per_category"):
        print()
        _per_category_print([row for row in r["per_category"] if not math.isnan(row["AP"])])
    if args.categories:
        sub = _subset(r, args.categories, gt.get("categories", []))
        print()
        _print_table(["AP", "AP50", "AP75"], sub, f"subset ({sub['n']} categories with ground truth): {args.categories}")
        payload["subset"] = sub
    if args.json:
        _write_json(args.json, payload, {"precision": r["precision"], "recall": r["recall"]})
    if args.plot:
        _plot_pr(args.plot, r["precision"], r["params"]["recThrs"], r["params"]["iouThrs"], f"LVIS {args.iou_type}")
    return 0


def _gt_of(row: dict[str, Any]) -> Any:
    for k in ("ground_truth", "solution", "answer", "bbox", "box", "label", "count"):
        if k in row:
            return row[k]
    rm = row.get("reward_model")
    if isinstance(rm, dict) and "ground_truth" in rm:
        return rm["ground_truth"]
    raise SystemExit(f"error: row without ground truth (expected 'ground_truth'); keys: {sorted(row)}")


def _cmd_refcoco(args: argparse.Namespace) -> int:
    from rewardkit.metrics.grounding import grounding_evaluate

    rows = _read_jsonl(args.pred)
    r = grounding_evaluate(
        [row.get("completion", "") for row in rows], [_gt_of(row) for row in rows],
        threshold=args.threshold, comparison=args.comparison, pred_frame=args.pred_frame,
        gt_frame=args.gt_frame, image_sizes=[row.get("image_size") for row in rows],
        prompts=[row.get("prompt") for row in rows], progress=not args.quiet and len(rows) > 2000,
    )  # fmt: skip
    label = f"Acc@{args.threshold:g}"
    _print_table([label, "mIoU"], {label: r["acc"], "mIoU": r["miou"]},
                 f"RefCOCO-style grounding: {r['n']} expressions, IoU {args.comparison} {args.threshold:g}, "
                 f"unreadable={r['n_unreadable']}, frames {args.pred_frame} -> {args.gt_frame}")  # fmt: skip
    if args.json:
        _write_json(args.json, {k: v for k, v in r.items()})
    return 0


def _cmd_classification(args: argparse.Namespace) -> int:
    from rewardkit.metrics.accuracy import classification_accuracy, counting_accuracy

    rows = _read_jsonl(args.pred)
    comps = [row.get("completion", "") for row in rows]
    gts = [_gt_of(row) for row in rows]
    prompts = [row.get("prompt") for row in rows]
    if args.task == "counting":
        r = counting_accuracy(comps, gts, tolerance=args.tolerance, prompts=prompts, progress=not args.quiet and len(rows) > 2000)
        _print_table(["accuracy"], r, f"counting: {r['n']} answers, tolerance {args.tolerance}, unreadable={r['n_unreadable']}")
        print(f"MAE (readable answers): {r['mae']:.3f}")
    else:
        synonyms = json.loads(Path(args.synonyms).read_text()) if args.synonyms else None
        r = classification_accuracy(
            comps, gts, synonyms=synonyms, compat=args.compat, prompts=prompts, progress=not args.quiet and len(rows) > 2000
        )
        _print_table(["accuracy", "mean_per_class", "strict_format"], r,
                     f"classification: {r['n']} answers, {len(r['per_class'])} classes, unreadable={r['n_unreadable']}")  # fmt: skip
    if args.json:
        _write_json(args.json, r)
    return 0


# ----------------------------------------------------------------------------- parser


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", metavar="OUT", help="write every number as JSON (arrays to OUT.npz)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def _add_detection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gt", required=True, help="annotation JSON (COCO / LVIS format)")
    p.add_argument("--pred", required=True, help="COCO results JSON, or completions JSONL (image_id, completion, ...)")
    p.add_argument("--iou-type", choices=("bbox", "segm") if p.prog.endswith("lvis") else ("bbox", "segm", "keypoints"), default="bbox")
    p.add_argument("--frame", default="norm1000", help="frame of boxes in completions (norm1000, norm1, pixel, qwen25vl, seg_r1)")
    p.add_argument("--score-policy", choices=("model", "constant", "rank"), default="model",
                   help="scores of boxes from completions (constant: ties broken by image and file order)")  # fmt: skip
    p.add_argument("--constant-score", type=float, default=1.0, help="score of boxes without confidence")
    p.add_argument("--per-category", action="store_true", help="print per-category AP, AP50, AP75")
    p.add_argument("--categories", metavar="NAME,...", help="subset table: category names / ids, or a list name (e.g. visual_rft_coco8)")
    p.add_argument("--plot", metavar="FILE.png", help="precision-recall curves (needs the 'plot' extra)")
    _add_common(p)


def register(subparsers: Any) -> None:
    """Add ``eval`` with kinds ``coco``, ``lvis``, ``refcoco``, ``classification``
    (and ``lisa``, ``sod`` from :mod:`rewardkit.cli.eval_masks`)."""
    ev = subparsers.add_parser("eval", help="dataset metrics from files (COCO, LVIS, RefCOCO, classification, ...)",
                               description="Compute dataset-level metrics and print the table a paper would print.")  # fmt: skip
    kinds = ev.add_subparsers(dest="kind", metavar="KIND")
    ev.set_defaults(func=lambda a: (ev.print_help(), 2)[1])

    p = kinds.add_parser("coco", help="COCO AP/AR (bbox, segm, keypoints), identical to pycocotools")
    _add_detection(p)
    p.add_argument("--compat", choices=("pycocotools",), default=None, help="reproduce pycocotools' quirks")
    p.add_argument("--backend", choices=("native", "pycocotools", "faster_coco_eval"), default="native")
    p.add_argument("--max-dets", metavar="1,10,100", help="maxDets thresholds")
    p.add_argument("--ov-coco", action="store_true", help="also print nAP50 / bAP50 of the 48/17 open-vocabulary split")
    p.add_argument("--engine", choices=("local", "ray"), default="local", help="ray: match shards of images as Ray tasks (the 'ray' extra); same numbers")
    p.add_argument("--shards", type=int, default=None, metavar="N", help="cut the images into N shards matched apart, accumulated once (default with --engine ray: 2 per CPU)")
    p.add_argument("--address", help="with --engine ray: the Ray cluster (default: start a local Ray)")
    p.set_defaults(func=_cmd_coco)

    p = kinds.add_parser("lvis", help="LVIS AP (APr/APc/APf), identical to lvis-api 0.5.3")
    _add_detection(p)
    p.add_argument("--max-dets", type=int, default=300, help="detections kept per image across categories (300)")
    p.add_argument("--backend", choices=("native", "lvis"), default="native")
    p.set_defaults(func=_cmd_lvis)

    p = kinds.add_parser("refcoco", help="referring-expression grounding: Acc@0.5 and mean IoU")
    p.add_argument("--pred", required=True, help="JSONL rows with 'completion' and 'ground_truth' (box), optional 'image_size'")
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("--comparison", choices=(">=", ">"), default=">=", help=">= (Qwen-VL, InternVL) or > (VLM-R1, Griffon)")
    p.add_argument("--pred-frame", default="norm1000")
    p.add_argument("--gt-frame", default="norm1000")
    _add_common(p)
    p.set_defaults(func=_cmd_refcoco)

    p = kinds.add_parser("classification", help="classification or counting accuracy of completions")
    p.add_argument("--pred", required=True, help="JSONL rows with 'completion' and 'ground_truth'")
    p.add_argument("--task", choices=("classification", "counting"), default="classification")
    p.add_argument("--synonyms", metavar="FILE.json", help='{"class": ["synonym", ...]}')
    p.add_argument("--compat", choices=("substring",), default=None, help="the public Visual-RFT substring rule")
    p.add_argument("--tolerance", type=int, default=0, help="counting: accepted absolute error")
    _add_common(p)
    p.set_defaults(func=_cmd_classification)

    from rewardkit.cli.eval_masks import register_kinds

    register_kinds(kinds)
