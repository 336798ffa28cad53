"""Build the default dataset of ``rewardkit audit --quality`` from public ground truths.

    python scripts/build_quality_data.py [FIXTURES_DIR]

FIXTURES_DIR holds (default: ``../shared/fixtures``, else ``tests/data``):

* ``coco/instances_val2014_100.json``: COCO 2014 val instances of 100 images
  (the subset the COCO parity tests use);
* ``lvis/lvis_val_100.json``: LVIS v1 val annotations of 100 images (LVIS parity tests);
* ``keypoints/gt.json``: COCO 2017 val person keypoints of image 139099 (OKS parity tests).

It writes ``rewardkit/auditing/data/quality_default.jsonl``: one JSON row per sample,
``{"id", "task", "split", "image_size": [w, h], "prompt", "ground_truth"}``, with the
ground truth in the form the rewards of that task read (boxes in ``norm1000`` integers,
the default frame of every box reward). The rows are a deterministic function of the
inputs (no randomness): re-running the script reproduces the file byte for byte.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "rewardkit" / "auditing" / "data" / "quality_default.jsonl"
SEG_SIDE = 320
SEG_ROWS = 60


def _find_fixtures(arg: str | None) -> Path:
    for cand in ([Path(arg)] if arg else []) + [REPO.parent / "shared" / "fixtures", REPO / "tests" / "data"]:
        if (cand / "coco" / "instances_val2014_100.json").is_file():
            return cand
    raise SystemExit("fixtures not found: pass the folder holding coco/, lvis/ and keypoints/")


def _split(i: int) -> str:
    """Alternate rows between the splits (deterministic, balanced within each task)."""
    return "train" if i % 2 == 0 else "test"


def _norm1000(bbox: list[float], w: int, h: int) -> list[int]:
    x, y, bw, bh = bbox
    out = [round(x / w * 1000), round(y / h * 1000), round((x + bw) / w * 1000), round((y + bh) / h * 1000)]
    out[2] = max(out[2], out[0] + 1)
    out[3] = max(out[3], out[1] + 1)
    return [min(1000, max(0, v)) for v in out]


def _name(cat: dict) -> str:
    return cat["name"].replace("_", " ")


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _instances(path: Path) -> tuple[dict, dict, dict]:
    data = json.loads(path.read_text())
    cats = {c["id"]: c for c in data["categories"]}
    images = {im["id"]: im for im in data["images"]}
    anns: dict[int, list] = defaultdict(list)
    for a in data["annotations"]:
        if not a.get("iscrowd", 0) and a["bbox"][2] > 0 and a["bbox"][3] > 0:
            anns[a["image_id"]].append(a)
    return cats, images, anns


def build(fixtures: Path) -> list[dict]:
    rows: list[dict] = []
    cats, images, anns = _instances(fixtures / "coco" / "instances_val2014_100.json")
    lcats, limages, lanns = _instances(fixtures / "lvis" / "lvis_val_100.json")
    coco_ids = sorted(i for i in images if anns[i])
    lvis_ids = sorted(i for i in limages if lanns[i])

    def add(task: str, src: str, image: dict, prompt: str, gt) -> None:
        n = sum(1 for r in rows if r["task"] == task)
        rows.append({
            "id": f"{task}/{src}/{image['id']}" + (f"/{n}" if task in ("counting", "multi_pose") else ""),
            "task": task, "split": _split(n), "image_size": [image["width"], image["height"]],
            "prompt": prompt, "ground_truth": gt,
        })

    # detection: every non-crowd COCO object of the image, labelled; the prompt names the
    # categories present (open-vocabulary detection prompts, VLM-R1 / Visual-RFT style)
    for i in coco_ids:
        im, objs = images[i], sorted(anns[i], key=lambda a: a["id"])
        labels = [_name(cats[a["category_id"]]) for a in objs]
        boxes = [_norm1000(a["bbox"], im["width"], im["height"]) for a in objs]
        prompt = f"Locate every {_join(sorted(set(labels)))} in the image."
        add("detection", "coco", im, prompt, {"boxes": boxes, "labels": labels, "image_size": [im["width"], im["height"]]})

    # grounding: the largest object whose category occurs once in the image ("the dog")
    for i in coco_ids:
        im = images[i]
        count = Counter(a["category_id"] for a in anns[i])
        single = [a for a in anns[i] if count[a["category_id"]] == 1]
        if not single:
            continue
        a = max(single, key=lambda a: (a["area"], -a["id"]))
        add("grounding", "coco", im, f"Locate the {_name(cats[a['category_id']])} in the image.",
            {"boxes": [_norm1000(a["bbox"], im["width"], im["height"])], "image_size": [im["width"], im["height"]]})

    # counting: instances of each category present (COCO and LVIS)
    for src, ids, imgs, objs, cs in (("coco", coco_ids, images, anns, cats), ("lvis", lvis_ids, limages, lanns, lcats)):
        for i in ids:
            count = Counter(a["category_id"] for a in objs[i])
            for cid in sorted(count):
                add("counting", src, imgs[i], f"How many {_name(cs[cid])} are there in the image?", count[cid])

    # classification: the category of the largest object (COCO: 80 classes; LVIS: long tail)
    for src, ids, imgs, objs, cs in (("coco", coco_ids, images, anns, cats), ("lvis", lvis_ids, limages, lanns, lcats)):
        vocab = "COCO" if src == "coco" else "LVIS"
        for i in ids:
            a = max(objs[i], key=lambda a: (a["area"], -a["id"]))
            add("classification", src, imgs[i], f"What is the largest object in the image? Answer with its {vocab} category name.",
                _name(cs[a["category_id"]]))

    # segmentation: the polygon mask of the largest COCO object, the image scaled so that its
    # longer side is 320 px (Seg-R1's S-measure costs O(pixels): the full table stays fast)
    for i in coco_ids[:SEG_ROWS]:
        im = images[i]
        polys = [a for a in anns[i] if isinstance(a.get("segmentation"), list) and a["segmentation"]]
        if not polys:
            continue
        a = max(polys, key=lambda a: (a["area"], -a["id"]))
        f = SEG_SIDE / max(im["width"], im["height"])
        size = [round(im["width"] * f), round(im["height"] * f)]
        seg = [[round(v * f, 1) for v in p] for p in a["segmentation"] if len(p) >= 6]
        add("segmentation", "coco", {**im, "width": size[0], "height": size[1]}, f"Segment the {_name(cats[a['category_id']])}.",
            {"segmentation": seg, "image_size": size})

    # single-person pose (2-D pixels) and its 3-D lift (mm, z = 0), persons with >= 5 keypoints
    kp = json.loads((fixtures / "keypoints" / "gt.json").read_text())
    kim = kp["images"][0]
    persons = sorted((a for a in kp["annotations"] if not a["iscrowd"] and a["num_keypoints"] >= 5), key=lambda a: a["id"])
    for a in persons:
        add("pose", "coco", kim, "Locate the 17 COCO keypoints of the person.",
            {"keypoints": a["keypoints"], "area": round(a["area"], 2), "bbox": [round(v, 2) for v in a["bbox"]]})
    for a in persons:
        # pixels -> millimetres: the person's box height taken as 1700 mm, origin at the box centre
        x, y, bw, bh = a["bbox"]
        mm = 1700.0 / bh
        joints = []
        for k in range(17):
            px, py, v = a["keypoints"][3 * k: 3 * k + 3]
            joints.append([round((px - x - bw / 2) * mm, 1), round((py - y - bh / 2) * mm, 1), 0.0, 2 if v > 0 else 0] if v > 0 else [0.0, 0.0, 0.0, 0])
        add("pose3d", "coco", kim, "Give the 3-D positions (mm) of the 17 COCO keypoints of the person.", {"keypoints": joints})

    # multi-person pose: the labelled persons of image 139099, sorted left to right, in
    # pseudo-images of three neighbours (a window sliding by one person; the image size kept)
    labelled = sorted((a for a in kp["annotations"] if not a["iscrowd"] and a["num_keypoints"] > 0), key=lambda a: (a["bbox"][0], a["id"]))
    for j in range(len(labelled) - 2):
        gt = [{"keypoints": a["keypoints"], "area": round(a["area"], 2), "bbox": [round(v, 2) for v in a["bbox"]],
               "iscrowd": 0, "num_keypoints": a["num_keypoints"]} for a in labelled[j: j + 3]]
        add("multi_pose", "coco", kim, "Locate the 17 COCO keypoints of every person.", gt)
    return rows


def main(argv: list[str]) -> int:
    fixtures = _find_fixtures(argv[1] if len(argv) > 1 else None)
    rows = build(fixtures)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows))
    tasks = Counter(r["task"] for r in rows)
    print(f"wrote {OUT.relative_to(REPO)}: {len(rows)} rows, {OUT.stat().st_size / 1024:.0f} KiB; {dict(tasks)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
