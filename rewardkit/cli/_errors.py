"""How a command ends: one line for a user's mistake, a traceback only with ``--debug``."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable

__all__ = ["CliError", "run_command", "fail"]


class CliError(Exception):
    """A user's mistake: printed as ``rewardkit: error: <message>``; exit ``code`` (2)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 2) -> CliError:
    """``raise fail("...")``: a :class:`CliError` to raise."""
    return CliError(message, code)


def _one_line(exc: BaseException) -> str:
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    text = " ".join(text.split())
    return text or type(exc).__name__


def run_command(func: Callable[[argparse.Namespace], int | None], args: argparse.Namespace, *, debug: bool = False) -> int:
    """Run a command; turn errors into one line on stderr and a non-zero exit."""
    try:
        return int(func(args) or 0)
    except CliError as exc:
        if debug:
            traceback.print_exc()
        print(f"rewardkit: error: {_one_line(exc)}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("rewardkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `rewardkit ... | head`
        return 0
    except (OSError, ValueError, KeyError, TypeError, UnicodeError, ImportError) as exc:
        if debug:
            traceback.print_exc()
        print(f"rewardkit: error: {_one_line(exc)}", file=sys.stderr)
        return 2
