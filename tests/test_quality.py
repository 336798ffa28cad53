"""`rewardkit audit --quality`: blind ceiling, learning signal, monotonicity.

Facts pinned here are derived by hand from the rewards' formulas (see each test) on tiny
datasets built in code; one test checks every registered reward gets a report on the
shipped default dataset (tiny settings, so the file stays fast).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from rewardkit.auditing.answers import (
    Answer,
    AnswerFormat,
    format_completion,
    register_dialect_writer,
)
from rewardkit.auditing.ladders import box_at_iou, box_iou_rows
from rewardkit.auditing.policies import (
    BlindView,
    blind_policies,
    build_priors,
    kmeans,
)
from rewardkit.auditing.quality import format_report, quality_report, summary_row
from rewardkit.auditing.quality_data import DEFAULT_DATA, kind_of, load_rows, read_rows
from rewardkit.cli import main
from rewardkit.registry import get_spec, list_rewards

FAST = {"search_evals": 5, "max_rows": None}


def _blind(rep: dict, policy: str) -> dict:
    return next(b for b in rep["blind"] if b["policy"] == policy)


def _ladder(rep: dict, name: str) -> dict:
    return next(ld for ld in rep["ladders"] if ld["ladder"] == name)


def _level(ladder: dict, label: str) -> dict:
    return next(lv for lv in ladder["levels"] if lv["label"] == label)


def _count_rows(train: list[int], test: list[int], prompt: str = "How many cats?") -> list[dict]:
    rows = [{"id": f"tr{i}", "split": "train", "prompt": prompt, "ground_truth": c} for i, c in enumerate(train)]
    rows += [{"id": f"te{i}", "split": "test", "prompt": prompt, "ground_truth": c} for i, c in enumerate(test)]
    return rows


def _det_rows(n_rows: int, n_obj: int, seed: int = 0, spread: float = 800.0) -> list[dict]:
    """Rows of ``n_obj`` labelled boxes; top-left corners within ``spread`` of (500 - spread / 2)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_rows):
        xy = 400 - spread / 2 + rng.uniform(0, spread, (n_obj, 2))
        wh = rng.uniform(60, 200, (n_obj, 2)) if spread >= 400 else rng.uniform(180, 220, (n_obj, 2))
        boxes = np.round(np.concatenate([xy, np.minimum(xy + wh, 1000)], axis=1)).astype(int).tolist()
        rows.append({"id": f"d{i}", "split": "train" if i % 2 == 0 else "test", "image_size": [640, 480],
                     "prompt": "Locate every cat and dog.", "ground_truth": {"boxes": boxes, "labels": [("cat", "dog")[j % 2] for j in range(n_obj)]}})
    return rows


# ------------------------------------------------------------------------- known facts


def test_modal_count_earns_exactly_the_modal_frequency():
    # train mode is 2; count.exact pays 1 iff the answer equals the count, so the modal
    # policy earns the frequency of 2 among the test counts: 4 of 7
    rows = _count_rows([2, 2, 2, 3, 1], [2, 3, 2, 1, 2, 5, 2])
    rep = quality_report("count.exact", rows=rows, **FAST)
    assert _blind(rep, "modal")["test"] == pytest.approx(4 / 7, abs=1e-4)
    assert _blind(rep, "empty")["test"] == 0.0
    assert rep["blind_ceiling"]["score"] == pytest.approx(4 / 7, abs=1e-4)


def test_modal_count_is_per_prompt():
    rows = _count_rows([1, 1, 2], [1, 1, 3], "How many dogs?") + _count_rows([4, 4, 1], [4, 2, 4], "How many cars?")
    for i, r in enumerate(rows):
        r["id"] = f"{r['id']}-{i}"
    rep = quality_report("count.exact", rows=rows, **FAST)
    # dogs: mode 1 -> 2 of 3 test rows; cars: mode 4 -> 2 of 3
    assert _blind(rep, "modal")["test"] == pytest.approx(4 / 6, abs=1e-4)
    # one global mode (1 and 4 tie at 3 each; ties go to the smaller count): 2 of 6
    assert _blind(rep, "modal_global")["test"] == pytest.approx(2 / 6, abs=1e-4)


def test_count_offset_against_tolerance():
    rows = _count_rows([3, 4, 5, 6], [3, 4, 5, 6])
    exact = _ladder(quality_report("count.exact", rows=rows, **FAST), "count_offset")
    tol = _ladder(quality_report("count.exact", rows=rows, tolerance=1, **FAST), "count_offset")
    assert [_level(exact, f"off by {d}")["mean"] for d in (3, 2, 1, 0)] == [0.0, 0.0, 0.0, 1.0]
    assert [_level(tol, f"off by {d}")["mean"] for d in (3, 2, 1, 0)] == [0.0, 0.0, 1.0, 1.0]
    # every completion of a group is off by the same d: equal rewards, no signal
    assert all(lv["signal"] == 0.0 for lv in exact["levels"])


def test_visual_rft_single_prior_box_pays_more_with_pred_normalization_when_objects_are_many():
    # Visual-RFT's IoU term: the matched IoUs summed, divided by max(n_pred, n_gt) ("max")
    # or by n_pred ("pred"): one box against six objects earns up to 1/6 vs up to 1.
    # Six objects piled near the centre: the one prior box (their k-means centre) matches one.
    rows = _det_rows(12, 6, spread=60.0)
    by_max = quality_report("visual_rft.detection", rows=rows, **FAST)
    by_pred = quality_report("visual_rft.detection", rows=rows, normalize="pred", **FAST)
    one_max, one_pred = _blind(by_max, "kmeans_1")["test"], _blind(by_pred, "kmeans_1")["test"]
    assert one_pred > one_max > 1.0
    # the empty answer on images with objects earns the format term only (1.0) either way
    assert _blind(by_max, "empty")["test"] == _blind(by_pred, "empty")["test"] == 1.0


def test_full_image_box_on_grounding_iou_earns_the_mean_box_area():
    # IoU(whole image, g) = area(g) / area(image): the policy earns the mean normalized area
    rows = []
    for i, b in enumerate([[0, 0, 500, 500], [100, 100, 300, 900], [0, 0, 1000, 1000], [250, 250, 750, 750]]):
        rows.append({"id": f"g{i}", "split": "train" if i % 2 else "test", "prompt": "the cat", "ground_truth": [b]})
    rep = quality_report("grounding.iou", rows=rows, **FAST)
    areas = [0.25, 1.0]  # the test rows: ids g0 and g2
    assert _blind(rep, "full_image")["test"] == pytest.approx(np.mean(areas), abs=1e-4)


def test_grounding_iou_is_monotone_completion_by_completion():
    rows = [{"id": f"g{i}", "split": "test" if i % 2 else "train", "prompt": "the cat",
             "ground_truth": [[100 + 20 * i, 150, 400 + 10 * i, 600]]} for i in range(10)]
    rep = quality_report("grounding.iou", rows=rows, **FAST)
    iou = _ladder(rep, "iou")
    # common random numbers: a reward monotone in IoU never drops from one level to the next
    assert iou["completion_drops"] == 0.0 and iou["drops"] == []
    assert iou["spearman"] > 0.9
    # the reward is the IoU reached, whose mean is the target (Beta with mean q; integer
    # norm1000 coordinates move it a little)
    for lv in iou["levels"]:
        assert lv["mean"] == pytest.approx(lv["quality"], abs=0.03)
        assert lv["signal"] == 1.0


def test_format_reward_is_fully_blind_and_carries_no_signal():
    rows = _det_rows(6, 3)
    rep = quality_report("format.think_answer", rows=rows, **FAST)
    assert rep["blind_ceiling"]["score"] == 1.0
    assert all(v == 1.0 for v in rep["blind_ceiling"]["share_of_honest"].values())
    for ld in rep["ladders"]:
        assert ld["spearman"] is None
        assert all(lv["signal"] == 0.0 and lv["mean"] == 1.0 for lv in ld["levels"])


def test_repetition_penalty_blind_ceiling_is_its_maximum():
    rep = quality_report("penalty.repetition", rows=_det_rows(6, 3), **FAST)
    assert rep["blind_ceiling"]["score"] == 0.0 == rep["range"][1]


def test_detection_f1_whole_image_box_on_whole_image_objects():
    # one object covering the image: the whole-image box matches it (F1 = 1); one prior
    # box at the k-means centre (the same box) too
    rows = [{"id": f"w{i}", "split": "train" if i % 2 else "test", "ground_truth": [[0, 0, 1000, 1000]]} for i in range(4)]
    rep = quality_report("detection.f1", rows=rows, **FAST)
    assert _blind(rep, "full_image")["test"] == 1.0
    assert _blind(rep, "kmeans_1")["test"] == 1.0


def test_label_error_ladder_mean_is_the_share_of_right_labels():
    # visual_rft.classification: 1 (accuracy) + 1 (format) for the right label, 1 for a wrong one:
    # the mean over levels rises with quality and never drops per completion
    labels = ["cat", "dog", "bird", "horse", "cow", "sheep"]
    rows = [{"id": f"c{i}", "split": "train" if i % 2 else "test", "prompt": "Name the animal.", "ground_truth": labels[i % 6]}
            for i in range(24)]
    rep = quality_report("visual_rft.classification", rows=rows, **FAST)
    lad = _ladder(rep, "label_error")
    means = [lv["mean"] for lv in lad["levels"]]
    assert means == sorted(means) and lad["completion_drops"] == 0.0
    assert 1.0 <= means[0] < means[-1] <= 2.0


# ---------------------------------------------------------------------- building blocks


def test_box_at_iou_reaches_the_target():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0.05, 0.6, (200, 2))
    gt = np.concatenate([xy, xy + rng.uniform(0.05, 0.35, (200, 2))], axis=1)
    target = rng.uniform(0.2, 0.98, 200)
    d = rng.normal(size=(200, 6, 4))
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    got = box_iou_rows(box_at_iou(gt, target, d), gt)
    assert np.allclose(got, target, atol=1e-6)


def test_kmeans_is_deterministic_and_sorted_by_size():
    x = np.concatenate([np.zeros((6, 2)), np.ones((3, 2)), np.full((1, 2), 5.0)])
    c, n = kmeans(x, 3, seed=1)
    assert n.tolist() == [6, 3, 1]
    assert np.allclose(c, [[0, 0], [1, 1], [5, 5]])
    c2, _ = kmeans(x, 3, seed=1)
    assert np.array_equal(c, c2)


def test_blind_policies_never_see_the_ground_truth():
    rows = _det_rows(6, 3)
    spec = get_spec("vlm_r1.weighted_sum")
    qrows, _ = read_rows(rows, kind_of(spec))
    priors = build_priors("boxes", [r for r in qrows if r.split == "train"], qrows)
    view = BlindView("Locate every cat.", (640, 480))
    fmt = AnswerFormat("boxes")
    for pol in blind_policies("boxes", priors, seed=0):
        # the answer is a function of the view alone
        assert format_completion(pol.answer(view), fmt) == format_completion(pol.answer(BlindView(view.prompt, view.image_size)), fmt)
        assert "ground_truth" not in pol.answer.__code__.co_varnames


def test_answer_format_writes_the_reward_frame():
    fmt = AnswerFormat("boxes", "pixel")
    text = format_completion(Answer(boxes=np.array([[0.5, 0.5, 1.0, 1.0]]), labels=("cat",), scores=(0.5,)), fmt, (640, 480))
    assert '"bbox_2d": [320, 240, 640, 480]' in text and '"confidence": 0.5' in text
    assert format_completion(Answer(), AnswerFormat("boxes")).endswith("<answer>[]</answer>")
    assert format_completion(Answer(), AnswerFormat("count")).endswith("<answer></answer>")
    kp = np.array([[10.0, 20.0, 2.0], [0.0, 0.0, 0.0]])
    assert "[[10, 20], null]" in format_completion(Answer(keypoints=kp), AnswerFormat("pose", "pixel"))


def test_dialect_writer_plugs_in(monkeypatch):
    from rewardkit.auditing import answers
    from rewardkit.names import Registry

    monkeypatch.setattr(answers, "_DIALECT_WRITERS", Registry("dialect writer"))
    register_dialect_writer("test-dialect", lambda answer, fmt, size: f"COUNT={answer.count}")
    assert format_completion(Answer(count=3), AnswerFormat("count", dialect="test-dialect")).endswith("<answer>COUNT=3</answer>")
    # a dialect without a writer falls back to the default format
    assert format_completion(Answer(count=3), AnswerFormat("count", dialect="unknown")).endswith("<answer>3</answer>")


# -------------------------------------------------------------------------- the report


def test_report_is_reproducible_with_the_seed():
    rows = _det_rows(8, 4)
    a = quality_report("vlm_r1.weighted_sum", rows=rows, seed=3, **FAST)
    b = quality_report("vlm_r1.weighted_sum", rows=rows, seed=3, **FAST)
    c = quality_report("vlm_r1.weighted_sum", rows=rows, seed=4, **FAST)
    for r in (a, b, c):
        r.pop("seconds")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert json.dumps(a["ladders"], sort_keys=True) != json.dumps(c["ladders"], sort_keys=True)


def test_report_shape_and_text():
    rep = quality_report("vision_r1.localization", rows=_det_rows(8, 3), **FAST)
    assert rep["applicable"] and rep["rows"] == {"train": 4, "test": 4, "skipped": 0}
    assert set(rep["blind_ceiling"]["share_of_honest"]) == {"0.5", "0.75", "0.9"}
    assert [ld["ladder"] for ld in rep["ladders"]] == ["iou", "missing", "extra", "label_error"]
    assert _blind(rep, "search")["evaluations"] <= 5
    text = format_report(rep)
    assert "blind ceiling" in text and "Spearman" in text
    row = summary_row(rep)
    assert row["ladder"] == "iou" and set(row["signal"]) == {"0.3", "0.5", "0.75", "0.9"}


def test_rows_that_do_not_fit_are_skipped_and_reported():
    rows = _count_rows([1, 2], [1, 2]) + [{"id": "bad", "ground_truth": "many"}]
    rep = quality_report("count.exact", rows=rows, **FAST)
    assert rep["rows"]["skipped"] == 1 and "bad" in rep["skipped_examples"][0]
    none = quality_report("count.exact", rows=[{"id": "x", "ground_truth": "many"}], **FAST)
    assert none["applicable"] is False and "no usable rows" in none["reason"]


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="group_size"):
        quality_report("count.exact", rows=_count_rows([1], [1]), group_size=1)
    with pytest.raises(KeyError, match="did you mean"):
        quality_report("count.exakt")


def test_every_registered_reward_gets_a_report_on_the_default_dataset():
    rows = load_rows()
    for name in list_rewards():
        rep = quality_report(name, rows=rows, max_rows=3, search_evals=2, group_size=2)
        assert rep["applicable"], (name, rep.get("reason"))
        assert rep["ladders"] and all(lv["groups"] > 0 for ld in rep["ladders"] for lv in ld["levels"]), name
        assert not rep["errors"], (name, rep["errors"])
        lo, hi = rep["range"]
        assert lo - 1e-9 <= rep["blind_ceiling"]["score"] <= hi + 1e-9
        # the ground truth scores the maximum, except: plausibility judges the pose alone (real
        # poses can leave the profile's ranges); Seg-R1 answers the mask's box, which the
        # geometric segmenter turns into a box-shaped mask
        assert math.isclose(rep["perfect"], hi, abs_tol=1e-6) or name in ("pose.plausibility", "seg_r1.mask"), (name, rep["perfect"])


def test_default_dataset_is_small_and_every_task_present():
    assert DEFAULT_DATA.stat().st_size < 1_000_000
    tasks = {r["task"] for r in load_rows()}
    assert tasks == {"detection", "grounding", "counting", "classification", "segmentation", "pose", "pose3d", "multi_pose"}


# ------------------------------------------------------------------------------ the CLI


def test_cli_quality_prints_and_writes_json(tmp_path, capsys):
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _count_rows([1, 1, 2], [1, 2, 1])))
    out = tmp_path / "q.json"
    assert main(["audit", "count.exact", "--quality", "--data", str(data), "--json", str(out), "--search-evals", "3"]) == 0
    text = capsys.readouterr().out
    assert "blind ceiling" in text and "count_error" in text
    reps = json.loads(out.read_text())
    assert reps[0]["reward"] == "count.exact" and reps[0]["data"] == str(data)


@pytest.mark.parametrize("argv, msg", [
    (["audit", "count.exact", "--quality", "--data", "/no/such/rows.jsonl"], "no such file"),
    (["audit", "count.exact", "--data", "rows.jsonl"], "--data needs --quality"),
    (["audit", "count.exact", "--quality", "--group-size", "1"], "--group-size"),
    (["audit", "count.exakt", "--quality"], "did you mean"),
])
def test_cli_quality_mistakes_are_one_line(argv, msg, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("rewardkit: error:") and msg in err and err.count("\n") == 1


def test_cli_quality_bad_rows_are_one_line(tmp_path, capsys):
    data = tmp_path / "rows.jsonl"
    data.write_text('{"prompt": "no ground truth"}\n')
    assert main(["audit", "count.exact", "--quality", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert "ground_truth" in err and err.count("\n") == 1


# ----------------------------------------------------------------------- the docs table


def test_docs_table_has_every_registered_reward_and_is_current():
    from pathlib import Path

    from rewardkit.auditing.quality import markdown_table

    page = (Path(__file__).resolve().parents[1] / "docs" / "quality.md").read_text()
    begin, end = page.index("<!-- quality-table:begin"), page.index("<!-- quality-table:end -->")
    block = page[begin:end]
    main_table = block[: block.index("### Headlines")]
    missing = [n for n in list_rewards() if f"| `{n}` |" not in main_table]
    assert not missing, f"regenerate docs/quality.md (python scripts/quality_table.py): no row for {missing}"
    # one row recomputed with the default settings: the table is what the code computes
    row = markdown_table([quality_report("count.exact")]).splitlines()[-1]
    assert row in main_table, "docs/quality.md is stale: run python scripts/quality_table.py"


def test_compat_modes_get_their_public_answer_format():
    # a compat mode reads the public project's format: the ground truth written in it
    # scores the maximum (Visual-RFT Position/Confidence items, VLM-R1 fenced JSON,
    # Vision-R1's bare fenced list); the default format would score nothing there
    rows = _det_rows(6, 3)
    for name, compat in (("visual_rft.detection", "visual_rft"), ("vlm_r1.od_ap", "vlm_r1"), ("vision_r1.localization", "vision_r1")):
        rep = quality_report(name, rows=rows, compat=compat, **FAST)
        assert rep["perfect"] == rep["range"][1], (name, rep["perfect"])
    seg = [r for r in load_rows() if r["task"] == "segmentation"][:4]
    rep = quality_report("seg_r1.mask", rows=seg, compat="seg_r1", **FAST)
    assert rep["perfect"] > 1.0  # the format term is paid: boxes, points and labels were read
