"""``rewardkit score --engine ray`` and ``rewardkit eval coco --engine ray`` on a local Ray
(2 CPUs, started once for the module): the same bytes as the local run.

The 100,000-row file with hostile rows is generated in the test; its local reference
runs in a subprocess before Ray starts (a process pool must not fork a process that
runs Ray). Ray starts once for the module.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from rewardkit.cli import main  # noqa: E402
from tests._helpers.hostile_rows import write_hostile_jsonl  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
N_ROWS = 100_000


def _local(args: list[str]) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "rewardkit.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """The 100k-row hostile file and its local (one process) output, made before Ray starts."""
    d = tmp_path_factory.mktemp("big")
    src = write_hostile_jsonl(d / "rollouts.jsonl", N_ROWS, seed=14)
    t0 = time.perf_counter()
    # a process pool (same output as one process, tests/cli) to keep CI short
    _local(["score", str(src), "-o", str(d / "local.jsonl"), "-q", "--workers", "2", "--summary-json", str(d / "local.summary.json")])
    return src, d, time.perf_counter() - t0


@pytest.fixture(scope="module")
def local_ray(big):
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    yield ray
    if started:
        ray.shutdown()


def test_100k_hostile_rows_ray_output_equals_local(big, local_ray, capsys):
    src, d, t_local = big
    t0 = time.perf_counter()
    out = d / "ray.jsonl"
    assert main(["score", str(src), "-o", str(out), "-q", "--engine", "ray", "--workers", "2",
                 "--summary-json", str(d / "ray.summary.json")]) == 0  # fmt: skip
    t_ray = time.perf_counter() - t0
    local = (d / "local.jsonl").read_bytes()
    assert out.read_bytes() == local  # same bytes, same order
    rows = [json.loads(line) for line in local.decode().splitlines()]
    n_physical = src.read_bytes().count(b"\n") + 1  # lines end at \n only; the last has none
    assert rows[-1]["line"] == n_physical and len(rows) > 0.9 * N_ROWS  # blank lines give no row
    reasons = {str(r["reason"]).split(":")[0] for r in rows}
    assert {"invalid_json", "not_an_object", "unknown_reward", "missing_field", "bad_params"} <= reasons
    assert json.loads((d / "ray.summary.json").read_text()) == json.loads((d / "local.summary.json").read_text())
    with capsys.disabled():
        print(f"\n[ray engine] {len(rows)} rows: local --workers 2 {t_local:.1f} s, --engine ray --workers 2 {t_ray:.1f} s")


def test_lost_worker_is_retried_without_duplicate_rows(big, local_ray, tmp_path):
    from ray import cloudpickle

    import tests._helpers.ray_faults as faults
    from rewardkit.engines.ray import score_chunks
    from rewardkit.io import plan_chunks

    src, d, _ = big
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"\n".join(src.read_bytes().split(b"\n")[:3000]))
    chunks = plan_chunks(small, chunk_bytes=64 << 10)
    assert len(chunks) >= 4
    cloudpickle.register_pickle_by_value(faults)
    try:
        scorer = faults.dies_once(str(tmp_path / "died"), chunks[2].first_line)
        got = list(score_chunks(small, workers=2, chunk_bytes=64 << 10, scorer_cls=scorer))
    finally:
        cloudpickle.unregister_pickle_by_value(faults)
    assert (tmp_path / "died").exists()  # the worker did die
    local = tmp_path / "local.jsonl"
    assert main(["score", str(small), "-o", str(local), "-q"]) == 0
    assert "".join(text for text, _ in got) == local.read_text(encoding="utf-8")


def _verl_rows(n: int) -> list[dict]:
    """veRL training rows (make_row layout) with a ``responses`` column of 2 samples."""
    rows = []
    for i in range(n):
        x = 10 * (i % 50)
        gt = json.dumps([[x, x, x + 100, x + 100]])
        rows.append({
            "data_source": "visual_rft.detection" if i % 3 else "coco",
            "prompt": [{"role": "user", "content": "<image>Find the cat."}],
            "ability": "detection",
            "reward_model": {"style": "rule", "ground_truth": gt},
            "extra_info": {"index": i, "reward": "visual_rft.detection" if i % 3 == 0 else None,
                           "image_size": [640, 480], "reward_params": "{}"},
            "responses": [f"<think>c</think><answer>[{{'Position': [{x}, {x}, {x + 100}, {x + 90}], 'Confidence': 0.7}}]</answer>",
                          "no box"],
        })  # fmt: skip
    return rows


def test_parquet_hf_and_gzip_inputs_on_ray_equal_local(local_ray, tmp_path):
    import gzip

    datasets = pytest.importorskip("datasets")
    rows = _verl_rows(400)
    hf = tmp_path / "hf"
    datasets.Dataset.from_list(rows).save_to_disk(str(hf))
    # one folder: gzip JSONL (staged for byte ranges), plain JSONL and Parquet with 3 row groups
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    src = ROOT / "examples" / "data" / "preds.jsonl"
    with gzip.open(mixed / "a.jsonl.gz", "wb") as fh:
        fh.write(src.read_bytes() * 40)
    (mixed / "b.jsonl").write_bytes(src.read_bytes())
    pq.write_table(pa.Table.from_pylist(rows), mixed / "c.parquet", row_group_size=150)
    for name, inp in (("hf", hf), ("mixed", mixed)):
        local, remote = tmp_path / f"{name}.local.jsonl", tmp_path / f"{name}.ray.parquet"
        assert main(["score", str(inp), "-o", str(local), "-q"]) == 0
        assert main(["score", str(inp), "-o", str(tmp_path / f"{name}.local.parquet"), "-q"]) == 0
        assert main(["score", str(inp), "-o", str(remote), "-q", "--engine", "ray", "--workers", "2", "--keep-shards"]) == 0
        assert pq.read_table(remote).equals(pq.read_table(tmp_path / f"{name}.local.parquet")), name
        shards = sorted((tmp_path / f"{name}.ray.parquet.shards").glob("part-*.jsonl"))
        assert len(shards) >= (1 if name == "hf" else 3) and "".join(p.read_text(encoding="utf-8") for p in shards) == local.read_text(encoding="utf-8"), name
    scored = [json.loads(line) for line in (tmp_path / "hf.local.jsonl").read_text().splitlines()]
    assert len(scored) == 800 and scored[0]["id"] == "1#0" and scored[1]["id"] == "1#1"
    assert {r["reward"] for r in scored} == {"visual_rft.detection"}


def test_eval_coco_engine_ray_shards_equals_one_pass(local_ray, tmp_path):
    from tests._helpers.coco_synth import synthetic_coco

    gt, dt = synthetic_coco(5, n_images=40, score_mode="ties")
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    common = ["eval", "coco", "--gt", str(tmp_path / "gt.json"), "--pred", str(tmp_path / "dt.json"), "-q"]
    assert main([*common, "--json", str(tmp_path / "one.json")]) == 0
    assert main([*common, "--engine", "ray", "--shards", "5", "--json", str(tmp_path / "ray.json")]) == 0
    one, sharded = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("one", "ray"))
    assert sharded["stats"] == one["stats"] and sharded["per_category"] == one["per_category"]
    import numpy as np

    a, b = np.load(tmp_path / "one.npz"), np.load(tmp_path / "ray.npz")
    assert all(np.array_equal(a[k], b[k]) for k in ("precision", "recall", "scores"))
