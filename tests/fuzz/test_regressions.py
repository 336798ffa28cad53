"""Named regression cases: the rows of issue 10's table (a hostile-input campaign against
every registered reward, the adapters and the metrics). Each test failed on main before
the fix (rows 1 and 2 by a segfault: they run in a forked child, see ``sandbox.py``).

Rows 8-12 (the command line's row and file guarantees) are tested with the CLI.
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from rewardkit.registry import Reward, score, score_batch
from tests.fuzz.sandbox import run_isolated

_MB = 1 << 20


def _mask_gt(h: int = 100, w: int = 100) -> np.ndarray:
    gt = np.zeros((h, w), bool)
    gt[10:50, 10:50] = True
    return gt


# -- row 1: RLE counts whose int64 sum wraps -------------------------------------------------
_WRAP = 4611686018427387904  # 2**62: four of them sum to 2**64 == 0 (mod 2**64)


def test_row01_rle_counts_that_wrap_int64_score_minimum_not_segfault():
    completion = '<answer>{"size":[2,2],"counts":[' + f"{_WRAP},{_WRAP},{_WRAP},{_WRAP},4" + "]}</answer>"
    gt = np.zeros((2, 2), bool)
    gt[0, 0] = True
    out = run_isolated(score, completion, gt, reward="segmentation.mask_iou")
    assert out.ok, str(out)
    assert out.value.score == 0.0 and out.value.reason == "bad_mask", out.value


def test_row01_rle_reader_refuses_wrapping_counts():
    from rewardkit.parsing.masks import to_mask

    def read():
        try:
            to_mask({"size": [2, 2], "counts": [_WRAP] * 4 + [4]})
        except ValueError as exc:
            return str(exc)
        return "accepted"

    out = run_isolated(read)
    assert out.ok, str(out)
    assert out.value != "accepted" and "h*w" in out.value


# -- row 2: polygon coordinates 1e7 / 5e7 / NaN ----------------------------------------------


@pytest.mark.parametrize("v", ["1e7", "5e7", "-3e9"])
def test_row02_polygon_answer_with_huge_coordinates_is_refused(v):
    completion = f"<answer>[[0, 0, {v}, 0, {v}, {v}, 0, {v}]]</answer>"
    out = run_isolated(score, completion, _mask_gt(), reward="segmentation.mask_iou", memory_limit=256 * _MB)
    assert out.ok, str(out)
    assert out.value.score == 0.0 and out.value.reason == "bad_coordinates", out.value


def _coco_segm(poly_gt, poly_dt=None):
    gt = {
        "images": [{"id": 1, "width": 100, "height": 100}],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "segmentation": [poly_gt], "area": 400.0,
             "bbox": [10, 10, 20, 20], "iscrowd": 0},
        ],
    }
    dt = [{"image_id": 1, "category_id": 1, "segmentation": [poly_dt or [10, 10, 30, 10, 30, 30, 10, 30]], "score": 0.9}]
    return gt, dt


def _coco_error(gt, dt, iou_type="segm"):
    from rewardkit.metrics.coco import coco_evaluate

    try:
        coco_evaluate(gt, dt, iou_type=iou_type)
    except ValueError as exc:
        return str(exc)
    return "accepted"


def test_row02_nan_polygon_in_coco_ground_truth_raises_value_error():
    gt, dt = _coco_segm([10, 10, float("nan"), 10, 30, 30, 10, 30])
    out = run_isolated(_coco_error, gt, dt, memory_limit=512 * _MB)
    assert out.ok, str(out)
    assert "annotation" in out.value and "id 1" in out.value, out.value


@pytest.mark.parametrize("v", [1e7, 5e7])
def test_row02_huge_polygon_in_coco_results_raises_value_error(v):
    gt, dt = _coco_segm([10, 10, 30, 10, 30, 30, 10, 30], [0, 0, v, 0, v, v, 0, v])
    out = run_isolated(_coco_error, gt, dt, memory_limit=512 * _MB)
    assert out.ok, str(out)
    assert "result" in out.value and "polygon" in out.value, out.value


# -- row 3: quadratic structured reader --------------------------------------------------------


@pytest.mark.parametrize("reward", ["grounding.iou", "visual_rft.detection", "point.in_box", "pose.oks"])
def test_row03_escaped_quotes_payload_reads_in_linear_time(reward):
    payload = '["' + '\\"' * 50_000  # 100 KB of escaped quotes, never closed
    from tests.catalog import all_cases

    case = next(c for c in all_cases() if c.reward == reward and c.expect_max)
    out = run_isolated(score, f"<answer>{payload}</answer>", case.ground_truth, reward=reward, **case.params)
    assert out.ok, str(out)
    assert out.value.score == get_lo(reward) and out.value.reason, out.value


def get_lo(name: str) -> float:
    from rewardkit.registry import get_spec

    return get_spec(name).range[0]


# -- row 4: RLE size compared with the ground truth before decoding ------------------------------


@pytest.mark.parametrize("counts", ['"0"', "[268435456]"])
def test_row04_oversized_rle_answer_is_not_decoded(counts):
    completion = '<answer>{"size":[16384,16384],"counts":' + counts + "}</answer>"
    out = run_isolated(score, completion, _mask_gt(), reward="segmentation.mask_iou", memory_limit=64 * _MB,
                       time_limit=1.0)
    assert out.ok, str(out)
    assert out.value.score == 0.0 and out.value.reason == "wrong_mask_size", out.value


# -- row 5: Procrustes on 1e308 keypoints -----------------------------------------------------------
_HUGE_3D = "<answer>[[1e308,1e308,1e308],[1e308,1e308,1e308],[0,0,0]]</answer>"
_GT_3D = [[0, 0, 0], [1, 0, 0], [0, 1, 0]]


def test_row05_procrustes_on_huge_keypoints_scores_minimum():
    r = score(_HUGE_3D, _GT_3D, reward="pose.mpjpe", align="procrustes")
    assert r.score == 0.0 and r.reason == "bad_coordinates"


def test_row05_procrustes_on_huge_keypoints_through_trl_adapter():
    from rewardkit.adapters.trl import trl_rewards

    (f,) = trl_rewards(Reward("pose.mpjpe", align="procrustes"), split_components=False)
    assert f(prompts=["p"], completions=[_HUGE_3D], solution=[_GT_3D]) == [0.0]


# -- row 6: bad ground truth of any exception type, on every path --------------------------------
_DEEP = "[" * 100_000 + "]" * 100_000
_BAD_GT = [
    pytest.param("grounding.iou", _DEEP, "<answer>[1, 2, 3, 4]</answer>", {}, id="deep-nesting"),
    pytest.param("count.exact", float("inf"), "<answer>3</answer>", {}, id="infinity"),
    pytest.param("pose.oks", {"keypoints": [10**400, 0, 2, 1, 1, 2], "area": 1}, "<answer>[[1, 2], [3, 4]]</answer>",
                 {"sigmas": [0.5, 0.5]}, id="int-10e400"),
]


def _trl(name, params, completion, gt):
    from rewardkit.adapters.trl import trl_rewards

    (f,) = trl_rewards(Reward(name, **params), split_components=False)
    return f(prompts=["p", "p"], completions=[completion, completion], solution=[gt, gt])


@pytest.mark.parametrize(("name", "gt", "completion", "params"), _BAD_GT)
def test_row06_bad_ground_truth_is_none_on_score_and_score_batch(name, gt, completion, params):
    r = score(completion, gt, reward=name, **params)
    assert r.score is None and r.reason == "bad_ground_truth", r
    rs = score_batch([completion, completion], gt, reward=name, **params)
    assert [(x.score, x.reason) for x in rs] == [(None, "bad_ground_truth")] * 2


@pytest.mark.parametrize(("name", "gt", "completion", "params"), _BAD_GT)
def test_row06_bad_ground_truth_is_none_through_the_adapters(name, gt, completion, params):
    from rewardkit.adapters import easyr1, verl

    assert _trl(name, params, completion, gt) == [None, None]
    # veRL / EasyR1 receive ground truth as JSON text (non-finite numbers as JSON's extensions)
    text = gt if isinstance(gt, str) else json.dumps(gt)
    out = verl.compute_score(name, completion, text, {"reward": name, "reward_params": json.dumps(params)})
    assert out["applicable"] == 0.0 and out["score"] == 0.0
    out = easyr1.compute_score([{"response": completion, "ground_truth": text, "reward_params": json.dumps(params)}],
                               reward=name, none_score=-7.0)
    assert out[0]["overall"] == -7.0


@pytest.mark.parametrize(("name", "gt", "completion", "params"), _BAD_GT)
def test_row06_bad_ground_truth_is_none_in_cli_row_scoring(name, gt, completion, params):
    from rewardkit.cli.score import score_rows
    from rewardkit.io import InputRow

    row = InputRow(1, {"reward": name, "completion": completion, "ground_truth": gt, "params": params})
    (out,) = list(score_rows([row]))
    assert out["score"] is None and out["reason"] == "bad_ground_truth", out


# -- row 7: pose ground truth with a negative area -----------------------------------------------
_POSE_GT = {"keypoints": [10, 10, 2, 20, 20, 2], "area": -100}


def test_row07_pose_negative_area_is_bad_ground_truth():
    for name in ("pose.oks", "pose.recall_weighted"):
        r = score("<answer>[[10, 10], [20, 21]]</answer>", _POSE_GT, reward=name, sigmas=[0.5, 0.5])
        assert r.score is None and r.reason == "bad_ground_truth", (name, r)


def test_row07_pose_negative_area_parameter_is_caller_error():
    with pytest.raises(ValueError, match="area"):
        score("<answer>[[10, 10], [20, 21]]</answer>", {"keypoints": [10, 10, 2, 20, 20, 2]}, reward="pose.oks",
              sigmas=[0.5, 0.5], area=-100)


# -- row 13: repetition penalty on 40 MB -------------------------------------------------------------


def test_row13_repetition_penalty_respects_its_length_cap():
    text = "word " * 8_000_000  # 40 MB, no answer tag
    out = run_isolated(score, text, None, reward="penalty.repetition", memory_limit=256 * _MB, time_limit=1.5)
    assert out.ok, str(out)
    assert out.value.score == -1.0 and out.value.reason == "too_long", out.value


# -- row 14: image sizes and bytes completions -------------------------------------------------------


@pytest.mark.parametrize("size", [(1e308, 1e308), (True, True), (640.5, 480), (0, 480), (10**9, 10)])
def test_row14_bad_image_size_parameter_raises(size):
    with pytest.raises(ValueError, match="image_size"):
        score("<answer>[1, 2, 3, 4]</answer>", [1, 2, 3, 4], reward="grounding.iou", pred_frame="qwen25vl",
              gt_frame="pixel", image_size=size)


def test_row14_bad_image_size_in_a_dataset_row_is_bad_ground_truth():
    from rewardkit.adapters.trl import trl_rewards

    (f,) = trl_rewards("grounding.iou", split_components=False, pred_frame="qwen25vl", gt_frame="pixel")
    out = f(prompts=["p", "p"], completions=["<answer>[1, 2, 3, 4]</answer>"] * 2, solution=[[1, 2, 3, 4]] * 2,
            image_size=[(1e308, 1e308), (True, True)])
    assert out == [None, None]


def test_row14_bytes_completion_is_decoded_not_repr():
    c = "<answer>caf\u00e9</answer>".encode()
    r = score(c, "caf\u00e9", reward="visual_rft.classification")
    assert r.components["accuracy"] == 1.0


# -- row 15: NaN checks in pose.plausibility ---------------------------------------------------------
_POSE = [[0, -60], [0, 0], [0, 0], [-8, -55], [8, -55], [-20, -40], [20, -40], [-22, -15], [22, -15], [-24, 7],
         [24, 7], [-15, 10], [15, 10], [-15, 35], [15, 35], [-15, 60], [15, 60]]


def test_row15_plausibility_nan_check_is_a_failure():
    from rewardkit.geometry.body_profiles import get_profile
    from rewardkit.rewards.pose import plausibility_scores

    coords = np.asarray(_POSE, dtype=np.float64) * 1e306  # lengths overflow to inf: ratios and angles are NaN
    with np.errstate(all="ignore"):
        res = plausibility_scores(coords, np.ones(17, bool), get_profile("adult_coco17"))
    assert res["bones"] == 0.0 and res["angles"] == 0.0


def test_row15_plausibility_of_huge_pose_scores_minimum():
    big = [[x * 1e306, y * 1e306] for x, y in _POSE]
    r = score("<answer>" + json.dumps(big) + "</answer>", None, reward="pose.plausibility")
    assert r.score == 0.0 and r.reason == "bad_coordinates"


# -- row 16: COCO on malformed datasets --------------------------------------------------------------


def _coco_set(**change):
    gt = {
        "images": [{"id": 1, "width": 100, "height": 100}, {"id": 2, "width": 100, "height": 100}],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400, "iscrowd": 0},
            {"id": 2, "image_id": 1, "category_id": 1, "bbox": [50, 50, 20, 20], "area": 400, "iscrowd": 0},
            {"id": 3, "image_id": 2, "category_id": 1, "bbox": [10, 10, 30, 30], "area": 900, "iscrowd": 0},
        ],
    }
    dt = [
        {"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9},
        {"image_id": 1, "category_id": 1, "bbox": [52, 52, 20, 20], "score": 0.8},
        {"image_id": 2, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.95},
        {"image_id": 2, "category_id": 1, "bbox": [10, 10, 30, 28], "score": 0.7},
    ]
    for fn in change.values():
        fn(gt, dt)
    return gt, dt


_MALFORMED = [
    pytest.param({"nan": lambda g, d: g["annotations"][1].update(bbox=[float("nan"), 50, 20, 20])}, "annotation id 2",
                 id="nan-bbox"),
    pytest.param({"neg": lambda g, d: g["annotations"][2].update(bbox=[10, 10, -30, 30])}, "annotation id 3",
                 id="negative-bbox"),
    pytest.param({"dup": lambda g, d: g["annotations"][2].update(id=1)}, "duplicate annotation id 1", id="duplicate-id"),
    pytest.param({"cat": lambda g, d: g["annotations"][0].update(category_id=7)}, "annotation id 1", id="unknown-category"),
    pytest.param({"nores": lambda g, d: d[1].update(bbox=[float("nan"), 1, 2, 3])}, "result 1", id="nan-result-bbox"),
    pytest.param({"nocat": lambda g, d: g.pop("categories")}, "categories", id="no-categories"),
]


@pytest.mark.parametrize(("change", "match"), _MALFORMED)
def test_row16_coco_malformed_dataset_raises_naming_the_first_offender(change, match):
    from rewardkit.metrics.coco import coco_evaluate

    gt, dt = _coco_set(**change)
    with pytest.raises(ValueError, match=match):
        coco_evaluate(gt, dt)


@pytest.mark.parametrize(("change", "match"), _MALFORMED[:5])
def test_row16_compat_pycocotools_reproduces_the_reference_with_a_warning(change, match):
    from rewardkit.metrics.coco import coco_evaluate

    gt, dt = _coco_set(**change)
    ref = coco_evaluate(gt, dt, backend="pycocotools")
    with pytest.warns(UserWarning, match="pycocotools"):
        ours = coco_evaluate(gt, dt, compat="pycocotools")
    np.testing.assert_array_equal(np.asarray(ours["stats"]), np.asarray(ref["stats"]))


def test_row16_valid_data_needs_no_warning():
    from rewardkit.metrics.coco import coco_evaluate

    gt, dt = _coco_set()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = coco_evaluate(gt, dt, compat="pycocotools")
    assert math.isfinite(out["AP"])


def test_row16_lvis_malformed_dataset_raises():
    from rewardkit.metrics.lvis import lvis_evaluate

    gt, dt = _coco_set(dup=lambda g, d: g["annotations"][2].update(id=1))
    for c in gt["categories"]:
        c["frequency"] = "f"
    for im in gt["images"]:
        im["neg_category_ids"] = []
        im["not_exhaustive_category_ids"] = []
    with pytest.raises(ValueError, match="duplicate annotation id 1"):
        lvis_evaluate(gt, dt)
