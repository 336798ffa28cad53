"""Growth check: every dialect reader (and the answer finder) runs in linear time.

Each adversarial unit is repeated to 10 KB and to 100 KB and read by every reader. The
CPU time (``time.process_time``: a busy machine's preemption does not count) of ten
reads of the 10 KB text is compared with one read of the 100 KB text: the same amount of
text, so a linear reader gives a ratio near 1 (up to ~3 from cache effects of Python
loops over 100 KB), a quadratic one about 10. The bound (5x, best of 3 runs with the
garbage collector paused, plus 2 ms of slack for timer resolution) separates the two
without asserting any absolute speed. Units target the scanners:
unclosed tags, tag-like prefixes, long digit runs, attribute soup, brackets.
"""

from __future__ import annotations

import gc
import time

import pytest

from rewardkit.parsing.dialects import dialect_names, get_dialect
from rewardkit.parsing.reading import clean_whole, extract_answer_text

UNITS = {
    "ref-open": "<ref>",
    "ref-box-open": "<ref>a</ref><box>[[1",
    "ds-ref-open": "<|ref|>",
    "ds-det-open": "<|ref|>a<|/ref|><|det|>",
    "loc": "<loc0001>",
    "loc-partial": "<loc00",
    "florence-loc": "a<loc_1>",
    "object-open": "<object><patch_index_0001>",
    "phrase": "<phrase>a</phrase>",
    "point-open": "<point ",
    "point-attrs": '<points x1="1" y1="2" ',
    "letters": "x",
    "digits": "9",
    "brackets": "[",
    "json-key": '{"box_2d": [',
    "box-tokens": "<|box_start|>(1,2),",
    "think-open": "<think>",
    "fence": "```json\n",
    "answer-close": "</answer>",
}


def _best(fn, text: str, repeat: int = 1, runs: int = 3) -> float:
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            t0 = time.process_time()
            for _ in range(repeat):
                fn(text)
            best = min(best, time.process_time() - t0)
    finally:
        gc.enable()
    return best


def _readers():
    """Each distinct reader once (several dialects share the generic ones)."""
    out = [("answer:auto", lambda t: extract_answer_text(t, None, "auto")), ("clean_whole", clean_whole)]
    seen = set()
    for name in dialect_names():
        d = get_dialect(name)
        for kind, fn in (("boxes", d.read_boxes), ("points", d.read_points)):
            if fn is not None and fn not in seen:
                seen.add(fn)
                out.append((f"{name}:{kind}", fn))
    return out


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_readers_grow_linearly(unit):
    u = UNITS[unit]
    small = u * (10_000 // len(u))
    big = u * (100_000 // len(u))
    slow = []
    for name, fn in _readers():
        fn(small)  # warm caches (regex compilation, lru caches)
        t_small = _best(fn, small, repeat=len(big) // len(small))
        t_big = _best(fn, big)
        if t_big > 5 * t_small + 0.002:
            slow.append(f"{name}: 10 x 10 KB {t_small * 1e3:.2f} ms, 1 x 100 KB {t_big * 1e3:.2f} ms")
    assert not slow, f"super-linear readers on {unit!r}: {slow}"
