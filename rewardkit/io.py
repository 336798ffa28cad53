"""Files: streaming JSONL (plain or gzip) reading and writing, row field lookup.

Reading never drops a line: every physical line that is not blank becomes an
:class:`InputRow`, with ``data=None`` and an ``error`` when it is not a JSON object.
Memory does not grow with the file: rows are yielded one at a time.
"""

from __future__ import annotations

import gzip
import io
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rewardkit.limits import MAX_LINE_CHARS  # the one home of the bound

__all__ = [
    "InputRow",
    "iter_jsonl",
    "open_text",
    "open_output",
    "get_field",
    "GROUND_TRUTH_FIELDS",
    "COMPLETION_FIELDS",
    "default_output_path",
    "to_jsonable",
]

GROUND_TRUTH_FIELDS = ("ground_truth", "solution", "answer", "reward_model.ground_truth", "gt")
"""Column names accepted for the ground truth, in order (the public datasets' names)."""
COMPLETION_FIELDS = ("completion", "response", "solution_str", "output", "prediction")


@dataclass
class InputRow:
    line: int
    data: dict[str, Any] | None
    error: str | None = None
    n_bytes: int = 0


def open_text(path: str | Path) -> IO[str]:
    p = Path(path)
    if p.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(p, "rb"), encoding="utf-8", errors="replace")
    return open(p, encoding="utf-8", errors="replace")


def open_output(path: str | Path) -> IO[str]:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(p, "wb"), encoding="utf-8")
    return open(p, "w", encoding="utf-8")


def default_output_path(path: str | Path) -> Path:
    """``preds.jsonl`` -> ``preds.scored.jsonl`` (``.jsonl.gz`` too), next to the input."""
    p = Path(path)
    name = p.name
    for suffix in (".jsonl.gz", ".json.gz", ".jsonl", ".json", ".gz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return p.with_name(name + ".scored.jsonl")


def iter_jsonl(path: str | Path) -> Iterator[InputRow]:
    """Yield one :class:`InputRow` per non-blank line (1-based line numbers)."""
    with open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            n = len(line)
            if not line.strip():
                continue
            if n > MAX_LINE_CHARS:
                yield InputRow(lineno, None, "line_too_long", n)
                continue
            try:
                data = json.loads(line)
            except ValueError as exc:
                yield InputRow(lineno, None, f"invalid_json: {str(exc)[:80]}", n)
                continue
            except RecursionError:
                yield InputRow(lineno, None, "invalid_json: nested too deeply", n)
                continue
            if not isinstance(data, dict):
                yield InputRow(lineno, None, f"not_an_object: got {type(data).__name__}", n)
                continue
            yield InputRow(lineno, data, None, n)


_MISSING = object()


def get_field(row: Mapping[str, Any], names: tuple[str, ...]) -> tuple[str | None, Any]:
    """The first of ``names`` present in ``row``; dotted names look into nested dicts
    (``reward_model.ground_truth``) and also match a flat key with the dot."""
    for name in names:
        if name in row:
            return name, row[name]
        if "." in name:
            cur: Any = row
            for part in name.split("."):
                if isinstance(cur, Mapping) and part in cur:
                    cur = cur[part]
                else:
                    cur = _MISSING
                    break
            if cur is not _MISSING:
                return name, cur
    return None, _MISSING


def to_jsonable(value: Any) -> Any:
    """Floats that JSON cannot hold (NaN, inf) become ``None``."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value
