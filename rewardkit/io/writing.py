"""Writing rows: output paths, :class:`RowWriter` (temporary file renamed at the end)."""

from __future__ import annotations

import errno
import gzip
import io
import json
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from rewardkit.io.files import _is_stdin, dump_row, to_jsonable
from rewardkit.io.inputs import PARQUET_SUFFIXES, _pyarrow


def _id_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(to_jsonable(value), ensure_ascii=False)


# ----------------------------------------------------------------------------- writing


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same file (symlinks, ``..`` and hard links resolved).

    Args:
        a: A path (``-`` is standard input or output, never the same file).
        b: Another path.

    Returns:
        True when both name one file.
    """
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
    """A text stream writing ``path`` directly (gzip when it ends in ``.gz``).

    Args:
        path: The output file (its folder is made).

    Returns:
        The text stream (the caller closes it).
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(p, "wb"), encoding="utf-8")
    return open(p, "w", encoding="utf-8")


class RowWriter:
    """Output rows to ``path`` through a temporary file in the same folder.

    JSONL (gzip when it ends in ``.gz``), or Parquet when it ends in ``.parquet`` /
    ``.pq``.

    ``commit()`` renames the temporary file onto ``path`` (atomic on one file system), so
    a previous output is replaced only by a complete one. ``keep_partial()`` renames it
    to ``<path>.partial`` instead (an interrupted run) and returns that path. ``path``
    ``-`` writes to standard output. The folder is checked when the writer is made, so a
    read-only folder fails before any row is scored.

    Parquet columns (pyarrow, the ``parquet`` extra): ``id`` (string: text ids as they
    are, other ids as JSON), ``line`` (int64), ``reward`` (string), ``score`` (float64),
    ``components`` (map string -> float64), ``reason`` (string); a row group per 16,384
    rows.

    Args:
        path: The output file, or ``-``.

    Raises:
        PermissionError: the folder is not writable.
        ImportError: Parquet output and pyarrow is missing.
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
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="wb") if self.path.suffix == ".gz" else raw  # type: ignore[assignment]  # GzipFile is a binary file object; typeshed does not declare it IO[bytes]
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
        """Write rows already serialized by :func:`dump_row`.

        Args:
            text: Their lines (for JSONL).
            rows: The same rows as dicts (for Parquet).
        """
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
        """Close and rename what was written to ``<path>.partial``.

        Returns:
            The partial file's path; None for stdout.
        """
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
