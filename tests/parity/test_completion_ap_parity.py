"""Per-completion AP (rewardkit.geometry.ap.image_ap) against pycocotools COCOeval.

Each case is one image and one category, evaluated the way VLM-R1's AP reward does it
(a fresh COCO + COCOeval per completion), and compared bit for bit (tolerance 0:
``==`` on AP, AP50, AP75 and AR@100; -1 from pycocotools <=> ``defined is False``).
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from rewardkit.geometry.ap import image_ap

pytest.importorskip("pycocotools")
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402

N_CASES = 240


def coco_stats(dt_xywh, gt_xywh, scores):
    """stats of a fresh one-image, one-category COCOeval (the public approach)."""
    images = [{"id": 1, "width": 1000, "height": 1000}]
    cats = [{"id": 1, "name": "thing"}]
    anns = [
        {"id": i + 1, "image_id": 1, "category_id": 1, "bbox": [float(v) for v in b],
         "area": float(b[2] * b[3]), "iscrowd": 0}
        for i, b in enumerate(gt_xywh)
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "annotations": anns, "categories": cats}
        gt.createIndex()
        if len(dt_xywh):
            dt = gt.loadRes([
                {"image_id": 1, "category_id": 1, "bbox": [float(v) for v in b], "score": float(s)}
                for b, s in zip(dt_xywh, scores)
            ])
        else:
            dt = COCO()
            dt.dataset = {"images": images, "annotations": [], "categories": cats}
            dt.createIndex()
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats


def make_case(seed: int):
    rng = np.random.default_rng(seed)
    kind = seed % 8
    n_gt = int(rng.integers(0, 9))
    if kind == 0:
        n_gt = 0
    gt = np.column_stack([rng.integers(0, 800, (n_gt, 2)), rng.integers(8, 200, (n_gt, 2))]).astype(float)
    if kind == 5 and n_gt:
        gt[0] = [0.0, 0.0, 2e5, 1e5]  # area 2e10 > 1e10: outside the area range, ignored
    dts = []
    for g in gt:  # jittered copies (some exact duplicates -> IoU ties)
        for _ in range(int(rng.integers(0, 3))):
            jitter = 0 if rng.random() < 0.3 else rng.normal(0, 0.08, 4) * g[[2, 3, 2, 3]]
            b = g + jitter
            b[2:] = np.maximum(b[2:], 1.0)
            dts.append(b)
    n_rand = int(rng.integers(0, 6))
    if kind == 1:  # no prediction at all
        dts = []
        n_rand = 0
    for _ in range(n_rand):
        dts.append(np.concatenate([rng.integers(0, 800, 2), rng.integers(1, 200, 2)]).astype(float))
    if kind == 3:  # more than 100 predictions: the maxDets cap
        base = gt[0] if n_gt else np.array([10.0, 10.0, 50.0, 50.0])
        dts += [base + rng.normal(0, 3, 4) for _ in range(int(rng.integers(95, 130)))]
    if kind == 4:  # exact IoU ties between two ground-truth boxes (which one wins matters)
        x, y, w = (rng.integers(0, 500, 3) + np.array([0.0, 0.0, 40.0])).tolist()
        gt = np.vstack([gt, [[x, y, w, w], [x + 4, y, w, w]]])
        dts += [np.array([x + 2, y, w, w]), np.array([x, y, w, w]), np.array([x + 4, y, w, w])]
    if kind == 2 and n_gt:  # IoU exactly 0.5 (= the first threshold), twice: only the first may match
        x, y = gt[0][:2]
        gt[0][2:] = [40.0, 40.0]
        dts += [np.array([x, y, 40.0, 20.0]), np.array([x, y, 40.0, 20.0]), np.array([x, y + 20, 40.0, 20.0])]
    if kind == 6 and dts:  # float coordinates everywhere
        dts = [d + rng.random(4) for d in dts]
    if kind == 7 and n_gt:  # a huge prediction (ignored when unmatched)
        dts.append(np.array([0.0, 0.0, 3e5, 1e5]))
    dt = np.array(dts, dtype=float).reshape(-1, 4)
    rng.shuffle(dt)
    score_mode = seed % 3
    if score_mode == 0:
        scores = None  # every box scored 1.0
    elif score_mode == 1:
        scores = rng.choice([0.3, 0.5, 0.9], size=len(dt))  # many ties
    else:
        scores = rng.random(len(dt))
    return dt, gt, scores


@pytest.mark.parametrize("seed", range(N_CASES))
def test_image_ap_matches_pycocotools(seed):
    dt, gt, scores = make_case(seed)
    ref = coco_stats(dt, gt, np.ones(len(dt)) if scores is None else scores)
    got = image_ap(dt, gt, scores, fmt="xywh")
    if ref[0] == -1:
        assert not got.defined
        assert got.ap == (1.0 if len(dt) == 0 and len(gt) == 0 else 0.0)
        return
    assert got.defined
    assert (got.ap, got.ap50, got.ap75, got.ar100) == (ref[0], ref[1], ref[2], ref[8])


def test_cases_cover_the_edges():
    cases = [make_case(s) for s in range(N_CASES)]
    assert sum(len(d) == 0 and len(g) > 0 for d, g, _ in cases) >= 5
    assert sum(len(d) > 0 and len(g) == 0 for d, g, _ in cases) >= 5
    assert sum(len(d) == 0 and len(g) == 0 for d, g, _ in cases) >= 3
    assert sum(len(d) > 100 for d, g, _ in cases) >= 10
    assert sum(s is None and len(d) > 1 for d, g, s in cases) >= 30


def test_xyxy_and_boxes_inputs_agree():
    from rewardkit.types import Boxes

    dt, gt, scores = make_case(11)
    a = image_ap(dt, gt, scores, fmt="xywh")
    dt_xyxy = np.concatenate([dt[:, :2], dt[:, :2] + dt[:, 2:]], axis=1)
    gt_xyxy = np.concatenate([gt[:, :2], gt[:, :2] + gt[:, 2:]], axis=1)
    b = image_ap(Boxes(dt_xyxy, scores), Boxes(gt_xyxy))
    assert abs(a.ap - b.ap) < 1e-12 and abs(a.ap50 - b.ap50) < 1e-12


def test_small_iou_kernel_is_bit_identical():
    from pycocotools import mask as mask_utils

    from rewardkit.geometry.boxes import box_iou_candidates as _candidate_rows
    from rewardkit.geometry.boxes import box_iou_rows as _iou_rows
    from rewardkit.geometry.boxes import box_iou_xywh

    rng = np.random.default_rng(7)
    for _ in range(300):
        d = np.column_stack([rng.uniform(0, 100, (6, 2)), rng.uniform(0, 60, (6, 2))])
        g = np.column_stack([rng.uniform(0, 100, (4, 2)), rng.uniform(0, 60, (4, 2))])
        d[0] = g[0]  # exact duplicate
        d[1, 2] = 0.0  # zero width
        ours = np.array(_iou_rows(d.tolist(), g.tolist()))
        assert (ours == box_iou_xywh(d, g)).all()
        assert (ours == mask_utils.iou(d.tolist(), g.tolist(), [0] * 4)).all()
        cands = _candidate_rows(d.tolist(), g.tolist(), 0.5)
        assert cands == [[(j, v) for j, v in enumerate(row) if v >= 0.5] for row in ours.tolist()]


def test_both_code_paths_are_exercised():
    from rewardkit.geometry.ap import _SMALL

    sizes = [len(d) * len(g) for d, g, _ in (make_case(s) for s in range(N_CASES))]
    assert sum(s > _SMALL for s in sizes) >= 10 and sum(0 < s <= _SMALL for s in sizes) >= 100


@pytest.mark.parametrize("path", ["python", "vectorized"])
def test_matcher_paths_agree_with_pycocotools(monkeypatch, path):
    """Force one matcher on every case that allows it (numpy IoU for all sizes)."""
    import rewardkit.geometry.ap as ap_mod

    monkeypatch.setattr(ap_mod, "_SMALL", -1)
    monkeypatch.setattr(ap_mod, "_VECTOR_MIN_D", 0 if path == "vectorized" else 10**9)
    used = []
    orig = ap_mod._match_single_candidates
    monkeypatch.setattr(ap_mod, "_match_single_candidates", lambda *a: used.append(1) or orig(*a))
    for seed in range(N_CASES):
        dt, gt, scores = make_case(seed)
        ref = coco_stats(dt, gt, np.ones(len(dt)) if scores is None else scores)
        got = image_ap(dt, gt, scores, fmt="xywh")
        if ref[0] == -1:
            assert not got.defined
            continue
        assert (got.ap, got.ap50, got.ap75, got.ar100) == (ref[0], ref[1], ref[2], ref[8]), seed
    assert (len(used) >= 50) if path == "vectorized" else not used


def coco_stats_multi(dt_xywh, dt_labels, gt_xywh, gt_labels):
    """VLM-R1's calculate_map: one category per ground-truth label, predictions with an
    unknown label dropped, every box scored 1.0."""
    cats = []
    for lab in gt_labels:
        if lab not in cats:
            cats.append(lab)
    ids = {lab: i for i, lab in enumerate(cats)}
    anns = [
        {"id": i + 1, "image_id": 0, "category_id": ids[lab], "bbox": [float(v) for v in b],
         "area": float(b[2] * b[3]), "iscrowd": 0}
        for i, (b, lab) in enumerate(zip(gt_xywh, gt_labels))
    ]
    dts = [
        {"image_id": 0, "category_id": ids[lab], "bbox": [float(v) for v in b], "score": 1.0}
        for b, lab in zip(dt_xywh, dt_labels) if lab in ids
    ]
    if not dts:
        return None
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": [{"id": 0, "width": 2048, "height": 2048}], "annotations": anns,
                      "categories": [{"id": i, "name": str(lab)} for lab, i in ids.items()]}
        gt.createIndex()
        ev = COCOeval(gt, gt.loadRes(dts), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats


@pytest.mark.parametrize("seed", range(60))
def test_per_label_ap_matches_multi_category_pycocotools(seed):
    from rewardkit.geometry.ap import image_ap_per_label

    dt, gt, _ = make_case(1000 + seed)
    if len(gt) == 0:
        gt = np.array([[10.0, 10.0, 50.0, 50.0]])
    rng = np.random.default_rng(seed)
    names = ["cat", "dog", "bird"]
    gt_labels = [names[i] for i in rng.integers(0, 2 if seed % 2 else 3, len(gt))]
    dt_labels = [names[i] if i < 3 else "zebra" for i in rng.integers(0, 4, len(dt))]  # zebra: dropped
    ref = coco_stats_multi(dt, dt_labels, gt, gt_labels)
    got = image_ap_per_label(dt, dt_labels, gt, gt_labels, fmt="xywh")
    if ref is None or ref[0] == -1:
        assert not got.defined
        return
    assert (got.ap, got.ap50, got.ap75, got.ar100) == (ref[0], ref[1], ref[2], ref[8])
