"""Integer answers for counting.

Read an integer written with digits (``"3"``, ``"3.0"``, ``"There are 3 dogs."``) or
as an English word from zero to twenty. An answer holding several different numbers is
ambiguous and fails (``reason="ambiguous"``): a model must not hedge ``"2 or 3"``.
"""

from __future__ import annotations

import re
from typing import Any

from rewardkit.limits import MAX_NUMBER_CHARS
from rewardkit.types import ParseResult

__all__ = ["parse_count", "parse_number", "read_count_target"]

_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d{1,15}(?:\.\d+)?(?!\w|\.\d)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")  # "1,000" is one number, "2,3" two
_WORD = re.compile(r"\b(" + "|".join(_WORDS) + r")\b", re.IGNORECASE)
MAX_CHARS = MAX_NUMBER_CHARS  # old name


def parse_number(payload: Any) -> ParseResult[float]:
    """A single number in the answer (digits only).

    Args:
        payload: The answer text (None when there is none).

    Returns:
        A :class:`~rewardkit.types.ParseResult` with the number, or ``ok=False`` and reason
        ``no_answer``, ``unparseable`` or ``ambiguous`` (several different numbers).
    """
    if payload is None:
        return ParseResult(0.0, False, "no_answer", {})
    text = str(payload).strip()[:MAX_CHARS]
    found = {float(m) for m in _NUMBER.findall(text.replace(",", ""))}
    if not found:
        return ParseResult(0.0, False, "unparseable", {})
    if len(found) > 1:
        return ParseResult(0.0, False, "ambiguous", {"numbers": sorted(found)[:10]})
    return ParseResult(found.pop(), True, None, {})


def parse_count(payload: Any) -> ParseResult[int]:
    """A non-negative integer count (digits or words zero..twenty).

    Args:
        payload: The answer text (None when there is none).

    Returns:
        A :class:`~rewardkit.types.ParseResult` with the count, or ``ok=False`` and reason
        ``no_answer``, ``empty_answer``, ``too_long``, ``unparseable``, ``ambiguous`` or
        ``not_a_count``.
    """
    if payload is None:
        return ParseResult(0, False, "no_answer", {})
    text = str(payload).strip()
    if not text:
        return ParseResult(0, False, "empty_answer", {})
    if len(text) > MAX_CHARS:
        return ParseResult(0, False, "too_long", {})
    values = {float(m) for m in _NUMBER.findall(_THOUSANDS.sub("", text))}
    values |= {float(_WORDS[m.lower()]) for m in _WORD.findall(text)}
    if not values:
        return ParseResult(0, False, "unparseable", {})
    if len(values) > 1:
        return ParseResult(0, False, "ambiguous", {"numbers": sorted(values)[:10]})
    v = values.pop()
    if v < 0 or v != int(v):
        return ParseResult(0, False, "not_a_count", {"value": v})
    return ParseResult(int(v), True, None, {})


def read_count_target(ground_truth: Any) -> int:
    """A counting ground truth as an ``int``.

    A non-negative ``int``, or text / a record that :func:`parse_count` reads (``"3"``,
    ``"three"``, ``{"answer": "3"}``).

    Args:
        ground_truth: The ground truth.

    Returns:
        The count.

    Raises:
        BadGroundTruth: a negative ``int``, or text that is not one count.

    Example:
        >>> read_count_target("three"), read_count_target(4)
        (3, 4)
    """
    from rewardkit.errors import BadGroundTruth
    from rewardkit.parsing.ground_truth import read_text_target

    if isinstance(ground_truth, int) and not isinstance(ground_truth, bool):
        if ground_truth < 0:
            raise BadGroundTruth(f"Expected a non-negative count as ground truth, but got {ground_truth}")
        return ground_truth
    parsed = parse_count(read_text_target(ground_truth))
    if not parsed.ok:
        raise BadGroundTruth(f"Expected an integer count as ground truth, but got {ground_truth!r}")
    return parsed.value
