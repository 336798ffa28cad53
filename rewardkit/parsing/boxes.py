"""Box payloads of model answers -> :class:`~rewardkit.types.Boxes`.

Formats read (docs/parsing.md), tried in this order:

1. Negatives: ``No Objects``, ``none``, ``[]``, ... -> zero boxes, ``ok=True``
   (``details["negative"] = True``).
2. Qwen box tokens ``<|object_ref_start|>cat<|object_ref_end|><|box_start|>(x1,y1),(x2,y2)<|box_end|>``
   and Rex-Omni bins ``<x1><y1><x2><y2>`` (optionally inside box tokens).
3. Structured payloads via :func:`~rewardkit.parsing._structured.load_structured`
   (JSON, python literals, code fences, cut-off tails repaired): Visual-RFT
   ``[{'Position': [x1, y1, x2, y2], 'Confidence': 0.9}]``, Qwen2.5-VL
   ``[{"bbox_2d": [...], "label": "cat"}]``, plain ``[x1, y1, x2, y2]``, ``[[...], [...]]``,
   ``[[x1, y1], [x2, y2]]``, ``{"bbox": [...]}``.
4. Free-text fallbacks: tuple pairs ``(x1,y1),(x2,y2)`` and bracketed quadruples
   ``[x1, y1, x2, y2]`` anywhere in the text.

Coordinates are returned as written (no frame conversion). One rule for bad boxes:

* inverted corners (``x2 < x1`` or ``y2 < y1``) are **reordered** (the box is the same
  rectangle);
* a box with a non-finite coordinate (NaN, inf) or one whose magnitude exceeds
  :data:`MAX_ABS_COORD` is **dropped** and counted in ``details["dropped"]``; if every
  box is dropped the parse fails with ``reason="bad_coordinates"``;
* zero-area boxes are **kept** (they are predictions; they overlap nothing);
* more than :data:`MAX_BOXES` boxes fails with ``reason="too_many_boxes"``.

Confidences that are missing or not finite become NaN in ``Boxes.scores`` (the reward
decides what a missing confidence means); labels that are missing become ``None``.

Well-formed answers of the common shapes (Visual-RFT's literal list, Qwen's JSON list,
plain lists of 4 numbers) are read by a fast path (one ``json.loads``, one validation
pass) that returns exactly what the steps above return and hands anything unusual to
them (``_fast_parse_boxes``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from json import loads as _json_loads
from types import MappingProxyType
from typing import Any

import numpy as np

from rewardkit.limits import MAX_ABS_COORD, MAX_BOXES, MAX_PAYLOAD_CHARS
from rewardkit.parsing._structured import _FENCE as _FENCE_OPEN
from rewardkit.parsing._structured import load_structured
from rewardkit.types import Boxes, ParseResult, trusted

__all__ = ["parse_boxes", "is_negative_answer", "boxes_from_items", "MAX_BOXES", "MAX_ABS_COORD", "BOX_KEYS", "SCORE_KEYS", "LABEL_KEYS"]

BOX_KEYS = ("bbox_2d", "bbox", "box", "position", "box_2d", "bbox2d", "coordinates", "coords", "xyxy")
SCORE_KEYS = ("confidence", "score", "conf", "prob", "probability")
LABEL_KEYS = ("label", "category", "class", "name", "object", "category_name", "class_name")

_NEGATIVES = frozenset(
    {
        "no objects", "no object", "none", "no", "nothing", "empty", "no objects found",
        "no object found", "no objects detected", "there are no objects", "[]", "{}", "null", "n/a",
    }
)
_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"  # unambiguous: linear backtracking on long digit runs
_BINS = re.compile(r"<(\d{1,4})>\s*<(\d{1,4})>\s*<(\d{1,4})>\s*<(\d{1,4})>")
_PAIRS = re.compile(rf"\(\s*({_NUM})\s*,\s*({_NUM})\s*\)\s*(?:,\s*)?\(\s*({_NUM})\s*,\s*({_NUM})\s*\)")  # no \s*,?\s*: quadratic
_QUAD = re.compile(rf"\[\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*\]")
_NEG_CLEAN = re.compile(r"[\s.!]+$")


_BOX_START, _BOX_END = "<|box_start|>", "<|box_end|>"
_REF_START, _REF_END = "<|object_ref_start|>", "<|object_ref_end|>"


def _box_tokens(text: str) -> Iterator[tuple[str | None, str]]:
    """``(label, body)`` of each ``[<|object_ref_start|>label<|object_ref_end|>]<|box_start|>body<|box_end|>``.

    A linear scan with ``str.find`` (a lazy ``.*?`` regex is quadratic on a run of
    unclosed ``<|box_start|>`` tokens). The label is the reference that ends right
    before the box (whitespace allowed), searched after the previous box only.
    """
    pos = 0
    while True:
        start = text.find(_BOX_START, pos)
        if start < 0:
            return
        end = text.find(_BOX_END, start + len(_BOX_START))
        if end < 0:
            return
        label = None
        before = text[pos:start].rstrip()
        if before.endswith(_REF_END):
            ref = before.rfind(_REF_START)
            if ref >= 0:
                label = before[ref + len(_REF_START): len(before) - len(_REF_END)]
        yield label, text[start + len(_BOX_START): end]
        pos = end + len(_BOX_END)


def is_negative_answer(text: str) -> bool:
    """True for answers meaning "no object" (``No Objects``, ``none``, ``[]``, ...)."""
    if len(text) > 64:
        return False
    t = _NEG_CLEAN.sub("", text.strip().lower())
    t = " ".join(t.split())
    return t in _NEGATIVES


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    try:
        if isinstance(v, int | float):
            return float(v)
        if isinstance(v, str) and len(v) < 64:
            return float(v.strip())
    except (ValueError, OverflowError):
        return math.inf  # a number too large to represent: kept, then dropped as bad coordinate
    return None


_PLAIN = (int, float)


def _coords(v: Any) -> list[float] | None:
    """4 numbers from ``[x1, y1, x2, y2]`` or ``[[x1, y1], [x2, y2]]``; None otherwise."""
    if type(v) is list and len(v) == 4:
        a, b, c, d = v
        if type(a) in _PLAIN and type(b) in _PLAIN and type(c) in _PLAIN and type(d) in _PLAIN:
            try:
                return [float(a), float(b), float(c), float(d)]
            except OverflowError:
                pass
    if isinstance(v, Sequence) and not isinstance(v, str):
        if len(v) == 4:
            nums = [_number(x) for x in v]
            if all(n is not None for n in nums):
                return nums  # type: ignore[return-value]
        if len(v) == 2 and all(isinstance(p, Sequence) and not isinstance(p, str) and len(p) == 2 for p in v):
            nums = [_number(x) for p in v for x in p]
            if all(n is not None for n in nums):
                return nums  # type: ignore[return-value]
    return None


_NO_KEY = object()


@lru_cache(maxsize=4096)
def _key_for(keys: tuple[Any, ...], wanted: tuple[str, ...]) -> Any:
    lowered: dict[str, Any] = {}
    for k in keys:
        lowered.setdefault(str(k).strip().lower(), k)
    for w in wanted:
        if w in lowered:
            return lowered[w]
    return _NO_KEY


@lru_cache(maxsize=1024)
def _keys_for(keys: tuple[Any, ...]) -> tuple[Any, Any, Any]:
    """The box, score and label keys of a key set (``_NO_KEY`` where absent)."""
    return _key_for(keys, BOX_KEYS), _key_for(keys, SCORE_KEYS), _key_for(keys, LABEL_KEYS)


def _get(d: Mapping[Any, Any], keys: tuple[str, ...]) -> Any:
    """``d[k]`` for the first of ``keys`` present (case-insensitive); key sets cached."""
    k = _key_for(tuple(d), keys)
    return None if k is _NO_KEY else d[k]


def _nested_dicts(items: Any) -> bool:
    """A list of lists whose items are all mappings (one level of extra nesting)."""
    if not isinstance(items, list | tuple) or not items:
        return False
    first = items[0]
    if not (isinstance(first, list | tuple) and first and isinstance(first[0], Mapping)):
        return False  # the usual box lists ([x1, y1, x2, y2] or [[...], ...]) leave here
    inner = [x for x in items if isinstance(x, list | tuple)]
    if not inner:
        return False
    return all(isinstance(x, Mapping) for sub in inner for x in sub) and all(
        isinstance(x, list | tuple | Mapping) for x in items
    ) and any(len(sub) for sub in inner)


def boxes_from_items(items: Any) -> tuple[list[list[float]], list[float], list[str | None], int]:
    """Read boxes from a loaded structure. Returns (coords, scores, labels, n_invalid_items)."""
    coords: list[list[float]] = []
    scores: list[float] = []
    labels: list[str | None] = []
    invalid = 0
    if type(items) is list and items and type(items[0]) is dict:
        pass  # the usual list of box dicts
    elif _nested_dicts(items):
        # [[{'Position': [..], 'Confidence': c}], ...]: one level of nesting around box
        # dicts (seen in the wild); flattened so the confidences are kept
        items = [x for sub in items for x in (sub if isinstance(sub, list | tuple) else [sub])]
    elif isinstance(items, Mapping):
        nested = _get(items, ("boxes", "objects", "detections", "bboxes", "results"))
        items = nested if isinstance(nested, list) else [items]
    elif isinstance(items, Sequence) and not isinstance(items, str):
        if _coords(items) is not None and not any(isinstance(x, Mapping) for x in items):
            items = [items]
    else:
        return coords, scores, labels, 1
    last_keys: tuple[Any, ...] | None = None
    bk = sk = lk = _NO_KEY
    for item in items:
        if type(item) is dict or isinstance(item, Mapping):
            keys = tuple(item)
            if keys != last_keys:  # one key lookup per distinct key set, not per item
                last_keys = keys
                bk, sk, lk = _key_for(keys, BOX_KEYS), _key_for(keys, SCORE_KEYS), _key_for(keys, LABEL_KEYS)
            box = None if bk is _NO_KEY else _coords(item[bk])
            if box is None:
                invalid += 1
                continue
            s = None if sk is _NO_KEY else item[sk]
            if type(s) is not float:
                s = _number(s)
            lab = None if lk is _NO_KEY else item[lk]
            coords.append(box)
            scores.append(math.nan if s is None else s)
            labels.append(None if lab is None or isinstance(lab, Mapping | list) else str(lab))
        else:
            box = _coords(item)
            if box is None:
                invalid += 1
                continue
            coords.append(box)
            scores.append(math.nan)
            labels.append(None)
        if len(coords) > MAX_BOXES:
            break
    return coords, scores, labels, invalid


def _finish(coords: list[list[float]], scores: list[float], labels: list[str | None], details: dict[str, Any]) -> ParseResult[Boxes]:
    if len(coords) > MAX_BOXES:
        return ParseResult(Boxes.empty(), False, "too_many_boxes", {**details, "n_boxes": len(coords)})
    if not coords:
        return ParseResult(Boxes.empty(), False, "no_boxes", details)
    lim = MAX_ABS_COORD
    # validate in plain Python (cheaper than numpy for the usual handful of boxes)
    good = [-lim <= c[0] <= lim and -lim <= c[1] <= lim and -lim <= c[2] <= lim and -lim <= c[3] <= lim for c in coords]
    if not all(good):  # NaN fails the comparisons too
        details = {**details, "dropped": good.count(False)}
        coords = [c for c, k in zip(coords, good) if k]
        scores = [v for v, k in zip(scores, good) if k]
        labels = [lab for lab, k in zip(labels, good) if k]
        if not coords:
            return ParseResult(Boxes.empty(), False, "bad_coordinates", details)
    if any(c[2] < c[0] or c[3] < c[1] for c in coords):
        details = {**details, "reordered": True}
        coords = [[min(c[0], c[2]), min(c[1], c[3]), max(c[0], c[2]), max(c[1], c[3])] for c in coords]
    arr = np.array(coords, dtype=np.float64)
    sc = np.array(scores, dtype=np.float64)
    if not np.isfinite(sc).all():
        sc[~np.isfinite(sc)] = np.nan
    has_labels = labels.count(None) != len(labels)
    return ParseResult(Boxes._trusted(arr, sc, tuple(labels) if has_labels else None), True, None, details)


# ----------------------------------------------------------------------------- fast path

_SCORE_LIM = 1e300  # a confidence beyond this (or an int too large for a float) goes to the general reader


def _new_parse_result(value: Any, details: dict[str, Any]) -> ParseResult[Any]:
    """``ParseResult(value, True, None, details)`` without the frozen dataclass'
    ``__init__`` (equal to it: ``details`` is wrapped in a read-only mapping the same way).
    """
    return trusted(ParseResult, value=value, ok=True, reason=None, details=MappingProxyType(details))


def _fast_parse_boxes(stripped: str) -> ParseResult[Boxes] | None:
    """The common payload shapes read in one pass, or ``None`` (then :func:`parse_boxes`
    reads the payload the general way).

    Shapes: a JSON list (or, with single quotes and no double quote or backslash, a
    Python literal list, read by ``json.loads`` after the quote swap, as
    :func:`~rewardkit.parsing._structured.load_structured` does) of box dicts with one
    key set (Visual-RFT's ``Position`` / ``Confidence``, Qwen's ``bbox_2d`` / ``label``),
    of ``[x1, y1, x2, y2]`` lists, or one such list; optionally in one code fence with
    nothing around it. Every box must already be valid (numbers, finite, within
    :data:`MAX_ABS_COORD`, ordered), each confidence a number of magnitude below 1e300
    and each label a string (or absent): whatever the general reader would repair,
    reorder, drop or count as invalid goes to it. The result is the general reader's,
    field for field (``tests/parsing/test_fast_path.py`` compares both on generated
    payloads).

    Validation is one chain of comparisons per box: a string, ``None``, a list or a dict
    among the numbers raises ``TypeError`` (caught: general reader), NaN fails every
    comparison, and booleans (which compare as 0 and 1) cannot occur because a payload
    spelling ``true`` or ``false`` anywhere goes to the general reader. ``np.array``
    then converts the ints exactly as ``float()`` does (every accepted value is within
    :data:`MAX_ABS_COORD`).
    """
    body = stripped
    details: dict[str, Any] = {}
    if body[0] == "`":
        m = _FENCE_OPEN.match(body)
        if m is None:
            return None
        rest = body[m.end():]
        end = rest.find("```")
        if end >= 0 and rest[end + 3:] and not rest[end + 3:].isspace():
            return None  # text after the fence: the general reader notes it
        body = (rest if end < 0 else rest[:end]).strip()
        details["fenced"] = True
        if not body:
            return None
    elif "```" in body:
        return None
    if body[0] != "[" or body[-1] != "]" or "true" in body or "false" in body:
        return None
    if '"' not in body and "\\" not in body and "'" in body:
        body = body.replace("'", '"')
    try:
        value = _json_loads(body)
    except (ValueError, RecursionError, TypeError):
        return None
    if type(value) is not list or not value or len(value) > MAX_BOXES:
        return None
    first = value[0]
    lim = MAX_ABS_COORD
    labels: tuple[str | None, ...] | None = None
    try:
        if type(first) is dict:
            keys = tuple(first)
            bk, sk, lk = _keys_for(keys)
            if bk is _NO_KEY:
                return None
            coords = []
            for item in value:
                if type(item) is not dict or tuple(item) != keys:
                    return None
                b = item[bk]
                if type(b) is not list or len(b) != 4 or not (-lim <= b[0] <= b[2] <= lim and -lim <= b[1] <= b[3] <= lim):
                    return None
                coords.append(b)
            if sk is _NO_KEY:
                sc = np.array([math.nan] * len(coords), dtype=np.float64)
            else:
                scores = [item[sk] for item in value]
                for v in scores:
                    if not -_SCORE_LIM < v < _SCORE_LIM:
                        return None
                sc = np.array(scores, dtype=np.float64)
            if lk is not _NO_KEY:
                labels = tuple([item[lk] for item in value])
                for lab in labels:
                    if type(lab) is not str:
                        return None
        else:
            coords = value if type(first) is list else [value]
            for b in coords:
                if type(b) is not list or len(b) != 4 or not (-lim <= b[0] <= b[2] <= lim and -lim <= b[1] <= b[3] <= lim):
                    return None
            sc = np.array([math.nan] * len(coords), dtype=np.float64)
    except TypeError:  # a string, None, a list or a dict where a number belongs
        return None
    details["format"] = "structured"
    details["invalid_items"] = 0
    return _new_parse_result(Boxes._trusted(np.array(coords, dtype=np.float64), sc, labels), details)


def parse_boxes(payload: Any) -> ParseResult[Boxes]:
    """Read boxes from an answer payload. Never raises; see the module docstring."""
    if payload is None:
        return ParseResult(Boxes.empty(), False, "no_answer", {})
    text = payload if isinstance(payload, str) else str(payload)
    if len(text) > MAX_PAYLOAD_CHARS:
        return ParseResult(Boxes.empty(), False, "too_long", {"n_chars": len(text)})
    stripped = text.strip()
    if not stripped:
        return ParseResult(Boxes.empty(), False, "empty_answer", {})
    if len(stripped) <= 64 and is_negative_answer(stripped):
        return ParseResult(Boxes.empty(), True, None, {"negative": True, "format": "negative"})
    if "<" not in stripped and (stripped[0] == "[" or stripped[0] == "`"):
        fast = _fast_parse_boxes(stripped)
        if fast is not None:
            return fast
    return _parse_boxes_general(stripped)


def _parse_boxes_general(stripped: str) -> ParseResult[Boxes]:
    """Every format of the module docstring, in its order (after the negatives)."""
    if "<|box_start|>" in stripped:
        coords, labels = [], []
        for lab, body in _box_tokens(stripped):
            nums = [float(x) for x in re.findall(_NUM, body)]
            if len(nums) == 4:
                coords.append(nums)
                labels.append(lab.strip() if lab is not None else None)
            if len(coords) > MAX_BOXES:
                break
        if coords:
            return _finish(coords, [math.nan] * len(coords), labels, {"format": "box_tokens"})
    if _BINS.search(stripped):
        coords = [[float(g) for g in m.groups()] for m in _BINS.finditer(stripped)]
        return _finish(coords, [math.nan] * len(coords), [None] * len(coords), {"format": "bins"})

    if "[" in stripped or "{" in stripped or stripped.startswith("("):
        ok, value, details = load_structured(stripped)
        if ok:
            coords, scores, labels, invalid = boxes_from_items(value)
            details = {**details, "format": "structured", "invalid_items": invalid}
            if coords or invalid == 0:
                if not coords and isinstance(value, list | tuple | dict) and len(value) == 0:
                    return ParseResult(Boxes.empty(), True, None, {**details, "negative": True})
                if coords:
                    return _finish(coords, scores, labels, details)
    pairs = _PAIRS.findall(stripped)
    if pairs:
        coords = [[float(x) for x in p] for p in pairs[: MAX_BOXES + 1]]
        return _finish(coords, [math.nan] * len(coords), [None] * len(coords), {"format": "tuples"})
    quads = _QUAD.findall(stripped)
    if quads:
        coords = [[float(x) for x in q] for q in quads[: MAX_BOXES + 1]]
        return _finish(coords, [math.nan] * len(coords), [None] * len(coords), {"format": "regex_lists"})
    return ParseResult(Boxes.empty(), False, "unparseable", {})
