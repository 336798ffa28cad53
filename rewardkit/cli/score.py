"""``rewardkit score FILE``: score a file of completions, one output row per input row.

``register(subparsers)`` adds the command; :func:`score_rows` is the row engine the
command (and tests) use.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rewardkit.cli._errors import CliError
from rewardkit.io import (
    COMPLETION_FIELDS,
    GROUND_TRUTH_FIELDS,
    InputRow,
    RowWriter,
    default_output_for,
    get_field,
    iter_rows,
    to_jsonable,
)

__all__ = ["register", "score_rows", "Summary"]


# ----------------------------------------------------------------------------- scoring


def _parse_param(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"Expected --param KEY=VALUE, but got {text!r}")
    key, raw = text.split("=", 1)
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return key.strip(), value


def _registered(name: str) -> bool:
    from rewardkit.registry import get_spec

    try:
        get_spec(name)
    except KeyError:
        return False
    return True


class _RowScorer:
    """Scores one input row into one output row (picklable for worker processes)."""

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
        except (TypeError, ValueError):
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
        if row.data is None:
            out["reason"] = row.error
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
            out["reason"] = f"unknown_reward: {str(exc.args[0])[:300]}"
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
        if isinstance(row_params, dict):
            params.update(row_params)
        accepted = reward.spec.params
        for key in ("image_size", "prompt", "step", "max_steps", "min_pixels", "max_pixels"):
            if key in data and data[key] is not None and key not in params:
                if key in accepted or (key in ("step", "max_steps") and reward.spec.scheduled):
                    params[key] = data[key]
        try:
            result = reward(completion, self._prepare(reward, ground_truth, params), **params)
        except (ValueError, TypeError, KeyError) as exc:
            out["reason"] = f"bad_params: {str(exc)[:300]}"
            return out
        out["score"] = result.score
        out["components"] = dict(result.components)
        out["reason"] = result.reason
        return out


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
    """Per reward: stats of the score and of each component, and failure reasons."""

    def __init__(self, keep_scores: bool = False) -> None:
        self.rows = 0
        self.stats: dict[str, dict[str, _Stats]] = defaultdict(lambda: defaultdict(_Stats))
        self.reasons: dict[str, Counter[str]] = defaultdict(Counter)
        self.keep_scores = keep_scores
        self.scores: dict[str, list[float]] = defaultdict(list)

    def add(self, out: dict[str, Any]) -> None:
        self.rows += 1
        name = out.get("reward") or "(none)"
        if not isinstance(name, str):  # a hostile row's "reward": 7 must not break the table's sort
            name = f"(not a name: {str(name)[:40]})"
        if out.get("reason"):
            self.reasons[name][str(out["reason"]).split(":")[0]] += 1
        s = out.get("score")
        if s is None:
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
                }
                for name, keys in sorted(self.stats.items())
            }
            | {name: {"stats": {}, "reasons": dict(c)} for name, c in self.reasons.items() if name not in self.stats},
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
        return "\n".join(lines)


def score_rows(rows: Iterable[InputRow], *, reward: str | None = None, params: dict[str, Any] | None = None, workers: int = 1) -> Iterator[dict[str, Any]]:
    """Score rows in input order (``workers > 1``: a process pool, same order)."""
    scorer = _RowScorer(reward, dict(params or {}))
    if workers <= 1:
        for row in rows:
            yield scorer(row)
        return
    import multiprocessing as mp

    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    with ctx.Pool(workers) as pool:
        yield from pool.imap(scorer, rows, chunksize=64)


def _plot(summary: Summary, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise SystemExit("--plot needs matplotlib: pip install 'rewardkit[plot]'") from exc
    names = sorted(summary.scores)
    fig, axes = plt.subplots(len(names) or 1, 1, figsize=(6, 2.2 * max(1, len(names))), squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        ax.hist(summary.scores[name], bins=30)
        ax.set_title(name, fontsize=9)
        ax.set_ylabel("rows")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _cmd_score(args: argparse.Namespace) -> int:
    from rewardkit.io import input_files

    src = args.file
    files = input_files(src)  # ValueError (one line) when nothing is there
    out_path = Path(args.output) if args.output else default_output_for(src)
    params = dict(args.param or [])
    if args.reward:
        from rewardkit.registry import get_spec

        try:
            get_spec(args.reward)
        except KeyError as exc:
            print(f"rewardkit score: {exc.args[0]}", file=sys.stderr)
            return 2
    summary = Summary(keep_scores=bool(args.plot))
    if args.engine == "ray":
        from rewardkit.engines.ray import score_chunks

        shards = Path(str(out_path) + ".shards") if args.keep_shards else None
        with RowWriter(out_path) as writer:
            for text, outs in score_chunks(src, reward=args.reward, params=params, workers=args.workers,
                                           address=args.address, shards_dir=shards, progress=not args.quiet):  # fmt: skip
                writer.write_lines(text, outs)
                for out in outs:
                    summary.add(out)
    else:
        if args.address or args.keep_shards:
            raise CliError("--address and --keep-shards go with --engine ray")
        total = sum(Path(f.path).stat().st_size for f in files)
        from tqdm import tqdm

        bar = tqdm(total=total, unit="B", unit_scale=True, desc="scoring", disable=args.quiet or None, file=sys.stderr, leave=False)
        compressed = any(f.path.endswith(".gz") or f.format != "jsonl" for f in files)

        def rows() -> Iterator[InputRow]:
            for r in iter_rows(src):
                if not compressed:
                    bar.update(r.n_bytes)
                yield r

        with RowWriter(out_path) as writer:
            for out in score_rows(rows(), reward=args.reward, params=params, workers=args.workers or 1):
                writer.write(out)
                summary.add(out)
        bar.close()
    if not args.quiet:
        print(summary.render())
        print(f"\nwrote {summary.rows} rows to {out_path}")
    if args.summary_json:
        Path(args.summary_json).write_text(json.dumps(to_jsonable(summary.to_dict()), indent=2))
    if args.plot:
        _plot(summary, args.plot)
        if not args.quiet:
            print(f"wrote {args.plot}")
    return 0


def register(subparsers: Any) -> None:
    """Add the ``score`` command."""
    p = subparsers.add_parser("score", help="score a file of completions (JSONL, Parquet, HF datasets)", description=(
        "Score every row of a JSONL (or .jsonl.gz), Parquet or Hugging Face datasets input, or a folder or glob "
        "of them. Each row has 'completion', 'ground_truth' (or 'solution', 'answer', 'reward_model.ground_truth'), "
        "optional 'reward', 'id', 'params', 'prompt', 'image_size'; veRL rollout dumps (input, output, gts, step) "
        "and training Parquet (data_source, reward_model, extra_info, responses) are read as they are. Writes one "
        "output row per input row (per response of a 'responses' list), with a reason on rows that could not be "
        "scored."))
    p.add_argument("file", help="input: JSONL (.gz), Parquet, a datasets save_to_disk folder, a folder or a glob of shards")
    p.add_argument("--reward", help="reward name for rows without a 'reward' column (see `rewardkit list`)")
    p.add_argument("-o", "--output", help="output JSONL, or Parquet if it ends in .parquet (default: <input>.scored.jsonl next to the input)")
    p.add_argument("--param", action="append", type=_parse_param, metavar="KEY=VALUE", help="reward parameter (JSON value), repeatable")
    p.add_argument("--workers", type=int, default=None, help="score in N processes (same output order); with --engine ray: N actors (default: every CPU of the cluster)")
    p.add_argument("--engine", choices=("local", "ray"), default="local", help="ray: score on Ray Data (the 'ray' extra); same output")
    p.add_argument("--address", help="with --engine ray: the Ray cluster (default: start a local Ray)")
    p.add_argument("--keep-shards", action="store_true", help="with --engine ray: also keep the output of each chunk in <output>.shards/")
    p.add_argument("--plot", metavar="FILE.png", help="draw the score distributions (needs the 'plot' extra)")
    p.add_argument("--summary-json", metavar="FILE", help="write the summary table as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")
    p.set_defaults(func=_cmd_score)
