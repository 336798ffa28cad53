"""``rewardkit list``: the registry, one reward per line (``--json`` for tools)."""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["register"]


def _cmd_list(args: argparse.Namespace) -> int:
    from rewardkit.registry import get_spec, list_rewards

    names = list_rewards(task=args.task)
    if args.json:
        print(json.dumps([
            {"name": n, "task": (s := get_spec(n)).task, "range": list(s.range), "components": list(s.components),
             "tags": sorted(s.tags), "params": {k: repr(v) for k, v in s.params.items()}, "summary": s.summary}
            for n in names
        ], indent=2))
        return 0
    width = max((len(n) for n in names), default=10)
    print(f"{'name':<{width}}  {'task':<15}{'range':<12}components")
    for n in names:
        s = get_spec(n)
        rng = f"[{s.range[0]:g}, {s.range[1]:g}]"
        print(f"{n:<{width}}  {s.task:<15}{rng:<12}{', '.join(s.components)}")
    return 0


def register(subparsers: Any) -> None:
    """Add the ``list`` command."""
    p = subparsers.add_parser("list", help="list registered rewards")
    p.add_argument("--task", help="only rewards of this task")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_list)
