r"""Visual-RFT's reading of completions, as its released reward code does it.

Read from github.com/Liuziyu77/Visual-RFT at commit
94866331ff38c516581697882a00f947c8bfda8a: ``src/virft/src/open_r1/grpo.py`` (detection),
``grpo_classification.py`` (classification), ``grpo_lisa.py`` (LISA grounding).

* Answer (detection, classification): the FIRST ``<answer>...</answer>`` block found
  without DOTALL (no newline inside, the closing tag required), stripped; without one,
  the whole completion stripped.
* Detection payload (:func:`detection_items`): the answer is wrapped in
  ``<answer>...</answer>`` again, ``[[`` -> ``[``, ``]]`` -> ``]`` and newlines are removed,
  then the text between the first ``<answer>`` and the first ``</answer>`` is read; if it
  does not end with ``]`` the part after its last ``},`` is cut and ``}]`` appended;
  single quotes become double quotes and the result goes to ``json.loads``. A
  ``JSONDecodeError`` gives ``None``; any other error propagates (the reward function
  catches it and pays 0).
* LISA answer: the first ``<answer>`` block WITH DOTALL, stripped, else the whole
  completion stripped; corners are integer pairs ``(x1,y1),(x2,y2)`` divided by 1000
  (:func:`lisa_corners`: all top-left corners of every match, then all bottom-right
  ones, of which the reward uses the first two).
* Format: ``re.fullmatch(r"<think>.*?</think>\s*<answer>.*?</answer>", c, re.DOTALL)``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rewardkit.parsing.public import search_block, think_answer_fullmatch

__all__ = ["answer_text", "detection_items", "solution_items", "lisa_answer", "lisa_corners", "format_ok"]


def answer_text(content: str) -> str:
    """First single-line answer block, stripped; else the whole completion, stripped."""
    block = search_block(content, "<answer>", "</answer>", dotall=False)
    return block.strip() if block is not None else content.strip()


def _extract(text: str) -> Any:
    """The public ``extract_bbox`` of a text holding ``<answer>``: a JSON value or None."""
    if "<answer>" not in text:
        return None
    start = text.find("<answer>") + len("<answer>")
    end = text.find("</answer>")
    if end == -1:
        end = len(text)
    body = text[start:end]
    if not body.endswith("]"):
        body = body.rsplit("},", 1)[0] + "}]"
    try:
        return json.loads(body.replace("'", '"'))
    except json.JSONDecodeError:
        return None


def detection_items(content: str) -> Any:
    """The JSON value the public detection reward reads from a completion (None when it cannot be read).

    May raise on hostile input (RecursionError): callers treat any exception as the public code
    does (reward 0).
    """
    wrapped = "<answer>" + answer_text(content) + "</answer>"
    wrapped = wrapped.replace("[[", "[").replace("]]", "]").replace("\n", "")
    return _extract(wrapped)


def solution_items(solution: str) -> Any:
    """The ground-truth list read from the public ``solution`` string."""
    return _extract(solution.strip())


def lisa_answer(content: str) -> str:
    block = search_block(content, "<answer>", "</answer>", dotall=True)
    return block.strip() if block is not None else content.strip()


_PAIR = re.compile(r"\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*,\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)")


def lisa_corners(text: str) -> list[tuple[float, float]]:
    """Top-left corners of every ``(x1,y1),(x2,y2)`` match, then the bottom-right ones,
    each coordinate divided by 1000. May raise ValueError (integers over Python's digit
    limit), which the public code catches (reward 0).
    """
    matches = _PAIR.findall(text)
    tl = [(int(a) / 1000, int(b) / 1000) for a, b, _, _ in matches]
    br = [(int(c) / 1000, int(d) / 1000) for _, _, c, d in matches]
    return tl + br


def format_ok(content: str) -> bool:
    return think_answer_fullmatch(content)
