"""``<think>...</think><answer>...</answer>`` tags.

The scan is a single linear pass over tag tokens (no backtracking regex over the whole
completion), so a megabyte of unclosed ``<answer>`` tags costs linear time.

Rules (docs/parsing.md):

* Tags match across newlines, are case-insensitive and tolerate whitespace inside the
  brackets (``< answer >``, ``</ answer>``).
* The LAST answer block is the answer. A final ``<answer>`` that is never closed (a
  completion cut at the length limit) still yields its text, flagged ``closed=False``.
* Strict format: exactly one think block followed by exactly one answer block, nothing
  but whitespace before, between and after.
* Lenient format: an answer block (closed) can be found.
* An echoed prompt (seen with Qwen3-VL) is removed when the caller passes ``prompt``.

The usual strict shape (one think block, one answer block, nothing else but whitespace,
no other tag token) is read with four ``str.find`` calls and gives exactly what the
scan gives; every other text takes the scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rewardkit.limits import MAX_COMPLETION_CHARS  # re-exported under its old name
from rewardkit.types import trusted

__all__ = ["TagParse", "parse_completion", "extract_answer", "strip_prompt", "completion_text", "MAX_COMPLETION_CHARS"]


# one way to match each tag (no two adjacent \s* around an optional "/": that pattern backtracks
# quadratically on "<" followed by a long run of whitespace)
_TAG = re.compile(r"<\s*(?:(/)\s*)?(think|answer)\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class TagParse:
    """Result of reading the tags of one completion."""

    answer: str | None
    think: str | None
    strict: bool
    lenient: bool
    n_think: int
    n_answer: int
    closed: bool = True
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.details.get("counts", {}))


def completion_text(completion: Any) -> str:
    """The text of a completion given as a string, UTF-8 bytes, or a TRL conversational
    message list.
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, bytes | bytearray | memoryview):
        return bytes(completion).decode("utf-8", "replace")
    if isinstance(completion, dict):
        content = completion.get("content", "")
        return completion_text(content)
    if isinstance(completion, list | tuple):
        parts = []
        for item in completion:
            if isinstance(item, dict):
                if item.get("role", "assistant") != "assistant" and "type" not in item:
                    continue
                if item.get("type") not in (None, "text"):
                    continue
                parts.append(completion_text(item.get("content", item.get("text", ""))))
            elif isinstance(item, str):
                parts.append(item)
        return "".join(parts)
    if completion is None:
        return ""
    return str(completion)


def strip_prompt(text: str, prompt: str | None) -> str:
    """Remove a prompt that the model echoed at the start of its completion."""
    if not prompt:
        return text
    p = prompt.strip()
    if not p:
        return text
    t = text.lstrip()
    if t.startswith(p):
        return t[len(p):]
    return text


_STRICT_COUNTS = {"<think>": 1, "</think>": 1, "<answer>": 1, "</answer>": 1}


def _new_tag_parse(fields: dict[str, Any]) -> TagParse:
    """A :class:`TagParse` from already checked fields, without the frozen dataclass'
    ``__init__`` (one ``object.__setattr__`` per field); equal to ``TagParse(**fields)``.
    """
    return trusted(TagParse, **fields)


def _strict_fast(text: str) -> TagParse | None:
    """The usual shape, ``<think>T</think><answer>A</answer>`` with only whitespace around
    and between the blocks and no other tag token anywhere, read with four ``str.find``
    calls; ``None`` for anything else (the general scan then reads it). Returns exactly
    what the general scan returns for such a text.
    """
    i = text.find("<think>")
    if i < 0:
        return None
    j = text.find("</think>", i + 7)
    if j < 0:
        return None
    k = text.find("<answer>", j + 8)
    if k < 0:
        return None
    e = text.find("</answer>", k + 8)
    if e < 0:
        return None
    if (i and not text[:i].isspace()) or (k > j + 8 and not text[j + 8 : k].isspace()):
        return None
    if e + 9 < len(text) and not text[e + 9 :].isspace():
        return None
    think = text[i + 7 : j]
    answer = text[k + 8 : e]
    # no other tag token: the scan would count it (and a '<' can only start one)
    if ("<" in think and _TAG.search(think)) or ("<" in answer and _TAG.search(answer)):
        return None
    return _new_tag_parse({
        "answer": answer.strip(), "think": think, "strict": True, "lenient": True, "n_think": 1, "n_answer": 1,
        "closed": True, "reason": None, "details": {"counts": dict(_STRICT_COUNTS)},
    })


def parse_completion(completion: Any, prompt: str | None = None) -> TagParse:
    """Read the think/answer structure of a completion. Never raises on model output."""
    text = completion if type(completion) is str else completion_text(completion)
    if prompt is not None:
        text = strip_prompt(text, prompt if isinstance(prompt, str) else None)
    if len(text) > MAX_COMPLETION_CHARS:
        text = text[:MAX_COMPLETION_CHARS]
    fast = _strict_fast(text)
    if fast is not None:
        return fast
    return _parse_general(text)


def _parse_general(text: str) -> TagParse:
    """The general linear scan over tag tokens (see the module docstring)."""
    tokens = [(m.start(), m.end(), m.group(1) == "/", m.group(2).lower()) for m in _TAG.finditer(text)]
    counts = {"<think>": 0, "</think>": 0, "<answer>": 0, "</answer>": 0}
    for _, _, close, name in tokens:
        counts[f"<{'/' if close else ''}{name}>"] += 1

    # last answer block: last '</answer>' with its nearest preceding '<answer>'
    answer: str | None = None
    closed = True
    last_open = None
    last_block: tuple[int, int] | None = None
    for start, end, close, name in tokens:
        if name != "answer":
            continue
        if not close:
            last_open = (start, end)
        elif last_open is not None:
            last_block = (last_open[1], start)
            last_open = None
    # an unclosed <answer> after the last closed block (cut-off completion)
    if last_open is not None and (last_block is None or last_open[1] > last_block[1]):
        answer = text[last_open[1]:]
        closed = False
    elif last_block is not None:
        answer = text[last_block[0]:last_block[1]]

    think: str | None = None
    t_open = None
    for start, end, close, name in tokens:
        if name != "think":
            continue
        if not close:
            t_open = end
        elif t_open is not None:
            think = text[t_open:start]
            t_open = None

    strict = False
    if [(c, n) for _, _, c, n in tokens] == [(False, "think"), (True, "think"), (False, "answer"), (True, "answer")]:
        (s0, _, _, _), (s1, e1, _, _), (s2, _, _, _), (_, e3, _, _) = tokens
        strict = not text[:s0].strip() and not text[e1:s2].strip() and not text[e3:].strip()

    lenient = answer is not None and closed
    reason = None
    if answer is None:
        reason = "no_answer_tag"
    elif not closed:
        reason = "unclosed_answer_tag"
    return TagParse(
        answer=answer.strip() if answer is not None else None,
        think=think,
        strict=strict,
        lenient=lenient,
        n_think=counts["<think>"],
        n_answer=counts["<answer>"],
        closed=closed,
        reason=reason,
        details={"counts": counts},
    )


def extract_answer(completion: Any, prompt: str | None = None) -> str | None:
    """The text of the last answer block (``None`` if there is none)."""
    return parse_completion(completion, prompt).answer
