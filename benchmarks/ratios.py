"""Ratios from one pytest-benchmark run, compared with the committed baseline.

    python benchmarks/ratios.py check RUN.json --mode quick      # table; exit 1 on a regression
    python benchmarks/ratios.py update RUN.json [RUN2.json ...] --mode full
                                       # write the runs' ratios (the lowest per ratio) as baseline

A ratio is ``min(reference) / min(rewardkit implementation)`` over the rounds of the same
run, for each (rewardkit implementation, reference) pair of a benchmark group (naming
convention: ``benchmarks/_harness.py``); above 1 rewardkit is faster. ``check`` fails
when a ratio is more than ``--tolerance`` (default 30%) below its baseline in
``benchmarks/ratios.json``, or when a baseline ratio was not measured. Ratios without a
baseline are listed as new. Targets (the issues' goals) are shown, not enforced.

``benchmarks/ratios.json``::

    {"<mode>": {"machine": {...}, "measured": "...", "timer": "...", "load": [...],
                "ratios": {"<group> | <rewardkit impl> vs <reference>": 12.3, ...}},
     "targets": {"<ratio key>": 10.0, ...},
     "throughput_targets": {"<group> | <impl>": 200000, ...}}

Throughputs (``extra_info["calls_per_s"]``: calls per second of the min round) of the
benchmarks named in ``throughput_targets`` are printed next to their target, never enforced.

Absolute times stay in the run's JSON (``stats``); nothing here asserts on them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

BASELINE = Path(__file__).with_name("ratios.json")
SUBJECT = "rewardkit"


def is_subject(impl: str) -> bool:
    return impl == SUBJECT or impl.startswith(SUBJECT + "-")


def ratio_key(group: str, subject: str, reference: str) -> str:
    return f"{group} | {subject} vs {reference}"


def compute(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every ratio of a run: ``{key: {"ratio", "subject_min", "reference_min", "group"}}``."""
    by_group: dict[str, dict[str, float]] = defaultdict(dict)
    for b in run.get("benchmarks", []):
        impl = (b.get("extra_info") or {}).get("impl")
        group = b.get("group")
        if not impl or not group:
            continue
        t = float(b["stats"]["min"])
        prev = by_group[group].get(impl)
        by_group[group][impl] = t if prev is None else min(prev, t)
    out: dict[str, dict[str, Any]] = {}
    for group, impls in sorted(by_group.items()):
        subjects = sorted(i for i in impls if is_subject(i))
        references = sorted(i for i in impls if not is_subject(i))
        for s in subjects:
            for r in references:
                if impls[s] > 0:
                    out[ratio_key(group, s, r)] = {
                        "ratio": impls[r] / impls[s],
                        "subject_min": impls[s],
                        "reference_min": impls[r],
                        "group": group,
                    }
    return out


def machine(run: dict[str, Any]) -> dict[str, Any]:
    mi = run.get("machine_info", {})
    cpu = mi.get("cpu", {}) or {}
    return {
        "node": mi.get("node"),
        "cpu": cpu.get("brand_raw") or mi.get("processor"),
        "cores": cpu.get("count"),
        "python": mi.get("python_version"),
        "system": f"{mi.get('system')} {mi.get('release')}",
    }


def compare(
    measured: dict[str, dict[str, Any]],
    baseline: dict[str, float],
    targets: dict[str, float],
    tolerance: float,
) -> tuple[list[dict[str, Any]], bool]:
    """Rows of the table and whether the run passes (no regression, nothing missing)."""
    rows = []
    ok = True
    for key in sorted(set(measured) | set(baseline)):
        now = measured.get(key, {}).get("ratio")
        base = baseline.get(key)
        target = targets.get(key)
        if now is None:
            status = "MISSING"
            ok = False
        elif base is None:
            status = "new"
        elif now < (1 - tolerance) * base:
            status = "REGRESSED"
            ok = False
        else:
            status = "ok"
        met = None if target is None or now is None else now >= target
        rows.append({"key": key, "baseline": base, "now": now, "target": target, "met": met, "status": status})
    return rows, ok


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def table(rows: list[dict[str, Any]]) -> str:
    head = ["ratio (reference / rewardkit, min of rounds)", "baseline", "now", "change", "target", "status"]
    body = []
    for r in rows:
        change = "-" if r["baseline"] is None or r["now"] is None else f"{r['now'] / r['baseline'] - 1:+.0%}"
        target = "-" if r["target"] is None else f">= {_fmt(r['target'])} ({'met' if r['met'] else 'not met'})"
        body.append([r["key"], _fmt(r["baseline"]), _fmt(r["now"]), change, target, r["status"]])
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in body]
    return "\n".join(lines)


def throughputs(run: dict[str, Any], wanted: dict[str, float]) -> str:
    """Calls per second of the benchmarks named ``<group> | <impl>`` in ``wanted``."""
    rows = []
    for b in run.get("benchmarks", []):
        info = b.get("extra_info") or {}
        key = f"{b.get('group')} | {info.get('impl')}"
        if key in wanted and "calls_per_s" in info:
            cps = float(info["calls_per_s"])
            rows.append(f"  {key}: {cps:,.0f} calls/s (target >= {wanted[key]:,.0f}: {'met' if cps >= wanted[key] else 'not met'})")
    return "\n".join(["throughput (absolute, reported only):", *sorted(rows)]) if rows else ""


def _load(path: Path) -> dict[str, Any]:
    with open(path) as fh:
        return json.load(fh)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=["check", "update", "show"])
    ap.add_argument("run", type=Path, nargs="+",
                    help="pytest-benchmark JSON (--benchmark-json); update takes several runs (the union of their "
                         "ratios, the lowest value of each: noise should not set a baseline that a normal run "
                         "cannot reach)")
    ap.add_argument("--mode", choices=["quick", "full"], required=True)
    ap.add_argument("--baseline", type=Path, default=BASELINE)
    ap.add_argument("--tolerance", type=float, default=0.30, help="allowed drop below baseline (0.30: 30%%)")
    args = ap.parse_args(argv)

    if len(args.run) > 1 and args.command != "update":
        ap.error("check and show take one run")
    runs = [_load(p) for p in args.run]
    run = runs[-1]
    measured = compute(run)
    for other in runs[:-1]:
        for k, v in compute(other).items():
            if k not in measured or v["ratio"] < measured[k]["ratio"]:
                measured[k] = v
    base_doc = _load(args.baseline) if args.baseline.exists() else {}
    section = base_doc.get(args.mode, {})
    baseline = {k: float(v) for k, v in section.get("ratios", {}).items()}
    targets = {k: float(v) for k, v in base_doc.get("targets", {}).items()}
    load = [run.get("loadavg_at_start"), run.get("loadavg_at_end")]
    print(f"run: {', '.join(map(str, args.run))} ({len(run.get('benchmarks', []))} benchmarks, timer {run.get('timer') or 'default'}, "
          f"load average at start/end {load[0]} / {load[1]})")
    if section:
        m = section.get("machine", {})
        print(f"baseline ({args.mode}): measured {section.get('measured')} on {m.get('cpu')} x{m.get('cores')}, "
              f"load {section.get('load')}")

    if args.command == "update":
        base_doc[args.mode] = {
            "machine": machine(run),
            "measured": [r.get("datetime") for r in runs],
            "timer": run.get("timer"),
            "load": [[r.get("loadavg_at_start"), r.get("loadavg_at_end")] for r in runs],
            "ratios": {k: round(v["ratio"], 4) for k, v in sorted(measured.items())},
        }
        base_doc.setdefault("targets", {})
        base_doc.setdefault("throughput_targets", {})
        with open(args.baseline, "w") as fh:
            json.dump(base_doc, fh, indent=1, sort_keys=True)
            fh.write("\n")
        print(f"wrote {len(measured)} {args.mode} ratios to {args.baseline}")
        baseline = {k: v["ratio"] for k, v in measured.items()}
    rows, ok = compare(measured, baseline if args.command != "show" else {}, targets, args.tolerance)
    print(table(rows))
    tp = throughputs(run, {k: float(v) for k, v in base_doc.get("throughput_targets", {}).items()})
    if tp:
        print(tp)
    if args.command == "check" and not ok:
        bad = [r["key"] for r in rows if r["status"] in ("REGRESSED", "MISSING")]
        print(f"\nbench: {len(bad)} ratio(s) more than {args.tolerance:.0%} below the {args.mode} baseline "
              f"or missing: " + "; ".join(bad), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
