"""The benchmark regression check (benchmarks/ratios.py): ratios from a pytest-benchmark JSON
by the naming convention, and the failure rule (more than 30% below the baseline)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_ratios", ROOT / "benchmarks" / "ratios.py")
ratios = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ratios)


def _bench(group, impl, mins, calls_per_s=None):
    info = {} if impl is None else {"impl": impl}
    if calls_per_s is not None:
        info["calls_per_s"] = calls_per_s
    return {"group": group, "name": f"test[{impl}]", "extra_info": info, "stats": {"min": mins}}


def _run(*benches):
    return {"benchmarks": list(benches), "machine_info": {"node": "n", "cpu": {"brand_raw": "cpu", "count": 2}},
            "datetime": "2025-01-01T00:00:00", "timer": "time.process_time", "loadavg_at_start": [1, 1, 1]}


RUN = _run(
    _bench("coco-bbox-1img", "rewardkit", 0.002),
    _bench("coco-bbox-1img", "pycocotools", 0.010),
    _bench("coco-bbox-1img", "faster-coco-eval", 0.001),
    _bench("reward-detection-3box", "lean-loop", 0.0002),
    _bench("reward-detection-3box", "rewardkit-call", 0.0004),
    _bench("reward-detection-3box", "rewardkit-score_batch", 0.0001),
    _bench("score-cli", None, 3.0),  # no impl: timed only
    _bench("reward-format-tag_count", "rewardkit-call", 8e-5, calls_per_s=100000),
)


def test_compute_pairs_every_rewardkit_impl_with_every_reference():
    got = {k: round(v["ratio"], 9) for k, v in ratios.compute(RUN).items()}
    assert got == {
        "coco-bbox-1img | rewardkit vs faster-coco-eval": 0.5,
        "coco-bbox-1img | rewardkit vs pycocotools": 5.0,
        "reward-detection-3box | rewardkit-call vs lean-loop": 0.5,
        "reward-detection-3box | rewardkit-score_batch vs lean-loop": 2.0,
    }


def test_compute_takes_the_min_over_duplicate_entries():
    run = _run(_bench("g", "rewardkit", 2.0), _bench("g", "rewardkit", 1.0), _bench("g", "ref", 4.0))
    assert ratios.compute(run)["g | rewardkit vs ref"]["ratio"] == 4.0


def test_compare_flags_a_drop_beyond_tolerance_and_missing_ratios():
    measured = ratios.compute(RUN)
    baseline = {
        "coco-bbox-1img | rewardkit vs pycocotools": 7.0,  # 5.0 >= 0.7 * 7.0 = 4.9: ok
        "reward-detection-3box | rewardkit-score_batch vs lean-loop": 3.0,  # 2.0 < 2.1: regressed
        "lvis-bbox-100img-300cat | rewardkit vs lvis-api": 12.0,  # not measured
    }
    rows, ok = ratios.compare(measured, baseline, {"coco-bbox-1img | rewardkit vs pycocotools": 1.0}, 0.30)
    status = {r["key"]: r["status"] for r in rows}
    assert not ok
    assert status["coco-bbox-1img | rewardkit vs pycocotools"] == "ok"
    assert status["reward-detection-3box | rewardkit-score_batch vs lean-loop"] == "REGRESSED"
    assert status["lvis-bbox-100img-300cat | rewardkit vs lvis-api"] == "MISSING"
    assert status["coco-bbox-1img | rewardkit vs faster-coco-eval"] == "new"
    met = {r["key"]: r["met"] for r in rows}
    assert met["coco-bbox-1img | rewardkit vs pycocotools"] is True
    text = ratios.table(rows)
    assert "REGRESSED" in text and ">= 1 (met)" in text


def test_compare_passes_within_tolerance():
    measured = ratios.compute(RUN)
    baseline = {k: v["ratio"] * 1.4 for k, v in measured.items()}  # now = baseline / 1.4: -29%
    _, ok = ratios.compare(measured, baseline, {}, 0.30)
    assert ok


def test_main_update_then_check(tmp_path, capsys):
    run_path = tmp_path / "run.json"
    run_path.write_text(json.dumps(RUN))
    base = tmp_path / "ratios.json"
    base.write_text(json.dumps({"throughput_targets": {"reward-format-tag_count | rewardkit-call": 200000}}))
    assert ratios.main(["update", str(run_path), "--mode", "quick", "--baseline", str(base)]) == 0
    doc = json.loads(base.read_text())
    assert doc["quick"]["machine"]["cores"] == 2 and len(doc["quick"]["ratios"]) == 4
    assert ratios.main(["check", str(run_path), "--mode", "quick", "--baseline", str(base)]) == 0
    out = capsys.readouterr().out
    assert "100,000 calls/s (target >= 200,000: not met)" in out
    slower = json.loads(json.dumps(RUN))
    slower["benchmarks"][0]["stats"]["min"] = 0.004  # rewardkit twice as slow on coco-bbox-1img
    run_path.write_text(json.dumps(slower))
    assert ratios.main(["check", str(run_path), "--mode", "quick", "--baseline", str(base)]) == 1
    assert "coco-bbox-1img | rewardkit vs pycocotools" in capsys.readouterr().err


@pytest.mark.parametrize("impl,subject", [("rewardkit", True), ("rewardkit-call", True), ("rewardkitx", False), ("pycocotools", False)])
def test_subject_names(impl, subject):
    assert ratios.is_subject(impl) is subject
