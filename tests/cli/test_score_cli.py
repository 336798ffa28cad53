"""`rewardkit score` and `rewardkit list`: one output row per input row, reasons, summary."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rewardkit.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "data" / "preds.jsonl"

GOOD = "<think>a</think><answer>[{'Position': [10, 10, 100, 100], 'Confidence': 0.9}]</answer>"


def _read(path: Path) -> list[dict]:
    with open(path) as fh:
        return [json.loads(line) for line in fh]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_example_file_every_row_kept(tmp_path, capsys):
    out = tmp_path / "scored.jsonl"
    assert main(["score", str(EXAMPLE), "-o", str(out)]) == 0
    n_in = sum(1 for line in EXAMPLE.read_text().splitlines() if line.strip())
    rows = _read(out)
    assert len(rows) == n_in
    assert [r["line"] for r in rows] == list(range(1, n_in + 1))
    for r in rows:
        assert set(r) == {"id", "line", "reward", "score", "components", "reason"}
        assert r["score"] is not None or r["reason"], r
    printed = capsys.readouterr().out
    assert "visual_rft.detection" in printed and "reasons:" in printed
    assert f"wrote {n_in} rows" in printed


def test_bad_lines_become_rows_with_reasons(tmp_path):
    src = _write(tmp_path / "in.jsonl", [
        json.dumps({"id": "a", "reward": "visual_rft.detection", "completion": GOOD, "ground_truth": [[10, 10, 100, 100]]}),
        "{not json",
        "[1, 2, 3]",
        json.dumps({"id": "b", "reward": "visual_rft.detection", "ground_truth": [[1, 2, 3, 4]]}),
        json.dumps({"id": "c", "reward": "visual_rft.detection", "completion": GOOD}),
        json.dumps({"id": "d", "completion": GOOD, "ground_truth": [[1, 2, 3, 4]]}),
        json.dumps({"id": "e", "reward": "visual_rft.detecton", "completion": GOOD, "ground_truth": [[1, 2, 3, 4]]}),
        json.dumps({"id": "f", "reward": "visual_rft.detection", "completion": GOOD, "ground_truth": [[1, 2, 3, 4]], "params": {"iou_threshold": 7}}),
        "",
        json.dumps({"id": "g", "reward": "visual_rft.detection", "completion": GOOD, "ground_truth": "garbage"}),
    ])
    out = tmp_path / "out.jsonl"
    assert main(["score", str(src), "-o", str(out), "-q"]) == 0
    rows = _read(out)
    assert [r["id"] for r in rows] == ["a", None, None, "b", "c", "d", "e", "f", "g"]
    reasons = [r["reason"] or "" for r in rows]
    assert rows[0]["score"] == pytest.approx(2.9)
    assert reasons[1].startswith("invalid_json")
    assert reasons[2].startswith("not_an_object")
    assert reasons[3].startswith("missing_field:completion")
    assert reasons[4].startswith("missing_field:ground_truth")
    assert reasons[5].startswith("missing_field:reward")
    assert reasons[6].startswith("unknown_reward") and "did you mean 'visual_rft.detection'" in reasons[6]
    assert reasons[7].startswith("bad_params") and "iou_threshold" in reasons[7]
    assert reasons[8] == "bad_ground_truth" and rows[8]["score"] is None


def test_public_column_names_and_cli_reward(tmp_path):
    src = _write(tmp_path / "in.jsonl", [
        json.dumps({"completion": GOOD, "solution": "<answer>[{'Position': [10, 10, 100, 100], 'Confidence': 1}]</answer>"}),
        json.dumps({"completion": GOOD, "answer": [[10, 10, 100, 100]]}),
        json.dumps({"solution_str": GOOD, "reward_model": {"ground_truth": json.dumps([[10, 10, 100, 100]])}}),
        json.dumps({"completion": [{"role": "assistant", "content": GOOD}], "ground_truth": [[10, 10, 100, 100]]}),
    ])
    out = tmp_path / "out.jsonl"
    assert main(["score", str(src), "--reward", "visual_rft.detection", "-o", str(out), "-q"]) == 0
    assert [r["score"] for r in _read(out)] == [pytest.approx(2.9)] * 4


def test_params_image_size_and_cli_param(tmp_path):
    pixel = "<think>a</think><answer>[{'Position': [64, 48, 640, 480], 'Confidence': 1.0}]</answer>"
    src = _write(tmp_path / "in.jsonl", [
        json.dumps({"reward": "visual_rft.detection", "completion": pixel, "ground_truth": [[100, 100, 1000, 1000]], "image_size": [640, 480]}),
    ])
    out = tmp_path / "out.jsonl"
    assert main(["score", str(src), "-o", str(out), "-q", "--param", 'pred_frame="pixel"']) == 0
    assert _read(out)[0]["score"] == pytest.approx(3.0)
    assert main(["score", str(src), "-o", str(out), "-q"]) == 0  # declared norm1000: IoU != 1
    assert _read(out)[0]["score"] < 3.0


def test_gzip_input_default_output_and_summary_json(tmp_path):
    src = tmp_path / "preds.jsonl.gz"
    with gzip.open(src, "wt") as fh:
        for i in range(5):
            fh.write(json.dumps({"id": i, "reward": "grounding.iou", "completion": "<answer>[0, 0, 10, 10]</answer>", "ground_truth": [0, 0, 10, 5]}) + "\n")
    summary = tmp_path / "summary.json"
    assert main(["score", str(src), "-q", "--summary-json", str(summary)]) == 0
    rows = _read(tmp_path / "preds.scored.jsonl")
    assert [r["id"] for r in rows] == list(range(5))
    data = json.loads(summary.read_text())
    st = data["rewards"]["grounding.iou"]["stats"]["score"]
    assert data["rows"] == 5 and st["count"] == 5 and st["mean"] == pytest.approx(0.5)


def test_workers_keep_order(tmp_path):
    lines = []
    for i in range(300):
        gt = [[0, 0, 10 + i % 7, 10]]
        lines.append(json.dumps({"id": i, "reward": "grounding.iou", "completion": "<answer>[0, 0, 10, 10]</answer>", "ground_truth": gt}))
    src = _write(tmp_path / "in.jsonl", lines)
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert main(["score", str(src), "-o", str(a), "-q"]) == 0
    assert main(["score", str(src), "-o", str(b), "-q", "--workers", "2"]) == 0
    assert _read(a) == _read(b)
    assert [r["id"] for r in _read(b)] == list(range(300))


def test_unknown_cli_reward_and_missing_file(tmp_path, capsys):
    src = _write(tmp_path / "in.jsonl", [json.dumps({"completion": GOOD, "ground_truth": []})])
    assert main(["score", str(src), "--reward", "visual_rft.detectio"]) == 2
    assert "did you mean" in capsys.readouterr().err
    assert main(["score", str(tmp_path / "nope.jsonl")]) == 2


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "visual_rft.detection" in out and "[0, 3]" in out
    assert main(["list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert any(d["name"] == "grounding.iou" and d["components"] == ["iou"] for d in data)


def test_plot(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "dist.png"
    assert main(["score", str(EXAMPLE), "-o", str(tmp_path / "o.jsonl"), "-q", "--plot", str(png)]) == 0
    assert png.stat().st_size > 1000


def test_console_script_entry_point(tmp_path):
    out = tmp_path / "o.jsonl"
    proc = subprocess.run([sys.executable, "-m", "rewardkit.cli", "score", str(EXAMPLE), "-o", str(out), "-q"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.exists()


def test_row_needing_a_missing_extra_keeps_its_row_and_the_run(tmp_path, monkeypatch):
    """A compat mode whose public code needs an extra (math-verify) is a per-row problem:
    that row gets reason ``missing_extra`` and the other rows are scored."""
    import sys

    monkeypatch.setitem(sys.modules, "math_verify", None)  # import fails as if not installed
    src = tmp_path / "in.jsonl"
    rows = [
        {"reward": "visual_rft.classification", "completion": "<think>t</think><answer>rose</answer>",
         "ground_truth": "rose", "params": {"compat": "visual_rft"}},
        {"reward": "visual_rft.classification", "completion": "<think>t</think><answer>rose</answer>", "ground_truth": "rose"},
    ]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    assert main(["score", str(src), "-o", str(out), "-q"]) == 0
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(got) == 2
    assert got[0]["score"] is None and got[0]["reason"].startswith("missing_extra:")
    assert "rewardkit[compat]" in got[0]["reason"]
    assert got[1]["score"] == 2.0
