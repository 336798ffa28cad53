r"""``rewardkit eval``: dataset metrics from files (COCO, LVIS, RefCOCO, classification).

``register(subparsers)`` adds the ``eval`` command to the ``rewardkit`` parser (called
by :mod:`rewardkit.cli`); the mask kinds ``lisa`` and ``sod`` come from
:mod:`rewardkit.cli.eval_masks`.

Examples::

    rewardkit eval coco --gt instances_val2017.json --pred detections.json
    rewardkit eval coco --gt gt.json --pred dets.json --engine ray --shards 16
    rewardkit eval coco --gt gt.json --pred completions.jsonl --frame norm1000 \
        --categories visual_rft_coco8 --per-category --json out.json --plot figures/
    rewardkit eval lvis --gt lvis_v1_val.json --pred detections.json --iou-type segm
    rewardkit eval refcoco --pred refcoco_val.jsonl --comparison ">"
    rewardkit eval refcoco --pred qwen25vl.jsonl --dialect qwen2_5_vl --gt-frame pixel
    rewardkit eval classification --pred flowers.jsonl
    rewardkit eval classification --pred counts.jsonl --task counting --tolerance 0
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import math
import sys
from pathlib import Path
from typing import Any

from rewardkit.cli._errors import CliError
from rewardkit.cli._eval_args import _add_answer, _add_common, _add_detection, _add_dialect
from rewardkit.io import (
    COMPLETION_FIELDS,
    GROUND_TRUTH_FIELDS,
    get_field,
    read_json,
    read_jsonl,
    read_records,
    to_jsonable,
)

__all__ = ["register", "load_annotations", "write_json", "MISSING"]


# ----------------------------------------------------------------------------- helpers

MISSING = "-"
"""How a number that does not exist (no ground truth in that range: -1 or NaN) prints,
in the summary and per category alike."""


def _fmt(v: Any, scale: float = 100.0) -> str:
    if v is None or (isinstance(v, float) and (math.isnan(v) or v < 0)):
        return MISSING
    return f"{v * scale:.1f}"


def _print_table(keys: list[str], values: dict[str, Any], title: str | None = None) -> None:
    if title:
        print(title)
    cells = [_fmt(values.get(k)) for k in keys]
    widths = [max(len(k), len(c)) for k, c in zip(keys, cells)]
    print("  ".join(k.rjust(w) for k, w in zip(keys, widths)))
    print("  ".join(c.rjust(w) for c, w in zip(cells, widths)))


def write_json(path: str, payload: dict[str, Any], arrays: dict[str, Any] | None = None) -> None:
    """``--json FILE`` of every eval kind: every number as JSON (``-``: standard output).

    Arrays go to ``FILE.npz`` beside it.

    Args:
        path: The JSON file, or ``-``.
        payload: The numbers.
        arrays: Named numpy arrays, or None.
    """
    text = json.dumps(to_jsonable(payload), indent=2)
    if path == "-":
        print(text, file=_JSON_STREAM[-1] if _JSON_STREAM else sys.stdout)
        return
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if arrays:
        import numpy as np

        npz = out.with_suffix(".npz")
        np.savez_compressed(npz, **arrays)
        payload = {**payload, "arrays": str(npz.name), "array_shapes": {k: list(v.shape) for k, v in arrays.items()}}
        text = json.dumps(to_jsonable(payload), indent=2)
    out.write_text(text)
    print(f"wrote {out}" + (f" and {out.with_suffix('.npz')}" if arrays else ""), file=sys.stderr)


_JSON_STREAM: list[Any] = []


def json_to_stdout(func: Any) -> Any:
    """Wrap a command so that ``--json -`` output can be piped.

    With ``--json -`` the JSON goes to standard output and the tables to standard error.

    Args:
        func: The command (``func(args) -> exit status``).

    Returns:
        The wrapped command.
    """

    @functools.wraps(func)
    def run(args: argparse.Namespace) -> int:
        if getattr(args, "json", None) != "-":
            return func(args)
        _JSON_STREAM.append(sys.stdout)
        try:
            with contextlib.redirect_stdout(sys.stderr):
                return func(args)
        finally:
            _JSON_STREAM.pop()

    return run


def _plot(target: str, result: dict[str, Any], kind: str) -> None:
    """``--plot DIR``: every figure of this kind into DIR (:func:`rewardkit.plot.save_eval_plots`).

    A path ending in .png/.svg/.pdf gets the precision-recall curves alone (the old form).
    """
    from rewardkit.viz._deps import require_matplotlib

    plt = require_matplotlib()
    from rewardkit.plot import iou_histogram, pr_curves, save_eval_plots

    if target.lower().endswith((".png", ".svg", ".pdf")):
        fig = iou_histogram(result) if kind == "refcoco" else pr_curves(result, title=f"{kind.upper()}: precision-recall (area all)")
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(target, dpi=120)
        plt.close(fig)
        paths = [Path(target)]
    else:
        paths = save_eval_plots(result, kind, target)
    print("wrote " + ", ".join(str(p) for p in paths), file=sys.stderr)


def _per_category_print(rows: list[dict[str, Any]], keys=("AP", "AP50", "AP75")) -> None:
    width = max([len(str(r["name"])) for r in rows] + [8])
    print(f"{'id':>6}  {'category':<{width}}  " + "  ".join(f"{k:>6}" for k in keys))
    for r in rows:
        print(f"{r['id']!s:>6}  {str(r['name']):<{width}}  " + "  ".join(f"{_fmt(r.get(k)):>6}" for k in keys))


def _category_spec(spec: str) -> list[Any]:
    from rewardkit.eval.categories import available_lists, category_names

    names: list[Any] = []
    for part in [s.strip() for s in spec.split(",") if s.strip()]:
        names.extend(category_names(part) if part in available_lists() else [part])
    return names


def _check_categories(spec: str | None, gt: dict[str, Any]) -> None:
    """``--categories`` resolved against the ground truth before anything is computed."""
    if not spec:
        return
    from rewardkit.metrics.coco import resolve_category_ids

    try:
        resolve_category_ids(_category_spec(spec), gt.get("categories", []))
    except KeyError as exc:
        raise CliError(f"--categories: {exc.args[0]}") from None


def _subset(result: dict[str, Any], spec: str, gt_categories: list[dict[str, Any]]) -> dict[str, Any]:
    from rewardkit.eval.categories import subset_table

    return subset_table(result, _category_spec(spec), gt_categories=gt_categories)


def load_annotations(path: str, kind: str = "coco") -> dict[str, Any]:
    """The one loader of ``--gt`` annotation files.

    COCO or LVIS JSON, plain or gzip, ``-`` for standard input, with a one-line message
    for the usual mistakes: a results list given as ``--gt`` (swapped arguments), a COCO
    file given to ``eval lvis``.

    Args:
        path: The annotation file, or ``-``.
        kind: ``coco`` or ``lvis`` (what the command needs).

    Returns:
        The annotation dict.

    Raises:
        CliError: a list, a file without ``images`` and ``categories``, or a COCO file
            for LVIS.
    """
    data = read_json(path, "--gt")
    if isinstance(data, list):
        raise CliError(
            f"--gt {path!r} holds a list (a results file?), but an annotation file is an object with "
            "'images', 'annotations' and 'categories'; did you swap --gt and --pred?"
        )
    if not isinstance(data, dict) or "images" not in data or "categories" not in data:
        keys = sorted(data)[:8] if isinstance(data, dict) else type(data).__name__
        raise CliError(f"Expected --gt {path!r} to be a COCO-style annotation file with 'images' and 'categories', but got {keys}")
    if kind == "lvis":
        cats = data.get("categories") or []
        if cats and not all("frequency" in c for c in cats):
            raise CliError(
                f"--gt {path!r} looks like a COCO annotation file (its categories have no 'frequency'): "
                "LVIS needs the LVIS annotation file; use `rewardkit eval coco` for COCO"
            )
    return data


def _load_detections(args: argparse.Namespace, gt: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """A COCO results list, or completions JSONL turned into one."""
    data = read_records(args.pred, "--pred")
    if isinstance(data, dict) and "images" in data and "categories" in data:
        raise CliError(f"--pred {args.pred!r} is an annotation file (it has 'images' and 'categories'); did you swap --gt and --pred?")
    if isinstance(data, dict) and "annotations" in data:
        data = data["annotations"]
    if not isinstance(data, list):
        raise CliError(f"Expected --pred {args.pred!r} to be a COCO results list (JSON) or completions (JSONL), but got a JSON {type(data).__name__}")
    if data and all(isinstance(r, dict) for r in data) and any(get_field(r, COMPLETION_FIELDS)[0] for r in data[:50]):
        from rewardkit.metrics.results import completions_to_results

        sizes = {img["id"]: (img["width"], img["height"]) for img in gt.get("images", []) if "width" in img}
        res, stats = completions_to_results(
            data, gt.get("categories", []), frame=args.frame, score_policy=args.score_policy,
            constant_score=args.constant_score, image_sizes=sizes, answer=args.answer, dialect=args.dialect,
        )  # fmt: skip
        return res, stats
    bad = next((i for i, r in enumerate(data) if not isinstance(r, dict) or "image_id" not in r), None)
    if bad is not None:
        raise CliError(
            f"Expected --pred {args.pred!r} to hold detections with 'image_id', 'category_id', 'bbox' (or "
            f"'segmentation' / 'keypoints') and 'score', but entry {bad} is {str(data[bad])[:80]}"
        )
    return data, None


# ----------------------------------------------------------------------------- commands


def _cmd_coco(args: argparse.Namespace) -> int:
    from rewardkit.metrics.coco import DET_STAT_NAMES, KPT_STAT_NAMES, coco_evaluate

    gt = load_annotations(args.gt, "coco")
    _check_categories(args.categories, gt)
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
        write_json(args.json, payload, {"precision": r["precision"], "recall": r["recall"], "scores": r["scores"]})
    if args.plot:
        _plot(args.plot, {**r, "iou_type": args.iou_type}, "coco")
    return 0


def _coco_sharded(args: argparse.Namespace, gt: dict[str, Any], res: list[Any], params: dict[str, Any]) -> dict[str, Any]:
    """Images cut into ``--shards`` matched apart and accumulated once.

    The shards run as Ray tasks with ``--engine ray``; the numbers are those of one pass.
    """
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

    gt = load_annotations(args.gt, "lvis")
    _check_categories(args.categories, gt)
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
        write_json(args.json, payload, {"precision": r["precision"], "recall": r["recall"]})
    if args.plot:
        _plot(args.plot, {**r, "iou_type": args.iou_type}, "lvis")
    return 0


_EXTRA_GT_FIELDS = ("bbox", "box", "label", "count")


def _rows_of(path: str) -> tuple[list[Any], list[Any], list[dict[str, Any]]]:
    """Completions, ground truths and rows of a JSONL file.

    The column names are those of ``rewardkit score``, plus ``bbox`` / ``box`` /
    ``label`` / ``count``.
    """
    rows = read_jsonl(path, "--pred")
    if not rows:
        raise CliError(f"--pred {path!r} has no rows", 1)
    comps, gts = [], []
    for i, row in enumerate(rows, start=1):
        cname, completion = get_field(row, COMPLETION_FIELDS)
        gname, gt = get_field(row, GROUND_TRUTH_FIELDS + _EXTRA_GT_FIELDS)
        if gname is None:
            raise CliError(f"--pred {path!r}: row {i} has no ground truth (one of {', '.join(GROUND_TRUTH_FIELDS + _EXTRA_GT_FIELDS)}); its keys: {sorted(row)}")
        comps.append(completion if cname is not None else "")
        gts.append(gt)
    return comps, gts, rows


def _cmd_refcoco(args: argparse.Namespace) -> int:
    from rewardkit.metrics.grounding import grounding_evaluate

    comps, gts, rows = _rows_of(args.pred)
    r = grounding_evaluate(
        comps, gts,
        iou_threshold=args.threshold, inclusive=args.comparison == ">=", pred_frame=args.pred_frame,
        gt_frame=args.gt_frame, image_sizes=[row.get("image_size") for row in rows],
        prompts=[row.get("prompt") for row in rows], progress=not args.quiet and len(rows) > 2000,
        answer=args.answer, dialect=args.dialect, min_pixels=args.min_pixels, max_pixels=args.max_pixels,
    )  # fmt: skip
    label = f"Acc@{args.threshold:g}"
    _print_table([label, "mIoU"], {label: r["acc"], "mIoU": r["miou"]},
                 f"RefCOCO-style grounding: {r['n']} expressions, IoU {args.comparison} {args.threshold:g}, "
                 f"unreadable={r['n_unreadable']}, dialect {r['dialect']}, answer {r['answer']}, "
                 f"frames {r['pred_frame']} -> {args.gt_frame}")  # fmt: skip
    if args.json:
        write_json(args.json, {k: v for k, v in r.items()})
    if args.plot:
        _plot(args.plot, r, "refcoco")
    return 0


def _cmd_classification(args: argparse.Namespace) -> int:
    from rewardkit.metrics.accuracy import classification_accuracy, counting_accuracy

    comps, gts, rows = _rows_of(args.pred)
    prompts = [row.get("prompt") for row in rows]
    if args.task == "counting":
        r = counting_accuracy(comps, gts, tolerance=args.tolerance, prompts=prompts, answer=args.answer,
                              progress=not args.quiet and len(rows) > 2000)
        _print_table(["accuracy"], r, f"counting: {r['n']} answers, tolerance {args.tolerance}, unreadable={r['n_unreadable']}")
        print(f"MAE (readable answers): {r['mae']:.3f}")
    else:
        synonyms = read_json(args.synonyms, "--synonyms") if args.synonyms else None
        if synonyms is not None and not isinstance(synonyms, dict):
            raise CliError(f'Expected --synonyms {args.synonyms!r} to hold {{"class": ["synonym", ...]}}, but got a JSON {type(synonyms).__name__}')
        r = classification_accuracy(
            comps, gts, synonyms=synonyms, compat=args.compat, prompts=prompts, answer=args.answer,
            progress=not args.quiet and len(rows) > 2000,
        )
        _print_table(["accuracy", "mean_per_class", "strict_format"], r,
                     f"classification: {r['n']} answers, {len(r['per_class'])} classes, unreadable={r['n_unreadable']}")  # fmt: skip
    if args.json:
        write_json(args.json, r)
    return 0


def register(subparsers: Any) -> None:
    """Add ``eval`` with kinds ``coco``, ``lvis``, ``refcoco``, ``classification``.

    And ``lisa``, ``sod`` from :mod:`rewardkit.cli.eval_masks`.

    Args:
        subparsers: The ``add_subparsers()`` object of the ``rewardkit`` parser.
    """
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
    p.set_defaults(func=json_to_stdout(_cmd_coco))

    p = kinds.add_parser("lvis", help="LVIS AP (APr/APc/APf), identical to lvis-api 0.5.3")
    _add_detection(p)
    p.add_argument("--max-dets", type=int, default=300, help="detections kept per image across categories (300)")
    p.add_argument("--backend", choices=("native", "lvis"), default="native")
    p.set_defaults(func=json_to_stdout(_cmd_lvis))

    p = kinds.add_parser("refcoco", help="referring-expression grounding: Acc@0.5 and mean IoU")
    p.add_argument("--pred", required=True, help="JSONL rows with 'completion' and 'ground_truth' (box), optional 'image_size' (- for standard input)")
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("--comparison", choices=(">=", ">"), default=">=", help=">= (Qwen-VL, InternVL) or > (VLM-R1, Griffon)")
    p.add_argument("--pred-frame", default=None, help="frame of the predicted boxes (default: the dialect's, norm1000 for visual_rft)")
    p.add_argument("--gt-frame", default="norm1000")
    p.add_argument("--min-pixels", type=int, default=None, help="Qwen2.5-VL processor min_pixels (frame qwen25vl)")
    p.add_argument("--max-pixels", type=int, default=None, help="Qwen2.5-VL processor max_pixels (frame qwen25vl)")
    _add_answer(p)
    _add_dialect(p)
    p.add_argument("--plot", metavar="DIR", help="write iou_histogram.png (threshold marked) to DIR (needs the 'plot' extra)")
    _add_common(p)
    p.set_defaults(func=json_to_stdout(_cmd_refcoco))

    p = kinds.add_parser("classification", help="classification or counting accuracy of completions")
    p.add_argument("--pred", required=True, help="JSONL rows with 'completion' and 'ground_truth' (- for standard input)")
    p.add_argument("--task", choices=("classification", "counting"), default="classification")
    p.add_argument("--synonyms", metavar="FILE.json", help='{"class": ["synonym", ...]}')
    p.add_argument("--compat", choices=("visual_rft", "substring"), default=None,
                   help="visual_rft: the released Visual-RFT reward (substring rule; 'substring' is its old name)")
    p.add_argument("--tolerance", type=int, default=0, help="counting: accepted absolute error")
    _add_answer(p)
    _add_common(p)
    p.set_defaults(func=json_to_stdout(_cmd_classification))

    from rewardkit.cli.eval_masks import register_kinds

    register_kinds(kinds)
