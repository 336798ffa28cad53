"""``rewardkit report``: one self-contained HTML page about a scored file or a training run.

    >>> from rewardkit.viz.report import build_report
    >>> stats = build_report("examples/data/preds.jsonl", "report.html")  # doctest: +SKIP

Input: a JSONL file of rows. Each row gives one or more reward results, read in this
order:

1. rows with a completion and a ground truth (``gts`` too: veRL rollout dumps) are
   scored with the registry (the reward from the row's ``reward`` column or
   ``reward=``); a score the row already carries (``score``: veRL) is compared with
   rewardkit's and differences are counted;
2. rows that carry results but no ground truth: ``rewardkit score`` output
   (``reward``, ``score``, ``components``, ``reason``), veRL dumps (``score`` and the
   components as columns), TRL completion tables (a column per reward function:
   ``<reward>`` or ``<reward>/<component>``, and ``<reward>/reason``).

Per reward the page shows the score and each component as histograms on the reward's
declared range, the reason codes, the score against the number of predicted boxes, and
the best, median and worst rows with their :func:`rewardkit.show` pictures. Rows with a
``step`` (``global_step``) add the mean and spread of each component over training
steps and the share of each reason over steps.

Self-contained: figures are SVG and pictures PNG, inlined as ``data:`` URIs; styles are
inline; a Content-Security-Policy forbids every request, so the page opens offline and
leaks nothing. Memory does not grow with the rows beyond one float per row and series
(the file is streamed twice: once to aggregate, once to draw the rows it shows); only
the pictures shown are embedded.
"""

from __future__ import annotations

import base64
import io
import math
import sys
from array import array
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rewardkit.viz.report_html import _CSP, _CSS, _e, _fmt, _reason_table, _stats_table
from rewardkit.viz.report_stats import (
    _MAX_STEP_POINTS,
    _N_PRED_CAP,
    NORMAL,
    ReportStats,
    _count_boxes,
    _recorded,
    _RewardAgg,
    _step_of,
    _Welford,
)

__all__ = ["build_report", "ReportStats", "doctor_verdict", "NORMAL"]

def doctor_verdict(path: str | Path, rewards: Sequence[str], *, max_rows: int = 2000) -> str | Sequence[str] | None:
    """The ``rewardkit doctor`` verdict on ``path`` for the report's header.

    One line per reward whose current reading (dialect, frames) is clearly worse than
    another on the file's first rows (:func:`rewardkit.doctor.diagnose`), or ``None``
    when every reading fits, the rewards read no coordinates, or the file holds no
    completions with ground truth (a scored file).

    Args:
        path: The JSONL file.
        rewards: The rewards of the report.
        max_rows: Most rows read.

    Returns:
        The verdict lines, or None.
    """
    from itertools import islice

    from rewardkit.doctor import diagnose
    from rewardkit.io import iter_jsonl

    try:
        rows = [r.data for r in islice(iter_jsonl(path), max_rows) if r.data is not None]
    except (OSError, ValueError):
        return None
    import json

    lines = []
    for name in rewards:
        groups: dict[str, list[dict[str, Any]]] = {}
        for r in rows:  # rows scored with other per-row params were read another way
            if (r.get("reward") or name) == name:
                p = r.get("params") if isinstance(r.get("params"), dict) else {}
                groups.setdefault(json.dumps(p, sort_keys=True, default=str), []).append(r)
        for key, mine in groups.items():
            if len(mine) < 5:  # too few rows to judge a reading
                continue
            try:
                d = diagnose(mine, name, json.loads(key), limit=200)
            except Exception:  # noqa: BLE001 - a diagnostic never stops a report
                continue
            if d.get("verdict"):
                lines.append(f"{name}{'' if key == '{}' else ' (rows with params ' + key + ')'}: {d['verdict']}")
    return lines or None


# ----------------------------------------------------------------------------- figures


def _svg(fig: Any) -> str:
    """A figure as an ``<img>`` with an SVG data URI (text stays text)."""
    from rewardkit.viz._deps import require_matplotlib

    plt = require_matplotlib()
    buf = io.BytesIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "rewardkit"}):
        fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img class="fig" alt="figure" src="data:image/svg+xml;base64,{data}">'


def _png(picture: Any) -> str:
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _range_of(name: str, values: Sequence[float]) -> tuple[float, float]:
    from rewardkit.registry import get_spec

    try:
        return get_spec(name).range
    except KeyError:
        finite = [v for v in values if math.isfinite(v)]
        return (min(finite), max(finite)) if finite else (0.0, 1.0)


def _component_range(values: array) -> tuple[float, float]:
    finite = [v for v in values if v == v]
    if not finite:
        return (0.0, 1.0)
    lo, hi = min(finite), max(finite)
    return (min(0.0, lo), max(1.0, hi))


def _pick_examples(agg: _RewardAgg, k: int) -> list[tuple[str, int, float]]:
    """``(kind, line, score)``: the ``k`` best, ``k`` around the median, ``k`` worst."""
    n = len(agg.scores)
    if n == 0 or k <= 0:
        return []
    # ties in score: rows with more predicted boxes first (more to look at), then file order
    order = sorted(range(n), key=lambda i: (-agg.scores[i], -agg.n_preds[i], agg.lines[i]))
    picks: list[tuple[str, int, float]] = []
    seen: set[int] = set()

    def take(kind: str, idx: Sequence[int]) -> None:
        for i in idx:
            line = agg.lines[i]
            if line not in seen and sum(1 for p in picks if p[0] == kind) < k:
                seen.add(line)
                picks.append((kind, line, agg.scores[i]))

    take("best", order[:k])
    mid = n // 2
    take("median", order[max(0, mid - k // 2) : mid - k // 2 + k + 1])
    take("worst", sorted(range(n), key=lambda i: (agg.scores[i], -agg.n_preds[i], agg.lines[i]))[:k])
    return picks


def _step_series(agg: _RewardAgg) -> tuple[list[float], dict[str, tuple[list[float], list[float]]], dict[str, list[float]]]:
    """Per step (merged into at most ``_MAX_STEP_POINTS`` bins): mean/std and reason shares.

    Mean/std per key; reason shares of the 6 most frequent codes, the rest as ``other``.
    """
    steps = sorted(set(agg.steps) | set(agg.step_reasons))
    if len(steps) > _MAX_STEP_POINTS:
        lo, hi = steps[0], steps[-1]
        width = (hi - lo) / _MAX_STEP_POINTS
        def key_of(s: float) -> float:
            return lo + width * min(_MAX_STEP_POINTS - 1, int((s - lo) / width)) + width / 2
    else:
        def key_of(s: float) -> float:
            return s
    stats: dict[float, dict[str, _Welford]] = {}
    reasons: dict[float, Counter] = {}
    for s in steps:
        k = key_of(s)
        tgt = stats.setdefault(k, {})
        for name, w in agg.steps.get(s, {}).items():
            tgt.setdefault(name, _Welford()).merge(w)
        reasons.setdefault(k, Counter()).update(agg.step_reasons.get(s, Counter()))
    xs = sorted(set(stats) | set(reasons))
    keys = ["score"] + sorted({k for st in stats.values() for k in st} - {"score"})
    series = {}
    for key in keys:
        m = [stats.get(x, {}).get(key, _Welford()).mean if stats.get(x, {}).get(key) else float("nan") for x in xs]
        s = [stats.get(x, {}).get(key).std if stats.get(x, {}).get(key) else float("nan") for x in xs]  # type: ignore[union-attr]  # the conditional checks the same lookup for None
        series[key] = (m, s)
    top = [c for c, _ in agg.reasons.most_common() if c != NORMAL][:6]
    codes = ([NORMAL] if NORMAL in agg.reasons else []) + top
    other = any(c not in codes for c in agg.reasons)
    shares: dict[str, list[float]] = {c: [] for c in codes}
    if other:
        shares["other"] = []
    for x in xs:
        cnt = reasons.get(x, Counter())
        total = max(1, sum(cnt.values()))
        for c in codes:
            shares[c].append(cnt.get(c, 0) / total)
        if other:
            shares["other"].append(sum(v for c, v in cnt.items() if c not in codes) / total)
    return xs, series, shares


def build_report(
    path: str | Path,
    output: str | Path,
    *,
    reward: str | None = None,
    params: Mapping[str, Any] | None = None,
    examples: int = 2,
    title: str | None = None,
    picture_side: int = 480,
    progress: bool = False,
) -> ReportStats:
    """Write the HTML report of the JSONL file ``path`` to ``output``.

    ``reward``: the reward of rows that name none (veRL dumps); ``params``: reward
    parameters for every row; ``examples``: rows shown per group (best, median, worst)
    and reward; ``picture_side``: longer side of each picture in pixels.

    Args:
        path: The JSONL file (scored, a rollout dump or raw completions).
        output: The HTML file to write.
        reward: The reward of rows that name none.
        params: Reward parameters for every row.
        examples: Rows shown per group and reward (0 to 10).
        title: The page title, or None.
        picture_side: Longer side of each picture in pixels.
        progress: Show a progress bar.

    Returns:
        What was read and written.

    Raises:
        FileNotFoundError: no such file.
        ValueError: ``examples`` out of range.
        ImportError: the ``plot`` extra is missing.
    """
    from rewardkit.viz._deps import require_matplotlib, require_pil

    require_pil()
    require_matplotlib()
    from rewardkit.cli.rows import RowScorer
    from rewardkit.io import InputRow, iter_jsonl
    from rewardkit.viz.show import ROW_GROUND_TRUTH_FIELDS, show_row

    src = Path(path)
    if not src.is_file():
        raise FileNotFoundError(f"no such file: {src}")
    if not 0 <= int(examples) <= 10:
        raise ValueError(f"Expected examples in [0, 10], but got {examples!r}")
    params = dict(params or {})
    scorer = RowScorer(reward, params)
    aggs: dict[str, _RewardAgg] = {}
    stats = ReportStats()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=src.stat().st_size, unit="B", unit_scale=True, desc="reading", file=sys.stderr, leave=False)
    from rewardkit.io import COMPLETION_FIELDS, get_field

    for row in iter_jsonl(src):
        if bar is not None:
            bar.update(row.n_bytes)
        stats.rows += 1
        if row.data is None:
            stats.unreadable += 1
            agg = aggs.setdefault("(unreadable rows)", _RewardAgg("(unreadable rows)"))
            agg.add(row.line, None, {}, row.error, None, None, "unreadable")
            continue
        data = row.data
        step = _step_of(data)
        cname, completion = get_field(data, COMPLETION_FIELDS)
        gname, _ = get_field(data, ROW_GROUND_TRUTH_FIELDS)
        recorded = _recorded(data, reward)
        name_known = bool(data.get("reward") or data.get("reward_name") or reward
                          or (isinstance(data.get("extra_info"), Mapping) and data["extra_info"].get("reward")))  # fmt: skip
        if cname is not None and gname is not None and name_known:
            scoring = data if "ground_truth" in data or gname != "gts" else {**data, "ground_truth": data["gts"]}
            out = scorer(InputRow(row.line, scoring, None, row.n_bytes))
            name = str(out.get("reward") or "(none)")
            agg = aggs.setdefault(name, _RewardAgg(name))
            agg.drawable = True
            n_pred = _count_boxes(name, completion, {**params, **(data.get("params") or {})}) if out.get("score") is not None else None
            agg.add(row.line, out.get("score"), out.get("components") or {}, out.get("reason"), n_pred, step, "scored")
            mine = out.get("score")
            for rname, rscore, _, _ in recorded:
                if rname in (name, "(none)") and rscore is not None and mine is not None:
                    agg.compared += 1
                    d = abs(rscore - mine)
                    if d > 1e-6 * max(1.0, abs(mine)):
                        agg.mismatch += 1
                        agg.mismatch_max = max(agg.mismatch_max, d)
            continue
        if recorded:
            for name, score, comps, reason in recorded:
                agg = aggs.setdefault(name, _RewardAgg(name))
                n_pred = _count_boxes(name, completion, params) if cname is not None and score is not None else None
                agg.add(row.line, score, comps, reason, n_pred, step, "recorded")
            continue
        out = scorer(InputRow(row.line, data, None, row.n_bytes))
        name = str(out.get("reward") or "(none)")
        aggs.setdefault(name, _RewardAgg(name)).add(row.line, out.get("score"), out.get("components") or {}, out.get("reason"), None, step, "scored")
    if bar is not None:
        bar.close()

    # -- second pass: the pictures of the rows the page shows
    picks: dict[str, list[tuple[str, int, float]]] = {name: _pick_examples(agg, examples) for name, agg in aggs.items()}
    wanted: dict[int, list[str]] = defaultdict(list)
    for name, ps in picks.items():
        for _, line, _ in ps:
            wanted[line].append(name)
    rendered: dict[tuple[str, int], tuple[str | None, str]] = {}
    if wanted:
        last = max(wanted)
        for row in iter_jsonl(src):
            if row.line > last:
                break
            if row.line not in wanted or row.data is None:
                continue
            for name in wanted[row.line]:
                rendered[(name, row.line)] = _picture(row.data, name, src, reward, params, picture_side, show_row)
    stats.pictures = sum(1 for v in rendered.values() if v[0] is not None)

    # -- the page
    verdict = doctor_verdict(src, sorted(aggs))
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">",
             f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{_e(title or 'rewardkit report: ' + src.name)}</title>",
             f"<style>{_CSS}</style></head><body>"]  # fmt: skip
    from rewardkit import __version__

    n_steps = len({s for a in aggs.values() for s in a.step_reasons})
    stats.steps = n_steps
    parts.append(f"<header><h1>{_e(title or 'Rewards of ' + src.name)}</h1><p>{stats.rows} rows"
                 + (f", {stats.unreadable} unreadable" if stats.unreadable else "")
                 + (f", {n_steps} training steps" if n_steps > 1 else "")
                 + f" &middot; {len(aggs)} reward{'s' if len(aggs) != 1 else ''} &middot; rewardkit {_e(__version__)}</p></header><main>")  # fmt: skip
    if verdict:
        lines = [verdict] if isinstance(verdict, str) else list(verdict)
        parts.append(f"<div class=\"verdict\"><b>doctor:</b> {_e(chr(10).join(map(str, lines)))}</div>")
    order = sorted(aggs, key=lambda n: (n.startswith("("), -aggs[n].rows, n))
    if len(order) > 1:
        parts.append("<nav>" + "".join(f"<a href=\"#r{i}\">{_e(n)}</a>" for i, n in enumerate(order)) + "</nav>")
    for i, name in enumerate(order):
        parts.append(_section(i, aggs[name], picks.get(name, []), rendered))
    parts.append("<p class=\"muted\">Generated by <code>rewardkit report</code>. Colours: Okabe-Ito (colour-blind safe). "
                 "Histograms span the reward's declared range; components span [0, 1] or their observed range.</p></main></body></html>")  # fmt: skip
    text = "".join(parts)
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    stats.rewards = {n: a.rows for n, a in aggs.items()}
    stats.bytes_written = len(text.encode("utf-8"))
    stats.output = str(out)
    return stats


def _picture(data: Mapping[str, Any], name: str, src: Path, reward: str | None, params: Mapping[str, Any],
             side: int, show_row: Any) -> tuple[str | None, str]:
    """(PNG base64 or None, caption text)."""
    row = dict(data)
    if "reward" not in row and "reward_name" not in row and name in _registered():
        row["reward"] = name
    if "gts" in row and "ground_truth" not in row:
        row["ground_truth"] = row["gts"]
    try:
        picture = show_row(row, base_dir=src.parent, reward=reward, params=params, max_side=side)
    except (KeyError, ValueError, TypeError, OSError) as exc:
        return None, f"no picture: {str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc)[:200]}"
    return _png(picture), ""


def _registered() -> set[str]:
    from rewardkit.rewards.base import REWARD_SPECS

    return set(REWARD_SPECS)


def _section(i: int, agg: _RewardAgg, picks: list[tuple[str, int, float]], rendered: Mapping[tuple[str, int], tuple[str | None, str]]) -> str:
    from rewardkit.plot._style import COLOURS
    from rewardkit.plot.rewards import (
        reason_bars,
        reason_shares_over_steps,
        score_vs_count,
        stat_over_steps,
        value_histogram,
    )

    name = agg.name
    lo, hi = _range_of(name, agg.scores)
    out = [f"<section class=\"reward\" id=\"r{i}\"><h2>{_e(name)}</h2>"]
    src = ", ".join(f"{c} {k}" for k, c in agg.sources.items())
    out.append(f"<p class=\"muted\">{agg.rows} rows ({_e(src)}); {len(agg.scores)} with a score; declared range [{_fmt(lo)}, {_fmt(hi)}]</p>")
    if agg.compared:
        if agg.mismatch:
            out.append(f"<div class=\"note\">The score recorded in the file differs from rewardkit's on {agg.mismatch} of {agg.compared} rows "
                       f"(largest difference {_fmt(agg.mismatch_max)}): other parameters (frames, image size, thresholds) or another reward "
                       "scored them during training.</div>")  # fmt: skip
        else:
            out.append(f"<p class=\"muted\">The score recorded in the file equals rewardkit's on all {agg.compared} rows compared.</p>")
    out.append(_stats_table(agg))
    figs = []
    if len(agg.scores):
        figs.append(_svg(value_histogram(agg.scores, lo=lo, hi=hi, bins=30, xlabel=f"score (declared range [{_fmt(lo)}, {_fmt(hi)}])",
                                         title=f"score: {len(agg.scores)} rows")))  # fmt: skip
        for j, (comp, values) in enumerate(sorted(agg.components.items())):
            clo, chi = _component_range(values)
            figs.append(_svg(value_histogram([v for v in values if v == v], lo=clo, hi=chi, bins=30, xlabel=f"{comp} (range [{_fmt(clo)}, {_fmt(chi)}])",
                                             title=f"component {comp}", colour=COLOURS[(j + 1) % len(COLOURS)])))  # fmt: skip
    out.append("<h3>Score and components</h3><div class=\"figs\">" + "".join(figs) + "</div>" if figs else "<p>No row of this reward has a score.</p>")
    out.append("<h3>Reasons</h3><div class=\"figs\">" + _svg(reason_bars(agg.reasons, agg.rows, title=f"reason codes of {agg.rows} rows")) + _reason_table(agg) + "</div>")
    if agg.by_count:
        st = {k: (w.n, w.mean, w.std) for k, w in sorted(agg.by_count.items())}
        out.append("<h3>Score against the number of predicted boxes</h3><div class=\"figs\">"
                   + _svg(score_vs_count(st, lo=lo, hi=hi, cap=_N_PRED_CAP, title="mean score \u00b1 1 std per box count")) + "</div>")  # fmt: skip
    if len(agg.step_reasons) > 1:
        xs, series, shares = _step_series(agg)
        ranges = {"score": (lo, hi)}
        ranges.update({k: _component_range(v) for k, v in agg.components.items()})
        out.append("<h3>Over training steps</h3><div class=\"figs\">"
                   + _svg(stat_over_steps(xs, series, ranges=ranges, title="mean and spread (\u00b1 1 std) per step"))
                   + _svg(reason_shares_over_steps(xs, shares, title="share of each reason per step")) + "</div>")  # fmt: skip
    if picks:
        out.append("<h3>Best, median and worst rows</h3><div class=\"examples\">")
        for kind, line, score in picks:
            png, why = rendered.get((name, line), (None, "row not drawn"))
            cap = f"<span class=\"kind {kind}\">{kind}</span> line {line}, score {_fmt(score)}"
            if png is None:
                out.append(f"<figure class=\"example\"><figcaption>{cap}<br>{_e(why)}</figcaption></figure>")
            else:
                out.append(f"<figure class=\"example\"><img alt=\"{_e(name)} line {line}\" src=\"data:image/png;base64,{png}\"><figcaption>{cap}</figcaption></figure>")
        out.append("</div>")
    out.append("</section>")
    return "".join(out)
