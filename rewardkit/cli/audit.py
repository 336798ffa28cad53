"""``rewardkit audit [REWARD ...]``: run the reward-hacking probes, one row per probe.

The probes are those of :mod:`rewardkit.auditing`; with ``--quality``, measure the
blind ceiling, learning signal and monotonicity of each reward
(:mod:`rewardkit.auditing.quality`) on ``--data ROWS.jsonl`` or the shipped default
dataset.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rewardkit.cli._params import check_params, parse_param

__all__ = ["register", "format_rows"]


def format_rows(rows: list[dict[str, Any]], show_all: bool = False) -> str:
    """A fixed-width table: reward, probe, score, max, paid.

    Not applicable rows are hidden unless ``show_all``.

    Args:
        rows: The audit rows.
        show_all: Also show the rows where the reward does not apply.

    Returns:
        The table text.
    """
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


def _cmd_quality(args: argparse.Namespace, params: dict[str, Any]) -> int:
    from rewardkit.auditing.quality import format_report, quality_report
    from rewardkit.auditing.quality_data import load_rows
    from rewardkit.cli._errors import CliError
    from rewardkit.registry import get_spec, list_rewards

    if args.strict:
        raise CliError("--strict applies to the probes, not to --quality")
    if args.group_size < 2:
        raise CliError(f"Expected --group-size >= 2, but got {args.group_size}")
    if args.max_rows < 1 or args.search_evals < 0:
        raise CliError("Expected --max-rows >= 1 and --search-evals >= 0")
    names = args.rewards or list_rewards()
    for n in names:
        get_spec(n)  # unknown names: one line with suggestions
    if args.data is not None and not Path(args.data).is_file():
        raise CliError(f"Expected --data to be a JSONL file of rows, but got {args.data!r} (no such file)")
    rows = load_rows(args.data)
    reports = []
    for n in names:
        rep = quality_report(n, rows=rows, seed=args.seed, group_size=args.group_size, max_rows=args.max_rows,
                             search_evals=args.search_evals, **params)
        rep["data"] = "default" if args.data is None else str(args.data)
        reports.append(rep)
        print(format_report(rep), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=1, default=str))
        print(f"wrote {args.json}")
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    from rewardkit.auditing import audit_many, paid_rows

    params = dict(args.param or [])
    if args.rewards:
        from rewardkit.registry import get_spec

        for name in args.rewards:
            get_spec(name)  # KeyError "did you mean" -> one line, exit 2
    check_params(params, args.rewards or None)
    if args.quality:
        return _cmd_quality(args, params)
    if args.data is not None:
        from rewardkit.cli._errors import CliError

        raise CliError("--data needs --quality (the probes use built-in samples)")
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
    """Add the ``audit`` command (called by :mod:`rewardkit.cli`).

    Args:
        subparsers: The ``add_subparsers()`` object of the ``rewardkit`` parser.
    """
    p = subparsers.add_parser(
        "audit",
        help="run reward-hacking probes against rewards",
        description=(
            "Score adversarial completions (empty answers, [] on images with objects, a whole-image box, "
            "junk and duplicate boxes, 'A or B' and prefix labels, several answer blocks, nonsense, a think "
            "block only, the echoed prompt, wrong frames, huge and negative numbers) and report which ones "
            "each reward pays. With --quality, score blind and graded honest policies instead and report the "
            "blind ceiling, the learning signal and the monotonicity of each reward. Without names, every "
            "registered reward is audited."
        ),
    )
    p.add_argument("rewards", nargs="*", metavar="REWARD", help="reward names (default: all registered)")
    p.add_argument("--param", action="append", type=parse_param, metavar="KEY=VALUE",
                   help="reward parameter (JSON value) applied to every audited reward, repeatable")
    p.add_argument("--json", metavar="OUT", help="write the rows as JSON")
    p.add_argument("--all", action="store_true", help="also show probes that do not apply")
    p.add_argument("--strict", action="store_true", help="exit with status 1 when a probe is paid")
    q = p.add_argument_group("quality (blind ceiling, learning signal, monotonicity)")
    q.add_argument("--quality", action="store_true",
                   help="measure the blind ceiling, the share of groups with a learning signal and the monotonicity "
                        "of each reward instead of running the probes")
    q.add_argument("--data", metavar="ROWS.jsonl",
                   help="rows {ground_truth, image_size, prompt[, split, task]} (default: the shipped dataset)")
    q.add_argument("--seed", type=int, default=0, help="seed of every policy (default 0)")
    q.add_argument("--group-size", type=int, default=8, metavar="G", help="completions per group (default 8)")
    q.add_argument("--max-rows", type=int, default=100, metavar="N", help="rows per split at most (default 100)")
    q.add_argument("--search-evals", type=int, default=100, metavar="N",
                   help="evaluations of the blind search on the training split (default 100)")
    p.set_defaults(func=_cmd_audit)
