"""``rewardkit report FILE -o report.html``: one self-contained HTML page.

The page is about a scored file or a training run (veRL rollout dumps, TRL completion tables, ``rewardkit score``
output, or raw completions, scored first).

    rewardkit report preds.jsonl -o report.html
    rewardkit report rollouts.jsonl --reward visual_rft.detection -o run.html

Per reward: score and component histograms on the declared range, reason counts, score
against the number of predicted boxes, the best / median / worst rows with their
``rewardkit show`` pictures; with a ``step`` column, each component's mean and spread and
each reason's share over training steps. Images, figures and styles are inlined; the
page requests nothing. Needs the ``plot`` extra.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rewardkit.cli._errors import CliError

__all__ = ["register"]


def _cmd_report(args: argparse.Namespace) -> int:
    src = Path(args.file)
    if not src.is_file():
        raise CliError(f"no such file: {src}")
    if args.reward:
        from rewardkit.registry import get_spec

        get_spec(args.reward)  # KeyError with suggestions -> one line
    if not 0 <= args.examples <= 10:
        raise CliError(f"--examples must be in [0, 10], got {args.examples}")
    from rewardkit.viz.report import build_report

    name = src.name
    for suffix in (".jsonl.gz", ".jsonl", ".json", ".gz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    out = Path(args.output) if args.output else Path(f"{name}.report.html")
    stats = build_report(src, out, reward=args.reward, params=dict(args.param or []), examples=args.examples,
                         title=args.title, picture_side=args.picture_side, progress=not args.quiet)  # fmt: skip
    if not args.quiet:
        rewards = ", ".join(f"{k} ({v})" for k, v in sorted(stats.rewards.items()))
        print(f"{stats.rows} rows: {rewards}")
        print(f"wrote {out} ({stats.bytes_written / 1e6:.1f} MB, {stats.pictures} pictures)")
    return 0


def register(subparsers: Any) -> None:
    """Add the ``report`` command.

    Args:
        subparsers: The ``add_subparsers()`` object of the ``rewardkit`` parser.
    """
    from rewardkit.cli._params import parse_param

    p = subparsers.add_parser("report", help="a self-contained HTML report of a scored file or a training run", description=(
        "Write one HTML page (no network, everything inlined) about a JSONL file: per reward, histograms on "
        "the declared range, reason counts, score against the number of predicted boxes, the best / median / "
        "worst rows drawn; with a 'step' column, curves over training steps. Needs the 'plot' extra."))  # fmt: skip
    p.add_argument("file", help="JSONL: raw completions, `rewardkit score` output, a veRL rollout dump, a TRL completions table")
    p.add_argument("-o", "--output", metavar="OUT.html", help="page to write (default: <file>.report.html here)")
    p.add_argument("--reward", help="reward name for rows without a 'reward' column (veRL dumps)")
    p.add_argument("--param", action="append", type=parse_param, metavar="KEY=VALUE", help="reward parameter (JSON value), repeatable")
    p.add_argument("--examples", type=int, default=2, metavar="K", help="rows drawn per group (best, median, worst) and reward (2)")
    p.add_argument("--picture-side", type=int, default=480, metavar="PX", help="longer side of each row picture (480)")
    p.add_argument("--title", help="page title")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")
    p.set_defaults(func=_cmd_report)
