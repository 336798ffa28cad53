r"""Vision-R1's reading of completions, as its released reward code does it.

Read from github.com/jefferyZhan/Griffon at commit 9866875e7d18e705239f3e03115a55aef30ab635
(``Vision-R1/vision_r1/visionr1_qwen.py``: ``parse_json``, ``extract_bbox_label``,
``extract``, ``dual_format_reward.validate_bbox_label``).

* Boxes (:func:`extract`, on the stripped completion): drop a first line starting with
  ```` ```json ````, cut at the next ```` ``` ````, ``json.loads``; from a list, every dict
  item whose ``bbox_2d`` is a 4-list is read with ``int()`` (truncation; ``"12"`` reads,
  ``"1.5"`` and NaN do not) and kept when ``x1 < x2`` and ``y1 < y2`` (inverted and
  zero-width boxes dropped). When nothing is kept, a regex fallback reads items written
  exactly as ``{"bbox_2d": [a, b, c, d], "label": "..."}`` (one space after each comma
  and colon, 0..1000 integers): compact JSON (no spaces) is not found, so a cut-off
  compact answer yields no box.
* Dual format (:func:`dual_format_value`, on the raw completion): remove
  ```` ```json\n ```` and ``\n``````` `` ```, strip, ``json.loads``: 1 unless it fails to
  parse or a dict item holding ``bbox_2d`` and ``label`` has a ``bbox_2d`` that is not
  a 4-list. Text or tags around the JSON fail; a bare number or ``{}`` passes. A
  ``RecursionError`` is not caught by the public code (it raises).
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["parse_json", "extract", "dual_format_value"]


def parse_json(text: str) -> Any:
    try:
        lines = text.strip().splitlines()
        if lines[0].startswith("```json"):
            text = "\n".join(lines[1:])
        if "```" in text:
            text = text.split("```")[0]
        return json.loads(text)
    except Exception:  # noqa: BLE001 - the public parser returns None on any error
        return None


_ITEM = re.compile(
    r'\{"bbox_2d": \[(\d{1,3}|1000), (\d{1,3}|1000), (\d{1,3}|1000), (\d{1,3}|1000)\], "label": "([^"]+)"\}'
)


def _regex_items(text: str) -> list[dict[str, Any]]:
    out = []
    for x1, y1, x2, y2, label in _ITEM.findall(text):
        box = [int(x1), int(y1), int(x2), int(y2)]
        if box[0] < box[2] and box[1] < box[3]:
            out.append({"bbox": box, "category_name": label})
    return out


def extract(text: str) -> list[dict[str, Any]]:
    """Boxes ``{"bbox": [int x4], "category_name": label}`` as the released code reads
    them from the (already stripped) completion.
    """
    out: list[dict[str, Any]] = []
    data = parse_json(text)
    if isinstance(data, list):
        for item in data:
            try:
                name = item.get("label")
                box = item.get("bbox_2d")
                if isinstance(box, list) and len(box) == 4:
                    box = [int(v) for v in box]
                    if box[0] < box[2] and box[1] < box[3]:
                        out.append({"bbox": box, "category_name": name})
            except Exception:  # noqa: BLE001 - the public code skips such items
                continue
    if not out:
        out = _regex_items(text)
    return out


def dual_format_value(text: str) -> float:
    """The released template check (1.0 or 0.0) before the inversion for samples without objects.

    Raises RecursionError where the public code does.
    """
    body = re.sub(r"```json\n|\n```", "", text).strip()
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return 0.0
    value = 1.0
    if isinstance(data, list):
        for item in data:
            if isinstance(item, dict) and "bbox_2d" in item and "label" in item:
                box = item["bbox_2d"]
                if not (isinstance(box, list) and len(box) == 4):
                    value = 0.0
    return value
