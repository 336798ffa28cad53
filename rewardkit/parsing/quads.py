"""Quadrilateral answers and ground truth.

Quadrilaterals (``detection.f1`` and the grounding rewards on quad ground truth)
---------------------------------------------------------------------------------
:func:`parse_quads` reads :class:`~rewardkit.types.Quads` from 8-number lists
``[x1, y1, ..., x4, y4]`` (one or a list), four points ``[[x, y] x 4]``, dicts with a
``quad`` / ``quad_2d`` / ``polygon`` / ``points`` / ``bbox_2d`` key (8 numbers or 4
points; labels and scores as for boxes), and Florence-2 OCR regions
``text<loc_x1><loc_y1>...<loc_x4><loc_y4>`` (:func:`read_florence2_quads`: location
tokens are bins 0..999 of the image, read as written, i.e. in the ``norm1000`` frame;
Florence-2's own post-processor adds half a bin). Corners are kept as written; a
non-finite or too large coordinate drops its quad (the box rule).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from rewardkit.errors import BadGroundTruth
from rewardkit.limits import (
    MAX_ABS_COORD,
    MAX_BOXES,
    MAX_PAYLOAD_CHARS,
)
from rewardkit.parsing._structured import load_structured
from rewardkit.parsing.boxes import LABEL_KEYS, SCORE_KEYS, is_negative_answer
from rewardkit.parsing.polygons import _num
from rewardkit.parsing.tags import extract_answer
from rewardkit.types import ParseResult, Quads, as_image_size

_LOC = re.compile(r"<loc_(\d{1,4})>")
_FLORENCE_SPECIAL = ("</s>", "<s>", "<pad>")

__all__ = ["parse_quads", "read_florence2_quads", "quads_from_structure", "QuadTarget", "looks_like_quads", "read_quad_target", "QUAD_KEYS"]

QUAD_KEYS = ("quad", "quad_2d", "quads", "polygon", "points", "bbox_2d", "bbox", "box", "coordinates")


def read_florence2_quads(text: str) -> tuple[list[list[float]], list[str | None]] | None:
    """Florence-2 OCR regions ``label<loc_..> x 8`` -> (quads as 8 numbers, labels).

    ``None`` when the text holds no run of location tokens whose length is a multiple
    of 8. A run of 4 tokens (a box) is not a quad. One linear scan.

    Args:
        text: The answer text.

    Returns:
        ``(quads, labels)``: each quad 8 location bins as written (``norm1000``), each
        label the text before its run (None when empty); or None.
    """
    if "<loc_" not in text:
        return None
    quads: list[list[float]] = []
    labels: list[str | None] = []
    run: list[float] = []
    run_end = 0
    label_start = 0
    label: str | None = None

    def flush() -> bool:
        if not run:
            return True
        if len(run) % 8:
            return False
        for i in range(0, len(run), 8):
            quads.append(run[i:i + 8])
            labels.append(label)
        return True

    for m in _LOC.finditer(text):
        if run and text[run_end:m.start()].strip() == "":
            run.append(float(m.group(1)))
        else:
            if not flush():
                return None
            between = text[label_start:m.start()]
            for tok in _FLORENCE_SPECIAL:
                between = between.replace(tok, "")
            label = between.strip() or None
            run = [float(m.group(1))]
        run_end = m.end()
        label_start = m.end()
        if len(quads) > MAX_BOXES:
            break
    if not flush():
        return None
    return (quads, labels) if quads else None


def _quad_coords(v: Any) -> list[float] | None:
    if isinstance(v, list | tuple):
        if len(v) == 8:
            nums = [_num(x) for x in v]
            if all(n is not None for n in nums):
                return nums  # type: ignore[return-value]  # all(n is not None) above: list[float]
        if len(v) == 4 and all(isinstance(p, list | tuple) and len(p) == 2 for p in v):
            nums = [_num(x) for p in v for x in p]
            if all(n is not None for n in nums):
                return nums  # type: ignore[return-value]  # all(n is not None) above: list[float]
    return None


def _first_key(d: Mapping[Any, Any], keys: tuple[str, ...]) -> Any:
    lowered = {str(k).strip().lower(): k for k in d}
    for k in keys:
        if k in lowered:
            return d[lowered[k]]
    return None


def quads_from_structure(value: Any) -> tuple[list[list[float]], list[float], list[str | None], int] | None:
    """The quads of a loaded structure, or ``None`` when it holds no quad.

    Args:
        value: A loaded structure (a dict, a list of items, or one quad).

    Returns:
        ``(quads as 8 numbers, scores (NaN when missing), labels, n_invalid_items)``, or
        None.
    """
    if isinstance(value, Mapping):
        nested = _first_key(value, ("quads", "regions", "objects", "results"))
        items = nested if isinstance(nested, list) else [value]
    elif isinstance(value, list | tuple):
        items = [value] if _quad_coords(value) is not None else list(value)
    else:
        return None
    quads: list[list[float]] = []
    scores: list[float] = []
    labels: list[str | None] = []
    invalid = 0
    for item in items[: MAX_BOXES + 1]:
        if isinstance(item, Mapping):
            q = _quad_coords(_first_key(item, QUAD_KEYS))
            s = _num(_first_key(item, SCORE_KEYS))
            lab = _first_key(item, LABEL_KEYS)
            lab = None if lab is None or isinstance(lab, Mapping | list) else str(lab)
        else:
            q, s, lab = _quad_coords(item), None, None
        if q is None:
            invalid += 1
            continue
        quads.append(q)
        scores.append(math.nan if s is None else s)
        labels.append(lab)
    if not quads:
        return None
    return quads, scores, labels, invalid


def _finish_quads(quads: list[list[float]], scores: list[float], labels: list[str | None], details: dict[str, Any]) -> ParseResult[Quads]:
    if len(quads) > MAX_BOXES:
        return ParseResult(Quads.empty(), False, "too_many_boxes", {**details, "n_quads": len(quads)})
    arr = np.asarray(quads, dtype=np.float64).reshape(-1, 8)
    with np.errstate(invalid="ignore"):
        good = np.all(np.abs(arr) <= MAX_ABS_COORD, axis=1)  # NaN fails
    if not good.all():
        details = {**details, "dropped": int((~good).sum())}
        arr = arr[good]
        scores = [s for s, k in zip(scores, good) if k]
        labels = [lab for lab, k in zip(labels, good) if k]
        if arr.shape[0] == 0:
            return ParseResult(Quads.empty(), False, "bad_coordinates", details)
    sc = np.asarray(scores, dtype=np.float64)
    sc[~np.isfinite(sc)] = np.nan
    has_labels = any(lab is not None for lab in labels)
    return ParseResult(Quads.from_flat(arr, sc, tuple(labels) if has_labels else None), True, None, details)


_QUAD_TEXT = re.compile(r"\[\s*" + r"\s*,\s*".join([r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"] * 8) + r"\s*\]")


def parse_quads(payload: Any) -> ParseResult[Quads]:
    """Read quadrilaterals from an answer payload (see the module doc). Never raises.

    Args:
        payload: The answer text (None when there is none).

    Returns:
        A :class:`~rewardkit.types.ParseResult` with the :class:`~rewardkit.types.Quads`
        (empty with ``details["negative"]`` for a negative answer), or ``ok=False`` with
        a reason code (``no_answer``, ``too_long``, ``empty_answer``, ``too_many_boxes``,
        ``bad_coordinates``, ``unparseable``).
    """
    if payload is None:
        return ParseResult(Quads.empty(), False, "no_answer", {})
    text = payload if isinstance(payload, str) else str(payload)
    if len(text) > MAX_PAYLOAD_CHARS:
        return ParseResult(Quads.empty(), False, "too_long", {})
    text = text.strip()
    if not text:
        return ParseResult(Quads.empty(), False, "empty_answer", {})
    if is_negative_answer(text):
        return ParseResult(Quads.empty(), True, None, {"negative": True})
    fl = read_florence2_quads(text)
    if fl is not None:
        quads, labels = fl
        return _finish_quads(quads, [math.nan] * len(quads), labels, {"format": "florence2"})
    if "[" in text or "{" in text:
        ok, value, details = load_structured(text)
        if ok:
            if isinstance(value, list | tuple | dict) and len(value) == 0:
                return ParseResult(Quads.empty(), True, None, {"negative": True})
            got = quads_from_structure(value)
            if got is not None:
                quads, scores, labels, invalid = got
                return _finish_quads(quads, scores, labels, {**details, "format": "structured", "invalid_items": invalid})
    found = _QUAD_TEXT.findall(text)
    if found:
        quads = [[float(x) for x in q] for q in found[: MAX_BOXES + 1]]
        return _finish_quads(quads, [math.nan] * len(quads), [None] * len(quads), {"format": "regex_lists"})
    return ParseResult(Quads.empty(), False, "unparseable", {})


@dataclass(frozen=True, eq=False)
class QuadTarget:
    """Quad ground truth of one sample (parse it once per prompt).

    Args:
        quads: The ground-truth quads.
        image_size: ``(width, height)`` of the image, when known.
        frame: The coordinate frame the ground truth names, if any.
    """

    quads: Quads
    image_size: tuple[int, int] | None = None
    frame: str | None = None


def looks_like_quads(ground_truth: Any) -> bool:
    """True when a ground truth holds quadrilaterals rather than boxes.

    That is a :class:`Quads` / :class:`QuadTarget`, a dict with a ``quads`` / ``quad``
    key, an 8-number list, four points, or a list of those. A cheap structural test
    (strings are not parsed).

    Args:
        ground_truth: The ground truth.

    Returns:
        Whether it is quad-shaped.
    """
    if isinstance(ground_truth, Quads | QuadTarget):
        return True
    if isinstance(ground_truth, Mapping):
        return any(k in ground_truth for k in ("quads", "quad"))
    if isinstance(ground_truth, np.ndarray):
        return ground_truth.ndim >= 1 and ground_truth.shape[-1] == 8 or ground_truth.shape[-2:] == (4, 2)
    if isinstance(ground_truth, list | tuple) and ground_truth:
        first = ground_truth[0]
        if _quad_coords(ground_truth) is not None:
            return True
        return isinstance(first, list | tuple) and _quad_coords(first) is not None
    return False


def read_quad_target(ground_truth: Any, *, image_size: Any = None) -> QuadTarget:
    """Read quad ground truth.

    The forms of :func:`looks_like_quads`; strings are read as JSON or as an
    ``<answer>`` solution.

    Args:
        ground_truth: The ground truth (or a :class:`QuadTarget`, returned as is).
        image_size: ``(width, height)`` of the image (overrides the ground truth's).

    Returns:
        The :class:`QuadTarget`.

    Raises:
        BadGroundTruth: unreadable quads, a label count that differs from the quad
            count, or non-finite coordinates.
        ValueError: a bad ``image_size``.
    """
    if isinstance(ground_truth, QuadTarget):
        if image_size is not None and ground_truth.image_size is None:
            return QuadTarget(ground_truth.quads, as_image_size(image_size), ground_truth.frame)
        return ground_truth
    size = as_image_size(image_size) if image_size is not None else None
    value = ground_truth
    frame = None
    if isinstance(value, Quads):
        quads = value
    else:
        if isinstance(value, str):
            answer = extract_answer(value) if "<answer" in value.lower() else value
            res = parse_quads(answer)
            if not res.ok:
                raise BadGroundTruth(f"Could not read ground-truth quads from {str(value)[:120]!r}")
            quads = res.value
        else:
            if isinstance(value, np.ndarray):
                value = value.tolist()
            if isinstance(value, Mapping):
                frame = value.get("frame")
                raw = value.get("image_size")
                if raw is not None and size is None:
                    try:
                        size = as_image_size(raw)
                    except ValueError as exc:
                        raise BadGroundTruth(str(exc)) from None
                labels = value.get("labels")
                value = value.get("quads", value.get("quad"))
                if isinstance(value, list | tuple) and _quad_coords(value) is not None:
                    value = [value]
                if labels is not None and isinstance(value, list):
                    labels = [labels] if isinstance(labels, str) else list(labels)
                    if len(labels) != len(value):
                        raise BadGroundTruth(f"Expected {len(value)} ground-truth labels, but got {len(labels)}")
                    value = [{"quad": q, "label": lab} for q, lab in zip(value, labels)]
            got = quads_from_structure(value)
            if got is None or got[3]:
                raise BadGroundTruth(f"Expected ground-truth quads (8 numbers or 4 points each), but got {str(value)[:120]!r}")
            q, _, labels_, _ = got
            arr = np.asarray(q, dtype=np.float64).reshape(-1, 8)
            if not (np.isfinite(arr).all() and (np.abs(arr) <= MAX_ABS_COORD).all()):
                raise BadGroundTruth("Expected finite ground-truth quad coordinates")
            quads = Quads.from_flat(arr, None, tuple(labels_) if any(lab is not None for lab in labels_) else None)
    return QuadTarget(quads, size, frame)
