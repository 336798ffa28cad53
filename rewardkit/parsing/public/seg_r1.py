"""Seg-R1's reading of completions, as its released reward code does it.

Read from github.com/geshang777/Seg-R1 (snapshot github.com/chenqiu1024/Seg-R1, the
authors' initial commit ca1256fae478fcf89cbcbfdfd8caef105d285bce):
``seg-r1/src/open_r1/grpo.py`` ``parse_custom_format`` and ``format_reward``.

The whole completion is searched (no answer tag needed) for:

* the FIRST ``<points>[[x, y], ...]</points>`` of non-negative integers,
* the FIRST ``<labels>[l, ...]</labels>`` of non-negative integers,
* EVERY ``<bbox>[x1, y1, x2, y2]</bbox>`` of non-negative integers (a float box is not
  read);

tags are case-sensitive; whitespace is allowed around every number. The public code then
``eval``-s each matched list, so the whole reading fails (``(None, None, None)``) when
one of them is not a Python literal: a leading zero (``07``), a digit outside ASCII,
whitespace Python does not accept (only space, tab, newline, carriage return and form
feed), two items without a comma (``[[1,2][3,4]]``, ``[1 2]``). Points and labels are
dropped together when their counts differ. Nothing is evaluated here: the same rules
are checked token by token.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from rewardkit.parsing.public import search_block

__all__ = ["parse_custom_format", "has_think"]

# the public patterns, rewritten without ambiguous repetitions (same language)
_POINTS = re.compile(r"<points>\s*(\[\s*(?:\[\s*\d+\s*,\s*\d+\s*\]\s*(?:,\s*)?)+\])\s*</points>")
_LABELS = re.compile(r"<labels>\s*(\[\s*\d[\d\s]*(?:,\s*\d[\d\s]*)*(?:,\s*)?\])\s*</labels>")
_BBOX = re.compile(r"<bbox>\s*(\[\s*\d+\s*,\s*\d+\s*,\s*\d+\s*,\s*\d+\s*\])\s*</bbox>")
_PY_SPACE = frozenset(" \t\n\r\x0c")


class _NotALiteral(Exception):
    pass


def _int(tok: str) -> int:
    if not tok.isascii() or not tok.isdigit() or (len(tok) > 1 and tok[0] == "0" and tok.strip("0")):
        raise _NotALiteral(tok)
    return int(tok)  # ValueError past Python's integer digit limit, as eval raises


def _flat_ints(body: str) -> list[int]:
    """A comma-separated list of int literals with an optional trailing comma."""
    parts = body.split(",")
    if parts and not parts[-1].strip(" \t\n\r\x0c"):
        parts = parts[:-1]
        if not parts:
            raise _NotALiteral(body)
    out = []
    for part in parts:
        tok = part.strip(" \t\n\r\x0c")
        if not tok:
            raise _NotALiteral(body)
        out.append(_int(tok))
    return out


def _literal_ints(text: str) -> list[int]:
    """``eval`` of ``[int, ...]`` (the text matched a digits-only pattern)."""
    if any(ch.isspace() and ch not in _PY_SPACE for ch in text):
        raise _NotALiteral(text)
    return _flat_ints(text.strip()[1:-1])


def _literal_pairs(text: str) -> list[list[int]]:
    """``eval`` of ``[[int, int], ...]``: items must be separated by commas."""
    if any(ch.isspace() and ch not in _PY_SPACE for ch in text):
        raise _NotALiteral(text)
    inner = text.strip()[1:-1]
    pairs: list[list[int]] = []
    rest = inner
    while True:
        rest = rest.lstrip(" \t\n\r\x0c")
        if not rest:
            break
        if not rest.startswith("["):
            raise _NotALiteral(text)
        end = rest.index("]")
        pairs.append(_flat_ints(rest[1:end]))
        rest = rest[end + 1 :].lstrip(" \t\n\r\x0c")
        if rest.startswith(","):
            rest = rest[1:]
        elif rest:
            raise _NotALiteral(text)  # "[1,2][3,4]": a subscript, not a list item
    return pairs


def parse_custom_format(content: str) -> tuple[Any, Any, Any]:
    """``(points, labels, bboxes)`` as numpy arrays or None, as the public function."""
    pm = _POINTS.search(content)
    lm = _LABELS.search(content)
    try:
        points = np.array(_literal_pairs(pm.group(1))) if pm else None
        labels = np.array(_literal_ints(lm.group(1))) if lm else None
        if points is not None and labels is not None:
            if not (len(points.shape) == 2 and points.shape[1] == 2 and len(labels) == points.shape[0]):
                points, labels = None, None
        boxes = []
        for m in _BBOX.finditer(content):
            box = np.array(_literal_ints(m.group(1)))
            if len(box.shape) == 1 and box.shape[0] == 4:
                boxes.append(box)
        return points, labels, (np.stack(boxes, axis=0) if boxes else None)
    except (_NotALiteral, ValueError, OverflowError):
        return None, None, None


def has_think(content: str) -> bool:
    r"""``re.search(r"<think>([\s\S]*?)</think>", content)`` found a block."""
    return search_block(content, "<think>", "</think>", dotall=True) is not None
