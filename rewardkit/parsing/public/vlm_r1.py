r"""VLM-R1's reading of completions, as its released reward code does it.

Read from github.com/om-ai-lab/VLM-R1 at commit 90052f478646e38bc67363862f699b7afca6b337:
``src/open-r1-multimodal/src/open_r1/vlm_modules/qwen_module.py`` (REC ``iou_reward``) and
``src/open-r1-multimodal/src/open_r1/grpo_jsonl.py`` (``od_reward``, ``odLength_reward``,
``detection_score`` behind ``weighted_sum``, ``repetition_reward``, ``clean_text``).

* REC (:func:`rec_box`): the FIRST ``<answer>`` block (DOTALL; lower-case tags, closing
  tag required), stripped; in it the first ``[int, int, int, int]`` (no space after
  ``[``, no decimals, ``\d`` digits) is the box.
* OD (:func:`od_answer`, :func:`fenced_items`): the LAST ``<answer>`` block (DOTALL),
  stripped; in it the LAST ```` ```json ... ``` ```` fence, parsed with ``json.loads``;
  its items (iterating a dict gives its keys). No fence: no box.
* ``weighted_sum`` (:func:`clean_text`, :func:`first_fenced_items`): the text of the
  last answer block (or the whole completion), newlines dropped after whitespace and
  replaced by a space otherwise, stripped, trailing dots removed, LOWER-CASED (keys and
  labels included, so ``NaN`` no longer parses); then the FIRST json fence.
* Repetition (:func:`repetition_payload`): the whole completion; the first json fence,
  else the first fence, else the first ``[ {... "bbox_2d" ... "label" ... } ]`` span.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rewardkit.parsing.public import findall_blocks, positions, search_block

__all__ = ["rec_answer", "rec_box", "od_answer", "fenced_items", "clean_text", "first_fenced_items", "repetition_payload"]

_REC_BOX = re.compile(r"\[(\d+),\s*(\d+),\s*(\d+),\s*(\d+)]")


def rec_answer(content: str) -> str | None:
    block = search_block(content, "<answer>", "</answer>", dotall=True)
    return None if block is None else block.strip()


def rec_box(answer: str) -> list[int] | None:
    """The first integer box of the answer (ValueError past Python's int digit limit, which
    the public code catches).
    """
    m = _REC_BOX.search(answer)
    return None if m is None else [int(m.group(k)) for k in range(1, 5)]


def od_answer(content: str) -> str | None:
    blocks = findall_blocks(content, "<answer>", "</answer>", dotall=True)
    return blocks[-1].strip() if blocks else None


def fenced_items(text: str) -> list[Any]:
    """Items of the last json fence (``[]`` when there is none or it does not parse)."""
    blocks = findall_blocks(text, "```json", "```", dotall=True)
    if not blocks:
        return []
    try:
        return [item for item in json.loads(blocks[-1].strip())]
    except Exception:  # noqa: BLE001 - the public code catches everything here
        return []


_NL_AFTER_SPACE = {ch: re.compile(r"(?<=\s)" + re.escape(ch)) for ch in "\n\r"}
_NL_OTHER = {ch: re.compile(r"(?<!\s)" + re.escape(ch)) for ch in "\n\r"}


def clean_text(text: str) -> str:
    blocks = findall_blocks(text, "<answer>", "</answer>", dotall=True)
    if blocks:
        text = blocks[-1]
    for ch in "\n\r":
        text = _NL_AFTER_SPACE[ch].sub("", text)
        text = _NL_OTHER[ch].sub(" ", text)
    return text.strip().rstrip(".").lower()


def first_fenced_items(text: str) -> list[Any]:
    """Items of the FIRST json fence of ``clean_text(text)`` (``[]`` on failure)."""
    block = search_block(clean_text(text), "```json", "```", dotall=True)
    if not block or not block.strip():
        return []
    try:
        return [item for item in json.loads(block.strip())]
    except Exception:  # noqa: BLE001
        return []


def _bracket_span(text: str) -> str | None:
    r"""``re.search(r'\[\s*{.*?"bbox_2d".*?"label".*?}\s*\]', text, re.DOTALL)``: only the
    first ``[`` followed by whitespace and ``{`` can start the match (a later start has
    every later candidate too), then the nearest ``"bbox_2d"``, ``"label"`` and ``}``
    followed by whitespace and ``]``.
    """
    p = text.find("[")
    while p >= 0:
        q = p + 1
        while q < len(text) and text[q].isspace():
            q += 1
        if q < len(text) and text[q] == "{":
            break
        p = text.find("[", p + 1)
    else:
        return None
    b = text.find('"bbox_2d"', q + 1)
    if b < 0:
        return None
    lab = text.find('"label"', b + len('"bbox_2d"'))
    if lab < 0:
        return None
    ends = []
    for c in positions(text, "}", lab + len('"label"')):
        e = c + 1
        while e < len(text) and text[e].isspace():
            e += 1
        if e < len(text) and text[e] == "]":
            ends.append(e)
            break
    if not ends:
        return None
    return text[p : ends[0] + 1]


def repetition_payload(content: str) -> str | None:
    block = search_block(content, "```json", "```", dotall=True)
    if block is not None:
        return block.strip()
    block = search_block(content, "```", "```", dotall=True)
    text = block.strip() if block is not None else None
    if not text:
        text = _bracket_span(content)
    return text


