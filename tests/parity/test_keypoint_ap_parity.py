"""Per-image keypoint AP (rewardkit.geometry.keypoints.keypoint_image_ap, pose.keypoint_ap)
against pycocotools ``COCOeval(iouType="keypoints")`` on a one-image, one-category
evaluation, bit for bit (tolerance 0: ``==`` on AP, AP50, AP75 and AR@20, i.e. stats[0],
stats[1], stats[2] and stats[5]; -1 from pycocotools <=> ``defined is False``).

The seeded cases cover: no prediction, no ground truth, both empty, more than 20
predictions (maxDets), crowd ground truth (matched by several predictions), ground
truth without labelled keypoints (OKS from the bbox rule, ignored), a ground-truth area
outside the area range, predictions whose keypoint box is outside the range, duplicate
predictions, score ties, partly labelled ground truth and OKS ties between ground truths.
"""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest

from rewardkit.geometry.keypoints import COCO_SIGMAS, keypoint_image_ap

pytest.importorskip("pycocotools")
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402

N_CASES = 300
K = 17


def coco_kp_stats(dt, scores, gt):
    """stats of a fresh one-image, one-category keypoint COCOeval."""
    images = [{"id": 1, "width": 2000, "height": 2000}]
    cats = [{"id": 1, "name": "person", "keypoints": [str(i) for i in range(K)], "skeleton": []}]
    anns = []
    for i, g in enumerate(gt):
        anns.append({"id": i + 1, "image_id": 1, "category_id": 1, "keypoints": [float(v) for v in g["kp"].ravel()],
                     "num_keypoints": int(g["num_keypoints"]), "area": float(g["area"]),
                     "bbox": [float(v) for v in g["bbox"]], "iscrowd": int(g["iscrowd"])})
    with contextlib.redirect_stdout(io.StringIO()):
        cg = COCO()
        cg.dataset = {"images": images, "annotations": anns, "categories": cats}
        cg.createIndex()
        if len(dt):
            res = [{"image_id": 1, "category_id": 1, "score": float(s),
                    "keypoints": [float(v) for v in np.concatenate([p, np.full((K, 1), 2.0)], 1).ravel()]}
                   for p, s in zip(dt, scores)]
            cd = cg.loadRes(res)
        else:
            cd = COCO()
            cd.dataset = {"images": images, "annotations": [], "categories": cats}
            cd.createIndex()
        ev = COCOeval(cg, cd, "keypoints")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats


def _person(rng, scale):
    center = rng.uniform(100, 1500, 2)
    return center + rng.normal(0, scale, (K, 2))


def make_case(seed: int):
    rng = np.random.default_rng(seed)
    kind = seed % 10
    n_gt = int(rng.integers(0, 7))
    if kind == 0:
        n_gt = 0
    gt = []
    for _ in range(n_gt):
        scale = float(rng.uniform(10, 120))
        xy = _person(rng, scale)
        vis = rng.choice([0, 1, 2], size=K, p=[0.2, 0.2, 0.6]).astype(float)
        x0, y0 = xy.min(0)
        w, h = xy.max(0) - xy.min(0)
        kp = np.concatenate([xy, vis[:, None]], 1)
        kp[vis == 0, :2] = 0.0  # COCO writes unlabelled keypoints as 0, 0, 0
        gt.append({"kp": kp, "area": float(w * h * rng.uniform(0.4, 0.9)), "bbox": [x0, y0, w, h],
                   "iscrowd": 0, "num_keypoints": int((vis > 0).sum())})
    if kind == 2 and gt:  # a ground truth without labelled keypoints (bbox rule, ignored)
        gt[0]["kp"][:] = 0.0
        gt[0]["num_keypoints"] = 0
    if kind == 3 and gt:  # a crowd annotation
        gt[-1]["iscrowd"] = 1
    if kind == 4 and gt:  # area outside [0, 1e10]
        gt[0]["area"] = 2e10
    if kind == 7 and len(gt) >= 2:  # two identical ground truths: OKS ties
        gt[1] = {**gt[0], "kp": gt[0]["kp"].copy()}
    dts = []
    for g in gt:
        for _ in range(int(rng.integers(0, 3))):
            jitter = 0.0 if rng.random() < 0.2 else rng.normal(0, np.sqrt(g["area"]) * rng.uniform(0.005, 0.15), (K, 2))
            xy = np.where(g["kp"][:, 2:3] > 0, g["kp"][:, :2], _person(rng, 50)) + jitter
            dts.append(xy)
    for _ in range(int(rng.integers(0, 4))):
        dts.append(_person(rng, rng.uniform(10, 100)))
    if kind == 1:
        dts = []
    if kind == 3 and gt and gt[-1]["iscrowd"]:  # several predictions on the crowd region
        dts += [gt[-1]["kp"][:, :2] + rng.normal(0, 2, (K, 2)) for _ in range(3)]
    if kind == 5:  # more than 20 predictions: maxDets
        base = gt[0]["kp"][:, :2] if gt else _person(rng, 40)
        dts += [base + rng.normal(0, 5, (K, 2)) for _ in range(int(rng.integers(18, 30)))]
    if kind == 6 and dts:  # a prediction whose keypoint box is larger than 1e10
        dts.append(np.concatenate([np.zeros((K - 1, 2)), [[2e5, 1e5]]]))
    if kind == 8 and dts:  # exact duplicates
        dts += [dts[0].copy(), dts[0].copy()]
    dt = np.array(dts, dtype=float).reshape(-1, K, 2)
    rng.shuffle(dt)
    mode = seed % 3
    if mode == 0:
        scores = None
    elif mode == 1:
        scores = rng.choice([0.2, 0.5, 0.9], size=len(dt))
    else:
        scores = rng.random(len(dt))
    return dt, scores, gt


def _ours(dt, scores, gt):
    g = np.array([x["kp"] for x in gt], dtype=float).reshape(-1, K, 3)
    return keypoint_image_ap(
        dt, g, [x["area"] for x in gt], scores,
        gt_bboxes=np.array([x["bbox"] for x in gt], dtype=float).reshape(-1, 4),
        gt_crowd=[x["iscrowd"] for x in gt], gt_num_keypoints=[x["num_keypoints"] for x in gt],
    )


@pytest.mark.parametrize("seed", range(N_CASES))
def test_keypoint_ap_matches_pycocotools(seed):
    dt, scores, gt = make_case(seed)
    ref = coco_kp_stats(dt, np.ones(len(dt)) if scores is None else scores, gt)
    got = _ours(dt, scores, gt)
    if ref[0] == -1:
        assert not got.defined
        return
    assert got.defined
    assert (got.ap, got.ap50, got.ap75, got.ar100) == (ref[0], ref[1], ref[2], ref[5])


def test_cases_cover_the_edges():
    cases = [make_case(s) for s in range(N_CASES)]
    assert sum(len(d) == 0 and len(g) > 0 for d, _, g in cases) >= 5
    assert sum(len(d) > 0 and len(g) == 0 for d, _, g in cases) >= 5
    assert sum(len(d) == 0 and len(g) == 0 for d, _, g in cases) >= 3
    assert sum(len(d) > 20 for d, _, g in cases) >= 15
    assert sum(any(x["iscrowd"] for x in g) for _, _, g in cases) >= 15
    assert sum(any(x["num_keypoints"] == 0 for x in g) for _, _, g in cases) >= 15
    defined = [coco_kp_stats(d, np.ones(len(d)) if s is None else s, g)[0] for d, s, g in cases[:60]]
    assert sum(0 < v < 1 for v in defined) >= 20  # most cases are not trivial 0 / 1


def _completion(dt, scores):
    persons = []
    for i, p in enumerate(dt):
        item = {"keypoints": [[float(x), float(y)] for x, y in p]}
        if scores is not None:
            item["score"] = float(scores[i])
        persons.append(item)
    return f"<think>t</think><answer>{json.dumps(persons)}</answer>"


def _gt_payload(gt):
    return [{"keypoints": x["kp"].ravel().tolist(), "area": x["area"], "bbox": list(x["bbox"]),
             "iscrowd": x["iscrowd"], "num_keypoints": x["num_keypoints"]} for x in gt]


@pytest.mark.parametrize("seed", range(0, N_CASES, 3))
def test_reward_through_the_registry_matches_pycocotools(seed):
    """pose.keypoint_ap parses the answer and the COCO annotations and gives stats[0]."""
    from rewardkit.registry import score

    dt, scores, gt = make_case(seed)
    ref = coco_kp_stats(dt, np.ones(len(dt)) if scores is None else scores, gt)
    r = score(_completion(dt, scores), _gt_payload(gt), reward="pose.keypoint_ap")
    if ref[0] == -1:
        assert r.details["defined"] is False
        assert r.score == (1.0 if len(dt) == 0 and len(gt) == 0 else 0.0)
        return
    assert r.score == ref[0] and r.details["ap50"] == ref[1] and r.details["ar"] == ref[5]


def test_sigmas_default_to_coco():
    dt, scores, gt = make_case(11)
    a = _ours(dt, scores, gt)
    g = np.array([x["kp"] for x in gt], dtype=float).reshape(-1, K, 3)
    b = keypoint_image_ap(dt, g, [x["area"] for x in gt], scores, gt_bboxes=[x["bbox"] for x in gt],
                          gt_crowd=[x["iscrowd"] for x in gt], gt_num_keypoints=[x["num_keypoints"] for x in gt],
                          sigmas=COCO_SIGMAS)
    assert a == b


@pytest.mark.parametrize("seed", range(0, N_CASES, 2))
def test_multi_oks_is_the_f_score_of_pycocotools_oks(seed):
    """pose.multi_oks == 2 S / (N + M) with S the Hungarian total on pycocotools'
    computeOks matrix (persons to find: not crowd, num_keypoints > 0)."""
    from scipy.optimize import linear_sum_assignment

    from rewardkit.registry import score

    dt, _, gt = make_case(seed)
    dt = dt[:20]  # computeOks keeps maxDets[-1] = 20 predictions
    keep = [i for i, x in enumerate(gt) if not x["iscrowd"] and x["num_keypoints"] > 0]
    gt_k = [gt[i] for i in keep]
    r = score(_completion(dt, None), _gt_payload(gt), reward="pose.multi_oks")
    n, m = len(dt), len(gt_k)
    if n == 0 and m == 0:
        assert r.score == 1.0
        return
    if n == 0 or m == 0:
        assert r.score == 0.0
        return
    with contextlib.redirect_stdout(io.StringIO()):
        ev = COCOeval(*_cocos(dt, gt_k), "keypoints")
        ev.params.imgIds = [1]
        ev._prepare()
        ious = np.asarray(ev.computeOks(1, 1))  # dts in score order: all 1.0, answer order
    rows, cols = linear_sum_assignment(-ious)
    s = float(np.sum(ious[rows, cols]))
    assert r.score == 2 * s / (n + m)
    assert r.components["recall"] == s / m and r.components["precision"] == s / n


def _cocos(dt, gt):
    images = [{"id": 1, "width": 2000, "height": 2000}]
    cats = [{"id": 1, "name": "person"}]
    anns = [{"id": i + 1, "image_id": 1, "category_id": 1, "keypoints": [float(v) for v in g["kp"].ravel()],
             "num_keypoints": int(g["num_keypoints"]), "area": float(g["area"]),
             "bbox": [float(v) for v in g["bbox"]], "iscrowd": int(g["iscrowd"])} for i, g in enumerate(gt)]
    cg = COCO()
    cg.dataset = {"images": images, "annotations": anns, "categories": cats}
    cg.createIndex()
    cd = cg.loadRes([{"image_id": 1, "category_id": 1, "score": 1.0,
                      "keypoints": [float(v) for v in np.concatenate([p, np.full((K, 1), 2.0)], 1).ravel()]} for p in dt])
    return cg, cd
