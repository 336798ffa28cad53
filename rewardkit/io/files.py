"""Opening files (gzip by content, ``-`` for stdin), the one JSONL reader, JSON files, row field lookup."""

from __future__ import annotations

import gzip
import io
import json
import math
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rewardkit.limits import MAX_LINE_CHARS  # the one home of the bound

GROUND_TRUTH_FIELDS = ("ground_truth", "solution", "answer", "reward_model.ground_truth", "gt")
"""Column names accepted for the ground truth, in order (the public datasets' names)."""
COMPLETION_FIELDS = ("completion", "response", "solution_str", "output", "prediction")
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"


@dataclass
class InputRow:
    """One input line: its number, the parsed row (None when unreadable) and the error.

    Attributes:
        line: The 1-based line number (a row number for Parquet and Arrow).
        data: The parsed row, or None when unreadable.
        error: Why the line is unreadable, or None.
        n_bytes: Bytes the row consumed (blank lines before it included).
    """

    line: int
    data: dict[str, Any] | None
    error: str | None = None
    n_bytes: int = 0


# ----------------------------------------------------------------------------- opening


def _is_stdin(path: str | Path) -> bool:
    return str(path) == "-"


def open_binary(path: str | Path) -> IO[bytes]:
    """A binary stream of ``path`` (``-``: standard input).

    The stream is gunzipped when the content starts with the gzip magic, whatever the
    file's name. Missing files and folders raise ``FileNotFoundError`` /
    ``IsADirectoryError`` with a one-line message.

    Args:
        path: The file, or ``-``.

    Returns:
        The binary stream (the caller closes it).

    Raises:
        FileNotFoundError: no such file.
        IsADirectoryError: ``path`` is a folder.
    """
    if _is_stdin(path):
        try:
            raw: IO[bytes] = open(sys.stdin.fileno(), "rb", closefd=False)  # noqa: SIM115
        except (AttributeError, OSError, ValueError):
            raw = sys.stdin.buffer
        buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[type-var]  # typeshed's BufferedReader wants a raw stream type; any binary file object works at run time
        if buffered.peek(2)[:2] == _GZIP_MAGIC:
            return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]  # GzipFile is a binary file object; typeshed does not declare it IO[bytes]
        return buffered
    p = Path(path)
    if p.is_dir():
        raise IsADirectoryError(f"Expected a file, but {str(p)!r} is a directory")
    if not p.exists():
        raise FileNotFoundError(f"No such file: {str(p)!r}")
    fh = open(p, "rb")  # noqa: SIM115 - returned to the caller
    if fh.peek(2)[:2] == _GZIP_MAGIC:
        fh.close()
        return gzip.open(p, "rb")  # type: ignore[return-value]  # as above: a GzipFile is a binary file object
    return fh


def open_text(path: str | Path) -> IO[str]:
    r"""Text of ``path`` (gzip detected by content, BOM skipped, invalid UTF-8 replaced).

    Lines end at ``\n`` only.

    Args:
        path: The file, or ``-``.

    Returns:
        The text stream (the caller closes it).

    Raises:
        FileNotFoundError: no such file.
        IsADirectoryError: ``path`` is a folder.
    """
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", errors="replace", newline="\n")


def sniff(head: bytes) -> str | None:
    """What the first bytes of a file that is not JSONL look like, as a hint for a message.

    Args:
        head: The file's first bytes.

    Returns:
        The hint, or None.
    """
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
    """The first ``n`` bytes of a file (empty for standard input or an unreadable file).

    Args:
        path: The file.
        n: How many bytes.

    Returns:
        The bytes.
    """
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

    Args:
        path: A JSONL file (plain or gzip), or ``-``.

    Yields:
        One :class:`InputRow` per non-blank line.

    Raises:
        FileNotFoundError: no such file.
        IsADirectoryError: ``path`` is a folder.
    """
    with open_binary(path) as fh:
        yield from iter_jsonl_stream(fh)


def iter_jsonl_stream(fh: Iterable[bytes], first_line: int = 1) -> Iterator[InputRow]:
    """:func:`iter_jsonl` on an open binary stream whose first line is ``first_line``.

    The chunked reader of the Ray engine reads byte ranges with it.

    Args:
        fh: The binary stream (an iterable of lines).
        first_line: The number of its first line.

    Yields:
        One :class:`InputRow` per non-blank line.
    """
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
    """All rows of a JSONL file (plain, gzip or ``-``).

    Args:
        path: The file, or ``-``.
        what: What the file holds, for messages (``"predictions"``).

    Returns:
        The rows.

    Raises:
        ValueError: a line that is not a JSON object (the message names the file and the
            line).
        FileNotFoundError: no such file.
    """
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
    """A JSON document (plain, gzip or ``-``).

    Args:
        path: The file, or ``-``.
        what: What the file holds, for messages (``"annotations"``).

    Returns:
        The decoded document.

    Raises:
        ValueError: the file is not JSON (with a hint of what it looks like).
        FileNotFoundError: no such file.
    """
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
    """A JSON document, or the rows of a JSONL file.

    JSONL is chosen by the ``.jsonl`` / ``.ndjson`` name, else by content (several JSON
    values one per line).

    Args:
        path: The file, or ``-``.
        what: What the file holds, for messages.

    Returns:
        The document, or the list of rows.

    Raises:
        ValueError: the file is neither JSON nor JSON Lines, or a JSONL line that is not
            a JSON object.
        FileNotFoundError: no such file.
    """
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
    """The first of ``names`` present in ``row``.

    Dotted names look into nested dicts (``reward_model.ground_truth``) and also match a
    flat key with the dot.

    Args:
        row: The row.
        names: Candidate field names, in order.

    Returns:
        ``(name, value)``, or ``(None, <missing sentinel>)`` when none is present.
    """
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
    """Plain JSON values.

    numpy arrays and scalars become lists and numbers, floats that JSON cannot hold
    (NaN, inf) become ``None``.

    Args:
        value: Any value.

    Returns:
        The value as plain JSON values.
    """
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
    """One JSONL line (UTF-8 text; a lone surrogate read from the input is escaped).

    Args:
        row: The row.

    Returns:
        The line, ending in a newline.
    """
    text = json.dumps(to_jsonable(row), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(to_jsonable(row), ensure_ascii=True)
    return text + "\n"


