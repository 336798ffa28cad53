r"""How the public projects' reward code reads a completion, reproduced without their code.

One module per public project (:mod:`.visual_rft`, :mod:`.vlm_r1`, :mod:`.vision_r1`,
:mod:`.seg_r1`, :mod:`.r1_v`). Each module names the repository and commit it was read
from. These readers back the ``compat="<project>"`` modes of the rewards
(:mod:`rewardkit.rewards.compat`); the default rewards never use them.

The public code reads completions with regular expressions, ``json.loads`` and, in
Seg-R1, ``eval``. Here the same acceptance rules are written as linear-time scans (a
lazy ``<answer>(.*?)</answer>`` search is quadratic on many unclosed tags) and nothing
is ever evaluated. Completions longer than :data:`MAX_COMPAT_CHARS` are refused by the
compat rewards (reason ``too_long``): the one place where a compat mode does not return
the public score.

The helpers below give exactly what the named ``re`` calls give:

* :func:`search_block`: ``re.search(r"<open>(.*?)<close>", text[, re.DOTALL])``;
* :func:`findall_blocks`: ``re.findall(r"<open>(.*?)<close>", text[, re.DOTALL])``;
* :func:`think_answer_fullmatch`:
  ``re.fullmatch(r"<think>.*?</think>\s*<answer>.*?</answer>", text, re.DOTALL)``.
"""

from __future__ import annotations

from bisect import bisect_left

__all__ = ["MAX_COMPAT_CHARS", "search_block", "findall_blocks", "think_answer_fullmatch", "positions"]

MAX_COMPAT_CHARS = 200_000


def positions(text: str, needle: str, start: int = 0) -> list[int]:
    """Start of every occurrence of ``needle`` (overlapping ones included)."""
    out = []
    i = text.find(needle, start)
    while i >= 0:
        out.append(i)
        i = text.find(needle, i + 1)
    return out


def _next_block(text: str, pos: int, open_tag: str, close_tag: str, dotall: bool,
                closes: list[int], newlines: list[int]) -> tuple[int, int] | None:
    """``(body start, closing start)`` of the block a lazy ``re.search`` finds from
    ``pos``: the leftmost opening tag followed by a closing tag (without ``dotall``, with
    no newline in between); the body ends at the nearest closing tag.
    """
    n_open = len(open_tag)
    p = text.find(open_tag, pos)
    while p >= 0:
        start = p + n_open
        k = bisect_left(closes, start)
        if k == len(closes):
            return None  # no closing tag after this opening, nor after any later one
        q = closes[k]
        if dotall:
            return start, q
        j = bisect_left(newlines, start)
        if j == len(newlines) or newlines[j] >= q:
            return start, q
        p = text.find(open_tag, p + 1)
    return None


def search_block(text: str, open_tag: str, close_tag: str, *, dotall: bool) -> str | None:
    """Body of the block ``re.search(open + "(.*?)" + close, text)`` finds, or None."""
    closes = positions(text, close_tag)
    if not closes:
        return None
    hit = _next_block(text, 0, open_tag, close_tag, dotall, closes, [] if dotall else positions(text, "\n"))
    return None if hit is None else text[hit[0] : hit[1]]


def findall_blocks(text: str, open_tag: str, close_tag: str, *, dotall: bool) -> list[str]:
    """Bodies ``re.findall(open + "(.*?)" + close, text)`` returns (non-overlapping, left
    to right).
    """
    closes = positions(text, close_tag)
    newlines = [] if dotall else positions(text, "\n")
    out: list[str] = []
    pos = 0
    while closes:
        hit = _next_block(text, pos, open_tag, close_tag, dotall, closes, newlines)
        if hit is None:
            break
        out.append(text[hit[0] : hit[1]])
        pos = hit[1] + len(close_tag)
    return out


def _is_space(ch: str) -> bool:
    return ch.isspace()


def think_answer_fullmatch(text: str) -> bool:
    r"""``re.fullmatch(r"<think>.*?</think>\s*<answer>.*?</answer>", text, re.DOTALL)``:
    the text starts with ``<think>`` and ends with ``</answer>``, and some ``</think>``
    is followed by whitespace and an ``<answer>`` that opens before the final
    ``</answer>`` (so several blocks inside still match).
    """
    if not text.startswith("<think>") or not text.endswith("</answer>"):
        return False
    end = len(text) - len("</answer>")
    i = text.find("</think>", len("<think>"))
    while i >= 0:
        j = i + len("</think>")
        while j < len(text) and _is_space(text[j]):
            j += 1
        if text.startswith("<answer>", j) and j + len("<answer>") <= end:
            return True
        i = text.find("</think>", i + 1)
    return False
