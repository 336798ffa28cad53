"""``rewardkit score INPUT``: score a file of completions, one output row per input row.

``register(subparsers)`` adds the command; :func:`score_rows` is the row engine the
command (and tests) use.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rewardkit.cli._errors import CliError
from rewardkit.cli._params import check_params, parse_param
from rewardkit.io import (
    COMPLETION_FIELDS,
    GROUND_TRUTH_FIELDS,
    InputRow,
    RowWriter,
    default_output_for,
    get_field,
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

REASON_CHARS = 300


def shorten(text: str, limit: int = REASON_CHARS) -> str:
    """``text`` cut to at most ``limit`` characters at a separator (never inside a name)."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 4]
    for sep in (", ", "; ", " "):
        i = cut.rfind(sep)
        if i > limit // 2:
            return cut[:i].rstrip(",;") + " ..."
    return cut + " ..."


# ----------------------------------------------------------------------------- scoring


def _registered(name: str) -> bool:
    from rewardkit.registry import get_spec

    try:
        get_spec(name)
    except KeyError:
        return False
    return True


class _RowScorer:
    """Scores one input row into one output row (picklable for worker processes).

    Nothing a row holds ends the run: a bad ground truth gives ``bad_ground_truth``, bad
    parameters ``bad_params``, anything else ``internal_error:<Type>``; every row gets an
    output row.
    """

    def __init__(self, default_reward: str | None, params: dict[str, Any]) -> None:
        self.default_reward = default_reward
        self.params = params
        self._rewards: dict[str, Any] = {}
        self._unknown: dict[str, KeyError] = {}  # a misspelt name is looked up once
        # ground truth parsed once per distinct value (rows of one prompt share it)
        self._prepared: OrderedDict[tuple[str, str, str], Any] = OrderedDict()

    def _prepare(self, reward: Any, ground_truth: Any, params: dict[str, Any]) -> Any:
        if reward.spec.prepare is None:
            return ground_truth
        try:
            gt_key = ground_truth if isinstance(ground_truth, str) else json.dumps(ground_truth, sort_keys=True)
            key = (reward.name, gt_key, repr(sorted(params.items())))
        except (TypeError, ValueError, RecursionError):
            return reward.prepare(ground_truth, **params)
        hit = self._prepared.get(key)
        if hit is None:
            hit = reward.prepare(ground_truth, **params)
            self._prepared[key] = hit
            if len(self._prepared) > 256:
                self._prepared.popitem(last=False)
        return hit

    def _reward(self, name: str) -> Any:
        r = self._rewards.get(name)
        if r is None:
            if name in self._unknown:
                raise self._unknown[name]
            from rewardkit.registry import Reward

            try:
                r = self._rewards[name] = Reward(name)
            except KeyError as exc:
                if len(self._unknown) < 1024:
                    self._unknown[name] = exc
                raise
        return r

    def __call__(self, row: InputRow) -> dict[str, Any]:
        out: dict[str, Any] = {"id": None, "line": row.line, "reward": None, "score": None, "components": {}, "reason": None}
        try:
            return self._score(row, out)
        except Exception as exc:  # noqa: BLE001 - one row never ends the run
            out["score"], out["components"] = None, {}
            out["reason"] = shorten(f"internal_error:{type(exc).__name__}: {exc}")
            return out

    def _score(self, row: InputRow, out: dict[str, Any]) -> dict[str, Any]:
        if row.data is None:
            out["reason"] = shorten(f"{row.error}") if row.error else "invalid_json"
            return out
        data = row.data
        out["id"] = data.get("id", row.line)
        name = data.get("reward") or data.get("reward_name") or self.default_reward
        if isinstance(data.get("extra_info"), dict) and not name:
            name = data["extra_info"].get("reward")
        if not name and isinstance(data.get("data_source"), str) and _registered(data["data_source"]):
            name = data["data_source"]  # veRL routes by data source (adapters/verl.py)
        out["reward"] = name
        if not name or not isinstance(name, str):
            out["reason"] = "missing_field:reward (give --reward NAME or a 'reward' column)"
            return out
        try:
            reward = self._reward(name)
        except KeyError as exc:
            out["reason"] = shorten(f"unknown_reward: {exc.args[0]}")
            return out
        cname, completion = get_field(data, COMPLETION_FIELDS)
        if cname is None:
            out["reason"] = "missing_field:completion"
            return out
        gname, ground_truth = get_field(data, GROUND_TRUTH_FIELDS)
        if gname is None:
            out["reason"] = f"missing_field:ground_truth (one of {', '.join(GROUND_TRUTH_FIELDS)})"
            return out
        params = dict(self.params)
        row_params = data.get("params")
        if isinstance(row_params, str):  # veRL's make_row writes params as a JSON string
            try:
                row_params = json.loads(row_params) if row_params.strip() else {}
            except (ValueError, RecursionError):
                out["reason"] = shorten(f"bad_params: Expected 'params' to be an object or a JSON string of one, but got {row_params!r}")
                return out
        if row_params is not None and not isinstance(row_params, dict):
            out["reason"] = shorten(f"bad_params: Expected 'params' to be an object or a JSON string of one, but got {row_params!r}")
            return out
        params.update(row_params or {})
        accepted = reward.spec.params
        for key in ("image_size", "prompt", "step", "max_steps", "min_pixels", "max_pixels"):
            if key in data and data[key] is not None and key not in params:
                if key in accepted or (key in ("step", "max_steps") and reward.spec.scheduled):
                    params[key] = data[key]
        try:
            prepared = self._prepare(reward, ground_truth, params)
        except ImportError as exc:  # the row's params need an optional extra
            out["reason"] = shorten(f"missing_extra: {exc}")
            return out
        except Exception:  # noqa: BLE001 - an unusable ground truth, whatever the exception
            out["reason"] = "bad_ground_truth"
            return out
        try:
            result = reward(completion, prepared, **params)
        except ImportError as exc:  # a row's params need an optional extra (e.g. compat modes)
            out["reason"] = shorten(f"missing_extra: {exc}")
            return out
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            out["reason"] = shorten(f"bad_params: {exc.args[0] if isinstance(exc, KeyError) and exc.args else exc}")
            return out
        except (OverflowError, RecursionError, MemoryError, ArithmeticError) as exc:
            out["reason"] = f"internal_error:{type(exc).__name__}"
            return out
        out["score"] = result.score
        out["components"] = dict(result.components)
        out["reason"] = result.reason
        return out


RowScorer = _RowScorer
"""The row engine of ``rewardkit score`` (also run by ``rewardkit serve``'s workers):
``RowScorer(default_reward, params)(InputRow) -> output row``."""


class _Stats:
    """Streaming count / mean / std / min / max (Welford) per key."""

    def __init__(self) -> None:
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.min = math.inf
        self.max = -math.inf

    def add(self, x: float) -> None:
        self.n += 1
        d = x - self.mean
        self.mean += d / self.n
        self.m2 += d * (x - self.mean)
        self.min = min(self.min, x)
        self.max = max(self.max, x)

    @property
    def std(self) -> float:
        return math.sqrt(self.m2 / self.n) if self.n else math.nan

    def to_dict(self) -> dict[str, float]:
        return {"count": self.n, "mean": self.mean, "std": self.std, "min": self.min, "max": self.max}


class Summary:
    """Per reward: stats of the score and of each component, and failure reasons (with
    the first full message of each)."""

    def __init__(self, keep_scores: bool = False) -> None:
        self.warnings: list[str] = []
        self.rows = 0
        self.failed = 0
        self.stats: dict[str, dict[str, _Stats]] = defaultdict(lambda: defaultdict(_Stats))
        self.reasons: dict[str, Counter[str]] = defaultdict(Counter)
        self.first: dict[str, dict[str, str]] = defaultdict(dict)
        self.failures: Counter[str] = Counter()
        self.first_failure: dict[str, tuple[int, str]] = {}
        self.keep_scores = keep_scores
        self.scores: dict[str, list[float]] = defaultdict(list)

    def add(self, out: dict[str, Any]) -> None:
        self.rows += 1
        name = _printable(out.get("reward") or "(none)")
        reason = _printable(out["reason"]) if out.get("reason") else None
        code = reason.split(":")[0] if reason else None
        if code:
            self.reasons[name][code] += 1
            self.first[name].setdefault(code, reason)
        s = out.get("score")
        if s is None:
            self.failed += 1
            if code:
                self.failures[code] += 1
                self.first_failure.setdefault(code, (int(out.get("line") or 0), reason))
            self.stats[name]  # noqa: B018 - make the reward appear in the table
            return
        self.stats[name]["score"].add(float(s))
        if self.keep_scores:
            self.scores[name].append(float(s))
        for k, v in (out.get("components") or {}).items():
            self.stats[name][k].add(float(v))

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "rewards": {
                name: {
                    "stats": {k: st.to_dict() for k, st in keys.items()},
                    "reasons": dict(self.reasons.get(name, {})),
                    "first_messages": dict(self.first.get(name, {})),
                }
                for name, keys in sorted(self.stats.items())
            }
            | {
                name: {"stats": {}, "reasons": dict(c), "first_messages": dict(self.first.get(name, {}))}
                for name, c in self.reasons.items()
                if name not in self.stats
            },
            "warnings": list(self.warnings),
        }

    def render(self) -> str:
        lines = [f"{self.rows} rows scored"]
        names = sorted(set(self.stats) | set(self.reasons))
        for name in names:
            keys = self.stats.get(name, {})
            lines.append("")
            lines.append(f"{name}")
            lines.append(f"  {'':<14}{'count':>8}{'mean':>10}{'std':>10}{'min':>10}{'max':>10}")
            order = ["score"] + sorted(k for k in keys if k != "score")
            for k in order:
                if k not in keys:
                    continue
                st = keys[k]
                lines.append(f"  {k:<14}{st.n:>8}{st.mean:>10.4f}{st.std:>10.4f}{st.min:>10.4f}{st.max:>10.4f}")
            reasons = self.reasons.get(name)
            if reasons:
                lines.append("  reasons: " + ", ".join(f"{r}={c}" for r, c in reasons.most_common()))
                for r, _ in reasons.most_common():
                    first = self.first[name][r]
                    if first != r:
                        lines.append(f"    {r}: first: {shorten(first, 160)}")
        if self.warnings:
            lines.append("")
            lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def check_readings(self, sample: list[Any], params: dict[str, Any], file: str, limit: int = 100) -> None:
        """Add a warning per reward whose current reading is clearly worse than another
        (:func:`rewardkit.doctor.diagnose` on the first rows with ground truth)."""
        from rewardkit.doctor import diagnose
        from rewardkit.registry import get_spec

        for name in sorted(self.stats):
            try:
                spec = get_spec(name)
            except KeyError:
                continue
            if spec.reading is None or not ({"dialect", "pred_frame"} & set(spec.reading_fields)):
                continue
            try:
                d = diagnose(sample, name, params, limit=limit)
            except Exception:  # noqa: BLE001 - a diagnostic must never end a finished run
                continue
            if d["verdict"]:
                given = "".join(f" --param {k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in params.items())
                self.warnings.append(f"{name}: {d['verdict']} (`rewardkit doctor {file} --reward {name}{given}` for details)")


def _printable(text: Any) -> str:
    """``text`` as a string that any terminal encoding can print (lone surrogates escaped)."""
    s = str(text)
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return s.encode("utf-8", "backslashreplace").decode("utf-8")


# ----------------------------------------------------------------------------- workers

_WORKER: _RowScorer | None = None


def _init_worker(reward: str | None, params: dict[str, Any]) -> None:
    global _WORKER
    # Ctrl-C reaches the whole process group: the parent handles it (and keeps the
    # partial output); workers stay quiet instead of printing their own tracebacks
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # the parent's SIGTERM handler (keep the partial output) is inherited by fork: a
    # worker the pool terminates must just die, not raise inside the pool's queue lock
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _WORKER = _RowScorer(reward, params)


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
        scorer = _RowScorer(reward, params)
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
