"""Completions -> COCO results: frames, category mapping, score policies, counters."""

from __future__ import annotations

import pytest

from rewardkit.metrics.coco import coco_evaluate
from rewardkit.metrics.results import category_lookup, completions_to_results

CATS = [{"id": 1, "name": "fire hydrant"}, {"id": 2, "name": "dog"}, {"id": 3, "name": "omelet", "synonyms": ["omelette"]}]


def test_doctest_example_and_frames():
    rows = [{"image_id": 7, "width": 200, "height": 100,
             "completion": '<answer>[{"bbox_2d": [0, 0, 500, 500], "label": "Fire_Hydrant"}]</answer>'}]  # fmt: skip
    res, stats = completions_to_results(rows, CATS)
    assert res == [{"image_id": 7, "category_id": 1, "bbox": [0.0, 0.0, 100.0, 50.0], "score": 1.0}]
    assert stats["n_constant"] == 1 and stats["n_boxes"] == 1
    res, _ = completions_to_results([{**rows[0], "completion": "<answer>[0, 0, 0.5, 0.5]</answer>", "category": "dog"}], CATS, frame="norm1")
    assert res[0]["bbox"] == [0.0, 0.0, 100.0, 50.0] and res[0]["category_id"] == 2
    res, _ = completions_to_results([{**rows[0], "completion": "<answer>[10, 20, 30, 60]</answer>", "category_id": 2}], CATS, frame="pixel")
    assert res[0]["bbox"] == [10.0, 20.0, 20.0, 40.0]


def test_labels_synonyms_and_unknown():
    comp = "<answer>[{'Position': [0, 0, 10, 10], 'label': 'Omelette', 'Confidence': 0.7}, " \
           "{'Position': [0, 0, 10, 10], 'label': 'unicorn'}, {'Position': [1, 1, 5, 5]}]</answer>"
    res, stats = completions_to_results([{"image_id": 1, "completion": comp}], CATS, frame="pixel")
    assert [r["category_id"] for r in res] == [3]
    assert res[0]["score"] == 0.7
    assert stats["n_unknown_label"] == 1 and stats["unknown_labels"] == {"unicorn": 1}
    assert stats["n_unlabelled"] == 1
    assert category_lookup(CATS, {"dog": ["puppy"]})["puppy"] == 2


def test_score_policies():
    comp = "<answer>[{'Position': [0, 0, 10, 10], 'Confidence': 0.3}, {'Position': [5, 5, 10, 10]}]</answer>"
    row = [{"image_id": 1, "category_id": 2, "completion": comp}]
    model, st = completions_to_results(row, CATS, frame="pixel")
    assert [r["score"] for r in model] == [0.3, 1.0] and st["n_constant"] == 1
    const, _ = completions_to_results(row, CATS, frame="pixel", score_policy="constant", constant_score=0.99)
    assert [r["score"] for r in const] == [0.99, 0.99]
    rank, _ = completions_to_results(row, CATS, frame="pixel", score_policy="rank")
    assert [r["score"] for r in rank] == [1.0, 0.5]
    with pytest.raises(ValueError, match="score_policy"):
        completions_to_results(row, CATS, score_policy="best")


def test_unreadable_and_negative_answers():
    rows = [
        {"image_id": 1, "category_id": 2, "completion": "no tags at all"},
        {"image_id": 1, "category_id": 2, "completion": "<answer>No Objects</answer>"},
        {"image_id": 1, "category_id": 2, "completion": "<answer>[[1, 2, 3</answer>"},
    ]
    res, stats = completions_to_results(rows, CATS, frame="pixel")
    assert res == [] and stats["n_rows"] == 3
    assert stats["n_unreadable"] >= 1
    with pytest.raises(ValueError, match="image_id"):
        completions_to_results([{"completion": "x"}], CATS)
    with pytest.raises(ValueError, match="Unknown category"):
        completions_to_results([{"image_id": 1, "category": "zebra", "completion": "x"}], CATS)


def test_end_to_end_constant_scores_depend_on_order():
    """With constant scores the AP depends on the file order (pycocotools' tie-break)."""
    gt = {
        "images": [{"id": 1, "width": 100, "height": 100}],
        "categories": [{"id": 2, "name": "dog"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 2, "bbox": [0, 0, 50, 50], "area": 2500, "iscrowd": 0}],
    }
    good = {"image_id": 1, "category_id": 2, "completion": "<answer>[0, 0, 50, 50]</answer>"}
    bad = {"image_id": 1, "category_id": 2, "completion": "<answer>[60, 60, 90, 90]</answer>"}
    a, _ = completions_to_results([good, bad], gt["categories"], frame="pixel", score_policy="constant")
    b, _ = completions_to_results([bad, good], gt["categories"], frame="pixel", score_policy="constant")
    assert coco_evaluate(gt, a)["AP"] > coco_evaluate(gt, b)["AP"]
