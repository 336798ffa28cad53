"""``rewardkit list``: the registry, one reward per line.

Each with its description and its parameters (``--json`` for tools, with JSON values).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from rewardkit.cli._errors import CliError
from rewardkit.io import to_jsonable

__all__ = ["register"]


def _value(v: Any) -> Any:
    """A default as a JSON value (tuples become lists; anything else its repr)."""
    v = to_jsonable(v)
    try:
        json.dumps(v)
        return v
    except (TypeError, ValueError):
        return repr(v)


def _cmd_list(args: argparse.Namespace) -> int:
    from rewardkit.registry import describe_params, get_spec, list_rewards, list_tasks, resolve_task

    if args.task is not None and resolve_task(args.task) not in list_tasks():
        raise CliError(f"Unknown task {args.task!r}; the tasks are: {', '.join(list_tasks())}")
    names = list_rewards(task=args.task)
    if args.json:
        out = []
        for n in names:
            s = get_spec(n)
            params = describe_params(n)
            out.append({
                "name": n, "task": s.task, "range": list(s.range), "components": list(s.components),
                "tags": sorted(s.tags), "summary": s.summary,
                "params": {p.name: _value(p.default) for p in params},
                "choices": {p.name: list(p.choices) for p in params if p.choices},
            })  # fmt: skip
        print(json.dumps(out, indent=2))
        return 0
    width = max((len(n) for n in names), default=10)
    print(f"{'name':<{width}}  {'task':<15}{'range':<12}components")
    for n in names:
        s = get_spec(n)
        rng = f"[{s.range[0]:g}, {s.range[1]:g}]"
        print(f"{n:<{width}}  {s.task:<15}{rng:<12}{', '.join(s.components)}")
        if args.brief:
            continue
        if s.summary:
            print(f"    {s.summary}")
        params = [p for p in describe_params(n) if p.name not in ("prompt", "strict")]
        if params:
            cells = [f"{p.name}={json.dumps(_value(p.default))}" for p in params]
            print("    params: " + ", ".join(cells))
    return 0


def register(subparsers: Any) -> None:
    """Add the ``list`` command.

    Args:
        subparsers: The ``add_subparsers()`` object of the ``rewardkit`` parser.
    """
    p = subparsers.add_parser("list", help="list registered rewards with their parameters")
    p.add_argument("--task", help="only rewards of this task")
    p.add_argument("--json", action="store_true", help="machine-readable output (JSON values)")
    p.add_argument("--brief", action="store_true", help="one line per reward (no description or parameters)")
    p.set_defaults(func=_cmd_list)
