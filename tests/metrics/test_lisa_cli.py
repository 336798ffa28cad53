"""`rewardkit eval lisa` / `eval sod` kinds (called through their own sub-parser)."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from rewardkit.cli.eval_masks import register_kinds
from rewardkit.parsing.masks import to_rle
from tests._helpers import DATA

FIXTURES = DATA


def _run(argv):
    parser = argparse.ArgumentParser()
    register_kinds(parser.add_subparsers(dest="kind"))
    args = parser.parse_args(argv)
    return args.func(args)


def _masks():
    a = np.zeros((8, 8), bool)
    a[:4] = True
    b = np.zeros((8, 8), bool)
    b[:, :4] = True
    return a, b


def test_lisa_rle_json_keyed_and_png_dirs(tmp_path, capsys):
    from PIL import Image

    a, b = _masks()
    (tmp_path / "gt.json").write_text(json.dumps([{"image_id": 1, "segmentation": to_rle(a)}, {"image_id": 2, "segmentation": to_rle(b)}]))
    (tmp_path / "pred.json").write_text(json.dumps({"2": to_rle(b), "1": to_rle(b)}))
    assert _run(["lisa", "--gt", str(tmp_path / "gt.json"), "--pred", str(tmp_path / "pred.json"), "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == 2
    assert out["gIoU"] == pytest.approx((16 / (48 + 1e-5) + 32 / (32 + 1e-5)) / 2)
    assert out["cIoU"] == pytest.approx(48 / 80)
    for name, m in (("gt", a), ("pred", a)):
        d = tmp_path / name
        d.mkdir()
        Image.fromarray(m.astype(np.uint8) * 255).save(d / "x.png")
    assert _run(["lisa", "--gt", str(tmp_path / "gt"), "--pred", str(tmp_path / "pred"), "--mode", "seg_r1"]) == 0
    assert "gIoU" in capsys.readouterr().out
    with pytest.raises(ValueError, match="does not exist"):
        _run(["lisa", "--gt", str(tmp_path / "gt"), "--pred", str(tmp_path / "nope")])


def test_sod_on_fixture(capsys):
    assert _run(["sod", "--gt", str(FIXTURES / "sod" / "masks"), "--pred", str(FIXTURES / "sod" / "preds"), "--json", "-", "-q"]) == 0
    out = json.loads(capsys.readouterr().out)
    expected = json.loads((FIXTURES / "expected.json").read_text())["sod"]["values"]
    for k, v in expected.items():
        assert out[k] == pytest.approx(v, abs=1e-12)
