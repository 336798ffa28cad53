"""The blind search: the best answer a policy can learn without looking at the image.

:func:`search_boxes` runs a (1+1) evolution strategy with the 1/5 success rule
(Rechenberg; Auger and Hansen's review, 2011) over ``k`` prior boxes in (centre,
width, height) and the logits of their confidences, or over the offsets and scales of
pose templates, for a bounded number of evaluations; each evaluation is the mean reward
of the candidate on the training split. Equal scores are accepted (the step size is
kept), so the search walks across the plateaus of step rewards. :func:`search_constant`
is the exhaustive search over constant answers per prompt (labels, counts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rewardkit.auditing.answers import Answer
from rewardkit.auditing.policies import (
    BOX_KINDS,
    BlindPolicy,
    BlindView,
    Priors,
    _mode,
    boxes_answer,
    template_answer,
)

__all__ = ["SearchResult", "search_boxes", "search_constant"]

SIGMA0 = 0.05
SIGMA_MIN = 1e-3
SIGMA_MAX = 0.5
GROW = 1.5
SHRINK = GROW ** -0.25


@dataclass(frozen=True)
class SearchResult:
    """The best blind policy a search found, its train score and the evaluations spent."""

    policy: BlindPolicy
    train: float
    evaluations: int
    start: str


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-3, 1 - 1e-3)
    return np.log(p / (1 - p))


def _box_policy(kind: str, theta: np.ndarray, k: int, priors: Priors, name: str = "search") -> BlindPolicy:
    geo = theta[: 4 * k].reshape(k, 4).copy()
    geo[:, 2:] = np.clip(geo[:, 2:], 0.005, 1.0)
    geo[:, :2] = np.clip(geo[:, :2], 0.0, 1.0)
    boxes = np.concatenate([geo[:, :2] - geo[:, 2:] / 2, geo[:, :2] + geo[:, 2:] / 2], axis=1)
    boxes = np.clip(boxes, 0.0, 1.0)
    boxes[:, 2:] = np.maximum(boxes[:, 2:], np.minimum(boxes[:, :2] + 1e-3, 1.0))
    scores = np.round(1 / (1 + np.exp(-theta[4 * k:])), 2) if kind == "boxes" else None
    labelled = kind in ("boxes", "box")
    desc = f"{k} box{'es' if k > 1 else ''} found by a (1+1)-ES on the training split"
    return BlindPolicy(name, desc, lambda v: boxes_answer(kind, boxes, scores, priors.modal_label(v.prompt) if labelled else None),
                       boxes, scores)


def _template_policy(kind: str, base: np.ndarray, theta: np.ndarray, name: str = "search") -> BlindPolicy:
    out = []
    for t, (dx, dy, ls) in zip(base, theta.reshape(len(base), 3)):
        c = t.mean(axis=0) if kind != "pose3d" else np.zeros(t.shape[1])
        moved = c + (t - c) * np.exp(ls)
        if kind != "pose3d":
            moved = moved + np.array([dx, dy])
        out.append(moved)
    tpl = np.array(out)
    first = tpl[0] if kind in ("pose", "pose3d") else tpl
    desc = f"{len(tpl)} template{'s' if len(tpl) > 1 else ''} moved and scaled by a (1+1)-ES on the training split"
    return BlindPolicy(name, desc, lambda v: template_answer(kind, first, v), template=tpl)


def search_boxes(kind: str, start: BlindPolicy, evaluate: Callable[[BlindPolicy], float], priors: Priors, *,
                 budget: int, seed: int, start_score: float | None = None) -> SearchResult:
    """Maximize ``evaluate`` (mean training reward) from ``start`` for ``budget`` evaluations."""
    rng = np.random.default_rng([seed, 7])
    if kind in BOX_KINDS:
        if start.boxes is None or not len(start.boxes):
            return SearchResult(start, start_score if start_score is not None else evaluate(start), 0, start.name)
        k = len(start.boxes)
        c = np.concatenate([(start.boxes[:, :2] + start.boxes[:, 2:]) / 2, start.boxes[:, 2:] - start.boxes[:, :2]], axis=1)
        sc = start.scores if start.scores is not None else np.ones(k)
        theta = np.concatenate([c.ravel(), _logit(np.asarray(sc, dtype=np.float64))])
        scale = np.concatenate([np.ones(4 * k), np.full(k, 20.0)])
        build = lambda th: _box_policy(kind, th, k, priors)  # noqa: E731
    elif start.template is not None:
        base = np.asarray(start.template, dtype=np.float64)
        theta = np.zeros(3 * len(base))
        scale = np.tile([1.0, 1.0, 2.0], len(base)) if kind != "pose3d" else np.tile([0.0, 0.0, 2.0], len(base))
        build = lambda th: _template_policy(kind, base, th)  # noqa: E731
    else:
        return SearchResult(start, start_score if start_score is not None else evaluate(start), 0, start.name)
    best_pol = build(theta)
    best = evaluate(best_pol) if start_score is None else float(start_score)
    evals = 0 if start_score is not None else 1
    sigma = SIGMA0
    while evals < budget:
        cand = theta + sigma * scale * rng.normal(size=theta.shape)
        pol = build(cand)
        f = evaluate(pol)
        evals += 1
        if f >= best:
            if f > best:
                sigma = min(SIGMA_MAX, sigma * GROW)
            theta, best, best_pol = cand, f, pol
        else:
            sigma = max(SIGMA_MIN, sigma * SHRINK)
    return SearchResult(best_pol, best, evals, start.name)


def search_constant(kind: str, rows: Sequence[Any], score: Callable[[Any, Answer], float | None], priors: Priors) -> SearchResult:
    """The best constant answer per prompt on the training rows (exhaustive).

    Candidates: every training answer of the prompt, the ten most frequent training
    answers overall and (labels) the five most frequent joined by commas; unseen prompts
    get the best constant over all training rows. Ties go to the more frequent answer.
    """
    if kind == "count":
        overall = [v for v, _ in sorted(priors.counts.items(), key=lambda t: (-t[1], t[0]))[:10]]
        to_answer = lambda v: Answer(count=v)  # noqa: E731
    else:
        overall = [v for v, _ in priors.labels.most_common(10)]
        if priors.labels:
            overall.append(", ".join(v for v, _ in priors.labels.most_common(5)))
        to_answer = lambda v: Answer(label=v)  # noqa: E731
    if not overall:
        empty = BlindPolicy("search", "no training answers", lambda v: Answer())
        return SearchResult(empty, 0.0, 0, "empty")
    by_prompt: dict[str, list[Any]] = {}
    for r in rows:
        by_prompt.setdefault(r.prompt or "", []).append(r)
    cache: dict[tuple[str, Any], float | None] = {}
    evals = 0

    def total(rs: Sequence[Any], v: Any) -> float:
        nonlocal evals
        s = 0.0
        for r in rs:
            key = (r.id, v)
            if key not in cache:
                cache[key] = score(r, to_answer(v))
                evals += 1
            s += cache[key] or 0.0
        return s

    freq = {v: i for i, v in enumerate(overall)}
    best_global = max(overall, key=lambda v: (total(rows, v), -freq[v]))
    choice: dict[str, Any] = {}
    for p, rs in by_prompt.items():
        own = priors.counts_by_prompt.get(p) if kind == "count" else priors.labels_by_prompt.get(p)
        cands = list(dict.fromkeys(list(own or ()) + overall))
        local = {v: i for i, v in enumerate(cands)}
        if own:
            local[_mode(own) if kind == "count" else own.most_common(1)[0][0]] = -1
        choice[p] = max(cands, key=lambda v: (total(rs, v), -local[v]))
    train = sum(cache[(r.id, choice[r.prompt or ""])] or 0.0 for r in rows) / max(len(rows), 1)

    def answer(v: BlindView) -> Answer:
        return to_answer(choice.get(v.prompt or "", best_global))

    desc = f"the best constant answer per prompt on the training split ({len(choice)} prompts; unseen: {best_global!r})"
    return SearchResult(BlindPolicy("search", desc, answer), train, evals, "exhaustive")


def describe(policy: BlindPolicy) -> Mapping[str, Any]:
    """The parameters of a box or template policy, for the report."""
    out: dict[str, Any] = {}
    if policy.boxes is not None:
        out["boxes_xyxy_norm"] = np.round(policy.boxes, 3).tolist()
    if policy.scores is not None:
        out["confidences"] = [round(float(s), 2) for s in policy.scores]
    return out
