"""Scoring and COCO evaluation on Ray (the ``ray`` extra: ``pip install 'rewardkit[ray]'``).

``rewardkit score FILE --engine ray [--address ADDR] [--workers N]`` runs
:func:`score_chunks`: the input is cut into chunks (:func:`rewardkit.io.plan_chunks`:
byte ranges of JSONL cut after a newline, row ranges of Parquet row groups and Arrow
files; metadata and one byte scan, no parsing on the driver), a Ray Data pipeline
(``from_items(chunks).map_batches(ChunkScorer, compute=ActorPoolStrategy(size=N))``)
reads and scores each chunk in an actor that keeps one
:class:`~rewardkit.registry.Reward` per reward name and prepares each distinct ground
truth once, and the driver receives the serialized rows chunk by chunk in input order
(``preserve_order``) and writes them. Reading is the same code as the local run
(:func:`rewardkit.io.read_chunk` equals :func:`rewardkit.io.iter_rows` chunk by chunk),
scoring is the same row scorer and serialization the same function, so the output is
byte-identical to ``rewardkit score`` in one process; a row that fails keeps its row and
a reason, as locally. The driver holds a few chunks at a time (Ray Data's streaming
backpressure): its memory does not grow with the input.

Why not ``ray.data.read_json`` / ``read_text``: they fail (or decode strictly) on the
hostile lines the score command must keep as rows with a reason, and they do not give
line numbers; ``read_parquet`` gives no row numbers either. Chunks carry their first line
number instead.

Faults: the scoring actors are restartable (``max_restarts``) and their tasks retried
(``max_task_retries``); a chunk is emitted once, when its task succeeds, so a lost
worker costs a retry, never a duplicate row.

Without ``--address`` a local Ray is started (``num_cpus`` = ``--workers``, default
all cores) and stopped at the end; with ``--address`` the job runs on that cluster and
the input path must be readable from every node (a shared filesystem), as for
``ray.data.read_json``. The output is written by the driver. Compressed JSONL
(``.gz``) cannot be cut into byte ranges: it is decompressed next to the output first.
"""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rewardkit.io import (
    Chunk,
    count_lines,
    dump_row,
    input_files,
    is_gzip,
    open_binary,
    plan_chunks,
    read_chunk,
)

__all__ = ["ChunkScorer", "score_chunks", "coco_shard_map", "require_ray", "start_ray"]


def require_ray() -> Any:
    """``import ray`` (and Ray Data), or an ImportError naming the extra."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise ImportError("--engine ray needs Ray Data: pip install 'rewardkit[ray]'") from exc
    return ray


class start_ray:  # noqa: N801 - a context manager used like a function
    """Connect to ``address`` or start a local Ray (``num_cpus``); a Ray already
    initialized in this process is used as is. Shuts down only what it started.
    """

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.started = False

    def __enter__(self) -> Any:
        ray = require_ray()
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING}
            if self.address:
                ray.init(address=self.address, **kwargs)
            else:
                ray.init(num_cpus=self.num_cpus, **kwargs)
            self.started = True
        for name in ("ray.data", "ray"):
            logging.getLogger(name).setLevel(logging.WARNING)
        return ray

    def __exit__(self, *exc: Any) -> None:
        if self.started:
            import ray

            ray.shutdown()


class ChunkScorer:
    """A Ray Data actor: reads chunks and scores their rows.

    One per worker for the whole run: its row scorer builds each ``Reward`` once and
    prepares each distinct ground truth once (the G completions of a prompt share it).
    Returns, per chunk, the output lines (the exact text the local run writes) and the
    output rows pickled (for the summary and for Parquet output).
    """

    def __init__(self, reward: str | None, params: dict[str, Any]) -> None:
        from rewardkit.cli.rows import RowScorer

        self.scorer = RowScorer(reward, dict(params))
        self.pid = os.getpid()

    def score(self, chunk: Chunk) -> tuple[str, list[dict[str, Any]]]:
        outs = [self.scorer(row) for row in read_chunk(chunk)]
        text = "".join(dump_row(o) for o in outs)
        return text, outs

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        texts, blobs = [], []
        for i in range(len(batch["index"])):
            chunk = Chunk(**{k: _scalar(batch[k][i]) for k in ("path", "format", "first_line", "start", "stop", "group")})
            text, outs = self.score(chunk)
            texts.append(text)
            blobs.append(pickle.dumps(outs, protocol=pickle.HIGHEST_PROTOCOL))
        return {
            "index": np.asarray(batch["index"]),
            "text": np.asarray(texts, dtype=object),
            "outs": np.asarray(blobs, dtype=object),
            "pid": np.full(len(texts), self.pid),
        }


def _scalar(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _stage_gz(src: str, stage_dir: Path) -> str:
    """Decompress the ``.gz`` files of an input into ``stage_dir`` (for byte ranges);
    returns a glob over the staged copies and the other files, in the input's order.
    """
    files = input_files(src)
    gz = [f.format == "jsonl" and is_gzip(f.path) for f in files]
    if not any(gz):
        return src
    stage_dir.mkdir(parents=True, exist_ok=True)
    links = stage_dir / "input"
    links.mkdir(exist_ok=True)
    for k, (f, z) in enumerate(zip(files, gz)):
        name = f"{k:06d}-" + Path(f.path).name
        if z:  # decompressed under a name that still reads as JSONL
            with open_binary(f.path) as fin, open(links / (name.removesuffix(".gz") + ".jsonl"), "wb") as fout:
                shutil.copyfileobj(fin, fout, 1 << 22)
        else:
            os.symlink(os.path.abspath(f.path), links / name)
    return str(links / "*")


def score_chunks(
    src: str | Path,
    *,
    reward: str | None = None,
    params: dict[str, Any] | None = None,
    workers: int | None = None,
    address: str | None = None,
    chunk_bytes: int | None = None,
    chunk_rows: int | None = None,
    shards_dir: str | Path | None = None,
    stage_dir: str | Path | None = None,
    scorer_cls: type = ChunkScorer,
    progress: bool = False,
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Score an input on Ray: yields ``(lines, rows)`` per chunk, in input order.

    ``workers``: size of the actor pool (default: the CPUs of the cluster).
    ``chunk_bytes`` / ``chunk_rows``: chunk size (default: about 8 chunks per worker,
    between 64 KiB and 2 MiB of JSONL, 1,000 and 10,000 rows of Parquet: the driver holds
    a few chunks at a time, so the cap bounds its memory). ``shards_dir``:
    also write each chunk's lines to ``part-000000.jsonl``, ... there (written once each,
    by the driver, renamed into place). ``stage_dir``: where ``.gz`` inputs are
    decompressed (default: a temporary folder, removed at the end).
    """
    tmp = None
    if stage_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="rewardkit-stage-")
        stage_dir = tmp.name
    try:
        source = _stage_gz(str(src), Path(stage_dir))
        with start_ray(address, workers) as ray:
            size = int(workers or max(1, int(ray.cluster_resources().get("CPU", 1))))
            files = input_files(source)
            n_bytes = sum(os.path.getsize(f.path) for f in files if f.format == "jsonl")
            n_rows = sum(count_lines(f) for f in files if f.format != "jsonl")
            target = 8 * size
            chunks = plan_chunks(
                source,
                chunk_bytes=chunk_bytes or min(2 << 20, max(64 << 10, n_bytes // target)),
                chunk_rows=chunk_rows or min(10_000, max(1_000, n_rows // target)),
            )
            yield from _run(ray, chunks, reward, dict(params or {}), size, shards_dir, scorer_cls, progress)
    finally:
        if tmp is not None:
            tmp.cleanup()


def _run(ray: Any, chunks: list[Chunk], reward: str | None, params: dict[str, Any], size: int,
         shards_dir: str | Path | None, scorer_cls: type, progress: bool) -> Iterator[tuple[str, list[dict[str, Any]]]]:  # fmt: skip
    if not chunks:
        return
    # `ray` is the module from require_ray() (through start_ray), which imported ray.data
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = bool(progress)
    items = [{"index": i, **asdict(c)} for i, c in enumerate(chunks)]
    ds = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
        scorer_cls,
        fn_constructor_kwargs={"reward": reward, "params": params},
        batch_size=1,
        compute=ray.data.ActorPoolStrategy(size=min(size, len(items))),
        num_cpus=1,
        batch_format="numpy",
    )  # Ray Data's actor pools restart actors and retry their tasks by default
    shards = Path(shards_dir) if shards_dir is not None else None
    if shards is not None:
        shards.mkdir(parents=True, exist_ok=True)
    expected = 0
    for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
        for i, text, blob in zip(batch["index"].tolist(), batch["text"], batch["outs"]):
            if i != expected:
                raise RuntimeError(f"Ray returned chunk {i} where chunk {expected} was expected")
            expected += 1
            if shards is not None:
                part = shards / f"part-{i:06d}.jsonl"
                tmp = part.with_suffix(".jsonl.partial")
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(part)
            yield str(text), pickle.loads(blob)
    if expected != len(chunks):
        raise RuntimeError(f"Ray returned {expected} of {len(chunks)} chunks")


def coco_shard_map(fn: Any, jobs: Any) -> list[Any]:
    """The ``map`` of :func:`rewardkit.metrics.coco.shards.coco_evaluate_sharded` on Ray:
    one task per job (retried if its worker is lost), in order. When every job starts
    with the same object (the ground truth of the matching jobs), it is put in the
    object store once and shared. Needs an initialized Ray (:class:`start_ray`).
    """
    import ray

    jobs = list(jobs)
    if not jobs:
        return []
    task = ray.remote(num_cpus=1, max_retries=3)(_run_job)
    head = jobs[0][0]
    if all(job[0] is head for job in jobs):
        ref = ray.put(head)
        return ray.get([task.remote(fn, ref, job[1:]) for job in jobs])
    return ray.get([task.remote(fn, job[0], job[1:]) for job in jobs])


def _run_job(fn: Any, gt: Any, rest: tuple[Any, ...]) -> Any:
    return fn((gt, *rest))
