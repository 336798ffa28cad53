"""``rewardkit score FILE``: score a JSONL file of completions, one output row per input row.

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

from rewardkit.io import (
    COMPLETION_FIELDS,
    GROUND_TRUTH_FIELDS,
    InputRow,
    default_output_path,
    get_field,
    iter_jsonl,
    open_output,
    to_jsonable,
)

__all__ = ["register", "score_rows", "Summary", "RowScorer"]


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


class _RowScorer:
    """Scores one input row into one output row (picklable for worker processes)."""

    def __init__(self, default_reward: str | None, params: dict[str, Any]) -> None:
        self.default_reward = default_reward
        self.params = params
        self._rewards: dict[str, Any] = {}
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
            from rewardkit.registry import Reward

            r = self._rewards[name] = Reward(name)
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
        for key in ("image_size", "prompt", "step", "max_steps"):
            if key in data and data[key] is not None and key not in params:
                if key in accepted or (key in ("step", "max_steps") and reward.spec.scheduled):
                    params[key] = data[key]
        try:
            result = reward(completion, self._prepare(reward, ground_truth, params), **params)
        except ImportError as exc:  # a row's params need an optional extra (e.g. compat modes)
            out["reason"] = f"missing_extra: {str(exc)[:300]}"
            return out
        except (ValueError, TypeError, KeyError) as exc:
            out["reason"] = f"bad_params: {str(exc)[:300]}"
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
    """Per reward: stats of the score and of each component, and failure reasons."""

    def __init__(self, keep_scores: bool = False) -> None:
        self.warnings: list[str] = []
        self.rows = 0
        self.stats: dict[str, dict[str, _Stats]] = defaultdict(lambda: defaultdict(_Stats))
        self.reasons: dict[str, Counter[str]] = defaultdict(Counter)
        self.keep_scores = keep_scores
        self.scores: dict[str, list[float]] = defaultdict(list)

    def add(self, out: dict[str, Any]) -> None:
        self.rows += 1
        name = out.get("reward") or "(none)"
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
            except (ValueError, KeyError, TypeError):
                continue
            if d["verdict"]:
                given = "".join(f" --param {k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in params.items())
                self.warnings.append(f"{name}: {d['verdict']} (`rewardkit doctor {file} --reward {name}{given}` for details)")


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
    """Score histograms, each on its reward's declared range, with labelled axes."""
    from rewardkit.viz._deps import require_matplotlib

    plt = require_matplotlib()  # ImportError naming the 'plot' extra
    from rewardkit.plot import score_histograms

    fig = score_histograms(summary.scores)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _cmd_score(args: argparse.Namespace) -> int:
    src = Path(args.file)
    if not src.exists():
        print(f"rewardkit score: no such file: {src}", file=sys.stderr)
        return 2
    out_path = Path(args.output) if args.output else default_output_path(src)
    params = dict(args.param or [])
    if args.reward:
        from rewardkit.registry import get_spec

        try:
            get_spec(args.reward)
        except KeyError as exc:
            print(f"rewardkit score: {exc.args[0]}", file=sys.stderr)
            return 2
    summary = Summary(keep_scores=bool(args.plot))
    total = src.stat().st_size
    from tqdm import tqdm

    bar = tqdm(total=total, unit="B", unit_scale=True, desc="scoring", disable=args.quiet or None, file=sys.stderr, leave=False)

    sample: list[InputRow] = []  # the first rows, for the reading check of the summary

    def rows() -> Iterator[InputRow]:
        for r in iter_jsonl(src):
            if not src.suffix == ".gz":
                bar.update(r.n_bytes)
            if len(sample) < 400 and r.data is not None:
                sample.append(r)
            yield r

    with open_output(out_path) as fh:
        for out in score_rows(rows(), reward=args.reward, params=params, workers=args.workers):
            fh.write(json.dumps(to_jsonable(out), ensure_ascii=False) + "\n")
            summary.add(out)
    bar.close()
    if not args.quiet or args.summary_json:
        summary.check_readings(sample, params, str(src))
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
    p = subparsers.add_parser("score", help="score a JSONL file of completions", description=(
        "Score every row of a JSONL (or .jsonl.gz) file. Each row has 'completion', 'ground_truth' "
        "(or 'solution', 'answer', 'reward_model.ground_truth'), optional 'reward', 'id', 'params', "
        "'prompt', 'image_size'. Writes one output row per input row, with a reason on rows that "
        "could not be scored."))
    p.add_argument("file", help="input JSONL file")
    p.add_argument("--reward", help="reward name for rows without a 'reward' column (see `rewardkit list`)")
    p.add_argument("-o", "--output", help="output JSONL (default: <input>.scored.jsonl next to the input)")
    p.add_argument("--param", action="append", type=_parse_param, metavar="KEY=VALUE", help="reward parameter (JSON value), repeatable")
    p.add_argument("--workers", type=int, default=1, help="score in N processes (same output order)")
    p.add_argument("--plot", metavar="FILE.png", help="draw the score distributions (needs the 'plot' extra)")
    p.add_argument("--summary-json", metavar="FILE", help="write the summary table as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")
    p.set_defaults(func=_cmd_score)
