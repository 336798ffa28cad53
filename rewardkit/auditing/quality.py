"""Measure a reward before training on it: blind ceiling, learning signal, monotonicity.

``rewardkit audit NAME --quality [--data rows.jsonl]`` / :func:`quality_report` scores
deterministic policies (:mod:`rewardkit.auditing.policies`) against a registered reward
on a dataset (the shipped default dataset, or the caller's rows) and reports:

* **blind ceiling**: the best mean score on the test split of a policy that never looks
  at the image (its answers come from the prompt, the image size and training-split
  priors), absolute and as a share of a graded honest policy at quality 0.5, 0.75 and
  0.9 (IoU / OKS targets, 1 - error rate), measured from the reward's minimum:
  ``share = (blind - lo) / (honest_q - lo)``; and the best blind policy, shown;
* **learning signal**: for every level of every graded policy, the share of test rows
  whose G (default 8) completions get different rewards (GRPO's advantage is zero when
  all rewards of a group are equal), with the mean within-group standard deviation;
* **monotonicity**: the Spearman correlation between the quality level and the reward
  of every completion of a ladder (scipy.stats.spearmanr), the steps where the mean
  reward goes down as quality goes up, and the share of completions whose reward goes
  down from one level to the next (the ladders use common random numbers, so a
  monotone reward never shows one).

Everything is a deterministic function of the seed. Rewards whose task has no policies,
or without rows, get a report with ``"applicable": False`` and the reason.

>>> from rewardkit.auditing.quality import quality_report
>>> rep = quality_report("count.exact", max_rows=20, search_evals=10)
>>> rep["blind_ceiling"]["policy"] in ("modal", "modal_global", "search")
True
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rewardkit.auditing.answers import Answer, answer_format, format_completion
from rewardkit.auditing.ladders import Ladder, exact_answer, ladders
from rewardkit.auditing.policies import (
    BlindPolicy,
    BlindView,
    blind_policies,
    build_priors,
    row_rng,
)
from rewardkit.auditing.quality_data import QualityRow, kind_of, load_rows, read_rows, split_rows
from rewardkit.auditing.quality_text import (  # noqa: F401  (the text renderings; importable from here too)
    format_report,
    headlines,
    markdown_examples,
    markdown_table,
    summary_row,
)
from rewardkit.auditing.search import describe, search_boxes, search_constant

__all__ = [
    "quality_report",
    "quality_many",
    "format_report",
    "summary_row",
    "markdown_table",
    "markdown_examples",
    "headlines",
    "SHARE_LEVELS",
    "SIGNAL_LEVELS",
]

SHARE_LEVELS: tuple[float, ...] = (0.5, 0.75, 0.9)
"""Quality levels of the graded honest policy the blind ceiling is compared with."""
SIGNAL_LEVELS: tuple[float, ...] = (0.3, 0.5, 0.75, 0.9)
"""Levels of the primary ladder whose signal the summary table shows."""
VAR_EPS = 1e-12
DROP_EPS = 1e-9


class _Scorer:
    """Scores completions of one row with the bound reward; counts errors."""

    def __init__(self, name: str, params: Mapping[str, Any], fmt: Any) -> None:
        from rewardkit.registry import Reward, get_spec

        self.spec = get_spec(name)
        self.reward = Reward(name, **params)
        self.fmt = fmt
        self.takes_prompt = "prompt" in self.spec.params
        self.calls = 0
        self.errors: list[str] = []

    def completion(self, row: QualityRow, answer: Answer) -> str:
        return format_completion(answer, self.fmt, row.image_size)

    def group(self, row: QualityRow, completions: Sequence[str]) -> list[float | None]:
        unique = list(dict.fromkeys(completions))
        kw = {"prompt": row.prompt} if self.takes_prompt and row.prompt is not None else {}
        self.calls += len(unique)
        try:
            results = self.reward.score_batch(unique, row.ground_truth, **kw)
            scores = {c: (None if r.score is None else float(r.score)) for c, r in zip(unique, results)}
        except Exception as exc:  # noqa: BLE001 - a reward that raises on a well-formed answer is a finding
            if len(self.errors) < 5:
                self.errors.append(f"{row.id}: {type(exc).__name__}: {str(exc)[:160]}")
            scores = {c: None for c in unique}
        return [scores[c] for c in completions]

    def one(self, row: QualityRow, answer: Answer) -> float | None:
        return self.group(row, [self.completion(row, answer)])[0]


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(vals)) if vals else None


def _view(row: QualityRow) -> BlindView:
    return BlindView(row.prompt, row.image_size)


def _evaluate_blind(scorer: _Scorer, policy: BlindPolicy, rows: Sequence[QualityRow]) -> float | None:
    return _mean(scorer.one(r, policy.answer(_view(r))) for r in rows)


def _r(v: float | None, nd: int = 4) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), nd)


def _ladder_stats(ladder: Ladder, scorer: _Scorer, rows: Sequence[QualityRow], group_size: int, seed: int, kind: str) -> dict[str, Any]:
    from scipy.stats import spearmanr

    n_levels = len(ladder.levels)
    # scores[level][row] = list of G scores
    scores: list[list[list[float | None]]] = [[] for _ in range(n_levels)]
    for row in rows:
        per_level: list[list[str]] = [[] for _ in range(n_levels)]
        gens = [row_rng(seed, kind, ladder.name, row.id, j) for j in range(group_size)]
        for answers in ladder.generate(row, gens):
            for lv, a in enumerate(answers):
                per_level[lv].append(scorer.completion(row, a))
        for lv in range(n_levels):
            scores[lv].append(scorer.group(row, per_level[lv]))
    levels = []
    for lv, q in enumerate(ladder.levels):
        groups = [[v for v in g if v is not None] for g in scores[lv]]
        groups = [g for g in groups if len(g) == group_size]
        flat = [v for g in groups for v in g]
        levels.append({
            "quality": q,
            "label": ladder.labels[lv],
            "mean": _r(_mean(flat)),
            "signal": _r(float(np.mean([np.var(g) > VAR_EPS for g in groups])) if groups else None, 3),
            "std": _r(float(np.mean([np.std(g) for g in groups])) if groups else None),
            "groups": len(groups),
        })
    qs, rs = [], []
    for lv, q in enumerate(ladder.levels):
        for g in scores[lv]:
            for v in g:
                if v is not None:
                    qs.append(q)
                    rs.append(v)
    rho = None
    if len(set(rs)) > 1 and len(set(qs)) > 1:
        rho = _r(float(spearmanr(qs, rs).statistic))
    drops = []
    for a, b in zip(levels, levels[1:]):
        if a["mean"] is not None and b["mean"] is not None and b["mean"] < a["mean"] - DROP_EPS:
            drops.append({"from": a["label"], "to": b["label"], "drop": _r(a["mean"] - b["mean"])})
    pairs = down = 0
    for lv in range(n_levels - 1):
        for ga, gb in zip(scores[lv], scores[lv + 1]):
            for va, vb in zip(ga, gb):
                if va is not None and vb is not None:
                    pairs += 1
                    down += vb < va - DROP_EPS
    return {
        "ladder": ladder.name,
        "description": ladder.description,
        "primary": ladder.primary,
        "levels": levels,
        "spearman": rho,
        "drops": drops,
        "completion_drops": _r(down / pairs, 4) if pairs else None,
    }


def _share(blind: float | None, honest: float | None, base: float | None) -> float | None:
    """``(blind - base) / (honest - base)``; None when the honest policy is not above base."""
    if blind is None or honest is None or base is None or honest - base <= 1e-12:
        return None
    return _r((blind - base) / (honest - base), 3)


def _not_applicable(name: str, reason: str, **extra: Any) -> dict[str, Any]:
    return {"reward": name, "applicable": False, "reason": reason, **extra}


def quality_report(
    name: str,
    *,
    data: str | Path | None = None,
    rows: Sequence[Mapping[str, Any]] | None = None,
    seed: int = 0,
    group_size: int = 8,
    max_rows: int | None = 100,
    search_evals: int = 100,
    **params: Any,
) -> dict[str, Any]:
    """The quality report of the reward ``name`` bound to ``params`` (a JSON-ready dict).

    ``data``: a JSONL file of rows (see :mod:`rewardkit.auditing.quality_data`), or
    ``rows`` given directly; the shipped default dataset when both are None.
    ``max_rows`` caps each split (a seeded choice); ``search_evals`` bounds the blind
    search (each evaluation scores the training split once); ``group_size`` is G.

    Args:
        name: A registered reward name.
        data: A JSONL file of rows, or None.
        rows: Rows given directly, or None.
        seed: The run's seed (splits, policies, search).
        group_size: Completions per group (G, at least 2).
        max_rows: Most rows per split, or None for all.
        search_evals: Most evaluations of the blind search.
        **params: Parameters the reward is bound to.

    Returns:
        The report (JSON-ready).

    Raises:
        ValueError: ``group_size < 2``, ``search_evals < 0``, ``max_rows < 1``, or a
            bad data file.
        KeyError: an unknown reward name.
    """
    from rewardkit.registry import get_spec

    if group_size < 2:
        raise ValueError(f"Expected group_size >= 2, but got {group_size}")
    if search_evals < 0:
        raise ValueError(f"Expected search_evals >= 0, but got {search_evals}")
    if max_rows is not None and max_rows < 1:
        raise ValueError(f"Expected max_rows >= 1, but got {max_rows}")
    t0 = time.perf_counter()
    spec = get_spec(name)
    kind = kind_of(spec, params)
    source = "default" if data is None and rows is None else (str(data) if data is not None else "rows")
    head = {"reward": name, "params": {k: v for k, v in params.items()}, "task": spec.task, "range": list(spec.range),
            "kind": kind, "seed": seed, "group_size": group_size, "data": source}
    if kind is None:
        return _not_applicable(name, f"no quality policies for task {spec.task!r}", **head)
    raw = list(rows) if rows is not None else load_rows(data)
    qrows, skipped = read_rows(raw, kind, params, seed=seed)
    train, test = split_rows(qrows, max_rows, seed)
    head["rows"] = {"train": len(train), "test": len(test), "skipped": len(skipped)}
    if skipped:
        head["skipped_examples"] = [f"{i}: {why}" for i, why in skipped[:3]]
    if not train or not test:
        return _not_applicable(name, f"no usable rows for answer kind {kind!r} (need a training and a test row)", **head)
    fmt = answer_format(kind, spec, params)
    scorer = _Scorer(name, params, fmt)
    lo, hi = (float(v) for v in spec.range)

    perfect = _mean(scorer.one(r, exact_answer(kind, r)) for r in test)
    if perfect is None:
        return _not_applicable(name, "the reward declined every test row (score None: its ground truth does not apply)", **head,
                               errors=scorer.errors)
    priors = build_priors(kind, train, qrows)

    blind = []
    best_train: tuple[float, BlindPolicy] | None = None
    example_row = test[0]
    for pol in blind_policies(kind, priors, seed):
        tr = _evaluate_blind(scorer, pol, train)
        te = _evaluate_blind(scorer, pol, test)
        blind.append({"policy": pol.name, "description": pol.description, "train": _r(tr), "test": _r(te),
                      "example": scorer.completion(example_row, pol.answer(_view(example_row))), **describe(pol)})
        searchable = (pol.boxes is not None and len(pol.boxes)) or pol.template is not None
        if tr is not None and searchable and (best_train is None or tr > best_train[0]):
            best_train = (tr, pol)

    # the search
    search: dict[str, Any] | None = None
    if kind in ("count", "label"):
        res = search_constant(kind, train, lambda r, a: scorer.one(r, a), priors)
    elif best_train is not None and search_evals > 0:
        res = search_boxes(kind, best_train[1], lambda p: _evaluate_blind(scorer, p, train) or lo, priors,
                           budget=search_evals, seed=seed, start_score=best_train[0])
    else:
        res = None
    if res is not None:
        te = _evaluate_blind(scorer, res.policy, test)
        search = {"policy": "search", "description": res.policy.description, "start": res.start, "evaluations": res.evaluations,
                  "train": _r(res.train), "test": _r(te),
                  "example": scorer.completion(example_row, res.policy.answer(_view(example_row))), **describe(res.policy)}
        blind.append(search)

    lad = [_ladder_stats(ld, scorer, test, group_size, seed, kind) for ld in ladders(kind, priors)]
    primary = next((ld for ld in lad if ld["primary"]), None)
    ceiling_row = max((b for b in blind if b["test"] is not None), key=lambda b: (b["test"], b["policy"] != "search"), default=None)
    ceiling = ceiling_row["test"] if ceiling_row else None
    empty = next((b["test"] for b in blind if b["policy"] == "empty"), None)
    shares: dict[str, float | None] = {}
    lifts: dict[str, float | None] = {}
    honest_at: dict[str, float | None] = {}
    if primary is not None:
        for q in SHARE_LEVELS:
            lvl = next((lv for lv in primary["levels"] if abs(lv["quality"] - q) < 1e-9), None)
            h = lvl["mean"] if lvl else None
            honest_at[f"{q:g}"] = h
            shares[f"{q:g}"] = _share(ceiling, h, lo)
            lifts[f"{q:g}"] = _share(ceiling, h, empty)
    report = {
        **head,
        "applicable": True,
        "perfect": _r(perfect),
        "blind_ceiling": {
            "score": ceiling,
            "policy": ceiling_row["policy"] if ceiling_row else None,
            "description": ceiling_row["description"] if ceiling_row else None,
            "example": ceiling_row["example"] if ceiling_row else None,
            "share_of_honest": shares,
            "share_above_empty": lifts,
            "empty": empty,
            "honest": honest_at,
        },
        "blind": blind,
        "ladders": lad,
        "reward_calls": scorer.calls,
        "errors": scorer.errors,
        "seconds": round(time.perf_counter() - t0, 2),
    }
    return report


def quality_many(names: Iterable[str] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    """:func:`quality_report` for several rewards (every registered one by default).

    Args:
        names: Reward names, or None for every registered one.
        **kwargs: :func:`quality_report`'s keywords.

    Returns:
        One report per reward.
    """
    from rewardkit.registry import list_rewards

    return [quality_report(n, **kwargs) for n in (names or list_rewards())]
