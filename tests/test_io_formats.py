"""Inputs beyond JSONL: Parquet, Hugging Face ``save_to_disk`` folders, folders and globs of
shards, veRL rollout dumps and training Parquet (no flags); Parquet output; the chunked
reader of the Ray engine equals the streaming reader row for row."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest

from rewardkit.cli import main
from rewardkit.io import (
    InputFile,
    count_lines,
    default_output_for,
    input_files,
    iter_rows,
    plan_chunks,
    read_chunk,
)
from tests._helpers.hostile_rows import write_hostile_jsonl

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "data" / "preds.jsonl"
DET = "<think>c</think><answer>[{{'Position': [{x}, {x}, {y}, {y}], 'Confidence': 0.7}}]</answer>"


def _rows(path) -> list[tuple]:
    return [(r.line, r.data, r.error) for r in iter_rows(path)]


def _chunked(path, **kw) -> list[tuple]:
    # n_bytes (a progress-bar count) is left out: blank lines at a chunk's end count in no row
    return [(r.line, r.data, r.error) for c in plan_chunks(path, **kw) for r in read_chunk(c)]


def _physical_lines(path) -> int:
    with open(path, "rb") as fh:  # lines end at \n only, as iter_jsonl reads them
        return sum(1 for _ in fh)


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# ----------------------------------------------------------------------------- chunks


@pytest.mark.parametrize("chunk_bytes", [1, 97, 4096, 1 << 22])
def test_chunked_jsonl_reading_equals_the_streaming_reader(tmp_path, chunk_bytes):
    src = write_hostile_jsonl(tmp_path / "h.jsonl", 1500, seed=chunk_bytes)
    assert _chunked(src, chunk_bytes=chunk_bytes) == _rows(src)
    assert count_lines(InputFile(str(src), "jsonl")) == _physical_lines(src)


@pytest.mark.parametrize("content", [b"", b"\n", b"\r", b"\r\n\r\n", b'{"a": 1}', b'{"a": 1}\r', b"\r\n{}\r\r\n\n{}"])
def test_line_counting_edge_cases(tmp_path, content):
    src = tmp_path / "e.jsonl"
    src.write_bytes(content)
    assert count_lines(InputFile(str(src), "jsonl")) == _physical_lines(src)
    assert _chunked(src, chunk_bytes=1) == _rows(src)


def test_folders_globs_and_gzip_number_lines_across_files(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    d = tmp_path / "shards"
    (d / "sub").mkdir(parents=True)
    clean = [{"id": i, "reward": "count.exact", "completion": f"<answer>{i % 3}</answer>", "ground_truth": 1} for i in range(7)]
    text = "".join(json.dumps(r) + "\n" for r in clean).encode()
    (d / "a.jsonl").write_bytes(text + b"\n\n")  # two trailing blank lines still count
    with gzip.open(d / "b.jsonl.gz", "wb") as fh:
        fh.write(text)
    rows = clean
    pq.write_table(pa.Table.from_pylist(rows), d / "sub" / "c.parquet", row_group_size=3)
    (d / "_SUCCESS").write_text("")
    (d / "notes.txt").write_text("not data")
    files = input_files(d)
    assert [Path(f.path).name for f in files] == ["a.jsonl", "b.jsonl.gz", "c.parquet"]
    got = _rows(d)
    n_a = text.count(b"\n") + 2
    n_b = text.count(b"\n")
    assert [r[0] for r in got] == (
        [i + 1 for i in range(len(rows))] + [n_a + i + 1 for i in range(len(rows))] + [n_a + n_b + i + 1 for i in range(len(rows))]
    )
    assert [r[1] for r in got] == rows * 3
    assert _chunked(d, chunk_bytes=300, chunk_rows=2) == got
    assert _rows(str(d / "*.jsonl*")) == got[: 2 * len(rows)]
    assert default_output_for(d) == tmp_path / "shards.scored.jsonl"
    assert default_output_for(str(d / "*.jsonl")) == d / "scored.jsonl"
    assert default_output_for(d / "sub" / "c.parquet") == d / "sub" / "c.scored.jsonl"


def test_missing_inputs_and_dataset_dicts_are_one_line_errors(tmp_path, capsys):
    assert main(["score", str(tmp_path / "nope.jsonl"), "-q"]) == 2
    assert "No such file" in capsys.readouterr().err
    assert main(["score", str(tmp_path / "*.parquet"), "-q"]) == 2
    assert "Expected files matching" in capsys.readouterr().err
    dd = tmp_path / "dd"
    (dd / "train").mkdir(parents=True)
    (dd / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}))
    assert main(["score", str(dd), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rewardkit: error: Expected one split") and "dd/train" in err and err.count("\n") == 1


def test_without_pyarrow_parquet_is_a_one_line_error_naming_the_extra(tmp_path, capsys, monkeypatch):
    pytest.importorskip("pyarrow")
    src = tmp_path / "x.parquet"
    src.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    assert main(["score", str(src), "--reward", "count.exact", "-q"]) == 2
    err = capsys.readouterr().err
    assert "rewardkit[parquet]" in err and err.count("\n") == 1


# ----------------------------------------------------------------------------- veRL layouts


def test_verl_training_parquet_scores_with_no_flags(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    from rewardkit.adapters.verl import compute_score, make_row, write_parquet

    rows = []
    for i in range(6):
        x = 20 * i
        row = make_row(prompt="Find the cat.", ground_truth=[[x, x, x + 100, x + 100]], reward="visual_rft.detection",
                       images=["img.png"], image_size=(640, 480), index=i)  # fmt: skip
        if i % 2:  # routed by data_source alone (a registered reward name)
            row["extra_info"] = {k: v for k, v in row["extra_info"].items() if k != "reward"}
            row["data_source"] = "visual_rft.detection"
        rows.append(row)
    path = Path(write_parquet(rows, str(tmp_path / "train.parquet")))
    # what veRL's generation writes back: n responses per prompt
    frame = pd.read_parquet(path)
    frame["responses"] = [[DET.format(x=20 * i, y=20 * i + 100), "no answer"] for i in range(6)]
    frame.to_parquet(path)
    out = tmp_path / "scored.jsonl"
    assert main(["score", str(path), "-o", str(out), "-q"]) == 0
    scored = _read(out)
    assert [r["id"] for r in scored] == [f"{i + 1}#{k}" for i in range(6) for k in range(2)]
    assert [r["line"] for r in scored] == [i + 1 for i in range(6) for _ in range(2)]
    assert {r["reward"] for r in scored} == {"visual_rft.detection"}
    # the same numbers as the veRL adapter computes in training
    for i, r in enumerate(scored):
        src = rows[i // 2]
        ref = compute_score(src["data_source"], frame["responses"][i // 2][i % 2], src["reward_model"]["ground_truth"], src["extra_info"])
        assert r["score"] == ref["score"]
    # a training Parquet without responses: every row says what is missing (exit 1: all failed)
    plain = tmp_path / "plain.parquet"
    write_parquet(rows, str(plain))
    assert main(["score", str(plain), "-o", str(tmp_path / "p.jsonl"), "-q"]) == 1
    assert {r["reason"] for r in _read(tmp_path / "p.jsonl")} == {"missing_field:completion"}


def test_verl_rollout_dump_scores_with_no_flags_but_the_reward(tmp_path):
    # trainer.rollout_data_dir/<step>.jsonl, as RayPPOTrainer._write_generations writes it
    dump = tmp_path / "12.jsonl"
    lines = []
    for i in range(4):
        x = 100 * i
        lines.append(json.dumps({"input": "user\nWhere is the dog?\nassistant\n", "output": f"<answer>[{x}, {x}, {x + 50}, {x + 50}]</answer>",
                                 "gts": json.dumps([x, x, x + 50, x + 60 * (i % 2) + 50]), "score": 0.0, "step": 12,
                                 "iou": 0.5, "applicable": 1.0}))  # fmt: skip
    dump.write_text("\n".join(lines) + "\n")
    out = tmp_path / "s.jsonl"
    assert main(["score", str(dump), "--reward", "grounding.iou", "-o", str(out), "-q"]) == 0
    scored = _read(out)
    assert [r["score"] for r in scored] == pytest.approx([1.0, 50 * 50 / (50 * 110), 1.0, 50 * 50 / (50 * 110)])
    # the dump's step reaches a scheduled reward (Vision-R1's progressive thresholds)
    vr1 = tmp_path / "vr1.jsonl"
    comp = '<think>x</think><answer>[{"bbox_2d": [0, 0, 100, 60], "label": "cat"}]</answer>'
    vr1.write_text("\n".join(json.dumps({"input": "q", "output": comp, "gts": "[[0, 0, 100, 100]]", "step": s}) for s in (1, 9)) + "\n")
    assert main(["score", str(vr1), "--reward", "vision_r1.localization", "--param", "max_steps=10", "-o", str(out), "-q"]) == 0
    assert [r["score"] for r in _read(out)] == pytest.approx([2.6, 1.0])


def test_hf_save_to_disk_folder_and_parquet_output(tmp_path):
    datasets = pytest.importorskip("datasets")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [
        {"id": "a", "reward": "visual_rft.detection", "completion": DET.format(x=10, y=200), "ground_truth": "[[10, 10, 200, 210]]"},
        {"id": "b", "reward": "grounding.iou", "completion": "<answer>[1, 2, 30, 40]</answer>", "ground_truth": "[0, 2, 30, 40]"},
        {"id": "c", "reward": "count.exact", "completion": "<answer>3</answer>", "ground_truth": "3"},
        {"id": "d", "reward": "visual_rft.classification", "completion": "no tags", "ground_truth": "rose"},
        {"id": "e", "reward": "visual_rft.detecton", "completion": "x", "ground_truth": "[]"},
    ] * 3
    ds_dir = tmp_path / "ds"
    datasets.Dataset.from_list(rows).save_to_disk(str(ds_dir))
    jl = tmp_path / "rows.jsonl"
    jl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["score", str(ds_dir), "-o", str(tmp_path / "a.jsonl"), "-q"]) == 0
    assert main(["score", str(jl), "-o", str(tmp_path / "b.jsonl"), "-q"]) == 0
    a, b = _read(tmp_path / "a.jsonl"), _read(tmp_path / "b.jsonl")
    assert [(r["id"], r["score"], r["reason"]) for r in a] == [(r["id"], r["score"], r["reason"]) for r in b]
    assert main(["score", str(jl), "-o", str(tmp_path / "b.parquet"), "-q"]) == 0
    table = pq.read_table(tmp_path / "b.parquet")
    assert table.column_names == ["id", "line", "reward", "score", "components", "reason"]
    back = table.to_pylist()
    assert [r["line"] for r in back] == [r["line"] for r in b]
    assert [r["score"] for r in back] == [r["score"] for r in b]
    assert [dict(r["components"]) for r in back] == [r["components"] for r in b]
    assert [r["id"] for r in back] == [r["id"] for r in b]
    assert [r["reason"] for r in back] == [r["reason"] for r in b] and any(r["reason"] for r in b)
