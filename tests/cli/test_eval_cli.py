"""``rewardkit eval coco | lvis | refcoco | classification`` end to end on small files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rewardkit.cli import main
from tests._helpers import DATA

FIX = DATA


def _expected():
    return json.loads((FIX / "expected.json").read_text())


def test_coco_table_json_subset(tmp_path, capsys):
    exp = _expected()
    out = tmp_path / "out.json"
    rc = main([
        "eval", "coco", "--gt", str(FIX / "coco/instances_val2014_100.json"),
        "--pred", str(FIX / "coco/fakebbox100_results.json"), "--json", str(out),
        "--per-category", "--categories", "bus,train,dog", "--ov-coco", "-q",
    ])  # fmt: skip
    assert rc == 0
    text = capsys.readouterr().out
    assert "AP50" in text and "50.5" in text and "nAP50" in text and "subset" in text
    data = json.loads(out.read_text())
    assert data["stats"] == exp["coco_bbox"]["stats"]
    assert data["AP"] == exp["coco_bbox"]["stats"][0]
    assert {"subset", "ov_coco", "per_category"} <= set(data)
    arrays = np.load(tmp_path / "out.npz")
    assert arrays["precision"].shape == (10, 101, 80, 4, 3)


def test_coco_segm_and_keypoints(capsys):
    exp = _expected()
    assert main(["eval", "coco", "--gt", str(FIX / "coco/instances_val2014_100.json"),
                 "--pred", str(FIX / "coco/fakesegm100_results.json"), "--iou-type", "segm", "-q"]) == 0  # fmt: skip
    assert f"{exp['coco_segm']['stats'][0] * 100:.1f}" in capsys.readouterr().out
    assert main(["eval", "coco", "--gt", str(FIX / "keypoints/gt.json"),
                 "--pred", str(FIX / "keypoints/dt.json"), "--iou-type", "keypoints", "-q"]) == 0  # fmt: skip
    assert "AR50" in capsys.readouterr().out


def test_coco_from_completions(tmp_path, capsys):
    gt = {
        "images": [{"id": 1, "width": 200, "height": 100}],
        "categories": [{"id": 3, "name": "dog"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 3, "bbox": [0, 0, 100, 50], "area": 5000, "iscrowd": 0}],
    }
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    rows = [{"image_id": 1, "completion": '<answer>[{"bbox_2d": [0, 0, 500, 500], "label": "Dog"}]</answer>'}]
    (tmp_path / "pred.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    out = tmp_path / "o.json"
    rc = main(["eval", "coco", "--gt", str(tmp_path / "gt.json"), "--pred", str(tmp_path / "pred.jsonl"),
               "--frame", "norm1000", "--json", str(out), "-q"])  # fmt: skip
    assert rc == 0
    data = json.loads(out.read_text())
    assert data["AP"] == pytest.approx(1.0, abs=1e-12)
    assert data["conversion"]["frame"] == "norm1000" and data["conversion"]["n_boxes"] == 1
    assert "frame=norm1000" in capsys.readouterr().out


def test_lvis_fixture(tmp_path, capsys):
    exp = _expected()
    out = tmp_path / "l.json"
    rc = main(["eval", "lvis", "--gt", str(FIX / "lvis/lvis_val_100.json"),
               "--pred", str(FIX / "lvis/synth_seed1_cap_dets.json"), "--json", str(out), "-q"])  # fmt: skip
    assert rc == 0
    data = json.loads(out.read_text())
    for k, v in exp["lvis_seed1_cap"]["results"].items():
        assert data[k] == v
    assert "APr" in capsys.readouterr().out


def test_refcoco_and_classification(tmp_path, capsys):
    rows = [
        {"completion": "<answer>[0, 0, 100, 100]</answer>", "ground_truth": [0, 0, 100, 100]},
        {"completion": "<answer>[0, 0, 100, 50]</answer>", "ground_truth": [0, 0, 100, 100]},
        {"completion": "nothing", "ground_truth": [0, 0, 100, 100]},
    ]
    f = tmp_path / "ref.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in rows))
    out = tmp_path / "ref.json"
    assert main(["eval", "refcoco", "--pred", str(f), "--json", str(out)]) == 0
    assert json.loads(out.read_text())["acc"] == pytest.approx(2 / 3)
    assert main(["eval", "refcoco", "--pred", str(f), "--comparison", ">", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["acc"] == pytest.approx(1 / 3)
    assert "Acc@0.5" in capsys.readouterr().out

    rows = [{"completion": "<answer>Cat</answer>", "ground_truth": "cat"},
            {"completion": "<answer>dog</answer>", "ground_truth": "cat"}]  # fmt: skip
    f = tmp_path / "cls.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in rows))
    assert main(["eval", "classification", "--pred", str(f), "--json", str(out)]) == 0
    assert json.loads(out.read_text())["accuracy"] == 0.5
    rows = [{"completion": "<answer>3</answer>", "ground_truth": 3}, {"completion": "<answer>4</answer>", "ground_truth": 6}]
    f.write_text("\n".join(json.dumps(r) for r in rows))
    assert main(["eval", "classification", "--task", "counting", "--pred", str(f), "--json", str(out)]) == 0
    assert json.loads(out.read_text())["accuracy"] == 0.5


def test_plot(tmp_path):
    _expected()
    pytest.importorskip("matplotlib")
    png = tmp_path / "pr.png"
    assert main(["eval", "coco", "--gt", str(FIX / "coco/instances_val2014_100.json"),
                 "--pred", str(FIX / "coco/fakebbox100_results.json"), "--plot", str(png), "-q"]) == 0  # fmt: skip
    assert png.stat().st_size > 1000


def test_errors(tmp_path):
    assert main(["eval", "coco", "--gt", str(tmp_path / "missing.json"), "--pred", "x.json"]) == 2
    assert main(["eval"]) == 2
