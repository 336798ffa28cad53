"""Files: the one JSONL reader, JSON files, row field lookup and safe output.

Every command that reads rows goes through this module:

* :func:`iter_jsonl` streams a JSONL file (plain or gzip, detected by its magic bytes,
  or ``-`` for standard input) and never drops a line: every physical line that is not
  blank becomes an :class:`InputRow`, with ``data=None`` and an ``error`` when it is not a
  JSON object. Lines end at ``\\n`` only (a bare ``\\r`` inside a line stays inside it,
  and raw control characters inside strings are accepted); a UTF-8 byte-order mark is
  skipped. Memory does not grow with the file.
* :func:`read_jsonl` reads a whole JSONL file strictly (the eval commands and protocols):
  the first bad line raises ``ValueError`` naming the file and the line.
* :func:`read_json` reads a JSON document; :func:`read_records` reads either (a JSON
  document, or JSONL when the file says so), with a one-line message that says what the
  file looks like when it is neither ("this looks like CSV").
* :func:`iter_rows` reads every input of ``rewardkit score``: JSONL, Parquet, Hugging
  Face ``save_to_disk`` folders, folders and globs of shards, veRL rollout dumps and
  training Parquet (:func:`normalize_row`); :func:`plan_chunks` / :func:`read_chunk` cut
  the same input into pieces that separate workers read (the Ray engine), row for row
  what :func:`iter_rows` gives.
* :class:`RowWriter` writes rows (JSONL or Parquet) to a temporary file in the output's
  folder and renames it at the end; an interrupted run keeps what it wrote under
  ``<output>.partial`` and never touches a previous output.
"""

from __future__ import annotations

import errno
import gzip
import io
import json
import math
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rewardkit.limits import MAX_LINE_CHARS  # the one home of the bound

__all__ = [
    "InputRow",
    "iter_jsonl",
    "iter_jsonl_stream",
    "read_jsonl",
    "read_json",
    "read_records",
    "open_binary",
    "open_text",
    "open_output",
    "RowWriter",
    "same_file",
    "sniff",
    "head_bytes",
    "get_field",
    "GROUND_TRUTH_FIELDS",
    "COMPLETION_FIELDS",
    "default_output_path",
    "to_jsonable",
    "dump_row",
    "InputFile",
    "input_files",
    "require_readers",
    "iter_rows",
    "normalize_row",
    "expand_row",
    "count_lines",
    "Chunk",
    "plan_chunks",
    "read_chunk",
    "default_output_for",
]

GROUND_TRUTH_FIELDS = ("ground_truth", "solution", "answer", "reward_model.ground_truth", "gt")
"""Column names accepted for the ground truth, in order (the public datasets' names)."""
COMPLETION_FIELDS = ("completion", "response", "solution_str", "output", "prediction")
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"


@dataclass
class InputRow:
    line: int
    data: dict[str, Any] | None
    error: str | None = None
    n_bytes: int = 0


# ----------------------------------------------------------------------------- opening


def _is_stdin(path: str | Path) -> bool:
    return str(path) == "-"


def open_binary(path: str | Path) -> IO[bytes]:
    """A binary stream of ``path`` (``-``: standard input), gunzipped when the content
    starts with the gzip magic, whatever the file's name. Missing files and folders raise
    ``FileNotFoundError`` / ``IsADirectoryError`` with a one-line message."""
    if _is_stdin(path):
        try:
            raw: IO[bytes] = open(sys.stdin.fileno(), "rb", closefd=False)  # noqa: SIM115
        except (AttributeError, OSError, ValueError):
            raw = sys.stdin.buffer
        buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[arg-type]
        if buffered.peek(2)[:2] == _GZIP_MAGIC:
            return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
        return buffered
    p = Path(path)
    if p.is_dir():
        raise IsADirectoryError(f"Expected a file, but {str(p)!r} is a directory")
    if not p.exists():
        raise FileNotFoundError(f"No such file: {str(p)!r}")
    fh = open(p, "rb")  # noqa: SIM115 - returned to the caller
    if fh.peek(2)[:2] == _GZIP_MAGIC:
        fh.close()
        return gzip.open(p, "rb")  # type: ignore[return-value]
    return fh


def open_text(path: str | Path) -> IO[str]:
    """Text of ``path`` (gzip detected by content, BOM skipped, invalid UTF-8 replaced);
    lines end at ``\\n`` only."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", errors="replace", newline="\n")


def sniff(head: bytes) -> str | None:
    """What the first bytes of a file that is not JSONL look like, as a hint for a
    message, or None."""
    text = head.lstrip(_BOM).lstrip()
    if not text:
        return "the file is empty"
    if text[:2] == _GZIP_MAGIC:
        return "this looks like gzip data"
    if text[:4] == b"PAR1":
        return "this looks like a Parquet file"
    if text[:8] == b"\x89PNG\r\n\x1a\n" or text[:3] == b"\xff\xd8\xff":
        return "this looks like an image"
    if text[:1] == b"[":
        return "this looks like a JSON array (one document), not JSON Lines"
    first = text.split(b"\n", 1)[0]
    if text[:1] != b"{" and (b"," in first or b"\t" in first):
        return "this looks like CSV/TSV"
    if text[:1] == b"{" and b"\n" in text.rstrip() and not first.rstrip().endswith(b"}"):
        return "this looks like one pretty-printed JSON document, not one object per line"
    return None


def head_bytes(path: str | Path, n: int = 4096) -> bytes:
    """The first ``n`` bytes of a file (empty for standard input or an unreadable file)."""
    if _is_stdin(path):
        return b""
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError:
        return b""


# ----------------------------------------------------------------------------- reading


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def iter_jsonl(path: str | Path) -> Iterator[InputRow]:
    """Yield one :class:`InputRow` per non-blank line (1-based line numbers).

    ``n_bytes`` counts the bytes the row consumed, blank lines before it included, so
    a progress bar over the file size reaches 100%.
    """
    with open_binary(path) as fh:
        yield from iter_jsonl_stream(fh)


def iter_jsonl_stream(fh: Iterable[bytes], first_line: int = 1) -> Iterator[InputRow]:
    """:func:`iter_jsonl` on an open binary stream whose first line is line
    ``first_line`` (the chunked reader of the Ray engine reads byte ranges with it)."""
    pending = 0
    for lineno, raw in enumerate(fh, start=first_line):
        n = len(raw) + pending
        if lineno == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        if not raw.strip():
            pending = n
            continue
        pending = 0
        if len(raw) > MAX_LINE_CHARS:
            yield InputRow(lineno, None, "line_too_long", n)
            continue
        try:
            data = json.loads(_decode(raw), strict=False)
        except ValueError as exc:
            yield InputRow(lineno, None, f"invalid_json: {exc}", n)
            continue
        except RecursionError:
            yield InputRow(lineno, None, "invalid_json: nested too deeply", n)
            continue
        if not isinstance(data, dict):
            yield InputRow(lineno, None, f"not_an_object: got {type(data).__name__}", n)
            continue
        yield InputRow(lineno, data, None, n)


def _label(what: str, path: str | Path) -> str:
    name = "standard input" if _is_stdin(path) else repr(str(path))
    return f"{what} {name}" if what else name


def read_jsonl(path: str | Path, what: str = "") -> list[dict[str, Any]]:
    """All rows of a JSONL file (plain, gzip or ``-``); ``ValueError`` names the file and
    the first line that is not a JSON object."""
    rows = []
    for r in iter_jsonl(path):
        if r.data is None:
            hint = sniff(head_bytes(path)) if r.line == 1 else None
            raise ValueError(
                f"Expected one JSON object per line in {_label(what, path)}, but line {r.line} is not one "
                f"({r.error})" + (f"; {hint}" if hint else "")
            )
        rows.append(r.data)
    return rows


def read_json(path: str | Path, what: str = "") -> Any:
    """A JSON document (plain, gzip or ``-``); ``ValueError`` with a hint when it is not."""
    with open_binary(path) as fh:
        data = fh.read()
    try:
        return json.loads(_decode(data.removeprefix(_BOM)))
    except ValueError as exc:
        hint = sniff(data[:4096])
        if hint is None and isinstance(exc, json.JSONDecodeError) and exc.msg == "Extra data":
            hint = "this looks like JSON Lines (one object per line)"
        raise ValueError(
            f"Expected a JSON document in {_label(what, path)}, but it is not JSON ({exc})" + (f"; {hint}" if hint else "")
        ) from None


def read_records(path: str | Path, what: str = "") -> Any:
    """A JSON document, or the rows of a JSONL file (chosen by the ``.jsonl`` /
    ``.ndjson`` name, else by content: several JSON values one per line)."""
    name = str(path).lower()
    if name.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")):
        return read_jsonl(path, what)
    with open_binary(path) as fh:
        data = fh.read()
    text = _decode(data.removeprefix(_BOM))
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and text.lstrip().startswith("{"):
            rows = []
            for i, line in enumerate(text.split("\n"), start=1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line, strict=False))
                except ValueError as e:
                    raise ValueError(f"Expected one JSON object per line in {_label(what, path)}, but line {i} is not one ({e})") from None
            return rows
        hint = sniff(data[:4096])
        raise ValueError(
            f"Expected JSON or JSON Lines in {_label(what, path)}, but it is neither ({exc})" + (f"; {hint}" if hint else "")
        ) from None


# ----------------------------------------------------------------------------- fields


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
    """Plain JSON values: numpy arrays and scalars become lists and numbers, floats that
    JSON cannot hold (NaN, inf) become ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return to_jsonable(value.tolist())
    return value


def dump_row(row: Mapping[str, Any]) -> str:
    """One JSONL line (UTF-8 text; a lone surrogate read from the input is escaped)."""
    text = json.dumps(to_jsonable(row), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(to_jsonable(row), ensure_ascii=True)
    return text + "\n"


# ============================================================================ formats
# JSONL (plain or gzip), Parquet, Hugging Face ``save_to_disk`` folders, folders and globs
# of shards, read as score rows; veRL's rollout dumps and training Parquet need no flag.
# pyarrow is the ``parquet`` extra, imported only by the functions that read or write it.

PARQUET_SUFFIXES = (".parquet", ".pq")
ARROW_SUFFIXES = (".arrow",)
_DATA_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".json.gz", *PARQUET_SUFFIXES, *ARROW_SUFFIXES)
_STEP_KEYS = ("step", "global_step", "global_steps")
_MAX_STEP_KEYS = ("max_steps", "total_training_steps")


def _pyarrow(what: str) -> Any:
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError as exc:
        raise ImportError(f"{what} needs pyarrow: pip install 'rewardkit[parquet]'") from exc
    import pyarrow as pa

    return pa


@dataclass(frozen=True)
class InputFile:
    """One file of an input: its path and format (``jsonl``, ``parquet`` or ``arrow``)."""

    path: str
    format: str


def _format_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(ARROW_SUFFIXES):
        return "arrow"
    return "jsonl"


def _is_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


def is_gzip(path: str | Path) -> bool:
    """Whether a file starts with the gzip magic (how :func:`open_binary` decides)."""
    return head_bytes(path, 2) == _GZIP_MAGIC


def input_files(path: str | Path) -> list[InputFile]:
    """The files an input names, in reading order.

    ``path`` is a file (``.parquet`` / ``.pq``: Parquet; ``.arrow``: an Arrow stream as
    ``datasets`` writes; anything else: JSONL, gzip when its content is), ``-``
    (standard input, JSONL), a folder saved by
    ``datasets.Dataset.save_to_disk`` (its ``state.json`` lists the shards), another
    folder (its ``.jsonl``, ``.jsonl.gz``, ``.ndjson``, ``.parquet`` and ``.arrow`` files,
    recursively, sorted by path) or a glob pattern (sorted).
    """
    text = str(path)
    if _is_stdin(text):
        return [InputFile("-", "jsonl")]
    p = Path(text)
    if _is_glob(text) and not p.exists():
        import glob

        files = [Path(m) for m in sorted(glob.glob(text, recursive=True)) if Path(m).is_file()]
        if not files:
            raise ValueError(f"Expected files matching {text!r}, but got none")
        return [InputFile(str(f), _format_of(f)) for f in files]
    if p.is_dir():
        if (p / "dataset_dict.json").is_file():
            splits = json.loads((p / "dataset_dict.json").read_text()).get("splits") or []
            example = f"{text.rstrip('/')}/{splits[0]}" if splits else f"{text}/<split>"
            raise ValueError(
                f"Expected one split of the Hugging Face DatasetDict {text!r} (e.g. {example}), but got the "
                f"folder of all splits {splits}"
            )
        if (p / "state.json").is_file():
            state = json.loads((p / "state.json").read_text())
            names = [f["filename"] for f in state.get("_data_files") or [] if isinstance(f, dict) and "filename" in f]
            if not names:
                raise ValueError(f"Expected data files in the Hugging Face dataset {text!r} (state.json), but got none")
            return [InputFile(str(p / n), "arrow") for n in names]
        files = sorted(
            f for f in p.rglob("*")
            if f.is_file() and not any(part.startswith((".", "_")) for part in f.relative_to(p).parts)
            and f.name.lower().endswith(_DATA_SUFFIXES)
        )  # fmt: skip
        if not files:
            raise ValueError(f"Expected JSONL, Parquet or Arrow files in the folder {text!r}, but got none")
        return [InputFile(str(f), _format_of(f)) for f in files]
    if p.is_file():
        return [InputFile(text, _format_of(p))]
    raise ValueError(f"Expected an input file, folder or glob, but {text!r} does not exist")


def require_readers(files: list[InputFile]) -> None:
    """Raise the one-line ``ImportError`` naming the extra before any row is read when a
    file needs pyarrow (Parquet, Arrow) and it is missing."""
    if any(f.format != "jsonl" for f in files):
        _pyarrow("reading Parquet and Arrow files")


def default_output_for(path: str | Path) -> Path:
    """Where ``rewardkit score`` writes without ``-o``: ``x.jsonl`` -> ``x.scored.jsonl``,
    ``x.parquet`` -> ``x.scored.jsonl``, folder ``d`` -> ``d.scored.jsonl`` next to it, a
    glob -> ``scored.jsonl`` in the folder of its first part without wildcards."""
    text = str(path)
    p = Path(text)
    if _is_glob(text) and not p.exists():
        fixed = []
        for part in p.parts:
            if _is_glob(part):
                break
            fixed.append(part)
        return Path(*fixed) / "scored.jsonl" if fixed else Path("scored.jsonl")
    if p.is_dir():
        return p.parent / (p.name + ".scored.jsonl")
    name = p.name
    for suffix in (*PARQUET_SUFFIXES, *ARROW_SUFFIXES):
        if name.lower().endswith(suffix):
            return p.with_name(name[: -len(suffix)] + ".scored.jsonl")
    return default_output_path(p)


def normalize_row(data: dict[str, Any]) -> dict[str, Any]:
    """A row of a veRL file as a score row (a copy when anything changes).

    * rollout dumps (``trainer.rollout_data_dir``: ``input``, ``output``, ``gts``,
      ``score``, ``step``): ``gts`` is the ground truth and ``input`` the prompt
      (``output`` is already a completion column, ``step`` a row column);
    * training Parquet (``data_source``, ``prompt``, ``reward_model.ground_truth``,
      ``extra_info``): a chat ``prompt`` (list of messages) is not passed to rewards
      (the veRL adapter does not pass it either); from ``extra_info``: ``image_size``,
      ``min_pixels`` / ``max_pixels``, ``step`` (``global_step(s)``), ``max_steps``
      (``total_training_steps``) and ``reward_params`` (a dict or a JSON string, under
      the row's own ``params``). ``extra_info.reward`` and ``data_source`` choose the
      reward in the score command.
    """
    out: dict[str, Any] | None = None

    def put(key: str, value: Any) -> None:
        nonlocal out
        if out is None:
            out = dict(data)
        out[key] = value

    if "gts" in data and get_field(data, GROUND_TRUTH_FIELDS)[0] is None:
        put("ground_truth", data["gts"])
    if "prompt" not in data and isinstance(data.get("input"), str):
        put("prompt", data["input"])
    prompt = data.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        put("prompt", None)
    info = data.get("extra_info")
    if isinstance(info, str) and info.startswith("{"):
        try:
            info = json.loads(info)
        except (ValueError, RecursionError):
            info = None
    if isinstance(info, Mapping):
        if data.get("image_size") is None and info.get("image_size") is not None:
            put("image_size", info["image_size"])
        for key in ("min_pixels", "max_pixels"):
            if data.get(key) is None and info.get(key) is not None:
                put(key, info[key])
        for target, keys in (("step", _STEP_KEYS), ("max_steps", _MAX_STEP_KEYS)):
            if data.get(target) is None:
                value = next((info[k] for k in keys if info.get(k) is not None), None)
                if value is not None:
                    put(target, value)
        rp = info.get("reward_params")
        if isinstance(rp, str) and rp.strip():
            try:
                rp = json.loads(rp)
            except (ValueError, RecursionError):
                rp = None
        if isinstance(rp, Mapping) and rp:
            own = data.get("params")
            put("params", {**rp, **(own if isinstance(own, Mapping) else {})})
    return data if out is None else out


def expand_row(row: InputRow) -> Iterator[InputRow]:
    """:func:`normalize_row`, and one row per response of a ``responses`` list (veRL's
    generation output, ``n`` samples per prompt) when the row has no completion column:
    each keeps the line number and gets the id ``"<id>#<k>"`` (``<id>``: the row's
    ``id``, else its line number)."""
    if row.data is None:
        yield row
        return
    data = normalize_row(row.data)
    responses = data.get("responses")
    if isinstance(responses, list | tuple) and get_field(data, COMPLETION_FIELDS)[0] is None and responses:
        base = data.get("id", row.line)
        for k, response in enumerate(responses):
            d = {key: v for key, v in data.items() if key != "responses"}
            d["completion"] = response
            d["id"] = f"{base}#{k}"
            yield InputRow(row.line, d, None, row.n_bytes if k == 0 else 0)
        return
    yield row if data is row.data else InputRow(row.line, data, row.error, row.n_bytes)


def _iter_table_rows(batches: Iterator[Any], first_line: int) -> Iterator[InputRow]:
    line = first_line
    for batch in batches:
        for data in batch.to_pylist():
            yield InputRow(line, data if isinstance(data, dict) else None, None if isinstance(data, dict) else "not_an_object", 0)
            line += 1


def _iter_parquet(path: str) -> Iterator[InputRow]:
    _pyarrow("reading Parquet")
    import pyarrow.parquet as pq

    yield from _iter_table_rows(pq.ParquetFile(path).iter_batches(batch_size=4096), 1)


def _arrow_batches(path: str) -> Iterator[Any]:
    pa = _pyarrow("reading Arrow files")
    with pa.memory_map(path) as src:
        try:
            reader = pa.ipc.open_stream(src)
        except pa.ArrowInvalid:
            src.seek(0)
            f = pa.ipc.open_file(src)
            for i in range(f.num_record_batches):
                yield f.get_batch(i)
            return
        yield from reader


def count_lines(file: InputFile) -> int:
    """Lines (JSONL: physical lines as :func:`iter_jsonl` numbers them, each ending at
    ``\\n``) or rows (Parquet, Arrow) of one file."""
    if file.format == "parquet":
        _pyarrow("reading Parquet")
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(file.path).metadata.num_rows)
    if file.format == "arrow":
        return sum(b.num_rows for b in _arrow_batches(file.path))
    n = 0
    last = b""
    with open_binary(file.path) as fh:
        while True:
            block = fh.read(1 << 22)
            if not block:
                break
            n += block.count(b"\n")
            last = block[-1:]
    if last not in (b"", b"\n"):
        n += 1
    return n


def iter_rows(path: str | Path) -> Iterator[InputRow]:
    """Every row of an input (see :func:`input_files`), in order, through
    :func:`expand_row`. Line numbers run on across the files of a folder or glob (JSONL:
    physical lines; Parquet and Arrow: rows, from 1). Memory does not grow with the
    input."""
    files = input_files(path)
    offset = 0
    for i, f in enumerate(files):
        if f.format == "parquet":
            rows = _iter_parquet(f.path)
        elif f.format == "arrow":
            rows = _iter_table_rows(_arrow_batches(f.path), 1)
        else:
            rows = iter_jsonl(f.path)
        for r in rows:
            r.line += offset
            yield from expand_row(r)
        if i < len(files) - 1:
            offset += count_lines(f)


@dataclass(frozen=True)
class Chunk:
    """A piece of an input that one task reads (:func:`plan_chunks`, :func:`read_chunk`).

    JSONL: bytes ``[start, stop)`` cut after a ``\\n`` (``stop=-1``: the whole file, for
    gzip, recognized by its content); Parquet: rows ``[start, stop)`` of row group ``group``; Arrow: rows
    ``[start, stop)`` of the file. ``first_line``: the number of its first line or row in
    the whole input (as :func:`iter_rows` numbers them).
    """

    path: str
    format: str
    first_line: int
    start: int
    stop: int
    group: int = -1


def plan_chunks(path: str | Path, *, chunk_bytes: int = 4 << 20, chunk_rows: int = 20_000) -> list[Chunk]:
    """Cut an input into chunks of about ``chunk_bytes`` (JSONL) or ``chunk_rows``
    (Parquet, Arrow): one pass over JSONL bytes on the reading side, metadata only for
    Parquet. Reading every chunk in order with :func:`read_chunk` gives exactly
    :func:`iter_rows`."""
    chunks: list[Chunk] = []
    offset = 0
    for f in input_files(path):
        if f.format == "parquet":
            _pyarrow("reading Parquet")
            import pyarrow.parquet as pq

            meta = pq.ParquetFile(f.path).metadata
            row = 0
            for g in range(meta.num_row_groups):
                n = meta.row_group(g).num_rows
                for lo in range(0, n, chunk_rows):
                    chunks.append(Chunk(f.path, "parquet", offset + row + lo + 1, lo, min(n, lo + chunk_rows), g))
                row += n
            offset += row
        elif f.format == "arrow":
            n = count_lines(f)
            for lo in range(0, n, chunk_rows):
                chunks.append(Chunk(f.path, "arrow", offset + lo + 1, lo, min(n, lo + chunk_rows)))
            offset += n
        elif is_gzip(f.path):
            chunks.append(Chunk(f.path, "jsonl", offset + 1, 0, -1))
            offset += count_lines(f)
        else:
            offset = _plan_jsonl(f.path, offset, chunk_bytes, chunks)
    return chunks


def _plan_jsonl(path: str, offset: int, chunk_bytes: int, chunks: list[Chunk]) -> int:
    size = Path(path).stat().st_size
    line = offset + 1
    start = 0
    with open(path, "rb") as fh:
        while start < size:
            fh.seek(min(size, start + max(1, chunk_bytes)))
            fh.readline()  # to just after the next b"\n" (or the end)
            stop = min(size, fh.tell()) if start + chunk_bytes < size else size
            fh.seek(start)
            data = fh.read(stop - start)
            chunks.append(Chunk(path, "jsonl", line, start, stop))
            line += data.count(b"\n")
            if stop == size and data[-1:] != b"\n":
                line += 1
            start = stop
    return line - 1


def read_chunk(chunk: Chunk) -> Iterator[InputRow]:
    """The rows of one chunk, numbered and expanded as :func:`iter_rows` does."""
    if chunk.format == "parquet":
        _pyarrow("reading Parquet")
        import pyarrow.parquet as pq

        table = pq.ParquetFile(chunk.path).read_row_group(chunk.group)
        rows: Iterator[InputRow] = _iter_table_rows(iter(table.slice(chunk.start, chunk.stop - chunk.start).to_batches()), chunk.first_line)
    elif chunk.format == "arrow":
        rows = _iter_table_rows(_arrow_slice(chunk.path, chunk.start, chunk.stop), chunk.first_line)
    elif chunk.stop < 0:
        rows = _shift(iter_jsonl(chunk.path), chunk.first_line - 1)
    else:
        rows = _jsonl_range(chunk)
    for r in rows:
        yield from expand_row(r)


def _shift(rows: Iterator[InputRow], offset: int) -> Iterator[InputRow]:
    for r in rows:
        r.line += offset
        yield r


def _jsonl_range(chunk: Chunk) -> Iterator[InputRow]:
    with open(chunk.path, "rb") as fh:
        fh.seek(chunk.start)
        data = fh.read(chunk.stop - chunk.start)
    yield from iter_jsonl_stream(io.BytesIO(data), chunk.first_line)


def _arrow_slice(path: str, start: int, stop: int) -> Iterator[Any]:
    pos = 0
    for batch in _arrow_batches(path):
        n = batch.num_rows
        lo, hi = max(start - pos, 0), min(stop - pos, n)
        if lo < hi:
            yield batch.slice(lo, hi - lo)
        pos += n
        if pos >= stop:
            break


def _id_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(to_jsonable(value), ensure_ascii=False)


# ----------------------------------------------------------------------------- writing


def default_output_path(path: str | Path) -> Path:
    """``preds.jsonl`` -> ``preds.scored.jsonl`` (``.jsonl.gz`` too), next to the input."""
    p = Path(path)
    name = p.name
    for suffix in (".jsonl.gz", ".json.gz", ".jsonl", ".json", ".gz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return p.with_name(name + ".scored.jsonl")


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same file (symlinks, ``..`` and hard links resolved)."""
    if _is_stdin(a) or _is_stdin(b):
        return False
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists():
            return os.path.samefile(pa, pb)
    except OSError:
        pass
    return pa.resolve() == pb.resolve()


def open_output(path: str | Path) -> IO[str]:
    """A text stream writing ``path`` directly (gzip when it ends in ``.gz``)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(p, "wb"), encoding="utf-8")
    return open(p, "w", encoding="utf-8")


class RowWriter:
    """Output rows to ``path`` through a temporary file in the same folder: JSONL (gzip
    when it ends in ``.gz``), or Parquet when it ends in ``.parquet`` / ``.pq``.

    ``commit()`` renames the temporary file onto ``path`` (atomic on one file system), so
    a previous output is replaced only by a complete one. ``keep_partial()`` renames it
    to ``<path>.partial`` instead (an interrupted run) and returns that path. ``path``
    ``-`` writes to standard output. The folder is checked when the writer is made, so a
    read-only folder fails before any row is scored.

    Parquet columns (pyarrow, the ``parquet`` extra): ``id`` (string: text ids as they
    are, other ids as JSON), ``line`` (int64), ``reward`` (string), ``score`` (float64),
    ``components`` (map string -> float64), ``reason`` (string); a row group per 16,384
    rows.
    """

    ROW_GROUP = 16_384

    def __init__(self, path: str | Path) -> None:
        self.rows = 0
        self.path = Path(path)
        self._tmp: Path | None = None
        self._pq: Any = None
        self._buf: list[dict[str, Any]] = []
        if _is_stdin(path):
            self._fh: IO[str] | None = sys.stdout
            return
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            raise PermissionError(errno.EACCES, "permission denied (the folder is not writable)", str(folder))
        if self.path.name.lower().endswith(PARQUET_SUFFIXES):
            pa = _pyarrow("writing Parquet")
            import pyarrow.parquet as pq

            self._schema = pa.schema([
                ("id", pa.string()), ("line", pa.int64()), ("reward", pa.string()), ("score", pa.float64()),
                ("components", pa.map_(pa.string(), pa.float64())), ("reason", pa.string()),
            ])  # fmt: skip
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        self._tmp = Path(tmp)
        raw = os.fdopen(fd, "wb")
        self._raw = raw
        if self.path.name.lower().endswith(PARQUET_SUFFIXES):
            self._fh = None
            self._pq = pq.ParquetWriter(raw, self._schema)
            return
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="wb") if self.path.suffix == ".gz" else raw
        self._fh = io.TextIOWrapper(stream, encoding="utf-8", newline="\n")

    def write(self, row: Mapping[str, Any]) -> None:
        self.rows += 1
        if self._fh is not None:
            self._fh.write(dump_row(row))
            return
        out = to_jsonable(row)
        comps = out.get("components") or {}
        self._buf.append({
            "id": _id_text(out.get("id")), "line": out.get("line"), "reward": _id_text(out.get("reward")),
            "score": out.get("score"),
            "components": [(str(k), None if v is None else float(v)) for k, v in comps.items()] if isinstance(comps, Mapping) else [],
            "reason": _id_text(out.get("reason")),
        })  # fmt: skip
        if len(self._buf) >= self.ROW_GROUP:
            self._flush()

    def write_lines(self, text: str, rows: list[Mapping[str, Any]]) -> None:
        """Rows already serialized by :func:`dump_row` (``text``: their lines, for JSONL)
        and the same rows as dicts (for Parquet)."""
        if self._fh is None:
            for row in rows:
                self.write(row)
            return
        self._fh.write(text)
        self.rows += len(rows)

    def _flush(self) -> None:
        if self._buf:
            import pyarrow as pa

            self._pq.write_table(pa.Table.from_pylist(self._buf, schema=self._schema))
            self._buf = []

    def _close(self) -> None:
        if self._pq is not None:
            self._flush()
            self._pq.close()
            self._pq = None
            if not self._raw.closed:
                self._raw.close()
            return
        if self._tmp is None:
            assert self._fh is not None
            self._fh.flush()
            return
        assert self._fh is not None
        self._fh.close()
        if not self._raw.closed:
            self._raw.close()

    def commit(self) -> Path:
        self._close()
        if self._tmp is not None:
            os.replace(self._tmp, self.path)
            self._tmp = None
        return self.path

    def discard(self) -> None:
        """Close and remove the temporary file (nothing to keep)."""
        if self._tmp is None:
            return
        self._close()
        self._tmp.unlink(missing_ok=True)
        self._tmp = None

    def keep_partial(self) -> Path | None:
        """Close and rename what was written to ``<path>.partial``; None for stdout."""
        if self._tmp is None:
            return None
        try:
            self._close()
        except Exception:  # noqa: BLE001 - keep what reached the disk
            pass
        partial = self.path.with_name(self.path.name + ".partial")
        os.replace(self._tmp, partial)
        self._tmp = None
        return partial
