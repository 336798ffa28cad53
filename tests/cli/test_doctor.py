"""`rewardkit doctor`: files written in each dialect and frame, scored with the wrong
reading, get a verdict naming the right one; `rewardkit score` shows the same verdict
as a warning.

The completions are written here from the formats' definitions (see
``rewardkit.parsing.dialects``): each writer maps a pixel box of an 800 x 600 image to
the model's payload.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from rewardkit.cli import main
from rewardkit.doctor import diagnose
from rewardkit.parsing.dialects import get_dialect
from rewardkit.parsing.frames import qwen25vl_resize

W, H = 800, 600
RW, RH = qwen25vl_resize(W, H)


def _n1000(b):
    x1, y1, x2, y2 = b
    return [round(x1 / W * 1000), round(y1 / H * 1000), round(x2 / W * 1000), round(y2 / H * 1000)]


def _cell(x, y):
    return min(31, int(y / H * 32)) * 32 + min(31, int(x / W * 32))


def _q25(b):
    return [round(b[0] * RW / W), round(b[1] * RH / H), round(b[2] * RW / W), round(b[3] * RH / H)]


def _grid(b, n, yx=False, floor=False):
    f = int if floor else round
    x1, y1, x2, y2 = f(b[0] / W * n), f(b[1] / H * n), f(b[2] / W * n), f(b[3] / H * n)
    return (y1, x1, y2, x2) if yx else (x1, y1, x2, y2)


def _pali(b):
    return "".join(f"<loc{v:04d}>" for v in _grid(b, 1024, yx=True)) + " cat"


def _florence(b):
    return "cat" + "".join(f"<loc_{v}>" for v in _grid(b, 1000, floor=True))


def _moondream(b):
    return json.dumps({"objects": [{"x_min": b[0] / W, "y_min": b[1] / H, "x_max": b[2] / W, "y_max": b[3] / H}]})


def _kosmos(b):
    return f"<phrase>cat</phrase><object><patch_index_{_cell(b[0], b[1]):04d}><patch_index_{_cell(b[2] - 1, b[3] - 1):04d}></object>"


def _qwen2_vl(b):
    x1, y1, x2, y2 = _n1000(b)
    return f"<|object_ref_start|>cat<|object_ref_end|><|box_start|>({x1},{y1}),({x2},{y2})<|box_end|>"


WRITERS = {
    "visual_rft": lambda b: f"[{{'Position': {_n1000(b)}, 'Confidence': 0.9}}]",
    "qwen2_vl": _qwen2_vl,
    "qwen2_5_vl": lambda b: f'```json\n[{{"bbox_2d": {_q25(b)}, "label": "cat"}}]\n```',
    "qwen3_vl": lambda b: f'```json\n[{{"bbox_2d": {_n1000(b)}, "label": "cat"}}]\n```',
    "internvl": lambda b: f"<ref>cat</ref><box>[{_n1000(b)}]</box>",
    "deepseek_vl2": lambda b: f"<|ref|>cat<|/ref|><|det|>[{list(_grid(b, 999))}]<|/det|>",
    "paligemma": _pali,
    "florence2": _florence,
    "gemini": lambda b: f'```json\n[{{"box_2d": {list(_grid(b, 1000, yx=True))}, "label": "cat"}}]\n```',
    "moondream": _moondream,
    "kosmos2": _kosmos,
}


def _boxes(seed: int, n: int = 16):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        w, h = rng.uniform(150, 500), rng.uniform(120, 400)
        x, y = rng.uniform(0, W - w), rng.uniform(0, H - h)
        out.append([round(x), round(y), round(x + w), round(y + h)])
    return out


def _rows(dialect: str, seed: int = 0, tags: bool = False):
    rows = []
    for b in _boxes(seed):
        text = WRITERS[dialect](b)
        if tags:
            text = f"<think>one cat</think><answer>{text}</answer>"
        rows.append({"completion": text, "ground_truth": {"boxes": [b], "image_size": [W, H]}, "reward": "grounding.iou"})
    return rows


# The default reading (visual_rft: every generic payload in norm1000) already reads the
# files of these dialects right (or, for DeepSeek-VL2's 0..999 grid, within 0.1%): they
# are scored with a wrong frame instead.
GENERIC = ("visual_rft", "qwen2_vl", "qwen3_vl", "internvl")
WRONG = {d: ({"pred_frame": "pixel"} if d in (*GENERIC, "deepseek_vl2") else {}) for d in WRITERS}


@pytest.mark.parametrize("dialect", sorted(WRITERS))
def test_doctor_names_the_right_reading(dialect):
    rows = _rows(dialect, tags=dialect == "visual_rft")
    truth = diagnose(rows, "grounding.iou", {"gt_frame": "pixel", "dialect": dialect})
    assert truth["verdict"] is None and truth["current"]["mean_score"] > 0.7, truth["current"]
    d = diagnose(rows, "grounding.iou", {"gt_frame": "pixel", **WRONG[dialect]})
    assert d["verdict"] is not None, d["current"]
    best = d["best"]
    assert best["mean_score"] >= truth["current"]["mean_score"] - 1e-9
    assert best["mean_score"] - (d["current"]["mean_score"] or 0) >= 0.1
    assert best["frame"] == get_dialect(dialect).frame and best["gt_frame"] == "pixel", best
    if dialect in GENERIC:  # the generic reader in its own frame: drop the wrong pred_frame
        assert best["dialect"] == "visual_rft" and "--param pred_frame=norm1000" in d["verdict"]
    else:
        assert best["dialect"] == dialect and f"--param dialect={dialect}" in d["verdict"]


def test_doctor_finds_the_ground_truth_frame():
    rows = _rows("qwen3_vl")
    for r in rows:  # ground truth written in norm1000 this time
        r["ground_truth"] = {"boxes": [[round(v) for v in _n1000(r["ground_truth"]["boxes"][0])]]}
        r["image_size"] = [W, H]
    d = diagnose(rows, "grounding.iou", {"gt_frame": "pixel", "dialect": "qwen3_vl"})
    assert d["best"]["gt_frame"] == "norm1000" and "--param gt_frame=norm1000" in d["verdict"]


def test_doctor_on_points():
    rows = []
    for b in _boxes(1):
        cx, cy = (b[0] + b[2]) / 2 / W * 100, (b[1] + b[3]) / 2 / H * 100
        rows.append({"completion": f'<point x="{cx:.1f}" y="{cy:.1f}" alt="cat">cat</point>',
                     "ground_truth": {"boxes": [b], "image_size": [W, H]}})
    d = diagnose(rows, "point.in_box", {"gt_frame": "pixel"})
    assert d["best"]["dialect"] == "molmo" and d["best"]["mean_score"] == 1.0
    assert "--param dialect=molmo" in d["verdict"]


def test_no_verdict_when_the_reading_fits():
    d = diagnose(_rows("qwen2_5_vl"), "grounding.iou", {"gt_frame": "pixel", "dialect": "qwen2_5_vl"})
    assert d["verdict"] is None
    assert d["current"]["mean_score"] == d["best"]["mean_score"]
    assert math.isclose(d["current"]["read_rate"], 1.0)


def test_doctor_errors():
    with pytest.raises(ValueError, match="reads no coordinates"):
        diagnose([{"completion": "a", "ground_truth": "a"}], "visual_rft.classification")
    with pytest.raises(ValueError, match="with a completion and a ground truth"):
        diagnose([{"completion": "a"}], "grounding.iou")
    with pytest.raises(ValueError, match="reward name"):
        diagnose([{"completion": "a", "ground_truth": [1, 2, 3, 4]}])


def _write(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_cli_doctor_text_and_json(tmp_path, capsys):
    f = _write(tmp_path / "pali.jsonl", _rows("paligemma"))
    assert main(["doctor", str(f), "--param", "gt_frame=pixel"]) == 0
    out = capsys.readouterr().out
    assert "paligemma" in out and "add --param dialect=paligemma" in out and "* visual_rft" in out
    assert main(["doctor", str(f), "--reward", "grounding.iou", "--param", "gt_frame=pixel", "--json", "--limit", "5"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert set(d) >= {"reward", "current", "best", "candidates", "verdict"}
    assert set(d["best"]) >= {"dialect", "pred_frame", "gt_frame", "mean_score"}
    assert d["n_rows"] == 5 and d["best"]["dialect"] == "paligemma"


@pytest.mark.parametrize(
    ("argv", "msg"),
    [
        (["doctor", "/nonexistent.jsonl"], "no such file"),
        (["doctor", "{f}", "--reward", "grounding.iuo"], "did you mean"),
        (["doctor", "{f}", "--reward", "count.exact"], "reads no coordinates"),
        (["doctor", "{f}", "--limit", "0"], "--limit"),
    ],
)
def test_cli_doctor_errors_one_line(tmp_path, capsys, argv, msg):
    f = _write(tmp_path / "a.jsonl", _rows("gemini")[:2])
    assert main([a.replace("{f}", str(f)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rewardkit: error:") and msg in err and len(err.strip().splitlines()) == 1


def test_score_summary_warns_when_the_reading_is_clearly_worse(tmp_path, capsys):
    f = _write(tmp_path / "gem.jsonl", _rows("gemini"))
    summary = tmp_path / "s.json"
    assert main(["score", str(f), "--param", "gt_frame=pixel", "-o", str(tmp_path / "o.jsonl"),
                 "--summary-json", str(summary)]) == 0
    out = capsys.readouterr().out
    assert "warning: grounding.iou: predictions look like gemini" in out and "--param dialect=gemini" in out
    assert json.loads(summary.read_text())["warnings"]
    assert main(["score", str(f), "--param", "gt_frame=pixel", "--param", "dialect=gemini",
                 "-o", str(tmp_path / "o.jsonl")]) == 0
    assert "warning:" not in capsys.readouterr().out


def test_a_reading_that_makes_ground_truths_unusable_is_never_best(tmp_path):
    """Regression: on the example file, reading the ground truth as norm1 turns every
    box ground truth into bad_ground_truth; the few rows left (empty on empty) scored the
    maximum, and doctor advised gt_frame=norm1. A reading that loses rows cannot win."""
    root = Path(__file__).resolve().parents[2]
    from rewardkit.io import iter_jsonl

    rows = [r.data for r in iter_jsonl(root / "examples" / "data" / "preds.jsonl") if r.data is not None]
    rows = [r for r in rows if r.get("reward") == "visual_rft.detection" and not r.get("params")]
    d = diagnose(rows, "visual_rft.detection", {})
    assert d["verdict"] is None, d["verdict"]
    assert d["best"]["gt_frame"] == "norm1000"
