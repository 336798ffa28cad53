"""Molmo pointing: ``<point>`` and ``<points>`` tags, read into the ``norm1`` frame.

``<point x="61.5" y="40.6" alt="cat">cat</point>`` and
``<points x1=".." y1=".." x2=".." y2=".." alt="cats">cats</points>``, coordinates in
percent of the image width and height (allenai Molmo-7B-D-0924 model card, "pointing";
allenai/molmo ``olmo/preprocessing/point_formatter.py`` ``LegacyPointFormatting`` and
its tests, seen at tidalove/molmo2@385497be ``tests/``: ``x / 100 * width``). Molmo 2
writes ``<points coords="1 1 900 700 2 900 800">label</points>`` (image index, then
object index and x, y on 0..1000; same file, ``UnifiedPointFormatter``). Both are read
into the ``norm1`` frame. Molmo writes no boxes.
"""

from __future__ import annotations

import re

from rewardkit.parsing.boxes import MAX_BOXES
from rewardkit.parsing.dialects._scan import empty_points, finish_points, numbers, precheck
from rewardkit.types import ParseResult, Points

__all__ = ["read_molmo_points"]

_ATTR = re.compile(r'\b([A-Za-z_]{1,16}?)(\d{0,4})[ \t]{0,8}=[ \t]{0,8}"([^"<>]{0,64})"')


def read_molmo_points(payload: str) -> ParseResult[Points]:
    """Molmo points (``norm1`` frame) with the ``alt`` text as label.

    Args:
        payload: The answer payload.

    Returns:
        A :class:`~rewardkit.types.ParseResult` of :class:`~rewardkit.types.Points`
        (labels in ``details["labels"]``), or ``ok=False`` with a reason code.
    """
    text, fail = precheck(payload)
    if fail is not None:
        return empty_points(fail.reason or "unparseable")
    pts: list[list[float]] = []
    labels: list[str | None] = []
    pos = 0
    while len(pts) <= MAX_BOXES:
        s = text.find("<point", pos)
        if s < 0:
            break
        e = text.find(">", s)
        if e < 0:
            break
        tag = text[s:e]
        pos = e + 1
        attrs: dict[str, dict[str, str]] = {}
        for m in _ATTR.finditer(tag):
            attrs.setdefault(m.group(2), {})[m.group(1).lower()] = m.group(3)
        alt = attrs.get("", {}).get("alt")
        coords = attrs.get("", {}).get("coords")
        if coords is not None:  # Molmo 2: "image_idx obj_idx x y obj_idx x y ..." on 0..1000
            nums = numbers(coords)
            rest = nums[1:]
            for i in range(0, len(rest) - len(rest) % 3, 3):
                pts.append([rest[i + 1] / 1000.0, rest[i + 2] / 1000.0])
                labels.append(alt)
            continue
        for key in sorted(attrs, key=lambda k: int(k) if k else 0):
            a = attrs[key]
            if "x" in a and "y" in a:
                xy = numbers(a["x"] + " " + a["y"], 2)
                if len(xy) == 2:
                    pts.append([xy[0] / 100.0, xy[1] / 100.0])
                    labels.append(alt)
    if not pts:
        return empty_points("unparseable", format="molmo")
    return finish_points(pts, "molmo", labels)
