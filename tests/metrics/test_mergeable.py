"""Mergeable metric state: shards merge to ``==`` the one-pass numbers, whatever the split.

Splits: by image (random assignment of samples to shards, merged in a random order),
unbalanced contiguous chunks merged in order, and shards left empty. Every float is
compared with ``==`` (NaN with NaN), every array with ``np.array_equal``.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from rewardkit.metrics.accuracy import (
    ClassificationAccuracy,
    CountingAccuracy,
    classification_accuracy,
)
from rewardkit.metrics.coco import CocoEvaluator, coco_evaluate
from rewardkit.metrics.coco.shards import (
    coco_evaluate_sharded,
    match_shard,
    merge_shards,
    split_by_image,
)
from rewardkit.metrics.grounding import GroundingMetrics, grounding_evaluate
from rewardkit.metrics.lisa import LISAMetrics, lisa_evaluate
from rewardkit.metrics.lvis import LvisEvaluator, lvis_evaluate
from rewardkit.metrics.sod import SODMetrics, sod_evaluate
from tests._helpers.coco_synth import synthetic_coco


def _same(a, b) -> bool:
    """``==`` for the values a metric returns (NaN equals NaN; arrays element-wise)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


def _splits(n: int, seed: int):
    """(name, list of index lists, merge order) for n samples."""
    rng = np.random.default_rng(seed)
    k = 4
    owner = rng.integers(0, k, n)
    by_image = [np.flatnonzero(owner == s).tolist() for s in range(k)]
    cuts = sorted(rng.choice(np.arange(n + 1), size=3, replace=True).tolist())  # may repeat: empty chunks
    bounds = [0, *cuts, n]
    contiguous = [list(range(bounds[i], bounds[i + 1])) for i in range(len(bounds) - 1)]
    with_empty = [[], list(range(n)), []]
    return [
        ("by_image", by_image, rng.permutation(k).tolist()),
        ("unbalanced_contiguous", contiguous, list(range(len(contiguous)))),
        ("empty_shards", with_empty, [2, 1, 0]),
    ]


def _merge(cls, states, order, *args):
    """Merge states through a pickle round trip (what all_gather_object and Ray do)."""
    states = [pickle.loads(pickle.dumps(states[i])) for i in order]
    return cls.from_states(states, *args)


# ----------------------------------------------------------------------------- masks


def _sod_pairs(seed: int, n: int = 24):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        h, w = (int(v) for v in rng.integers(3, 30, size=2))
        g = np.zeros((h, w), np.uint8)
        if i % 5 == 1:
            g[:] = 255
        elif i % 5 == 2:
            g[h - 1, w - 1] = 255  # PySODMetrics 1.6.2 gives NaN here: NaN must merge too
        elif i % 5 >= 3:
            y, x = rng.integers(0, h), rng.integers(0, w)
            g[y : y + rng.integers(1, h + 1), x : x + rng.integers(1, w + 1)] = 255
        p = (rng.random((h, w)) * 255).astype(np.uint8) if i % 3 else np.clip(g * 0.8 + rng.normal(0, 30, (h, w)), 0, 255).astype(np.uint8)
        out.append((p, g))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sod_shards_merge_to_the_one_pass_numbers(seed):
    pairs = _sod_pairs(seed)
    one = sod_evaluate([g for _, g in pairs], [p for p, _ in pairs])
    for name, parts, order in _splits(len(pairs), seed):
        states = []
        for idx in parts:
            m = SODMetrics()
            for i in idx:
                # SOD keeps PySODMetrics' np.mean in sample order: a split by image says
                # where each image was; contiguous shards merged in order need nothing
                m.update(*pairs[i], index=i if name == "by_image" else None)
            states.append(m.state_dict())
        merged = _merge(SODMetrics, states, order)
        assert len(merged) == len(pairs)
        assert _same(merged.compute(), one), name


def _lisa_samples(seed: int, n: int = 30):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        h, w = (int(v) for v in rng.integers(4, 20, size=2))
        gt = rng.random((h, w)) < (0.0 if i % 7 == 0 else 0.3)
        pred = rng.random((h, w)) < (0.0 if i % 5 == 0 else 0.4)
        out.append((pred, gt))
    return out


@pytest.mark.parametrize("mode", ["lisa", "seg_r1"])
def test_lisa_shards_merge_to_the_one_pass_numbers(mode):
    samples = _lisa_samples(3)
    one = lisa_evaluate([g for _, g in samples], [p for p, _ in samples], mode=mode)
    for name, parts, order in _splits(len(samples), 3):
        states = []
        for idx in parts:
            m = LISAMetrics(mode)
            for i in idx:
                m.update(*samples[i])
            states.append(m.state_dict())
        assert _same(_merge(LISAMetrics, states, order).compute(), one), name


# ----------------------------------------------------------------------------- accumulators


def _grounding_rows(seed: int, n: int = 40):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        g = sorted(rng.integers(0, 1000, 2).tolist())
        gt = [g[0], g[0], g[1] + 1, g[1] + 1]
        if i % 6 == 0:
            c = "no box here"
        else:
            j = (rng.integers(-40, 40, 4)).tolist()
            c = f"<answer>[{gt[0] + j[0]}, {gt[1] + j[1]}, {gt[2] + j[2]}, {gt[3] + j[3]}]</answer>"
        rows.append((c, gt))
    return rows


def test_grounding_shards_merge_to_the_one_pass_numbers():
    rows = _grounding_rows(5)
    one = grounding_evaluate([c for c, _ in rows], [g for _, g in rows])
    for name, parts, order in _splits(len(rows), 5):
        states = []
        for idx in parts:
            m = GroundingMetrics()
            m.update([rows[i][0] for i in idx], [rows[i][1] for i in idx])
            states.append(m.state_dict())
        merged = _merge(GroundingMetrics, states, order).compute()
        # per-sample IoUs come back in merge order; everything else is order-free
        assert sorted(merged.pop("ious").tolist()) == sorted(one["ious"].tolist())
        assert _same(merged, {k: v for k, v in one.items() if k != "ious"}), name


def test_accuracy_shards_merge_to_the_one_pass_numbers():
    classes = ["cat", "dog", "rose", "tulip"]
    rng = np.random.default_rng(2)
    gts = [classes[int(i)] for i in rng.integers(0, 4, 50)]
    comps = [f"<think>x</think><answer>{classes[int(i)]}</answer>" if i < 4 else "no idea" for i in rng.integers(0, 5, 50)]
    one = classification_accuracy(comps, gts)
    counts = [int(v) for v in rng.integers(0, 6, 50)]
    ccomps = [f"<answer>{int(v)}</answer>" if v < 6 else "many" for v in rng.integers(0, 7, 50)]
    one_c = CountingAccuracy(tolerance=1)
    one_c.update(ccomps, counts)
    for name, parts, order in _splits(50, 2):
        st, sc = [], []
        for idx in parts:
            m = ClassificationAccuracy()
            m.update([comps[i] for i in idx], [gts[i] for i in idx])
            st.append(m.state_dict())
            c = CountingAccuracy(tolerance=1)
            c.update([ccomps[i] for i in idx], [counts[i] for i in idx])
            sc.append(c.state_dict())
        merged = _merge(ClassificationAccuracy, st, order).compute()
        assert sorted(merged.pop("correct").tolist()) == sorted(one["correct"].tolist())
        assert _same(merged, {k: v for k, v in one.items() if k != "correct"}), name
        mc = _merge(CountingAccuracy, sc, order).compute()
        ref = one_c.compute()
        assert mc.pop("correct").sum() == ref.pop("correct").sum()
        assert _same(mc, ref), name


# ----------------------------------------------------------------------------- COCO / LVIS


def _by_image(dt, parts_of_images):
    return [[d for d in dt if d["image_id"] in set(ids)] for ids in parts_of_images]


@pytest.mark.parametrize("iou_type", ["bbox", "segm", "keypoints"])
@pytest.mark.parametrize("score_mode", ["random", "ties", "constant"])
def test_coco_states_merge_to_the_one_pass_numbers(iou_type, score_mode):
    gt, dt = synthetic_coco(11, n_images=25, iou_type=iou_type, score_mode=score_mode)
    one = coco_evaluate(gt, dt, iou_type)
    img_ids = [im["id"] for im in gt["images"]]
    for name, parts, order in _splits(len(img_ids), 11):
        if name == "unbalanced_contiguous":
            # contiguous chunks of the results file itself (an image may straddle two)
            chunks = [dt[a:b] for a, b in zip([0, 7, 7, 100], [7, 7, 100, len(dt)])]
        else:
            chunks = _by_image(dt, [[img_ids[i] for i in idx] for idx in parts])
        states = []
        for chunk in chunks:
            ev = CocoEvaluator(gt, iou_type)
            ev.update(chunk)
            states.append(ev.state_dict())
        if name == "unbalanced_contiguous":
            order = list(range(len(chunks)))
        merged = _merge(CocoEvaluator, states, order, gt).compute()
        assert merged["stats"] == one["stats"], name
        for key in ("precision", "recall", "scores"):
            assert np.array_equal(merged[key], one[key]), (name, key)


@pytest.mark.parametrize("iou_type", ["bbox", "segm", "keypoints"])
@pytest.mark.parametrize("seed", [0, 1])
def test_coco_matched_shards_accumulate_to_the_one_pass_numbers(iou_type, seed):
    gt, dt = synthetic_coco(seed, n_images=30, iou_type=iou_type, score_mode="ties" if seed else "constant")
    one = coco_evaluate(gt, dt, iou_type)
    for shards in (1, 4, 64):  # 64 > images: empty shards
        # without map: one accumulation; with map: accumulated in blocks of categories too
        for run in (None, map):
            r = coco_evaluate_sharded(gt, dt, iou_type, shards=shards, map=run)
            assert r["stats"] == one["stats"], shards
            for key in ("precision", "recall", "scores"):
                assert np.array_equal(r[key], one[key]), (shards, key)
    # shards merged in any order, with parameters (custom maxDets, an image subset)
    params = {"maxDets": [1, 5, 50], "imgIds": [im["id"] for im in gt["images"]][3:]}
    one = coco_evaluate(gt, dt, iou_type, **params)
    parts = split_by_image(dt, sorted(params["imgIds"]), 5)
    matched = [match_shard(gt, rs, iou_type, image_ids=ids, **params) for ids, rs in parts[::-1]]
    r = merge_shards(pickle.loads(pickle.dumps(matched)), iou_type, **params)
    assert r["stats"] == one["stats"] and np.array_equal(r["precision"], one["precision"])


def test_lvis_states_merge_to_the_one_pass_numbers():
    gt, dt = synthetic_coco(4, n_images=30, n_cats=12, lvis=True, score_mode="ties")
    one = lvis_evaluate(gt, dt, max_dets=8)
    img_ids = [im["id"] for im in gt["images"]]
    for name, parts, order in _splits(len(img_ids), 4):
        states = []
        for chunk in _by_image(dt, [[img_ids[i] for i in idx] for idx in parts]):
            ev = LvisEvaluator(gt, max_dets=8)
            ev.update(chunk)
            states.append(ev.state_dict())
        merged = _merge(LvisEvaluator, states, order, gt).compute()
        assert all(_same(merged[k], one[k]) for k in one if k not in ("per_category", "params")), name
        assert np.array_equal(merged["precision"], one["precision"]), name


def test_states_of_another_configuration_or_ground_truth_do_not_merge():
    gt, dt = synthetic_coco(1, n_images=5)
    gt2, _ = synthetic_coco(2, n_images=5)
    ev = CocoEvaluator(gt)
    with pytest.raises(ValueError, match="differs in \\['params'\\]"):
        ev.merge(CocoEvaluator(gt, maxDets=[1, 10]))
    with pytest.raises(ValueError, match="differs in \\['gt'\\]"):
        ev.merge(CocoEvaluator(gt2).state_dict())
    with pytest.raises(ValueError, match="Expected a CocoEvaluator state"):
        ev.merge(SODMetrics().state_dict())
    with pytest.raises(ValueError, match="differs in .*'mode'"):
        LISAMetrics("lisa").merge(LISAMetrics("seg_r1"))
    with pytest.raises(TypeError, match="ground truth"):
        CocoEvaluator.from_states([ev.state_dict()])
    # an empty state merges as nothing
    ev.update(dt)
    before = ev.compute()["stats"]
    assert ev.merge(ev.empty_like()).compute()["stats"] == before
    assert len(ev.empty_like()) == 0 and len(ev) == len(dt)


# ----------------------------------------------------------------------------- API alignment


def test_update_is_preds_then_target_with_the_old_names_deprecated():
    gt = np.zeros((6, 6), bool)
    gt[1:4, 1:4] = True
    pred = np.zeros((6, 6), bool)
    pred[1:3, 1:4] = True
    new = LISAMetrics()
    iou = new.update(pred, gt)
    old = LISAMetrics()
    with pytest.warns(DeprecationWarning, match="`gt=` is deprecated"):
        assert old.update(gt=gt, pred=pred) == iou
    # the old positional order with one of LISA's ground-truth records is recognised
    rec = {"mask": gt, "ignore": np.zeros((6, 6), bool)}
    with pytest.warns(DeprecationWarning, match=r"update\(gt, pred\) is deprecated"):
        assert LISAMetrics().update(rec, pred) == LISAMetrics().update(pred, rec) == iou
    with pytest.raises(TypeError, match="unexpected"):
        LISAMetrics().update(pred, gt, truth=gt)

    g = np.zeros((8, 8), np.uint8)
    g[2:6, 2:6] = 255
    p = (g * 0.6).astype(np.uint8)
    ref = SODMetrics()
    ref.update(p, g)
    old = SODMetrics()
    with pytest.warns(DeprecationWarning, match="`pred=` is deprecated"):
        old.update(pred=p, gt=g)
    assert old.compute() == ref.compute()

    cgt, cdt = synthetic_coco(0, n_images=4)
    ev = CocoEvaluator(cgt)
    with pytest.warns(DeprecationWarning, match="`results=` is deprecated"):
        ev.update(results=cdt)
    assert ev.compute()["stats"] == coco_evaluate(cgt, cdt)["stats"]


def test_classes_validate_like_their_functions():
    gt, _ = synthetic_coco(0, n_images=3)
    for kwargs in ({"compat": "pycocotool"}, {"backend": "pycocotool"}):
        with pytest.raises(ValueError, match="Expected `(compat|backend)`"):
            CocoEvaluator(gt, **kwargs)
        with pytest.raises(ValueError, match="Expected `(compat|backend)`"):
            coco_evaluate(gt, [], **kwargs)
    with pytest.raises(ValueError, match="iou_type"):
        CocoEvaluator(gt, "bboxes")
    with pytest.raises(ValueError, match="Expected `backend`"):
        LvisEvaluator(gt, backend="pycocotools")
    with pytest.raises(ValueError, match="Expected `backend`"):
        lvis_evaluate(gt, [], backend="pycocotools")
    with pytest.raises(ValueError, match="gt_format"):
        LISAMetrics(gt_format="png")
    with pytest.raises(ValueError, match="gt_format"):
        lisa_evaluate([], [], gt_format="png")
    with pytest.raises(ValueError, match="compat"):
        SODMetrics(compat="seg-r1")
    with pytest.raises(ValueError, match="threshold"):
        GroundingMetrics(iou_threshold=1.5)


def test_backend_is_an_argument_of_both_detection_evaluators():
    gt, dt = synthetic_coco(3, n_images=6, n_cats=4, lvis=True)
    ev = LvisEvaluator(gt, backend="native")
    ev.update(dt)
    r = ev.compute()
    with pytest.warns(DeprecationWarning, match=r"compute\(backend=...\) is deprecated"):
        assert ev.compute(backend="native")["AP"] == r["AP"]
    # an empty result list with a reference backend: the native engine answers, and says so
    cgt, _ = synthetic_coco(3, n_images=6)
    out = CocoEvaluator(cgt, backend="pycocotools").compute()
    assert out["backend"] == "native" and out["AP"] == 0.0
