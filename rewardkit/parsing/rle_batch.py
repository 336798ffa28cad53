"""Many compressed COCO RLE strings checked (and their areas read) in a few numpy passes.

pycocotools trusts its RLE strings: its C ``rleIou`` loops until both masks' runs are
used up, so a string whose runs do not add up to the image's ``h*w`` (or has a negative
run) stalls it forever, and ``rleFrString`` reads past the end of a string that stops
inside a run. Data sets and results files hold tens of thousands of these strings
(500 COCO images of results: 50,000 strings, 11 million characters), so they are checked
together here rather than one :func:`~rewardkit.parsing.masks.rle_counts` call each.

How pycocotools reads a string (``maskApi.c``, ``rleFrString``): characters ``'0'`` to
``'o'`` (48 to 111) carry 5 value bits each (low bits first) and a continuation bit
(0x20); the last character of a run holds the sign in bit 0x10 (the value is
sign-extended from ``5 * k`` bits); from the fourth run on (``m > 2``) the value is a
difference to the run two places before: ``cnts[m] = x + cnts[m - 2]`` (``uint``). So
with ``x`` the decoded values, ``c[0] = x[0]``, odd runs are prefix sums of the odd
``x`` (``c[3] = x[1] + x[3]``) and even runs from the third on are prefix sums of the
even ``x`` from ``x[2]``.

A string is accepted when, read that way with exact integers, every run is >= 0 and the
runs sum to exactly ``h*w`` (so every run is at most ``h*w`` and equals its ``uint``
value in C: pycocotools then computes on exactly these runs). Also refused: characters
outside the alphabet (a NUL would end the C string early), a string ending inside a run,
a run written with more than 6 characters (beyond 30 bits: C shifts an ``int`` past its
width), more than :data:`~rewardkit.limits.MAX_RLE_RUNS` characters, a size beyond
:data:`~rewardkit.limits.MAX_MASK_PIXELS`; an empty string is accepted only for an empty
image.

The passes (per chunk of about 260,000 characters, joined chunk by chunk: the
temporaries are reused from the heap and stay in cache, where one buffer of all strings
would be page-faulted in on every call): the characters as ``uint8``; the last character
of every run (almost every run is one character) gives its value directly; the few runs
written with several characters are corrected from the positions of their continuation
characters. Runs at even and at odd positions of the chunk are summed separately:
``int64`` prefix sums of both at once, the runs seen as rows of two (one ``cumsum`` along
the rows runs two independent sums and takes about half the time of two separate
ones). Inside one string each of them is one contiguous segment of one of those two
sums, so each run of the string is a difference of two prefix sums, and the minimum and
the sum of a string's runs come from one ``minimum.reduceat`` and one ``add.reduceat``.
The area (sum of the odd runs, what ``pycocotools.mask.area`` returns) falls out of the
same sums.

Exactness: a run value is within ``[-2**30, 2**30)`` (6 characters), so a chunk's prefix
sums stay below ``2**54``; the minimum test is exact. The sums of prefix sums may wrap
around int64, but a string's runs sum, taken modulo ``2**64``, is exact whenever the
true sum is below ``2**63``: true for strings of at most ``2**16`` characters
(``2**16`` runs of at most ``2**15 * 2**30`` each); in a chunk holding a longer string
every run is also checked to be at most ``h*w`` (one ``maximum.reduceat``), which bounds
the true sum by ``MAX_RLE_RUNS * MAX_MASK_PIXELS < 2**63``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rewardkit.limits import MAX_MASK_PIXELS, MAX_RLE_RUNS

__all__ = ["compressed_rles_check"]

_CHUNK_CHARS = 1 << 18
_SHORT = 1 << 16  # strings up to this many characters need no maximum test (see above)


def compressed_rles_check(counts: Sequence[str | bytes | bytearray], hw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(ok, area)`` for compressed RLE strings (``str`` or ``bytes``) of sizes ``hw``
    (``N x 2`` heights and widths): ``ok`` a bool per string (see the module docstring),
    ``area`` (int64) the number of foreground pixels of each accepted string (0 where
    refused), equal to ``pycocotools.mask.area``. ``TypeError`` when a count is neither
    ``str`` nor ``bytes``.

    >>> ok, area = compressed_rles_check(["426", "5"], np.array([[3, 4], [3, 4]]))  # runs 4, 2, 6 and 5
    >>> ok.tolist(), area.tolist()
    ([True, False], [2, 0])
    """
    n = len(counts)
    ok = np.ones(n, dtype=bool)
    area = np.zeros(n, dtype=np.int64)
    if n == 0:
        return ok, area
    lens = np.fromiter(map(len, counts), dtype=np.int64, count=n)
    total = np.asarray(hw, dtype=np.int64).reshape(n, 2).prod(axis=1)
    ok &= (lens <= MAX_RLE_RUNS) & (total <= MAX_MASK_PIXELS) & (total >= 0)
    ok &= (lens > 0) | (total == 0)
    skip = lens > MAX_RLE_RUNS  # refused already: not read
    if skip.any():
        counts = ["" if s else c for c, s in zip(counts, skip.tolist())]
        lens = np.where(skip, 0, lens)
    ends = np.cumsum(lens)
    lo = 0
    while lo < n:
        # strings lo..hi-1: about _CHUNK_CHARS characters (at least one string), joined
        # chunk by chunk (one buffer of all of them would be page-faulted in on every call)
        start = int(ends[lo - 1]) if lo else 0
        hi = max(int(np.searchsorted(ends, start + _CHUNK_CHARS, side="right")), lo + 1)
        buf, blens = _as_bytes(counts[lo:hi], lens[lo:hi])
        k_ok, k_area = _check_chunk(buf, blens, total[lo:hi])
        ok[lo:hi] &= k_ok
        area[lo:hi] = np.where(ok[lo:hi], k_area, 0)
        lo = hi
    return ok, area


def _as_bytes(counts: Sequence[str | bytes | bytearray], lens: np.ndarray) -> tuple[bytes, np.ndarray]:
    """The strings as one ``bytes`` and the length in bytes of each: ASCII ``str`` (the
    common case; ``lens`` their lengths) joined as they are; otherwise each string as
    UTF-8 (what pycocotools hands to C), so that anything non-ASCII is refused as out of
    the alphabet."""
    try:
        return "".join(counts).encode("ascii"), lens  # type: ignore[arg-type]
    except (TypeError, UnicodeEncodeError):  # bytes among them, or non-ASCII characters
        pass
    data = []
    for c in counts:
        if isinstance(c, str):
            data.append(c.encode("utf-8", "surrogatepass"))
        elif isinstance(c, bytes | bytearray):
            data.append(bytes(c))
        else:
            raise TypeError(f"Expected compressed RLE counts as str or bytes, but got {type(c).__name__}")
    return b"".join(data), np.fromiter(map(len, data), dtype=np.int64, count=len(data))


def _segments(S: np.ndarray, lo: np.ndarray, hi: np.ndarray, need_max: bool):
    """Per segment ``[lo, hi)`` of ``S`` (segments tile ``S`` in order): count, the value
    before it (0 at the start), minimum, sum and (``need_max``) maximum of ``S``."""
    cnt = hi - lo
    has = cnt > 0
    before = np.zeros(lo.size, dtype=np.int64)
    inner = lo > 0
    before[inner] = S[lo[inner] - 1]
    mn = np.zeros(lo.size, dtype=np.int64)
    sm = np.zeros(lo.size, dtype=np.int64)
    mx = np.zeros(lo.size, dtype=np.int64) if need_max else None
    if has.any():
        at = lo[has]
        mn[has] = np.minimum.reduceat(S, at)
        sm[has] = np.add.reduceat(S, at)
        if mx is not None:
            mx[has] = np.maximum.reduceat(S, at)
    return cnt, before, mn, sm, mx


def _check_chunk(buf: bytes, lens: np.ndarray, total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = lens.size
    ok = np.ones(n, dtype=bool)
    area = np.zeros(n, dtype=np.int64)
    if not buf:
        return ok, area
    s_end = np.cumsum(lens)
    v = np.frombuffer(buf, dtype=np.uint8) - np.uint8(48)  # '0'..'o' -> 0..63; others wrap above 63
    if v.max() > 63:
        bad = v > 63
        ok[np.searchsorted(s_end, np.flatnonzero(bad), side="right")] = False
        v[bad] = 0
    stop = v < 32  # no continuation bit: the last character of a run
    filled = lens > 0
    last = s_end[filled] - 1
    ok[filled] &= stop[last]  # a string must not end inside a run
    stop[last] = True  # runs never span two strings
    tail = v[stop]  # the last character of each run: 5 value bits, 0x10 the sign
    t8 = (tail ^ 0x10).view(np.int8)
    t8 -= 16  # one-character runs: 4 value bits and the sign (-16..15)
    # runs at even chunk positions (A) and odd ones (B): one string = one segment of each;
    # their prefix sums in one pass over the runs seen as rows of two (A, B)
    R = t8.size
    X = np.empty(R + (R & 1), dtype=np.int64)
    X[:R] = t8
    X[R:] = 0
    cont = np.flatnonzero(~stop)
    runs_per = lens
    if cont.size:  # runs written with several characters: 5 bits each, low bits first
        runs_per = lens - np.diff(np.searchsorted(cont, s_end), prepend=0)
        r = cont - np.arange(cont.size)  # the run each continuation character belongs to
        first = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
        extra = np.diff(np.r_[first, cont.size])  # continuation characters of each such run
        k = np.arange(cont.size) - np.repeat(first, extra)
        run = r[first]
        if extra.max() > 5:  # over 6 characters: beyond 30 bits (refused; bounded below)
            ok[np.searchsorted(np.cumsum(runs_per), run[extra > 5], side="right")] = False
            np.minimum(k, 5, out=k)
            np.minimum(extra, 5, out=extra)
        low = np.add.reduceat((v[cont] & 0x1F).astype(np.int64) << (5 * k), first)
        full = low + (X[run] << (5 * extra))  # the last character, sign-extended
        X[run] = np.clip(full, -(1 << 30), (1 << 30) - 1)
    S2 = X.reshape(-1, 2)
    np.cumsum(S2, axis=0, out=S2)  # two interleaved prefix sums: about twice as fast as one by one
    SA = S2[: (R + 1) // 2, 0]
    SB = S2[: R // 2, 1]
    need_max = bool(lens.max() > _SHORT)
    f = np.cumsum(runs_per) - runs_per  # first run of each string in the chunk
    m = runs_per
    A = _segments(SA, (f + 1) // 2, (f + m + 1) // 2, need_max)
    B = _segments(SB, f // 2, (f + m) // 2, need_max)
    even_first = (f & 1) == 0  # the string's run 0 is in A: its even runs are A's segment
    cntE, befE, mnE, smE = (np.where(even_first, a, b) for a, b in zip(A[:4], B[:4]))
    cntO, befO, mnO, smO = (np.where(even_first, b, a) for a, b in zip(A[:4], B[:4]))
    filled = m > 0
    # S at the string's run 0 (the base of its even runs from run 2 on)
    idxA = np.minimum((f + 1) // 2, max(SA.size - 1, 0))
    idxB = np.minimum(f // 2, max(SB.size - 1, 0))
    firstE = np.where(even_first, SA[idxA] if SA.size else 0, SB[idxB] if SB.size else 0)
    x0 = firstE - befE
    okE = (x0 >= 0) & (mnE >= firstE)
    okO = (cntO == 0) | (mnO >= befO)
    area_s = np.where(cntO > 0, smO - cntO * befO, 0)  # sum of the odd runs (modulo 2**64)
    sum_s = x0 + smE - cntE * firstE + area_s
    if need_max:
        mxE = np.where(even_first, A[4], B[4])
        mxO = np.where(even_first, B[4], A[4])
        okE &= (x0 <= total) & (mxE - firstE <= total)
        okO &= (cntO == 0) | (mxO - befO <= total)
    ok &= np.where(filled, okE & okO & (sum_s == total), total == 0)
    area[:] = np.where(filled, area_s, 0)
    return ok, area
