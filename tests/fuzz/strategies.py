"""hypothesis strategies of hostile model output and hostile ground truth (issue 10, item 6).

Completions mix: tag soup (the tokens every reader looks for), the payload grammar of
every reader (boxes, points, keypoints, labels, counts, RLE masks, polygons, quads,
Seg-R1 prompts, Florence-2 locations), numbers at the edges of float and int ranges,
deep nesting, unicode (lone surrogates included), truncation, repeated answer blocks
and bytes. Ground truths mix hostile constants, random JSON values and mutations of a
valid ground truth (a number replaced by NaN, inf, 1e308, a negative or a 10**400
integer; a key dropped; a list emptied or nested).
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

from hypothesis import strategies as st

EDGE_NUMBER_TEXT = [
    "0", "-0", "-0.0", "1", "-1", "0.5", "999", "1000", "1001", "1e7", "1e8", "5e7", "-3e9", "1e308", "-1e308",
    "1.8e308", "1e400", "-1e400", "1e-308", "5e-324", "9007199254740993", "9223372036854775807",
    "9223372036854775808", "18446744073709551616", "4611686018427387904", "1" * 30, "1" * 5000, "NaN", "nan",
    "-nan", "Infinity", "-Infinity", "inf", "-inf", "None", "null", "True", "false", "1_000", "0x10", "1e", ".5",
    "5.", "+7", "٣",
]  # fmt: skip
EDGE_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 1e7, 1e8, 5e7, 1e308, -1e308, 5e-324, math.nan, math.inf, -math.inf, 2.0**53]
EDGE_INTS = [0, 1, -1, 2, 3, 17, 255, 1000, 2**31, 2**53 + 1, 2**62, 2**63, 2**64, 10**30, -(2**63)]

TAG_PIECES = [
    "<think>", "</think>", "<answer>", "</answer>", "< answer >", "</ answer>", "<ANSWER>", "<", ">", "/",
    "<|box_start|>", "<|box_end|>", "<|object_ref_start|>", "cat", "<|object_ref_end|>", "<7>", "<999>", "<loc_12>",
    "<loc_999>", "<bbox>", "</bbox>", "<points>", "</points>", "<labels>", "</labels>", "```json\n", "```", "[", "]",
    "{", "}", "(", ")", ",", ":", "'", '"', "\\", "\\\"", "\n", "\r", "\t", " ", "bbox_2d", "Position", "Confidence",
    "label", "point_2d", "keypoints", "counts", "size", "polygon", "quad", "No Objects", "none", "\ud800", "\u00e9",
    "\u4e2d", "\U0001f600", "\x00",
]  # fmt: skip


DANGER_TEXT = ["1e7", "5e7", "-3e9", "1e308", "-1e308", "1e400", "NaN", "Infinity", "-Infinity", "nan", "inf",
               "9223372036854775808", "4611686018427387904", "1" * 400, "-0", "5e-324", "0", "-1"]


def numbers() -> st.SearchStrategy[str]:
    """A number as model output writes it: dangerous values (about 2 in 5), ordinary
    coordinates, and random floats and ints."""
    danger = st.sampled_from(DANGER_TEXT)
    ordinary = st.integers(min_value=0, max_value=1000).map(str)
    return st.one_of(
        danger,
        danger,
        ordinary,
        ordinary,
        st.sampled_from(EDGE_NUMBER_TEXT),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(min_value=-(10**20), max_value=10**20).map(str),
        st.floats(min_value=-2000, max_value=2000).map(lambda v: f"{v:.2f}"),
    )


def _nums(k: int) -> st.SearchStrategy[str]:
    return st.lists(numbers(), min_size=k, max_size=k).map(lambda v: "[" + ", ".join(v) + "]")


def _some(inner: st.SearchStrategy[str], max_size: int = 6) -> st.SearchStrategy[str]:
    return st.lists(inner, min_size=0, max_size=max_size).map(lambda v: "[" + ", ".join(v) + "]")


def _dict(items: dict[str, st.SearchStrategy[str]], quote: str = '"') -> st.SearchStrategy[str]:
    keys = list(items)
    return st.tuples(*[items[k] for k in keys]).map(
        lambda vals: "{" + ", ".join(f"{quote}{k}{quote}: {v}" for k, v in zip(keys, vals)) + "}"
    )


def _label() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(['"cat"', '"dog"', "null", "5", '"\\ud800"', '""', "[]", '"' + "a" * 300 + '"']),
                     st.text(max_size=20).map(json.dumps))


def _families() -> dict[str, st.SearchStrategy[str]]:
    box4 = _nums(4)
    pair = _nums(2)
    edge_ints = st.sampled_from([str(v) for v in EDGE_INTS])
    boxes = st.one_of(
        box4,
        _some(box4),
        _some(_dict({"bbox_2d": box4, "label": _label()})),
        _some(_dict({"Position": box4, "Confidence": numbers()}, quote="'")),
        st.tuples(pair, pair).map(lambda t: f"({t[0][1:-1]}), ({t[1][1:-1]})"),
        st.lists(_nums(4), max_size=3).map(lambda bs: "".join(f"<|box_start|>({b[1:-1]})<|box_end|>" for b in bs)),
        st.lists(st.integers(0, 9999), min_size=4, max_size=12).map(lambda v: "".join(f"<{x}>" for x in v)),
    )
    points = st.one_of(pair, _some(pair, 20), _some(_dict({"point_2d": pair, "label": _label()})))
    keypoints = st.one_of(
        _some(_nums(3), 20),
        _some(pair, 20),
        st.lists(numbers(), min_size=51, max_size=51).map(lambda v: "[" + ", ".join(v) + "]"),
        st.lists(st.tuples(st.sampled_from(["nose", "left_eye", "Left Shoulder", "r_hip", "x" * 50]), pair), max_size=17).map(
            lambda kv: "{" + ", ".join(f'"{k}": {v}' for k, v in kv) + "}"
        ),
    )
    size = st.one_of(_nums(2), st.sampled_from(["[16384, 16384]", "[64, 64]", "[100, 100]", "[0, 0]", "[-1, 5]", "[true, 2]"]))
    counts = st.one_of(
        _some(numbers(), 12),
        st.lists(edge_ints, max_size=8).map(lambda v: "[" + ", ".join(v) + "]"),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40).map(json.dumps),
        st.sampled_from(['"0"', '"PPYo0"', '"' + "o" * 30 + '1"', "[4611686018427387904, 4611686018427387904]"]),
    )
    rle = _dict({"size": size, "counts": counts})
    polygon = st.one_of(
        st.lists(numbers(), min_size=0, max_size=24).map(lambda v: "[[" + ", ".join(v) + "]]"),
        _some(pair, 30),
        st.lists(st.lists(st.integers(-50, 150).map(str), min_size=6, max_size=16).map(lambda v: "[" + ", ".join(v) + "]"),
                 max_size=4).map(lambda ps: "[" + ", ".join(ps) + "]"),
        st.just('{"type": "Polygon", "coordinates": [[[0, 0], [40, 0], [40, 40], [0, 40]], [[50, 50], [60, 50], [60, 60]]]}'),
    )
    quads = st.one_of(
        _nums(8),
        _some(_nums(8)),
        _some(_dict({"quad": _nums(8), "label": _label()})),
        st.lists(st.integers(0, 999), min_size=1, max_size=24).map(lambda v: "TEXT" + "".join(f"<loc_{x}>" for x in v)),
    )
    seg = st.tuples(_some(box4, 3), _some(pair, 4), _some(st.sampled_from(["0", "1", "2", "-1", "nan"]), 4)).map(
        lambda t: f"<bbox>{t[0]}</bbox>, <points>{t[1]}</points>, <labels>{t[2]}</labels>"
    )
    words = st.one_of(
        st.sampled_from(["cat", "Black-footed Albatross", "cat or dog", "3", "three", "2 or 3", "1,000", "No Objects", ""]),
        st.text(max_size=40),
    )
    return {"boxes": boxes, "points": points, "keypoints": keypoints, "rle": rle, "polygon": polygon, "quads": quads,
            "seg_r1": seg, "words": words, "numbers": numbers()}


FAMILIES_BY_TASK = {
    "detection": ("boxes", "quads"),
    "grounding": ("boxes", "quads"),
    "point": ("points", "rle"),
    "pose": ("keypoints",),
    "segmentation": ("rle", "polygon", "seg_r1"),
    "classification": ("words",),
    "counting": ("words", "numbers"),
}


def payloads(task: str | None = None) -> st.SearchStrategy[str]:
    """The payload grammar of every reader, with edge numbers in every slot; the grammars
    of ``task``'s readers (``FAMILIES_BY_TASK``) are drawn three times as often."""
    fams = _families()
    mine = [fams[f] for f in FAMILIES_BY_TASK.get(task or "", ())]
    return st.one_of(*(mine * 3), *fams.values())


def nested() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(1, 3000).map(lambda n: "[" * n + "1" + "]" * n),
        st.integers(1, 3000).map(lambda n: "{\"a\":" * n + "1" + "}" * n),
        st.integers(1, 3000).map(lambda n: "[" * n),
        st.integers(1, 500).map(lambda n: "(" * n + ")" * n),
    )


def tag_soup() -> st.SearchStrategy[str]:
    return st.lists(st.one_of(st.sampled_from(TAG_PIECES), numbers()), max_size=80).map("".join)


def _wrap(payload: str, how: int) -> str:
    if how == 0:
        return f"<think>reasoning</think>\n<answer>{payload}</answer>"
    if how == 1:
        return f"<answer>{payload}</answer>"
    if how == 2:
        return payload
    if how == 3:
        return f"<think>x</think><answer>{payload}</answer><answer>{payload}</answer>"
    if how == 4:
        return f"<think>cut</think><answer>{payload}"  # cut at the length limit
    return f"<think>x</think><answer>```json\n{payload}\n```</answer>"


def completions(task: str | None = None) -> st.SearchStrategy[Any]:
    """Completions: wrapped payloads (``task``'s grammars first), tag soup, nesting,
    unicode; sometimes truncated, repeated or given as bytes."""
    wrapped = st.tuples(payloads(task), st.integers(0, 5)).map(lambda t: _wrap(*t))
    base = st.one_of(
        wrapped,
        wrapped,
        wrapped,
        st.tuples(nested(), st.integers(0, 5)).map(lambda t: _wrap(*t)),
        tag_soup(),
        st.text(max_size=200),
        st.text(alphabet=st.characters(), max_size=100),
    )

    def mutate(args: tuple[str, int, int]) -> Any:  # noqa: D401
        text, kind, n = args
        if kind == 1 and text:
            return text[: n % (len(text) + 1)]
        if kind == 2:
            return text * (1 + n % 50)
        if kind == 3:
            return text.encode("utf-8", "surrogatepass")
        return text

    return st.one_of(grammar_completions(task), grammar_completions(task), grammar_completions(task),
                     st.tuples(base, st.integers(0, 6), st.integers(0, 10_000)).map(mutate))


HOSTILE_GROUND_TRUTHS = [
    None, "", "[]", "{}", [], {}, 0, -1, True, math.nan, math.inf, "Infinity", "NaN", 10**400, "1e400",
    "[" * 5000 + "]" * 5000, "[" * 100_000, {"keypoints": []}, {"boxes": None}, {"mask": None},
    {"size": [2, 2], "counts": [4611686018427387904] * 4 + [4]}, {"size": [16384, 16384], "counts": "0"},
    {"polygons": [[0, 0, math.nan, 0, 1, 1]], "image_size": [10, 10]}, [[math.nan, 0, 1, 1]], [[0, 0, 1e308, 1e308]],
    {"keypoints": [1e308, 0, 2] * 17, "area": -5}, {"profile": "martian"}, "\ud800", b"\xff\xfe", [[1, 2, 3]],
]  # fmt: skip


def _mutations(value: Any, draw: Any, depth: int = 0) -> Any:
    """``value`` with one random change somewhere inside."""
    if depth > 6:
        return value
    if isinstance(value, dict) and value:
        key = draw(st.sampled_from(sorted(value, key=str)))
        op = draw(st.integers(0, 2))
        out = dict(value)
        if op == 0:
            out.pop(key)
        else:
            out[key] = _mutations(value[key], draw, depth + 1)
        return out
    if isinstance(value, list | tuple) and len(value):
        i = draw(st.integers(0, len(value) - 1))
        op = draw(st.integers(0, 3))
        out = list(value)
        if op == 0:
            out.pop(i)
        elif op == 1:
            out[i] = [out[i]]
        else:
            out[i] = _mutations(out[i], draw, depth + 1)
        return out
    if isinstance(value, bool) or value is None:
        return draw(st.sampled_from([None, True, 1, "x"]))
    if isinstance(value, int | float):
        return draw(st.sampled_from([*EDGE_FLOATS, *EDGE_INTS, -value, value * 1e6]))
    if isinstance(value, str):
        return draw(st.one_of(st.sampled_from(["", "\ud800", value * 1000, value[::-1]]), st.text(max_size=30)))
    return value


def ground_truths(valid: Any) -> st.SearchStrategy[Any]:
    """Hostile ground truths, and mutations of the valid one ``valid`` (lists of arrays as lists)."""
    plain = _plain(valid)

    @st.composite
    def mutated(draw: Any) -> Any:
        out = plain
        for _ in range(draw(st.integers(1, 3))):
            out = _mutations(out, draw)
        return out

    json_values = st.recursive(
        st.one_of(st.none(), st.booleans(), st.sampled_from(EDGE_FLOATS), st.sampled_from(EDGE_INTS), st.text(max_size=10)),
        lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
        max_leaves=20,
    )
    return st.one_of(st.sampled_from(HOSTILE_GROUND_TRUTHS), mutated(), json_values)


def _plain(value: Any) -> Any:
    """numpy arrays (masks) as nested lists so that mutations reach their values."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        return value
    if isinstance(value, np.ndarray):
        return value.astype(int).tolist() if value.dtype == bool else value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# -- a grammar generator driven by a hypothesis-controlled Random ----------------------------
# hypothesis's own generation mutates few structures over and over; the readers' crash
# classes need many independent structures (a polygon with one coordinate at 5e7, an RLE
# whose runs wrap int64, 100 KB of escaped quotes), so these generators draw every
# choice from a ``random.Random`` that hypothesis supplies (``st.randoms``): examples are
# reproducible from hypothesis' seed and reported on failure.

_ORDINARY_MAX = 1000


def _gnum(r: Any) -> str:
    u = r.random()
    if u < 0.25:
        return r.choice(DANGER_TEXT)
    if u < 0.75:
        return str(r.randint(0, _ORDINARY_MAX))
    if u < 0.85:
        return f"{r.uniform(-50, 1100):.{r.randint(0, 3)}f}"
    if u < 0.93:
        return r.choice(EDGE_NUMBER_TEXT)
    return f"{r.choice(['', '-'])}{r.random()}e{r.randint(-330, 330)}"


def _glist(items: list[str], r: Any) -> str:
    sep = r.choice([", ", ",", " , ", ",\n"])
    return "[" + sep.join(items) + "]"


def _gbox(r: Any) -> str:
    nums = [_gnum(r) for _ in range(4 if r.random() < 0.9 else r.randint(0, 6))]
    return _glist(nums, r)


def _gboxes(r: Any) -> str:
    n = r.choice([0, 1, 1, 2, 3, 5, 20, r.randint(0, 1200)])
    form = r.randint(0, 6)
    if form == 0:
        return _glist([_gbox(r) for _ in range(n)], r)
    if form == 1:
        return _glist([f'{{"bbox_2d": {_gbox(r)}, "label": "{r.choice(["cat", "dog", ""])}"}}' for _ in range(n)], r)
    if form == 2:
        return _glist([f"{{'Position': {_gbox(r)}, 'Confidence': {_gnum(r)}}}" for _ in range(n)], r)
    if form == 3:
        return " ".join(f"({_gnum(r)}, {_gnum(r)}), ({_gnum(r)}, {_gnum(r)})" for _ in range(n))
    if form == 4:
        return "".join(f"<|object_ref_start|>x<|object_ref_end|><|box_start|>({_gnum(r)},{_gnum(r)}),({_gnum(r)},{_gnum(r)})<|box_end|>" for _ in range(n))
    if form == 5:
        return "".join(f"<{r.randint(0, 9999)}>" for _ in range(4 * n))
    return _gbox(r)


def _gpoints(r: Any, k: int | None = None, dims: int = 2) -> str:
    n = k if k is not None else r.choice([0, 1, 3, 17, r.randint(0, 50)])
    return _glist([_glist([_gnum(r) for _ in range(dims)], r) for _ in range(n)], r)


def _gkeypoints(r: Any) -> str:
    form = r.randint(0, 4)
    k = r.choice([17, 17, 3, 2, r.randint(0, 40)])
    if form == 0:
        return _gpoints(r, k, 2)
    if form == 1:
        return _gpoints(r, k, 3)
    if form == 2:
        return _glist([_gnum(r) for _ in range(3 * k)], r)
    if form == 3:
        names = ["nose", "left_eye", "right_eye", "Left Shoulder", "r_hip", "l-knee", "left_ankle", "bogus"]
        return "{" + ", ".join(f'"{r.choice(names)}": {_gpoints(r, 1)[1:-1] or "null"}' for _ in range(k)) + "}"
    return "[" + ", ".join(f'{{"name": "{r.choice(["nose", "left_eye", "x"])}", "x": {_gnum(r)}, "y": {_gnum(r)}}}' for _ in range(k)) + "]"


def _gpolygon(r: Any) -> str:
    n_poly = r.choice([1, 1, 1, 2, 3, r.randint(0, 30)])
    polys = []
    for _ in range(n_poly):
        n = r.choice([0, 1, 2, 3, 4, 5, 8, 12, 30, r.randint(0, 300)])
        if r.random() < 0.5:
            pts = [(str(r.randint(-20, 120)), str(r.randint(-20, 120))) for _ in range(n)]  # often self-intersecting
        else:
            pts = [(_gnum(r), _gnum(r)) for _ in range(n)]
        if r.random() < 0.15 and pts:
            pts = pts + [pts[0]] * r.randint(1, 3)  # repeated points
        polys.append(pts)
    form = r.randint(0, 3)
    if form == 0:
        return _glist([_glist([c for p in pts for c in p], r) for pts in polys], r)
    if form == 1:
        return _glist([f"[{x}, {y}]" for x, y in polys[0]], r)
    if form == 2:
        return _glist([_glist([f"[{x}, {y}]" for x, y in pts], r) for pts in polys], r)
    rings = ", ".join("[" + ", ".join(f"[{x}, {y}]" for x, y in pts) + "]" for pts in polys)
    return f'{{"type": "Polygon", "coordinates": [{rings}]}}'


def _grle(r: Any) -> str:
    h, w = r.choice([(64, 64), (100, 100), (2, 2), (0, 0), (16384, 16384), (r.randint(0, 200), r.randint(0, 200))])
    size = r.choice([f"[{h}, {w}]", f"[{_gnum(r)}, {_gnum(r)}]", "[true, 2]", "[1]"])
    form = r.randint(0, 4)
    if form == 0 and h * w and h * w < 10**6:  # valid runs
        runs, left = [], h * w
        while left > 0 and len(runs) < 200:
            v = r.randint(0, left)
            runs.append(v)
            left -= v
        runs.append(left)
        counts = "[" + ", ".join(map(str, runs)) + "]"
    elif form == 1:
        counts = "[" + ", ".join(r.choice([str(v) for v in EDGE_INTS]) for _ in range(r.randint(0, 8))) + "]"
    elif form == 2:
        counts = json.dumps("".join(chr(r.randint(48, 111)) for _ in range(r.randint(0, 60))))
    elif form == 3:
        counts = json.dumps("".join(chr(r.randint(32, 126)) for _ in range(r.randint(0, 60))))
    else:
        counts = "[" + ", ".join(_gnum(r) for _ in range(r.randint(0, 8))) + "]"
    return f'{{"size": {size}, "counts": {counts}}}'


def _gquads(r: Any) -> str:
    n = r.choice([1, 1, 2, 3, r.randint(0, 50)])
    form = r.randint(0, 3)
    if form == 0:
        return _glist([_glist([_gnum(r) for _ in range(8)], r) for _ in range(n)], r)
    if form == 1:
        return _glist([f'{{"quad": {_glist([_gnum(r) for _ in range(8)], r)}, "label": "w"}}' for _ in range(n)], r)
    if form == 2:
        return "</s><s>" + "".join("TXT" + "".join(f"<loc_{r.randint(0, 1200)}>" for _ in range(r.choice([8, 8, 4, 7, 16]))) for _ in range(n))
    return _glist([_glist([f"[{_gnum(r)}, {_gnum(r)}]" for _ in range(4)], r) for _ in range(n)], r)


def _gseg(r: Any) -> str:
    parts = []
    for _ in range(r.choice([1, 2, 3, r.randint(0, 70)])):
        kind = r.choice(["bbox", "points", "labels"])
        body = _gbox(r) if kind == "bbox" else _gpoints(r) if kind == "points" else _glist([r.choice(["0", "1", "2", "nan"]) for _ in range(r.randint(0, 5))], r)
        parts.append(f"<{kind}>{body}</{kind}>")
    return ", ".join(parts)


def _gwords(r: Any) -> str:
    return r.choice(["cat", "Black-footed Albatross", "cat or dog", "3", "three", "2 or 3", "1,000", "No Objects", "",
                     "There are 3 dogs.", "a", "\ud800", "x" * r.randint(0, 5000), _gnum(r)])


BIG_SIZES = [10_000, 100_000, 300_000, 1_000_000] if os.environ.get("RK_FUZZ_LONG") == "1" else [10_000, 100_000]


def _gbig(r: Any) -> str:
    """Large adversarial payloads (10 KB - 100 KB; up to 1 MB in the long mode): the stall
    classes of the readers."""
    n = r.choice(BIG_SIZES)
    unit = r.choice(['\\"', "\\'", '"', "[", "{\"a\":", "(", "[1,", "1", "<answer>", " ", "<", "<|box_start|>", "<loc_1>",
                     "<bbox>", "(1,2)", "\\", "'\"", "[[0,0,1e7,0,1e7,1e7]]"])
    return r.choice(['["', "['", "", "(1,2)", "]"]) + unit * max(1, n // len(unit))


_GENERATORS = {"boxes": _gboxes, "points": _gpoints, "keypoints": _gkeypoints, "polygon": _gpolygon, "rle": _grle,
               "quads": _gquads, "seg_r1": _gseg, "words": _gwords, "numbers": _gnum}


def generate_completion(r: Any, task: str | None = None) -> Any:
    """One completion from the grammar (see above); ``task`` favours its readers."""
    u = r.random()
    mine = FAMILIES_BY_TASK.get(task or "", ())
    if u < 0.04:
        payload = _gbig(r)
    elif u < 0.10:
        payload = "".join(r.choice(TAG_PIECES) if r.random() < 0.7 else _gnum(r) for _ in range(r.randint(0, 200)))
    elif u < 0.14:
        d = r.choice([1, 10, 17, 100, 1000, 5000])
        payload = r.choice(["[" * d + "]" * d, "{\"a\":" * d + "1" + "}" * d, "[" * d, "(" * d + ")" * d])
    else:
        fam = r.choice(mine) if mine and r.random() < 0.7 else r.choice(sorted(_GENERATORS))
        payload = _GENERATORS[fam](r)
    text = _wrap(payload, r.randint(0, 5))
    v = r.random()
    if v < 0.05:
        text = text[: r.randint(0, len(text))]
    elif v < 0.08:
        text = text * r.randint(2, 20 if len(text) < 10_000 else 3)
    elif v < 0.10:
        return text.encode("utf-8", "surrogatepass")
    elif v < 0.12:
        return [{"role": "assistant", "content": text}]  # a conversational completion
    return text


def grammar_completions(task: str | None = None) -> st.SearchStrategy[Any]:
    """Completions from the grammar generator, driven by hypothesis."""
    return st.randoms(use_true_random=False).map(lambda r: generate_completion(r, task))
