"""Every reader of model output runs in linear time on adversarial input (issue 10, item 2).

For each reader and each adversarial family (escaped quotes, unclosed strings, unclosed
brackets, long digit runs, repeated tags, whitespace runs after a token...), the time on
a 100 KB input must stay within 15x the time on a 10 KB input (a quadratic reader gives
~100x). Times are CPU times of the calling thread (``time.thread_time``: the readers are
single-threaded, and wall-clock time on a shared machine grows with the length of a run
as other processes preempt it), one run each, and the best of 3 when that first ratio is
too high; the 10 KB time is floored at 1 ms
(below that the interpreter's overhead dominates) so the check reads "100 KB within
15 ms or within 15x". ``string_spans`` (the single-pass string scanner) is also checked against
the regex it replaced.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable

import pytest

from rewardkit.parsing import _structured
from rewardkit.parsing.boxes import parse_boxes
from rewardkit.parsing.ground_truth import read_box_target
from rewardkit.parsing.keypoints import parse_keypoints
from rewardkit.parsing.labels import normalize_label, parse_label
from rewardkit.parsing.masks import to_mask
from rewardkit.parsing.numbers import parse_count, parse_number
from rewardkit.parsing.points import parse_points
from rewardkit.parsing.polygons import parse_polygons
from rewardkit.parsing.quads import parse_quads
from rewardkit.parsing.seg_r1 import parse_seg_r1
from rewardkit.parsing.tags import parse_completion

RATIO = 15.0
FLOOR = 1e-3


def _quiet(fn: Callable[[str], object]) -> Callable[[str], object]:
    def call(text: str) -> object:
        try:
            return fn(text)
        except ValueError:  # the ground-truth and mask readers raise on unusable input
            return None

    return call


READERS: dict[str, Callable[[str], object]] = {
    "tags": parse_completion,
    "structured": _structured.load_structured,
    "boxes": parse_boxes,
    "points": parse_points,
    "labels": parse_label,
    "normalize_label": normalize_label.__wrapped__,  # lru-cached: time the function itself
    "count": parse_count,
    "number": parse_number,
    "keypoints": parse_keypoints,
    "seg_r1": parse_seg_r1,
    "masks": _quiet(to_mask),
    "polygons": lambda t: parse_polygons(t, image_size=(640, 480)),
    "quads": parse_quads,
    "box_ground_truth": _quiet(read_box_target),
}


def _dialect_readers() -> dict[str, Callable[[str], object]]:
    """Every VLM dialect's box and point reader (a dialect added later is covered too)."""
    try:
        from rewardkit.parsing.dialects import DIALECTS
    except ImportError:  # pragma: no cover - before the dialects existed
        return {}
    out = {}
    for name, d in sorted(DIALECTS.items()):
        for kind in ("boxes", "points"):
            fn = getattr(d, f"read_{kind}", None)
            if fn is not None:
                out[f"dialect:{name}:{kind}"] = fn
    return out


READERS.update(_dialect_readers())


def _rep(unit: str, n: int, head: str = "", tail: str = "") -> str:
    return head + unit * max(1, (n - len(head) - len(tail)) // len(unit)) + tail


FAMILIES: dict[str, Callable[[int], str]] = {
    "escaped_quotes": lambda n: _rep('\\"', n, '["'),
    "escaped_single_quotes": lambda n: _rep("\\'", n, "['"),
    "unclosed_string": lambda n: _rep("a", n, '["'),
    "quotes": lambda n: _rep('"', n),
    "quote_letter": lambda n: _rep('"a', n, "["),
    "mixed_quotes": lambda n: _rep("'\"", n, "["),
    "backslashes": lambda n: _rep("\\", n, '["'),
    "unclosed_brackets": lambda n: _rep("[", n),
    "unclosed_braces": lambda n: _rep('{"a":', n),
    "unclosed_parens": lambda n: _rep("(", n),
    "open_items": lambda n: _rep("[1,", n),
    "nested": lambda n: "[" * (n // 2) + "]" * (n // 2),
    "digits": lambda n: _rep("1", n),
    "bracket_digits": lambda n: _rep("1", n, "["),
    "pair_digits": lambda n: _rep("1", n, "(1,"),
    "decimal_digits": lambda n: _rep("1", n, "[1."),
    "exponents": lambda n: _rep("1e", n),
    "answer_tags": lambda n: _rep("<answer>", n),
    "tag_whitespace": lambda n: _rep(" ", n, "<"),
    "lt_runs": lambda n: _rep("<", n),
    "box_tokens": lambda n: _rep("<|box_start|>", n),
    "bins": lambda n: _rep("<1>", n),
    "seg_tags": lambda n: _rep("<bbox>", n),
    "pair_then_spaces": lambda n: _rep(" ", n, "(1,2)", "x"),
    "close_then_newlines": lambda n: _rep("\n", n, "]", "x"),
    "comma_spaces": lambda n: _rep(", ", n, "a"),
    "many_boxes": lambda n: _rep("[1, 2, 3, 4], ", n, "["),
    "many_points": lambda n: _rep("(1, 2) ", n),
    "fences": lambda n: _rep("```", n),
    "py_words": lambda n: _rep("None, ", n, "["),
    "unicode": lambda n: _rep("\u00e9\u4e2d\U0001f600", n),
}


def _best(fn: Callable[[str], object], text: str, reps: int = 3) -> float:
    best = float("inf")
    for _ in range(reps):
        t0 = time.thread_time()
        fn(text)
        best = min(best, time.thread_time() - t0)
    return best


@pytest.mark.parametrize("reader", sorted(READERS))
def test_reader_is_linear_on_adversarial_input(reader):
    fn = READERS[reader]
    slow = []
    for family, make in FAMILIES.items():
        small, large = make(10_000), make(100_000)
        t_small = _best(fn, small, reps=1)
        t_large = _best(fn, large, reps=1)
        if t_large > RATIO * max(t_small, FLOOR):
            # the best of 3: a single slow run on a shared machine is not a quadratic reader
            t_small, t_large = _best(fn, small), _best(fn, large)
            if t_large > RATIO * max(t_small, FLOOR):
                slow.append(f"{family}: 10 KB {t_small * 1e3:.2f} ms, 100 KB {t_large * 1e3:.2f} ms")
    assert not slow, f"{reader} grows faster than linearly on: " + "; ".join(slow)


_OLD_STRINGS = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')


def test_string_spans_equal_the_regex_they_replace():
    rng = random.Random(0)
    alphabet = ['"', "'", "\\", "\n", "a", "[", "]"]
    for _ in range(20_000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert _structured.string_spans(s) == [m.span() for m in _OLD_STRINGS.finditer(s)], repr(s)
