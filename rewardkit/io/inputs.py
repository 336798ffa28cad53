"""Score inputs: JSONL, Parquet, Arrow/HF folders, shards and globs read as rows; chunks for parallel readers.

JSONL (plain or gzip), Parquet, Hugging Face ``save_to_disk`` folders, folders and globs
of shards, read as score rows; veRL's rollout dumps and training Parquet need no flag.
pyarrow is the ``parquet`` extra, imported only by the functions that read or write it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardkit.io.files import (
    _GZIP_MAGIC,
    COMPLETION_FIELDS,
    GROUND_TRUTH_FIELDS,
    InputRow,
    _is_stdin,
    get_field,
    head_bytes,
    iter_jsonl,
    open_binary,
)

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
    """One file of an input: its path and format (``jsonl``, ``parquet`` or ``arrow``).

    Attributes:
        path: The file's path.
        format: ``jsonl``, ``parquet`` or ``arrow``.
    """

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
    """Whether a file starts with the gzip magic (how :func:`open_binary` decides).

    Args:
        path: The file.

    Returns:
        True for gzip content.
    """
    return head_bytes(path, 2) == _GZIP_MAGIC


def input_files(path: str | Path) -> list[InputFile]:
    """The files an input names, in reading order.

    ``path`` is a file (``.parquet`` / ``.pq``: Parquet; ``.arrow``: an Arrow stream as
    ``datasets`` writes; anything else: JSONL, gzip when its content is), ``-``
    (standard input, JSONL), a folder saved by
    ``datasets.Dataset.save_to_disk`` (its ``state.json`` lists the shards), another
    folder (its ``.jsonl``, ``.jsonl.gz``, ``.ndjson``, ``.parquet`` and ``.arrow`` files,
    recursively, sorted by path) or a glob pattern (sorted).

    Args:
        path: A file, ``-``, a folder or a glob pattern.

    Returns:
        The files, in reading order.

    Raises:
        ValueError: a path that does not exist, a glob matching nothing, a folder
            without data files, or the folder of a whole ``DatasetDict`` (one split is
            needed).
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
    """Raise the one-line ``ImportError`` naming the extra before any row is read.

    It is raised when a file needs pyarrow (Parquet, Arrow) and it is missing.

    Args:
        files: The input's files.

    Raises:
        ImportError: pyarrow is needed and missing.
    """
    if any(f.format != "jsonl" for f in files):
        _pyarrow("reading Parquet and Arrow files")


def default_output_path(path: str | Path) -> Path:
    """``preds.jsonl`` -> ``preds.scored.jsonl`` (``.jsonl.gz`` too), next to the input.

    Args:
        path: The input file.

    Returns:
        The output path.
    """
    p = Path(path)
    name = p.name
    for suffix in (".jsonl.gz", ".json.gz", ".jsonl", ".json", ".gz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return p.with_name(name + ".scored.jsonl")


def default_output_for(path: str | Path) -> Path:
    """Where ``rewardkit score`` writes without ``-o``.

    ``x.jsonl`` -> ``x.scored.jsonl``, ``x.parquet`` -> ``x.scored.jsonl``, folder ``d``
    -> ``d.scored.jsonl`` next to it, a glob -> ``scored.jsonl`` in the folder of its
    first part without wildcards.

    Args:
        path: The input (file, folder or glob).

    Returns:
        The output path.
    """
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

    Args:
        data: The row as read.

    Returns:
        The score row (``data`` itself when nothing changes).
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
    """:func:`normalize_row`, and one row per response of a ``responses`` list.

    A ``responses`` list (veRL's generation output, ``n`` samples per prompt) is
    expanded when the row has no completion column: each keeps the line number and gets
    the id ``"<id>#<k>"`` (``<id>``: the row's ``id``, else its line number).

    Args:
        row: One input row (unreadable rows pass through).

    Yields:
        The score rows.
    """
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
    r"""Lines (JSONL) or rows (Parquet, Arrow) of one file.

    JSONL lines are physical lines as :func:`iter_jsonl` numbers them, each ending at
    ``\n``.

    Args:
        file: The input file.

    Returns:
        The count.

    Raises:
        ImportError: pyarrow is needed and missing.
    """
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
    """Every row of an input (see :func:`input_files`), in order, through :func:`expand_row`.

    Line numbers run on across the files of a folder or glob (JSONL: physical lines; Parquet and
    Arrow: rows, from 1). Memory does not grow with the input.

    Args:
        path: A file, ``-``, a folder or a glob pattern.

    Yields:
        One :class:`~rewardkit.io.files.InputRow` per row.

    Raises:
        ValueError: as :func:`input_files`.
        ImportError: pyarrow is needed and missing.
    """
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
