"""The ``rewardkit`` command line: one module per command, each with ``register(subparsers)``.

``rewardkit score FILE``   score a JSONL file of completions, one output row per input row
``rewardkit list``         print the registry
``rewardkit eval KIND``    dataset metrics (COCO, LVIS, RefCOCO, LISA, SOD, ...)
``rewardkit audit NAME``   reward-hacking probes against registered rewards
``rewardkit doctor FILE``  which reading (model dialect, frames) fits these completions
``rewardkit show FILE``    a picture of what the reward saw on one row
``rewardkit report FILE``  a self-contained HTML report of a scored file or a training run
``rewardkit serve``        an HTTP reward service (the ``serve`` extra: Starlette, uvicorn)

The CLI owns argument parsing and messages, never formulas. A user's mistake ends in one
line ``rewardkit: error: ...`` on stderr and exit status 2 (``--debug`` shows the
traceback; it may stand anywhere on the line). Heavy modules (matplotlib, multiprocessing pools) are imported only by the
command that needs them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rewardkit.cli import audit as _audit
from rewardkit.cli import doctor as _doctor
from rewardkit.cli import eval as _eval
from rewardkit.cli import list as _list
from rewardkit.cli import report as _report
from rewardkit.cli import score as _score
from rewardkit.cli import serve as _serve
from rewardkit.cli import show as _show
from rewardkit.cli._errors import CliError, OneLineParser, pop_debug, run_command

__all__ = ["main", "build_parser", "CliError", "COMMANDS"]

COMMANDS = (_score, _list, _eval, _audit, _show, _report, _serve, _doctor)
"""Command modules, in the order ``rewardkit --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    from rewardkit import __version__

    parser = OneLineParser(prog="rewardkit", description="Verifiable visual rewards and metrics for VLM RL.")
    parser.add_argument("--version", action="version", version=f"rewardkit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error (anywhere on the line)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in COMMANDS:
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv, debug = pop_debug([*(sys.argv[1:] if argv is None else argv)])
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except CliError as exc:
        print(f"rewardkit: error: {exc}", file=sys.stderr)
        return exc.code
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return run_command(args.func, args, debug=debug)
