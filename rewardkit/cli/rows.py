"""The row engine of ``rewardkit score`` (also run by ``rewardkit serve``'s workers, the Ray engine and ``rewardkit report``): :class:`RowScorer` scores one input row into one output row; :class:`Summary` keeps per-reward statistics and failure reasons."""

from __future__ import annotations

import json
import math
from collections import Counter, OrderedDict, defaultdict
from typing import Any

from rewardkit.io import (
    COMPLETION_FIELDS,
    GROUND_TRUTH_FIELDS,
    InputRow,
    get_field,
)

__all__ = ["RowScorer", "Summary", "shorten", "REASON_CHARS"]


REASON_CHARS = 300


def shorten(text: str, limit: int = REASON_CHARS) -> str:
    """``text`` cut to at most ``limit`` characters at a separator (never inside a name).

    Args:
        text: The text (a reason message).
        limit: Most characters.

    Returns:
        The shortened text.
    """
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


class RowScorer:
    """Scores one input row into one output row (picklable for worker processes).

    ``RowScorer(default_reward, params)(InputRow) -> output row``.

    Nothing a row holds ends the run: a bad ground truth gives ``bad_ground_truth``, bad
    parameters ``bad_params``, anything else ``internal_error:<Type>``; every row gets an
    output row.

    Args:
        default_reward: The reward of rows that name none, or None.
        params: ``--param`` values given to every reward that accepts them.
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
    """Per reward: stats of the score and of each component, and failure reasons.

    The first full message of each reason is kept.

    Args:
        keep_scores: Also keep every score (for plots).
    """

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
        """Add a warning per reward whose current reading is clearly worse than another.

        It runs :func:`rewardkit.doctor.diagnose` on the first rows with ground truth.

        Args:
            sample: The first rows with ground truth.
            params: The run's ``--param`` values.
            file: The input file (named in the warning).
            limit: Most rows diagnosed.
        """
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
