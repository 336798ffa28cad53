"""SOD metrics per image vs PySODMetrics 1.6.2 (same group = same input), and a full folder.

    .venv/bin/pytest benchmarks/bench_sod.py --benchmark-only
    RK_BENCH_FULL=1 .venv/bin/pytest benchmarks/bench_sod.py --benchmark-only   # + 1,000-image folder
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from _harness import label

from rewardkit.metrics.sod import SODMetrics, e_measure, s_measure, sod_evaluate, weighted_f_measure

M = pytest.importorskip("py_sod_metrics")
FULL = os.environ.get("RK_BENCH_FULL") == "1"
SIZES = [(480, 640), (1024, 1024)]


def _pair(h, w, seed=0):
    rng = np.random.default_rng(seed)
    gt = np.zeros((h, w), np.uint8)
    gt[h // 4 : h // 2 + h // 8, w // 3 : w // 2 + w // 6] = 255
    yy, xx = np.mgrid[:h, :w]
    blob = np.exp(-(((yy - 0.4 * h) / (0.15 * h)) ** 2 + ((xx - 0.45 * w) / (0.15 * w)) ** 2))
    pred = np.clip(255 * blob + rng.normal(0, 25, (h, w)), 0, 255).astype(np.uint8)
    return pred, gt


def _ref(cls, pred, gt):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = cls()
        m.step(pred, gt)
    return m


@pytest.mark.parametrize("hw", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("impl", ["rewardkit", "pysodmetrics"])
def test_smeasure(benchmark, hw, impl):
    pred, gt = _pair(*hw)
    label(benchmark, f"sod-S-{hw[0]}x{hw[1]}", impl)
    if impl == "rewardkit":
        benchmark(s_measure, pred, gt)
    else:
        benchmark(_ref, M.Smeasure, pred, gt)


@pytest.mark.parametrize("hw", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("impl", ["rewardkit", "pysodmetrics"])
def test_emeasure(benchmark, hw, impl):
    pred, gt = _pair(*hw)
    label(benchmark, f"sod-E-{hw[0]}x{hw[1]}", impl)
    if impl == "rewardkit":
        benchmark(e_measure, pred, gt)
    else:
        benchmark(_ref, M.Emeasure, pred, gt)


@pytest.mark.parametrize("hw", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("impl", ["rewardkit", "pysodmetrics"])
def test_weighted_fmeasure(benchmark, hw, impl):
    pred, gt = _pair(*hw)
    label(benchmark, f"sod-wF-{hw[0]}x{hw[1]}", impl)
    if impl == "rewardkit":
        benchmark(weighted_f_measure, pred, gt)
    else:
        benchmark(_ref, M.WeightedFmeasure, pred, gt)


def _ref_all(pred, gt):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cls in (M.Smeasure, M.Emeasure, M.WeightedFmeasure, M.Fmeasure, M.MAE):
            cls().step(pred, gt)


@pytest.mark.parametrize("hw", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("impl", ["rewardkit", "pysodmetrics"])
def test_all_metrics_one_image(benchmark, hw, impl):
    pred, gt = _pair(*hw)
    label(benchmark, f"sod-all-{hw[0]}x{hw[1]}", impl)
    if impl == "rewardkit":
        benchmark(lambda: SODMetrics().update(pred, gt))
    else:
        benchmark(_ref_all, pred, gt)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from PIL import Image

    root = tmp_path_factory.mktemp("sod1000")
    (root / "gt").mkdir()
    (root / "pred").mkdir()
    for i in range(1000):
        pred, gt = _pair(480, 640, seed=i)
        Image.fromarray(gt).save(root / "gt" / f"{i:04d}.png")
        Image.fromarray(pred).save(root / "pred" / f"{i:04d}.png")
    return root


@pytest.mark.skipif(not FULL, reason="RK_BENCH_FULL=1 for the 1,000-image folder")
@pytest.mark.parametrize("impl", ["rewardkit", "pysodmetrics"])
def test_folder_1000(benchmark, folder, impl):
    from rewardkit.metrics.sod import load_sod_folder

    label(benchmark, "sod-folder-1000img-480x640", impl)
    gts, preds = load_sod_folder(folder / "gt", folder / "pred")
    if impl == "rewardkit":
        benchmark.pedantic(sod_evaluate, args=(gts, preds), kwargs={"progress": True}, rounds=1, iterations=1)
    else:
        from PIL import Image

        def run():
            ms = [M.Smeasure(), M.Emeasure(), M.WeightedFmeasure(), M.Fmeasure(), M.MAE()]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for g, p in zip(gts, preds):
                    gi = np.asarray(Image.open(g).convert("L"))
                    pi = np.asarray(Image.open(p).convert("L"))
                    for m in ms:
                        m.step(pi, gi)

        benchmark.pedantic(run, rounds=1, iterations=1)
