"""What ``rewardkit report`` reads from scored rows: streaming statistics per reward (Welford mean and spread, reasons, steps, examples) and the recorded scores of one row."""

from __future__ import annotations

import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rewardkit.io.inputs import _STEP_KEYS  # one home of the step column names

NORMAL = "(scored normally)"
"""Reason label of rows scored without a reason code."""
_N_PRED_CAP = 30
_MAX_STEP_POINTS = 200


# ----------------------------------------------------------------------------- streaming stats


class _Welford:
    __slots__ = ("n", "mean", "m2")

    def __init__(self) -> None:
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0

    def add(self, x: float) -> None:
        self.n += 1
        d = x - self.mean
        self.mean += d / self.n
        self.m2 += d * (x - self.mean)

    def merge(self, o: _Welford) -> None:
        if o.n == 0:
            return
        n = self.n + o.n
        d = o.mean - self.mean
        self.mean += d * o.n / n
        self.m2 += o.m2 + d * d * self.n * o.n / n
        self.n = n

    @property
    def std(self) -> float:
        return math.sqrt(self.m2 / self.n) if self.n else float("nan")


@dataclass
class _RewardAgg:
    """Everything the page shows about one reward, without holding rows."""

    name: str
    rows: int = 0
    scores: array = field(default_factory=lambda: array("d"))
    lines: array = field(default_factory=lambda: array("q"))
    n_preds: array = field(default_factory=lambda: array("l"))
    components: dict[str, array] = field(default_factory=dict)
    reasons: Counter = field(default_factory=Counter)
    by_count: dict[int, _Welford] = field(default_factory=lambda: defaultdict(_Welford))
    steps: dict[float, dict[str, _Welford]] = field(default_factory=dict)
    step_reasons: dict[float, Counter] = field(default_factory=dict)
    mismatch: int = 0
    mismatch_max: float = 0.0
    compared: int = 0
    sources: Counter = field(default_factory=Counter)
    drawable: bool = False

    def add(self, line: int, score: float | None, comps: Mapping[str, float], reason: str | None, n_pred: int | None,
            step: float | None, source: str) -> None:
        self.rows += 1
        self.sources[source] += 1
        code = NORMAL if not reason else str(reason).split(":")[0]
        self.reasons[code] += 1
        if step is not None:
            self.step_reasons.setdefault(step, Counter())[code] += 1
        if score is None or not math.isfinite(score):
            return
        self.scores.append(score)
        self.lines.append(line)
        self.n_preds.append(-1 if n_pred is None else n_pred)
        for k, v in comps.items():
            if v is None or not math.isfinite(v):
                continue
            series = self.components.get(k)
            if series is None:
                # a component first seen late: pad so the series stays aligned with rows
                series = self.components[k] = array("d", [math.nan]) * (len(self.scores) - 1)
            series.append(v)
        for series in self.components.values():
            if len(series) < len(self.scores):
                series.append(math.nan)
        if n_pred is not None:
            self.by_count[min(n_pred, _N_PRED_CAP)].add(score)
        if step is not None:
            st = self.steps.setdefault(step, {})
            st.setdefault("score", _Welford()).add(score)
            for k, v in comps.items():
                if v is not None and math.isfinite(v):
                    st.setdefault(k, _Welford()).add(v)


@dataclass
class ReportStats:
    """What :func:`build_report` read and wrote."""

    rows: int = 0
    unreadable: int = 0
    rewards: dict[str, int] = field(default_factory=dict)
    pictures: int = 0
    steps: int = 0
    bytes_written: int = 0
    output: str = ""


# ----------------------------------------------------------------------------- rows


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, list | tuple) and len(v) == 1:
        return _num(v[0])
    return None


def _step_of(data: Mapping[str, Any]) -> float | None:
    for k in _STEP_KEYS:
        v = _num(data.get(k))
        if v is not None and math.isfinite(v):
            return v
    info = data.get("extra_info")
    if isinstance(info, Mapping):
        for k in _STEP_KEYS:
            v = _num(info.get(k))
            if v is not None and math.isfinite(v):
                return v
    return None


def _count_boxes(name: str, completion: Any, params: Mapping[str, Any]) -> int | None:
    """Boxes the answer holds, read as the reward reads it.

    None: not a box reward or no readable answer.
    """
    from rewardkit.registry import get_spec

    try:
        spec = get_spec(name)
    except KeyError:
        return None
    if "boxes" not in spec.tags:
        return None
    from rewardkit.parsing.dialects import get_dialect
    from rewardkit.parsing.reading import extract_answer_text
    from rewardkit.rewards.base import fold_reading

    if spec.reading is None:
        return None
    given = {k: v for k, v in params.items() if k == "reading" or k in spec.reading_fields}
    try:
        reading = fold_reading(given, spec.reading, spec.reading_fields)["reading"]
    except (ValueError, KeyError):
        return None
    read = get_dialect(reading.dialect).read_boxes
    text = extract_answer_text(completion, params.get("prompt"), reading.answer).text
    if text is None or read is None:
        return None
    parsed = read(text)
    return len(parsed.value) if parsed.ok else None


def _recorded(data: Mapping[str, Any], default_reward: str | None) -> list[tuple[str, float | None, dict[str, float], str | None]]:
    """Results a row already carries: ``(reward, score, components, reason)``."""
    from rewardkit.rewards.base import REWARD_SPECS

    out = []
    # TRL completion tables: a column per reward function
    names: dict[str, dict[str, float]] = {}
    totals: dict[str, float] = {}
    reasons: dict[str, str | None] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            continue
        if key in REWARD_SPECS:
            v = _num(value)
            if v is not None:
                totals[key] = v
                names.setdefault(key, {})
        elif "/" in key:
            base, _, comp = key.rpartition("/")
            if base in REWARD_SPECS:
                if comp == "reason":
                    reasons[base] = value if isinstance(value, str) else None
                    names.setdefault(base, {})
                else:
                    v = _num(value)
                    if v is not None:
                        names.setdefault(base, {})[comp] = v
    for name, comps in names.items():
        score = totals.get(name)
        if score is None and comps:
            score = math.fsum(comps.values())
        out.append((name, score, comps, reasons.get(name)))
    if out:
        return out
    score = _num(data.get("score"))
    if score is None and not data.get("reason"):
        return []
    name = data.get("reward") or data.get("reward_name") or default_reward or "(none)"
    comps: dict[str, float] = {}
    if isinstance(data.get("components"), Mapping):
        comps = {str(k): float(v) for k, v in data["components"].items() if _num(v) is not None}
    elif name in REWARD_SPECS:
        comps = {c: float(data[c]) for c in REWARD_SPECS[name].components if _num(data.get(c)) is not None}
    reason = data.get("reason") if isinstance(data.get("reason"), str) else None
    return [(str(name), score, comps, reason)]
