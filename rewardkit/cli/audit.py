"""``rewardkit audit [REWARD ...]``: run the reward-hacking probes of
:mod:`rewardkit.auditing` and print one row per probe."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rewardkit.cli._params import check_params, parse_param

__all__ = ["register", "format_rows"]


def format_rows(rows: list[dict[str, Any]], show_all: bool = False) -> str:
    """A fixed-width table: reward, probe, score, max, paid (not applicable rows hidden
    unless ``show_all``)."""
    shown = [r for r in rows if show_all or r["applicable"]]
    wr = max((len(r["reward"]) for r in shown), default=6)
    wp = max((len(r["probe"]) for r in shown), default=5)
    lines = [f"{'reward':<{wr}}  {'probe':<{wp}}  {'score':>8}  {'max':>5}  {'ref':>8}  paid  reason"]
    for r in shown:
        score = "n/a" if r["score"] is None else f"{r['score']:.4g}"
        ref = "" if r.get("reference") is None else f"{r['reference']:.4g}"
        paid = "PAID" if r["paid"] else ("-" if r["applicable"] else "n/a")
        why = r.get("error") or r.get("reason") or ""
        lines.append(f"{r['reward']:<{wr}}  {r['probe']:<{wp}}  {score:>8}  {r['max_score']:>5g}  {ref:>8}  {paid:<4}  {why}")
    return "\n".join(lines)


def _cmd_audit(args: argparse.Namespace) -> int:
    from rewardkit.auditing import audit_many, paid_rows

    params = dict(args.param or [])
    if args.rewards:
        from rewardkit.registry import get_spec

        for name in args.rewards:
            get_spec(name)  # KeyError "did you mean" -> one line, exit 2
    check_params(params, args.rewards or None)
    rows = audit_many(args.rewards or None, **params)
    print(format_rows(rows, show_all=args.all))
    paid = paid_rows(rows)
    n_app = sum(1 for r in rows if r["applicable"])
    print(f"\n{len(paid)} of {n_app} applicable probes paid")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, default=str))
        print(f"wrote {args.json}")
    return 1 if (args.strict and paid) else 0


def register(subparsers: Any) -> None:
    """Add the ``audit`` command (called by :mod:`rewardkit.cli`)."""
    p = subparsers.add_parser(
        "audit",
        help="run reward-hacking probes against rewards",
        description=(
            "Score adversarial completions (empty answers, [] on images with objects, a whole-image box, "
            "junk and duplicate boxes, 'A or B' and prefix labels, several answer blocks, nonsense, a think "
            "block only, the echoed prompt, wrong frames, huge and negative numbers) and report which ones "
            "each reward pays. Without names, every registered reward is audited."
        ),
    )
    p.add_argument("rewards", nargs="*", metavar="REWARD", help="reward names (default: all registered)")
    p.add_argument("--param", action="append", type=parse_param, metavar="KEY=VALUE",
                   help="reward parameter (JSON value) applied to every audited reward, repeatable")
    p.add_argument("--json", metavar="OUT", help="write the rows as JSON")
    p.add_argument("--all", action="store_true", help="also show probes that do not apply")
    p.add_argument("--strict", action="store_true", help="exit with status 1 when a probe is paid")
    p.set_defaults(func=_cmd_audit)
