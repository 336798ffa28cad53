"""Pictures and reports: rendering ``rewardkit.show`` pictures (goal: 1,000 in under 60 s
on one core) against the same overlay drawn with matplotlib the way notebooks do it (the
baseline, same group), and ``rewardkit report`` on a large file (peak memory of the
process, measured with ``os.wait4``; goal: under 2 GB at 100,000 rows, only the shown
pictures embedded).

Run: ``taskset -c 0 python -m pytest benchmarks/bench_viz.py`` (``RK_BENCH_FULL=1``: the
100,000-row report). Under ``--benchmark-disable`` (the CI smoke run) the sizes shrink.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FULL

pytest.importorskip("PIL")
pytest.importorskip("matplotlib")

ROLLOUTS = Path(__file__).resolve().parents[1] / "examples" / "data" / "verl_rollouts.jsonl"


def _rows(n: int) -> list[dict]:
    base = [json.loads(line) for line in ROLLOUTS.read_text().splitlines()]
    return [base[i % len(base)] for i in range(n)]


def _n(benchmark, full: int, smoke: int) -> int:
    return smoke if getattr(benchmark, "disabled", False) else full


@pytest.mark.benchmark(group="show-pictures")
def test_rewardkit_show(benchmark):
    from rewardkit.viz.show import show_row

    rows = _rows(_n(benchmark, 1000, 20))

    def run():
        for r in rows:
            show_row(r, reward="visual_rft.detection", max_side=512)

    benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info["pictures"] = len(rows)


@pytest.mark.benchmark(group="show-pictures")
def test_baseline_matplotlib_overlay(benchmark):
    """The same boxes drawn with matplotlib rectangles and text, saved as PNG (reading
    and matching done by rewardkit: only the drawing is compared)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.patches as mpatches
    import matplotlib.pyplot as plt

    from rewardkit.viz.scene import build_scene

    rows = _rows(_n(benchmark, 1000, 20))

    def run():
        for r in rows:
            sc = build_scene(r["output"], r["gts"], "visual_rft.detection")
            fig, ax = plt.subplots(figsize=(5.12, 5.12), dpi=100)
            ax.set_xlim(0, 1000)
            ax.set_ylim(1000, 0)
            for s in (*sc.gts, *sc.preds):
                x1, y1, x2, y2 = s.data
                ax.add_patch(mpatches.Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, lw=2, ls="--" if s.matched is False else "-",
                                                ec="#0072B2" if s.role == "gt" else "#E69F00"))  # fmt: skip
                ax.text(x1, y1, s.label or "", fontsize=7)
            ax.set_title(f"score {sc.result.score}")
            fig.savefig(io.BytesIO(), format="png")
            plt.close(fig)

    benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info["pictures"] = len(rows)


@pytest.mark.benchmark(group="report")
@pytest.mark.parametrize("n_rows", [100_000] if FULL else [2_000])
def test_report_peak_memory(benchmark, tmp_path, n_rows):
    rows = _rows(128)
    src = tmp_path / "rollouts.jsonl"
    with src.open("w") as fh:
        for i in range(n_rows):
            r = dict(rows[i % 128])
            r["step"] = 1 + i // 512
            r["score"] = float(r["score"])
            fh.write(json.dumps(r) + "\n")
    out = tmp_path / "report.html"
    cmd = [sys.executable, "-m", "rewardkit.cli", "report", str(src), "--reward", "visual_rft.detection", "-o", str(out), "-q"]
    peak = {}

    def run():
        proc = subprocess.Popen(cmd)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        assert proc.returncode == 0
        peak["kib"] = usage.ru_maxrss

    benchmark.pedantic(run, rounds=1, iterations=1)
    page = out.read_text()
    assert page.count("data:image/png") == 6  # 2 best, 2 median, 2 worst: only what is shown
    benchmark.extra_info["rows"] = n_rows
    benchmark.extra_info["peak_rss_mib"] = round(peak["kib"] / 1024, 1)
    benchmark.extra_info["html_mib"] = round(len(page.encode()) / 2**20, 2)
