"""Every example's --tiny mode end to end (tiny random model built in code, CPU).

Needs torch/transformers/trl (and verl for the veRL example); skipped otherwise. The TRL
examples are imported from their files and their ``main`` called (one torch/trl import
for all); the veRL example runs in its own process, as a user would run it.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys

import pytest

pytest.importorskip("torch")
pytest.importorskip("trl")

pytestmark = pytest.mark.trainer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(args, tmp_path, timeout=300):
    env = dict(os.environ, PYTHONUNBUFFERED="1", TOKENIZERS_PARALLELISM="false")
    proc = subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def _run_in_process(script, argv, capsys, monkeypatch, tmp_path):
    """Import the example from its file and call main(argv) (saves a torch/trl import per
    example; the veRL example runs as a subprocess, as a user runs it)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(os.path.join(ROOT, "examples"))
    spec = importlib.util.spec_from_file_location(f"example_{os.path.splitext(script)[0]}", os.path.join(ROOT, "examples", script))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(argv) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    "script, logged",
    [
        ("visual_rft_detection_trl.py", ["rewards/visual_rft.detection/iou/mean", "rewards/visual_rft.detection/confidence/mean", "rewards/visual_rft.detection/format/mean"]),
        ("visual_rft_classification_trl.py", ["rewards/visual_rft.classification/accuracy/mean", "rewards/visual_rft.classification/format/mean"]),
    ],
)
def test_trl_example_tiny(tmp_path, script, logged, capsys, monkeypatch):
    out = _run_in_process(script, ["--tiny", "--output-dir", str(tmp_path / "out")], capsys, monkeypatch, tmp_path)
    assert "trained 2 steps" in out
    for key in logged:
        assert key in out


def test_seg_r1_example_tiny_runs_the_tiny_sam2(tmp_path, capsys, monkeypatch):
    """--tiny scores through the tiny transformers SAM2: an oracle box beats nonsense, and
    the trainer's reward calls encode the images with it."""
    import re

    out = _run_in_process("seg_r1_trl.py", ["--tiny", "--output-dir", str(tmp_path / "out")], capsys, monkeypatch, tmp_path)
    assert "trained 2 steps" in out and "rewards/seg_r1.mask/mean" in out
    m = re.search(r"oracle check: seg_r1.mask of a box on the target ([0-9.]+), of nonsense ([0-9.]+)", out)
    assert m, out[-2000:]
    assert float(m.group(1)) > 1.0 and float(m.group(2)) == 0.0  # format 1 + mask terms > 0
    m = re.search(r"segmenter TransformersSAM2Segmenter: (\d+) image encodings, (\d+) decoder calls", out)
    assert m, out[-2000:]
    assert int(m.group(1)) >= 1 and int(m.group(2)) >= 1


def test_vision_r1_verl_example_tiny(tmp_path):
    pytest.importorskip("verl")
    pytest.importorskip("hydra")
    out = _run([os.path.join(ROOT, "examples", "vision_r1_verl", "prepare_data.py"), "--tiny"], tmp_path)
    lines = [line for line in out.splitlines() if line.startswith("step ")]
    assert len(lines) == 2
    before = ast.literal_eval(lines[0].split("reward per response ")[1].split(";")[0])
    after = ast.literal_eval(lines[1].split("reward per response ")[1].split(";")[0])
    # before the switch (xi_0 = 0.5) the IoU-0.6 answer earns recall 1 and precision ~0.6;
    # after it (xi_0 = 0.75) neither: the schedule saw the step
    assert before[0] == pytest.approx(after[0] + 1.6, abs=0.01)
    assert before[1] == after[1]  # the junk answer does not depend on the step
    assert "['score', 'format', 'recall', 'precision', 'applicable']" in lines[0]
