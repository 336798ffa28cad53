"""How to read a completion: one frozen, validated :class:`Reading` value.

A :class:`Reading` says where the answer is (``answer``), which model's output grammar
the answer is written in (``dialect``), and which coordinate frames the prediction and
the ground truth use (``pred_frame``, ``gt_frame``, with ``image_size`` and the
Qwen2.5-VL processor's pixel bounds ``min_pixels`` / ``max_pixels``). It is the one home
of "how to read a completion": every reward that reads boxes, points or answers takes it
as ``reading=Reading(...)`` (and still accepts each field as a keyword), and nothing
further down re-derives a frame.

Answer modes (:func:`extract_answer_text`):

``"auto"`` (default)
    the last answer block when the completion has an ``<answer>`` tag, otherwise the
    whole completion with think blocks and code-fence markers removed (plain Qwen2.5-VL
    output, Seg-R1's released ``<bbox>..</bbox>, <points>..</points>`` layout).
``"tags"``
    the last answer block only (a completion without one has no answer). ``"tag"`` is
    accepted as an alias (the spelling of ``vision_r1.*`` before this module existed).
``"whole"``
    the whole completion with think blocks, answer-tag tokens and code-fence markers
    removed, whatever tags it has.

The strict think/answer *format* is never relaxed by a mode: a bare answer keeps its
accuracy credit and loses only the format credit.

>>> r = Reading(dialect="qwen2_5_vl", image_size=(640, 480))
>>> r.frame, r.answer
('qwen25vl', 'auto')
>>> Reading(pred_frame="pixel").replace(answer="tags").answer
'tags'
>>> extract_answer_text('```json\\n[{"bbox_2d": [1, 2, 3, 4]}]\\n```').text
'[{"bbox_2d": [1, 2, 3, 4]}]'
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from rewardkit.parsing.frames import (
    QWEN25VL_MAX_PIXELS,
    QWEN25VL_MIN_PIXELS,
    Frame,
    check_frame,
)
from rewardkit.parsing.tags import (
    MAX_COMPLETION_CHARS,
    TagParse,
    completion_text,
    parse_completion,
    strip_prompt,
)
from rewardkit.types import ImageSize, as_image_size, trusted

__all__ = [
    "Reading",
    "AnswerMode",
    "ANSWER_MODES",
    "READING_FIELDS",
    "AnswerText",
    "extract_answer_text",
    "clean_whole",
]

AnswerMode = Literal["auto", "tags", "whole"]
ANSWER_MODES: tuple[str, ...] = ("auto", "tags", "whole")
_ANSWER_ALIASES = {"tag": "tags"}

READING_FIELDS: tuple[str, ...] = ("answer", "dialect", "pred_frame", "gt_frame", "image_size", "min_pixels", "max_pixels")
"""The keywords a reward accepts in place of (or on top of) ``reading=``."""


def _check_pixels(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value or value <= 0:
        raise ValueError(f"Expected `{name}` to be a positive integer or None, but got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Reading:
    """How a completion is read: answer mode, dialect, frames, image size, pixel bounds.

    Fields:
        answer: ``"auto"`` | ``"tags"`` | ``"whole"`` (see the module docstring).
        dialect: the output grammar of the model that wrote the completion (a name from
            :func:`rewardkit.parsing.dialects.dialect_names`; ``"visual_rft"``, the
            default, reads every payload rewardkit knows in the ``norm1000`` frame).
        pred_frame: frame of the predicted coordinates; ``None`` (default) takes the
            dialect's frame. Naming a frame overrides the frame of a dialect whose
            frame is a prompt convention (``qwen2_5_vl``, ``gemini``, ...); a dialect
            whose grammar fixes its grid (PaliGemma's 1024 bins, ...) refuses another.
        gt_frame: frame of the ground truth (``norm1000``), unless the ground truth
            names its own ``"frame"``.
        image_size: ``(width, height)`` of the ORIGINAL image (needed by ``pixel`` and
            ``qwen25vl`` frames).
        min_pixels, max_pixels: Qwen2.5-VL processor bounds (``None``: the released
            processor's 3136 and 12845056).

    Frozen and hashable: compiled state can be cached per reading, and a reading can
    key a cache. Invalid values raise ``ValueError`` (caller input).
    """

    answer: str = "auto"
    dialect: str = "visual_rft"
    pred_frame: Frame | None = None
    gt_frame: Frame = "norm1000"
    image_size: ImageSize | None = None
    min_pixels: int | None = None
    max_pixels: int | None = None

    def __post_init__(self) -> None:
        answer = _ANSWER_ALIASES.get(self.answer, self.answer) if isinstance(self.answer, str) else self.answer
        if answer not in ANSWER_MODES:
            raise ValueError(f"Expected `answer` to be one of {list(ANSWER_MODES)}, but got {self.answer!r}")
        object.__setattr__(self, "answer", answer)
        from rewardkit.parsing.dialects import get_dialect

        dialect = get_dialect(self.dialect)  # KeyError with suggestions for an unknown name
        if self.pred_frame is not None:
            check_frame(self.pred_frame)
            if dialect.fixed_frame and self.pred_frame != dialect.frame:
                raise ValueError(
                    f"Expected no pred_frame (or {dialect.frame!r}) with dialect {dialect.name!r}, whose grammar fixes "
                    f"its coordinate grid, but got pred_frame={self.pred_frame!r}"
                )
        check_frame(self.gt_frame)
        if self.image_size is not None:
            object.__setattr__(self, "image_size", as_image_size(self.image_size))
        lo = _check_pixels("min_pixels", self.min_pixels)
        hi = _check_pixels("max_pixels", self.max_pixels)
        object.__setattr__(self, "min_pixels", lo)
        object.__setattr__(self, "max_pixels", hi)
        if (lo if lo is not None else QWEN25VL_MIN_PIXELS) > (hi if hi is not None else QWEN25VL_MAX_PIXELS):
            raise ValueError(f"Expected min_pixels <= max_pixels, but got {lo!r} and {hi!r}")

    @property
    def frame(self) -> Frame:
        """The frame predictions are read in: ``pred_frame``, else the dialect's frame."""
        if self.pred_frame is not None:
            return self.pred_frame
        from rewardkit.parsing.dialects import get_dialect

        return check_frame(get_dialect(self.dialect).frame)

    @property
    def resize_kw(self) -> dict[str, int]:
        """``min_pixels`` / ``max_pixels`` with the processor defaults filled in."""
        return {
            "min_pixels": QWEN25VL_MIN_PIXELS if self.min_pixels is None else self.min_pixels,
            "max_pixels": QWEN25VL_MAX_PIXELS if self.max_pixels is None else self.max_pixels,
        }

    def replace(self, **changes: Any) -> Reading:
        """A copy with some fields changed (validated again)."""
        unknown = sorted(set(changes) - set(READING_FIELDS))
        if unknown:
            raise ValueError(f"Expected fields of Reading {list(READING_FIELDS)}, but got {unknown}")
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in READING_FIELDS}

    @classmethod
    def resolve(cls, reading: Any = None, base: Reading | None = None, **fields: Any) -> Reading:
        """The reading a reward uses: ``reading`` (a :class:`Reading`, a mapping of its
        fields, or ``None`` for ``base``), with any keyword ``fields`` applied on top.

        Naming a ``dialect`` without a ``pred_frame`` reads in the dialect's frame (a
        reward's default ``pred_frame``, e.g. ``"pixel"``, does not carry over): the
        user names the model, not the frame.
        """
        if "dialect" in fields and "pred_frame" not in fields:
            fields["pred_frame"] = None
        if reading is None:
            start = base if base is not None else _DEFAULT
        elif isinstance(reading, Reading):
            start = reading
        elif isinstance(reading, Mapping):
            start = _cached(_DEFAULT, _freeze(reading))
        else:
            raise ValueError(f"Expected `reading` to be a Reading or a mapping of its fields, but got {type(reading).__name__}")
        if not fields:
            return start
        return _cached(start, _freeze(fields))


def _freeze(fields: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    out = []
    for k, v in fields.items():
        if k not in READING_FIELDS:
            raise ValueError(f"Expected fields of Reading {list(READING_FIELDS)}, but got {k!r}")
        if k == "image_size" and v is not None and not isinstance(v, tuple):
            v = as_image_size(v)
        out.append((k, v))
    return tuple(sorted(out))


@lru_cache(maxsize=1024)
def _cached_hashable(start: Reading, items: tuple[tuple[str, Any], ...]) -> Reading:
    return start.replace(**dict(items))


def _cached(start: Reading, items: tuple[tuple[str, Any], ...]) -> Reading:
    try:
        return _cached_hashable(start, items)
    except TypeError:  # an unhashable value: build without the cache
        return start.replace(**dict(items))


_DEFAULT = Reading()


# ----------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class AnswerText:
    """The answer payload of one completion and how it was found.

    ``text`` is ``None`` (with ``reason``) when there is no answer; ``source`` is
    ``"tags"`` (an answer block) or ``"whole"`` (the cleaned whole completion);
    ``tags`` is the tag parse (for the strict format).
    """

    text: str | None
    tags: TagParse
    reason: str | None
    source: str


_THINK_CLOSE = re.compile(r"<\s*/\s*think\s*>", re.IGNORECASE)
_THINK_OPEN = re.compile(r"<\s*think\s*>", re.IGNORECASE)
_ANSWER_TAG = re.compile(r"<\s*/?\s*answer\s*>", re.IGNORECASE)
_FENCE = re.compile(r"```[ \t]*[A-Za-z0-9_+-]*")


def clean_whole(text: str) -> str:
    """The whole completion as an answer: the text after the last ``</think>`` (an
    unclosed ``<think>`` drops the rest), answer-tag tokens (replaced by a space) and code-fence markers
    removed, stripped. Linear time (single-token regexes, no backtracking).
    """
    last = None
    m: re.Match[str] | None
    for m in _THINK_CLOSE.finditer(text):
        last = m
    if last is not None:
        text = text[last.end():]
    m = _THINK_OPEN.search(text)
    if m is not None:
        text = text[: m.start()]
    if "<" in text:
        text = _ANSWER_TAG.sub(" ", text)
    if "```" in text:
        text = _FENCE.sub("", text)
    return text.strip()


def extract_answer_text(completion: Any, prompt: str | None = None, mode: str = "auto") -> AnswerText:
    """The answer payload of ``completion`` under answer ``mode`` (never raises on
    model output; an unknown ``mode`` is caller input and raises ``ValueError``).
    """
    if mode != "auto" and mode != "tags":
        mode = _ANSWER_ALIASES.get(mode, mode)
    if mode not in ANSWER_MODES:
        raise ValueError(f"Expected `answer` to be one of {list(ANSWER_MODES)}, but got {mode!r}")
    tp = parse_completion(completion, prompt)
    if mode == "tags" or (mode == "auto" and tp.n_answer > 0):
        if tp.answer is None:
            return AnswerText(None, tp, tp.reason or "no_answer_tag", "tags")
        return trusted(AnswerText, text=tp.answer, tags=tp, reason=None, source="tags")  # AnswerText(tp.answer, tp, None, "tags")
    text = strip_prompt(completion_text(completion), prompt if isinstance(prompt, str) else None)
    if len(text) > MAX_COMPLETION_CHARS:
        text = text[:MAX_COMPLETION_CHARS]
    body = clean_whole(text)
    if not body:
        return AnswerText(None, tp, "empty_answer" if mode == "whole" else "no_answer_tag", "whole")
    return AnswerText(body, tp, None, "whole")

