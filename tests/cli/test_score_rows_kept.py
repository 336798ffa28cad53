"""`rewardkit score` keeps every row and never loses data (issue 10, table rows 8-12).

Each test is named after its row of the issue's table and fails on the code before the
fix: the input truncated by ``-o`` = input (8), a run ended by one bad row (9), a run that
hangs when a worker dies (10), BOM / bare CR / ``params`` as a JSON string (11), and an
interrupted run that destroys the previous output (12).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rewardkit.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOOD = "<answer>[0, 0, 10, 10]</answer>"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _row(**kw) -> str:
    base = {"reward": "grounding.iou", "completion": GOOD, "ground_truth": [0, 0, 10, 10]}
    base.update(kw)
    return json.dumps(base)


def test_row08_output_equal_to_input_is_refused(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(_row(id=1) + "\n" + _row(id=2) + "\n")
    before = src.read_bytes()
    link = tmp_path / "link.jsonl"
    link.symlink_to(src)
    hard = tmp_path / "hard.jsonl"
    os.link(src, hard)
    for out in (str(src), str(tmp_path / "." / "in.jsonl"), str(tmp_path / "sub" / ".." / "in.jsonl"), str(link), str(hard)):
        (tmp_path / "sub").mkdir(exist_ok=True)
        assert main(["score", str(src), "-o", out, "-q"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("rewardkit: error: Refusing to write the output over the input"), err
        assert src.read_bytes() == before
    assert main(["score", str(link), "-o", str(src), "-q"]) == 2
    assert src.read_bytes() == before


def test_row09_bad_rows_never_end_the_run(tmp_path):
    lines = [
        '{"id": "\\ud800", "reward": "grounding.iou", "completion": "<answer>[0, 0, 10, 10]</answer>", "ground_truth": [0, 0, 10, 10]}',
        '{"id": "r", "reward": "grounding.iou\\udc80", "completion": "x", "ground_truth": [0, 0, 10, 10]}',
        json.dumps({"id": "syn", "reward": "visual_rft.classification", "completion": "<answer>cat</answer>", "ground_truth": "cat", "params": {"synonyms": 5}}),
        json.dumps({"id": "root", "reward": "pose.mpjpe", "completion": "<answer>[[1, 2], [3, 4]]</answer>", "ground_truth": [[1, 2], [3, 4]], "params": {"root": "a"}}),
        '{"id": "inf", "reward": "visual_rft.detection", "completion": "<answer>[1, 2, 3, 4]</answer>", "ground_truth": [[1, 2, Infinity, 4]]}',
        '{"id": "big", "reward": "grounding.iou", "completion": "<answer>[1, 2, 3, 4]</answer>", "ground_truth": [1, 2, 1e400, 4]}',
        _row(id="last"),
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["score", str(src), "-o", str(out), "-q"]) == 0
    rows = _rows(out)
    assert len(rows) == len(lines)
    assert [r["line"] for r in rows] == list(range(1, len(lines) + 1))
    assert rows[0]["id"] == "\ud800" and rows[0]["score"] == 1.0  # the surrogate survives, escaped
    assert rows[1]["reason"].startswith("unknown_reward")
    assert rows[2]["reason"].startswith("bad_params") and rows[2]["score"] is None
    assert rows[3]["score"] is None and rows[3]["reason"]
    for r in rows[4:6]:
        assert r["score"] is None and r["reason"] == "bad_ground_truth", r
    assert rows[6]["id"] == "last" and rows[6]["score"] == 1.0
    # the same with two workers
    out2 = tmp_path / "out2.jsonl"
    assert main(["score", str(src), "-o", str(out2), "-q", "--workers", "2"]) == 0
    assert _rows(out2) == rows


_CRASHER = textwrap.dedent(
    """
    import os, sys
    from rewardkit import registry  # noqa: F401  (registers the built-in rewards first)
    from rewardkit.rewards.base import register_reward
    from rewardkit.types import RewardResult

    PARENT = os.getpid()

    @register_reward("test.crash", task="test", range=(0, 1))
    def crash(completion, ground_truth):
        if completion == "die" and os.getpid() != PARENT:
            os._exit(3)  # a worker that dies (a segfault, the OOM killer) without a Python error
        return RewardResult(1.0, {}, None)

    from rewardkit.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


def test_row10_worker_crash_is_detected(tmp_path):
    n = 300
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(
        json.dumps({"id": i, "reward": "test.crash", "completion": "die" if i in (5, 200) else "ok", "ground_truth": 1})
        for i in range(n)
    ) + "\n")  # fmt: skip
    script = tmp_path / "crasher.py"
    script.write_text(_CRASHER)
    out = tmp_path / "out.jsonl"
    proc = subprocess.run(
        [sys.executable, str(script), "score", str(src), "-o", str(out), "-q", "--workers", "2"],
        capture_output=True, text=True, timeout=180, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = _rows(out)
    assert [r["id"] for r in rows] == list(range(n))
    crashed = [r["id"] for r in rows if r["score"] is None]
    assert crashed == [5, 200]
    assert all(rows[i]["reason"].startswith("worker_crashed") for i in (5, 200))
    assert all(r["score"] == 1.0 for r in rows if r["id"] not in (5, 200))


def test_row11_bom_bare_cr_and_params_as_json_string(tmp_path):
    src = tmp_path / "in.jsonl"
    lines = [
        _row(id="bom"),
        '{"id": "cr",\r "reward": "grounding.iou", "completion": "<answer>[0, 0,\r10, 10]</answer>", "ground_truth": [0, 0, 10, 10]}',
        _row(id="crlf"),
        _row(id="pstr", completion="<answer>[0, 0, 5, 10]</answer>", ground_truth=[0, 0, 500, 1000],
             image_size=[10, 10], params=json.dumps({"pred_frame": "pixel"})),  # veRL's make_row
        _row(id="pnum", params=5),
        _row(id="pbad", params="{not json"),
        _row(id="pempty", params=""),
    ]
    data = "\ufeff" + lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\r\n" + "\n".join(lines[3:]) + "\n"
    src.write_bytes(data.encode("utf-8"))
    out = tmp_path / "out.jsonl"
    assert main(["score", str(src), "-o", str(out), "-q"]) == 0
    rows = {r["id"]: r for r in _rows(out)}
    assert list(rows) == ["bom", "cr", "crlf", "pstr", "pnum", "pbad", "pempty"]
    assert rows["bom"]["score"] == 1.0 and rows["bom"]["line"] == 1
    assert rows["cr"]["score"] == 1.0 and rows["cr"]["line"] == 2
    assert rows["crlf"]["score"] == 1.0
    assert rows["pstr"]["score"] == pytest.approx(1.0)  # params read: pixel answer vs norm1000 ground truth
    assert rows["pnum"]["reason"].startswith("bad_params") and rows["pnum"]["score"] is None
    assert rows["pbad"]["reason"].startswith("bad_params")
    assert rows["pempty"]["score"] == 1.0


def test_row12_interrupted_run_keeps_partial_and_previous_output(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text('{"previous": true}\n')
    proc = subprocess.Popen(
        [sys.executable, "-m", "rewardkit.cli", "score", "-", "-o", str(out), "-q", "--reward", "grounding.iou"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
        # a shell's background job (`pytest ... &`) ignores SIGINT, and the child would
        # inherit that (Python keeps an ignored SIGINT ignored): give it the default back
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    assert proc.stdin is not None
    for i in range(3):
        proc.stdin.write((json.dumps({"id": i, "completion": GOOD, "ground_truth": [0, 0, 10, 10]}) + "\n").encode())
    proc.stdin.flush()
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".out.jsonl.*.tmp")):
        time.sleep(0.1)
    time.sleep(1.0)  # the three rows are scored while the command waits for more input
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    err = err.decode()
    assert err.count("\n") == 1 and "Traceback" not in err
    partial = tmp_path / "out.jsonl.partial"
    assert "3 rows kept in" in err and str(partial) in err
    assert [r["id"] for r in _rows(partial)] == [0, 1, 2]
    assert out.read_text() == '{"previous": true}\n'  # the previous output is untouched
    assert not list(tmp_path.glob(".out.jsonl.*.tmp"))


def test_row12_completed_run_replaces_output_atomically(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(_row(id=1) + "\n")
    out = tmp_path / "out.jsonl"
    out.write_text("old\n")
    assert main(["score", str(src), "-o", str(out), "-q"]) == 0
    assert [r["id"] for r in _rows(out)] == [1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]
