"""Split tables on hand-computed cases: per-category AP over subsets, OV-COCO nAP50/bAP50."""

from __future__ import annotations

import math

import numpy as np
import pytest
from rewardkit.eval import categories as cats

from rewardkit.metrics.coco import category_subset_ap, coco_evaluate, resolve_category_ids

EPS = np.spacing(1)


def _gt(cat_ids, names=None):
    names = names or {c: f"c{c}" for c in cat_ids}
    anns = []
    for i, c in enumerate(cat_ids):
        anns.append(
            {"id": i + 1, "image_id": 1, "category_id": c, "bbox": [10 + 60 * i, 10, 50, 50], "area": 2500, "iscrowd": 0}
        )
    return {
        "images": [{"id": 1, "width": 1000, "height": 200}],
        "categories": [{"id": c, "name": names[c]} for c in cat_ids],
        "annotations": anns,
    }


def _box(i):
    return [10 + 60 * i, 10, 50, 50]


def test_hand_computed_subset_ap():
    # cat 1: one exact detection -> AP 1; cat 2: a false positive scored above the exact
    # detection -> precision 1/2 at every recall threshold -> AP 0.5; cat 3: nothing -> 0
    gt = _gt([1, 2, 3])
    res = [
        {"image_id": 1, "category_id": 1, "bbox": _box(0), "score": 0.9},
        {"image_id": 1, "category_id": 2, "bbox": [500, 100, 20, 20], "score": 0.95},
        {"image_id": 1, "category_id": 2, "bbox": _box(1), "score": 0.8},
    ]
    r = coco_evaluate(gt, res)
    per = {row["id"]: row for row in r["per_category"]}
    # a perfect category gives 1 / (1 + np.spacing(1)), pycocotools' precision formula
    assert per[1]["AP"] == 1 / (1 + EPS) and per[3]["AP"] == 0.0
    assert per[2]["AP"] == pytest.approx(0.5, abs=1e-15)
    assert per[2]["AP50"] == per[2]["AP75"] == per[2]["AP"]
    sub = category_subset_ap(r, [1, 2])
    assert sub["mean"] == pytest.approx(0.75, abs=1e-15) and sub["n"] == 2
    assert category_subset_ap(r, ["c1", "C3"])["mean"] == pytest.approx(0.5, abs=1e-15)
    t = cats.subset_table(r, [2, 3])
    assert t["AP"] == pytest.approx(0.25, abs=1e-15) and t["AP50"] == t["AP"] and t["n"] == 2


def test_category_without_gt_is_left_out():
    gt = _gt([1, 2])
    gt["annotations"] = gt["annotations"][:1]
    res = [{"image_id": 1, "category_id": 1, "bbox": _box(0), "score": 0.9}]
    r = coco_evaluate(gt, res)
    sub = category_subset_ap(r, [1, 2])
    assert sub["mean"] == 1 / (1 + EPS) and sub["no_gt"] == [2] and sub["n"] == 1
    assert math.isnan(category_subset_ap(r, [2])["mean"])


def test_resolve_names_and_errors():
    c = [{"id": 11, "name": "fire hydrant"}, {"id": 620, "name": "kitchen_table", "synonyms": ["kitchen_table"]},
         {"id": 745, "name": "omelet", "synonyms": ["omelet", "omelette"]}]  # fmt: skip
    assert resolve_category_ids(["Fire_Hydrant", "kitchen table", "omelette", 11, "620"], c) == [11, 620, 745, 11, 620]
    with pytest.raises(KeyError, match="did you mean"):
        resolve_category_ids(["fire hydrnt"], c)


def test_lists_are_shipped_and_consistent():
    assert set(cats.available_lists()) >= {
        "coco80", "visual_rft_coco8", "visual_rft_lvis_rare6", "ov_coco_base48", "ov_coco_novel17"
    }  # fmt: skip
    novel = cats.category_ids("ov_coco_novel17")
    base = cats.category_ids("ov_coco_base48")
    assert novel == [5, 6, 17, 18, 21, 22, 28, 32, 36, 41, 47, 49, 61, 63, 76, 81, 87]
    assert len(base) == 48 and not set(base) & set(novel)
    coco = {c["id"]: c["name"] for c in cats.load_category_list("coco80")["categories"]}
    assert len(coco) == 80 and set(base) | set(novel) <= set(coco)
    assert cats.category_names("visual_rft_coco8") == [
        "bus", "train", "fire hydrant", "stop sign", "cat", "dog", "bed", "toilet"
    ]  # fmt: skip
    assert [coco[i] for i in cats.category_ids("visual_rft_coco8")] == cats.category_names("visual_rft_coco8")
    assert cats.category_names("visual_rft_lvis_rare6")[0] == "horse_buggy"
    with pytest.raises(KeyError):
        cats.category_ids("visual_rft_lvis_rare6")
    with pytest.raises(KeyError, match="available"):
        cats.load_category_list("nope")


def test_ov_coco_table_hand_computed():
    coco = {c["id"]: c["name"] for c in cats.load_category_list("coco80")["categories"]}
    ids = [1, 5, 6]  # person (base), airplane and bus (novel)
    gt = _gt(ids, {i: coco[i] for i in ids})
    res = [
        {"image_id": 1, "category_id": 1, "bbox": _box(0), "score": 0.9},  # person: AP50 1
        {"image_id": 1, "category_id": 5, "bbox": _box(1), "score": 0.9},  # airplane: AP50 1
        {"image_id": 1, "category_id": 6, "bbox": [700, 100, 30, 30], "score": 0.9},  # bus: 0
    ]
    r = coco_evaluate(gt, res)
    t = cats.ov_coco_table(r)
    assert t["nAP50"] == pytest.approx(0.5, abs=1e-15) and t["n_novel"] == 2
    assert t["bAP50"] == pytest.approx(1.0, abs=1e-15) and t["n_base"] == 1
    assert t["AP50"] == pytest.approx(2 / 3, abs=1e-15)
    with pytest.raises(KeyError):
        cats.subset_table(r, cats.category_ids("ov_coco_novel17"))


def test_visual_rft_coco_table_on_names():
    coco = {c["id"]: c["name"] for c in cats.load_category_list("coco80")["categories"]}
    ids = cats.category_ids("visual_rft_coco8")
    gt = _gt(ids, {i: coco[i] for i in ids})
    res = [{"image_id": 1, "category_id": c, "bbox": _box(i), "score": 0.5} for i, c in enumerate(ids[:4])]
    t = cats.visual_rft_coco_table(coco_evaluate(gt, res))
    assert t["AP"] == pytest.approx(0.5, abs=1e-15) and t["n"] == 8
