"""Text and markdown renderings of quality reports (the command line's table, docs/quality.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

# --------------------------------------------------------------------------- formatting


def _f(v: Any, nd: int = 3) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def _pct(v: float | None) -> str:
    if v is None:
        return "n/a"
    return ">999%" if v > 9.995 else f"{100 * v:.0f}%"


def format_report(rep: Mapping[str, Any]) -> str:
    """A plain-text rendering of one report (what ``rewardkit audit --quality`` prints).

    Args:
        rep: A report from :func:`quality_report`.

    Returns:
        The text.
    """
    lines = [f"== {rep['reward']}" + (f" {json.dumps(rep['params'])}" if rep.get("params") else "")]
    if not rep.get("applicable"):
        lines.append(f"   not applicable: {rep.get('reason')}")
        return "\n".join(lines)
    rows = rep["rows"]
    lines.append(f"   task {rep['task']}, answers: {rep['kind']}; range {rep['range']}; data {rep['data']}: "
                 f"{rows['train']} train / {rep['rows']['test']} test rows ({rows['skipped']} skipped); G = {rep['group_size']}; seed {rep['seed']}")
    lines.append(f"   perfect answer: {_f(rep['perfect'])}")
    bc = rep["blind_ceiling"]
    share = ", ".join(f"{_pct(v)} of honest@{k}" for k, v in bc["share_of_honest"].items())
    lines.append(f"   blind ceiling: {_f(bc['score'])} ({bc['policy']}: {bc['description']}); {share}")
    lift = ", ".join(f"{_pct(v)}" for v in bc["share_above_empty"].values())
    lines.append(f"     measured from the empty answer's score ({_f(bc['empty'])}): {lift} (honest@0.5, 0.75, 0.9)")
    lines.append(f"     e.g. {bc['example'][:300]}")
    lines.append("   blind policies (mean reward, train / test):")
    for b in rep["blind"]:
        lines.append(f"     {b['policy']:<14} {_f(b['train']):>7} / {_f(b['test']):<7}  {b['description']}")
    for ld in rep["ladders"]:
        tag = " (primary)" if ld["primary"] else ""
        lines.append(f"   {ld['ladder']}{tag}: {ld['description']}")
        lines.append(f"     Spearman {_f(ld['spearman'])}; completions whose reward drops as quality rises: {_pct(ld['completion_drops'])}"
                     + (f"; mean drops: {', '.join(d['from'] + ' -> ' + d['to'] + ' (-' + _f(d['drop']) + ')' for d in ld['drops'])}" if ld["drops"] else ""))
        lines.append("     " + "  ".join(f"{lv['label']}: {_f(lv['mean'])} [{_pct(lv['signal'])}]" for lv in ld["levels"]))
    lines.append("     (mean reward [share of groups of G with non-zero variance])")
    if rep.get("errors"):
        lines.append(f"   reward errors: {rep['errors']}")
    lines.append(f"   {rep['reward_calls']} reward calls, {rep['seconds']} s")
    return "\n".join(lines)


def summary_row(rep: Mapping[str, Any]) -> dict[str, Any]:
    """The headline numbers of a report (one row of the docs table).

    Args:
        rep: A report from :func:`quality_report`.

    Returns:
        The row.
    """
    if not rep.get("applicable"):
        return {"reward": rep["reward"], "applicable": False, "reason": rep.get("reason")}
    primary = next(ld for ld in rep["ladders"] if ld["primary"])
    from rewardkit.auditing.quality import SIGNAL_LEVELS

    sig = {f"{q:g}": next((lv["signal"] for lv in primary["levels"] if abs(lv["quality"] - q) < 1e-9), None) for q in SIGNAL_LEVELS}
    others = [ld["spearman"] for ld in rep["ladders"] if not ld["primary"] and ld["spearman"] is not None]
    return {
        "reward": rep["reward"],
        "applicable": True,
        "range": rep["range"],
        "perfect": rep["perfect"],
        "blind": rep["blind_ceiling"]["score"],
        "blind_policy": rep["blind_ceiling"]["policy"],
        "share": rep["blind_ceiling"]["share_of_honest"],
        "share_above_empty": rep["blind_ceiling"]["share_above_empty"],
        "ladder": primary["ladder"],
        "signal": sig,
        "spearman": primary["spearman"],
        "spearman_min_other": min(others) if others else None,
        "drops": sum(len(ld["drops"]) for ld in rep["ladders"]),
        "completion_drops": max((ld["completion_drops"] or 0.0) for ld in rep["ladders"]),
    }



# ----------------------------------------------------------------------------- markdown


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _trio(d: Mapping[str, Any], keys: Sequence[str] = ("0.5", "0.75", "0.9")) -> str:
    return " · ".join(_pct(d.get(k)) for k in keys)


def _params_text(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items())


def _drops_text(s: Mapping[str, Any]) -> str:
    share = s["completion_drops"] or 0.0
    pct = "<1%" if 0 < share < 0.005 else _pct(share)
    return f"{s['drops']} mean step{'' if s['drops'] == 1 else 's'}, {pct} of completions"


def markdown_table(reports: Sequence[Mapping[str, Any]], *, with_params: bool = False) -> str:
    """One markdown row per report.

    The columns: blind ceiling, its share of the graded honest policy, the best blind
    policy, the signal of the primary ladder, Spearman, non-monotone steps.

    Args:
        reports: Reports from :func:`quality_report`.
        with_params: Add each report's parameters to the reward name.

    Returns:
        The markdown table.
    """
    head = ("| reward | blind ceiling (perfect) | blind / honest @0.5 · 0.75 · 0.9 | best blind policy "
            "| signal @0.3 · 0.5 · 0.75 · 0.9 | Spearman (other ladders: min) | non-monotone |")
    lines = [head, "| --- | --- | --- | --- | --- | --- | --- |"]
    for rep in reports:
        name = f"`{rep['reward']}`" + (f" `{_params_text(rep['params'])}`" if with_params and rep.get("params") else "")
        s = summary_row(rep)
        if not s["applicable"]:
            lines.append(f"| {name} | not measured: {_cell(str(s['reason']))} | | | | | |")
            continue
        sig = _trio(s["signal"], ("0.3", "0.5", "0.75", "0.9"))
        other = f" ({_f(s['spearman_min_other'], 2)})" if s["spearman_min_other"] is not None else ""
        rho = (_f(s["spearman"], 2) if s["spearman"] is not None else "n/a (constant)") + other
        drops = "none" if not s["drops"] and not s["completion_drops"] else _drops_text(s).replace(", ", "; ")
        lines.append(f"| {name} | {_f(s['blind'])} ({_f(s['perfect'])}) | {_trio(s['share'])} | {s['blind_policy']} | {sig} | {rho} | {drops} |")
    return "\n".join(lines)


def markdown_examples(reports: Sequence[Mapping[str, Any]], width: int = 180) -> str:
    """The best blind answer of each report (the completion on the first test row).

    Args:
        reports: Reports from :func:`quality_report`.
        width: Most characters of a completion.

    Returns:
        The markdown text.
    """
    lines = ["| reward | policy | answer (first test row) |", "| --- | --- | --- |"]
    for rep in reports:
        if not rep.get("applicable"):
            continue
        bc = rep["blind_ceiling"]
        ex = (bc["example"] or "").replace("<think>Let me look at the image carefully.</think>", "")
        ex = ex if len(ex) <= width else ex[: width - 1] + "…"
        lines.append(f"| `{rep['reward']}` | {bc['policy']}: {_cell(bc['description'] or '')} | `{_cell(ex)}` |")
    return "\n".join(lines)


def headlines(reports: Sequence[Mapping[str, Any]], *, high: float = 0.5, low: float = 0.5) -> list[str]:
    """Generated findings about the rewards of ``reports``.

    Rewards whose blind ceiling is at least ``high`` of the honest policy at quality
    0.75 (from the reward's minimum and from the empty answer), whose signal is below
    ``low`` early (quality 0.3) or late (0.9), that are not monotone, or whose Spearman
    is weak.

    Args:
        reports: Reports from :func:`quality_report`.
        high: Share of the honest score that makes a blind ceiling a finding.
        low: Signal below which a ladder is a finding.

    Returns:
        One sentence per finding.
    """
    rows = []
    for rep in reports:
        row = summary_row(rep)
        if row["applicable"]:
            params = _params_text(rep.get("params") or {})
            row["reward"] = rep["reward"] + (f" {params}" if params else "")
            rows.append(row)
    out = []

    def names(pred: Any, fmt: Any) -> str:
        return ", ".join(fmt(r) for r in rows if pred(r)) or "none"

    full = lambda r: r["blind"] is not None and r["perfect"] is not None and abs(r["blind"] - r["perfect"]) < 1e-9  # noqa: E731
    out.append("**Blind ceiling equal to the perfect answer's score** (the reward does not look at the content): "
               + names(full, lambda r: f"`{r['reward']}`") + ".")
    hi_share = lambda r: not full(r) and (r["share"].get("0.75") or 0) >= high  # noqa: E731
    out.append(f"**High blind ceiling** (a blind policy earns at least {high:.0%} of what the honest policy at quality 0.75 earns, "
               "counted from the reward's minimum; in brackets: counted from the empty answer's score): "
               + names(hi_share, lambda r: f"`{r['reward']}` {_pct(r['share'].get('0.75'))} ({_pct(r['share_above_empty'].get('0.75'))})") + ".")
    early = lambda r: not full(r) and r["signal"].get("0.3") is not None and r["signal"]["0.3"] < low  # noqa: E731
    late = lambda r: not full(r) and r["signal"].get("0.9") is not None and r["signal"]["0.9"] < low  # noqa: E731
    out.append(f"**Sparse early** (fewer than {low:.0%} of groups carry a signal at quality 0.3): "
               + names(early, lambda r: f"`{r['reward']}` {_pct(r['signal']['0.3'])}") + ".")
    out.append(f"**Saturated late** (fewer than {low:.0%} of groups carry a signal at quality 0.9): "
               + names(late, lambda r: f"`{r['reward']}` {_pct(r['signal']['0.9'])}") + ".")
    nonmono = lambda r: r["drops"] > 0 or (r["completion_drops"] or 0) >= 0.01  # noqa: E731
    out.append("**Not monotone** (the mean drops between two levels, or at least 1% of completions lose reward when their "
               "answer improves): " + names(nonmono, lambda r: f"`{r['reward']}` ({_drops_text(r)})") + ".")
    weak = lambda r: not full(r) and r["spearman"] is not None and r["spearman"] < 0.5  # noqa: E731
    out.append("**Weak rank correlation with quality** (Spearman below 0.5 on the primary ladder): "
               + names(weak, lambda r: f"`{r['reward']}` {_f(r['spearman'], 2)}") + ".")
    return out
