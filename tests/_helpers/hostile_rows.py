"""Seeded JSONL files of completions with hostile rows (tests only, not product code).

Each file mixes well-formed rows of several rewards with what breaks readers and rewards:
a UTF-8 BOM, CRLF line ends and bare CRs (inside a line: lines end at ``\n`` only), blank and whitespace lines, invalid UTF-8
bytes, invalid JSON, non-object JSON, nesting deep enough to exhaust the parser, NaN
and huge numbers, unknown rewards, missing fields, bad parameters, wrong-typed ground
truths, long and non-ASCII completions, NUL bytes, veRL rollout-dump rows (``input``,
``output``, ``gts``, ``step``) and a last line without a newline.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

DET = "<think>x</think><answer>[{{'Position': [{a}, {b}, {c}, {d}], 'Confidence': {s}}}]</answer>"


def _good(rng: np.random.Generator, i: int) -> dict:
    k = int(rng.integers(0, 6))
    if k == 0:
        a, b = (int(v) for v in rng.integers(0, 400, 2))
        c, d = a + int(rng.integers(1, 300)), b + int(rng.integers(1, 300))
        comp = DET.format(a=a, b=b, c=c, d=d, s=round(float(rng.random()), 3))
        return {"id": f"r{i}", "reward": "visual_rft.detection", "completion": comp, "ground_truth": [[a, b, c + 5, d]]}
    if k == 1:
        cls = ["rose", "tulip", "daisy"][int(rng.integers(0, 3))]
        guess = ["rose", "tulip", "daisy", "rose or tulip"][int(rng.integers(0, 4))]
        return {"id": i, "reward": "visual_rft.classification", "completion": f"<think>p</think><answer>{guess}</answer>", "solution": cls}
    if k == 2:
        x = int(rng.integers(0, 900))
        return {"reward": "grounding.iou", "completion": f"<answer>[{x}, {x}, {x + 50}, {x + 90}]</answer>", "ground_truth": [x + 3, x, x + 60, x + 80]}
    if k == 3:
        n = int(rng.integers(0, 9))
        return {"reward": "count.exact", "response": f"<answer>{int(rng.integers(0, 9))}</answer>", "answer": n}
    if k == 4:  # a veRL rollout dump row (reward from --reward or a column)
        x = int(rng.integers(0, 900))
        return {"input": "user\nWhere?\nassistant\n", "output": f"<answer>[{x}, {x}, {x + 40}, {x + 40}]</answer>",
                "gts": json.dumps([x, x, x + 40, x + 50]), "score": 0.5, "step": int(rng.integers(0, 100)),
                "reward": "grounding.iou"}  # fmt: skip
    return {"id": f"u{i}", "reward": "format.think_answer", "completion": "<think>" + "é漢" * int(rng.integers(0, 50)) + "</think><answer>a</answer>", "ground_truth": None}


def _hostile(rng: np.random.Generator, i: int) -> bytes:
    k = int(rng.integers(0, 16))
    if k == 0:
        return b"{not json"
    if k == 1:
        return b"[1, 2, 3]"
    if k == 2:
        return b"   \t "
    if k == 3:
        return b""
    if k == 4:
        return b'{"reward": "visual_rft.detection", "completion": "\xff\xfe bad utf8 \xc3", "ground_truth": [[1,2,3,4]]}'
    if k == 5:
        return b"[" * 2500 + b"]" * 2500
    if k == 6:
        return json.dumps({"reward": "visual_rft.detecton", "completion": "x", "ground_truth": [[1, 2, 3, 4]]}).encode()
    if k == 7:
        return json.dumps({"reward": "visual_rft.detection", "ground_truth": [[1, 2, 3, 4]]}).encode()
    if k == 8:
        return json.dumps({"reward": "visual_rft.detection", "completion": "x"}).encode()
    if k == 9:
        return json.dumps({"reward": "visual_rft.detection", "completion": DET.format(a=1, b=1, c=9, d=9, s=1), "ground_truth": [[1, 2, 3, 4]], "params": {"iou_threshold": 7}}).encode()
    if k == 10:
        return b'{"reward": "grounding.iou", "completion": "<answer>[NaN, 1e308, -Infinity, 5]</answer>", "ground_truth": [1, 2, 3, 4]}'
    if k == 11:
        return json.dumps({"reward": "visual_rft.detection", "completion": "<answer>" + "[" * 300 + "</answer>", "ground_truth": "garbage"}).encode()
    if k == 12:
        return json.dumps({"reward": "grounding.iou", "completion": "A" * 3000 + "<answer>[1,2,3,4]</answer>", "ground_truth": {"box": "nope"}}).encode()
    if k == 13:
        return b'{"reward": "count.exact", "completion": "<answer>3\x00</answer>", "ground_truth": 3, "id": {"nested": [1, 2]}}'
    if k == 14:
        return json.dumps({"reward": 7, "completion": "x", "ground_truth": 1}).encode()
    return b'"just a string"'


def write_hostile_jsonl(path: Path, n_rows: int, seed: int = 0, hostile: float = 0.2) -> Path:
    """``n_rows`` physical lines, a fraction ``hostile`` of them hostile, line ends mixed."""
    rng = np.random.default_rng(seed)
    ends = [b"\n"] * 12 + [b"\r\n", b"\r\n", b"\r"]
    parts = [b"\xef\xbb\xbf"]  # a BOM before the first line
    for i in range(n_rows):
        body = _hostile(rng, i) if rng.random() < hostile else json.dumps(_good(rng, i), ensure_ascii=bool(i % 2)).encode()
        parts.append(body)
        if i < n_rows - 1:
            parts.append(ends[int(rng.integers(0, len(ends)))])
    path.write_bytes(b"".join(parts))
    return path
