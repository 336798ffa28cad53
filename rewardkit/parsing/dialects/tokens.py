"""Readers of location-token dialects: PaliGemma, Florence-2, Kosmos-2.

* ``paligemma``: ``<loc0256><loc0128><loc0768><loc0896> cat ; <loc...>... dog``: four
  ``<locNNNN>`` tokens per object in the order ``y_min, x_min, y_max, x_max``, each a bin
  of 1024 across the image, then the label (optionally after 16 ``<segNNN>`` mask
  tokens); objects separated by `` ; `` (google-research/big_vision PaliGemma README,
  "detect" task; HF space ``google/paligemma`` ``paligemma_parse.py``; supervision 0.31.2
  ``from_paligemma``: ``value / 1024 * size``). Read into ``norm1`` (bin / 1024).
* ``florence2``: ``car<loc_52><loc_333><loc_932><loc_774>wheel<loc_...>...``: the phrase,
  then four ``<loc_N>`` tokens ``x1, y1, x2, y2`` on 1000 bins. The processor maps a bin
  to its centre, ``(N + 0.5) * size / 1000`` (transformers 5.10.4
  ``models/florence2/processing_florence2.py``, ``Florence2PostProcessor.dequantize``; it
  then truncates to whole pixels, which this reader does not). Read into ``norm1``
  (``(N + 0.5) / 1000``).
* ``kosmos2``: ``<phrase>a cat</phrase><object><patch_index_0044><patch_index_0863></object>``,
  several boxes of one phrase joined by ``</delimiter_of_multi_objects/>``. A box is the
  pair (upper-left, lower-right) of cells of a 32 x 32 grid; the processor maps it to
  the cell centres, or to the outer cell edges when both cells share a row or a column
  (transformers 5.10.4 ``models/kosmos2/processing_kosmos2.py``,
  ``patch_index_to_coordinate``, ``num_patch_index_tokens=1024``). Read into ``norm1``.
"""

from __future__ import annotations

import re

from rewardkit.parsing.boxes import MAX_BOXES
from rewardkit.parsing.dialects._scan import (
    blocks,
    empty_boxes,
    finish_boxes,
    start_boxes,
)
from rewardkit.types import Boxes, ParseResult

__all__ = ["read_paligemma_boxes", "read_florence2_boxes", "read_kosmos2_boxes", "kosmos2_patch_box"]

_PALI_LOC = re.compile(r"<loc(\d{4})>")
_PALI_SEG = re.compile(r"<seg\d{3}>")
_FLORENCE_LOC = re.compile(r"<loc_(\d{1,4})>")
_FLORENCE_JUNK = ("<s>", "</s>", "<pad>", "<od>", "</od>", "<ground>", "<obj>")
_PATCH = re.compile(r"<patch_index_(\d{4})>")
KOSMOS2_GRID = 32


def _runs(matches: list[re.Match[str]], text: str) -> list[tuple[int, int, list[int]]]:
    """Runs of location tokens separated by whitespace only: ``(start, end, values)``."""
    out: list[tuple[int, int, list[int]]] = []
    cur: list[int] = []
    start = end = -1
    for m in matches:
        if cur and text[end:m.start()].strip() == "":
            cur.append(int(m.group(1)))
            end = m.end()
            continue
        if cur:
            out.append((start, end, cur))
        cur, start, end = [int(m.group(1))], m.start(), m.end()
        if len(out) > MAX_BOXES:
            break
    if cur:
        out.append((start, end, cur))
    return out


def _tokens(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    out = []
    for m in pattern.finditer(text):
        out.append(m)
        if len(out) > 4 * (MAX_BOXES + 1):
            break
    return out


def read_paligemma_boxes(payload: str) -> ParseResult[Boxes]:
    """PaliGemma boxes (``norm1`` frame) with the label that follows each box.

    Args:
        payload: The answer payload.

    Returns:
        A :class:`~rewardkit.types.ParseResult` of :class:`~rewardkit.types.Boxes`, or
        ``ok=False`` with a reason code.
    """
    text, early = start_boxes(payload, "loc_tokens")
    if early is not None:
        return early
    runs = _runs(_tokens(_PALI_LOC, text), text)
    coords: list[list[float]] = []
    labels: list[str | None] = []
    for k, (_, end, vals) in enumerate(runs):
        if len(vals) != 4:
            continue
        y1, x1, y2, x2 = (v / 1024.0 for v in vals)
        nxt = runs[k + 1][0] if k + 1 < len(runs) else len(text)
        tail = _PALI_SEG.sub("", text[end:nxt]).split(";", 1)[0].strip()
        coords.append([x1, y1, x2, y2])
        labels.append(tail or None)
    if not coords:
        return empty_boxes("unparseable", format="loc_tokens")
    return finish_boxes(coords, labels, "loc_tokens")


def read_florence2_boxes(payload: str) -> ParseResult[Boxes]:
    """Florence-2 boxes (``norm1`` frame, bin centres) with the phrase before each box.

    Args:
        payload: The answer payload.

    Returns:
        A :class:`~rewardkit.types.ParseResult` of :class:`~rewardkit.types.Boxes`, or
        ``ok=False`` with a reason code.
    """
    text, early = start_boxes(payload, "florence_loc")
    if early is not None:
        return early
    runs = _runs(_tokens(_FLORENCE_LOC, text), text)
    coords: list[list[float]] = []
    labels: list[str | None] = []
    prev_end = 0
    label: str | None = None
    for start, end, vals in runs:
        phrase = text[prev_end:start]
        for junk in _FLORENCE_JUNK:
            phrase = phrase.replace(junk, "")
        phrase = phrase.strip()
        if phrase:
            label = phrase  # several boxes after one phrase share it
        for i in range(0, len(vals) - len(vals) % 4, 4):
            x1, y1, x2, y2 = ((v + 0.5) / 1000.0 for v in vals[i:i + 4])
            coords.append([x1, y1, x2, y2])
            labels.append(label)
        prev_end = end
    if not coords:
        return empty_boxes("unparseable", format="florence_loc")
    return finish_boxes(coords, labels, "florence_loc")


def kosmos2_patch_box(ul: int, lr: int, grid: int = KOSMOS2_GRID) -> list[float]:
    """``[x1, y1, x2, y2]`` in ``norm1`` of the patch pair ``(ul, lr)`` on a ``grid x grid`` layout.

    Cell centres, or outer edges when the cells share a row or a column.

    Args:
        ul: The patch index of the upper-left cell.
        lr: The patch index of the lower-right cell.
        grid: Cells per side (32 for Kosmos-2).

    Returns:
        The box ``[x1, y1, x2, y2]`` in ``norm1``.
    """
    cell = 1.0 / grid
    ux, uy = ul % grid, ul // grid
    lx, ly = lr % grid, lr // grid
    if ul == lr or ux == lx or uy == ly:
        return [ux * cell, uy * cell, (lx + 1) * cell, (ly + 1) * cell]
    return [(ux + 0.5) * cell, (uy + 0.5) * cell, (lx + 0.5) * cell, (ly + 0.5) * cell]


def read_kosmos2_boxes(payload: str) -> ParseResult[Boxes]:
    """Kosmos-2 boxes (``norm1`` frame), labelled with the phrase before each object.

    Args:
        payload: The answer payload.

    Returns:
        A :class:`~rewardkit.types.ParseResult` of :class:`~rewardkit.types.Boxes`, or
        ``ok=False`` with a reason code.
    """
    text, early = start_boxes(payload, "patch_index")
    if early is not None:
        return early
    coords: list[list[float]] = []
    labels: list[str | None] = []
    prev_end = 0
    for start, end, body in blocks(text, "<object>", "</object>"):
        label = None
        before = text[prev_end:start].rstrip()
        if before.endswith("</phrase>"):
            p = before.rfind("<phrase>")
            if p >= 0:
                label = before[p + len("<phrase>"): len(before) - len("</phrase>")].strip() or None
        for part in body.split("</delimiter_of_multi_objects/>"):
            idx = [int(m.group(1)) for m in _PATCH.finditer(part)][:3]
            if len(idx) == 2 and max(idx) < KOSMOS2_GRID * KOSMOS2_GRID:
                coords.append(kosmos2_patch_box(idx[0], idx[1]))
                labels.append(label)
        prev_end = end
        if len(coords) > MAX_BOXES:
            break
    if not coords:
        return empty_boxes("unparseable", format="patch_index")
    return finish_boxes(coords, labels, "patch_index")
