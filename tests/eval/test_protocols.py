"""rewardkit.eval protocols on small annotation files made here (builders, prompts, tables)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rewardkit.eval import classification, coco_fewshot, lisa, lvis_rare, ov_coco, prompts, tables
from rewardkit.eval._detection import boxes_norm1000, coco_results, solution_string
from rewardkit.eval.categories import category_ids, category_names, load_category_list

from rewardkit.registry import get_reward

COCO8 = category_names("visual_rft_coco8")


def _coco(n_per_cat=3, cats=("bus", "cat", "dog"), size=(640, 480)):
    """Images each holding one or two boxes of one category; ids as in COCO."""
    all_cats = load_category_list("coco80")["categories"]
    by_name = {c["name"]: c for c in all_cats}
    images, anns, k, img = [], [], 1, 1
    for ci, name in enumerate(cats):
        for j in range(n_per_cat):
            images.append({"id": img, "width": size[0], "height": size[1], "file_name": f"{img:06d}.jpg"})
            for b in range(1 + (j % 2)):
                x, y = 20 + 100 * b + 7 * ci, 30 + 10 * j
                anns.append({"id": k, "image_id": img, "category_id": by_name[name]["id"], "bbox": [x, y, 80, 60], "area": 4800, "iscrowd": 0})
                k += 1
            img += 1
    # a crowd box never enters training rows
    anns.append({"id": k, "image_id": 1, "category_id": by_name[cats[0]]["id"], "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 1})
    return {"images": images, "annotations": anns, "categories": all_cats}


def _perfect_predictions(gt, rows):
    """Completions that repeat the ground truth (norm1000) for every evaluation row."""
    by_pair = {}
    for a in gt["annotations"]:
        if not a.get("iscrowd"):
            by_pair.setdefault((a["image_id"], a["category_id"]), []).append(a["bbox"])
    images = {im["id"]: im for im in gt["images"]}
    preds = []
    for r in rows:
        boxes = by_pair.get((r["image_id"], r["category_id"]), [])
        im = images[r["image_id"]]
        sol = solution_string(boxes_norm1000(boxes, im["width"], im["height"]))
        preds.append({"image_id": r["image_id"], "category_id": r["category_id"], "completion": "<think>t</think>" + sol})
    return preds


def test_detection_prompt_is_table_1_and_its_answer_scores_the_maximum():
    p = prompts.detection_prompt("stop sign")
    assert p.startswith("Detect all objects belonging to the category 'stop sign' in the image, and provide the bounding boxes (between 0 and 1000, integer) and confidence")
    assert "<think> ... </think><answer>[{'Position': [x1, y1, x2, y2], 'Confidence': number}" in p
    assert p.endswith("Please strictly follow the format.")
    c = prompts.classification_prompt("flower102")
    assert c.startswith("This is an image containing a plant. Please identify the species of the plant based on the image.")
    assert "<answer>species name</answer>" in c
    with pytest.raises(ValueError):
        prompts.detection_prompt("  ")
    with pytest.raises(ValueError):
        prompts.classification_prompt("imagenet")


def test_few_shot_training_rows():
    gt = _coco()
    rows = coco_fewshot.build_training_set(gt, 2, categories=["bus", "cat"], seed=1)
    assert len(rows) == 4
    assert {r["category"] for r in rows} == {"bus", "cat"}
    assert len({r["image_id"] for r in rows}) == 4
    assert rows == coco_fewshot.build_training_set(gt, 2, categories=["bus", "cat"], seed=1)  # seeded
    r = rows[0]
    assert r["prompt"] == prompts.detection_prompt(r["category"])
    assert all(len(b) == 4 and all(isinstance(v, int) for v in b) for b in r["boxes"])
    # the solution string is what the reward reads as ground truth: a perfect answer scores 3
    reward = get_reward("visual_rft.detection")
    best = "<think>t</think>" + solution_string(r["boxes"])
    assert reward(best, r["solution"]).score == pytest.approx(3.0)
    with pytest.raises(ValueError, match="fewer than"):
        coco_fewshot.build_training_set(gt, 5, categories=["bus"])
    with pytest.raises(KeyError, match="not in the annotation"):
        coco_fewshot.build_training_set(gt, 1, categories=["unicorn"])
    # negatives: images without the category answer "No Objects"
    neg = coco_fewshot.build_training_set(gt, 1, categories=["bus"], negatives=2)
    assert sum(r["solution"] == "<answer>No Objects</answer>" for r in neg) == 2


def test_boxes_norm1000_and_back():
    assert boxes_norm1000([[64, 48, 320, 240]], 640, 480) == [[100, 100, 600, 600]]


def test_coco_fewshot_table_perfect_and_empty_predictions(capsys):
    gt = _coco(cats=("bus", "cat"))
    rows = coco_fewshot.build_eval_set(gt, categories=["bus", "cat"])
    assert len(rows) == len(gt["images"]) * 2
    table = coco_fewshot.evaluate(gt, _perfect_predictions(gt, rows), categories=["bus", "cat"])
    assert table["mAP"] == pytest.approx(1.0)
    assert [r["name"] for r in table["per_category"]] == ["bus", "cat"]
    text = coco_fewshot.format_table(table, "perfect")
    assert "mAP" in text and "100.0" in text
    none = coco_fewshot.evaluate(gt, [dict(p, completion="I cannot tell") for p in _perfect_predictions(gt, rows)], categories=["bus", "cat"])
    assert none["mAP"] == 0.0 and none["counts"]["unreadable"] == len(rows)


def test_coco_fewshot_default_categories_are_visual_rfts_eight(tmp_path, capsys):
    gt = _coco(n_per_cat=1, cats=tuple(COCO8))
    path = tmp_path / "val.json"
    path.write_text(json.dumps(gt))
    rows = coco_fewshot.build_eval_set(str(path))
    assert {r["category"] for r in rows} == set(COCO8)
    preds = tmp_path / "preds.jsonl"
    preds.write_text("\n".join(json.dumps(p) for p in _perfect_predictions(gt, rows)))
    assert tables.main(["coco-fewshot", "--annotations", str(path), "--predictions", str(preds), "--model", "oracle"]) == 0
    out = capsys.readouterr().out
    assert "Table 3" in out and "fire hydrant" in out and "oracle" in out and "100.0" in out
    # the module CLI: build the training set
    out_file = tmp_path / "train.jsonl"
    assert coco_fewshot.main(["train", "--annotations", str(path), "--shots", "1", "--out", str(out_file)]) == 0
    assert len(out_file.read_text().splitlines()) == 8


def test_wrong_frame_gives_a_low_table_not_a_crash():
    gt = _coco(cats=("bus",))
    rows = coco_fewshot.build_eval_set(gt, categories=["bus"])
    preds = _perfect_predictions(gt, rows)
    table = coco_fewshot.evaluate(gt, preds, categories=["bus"], pred_frame="norm1")
    assert table["mAP"] < 0.1


def test_ov_coco_split_and_table():
    novel = category_ids("ov_coco_novel17")
    base = category_ids("ov_coco_base48")
    all_cats = {c["id"]: c["name"] for c in load_category_list("coco80")["categories"]}
    gt = _coco(n_per_cat=2, cats=(all_cats[novel[0]], all_cats[base[0]], all_cats[base[1]]))
    rows = ov_coco.build_eval_set(gt, only_present=True)
    assert {r["category_id"] for r in rows} == {novel[0], base[0], base[1]}
    preds = _perfect_predictions(gt, rows)
    # novel answered perfectly, base answered with nothing
    preds = [p if p["category_id"] == novel[0] else dict(p, completion="<think>t</think><answer>No Objects</answer>") for p in preds]
    t = ov_coco.evaluate(gt, preds)
    assert t["nAP50"] == pytest.approx(1.0) and t["bAP50"] == 0.0
    assert t["n_novel"] == 1 and t["n_base"] == 2
    assert "nAP50" in ov_coco.format_table(t)
    with pytest.raises(ValueError, match="fewer than"):
        ov_coco.build_training_set(gt, shots=1)  # most base categories have no image here


def _lvis():
    cats = [
        {"id": 1, "name": "horse_buggy", "synonyms": ["horse_buggy", "buggy"], "frequency": "r", "image_count": 3},
        {"id": 2, "name": "papaya", "synonyms": ["papaya"], "frequency": "r", "image_count": 2},
        {"id": 3, "name": "dog", "synonyms": ["dog"], "frequency": "f", "image_count": 200},
    ]
    images, anns = [], []
    for i in range(1, 5):
        images.append({"id": i, "width": 500, "height": 400, "file_name": f"{i}.jpg", "neg_category_ids": [2] if i in (3, 4) else [], "not_exhaustive_category_ids": []})
    anns = [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 100, 80], "area": 8000},
        {"id": 2, "image_id": 2, "category_id": 1, "bbox": [50, 60, 120, 90], "area": 10800},
        {"id": 3, "image_id": 1, "category_id": 2, "bbox": [200, 100, 60, 60], "area": 3600},
        {"id": 4, "image_id": 4, "category_id": 3, "bbox": [0, 0, 300, 300], "area": 90000},
    ]
    return {"images": images, "annotations": anns, "categories": cats}


def test_lvis_rare_builders_and_table():
    gt = _lvis()
    train = lvis_rare.build_training_set(gt, categories=["buggy", "papaya"])
    # every image of a rare category is taken (fewer than 10)
    assert sorted((r["category"], r["image_id"]) for r in train) == [("horse buggy", 1), ("horse buggy", 2), ("papaya", 1)]
    rows = lvis_rare.build_eval_set(gt, categories=["buggy", "papaya"])
    # federated: papaya is evaluated on image 1 (present) and 3, 4 (verified absent), not on 2
    assert sorted((r["category_id"], r["image_id"]) for r in rows) == [(1, 1), (1, 2), (2, 1), (2, 3), (2, 4)]
    t = lvis_rare.evaluate(gt, _perfect_predictions(gt, rows), categories=["buggy", "papaya"])
    assert t["mAP"] == pytest.approx(1.0) and t["n"] == 2
    assert "Table 4" in lvis_rare.format_table(t)


def test_coco_results_reads_confidence_and_frames():
    gt = _coco(n_per_cat=1, cats=("bus",))
    p = {"image_id": 1, "category": "bus", "completion": "<think/><answer>[{'Position': [0, 0, 500, 500], 'Confidence': 0.3}, [500, 500, 1000, 1000]]</answer>"}
    res, counts = coco_results([p], gt)
    assert counts == {"rows": 1, "boxes": 2, "unreadable": 0}
    assert res[0]["bbox"] == pytest.approx([0, 0, 320, 240]) and res[0]["score"] == pytest.approx(0.3)
    assert res[1]["score"] == 1.0
    res, _ = coco_results([dict(p, completion="<answer>[[0, 0, 320, 240]]</answer>")], gt, pred_frame="pixel")
    assert res[0]["bbox"] == pytest.approx([0, 0, 320, 240])


def test_classification_builder_and_table(tmp_path, capsys):
    root = tmp_path / "flowers"
    for folder in ("001_pink_primrose", "002_globe_thistle"):
        (root / folder).mkdir(parents=True)
        for k in range(3):
            (root / folder / f"img{k}.jpg").write_bytes(b"jpg")
        (root / folder / "notes.txt").write_text("not an image")
    classes = tmp_path / "classes.txt"
    classes.write_text("# flowers\n0 pink primrose\n1 globe thistle\n")
    assert classification.read_class_list(str(classes)) == ["pink primrose", "globe thistle"]
    rows = classification.build_set(str(root), str(classes), shots=2, seed=0, folders_by_order=True)
    assert len(rows) == 4 and {r["label"] for r in rows} == {"pink primrose", "globe thistle"}
    assert all(r["image"].endswith(".jpg") for r in rows)
    assert rows[0]["prompt"] == prompts.classification_prompt("flower102")
    with pytest.raises(ValueError, match="match no class"):
        classification.build_set(str(root), ["rose", "tulip"])
    preds = [
        {"dataset": "flower102", "label": "pink primrose", "completion": "<think>t</think><answer>Pink Primrose</answer>"},
        {"dataset": "flower102", "label": "globe thistle", "completion": "<think>t</think><answer>globe</answer>"},  # prefix: wrong
        {"dataset": "pets37", "label": "pug", "completion": "<think>t</think><answer>pug</answer>"},
        {"dataset": "pets37", "label": "pug", "completion": "<think>t</think><answer></answer>"},  # empty: wrong
    ]
    t = classification.evaluate(preds)
    assert t["per_dataset"] == {"flower102": 0.5, "pets37": 0.5}
    assert t["average"] == 0.5
    path = tmp_path / "preds.jsonl"
    path.write_text("\n".join(json.dumps(p) for p in preds))
    assert tables.main(["classification", "--predictions", str(path)]) == 0
    assert "Table 2" in capsys.readouterr().out


def test_lisa_builder_and_table(tmp_path):
    root = tmp_path / "lisa"
    root.mkdir()
    doc = {
        "text": ["the thing you sit on", "what holds the plant?"],
        "is_sentence": True,
        "imageWidth": 200,
        "imageHeight": 100,
        "shapes": [
            {"label": "target", "points": [[20, 10], [120, 10], [120, 60], [20, 60]]},
            {"label": "ignore", "points": [[150, 70], [190, 70], [190, 90]]},
        ],
    }
    (root / "a.json").write_text(json.dumps(doc))
    rows = lisa.build_set(str(root))
    assert len(rows) == 2
    assert rows[0]["box"] == [100, 100, 600, 600]
    assert get_reward("grounding.iou")("<think>t</think><answer>[100, 100, 600, 600]</answer>", rows[0]["solution"]).score == pytest.approx(1.0)
    mask = np.zeros((100, 200), bool)
    mask[10:60, 20:120] = True
    preds = [
        {"id": rows[0]["id"], "completion": "<think>t</think><answer>[100, 100, 600, 600]</answer>", "mask": mask},
        {"id": rows[1]["id"], "completion": "<think>t</think><answer>[100, 100, 350, 600]</answer>", "mask": mask},
    ]
    t = lisa.evaluate(rows, preds)
    assert t["mIoU"] == pytest.approx((1.0 + 0.5) / 2)
    assert 0.9 < t["gIoU"] <= 1.0
    assert "Table 5" in lisa.format_table(t)


def test_vision_r1_table_in_the_qwen25vl_frame():
    gt = _coco(n_per_cat=2, cats=("bus",), size=(1000, 700))
    rows = coco_fewshot.build_eval_set(gt, categories=["bus"])
    from rewardkit.parsing.frames import qwen25vl_resize

    rw, rh = qwen25vl_resize(1000, 700)
    preds = []
    for r in rows:
        boxes = [a["bbox"] for a in gt["annotations"] if a["image_id"] == r["image_id"] and not a.get("iscrowd")]
        items = [{"bbox_2d": [x * rw / 1000, y * rh / 700, (x + w) * rw / 1000, (y + h) * rh / 700], "label": "bus"} for x, y, w, h in boxes]
        preds.append({"image_id": r["image_id"], "category_id": r["category_id"], "completion": f"<think>t</think><answer>{json.dumps(items)}</answer>"})
    t = tables.vision_r1_table(gt, preds)
    assert t["AP50"] == pytest.approx(1.0) and t["mAP"] == pytest.approx(1.0)
    assert "Vision-R1" in tables.format_vision_r1(t)


def test_vision_r1_table_ranks_boxes_as_eval_coco_does():
    """One home for completions -> COCO results (issue 12): the protocol table used its own
    converter, which clipped confidences to [0, 1], so a false positive at 1.7 and a true
    positive at 1.2 tied at 1.0 (file order put the true positive first: AP 1.0) while
    ``rewardkit eval coco`` kept them and ranked the false positive first (AP 0.5: at
    recall 1 the precision is 1/2). Both now keep the model's confidences."""
    from rewardkit.metrics.coco import coco_evaluate
    from rewardkit.metrics.results import completions_to_results

    gt = {"images": [{"id": 1, "width": 1000, "height": 1000}],
          "categories": [{"id": 1, "name": "bus"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [100, 100, 200, 200], "area": 40000, "iscrowd": 0}]}
    items = [{"bbox_2d": [100, 100, 300, 300], "label": "bus", "score": 1.2},
             {"bbox_2d": [600, 600, 900, 900], "label": "bus", "score": 1.7}]
    preds = [{"image_id": 1, "category_id": 1, "completion": f"<answer>{json.dumps(items)}</answer>"}]
    table = tables.vision_r1_table(gt, preds, pred_frame="pixel")
    results, _ = completions_to_results(preds, gt["categories"], frame="pixel")
    assert sorted(r["score"] for r in results) == [1.2, 1.7]
    assert table["AP50"] == coco_evaluate(gt, results, "bbox")["AP50"] == pytest.approx(0.5, abs=0.01)
