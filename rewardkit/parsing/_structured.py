"""Load a structured payload (JSON or a Python literal) from model output, safely.

Order: strip code fences -> ``json.loads`` -> ``ast.literal_eval`` -> repair a cut-off
tail (drop the incomplete last item, close the open brackets) -> load again.

Bounds: payloads longer than :data:`MAX_PAYLOAD_CHARS` or nested deeper than
:data:`MAX_DEPTH` are refused before any loader runs (``ast.literal_eval`` recurses
and ``json`` can exhaust the stack on hostile nesting). Nothing here raises.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

__all__ = ["load_structured", "strip_fences", "MAX_PAYLOAD_CHARS", "MAX_DEPTH"]

MAX_PAYLOAD_CHARS = 200_000
MAX_DEPTH = 16

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\r?\n?")


def strip_fences(text: str) -> str:
    """Content of the first ```` ``` ```` fenced block (an unclosed fence runs to the end)."""
    m = _FENCE.search(text)
    if m is None:
        return text
    rest = text[m.end():]
    end = rest.find("```")
    return rest if end < 0 else rest[:end]


_STRINGS = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')
_BRACKETS = re.compile(r"[\[\]{}()]")


def _max_depth(text: str) -> int:
    """Deepest bracket nesting outside string literals."""
    depth = best = 0
    for ch in _BRACKETS.findall(_STRINGS.sub("", text)):
        if ch in "[{(":
            depth += 1
            if depth > best:
                best = depth
        else:
            depth -= 1
    return best


_LINE_JOIN = re.compile(r"([\]}])[ \t]*\r?\n\s*([\[{])")
_PY_TO_JSON = {"nan": "NaN", "inf": "Infinity", "None": "null", "True": "true", "False": "false"}
_PY_WORDS = re.compile(r"(?<![\w.])(-?)(nan|inf|None|True|False)(?![\w.])")


def _py_words_to_json(text: str) -> str:
    """Replace python's nan/inf/None/True/False by their JSON spelling outside strings."""
    out: list[str] = []
    pos = 0
    for m in _STRINGS.finditer(text):
        out.append(_PY_WORDS.sub(lambda w: w.group(1) + _PY_TO_JSON[w.group(2)], text[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_PY_WORDS.sub(lambda w: w.group(1) + _PY_TO_JSON[w.group(2)], text[pos:]))
    return "".join(out)


def _try_load(text: str) -> tuple[bool, Any]:
    swap = '"' not in text and "\\" not in text and "'" in text
    if not swap:
        try:
            return True, json.loads(text)
        except (ValueError, RecursionError, TypeError):
            pass
    else:
        # python literal with single-quoted strings and no escapes: same value as JSON
        try:
            return True, json.loads(text.replace("'", '"'))
        except (ValueError, RecursionError, TypeError):
            pass
    if _max_depth(text) > MAX_DEPTH:
        return False, None
    try:
        return True, ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError, AttributeError, KeyError, IndexError):
        pass
    if _PY_WORDS.search(text) and ('"' not in text or "'" not in text) and "\\" not in text:
        # python repr of a non-finite float (`nan`, `inf`), possibly beside None/True:
        # neither json nor literal_eval reads it; map the words to JSON and retry, so the
        # box holding it is dropped by the bad-coordinate rule instead of failing the payload
        t = _py_words_to_json(text.replace("'", '"'))
        try:
            return True, json.loads(t)
        except (ValueError, RecursionError, TypeError):
            pass
    return False, None


def _repair_tail(text: str) -> str | None:
    """Close a payload cut off mid-way: keep complete items, close open brackets.

    ``[{"bbox_2d": [1, 2, 3, 4]}, {"bbox_2d": [5, 6`` -> ``[{"bbox_2d": [1, 2, 3, 4]}]``.
    """
    stack: list[str] = []
    in_str: str | None = None
    esc = False
    # positions right after a complete element at depth 1 (a closed '}' or ']' or ')')
    last_cut = -1
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == in_str:
                in_str = None
            continue
        if ch in "\"'":
            in_str = ch
        elif ch in "[{(":
            stack.append({"[": "]", "{": "}", "(": ")"}[ch])
        elif ch in "]})":
            if not stack or stack[-1] != ch:
                return None
            stack.pop()
            if len(stack) == 1:
                last_cut = i + 1
            elif not stack:
                return None  # already complete; nothing to repair
    if not stack:
        return None
    if last_cut < 0:
        return None
    outer = text.lstrip()[:1]
    closer = {"[": "]", "{": "}", "(": ")"}.get(outer)
    if closer is None:
        return None
    return text[:last_cut] + closer


def load_structured(text: str) -> tuple[bool, Any, dict[str, Any]]:
    """Parse ``text`` as JSON or a Python literal. Returns ``(ok, value, details)``."""
    details: dict[str, Any] = {}
    if len(text) > MAX_PAYLOAD_CHARS:
        details["error"] = "too_long"
        return False, None, details
    body = text.strip()
    if "```" in body:
        m = _FENCE.search(body)
        if m is not None:
            rest = body[m.end():]
            end = rest.find("```")
            outside = body[: m.start()] + ("" if end < 0 else rest[end + 3:])
            if outside.strip():
                details["text_outside_fence"] = True  # prose around the fence (read, but not a clean template)
        body = strip_fences(body).strip()
        details["fenced"] = True
    if not body or body[0] not in "[{(":
        # allow a leading label such as 'json' or prose before the first bracket
        starts = [i for i in (body.find("["), body.find("{")) if i >= 0]
        if not starts:
            details["error"] = "no_structure"
            return False, None, details
        body = body[min(starts):]
        details["skipped_prefix"] = True
    ok, value = _try_load(body)
    if ok:
        return True, value, details
    # one structure per line (JSON-Lines style): "[..]\n[..]" or "{..}\n{..}" -> a list of them
    if _LINE_JOIN.search(body):
        ok, value = _try_load("[" + _LINE_JOIN.sub(r"\1, \2", body) + "]")
        if ok:
            if value and all(isinstance(v, list) and v and all(isinstance(x, dict) for x in v) for v in value):
                value = [x for v in value for x in v]  # "[{..}]\n[{..}]": one list of items
            details["joined_lines"] = True
            return True, value, details
    # trailing prose after a complete structure: cut at the matching bracket
    trimmed = _cut_at_balance(body)
    if trimmed is not None and trimmed != body:
        ok, value = _try_load(trimmed)
        if ok:
            details["trimmed_suffix"] = True
            return True, value, details
    repaired = _repair_tail(body)
    if repaired is not None:
        ok, value = _try_load(repaired)
        if ok:
            details["repaired"] = True
            return True, value, details
    details["error"] = "unparseable"
    return False, None, details


def _cut_at_balance(text: str) -> str | None:
    depth = 0
    in_str: str | None = None
    esc = False
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == in_str:
                in_str = None
            continue
        if ch in "\"'":
            in_str = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
            if depth == 0:
                return text[: i + 1]
    return None
