"""``rewardkit doctor FILE``: which reading (dialect, frames) fits these completions?

Scores the rows that have a ground truth under every candidate reading that can apply
(:func:`rewardkit.doctor.diagnose`) and prints one line per candidate (mean reward,
mean IoU, share of rows read, share flagged ``out_of_frame`` / ``suspect_frame_norm1``)
and a verdict::

    $ rewardkit doctor preds.jsonl --reward grounding.iou --param gt_frame=pixel
    ...
    predictions look like qwen2_5_vl (frame qwen25vl); you scored them as visual_rft
    (frame norm1000): add --param dialect=qwen2_5_vl

``--json`` prints ``{"reward", "current": {...}, "best": {"dialect", "pred_frame",
"gt_frame", "mean_score", ...}, "candidates": [...], "verdict"}``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rewardkit.cli._errors import CliError
from rewardkit.cli._params import parse_param

__all__ = ["register"]


def _fmt(v: Any, pct: bool = False) -> str:
    if v is None:
        return "-"
    return f"{100 * v:.0f}%" if pct else f"{v:.4f}"


def render(d: dict[str, Any], top: int = 12) -> str:
    """The doctor's report as text (candidates best first, the current one marked)."""
    cur = d["current"]
    lines = [f"{d['reward']}: {d['n_rows']} rows with ground truth", ""]
    lines.append(f"  {'':2}{'dialect':<14}{'frame':<10}{'gt_frame':<10}{'score':>9}{'IoU':>9}{'read':>7}{'out':>6}{'susp':>6}")
    shown = d["candidates"][:top]
    if cur not in shown:
        shown = [*shown, cur]
    for c in shown:
        mark = "* " if c is cur else "  "
        lines.append(
            f"  {mark}{c['dialect']:<14}{c['frame']:<10}{c['gt_frame']:<10}{_fmt(c['mean_score']):>9}"
            f"{_fmt(c['mean_iou']):>9}{_fmt(c['read_rate'], True):>7}{_fmt(c['out_of_frame'], True):>6}"
            f"{_fmt(c['suspect_frame_norm1'], True):>6}"
        )
    lines.append("  (* = the reading you scored with)")
    lines.append("")
    lines.append(d["verdict"] or "the current reading fits best (no better candidate)")
    return "\n".join(lines)


def _cmd_doctor(args: argparse.Namespace) -> int:
    from rewardkit.doctor import diagnose
    from rewardkit.io import iter_jsonl, to_jsonable

    src = Path(args.file)
    if not src.is_file():
        raise CliError(f"no such file: {src}")
    if args.limit < 1:
        raise CliError(f"--limit must be at least 1, but got {args.limit}")
    if args.reward:
        from rewardkit.registry import get_spec

        get_spec(args.reward)  # KeyError with suggestions -> one line
    try:
        d = diagnose(iter_jsonl(src), args.reward, dict(args.param or []), limit=args.limit)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print(json.dumps(to_jsonable(d), indent=2))
    else:
        print(render(d))
    return 0


def register(subparsers: Any) -> None:
    """Add the ``doctor`` command."""
    p = subparsers.add_parser("doctor", help="which dialect and frames fit these completions?", description=(
        "Score the rows that have a ground truth under every candidate reading (model dialect, prediction "
        "frame, ground-truth frame) and say which one fits: mean reward and IoU per candidate, share of "
        "out_of_frame / suspect_frame flags, and a verdict with the --param to add."))
    p.add_argument("file", help="input JSONL file (the columns of `rewardkit score`)")
    p.add_argument("--reward", help="reward name (default: the rows' 'reward' column)")
    p.add_argument("--param", action="append", type=parse_param, metavar="KEY=VALUE",
                   help="the parameters you scored with (JSON value), repeatable")
    p.add_argument("--limit", type=int, default=200, help="rows to try (the first N with ground truth; 200)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_doctor)
