"""How a command ends: one line for a user's mistake, a traceback only with ``--debug``."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn

__all__ = ["CliError", "run_command", "fail", "OneLineParser", "pop_debug"]


class CliError(Exception):
    """A user's mistake: printed as ``rewardkit: error: <message>``; exit ``code`` (2).

    Args:
        message: The one-line message.
        code: The exit status.
    """

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 2) -> CliError:
    """A :class:`CliError` with ``message`` and exit ``code``, for ``raise`` at the call site.

    Args:
        message: The one-line message.
        code: The exit status.

    Returns:
        The error (not raised).
    """
    return CliError(message, code)


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one :class:`CliError` line (exit 2).

    Not a usage block; ``--help`` still prints the usage. Takes
    :class:`argparse.ArgumentParser`'s arguments.
    """

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{self.prog}: {message} (see `{self.prog} --help`)")


def pop_debug(argv: list[str]) -> tuple[list[str], bool]:
    """Remove ``--debug`` wherever it stands (before ``--``).

    ``rewardkit eval coco ... --debug`` works as ``rewardkit --debug eval coco ...``.

    Args:
        argv: The command line arguments.

    Returns:
        ``(argv without --debug, whether it was there)``.
    """
    try:
        end = argv.index("--")
    except ValueError:
        end = len(argv)
    head = [a for a in argv[:end] if a != "--debug"]
    return head + argv[end:], len(head) != end


def _one_line(exc: BaseException) -> str:
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        text = f"{exc.strerror}: {exc.filename!r}"
    text = " ".join(text.split())
    return text or type(exc).__name__


def run_command(func: Callable[[argparse.Namespace], int | None], args: argparse.Namespace, *, debug: bool = False) -> int:
    """Run a command; turn errors into one line on stderr and a non-zero exit.

    Args:
        func: The command.
        args: Its parsed arguments.
        debug: Also print the traceback of an error.

    Returns:
        The exit status (2 for a mistake, 130 for an interrupt).
    """
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
    except (OSError, ValueError, LookupError, TypeError, UnicodeError, ImportError) as exc:
        if debug:
            traceback.print_exc()
        print(f"rewardkit: error: {_one_line(exc)}", file=sys.stderr)
        return 2
