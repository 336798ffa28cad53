"""``rewardkit score INPUT``: score a file of completions, one output row per input row.

``register(subparsers)`` adds the command; :func:`score_rows` is the row engine the
command (and tests) use.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rewardkit.cli._errors import CliError
from rewardkit.cli._params import check_params, parse_param
from rewardkit.cli.rows import RowScorer, Summary, shorten
from rewardkit.io import (
    InputRow,
    RowWriter,
    default_output_for,
    head_bytes,
    input_files,
    is_gzip,
    iter_rows,
    require_readers,
    same_file,
    sniff,
    to_jsonable,
)

__all__ = ["register", "score_rows", "Summary", "RowScorer", "shorten"]

# ----------------------------------------------------------------------------- workers

_WORKER: RowScorer | None = None


def _init_worker(reward: str | None, params: dict[str, Any]) -> None:
    global _WORKER
    # Ctrl-C reaches the whole process group: the parent handles it (and keeps the
    # partial output); workers stay quiet instead of printing their own tracebacks
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # the parent's SIGTERM handler (keep the partial output) is inherited by fork: a
    # worker the pool terminates must just die, not raise inside the pool's queue lock
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _WORKER = RowScorer(reward, params)


def _score_chunk(rows: list[InputRow]) -> list[dict[str, Any]]:
    assert _WORKER is not None
    return [_WORKER(r) for r in rows]


def _crashed(row: InputRow) -> dict[str, Any]:
    data = row.data or {}
    name = data.get("reward") or data.get("reward_name") if isinstance(data, dict) else None
    return {
        "id": data.get("id", row.line) if row.data is not None else None, "line": row.line,
        "reward": name if isinstance(name, str) else None, "score": None, "components": {},
        "reason": "worker_crashed: the worker process died while scoring this row",
    }  # fmt: skip


def score_rows(
    rows: Iterable[InputRow],
    *,
    reward: str | None = None,
    params: dict[str, Any] | None = None,
    workers: int = 1,
    chunk_size: int = 64,
) -> Iterator[dict[str, Any]]:
    """Score rows in input order (``workers > 1``: worker processes, same order).

    A worker that dies (a segfault, ``os._exit``, the OOM killer) is detected: the rows
    it held are scored again one at a time in a fresh process; a row that kills that
    process too gets ``score=None, reason="worker_crashed"``, and the run goes on.
    """
    params = dict(params or {})
    if workers <= 1:
        scorer = RowScorer(reward, params)
        for row in rows:
            yield scorer(row)
        return
    import multiprocessing as mp
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from itertools import islice

    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")

    def new_pool(n: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(n, mp_context=ctx, initializer=_init_worker, initargs=(reward, params))

    def one_by_one(chunk: list[InputRow]) -> Iterator[dict[str, Any]]:
        solo = new_pool(1)
        try:
            for row in chunk:
                try:
                    yield solo.submit(_score_chunk, [row]).result()[0]
                except BrokenProcessPool:
                    solo.shutdown(wait=False, cancel_futures=True)
                    yield _crashed(row)
                    solo = new_pool(1)
        finally:
            solo.shutdown(wait=False, cancel_futures=True)

    it = iter(rows)
    pool = new_pool(workers)
    pending: deque[tuple[list[InputRow], Any]] = deque()
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < 4 * workers:
                chunk = list(islice(it, chunk_size))
                if not chunk:
                    exhausted = True
                    break
                try:
                    pending.append((chunk, pool.submit(_score_chunk, chunk)))
                except BrokenProcessPool:  # the pool broke between two submissions
                    pending.append((chunk, None))
            if not pending:
                return
            chunk, fut = pending.popleft()
            try:
                if fut is None:
                    raise BrokenProcessPool("the worker pool broke before this chunk was submitted")
                result = fut.result()
            except BrokenProcessPool:
                pool.shutdown(wait=False, cancel_futures=True)
                retry = [(chunk, None)] + list(pending)
                pending.clear()
                for c, f in retry:
                    if f is not None and f.done() and not f.cancelled() and f.exception() is None:
                        yield from f.result()
                    else:
                        yield from one_by_one(c)
                pool = new_pool(workers)
                continue
            yield from result
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _plot(summary: Summary, path: str) -> None:
    """Score histograms, each on its reward's declared range, with labelled axes."""
    from rewardkit.viz._deps import require_matplotlib

    plt = require_matplotlib()  # ImportError naming the 'plot' extra
    from rewardkit.plot import score_histograms

    fig = score_histograms(summary.scores)
    fig.savefig(path, dpi=100)
    plt.close(fig)


_HINTS = {
    "invalid_json": "rewardkit score reads JSON Lines: one JSON object per line",
    "not_an_object": "rewardkit score reads JSON Lines: one JSON object per line",
    "missing_field": "see `rewardkit score --help` for the column names",
    "unknown_reward": "see `rewardkit list`",
}


def _all_failed(summary: Summary, src: str) -> str | None:
    """The message when every row failed for one reason (the file, not the model, is wrong)."""
    if summary.rows == 0 or summary.failed != summary.rows or len(summary.failures) != 1:
        return None
    code, n = summary.failures.most_common(1)[0]
    line, first = summary.first_failure[code]
    hint = None
    if code in ("invalid_json", "not_an_object") and src != "-":
        hint = sniff(head_bytes(src))
    hint = hint or _HINTS.get(code)
    if hint and code in ("invalid_json", "not_an_object") and "JSON Lines" not in hint:
        hint += "; rewardkit score reads JSON Lines (one JSON object per line)"
    return f"every row failed ({n} row{'s' if n != 1 else ''}), all with {code}; line {line}: {shorten(first, 200)}" + (f"; {hint}" if hint else "")


def _cmd_score(args: argparse.Namespace) -> int:
    src: str = args.file
    ray = args.engine == "ray"
    if src != "-":
        p = Path(src)
        if not p.exists() and not any(c in src for c in "*?["):
            raise CliError(f"No such file: {src!r}")
    files = input_files(src)  # a folder or glob without data, a DatasetDict: one line
    require_readers(files)  # pyarrow missing for Parquet: one line naming the extra
    if args.workers is not None and args.workers < 1:
        raise CliError(f"Expected --workers >= 1, but got {args.workers}")
    if not ray and (args.address or args.keep_shards):
        raise CliError("--address and --keep-shards go with --engine ray")
    if ray and src == "-":
        raise CliError("--engine ray reads files (its workers read them): give a file, folder or glob, not -")
    if args.output:
        out_path: str | Path = args.output if args.output == "-" else Path(args.output)
    elif src == "-":
        raise CliError("Reading standard input: give -o FILE (or -o - for standard output)")
    else:
        out_path = default_output_for(src)
    if same_file(src, out_path):
        raise CliError(f"Refusing to write the output over the input {src!r}: give another -o")
    params = dict(args.param or [])
    if args.reward:
        from rewardkit.registry import get_spec

        get_spec(args.reward)  # KeyError "did you mean" -> one line, exit 2
        check_params(params, [args.reward])
    else:
        check_params(params, None)
    to_stdout = str(out_path) == "-"
    info = sys.stderr if to_stdout else sys.stdout
    try:
        writer = RowWriter(out_path)  # a read-only folder fails here, before any row is read
    except OSError as exc:
        raise CliError(f"Cannot write the output {str(out_path)!r}: {exc.strerror or exc}") from None
    summary = Summary(keep_scores=bool(args.plot))
    from tqdm import tqdm

    plain = src != "-" and all(f.format == "jsonl" and not is_gzip(f.path) for f in files)
    total = sum(Path(f.path).stat().st_size for f in files) if plain and not ray else None
    bar = tqdm(total=total, unit="B" if total else "row", unit_scale=True, desc="scoring", disable=args.quiet or ray or None, file=sys.stderr, leave=False)

    sample: list[InputRow] = []  # the first rows, for the reading check of the summary

    def rows() -> Iterator[InputRow]:
        for r in iter_rows(src):
            bar.update(r.n_bytes if total else 1)
            if len(sample) < 400 and r.data is not None:
                sample.append(r)
            yield r

    def scored() -> Iterator[tuple[str | None, list[dict[str, Any]]]]:
        if ray:
            from rewardkit.engines.ray import score_chunks

            shards = Path(str(out_path) + ".shards") if args.keep_shards else None
            yield from score_chunks(src, reward=args.reward, params=params, workers=args.workers,
                                    address=args.address, shards_dir=shards, progress=not args.quiet)  # fmt: skip
            return
        for out in score_rows(rows(), reward=args.reward, params=params, workers=args.workers or 1):
            yield None, [out]

    previous = signal.getsignal(signal.SIGTERM) if _main_thread() else None
    if previous is not None:
        signal.signal(signal.SIGTERM, _terminate)
    try:
        for text, outs in scored():
            if text is None:
                writer.write(outs[0])
            else:
                writer.write_lines(text, outs)
            for out in outs:
                summary.add(out)
    except BaseException as exc:
        bar.close()
        partial = writer.keep_partial()
        kept = f"{writer.rows} rows kept in {str(partial)!r}" if partial else f"{writer.rows} rows written"
        if isinstance(exc, KeyboardInterrupt):
            untouched = f" ({str(out_path)!r} is untouched)" if partial and Path(out_path).exists() else ""
            raise CliError(f"interrupted: {kept}{untouched}", 130) from None
        print(f"rewardkit: {kept}", file=sys.stderr)
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if total:
        bar.update(total - bar.n)
    bar.close()
    if summary.rows == 0:
        writer.discard()
        raise CliError(f"no rows in {'standard input' if src == '-' else repr(src)}: the file has no non-blank line", 1)
    writer.commit()
    if not args.quiet or args.summary_json:
        summary.check_readings(sample, params, str(src))
    if not args.quiet:
        print(summary.render(), file=info)
        print(f"\nwrote {summary.rows} rows to {'standard output' if to_stdout else out_path}", file=info)
    if args.summary_json:
        Path(args.summary_json).write_text(json.dumps(to_jsonable(summary.to_dict()), indent=2))
    if args.plot:
        _plot(summary, args.plot)
        if not args.quiet:
            print(f"wrote {args.plot}", file=info)
    message = _all_failed(summary, src)
    if message:
        raise CliError(message, 1)
    return 0


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def register(subparsers: Any) -> None:
    """Add the ``score`` command."""
    p = subparsers.add_parser("score", help="score a file of completions (JSONL, Parquet, HF datasets)", description=(
        "Score every row of a JSONL file (plain or gzip; - reads standard input), a Parquet file, a Hugging Face "
        "datasets save_to_disk folder, or a folder or glob of them. Each row has 'completion', "
        "'ground_truth' (or 'solution', 'answer', 'reward_model.ground_truth'), optional 'reward', 'id', "
        "'params' (an object, or a JSON string of one), 'prompt', 'image_size'; veRL rollout dumps (input, "
        "output, gts, step) and training Parquet (data_source, reward_model, extra_info, responses) are read as "
        "they are. Writes one output row per input row (per response of a 'responses' list), with a reason on "
        "rows that could not be scored. The output is written to a temporary "
        "file and renamed at the end; an interrupted run keeps <output>.partial. Exit status: 0, 1 when "
        "there is no row or every row failed for one reason, 2 for a mistake on the command line."))
    p.add_argument("file", help="input: JSONL (plain or gzip; - for standard input), Parquet, a datasets save_to_disk folder, a folder or a glob")
    p.add_argument("--reward", help="reward name for rows without a 'reward' column (see `rewardkit list`)")
    p.add_argument("-o", "--output", help="output JSONL, or Parquet if it ends in .parquet (default: <input>.scored.jsonl next to the input; - for standard output)")
    p.add_argument("--param", action="append", type=parse_param, metavar="KEY=VALUE", help="reward parameter (JSON value), repeatable; checked before any row is read")
    p.add_argument("--workers", type=int, default=None, help="score in N processes (same output order); with --engine ray: N actors (default: every CPU of the cluster)")
    p.add_argument("--engine", choices=("local", "ray"), default="local", help="ray: score on Ray Data (the 'ray' extra); the same output, byte for byte")
    p.add_argument("--address", help="with --engine ray: the Ray cluster (default: start a local Ray)")
    p.add_argument("--keep-shards", action="store_true", help="with --engine ray: also keep each chunk's output in <output>.shards/")
    p.add_argument("--plot", metavar="FILE.png", help="draw the score distributions (needs the 'plot' extra)")
    p.add_argument("--summary-json", metavar="FILE", help="write the summary table as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")
    p.set_defaults(func=_cmd_score)
