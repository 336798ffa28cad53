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
* :class:`RowWriter` writes rows to a temporary file in the output's folder and renames
  it at the end; an interrupted run keeps what it wrote under ``<output>.partial`` and
  never touches a previous output.
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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rewardkit.limits import MAX_LINE_CHARS  # the one home of the bound

__all__ = [
    "InputRow",
    "iter_jsonl",
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
        pending = 0
        for lineno, raw in enumerate(fh, start=1):
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
    """JSONL rows to ``path`` through a temporary file in the same folder.

    ``commit()`` renames the temporary file onto ``path`` (atomic on one file system), so
    a previous output is replaced only by a complete one. ``keep_partial()`` renames it
    to ``<path>.partial`` instead (an interrupted run) and returns that path. ``path``
    ``-`` writes to standard output. The folder is checked when the writer is made, so a
    read-only folder fails before any row is scored.
    """

    def __init__(self, path: str | Path) -> None:
        self.rows = 0
        self.path = Path(path)
        self._tmp: Path | None = None
        if _is_stdin(path):
            self._fh: IO[str] = sys.stdout
            return
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            raise PermissionError(errno.EACCES, "permission denied (the folder is not writable)", str(folder))
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        self._tmp = Path(tmp)
        raw = os.fdopen(fd, "wb")
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="wb") if self.path.suffix == ".gz" else raw
        self._raw = raw
        self._fh = io.TextIOWrapper(stream, encoding="utf-8", newline="\n")

    def write(self, row: Mapping[str, Any]) -> None:
        self._fh.write(dump_row(row))
        self.rows += 1

    def _close(self) -> None:
        if self._tmp is None:
            self._fh.flush()
            return
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
