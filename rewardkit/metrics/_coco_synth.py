"""Seeded synthetic COCO / LVIS data sets for parity tests and benchmarks (not public API).

The sets exercise what the reference evaluators are sensitive to: crowd ground truths,
ties in score (rounded or constant scores), empty images, zero-area boxes, detections of
absent categories, several detections per ground truth, and all three area ranges.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

ScoreMode = Literal["random", "ties", "constant"]


def _rle_uncompressed(mask: np.ndarray) -> dict[str, Any]:
    """COCO uncompressed RLE (column-major run lengths starting with zeros)."""
    h, w = mask.shape
    flat = mask.T.reshape(-1)
    if flat.size == 0:
        return {"counts": [], "size": [h, w]}
    idx = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    runs = np.diff(np.r_[0, idx, flat.size]).tolist()
    if flat[0]:
        runs = [0] + runs
    return {"counts": [int(r) for r in runs], "size": [h, w]}


def _rle_compressed(mask: np.ndarray) -> dict[str, Any]:
    from pycocotools import mask as mask_utils

    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(s) for s in rle["size"]], "counts": rle["counts"].decode("ascii")}


def _rand_box(rng: np.random.Generator, W: int, H: int, zero_area_frac: float) -> list[float]:
    w = float(np.exp(rng.uniform(np.log(2), np.log(max(3, min(W, H) * 0.9)))))
    h = float(np.exp(rng.uniform(np.log(2), np.log(max(3, min(W, H) * 0.9)))))
    x = float(rng.uniform(0, max(1.0, W - w)))
    y = float(rng.uniform(0, max(1.0, H - h)))
    if rng.random() < zero_area_frac:
        if rng.random() < 0.5:
            w = 0.0
        else:
            h = 0.0
    return [round(x, 2), round(y, 2), round(w, 2), round(h, 2)]


def _jitter(rng: np.random.Generator, box: list[float], scale: float) -> list[float]:
    x, y, w, h = box
    dx, dy = rng.normal(0, scale * max(w, 1.0)), rng.normal(0, scale * max(h, 1.0))
    sw, sh = np.exp(rng.normal(0, scale)), np.exp(rng.normal(0, scale))
    return [round(float(x + dx), 2), round(float(y + dy), 2), round(float(w * sw), 2), round(float(h * sh), 2)]


def _score(rng: np.random.Generator, mode: ScoreMode) -> float:
    if mode == "constant":
        return 1.0
    s = float(rng.random())
    return round(s, 1) if mode == "ties" else s


def synthetic_coco(
    seed: int,
    *,
    n_images: int = 20,
    n_cats: int = 5,
    gt_per_image: float = 4.0,
    dt_per_image: float = 10.0,
    iou_type: Literal["bbox", "segm", "keypoints"] = "bbox",
    crowd_frac: float = 0.1,
    empty_frac: float = 0.1,
    zero_area_frac: float = 0.03,
    score_mode: ScoreMode = "random",
    image_size: tuple[int, int] = (640, 480),
    gt_id_start: int = 1,
    lvis: bool = False,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A ground-truth dict and a results list (file order shuffled) for ``iou_type``."""
    rng = np.random.default_rng(seed)
    W0, H0 = image_size
    images, anns, dets = [], [], []
    cats = [{"id": c + 1, "name": f"cat{c + 1}"} for c in range(n_cats)]
    if iou_type == "keypoints":
        cats = [{"id": 1, "name": "person"}]
        n_cats = 1
    if lvis:
        for c in cats:
            c["frequency"] = "rcf"[int(rng.integers(0, 3))]
            c["image_count"] = int(rng.integers(1, 200))
    ann_id = gt_id_start
    img_ids = rng.permutation(np.arange(1, 10 * n_images + 1))[:n_images].tolist()
    for img_id in img_ids:
        W = int(rng.integers(W0 // 2, W0 + 1))
        H = int(rng.integers(H0 // 2, H0 + 1))
        img = {"id": int(img_id), "width": W, "height": H}
        empty = rng.random() < empty_frac
        n_gt = 0 if empty else int(rng.poisson(gt_per_image))
        img_gts = []
        for _ in range(n_gt):
            cat = int(rng.integers(1, n_cats + 1))
            box = _rand_box(rng, W, H, zero_area_frac)
            crowd = int(rng.random() < crowd_frac) if not lvis else 0
            a = {"id": ann_id, "image_id": int(img_id), "category_id": cat, "bbox": box, "iscrowd": crowd}
            ann_id += 1
            if iou_type == "segm":
                x, y, w, h = box
                if crowd:
                    m = np.zeros((H, W), dtype=bool)
                    x0, y0 = int(x), int(y)
                    m[y0 : y0 + int(h) + 1, x0 : x0 + int(w) + 1] = True
                    a["segmentation"] = _rle_uncompressed(m)
                    a["area"] = float(m.sum())
                else:
                    # a hexagon-ish polygon inside the box
                    xs = [x + w * f for f in (0.2, 0.8, 1.0, 0.8, 0.2, 0.0)]
                    ys = [y + h * f for f in (0.0, 0.0, 0.5, 1.0, 1.0, 0.5)]
                    a["segmentation"] = [[round(float(v), 2) for xy in zip(xs, ys) for v in xy]]
                    a["area"] = round(float(w * h * 0.8), 3)
            else:
                a["area"] = round(float(box[2] * box[3] * rng.uniform(0.6, 1.0)), 3)
            if iou_type == "keypoints":
                x, y, w, h = box
                kx = rng.uniform(x, x + max(w, 1), 17)
                ky = rng.uniform(y, y + max(h, 1), 17)
                v = rng.choice([0, 1, 2], 17, p=[0.3, 0.2, 0.5])
                if rng.random() < 0.15:
                    v[:] = 0
                kp = []
                for i in range(17):
                    kp += [round(float(kx[i]), 1), round(float(ky[i]), 1), int(v[i])] if v[i] else [0, 0, 0]
                a["keypoints"] = kp
                a["num_keypoints"] = int(np.count_nonzero(v))
            if lvis:
                a.pop("iscrowd")
            anns.append(a)
            img_gts.append(a)
        if lvis:
            present = {a["category_id"] for a in img_gts}
            others = [c for c in range(1, n_cats + 1) if c not in present]
            rng.shuffle(others)
            k = len(others) // 2
            img["neg_category_ids"] = sorted(others[:k])
            img["not_exhaustive_category_ids"] = sorted(
                c for c in present if rng.random() < 0.2
            )
        images.append(img)
        # detections
        n_dt = int(rng.poisson(dt_per_image))
        for _ in range(n_dt):
            if img_gts and rng.random() < 0.6:
                g = img_gts[int(rng.integers(0, len(img_gts)))]
                cat = g["category_id"] if rng.random() < 0.85 else int(rng.integers(1, n_cats + 1))
                box = _jitter(rng, g["bbox"], float(rng.choice([0.02, 0.08, 0.2])))
                if rng.random() < zero_area_frac:
                    box[2 + int(rng.integers(0, 2))] = 0.0
                src = g
            else:
                cat = int(rng.integers(1, n_cats + 1))
                box = _rand_box(rng, W, H, zero_area_frac)
                src = None
            d: dict[str, Any] = {"image_id": int(img_id), "category_id": cat, "score": _score(rng, score_mode)}
            if iou_type == "bbox":
                d["bbox"] = box
            elif iou_type == "segm":
                m = np.zeros((H, W), dtype=bool)
                x, y, w, h = box
                x0, y0 = max(int(x), 0), max(int(y), 0)
                m[y0 : max(y0, int(y + h)), x0 : max(x0, int(x + w))] = True
                d["segmentation"] = _rle_compressed(m)
            else:
                if src is not None and "keypoints" in src:
                    base = np.asarray(src["keypoints"], dtype=float).reshape(17, 3)
                    x, y, w, h = src["bbox"]
                    bx = np.where(base[:, 2] > 0, base[:, 0], rng.uniform(x, x + max(w, 1), 17))
                    by = np.where(base[:, 2] > 0, base[:, 1], rng.uniform(y, y + max(h, 1), 17))
                    sc = float(rng.choice([0.01, 0.05, 0.15])) * max(w, h, 1)
                    kx = bx + rng.normal(0, sc, 17)
                    ky = by + rng.normal(0, sc, 17)
                else:
                    x, y, w, h = box
                    kx = rng.uniform(x, x + max(w, 1), 17)
                    ky = rng.uniform(y, y + max(h, 1), 17)
                kp = []
                for i in range(17):
                    kp += [round(float(kx[i]), 2), round(float(ky[i]), 2), 1]
                d["keypoints"] = kp
            dets.append(d)
    perm = rng.permutation(len(dets))
    dets = [dets[i] for i in perm.tolist()]
    gt = {"images": images, "annotations": anns, "categories": cats}
    return gt, dets
