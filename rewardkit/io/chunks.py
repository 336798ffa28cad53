"""Chunks of an input: plan the pieces one task reads, and read one (JSONL byte ranges, Parquet row groups, Arrow row slices)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardkit.io.files import (
    InputRow,
    iter_jsonl,
    iter_jsonl_stream,
)
from rewardkit.io.inputs import (
    _arrow_batches,
    _iter_table_rows,
    _pyarrow,
    count_lines,
    expand_row,
    input_files,
    is_gzip,
)


@dataclass(frozen=True)
class Chunk:
    r"""A piece of an input that one task reads (:func:`plan_chunks`, :func:`read_chunk`).

    JSONL: bytes ``[start, stop)`` cut after a ``\n`` (``stop=-1``: the whole file, for
    gzip, recognized by its content); Parquet: rows ``[start, stop)`` of row group ``group``; Arrow: rows
    ``[start, stop)`` of the file. ``first_line``: the number of its first line or row in
    the whole input (as :func:`iter_rows` numbers them).

    Attributes:
        path: The file.
        format: ``jsonl``, ``parquet`` or ``arrow``.
        first_line: The number of its first line or row in the whole input.
        start: First byte (JSONL) or row.
        stop: End byte or row (exclusive; ``-1``: the whole file).
        group: The Parquet row group (``-1`` otherwise).
    """

    path: str
    format: str
    first_line: int
    start: int
    stop: int
    group: int = -1


def plan_chunks(path: str | Path, *, chunk_bytes: int = 4 << 20, chunk_rows: int = 20_000) -> list[Chunk]:
    """Cut an input into chunks of about ``chunk_bytes`` (JSONL) or ``chunk_rows`` rows.

    Rows for Parquet and Arrow; one pass over JSONL bytes on the reading side, metadata
    only for Parquet. Reading every chunk in order with :func:`read_chunk` gives exactly
    :func:`iter_rows`.

    Args:
        path: A file, ``-``, a folder or a glob pattern.
        chunk_bytes: About how many bytes of JSONL per chunk.
        chunk_rows: About how many rows of Parquet or Arrow per chunk.

    Returns:
        The chunks, in reading order.

    Raises:
        ValueError: as :func:`input_files`.
        ImportError: pyarrow is needed and missing.
    """
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
    """The rows of one chunk, numbered and expanded as :func:`iter_rows` does.

    Args:
        chunk: A chunk from :func:`plan_chunks`.

    Yields:
        One :class:`~rewardkit.io.files.InputRow` per row.
    """
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
