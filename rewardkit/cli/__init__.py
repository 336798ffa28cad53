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
traceback). Heavy modules (matplotlib, multiprocessing pools) are imported only by the
command that needs them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from rewardkit.cli import audit as _audit
from rewardkit.cli import doctor as _doctor
from rewardkit.cli import eval as _eval
from rewardkit.cli import list as _list
from rewardkit.cli import report as _report
from rewardkit.cli import score as _score
from rewardkit.cli import serve as _serve
from rewardkit.cli import show as _show
from rewardkit.cli._errors import CliError, run_command

__all__ = ["main", "build_parser", "CliError", "COMMANDS"]

COMMANDS = (_score, _list, _eval, _audit, _show, _report, _serve, _doctor)
"""Command modules, in the order ``rewardkit --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    from rewardkit import __version__

    parser = argparse.ArgumentParser(prog="rewardkit", description="Verifiable visual rewards and metrics for VLM RL.")
    parser.add_argument("--version", action="version", version=f"rewardkit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in COMMANDS:
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return run_command(args.func, args, debug=bool(getattr(args, "debug", False)))
