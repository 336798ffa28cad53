"""``rewardkit.plot``: the figures carry the numbers of the result they draw (legend AP
equals the metric's AP), sorted bars are sorted, axes are labelled and span the declared
range; ``eval ... --plot DIR`` writes the set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from rewardkit import plot  # noqa: E402
from rewardkit.cli import main  # noqa: E402
from rewardkit.metrics.coco import coco_evaluate  # noqa: E402
from rewardkit.metrics.grounding import grounding_scores  # noqa: E402
from rewardkit.metrics.lvis import lvis_evaluate  # noqa: E402
from tests._helpers.coco_synth import synthetic_coco  # noqa: E402


@pytest.fixture(scope="module")
def coco_result():
    gt, dt = synthetic_coco(3, n_images=30, n_cats=6)
    return coco_evaluate(gt, dt)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_pr_curves_legend_carries_the_metric(coco_result):
    fig = plot.pr_curves(coco_result)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(ax.get_lines()) == 3
    expected = [coco_result["AP50"], coco_result["AP75"], coco_result["AP"]]
    for label, ap in zip(labels, expected):
        assert f"AP {ap * 100:.1f}" in label, (label, ap)
    assert ax.get_xlabel() == "recall" and ax.get_ylabel() == "precision"
    assert ax.get_xlim() == (0.0, 1.0)
    # the curve at IoU 0.5 is the mean over categories of pycocotools' precision
    p = np.asarray(coco_result["precision"])[0, :, :, 0, -1]
    y = ax.get_lines()[0].get_ydata()
    ref = np.array([np.mean(row[row > -1]) for row in p])
    np.testing.assert_allclose(y, ref)


def test_category_ap_sorted_and_truncated(coco_result):
    fig = plot.category_ap(coco_result)
    widths = [b.get_width() for b in fig.axes[0].patches]
    assert widths == sorted(widths, reverse=True) and len(widths) == 6
    rows = [{"id": i, "name": f"c{i}", "AP": i / 100} for i in range(100)]
    fig = plot.category_ap({"per_category": rows}, limit=20)
    widths = [b.get_width() for b in fig.axes[0].patches]
    assert len(widths) == 20 and widths[0] == pytest.approx(99) and widths[-1] == pytest.approx(0)
    assert "best 10 and worst 10 of 100" in fig.axes[0].get_xlabel()


def test_area_split_and_lvis_frequency():
    gt, dt = synthetic_coco(5, n_images=25, n_cats=6, lvis=True)
    r = lvis_evaluate(gt, dt)
    fig = plot.area_split(r)
    heights = [b.get_height() for b in fig.axes[0].patches]
    assert heights[:4] == pytest.approx([max(0, r[k]) * 100 for k in ("AP", "APs", "APm", "APl")])
    fig = plot.lvis_frequency(r)
    heights = [b.get_height() for b in fig.axes[0].patches]
    assert heights == pytest.approx([max(0, r[k]) * 100 if r[k] == r[k] else 0 for k in ("APr", "APc", "APf", "AP")])
    with pytest.raises(ValueError, match="APr"):
        plot.lvis_frequency({"AP": 0.1})


def test_iou_histogram_marks_the_threshold():
    r = grounding_scores([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 5, 5]], [[0, 0, 10, 10], [0, 0, 10, 20], [0, 0, 10, 10]])
    fig = plot.iou_histogram(r)
    ax = fig.axes[0]
    assert any(np.allclose(line.get_xdata(), [0.5, 0.5]) for line in ax.get_lines())
    assert ax.get_xlim() == (0.0, 1.0)
    assert any("Acc 66.7%" in t.get_text() for t in ax.texts)


def test_score_histograms_span_the_declared_range():
    fig = plot.score_histograms({"visual_rft.detection": [0.5, 2.9, 3.0], "my.own": [5.0, 7.0]})
    ax_det = [a for a in fig.axes if "visual_rft.detection" in a.get_title()][0]
    assert ax_det.get_xlim() == (0.0, 3.0)
    assert "declared range [0, 3]" in ax_det.get_xlabel() and ax_det.get_ylabel() == "rows"
    ax_own = [a for a in fig.axes if "my.own" in a.get_title()][0]
    assert ax_own.get_xlim() == (5.0, 7.0)


def test_eval_plot_dir(tmp_path):
    gt, dt = synthetic_coco(7, n_images=10, n_cats=4)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    assert main(["eval", "coco", "--gt", str(tmp_path / "gt.json"), "--pred", str(tmp_path / "dt.json"), "-q", "--plot", str(tmp_path / "figs")]) == 0
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == ["area_split.png", "category_ap.png", "pr_curves.png"]
    lgt, ldt = synthetic_coco(8, n_images=10, n_cats=4, lvis=True)
    (tmp_path / "lgt.json").write_text(json.dumps(lgt))
    (tmp_path / "ldt.json").write_text(json.dumps(ldt))
    assert main(["eval", "lvis", "--gt", str(tmp_path / "lgt.json"), "--pred", str(tmp_path / "ldt.json"), "-q", "--plot", str(tmp_path / "lf")]) == 0
    assert (tmp_path / "lf" / "lvis_frequency.png").stat().st_size > 5000
    rows = [{"completion": "<answer>[0, 0, 100, 100]</answer>", "ground_truth": [0, 0, 100, 50 + i]} for i in range(20)]
    (tmp_path / "ref.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    assert main(["eval", "refcoco", "--pred", str(tmp_path / "ref.jsonl"), "-q", "--plot", str(tmp_path / "rf")]) == 0
    assert (tmp_path / "rf" / "iou_histogram.png").stat().st_size > 5000


def test_score_plot_file(tmp_path):
    example = Path(__file__).resolve().parents[2] / "examples" / "data" / "preds.jsonl"
    png = tmp_path / "s.png"
    assert main(["score", str(example), "-o", str(tmp_path / "o.jsonl"), "-q", "--plot", str(png)]) == 0
    assert png.stat().st_size > 5000
