"""Class-name answers: normalization, matching and multi-answer detection.

:func:`normalize_label` lowercases, applies Unicode NFKC, turns ``_`` and ``-`` into
spaces, removes punctuation, removes the articles *a*, *an*, *the* and collapses
whitespace: ``"The Black-footed_Albatross."`` -> ``"black footed albatross"``.

:func:`labels_match` compares normalized forms exactly, with an optional synonym table
(``{"canonical name": ["other name", ...]}``). The public Visual-RFT code instead
accepts ``gt in ans or ans in gt`` after removing spaces and underscores, which pays
an empty answer, ``"a"`` for ``"apple"`` and ``"rose or garden phlox"``; that rule is
:func:`substring_match`, used only under ``compat="substring"``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from rewardkit.limits import MAX_LABEL_CHARS as _MAX_LABEL_CHARS
from rewardkit.types import ParseResult

__all__ = ["normalize_label", "labels_match", "substring_match", "parse_label", "is_multi_answer", "Synonyms"]

Synonyms = Mapping[str, Iterable[str]]

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_ARTICLES = frozenset({"a", "an", "the"})
_MULTI = re.compile(r"\s(?:or|and/or)\s|/|;|\||\n|,(?=\s*\w)", re.IGNORECASE)
MAX_LABEL_CHARS = _MAX_LABEL_CHARS  # re-exported from rewardkit.limits


@lru_cache(maxsize=65536)
def normalize_label(text: str) -> str:
    """Canonical form of a class name (see the module docstring).

    Args:
        text: A class name (cut to ``MAX_LABEL_CHARS`` characters).

    Returns:
        The normalized name, e.g. ``"black footed albatross"``.
    """
    t = unicodedata.normalize("NFKC", str(text)[:MAX_LABEL_CHARS]).lower()
    t = t.replace("_", " ").replace("-", " ")
    t = _PUNCT.sub(" ", t)
    return " ".join(w for w in t.split() if w not in _ARTICLES)


def _synonym_set(gt: str, synonyms: Synonyms | None) -> frozenset[str]:
    base = normalize_label(gt)
    if not synonyms:
        return frozenset({base})
    names = {base}
    for canonical, others in synonyms.items():
        group = {normalize_label(canonical), *(normalize_label(o) for o in others)}
        if base in group:
            names |= group
    return frozenset(names)


def labels_match(pred: str, gt: str, synonyms: Synonyms | None = None) -> bool:
    """True when ``pred`` names the class ``gt`` (normalized exact match or synonym).

    Args:
        pred: The predicted class name.
        gt: The ground-truth class name.
        synonyms: Optional ``{"canonical name": ["other name", ...]}`` table.

    Returns:
        Whether the normalized ``pred`` is ``gt`` or one of its synonyms (an empty
        prediction never matches).
    """
    p = normalize_label(pred)
    if not p:
        return False
    return p in _synonym_set(gt, synonyms)


def substring_match(pred: str, gt: str) -> bool:
    """The public Visual-RFT rule: ``gt in ans or ans in gt``.

    Compared after removing spaces and underscores and lowercasing. Hackable (the empty
    answer matches); compat only.

    Args:
        pred: The predicted class name.
        gt: The ground-truth class name.

    Returns:
        Whether either string contains the other.
    """
    p = pred.strip().replace(" ", "").replace("_", "").lower()
    g = gt.strip().replace(" ", "").replace("_", "").lower()
    return g in p or p in g


def is_multi_answer(text: str) -> bool:
    """True for answers that name several classes (``"A or B"``, ``"A/B"``, ``"A, B"``).

    Args:
        text: The answer text.

    Returns:
        Whether a separator of several names occurs in it.
    """
    return bool(_MULTI.search(text.strip()))


def parse_label(payload: Any) -> ParseResult[str]:
    """The class name in an answer: stripped text, surrounding quotes and a final period removed.

    ``details["multi"]`` flags answers that name several classes.

    Args:
        payload: The answer text (None when there is none).

    Returns:
        A :class:`~rewardkit.types.ParseResult` with the name, or ``ok=False`` and reason
        ``no_answer``, ``too_long`` or ``empty_answer``.
    """
    if payload is None:
        return ParseResult("", False, "no_answer", {})
    text = str(payload).strip()
    if len(text) > MAX_LABEL_CHARS:
        return ParseResult("", False, "too_long", {})
    text = text.strip("\"'`").rstrip(".").strip()
    if not text:
        return ParseResult("", False, "empty_answer", {})
    multi = is_multi_answer(text)
    return ParseResult(text, True, None, {"multi": multi})
