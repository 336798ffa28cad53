"""A user's first hour (issue 11): every ordinary mistake ends in ONE line
``rewardkit: error: ...`` on stderr and a non-zero exit (2 for a mistake on the command
line, 1 when the file holds no usable row), never a traceback; ``--debug`` shows it."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rewardkit.cli import main
from tests._helpers import DATA

ROOT = Path(__file__).resolve().parents[2]
GT = str(DATA / "coco/instances_val2014_100.json")
DT = str(DATA / "coco/fakebbox100_results.json")


def _one_line(capsys, code, argv) -> str:
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == code, (rc, err)
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("rewardkit: error: "), err
    return lines[0]


@pytest.fixture
def files(tmp_path):
    rows = [{"id": i, "completion": "<answer>[0, 0, 10, 10]</answer>", "ground_truth": [0, 0, 10, 10]} for i in range(3)]
    jsonl = tmp_path / "preds.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = json.loads(Path(DT).read_text())
    bad_img = tmp_path / "bad_image.json"
    bad_img.write_text(json.dumps([{**res[0], "image_id": 999999999}] + res[1:]))
    csv = tmp_path / "preds.csv"
    csv.write_text("image_id,category_id,x,y,w,h,score\n1,2,3,4,5,6,0.9\n")
    (tmp_path / "no_data").mkdir()
    (tmp_path / "no_data" / "notes.txt").write_text("not rows")
    return {"jsonl": jsonl, "bad_img": bad_img, "csv": csv, "dir": tmp_path}


CASES = {
    "audit unknown reward": (["audit", "grounding.iouu"], "did you mean 'grounding.iou'"),
    "audit unknown param": (["audit", "grounding.iou", "--param", "multipel=first"], "did you mean 'multiple'"),
    "audit bad param value": (["audit", "grounding.iou", "--param", "multiple=frist"], "did you mean 'first'"),
    # a folder is an input (its shards); one without JSONL / Parquet / Arrow files is a mistake
    "score a folder without data": (["score", "{dir}/no_data"], "Expected JSONL, Parquet or Arrow files in the folder"),
    "score a glob matching nothing": (["score", "{dir}/*.parquet"], "Expected files matching"),
    "score missing file": (["score", "{dir}/nope.jsonl"], "No such file"),
    "refcoco missing pred": (["eval", "refcoco", "--pred", "{dir}/nope.jsonl"], "No such file"),
    "coco image id not in gt": (["eval", "coco", "--gt", GT, "--pred", "{bad_img}", "-q"], "999999999"),
    "coco gt and pred swapped": (["eval", "coco", "--gt", DT, "--pred", GT, "-q"], "did you swap --gt and --pred"),
    "coco unknown category": (["eval", "coco", "--gt", GT, "--pred", DT, "--categories", "catt", "-q"], "'cat'"),
    "coco csv predictions": (["eval", "coco", "--gt", GT, "--pred", "{csv}", "-q"], "looks like CSV"),
    "lvis on a coco gt": (["eval", "lvis", "--gt", GT, "--pred", DT, "-q"], "use `rewardkit eval coco`"),
    "missing required option": (["eval", "coco", "--gt", GT], "--pred"),
    "bad option value": (["eval", "coco", "--gt", GT, "--pred", DT, "--iou-type", "box"], "invalid choice"),
    "list unknown task": (["list", "--task", "detectoin"], "the tasks are"),
    "score param name typo": (["score", "{jsonl}", "--param", "pred_fram=pixel"], "did you mean 'pred_frame'"),
    "score param value typo": (["score", "{jsonl}", "--param", "pred_frame=pixels"], "did you mean 'pixel'"),
    "score param for the reward": (["score", "{jsonl}", "--reward", "grounding.iou", "--param", "iou_threshold=0.5"], "no parameter 'iou_threshold'"),
    "score unknown reward": (["score", "{jsonl}", "--reward", "grounding.iouu"], "did you mean"),
    "score -o equal to input": (["score", "{jsonl}", "-o", "{jsonl}"], "Refusing to write the output over the input"),
    "score stdin without -o": (["score", "-"], "give -o"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_mistake_is_one_line_exit_2(case, files, capsys):
    argv, needle = CASES[case]
    argv = [a.format(**{k: str(v) for k, v in files.items()}) for a in argv]
    line = _one_line(capsys, 2, argv)
    assert needle in line, line
    if case == "coco unknown category":  # checked before the evaluation: no table printed
        assert capsys.readouterr().out == ""


def test_param_checked_before_any_row_is_read(tmp_path, capsys):
    out = tmp_path / "o.jsonl"
    _one_line(capsys, 2, ["score", str(DATA / "coco/instances_val2014_100.json"), "-o", str(out), "--param", "pred_fram=pixel"])
    assert not out.exists() and not list(tmp_path.iterdir())


def test_read_only_output_folder(tmp_path, capsys, monkeypatch):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"reward": "grounding.iou", "completion": "x", "ground_truth": [0, 0, 1, 1]}) + "\n")
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() == 0:  # root ignores permission bits: make the folder refuse like a read-only one
        monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == ro else True)
    else:
        ro.chmod(0o555)
    line = _one_line(capsys, 2, ["score", str(src), "-o", str(ro / "out.jsonl")])
    assert "permission denied" in line.lower() and str(ro) in line


@pytest.mark.parametrize(("content", "needle"), [
    (b"a,b,c\n1,2,3\n4,5,6\n", "this looks like CSV"),
    (b'[{"completion": "x", "ground_truth": [0, 0, 1, 1]}]\n', "JSON array"),
    (b'{"completion": "x"}\n{"completion": "y"}\n', "give --reward NAME"),
    (b'{\n  "completion": "x",\n  "ground_truth": [0, 0, 1, 1]\n}\n', "pretty-printed"),
])
def test_every_row_failing_for_one_reason_exits_1_with_a_hint(content, needle, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_bytes(content)
    line = _one_line(capsys, 1, ["score", str(src), "-o", str(tmp_path / "o.jsonl"), "-q", "--reward", "grounding.iou"]
                     if needle != "give --reward NAME" else ["score", str(src), "-o", str(tmp_path / "o.jsonl"), "-q"])  # fmt: skip
    assert "every row failed" in line and needle in line, line
    assert (tmp_path / "o.jsonl").exists()  # the rows are still written, each with its reason


def test_empty_file_exits_1_no_rows(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text("\n \n")
    line = _one_line(capsys, 1, ["score", str(src), "-o", str(tmp_path / "o.jsonl"), "--reward", "grounding.iou"])
    assert "no rows" in line
    assert not (tmp_path / "o.jsonl").exists()


def test_gzip_without_gz_suffix_is_read(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_bytes(gzip.compress(b'{"completion": "<answer>[0, 0, 1, 1]</answer>", "ground_truth": [0, 0, 1, 1]}\n'))
    out = tmp_path / "o.jsonl"
    assert main(["score", str(src), "-o", str(out), "-q", "--reward", "grounding.iou"]) == 0
    assert json.loads(out.read_text())["score"] == 1.0


def test_summary_prints_first_message_and_never_cuts_a_name(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join([
        json.dumps({"reward": "no.such_reward", "completion": "x", "ground_truth": 1}),
        json.dumps({"reward": "grounding.iou", "completion": "<answer>[0, 0, 1, 1]</answer>", "ground_truth": [0, 0, 1, 1]}),
        "{broken",
    ]) + "\n")  # fmt: skip
    out = tmp_path / "o.jsonl"
    assert main(["score", str(src), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "invalid_json: first: invalid_json: Expecting property name" in text
    assert "unknown_reward: first: unknown_reward: Unknown reward 'no.such_reward'" in text
    from rewardkit.registry import list_rewards

    for row in map(json.loads, out.read_text().splitlines()):
        reason = row["reason"] or ""
        if "available:" in reason:  # cut at a separator, never inside a reward name
            tail = reason.split("available:", 1)[1].removesuffix(" ...")
            assert all(name.strip() in list_rewards() for name in tail.split(","))


def test_list_shows_descriptions_params_and_json_values(capsys):
    assert main(["list", "--task", "grounding"]) == 0
    out = capsys.readouterr().out
    assert "R = IoU(predicted box, ground-truth box)" in out and 'multiple="zero"' in out
    assert main(["list", "--json"]) == 0
    data = {d["name"]: d for d in json.loads(capsys.readouterr().out)}
    assert data["visual_rft.detection"]["params"]["gt_frame"] == "norm1000"  # a JSON value, not "'norm1000'"
    assert data["visual_rft.detection"]["params"]["pred_frame"] is None  # the dialect's frame
    assert data["visual_rft.detection"]["params"]["image_size"] is None
    assert data["grounding.iou"]["choices"]["multiple"] == ["first", "zero"]


def test_json_file_and_stdin_conventions(tmp_path, capsys):
    rows = [{"completion": "<answer>[0, 0, 100, 100]</answer>", "ground_truth": [0, 0, 100, 100]}]
    text = "".join(json.dumps(r) + "\n" for r in rows)
    out = tmp_path / "r.json"
    assert main(["eval", "refcoco", "--pred", str(_write(tmp_path / "r.jsonl", text)), "--json", str(out)]) == 0
    assert json.loads(out.read_text())["acc"] == 1.0
    capsys.readouterr()
    assert main(["eval", "refcoco", "--pred", str(tmp_path / "r.jsonl"), "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["acc"] == 1.0  # the table went to stderr
    proc = subprocess.run([sys.executable, "-m", "rewardkit.cli", "eval", "refcoco", "--pred", "-", "--json", "-"],
                          input=text, capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["acc"] == 1.0
    proc = subprocess.run([sys.executable, "-m", "rewardkit.cli", "score", "-", "-o", "-", "-q", "--reward", "grounding.iou"],
                          input=text, capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["score"] == 1.0


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback_anywhere_on_the_line(where):
    argv = ["audit", "grounding.iouu"]
    argv = ["--debug", *argv] if where == "before" else [*argv, "--debug"]
    proc = subprocess.run([sys.executable, "-m", "rewardkit.cli", *argv], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert "Traceback" in proc.stderr and proc.stderr.rstrip().splitlines()[-1].startswith("rewardkit: error: ")
    proc = subprocess.run([sys.executable, "-m", "rewardkit.cli", "audit", "grounding.iouu"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
