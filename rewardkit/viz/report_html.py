"""The report page's fixed parts: its style sheet and content policy, escaping, and the per-reward tables."""

from __future__ import annotations

import html
import math
from typing import Any

from rewardkit.viz.report_stats import (
    _RewardAgg,
)

# ----------------------------------------------------------------------------- page


_CSS = """
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:0;color:#1a1a1a;background:#fafafa;line-height:1.4}
header{background:#0072B2;color:#fff;padding:14px 28px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;font-size:13px;opacity:.95}
main{padding:8px 28px 40px;max-width:1500px}
section.reward{background:#fff;border:1px solid #ddd;border-radius:6px;margin:18px 0;padding:10px 20px 18px}
h2{font-size:19px;margin:8px 0 4px;color:#0072B2} h3{font-size:15px;margin:16px 0 6px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border-bottom:1px solid #e3e3e3;padding:3px 10px;text-align:right} th:first-child,td:first-child{text-align:left}
th{background:#f1f1f1}
.figs{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
.fig{max-width:100%;height:auto;border:1px solid #eee;background:#fff}
.examples{display:flex;flex-wrap:wrap;gap:14px}
figure.example{margin:0;border:1px solid #ddd;border-radius:4px;background:#fff;padding:6px;max-width:520px}
figure.example img{max-width:100%;height:auto;display:block}
figure.example figcaption{font-size:12px;color:#333;margin-top:4px;word-break:break-word}
.kind{display:inline-block;font-weight:bold;padding:0 6px;border-radius:3px;color:#fff}
.kind.best{background:#009E73}.kind.median{background:#0072B2}.kind.worst{background:#D55E00}
.note{background:#fff8e1;border-left:4px solid #E69F00;padding:6px 10px;font-size:13px;margin:8px 0}
.verdict{background:#e8f4fb;border-left:4px solid #0072B2;padding:6px 10px;font-size:13px;margin:8px 0;white-space:pre-wrap}
.muted{color:#666;font-size:12px}
nav a{margin-right:12px;font-size:13px}
"""

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _fmt(v: float) -> str:
    if v != v:
        return "\u2013"
    return f"{v:.4g}"


def _stats_table(agg: _RewardAgg) -> str:
    rows = [("score", agg.scores)] + sorted(agg.components.items())
    out = ["<table><tr><th></th><th>rows</th><th>mean</th><th>std</th><th>min</th><th>median</th><th>max</th></tr>"]
    for key, values in rows:
        vals = sorted(v for v in values if v == v)
        n = len(vals)
        if n:
            mean = math.fsum(vals) / n
            std = math.sqrt(math.fsum((v - mean) ** 2 for v in vals) / n)
            med = vals[n // 2] if n % 2 else 0.5 * (vals[n // 2 - 1] + vals[n // 2])
            out.append(f"<tr><td>{_e(key)}</td><td>{n}</td><td>{_fmt(mean)}</td><td>{_fmt(std)}</td><td>{_fmt(vals[0])}</td><td>{_fmt(med)}</td><td>{_fmt(vals[-1])}</td></tr>")
        else:
            out.append(f"<tr><td>{_e(key)}</td><td>0</td><td colspan=5>no scored row</td></tr>")
    out.append("</table>")
    return "".join(out)


def _reason_table(agg: _RewardAgg) -> str:
    out = ["<table><tr><th>reason</th><th>rows</th><th>share</th></tr>"]
    for code, c in agg.reasons.most_common():
        out.append(f"<tr><td>{_e(code)}</td><td>{c}</td><td>{100 * c / max(agg.rows, 1):.1f}%</td></tr>")
    out.append("</table>")
    return "".join(out)
