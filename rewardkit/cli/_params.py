"""``--param KEY=VALUE``: the one parser for every command, and the up-front check.

The names and values are checked against the registry before any row is read.
"""

from __future__ import annotations

import argparse
import difflib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from rewardkit.cli._errors import CliError

__all__ = ["parse_param", "check_params"]


def parse_param(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` with a JSON value (``iou_threshold=0.7``, ``image_size=[640,480]``).

    A value that is not JSON is a string (``pred_frame=pixel``).

    Args:
        text: The ``--param`` argument.

    Returns:
        ``(key, value)``.

    Raises:
        argparse.ArgumentTypeError: no ``=`` or an empty key.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"Expected --param KEY=VALUE, but got {text!r}")
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw


def check_params(params: Mapping[str, Any], rewards: Iterable[str] | None) -> None:
    """Check ``params`` against the named rewards.

    With ``rewards=None`` they are checked against every registered reward: the name
    must belong to at least one and a value must be allowed by at least one. A mistake
    is a :class:`CliError` with a "did you mean".

    Args:
        params: The ``--param`` values.
        rewards: The reward names of the run, or None.

    Raises:
        CliError: an unknown parameter or a value no reward allows.
    """
    from rewardkit.registry import check_param_values, describe_params, get_spec, list_rewards

    if not params:
        return
    names = list(rewards) if rewards is not None else None
    try:
        if names is not None:
            for name in names:
                check_param_values(name, params)
            return
        every = list_rewards()
        known = set().union(*(set(get_spec(n).params) for n in every)) | {"strict", "step", "max_steps"}
        for key, value in params.items():
            if key not in known:
                close = difflib.get_close_matches(key, sorted(known), n=2, cutoff=0.6)
                hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
                raise CliError(f"--param {key}: no registered reward has a parameter {key!r}{hint}")
            allowed: list[Any] = []
            for n in every:
                if key not in get_spec(n).params:
                    continue
                try:
                    check_param_values(n, {key: value})
                    break  # some reward accepts it
                except ValueError:
                    p = next(p for p in describe_params(n) if p.name == key)
                    allowed.extend(c for c in p.choices or () if c not in allowed)
            else:
                if allowed:
                    close = difflib.get_close_matches(str(value), [str(c) for c in allowed], n=1, cutoff=0.6)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise CliError(f"--param {key}={value}: expected one of {', '.join(repr(c) for c in allowed)}, but got {value!r}{hint}")
    except ValueError as exc:
        raise CliError(f"--param: {exc}") from None
