r"""Files: the one JSONL reader, JSON files, row field lookup and safe output.

Every command that reads rows goes through this module:

* :func:`iter_jsonl` streams a JSONL file (plain or gzip, detected by its magic bytes,
  or ``-`` for standard input) and never drops a line: every physical line that is not
  blank becomes an :class:`InputRow`, with ``data=None`` and an ``error`` when it is not a
  JSON object. Lines end at ``\n`` only (a bare ``\r`` inside a line stays inside it,
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

from rewardkit.io.chunks import Chunk, plan_chunks, read_chunk
from rewardkit.io.files import (
    COMPLETION_FIELDS,
    GROUND_TRUTH_FIELDS,
    InputRow,
    dump_row,
    get_field,
    head_bytes,
    iter_jsonl,
    iter_jsonl_stream,
    open_binary,
    open_text,
    read_json,
    read_jsonl,
    read_records,
    sniff,
    to_jsonable,
)
from rewardkit.io.inputs import (
    InputFile,
    count_lines,
    default_output_for,
    default_output_path,
    expand_row,
    input_files,
    is_gzip,
    iter_rows,
    normalize_row,
    require_readers,
)
from rewardkit.io.writing import (
    RowWriter,
    open_output,
    same_file,
)

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
    "is_gzip",
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
