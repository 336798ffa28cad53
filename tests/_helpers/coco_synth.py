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


def benchmark_set(
    seed: int = 0,
    *,
    n_images: int = 5000,
    n_cats: int = 80,
    gt_per_image: int = 7,
    dt_per_image: int = 100,
    iou_type: Literal["bbox", "segm"] = "bbox",
    image_size: tuple[int, int] = (640, 480),
    lvis: bool = False,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A COCO-like set built with vectorized numpy (for benchmarks at 5,000 images).

    Per image about ``gt_per_image`` ground truths (5% crowd) of a few categories and
    ``dt_per_image`` detections: 40% jittered copies of ground truths, the rest random
    boxes of the image's categories or of random ones; scores rounded to 3 decimals
    (real detectors produce ties).
    """
    rng = np.random.default_rng(seed)
    W, H = image_size
    n_gt_img = rng.poisson(gt_per_image, n_images)
    n_gt = int(n_gt_img.sum())
    g_img = np.repeat(np.arange(n_images), n_gt_img)
    g_cat = rng.integers(1, n_cats + 1, n_gt)
    gw = np.exp(rng.uniform(np.log(4), np.log(W * 0.8), n_gt))
    gh = np.exp(rng.uniform(np.log(4), np.log(H * 0.8), n_gt))
    gx = rng.uniform(0, 1, n_gt) * (W - gw)
    gy = rng.uniform(0, 1, n_gt) * (H - gh)
    g_crowd = (rng.random(n_gt) < 0.05) & (not lvis)
    n_dt = n_images * dt_per_image
    d_img = np.repeat(np.arange(n_images), dt_per_image)
    from_gt = rng.random(n_dt) < 0.4
    # pick a ground truth of the same image when it has one
    start = np.r_[0, np.cumsum(n_gt_img)[:-1]]
    cnt = n_gt_img[d_img]
    pick = start[d_img] + (rng.random(n_dt) * np.maximum(cnt, 1)).astype(np.int64)
    from_gt &= cnt > 0
    pick = np.where(from_gt, pick, 0)
    s = rng.choice([0.03, 0.1, 0.25], n_dt)
    dw = np.where(from_gt, gw[pick] * np.exp(rng.normal(0, s)), np.exp(rng.uniform(np.log(4), np.log(W * 0.8), n_dt)))
    dh = np.where(from_gt, gh[pick] * np.exp(rng.normal(0, s)), np.exp(rng.uniform(np.log(4), np.log(H * 0.8), n_dt)))
    dx = np.where(from_gt, gx[pick] + rng.normal(0, 1, n_dt) * s * gw[pick], rng.uniform(0, 1, n_dt) * (W - dw))
    dy = np.where(from_gt, gy[pick] + rng.normal(0, 1, n_dt) * s * gh[pick], rng.uniform(0, 1, n_dt) * (H - dh))
    same_cat = rng.random(n_dt) < 0.5
    d_cat = np.where(from_gt | (same_cat & (cnt > 0)), g_cat[pick], rng.integers(1, n_cats + 1, n_dt))
    score = np.round(rng.random(n_dt), 3)
    img_ids = (np.arange(n_images) * 3 + 1).tolist()
    images = [{"id": i, "width": W, "height": H} for i in img_ids]
    cats = [{"id": c, "name": f"cat{c}"} for c in range(1, n_cats + 1)]
    if lvis:
        for c in cats:
            c["frequency"] = "rcf"[int(rng.integers(0, 3))]
        for k, img in enumerate(images):
            present = set(g_cat[g_img == k].tolist()) if n_gt_img[k] else set()
            img["neg_category_ids"] = sorted(set(rng.integers(1, n_cats + 1, 5).tolist()) - present)
            img["not_exhaustive_category_ids"] = sorted(c for c in present if rng.random() < 0.1)
    gbox = np.round(np.stack([gx, gy, gw, gh], 1), 2)
    dbox = np.round(np.stack([dx, dy, dw, dh], 1), 2)
    area = np.round(gbox[:, 2] * gbox[:, 3], 2)
    gl = gbox.tolist()
    anns = []
    for j in range(n_gt):
        a = {
            "id": j + 1,
            "image_id": img_ids[g_img[j]],
            "category_id": int(g_cat[j]),
            "bbox": gl[j],
            "area": float(area[j]),
            "iscrowd": int(g_crowd[j]),
        }
        if lvis:
            del a["iscrowd"]
        anns.append(a)
    if iou_type == "segm":
        for a in anns:
            x, y, w, h = a["bbox"]
            a["segmentation"] = [[x + 0.2 * w, y, x + 0.8 * w, y, x + w, y + 0.5 * h, x + 0.8 * w, y + h,
                                  x + 0.2 * w, y + h, x, y + 0.5 * h]]  # fmt: skip
            a["area"] = round(0.8 * w * h, 2)
    dl = dbox.tolist()
    sl = score.tolist()
    dimg = d_img.tolist()
    dcat = d_cat.tolist()
    if iou_type == "bbox":
        dets = [
            {"image_id": img_ids[dimg[i]], "category_id": dcat[i], "bbox": dl[i], "score": sl[i]} for i in range(n_dt)
        ]
    else:
        from pycocotools import mask as mask_utils

        polys = [[[x, y, x + w * 0.9, y, x + w, y + h, x, y + h * 0.9]] for x, y, w, h in dl]
        dets = []
        for i in range(n_dt):
            rle = mask_utils.merge(mask_utils.frPyObjects(polys[i], H, W))
            dets.append(
                {
                    "image_id": img_ids[dimg[i]],
                    "category_id": dcat[i],
                    "segmentation": {"size": [H, W], "counts": rle["counts"].decode("ascii")},
                    "score": sl[i],
                }
            )
    return {"images": images, "annotations": anns, "categories": cats}, dets
