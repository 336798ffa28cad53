"""``image_ap_batch`` (one IoU matrix and one reduction for the G completions of a prompt)
gives, bit for bit, what ``image_ap`` gives for each completion alone.

``image_ap`` itself is compared with pycocotools in
``tests/parity/test_completion_ap_parity.py``; here every path of the group version is
compared with it: one-to-one answers (their tables built for the whole group at once),
shared candidates (plain-Python matcher), more than 400 pairs with at most one candidate
per prediction (vectorized matcher), confidences with ties and NaN, ``max_dets``
cuts, empty answers, ground truth outside the area range (per-image path) and no
ground truth.
"""

from __future__ import annotations

import numpy as np
import pytest

from rewardkit.geometry.ap import image_ap, image_ap_batch
from rewardkit.types import Boxes


def _xyxy(a: np.ndarray) -> np.ndarray:
    return np.concatenate([np.minimum(a[:, :2], a[:, 2:]), np.maximum(a[:, :2], a[:, 2:])], 1)


def _group(seed: int) -> tuple[list, np.ndarray, list]:
    rng = np.random.default_rng(seed)
    n_gt = int(rng.integers(0, 40))
    xy = rng.uniform(0, 900, (n_gt, 2))
    gt = np.concatenate([xy, xy + rng.uniform(1, 150, (n_gt, 2))], 1)
    if n_gt and seed % 7 == 0:
        gt[0] = [0, 0, 2e5, 2e5]  # area above 1e10: ignored ground truth
    preds, scores = [], []
    for k in range(int(rng.integers(1, 9))):
        kind = k % 5
        if kind == 0 or not n_gt:
            p = _xyxy(rng.uniform(0, 1000, (int(rng.integers(0, 25)), 4)))
        elif kind == 1:  # jittered ground truth: one-to-one
            p = _xyxy(gt[rng.permutation(n_gt)[: int(rng.integers(1, n_gt + 1))]] + rng.normal(0, 4, (1, 4)))
        elif kind == 2:  # duplicates: candidates shared
            p = np.repeat(gt[: max(1, n_gt // 3)], 3, axis=0) + rng.normal(0, 2, (1, 4))
            p = _xyxy(p)
        elif kind == 3:  # long answer: vectorized matcher
            p = _xyxy(np.concatenate([gt, gt]) + rng.normal(0, 3, (2 * n_gt, 4)))
        else:
            p = np.zeros((0, 4))
        preds.append(p)
        r = rng.integers(0, 4)
        if r == 0:
            scores.append(None)
        elif r == 1:
            scores.append(rng.uniform(0, 1, len(p)).round(1))  # ties
        elif r == 2:
            s = rng.uniform(0, 1, len(p))
            s[::3] = np.nan
            scores.append(s)
        else:
            scores.append(np.ones(len(p)))
    return preds, gt, scores


def _key(r):
    return tuple(repr(v) for v in r)


@pytest.mark.parametrize("max_dets", [100, 5])
def test_batch_equals_per_image(max_dets):
    for seed in range(300):
        preds, gt, scores = _group(seed)
        got = image_ap_batch(preds, gt, scores, max_dets=max_dets, both_empty=0.25, no_gt=0.125)
        ref = [image_ap(p, gt, s, max_dets=max_dets, both_empty=0.25, no_gt=0.125) for p, s in zip(preds, scores)]
        assert [_key(r) for r in got] == [_key(r) for r in ref], seed


def test_boxes_carry_their_scores():
    preds, gt, scores = _group(11)
    boxes = [Boxes(p, None if s is None else np.where(np.isnan(s), 0.5, s)) for p, s in zip(preds, scores)]
    assert [_key(r) for r in image_ap_batch(boxes, gt)] == [_key(image_ap(b, gt)) for b in boxes]


def test_bad_input_raises_like_image_ap():
    with pytest.raises(ValueError, match="max_dets"):
        image_ap_batch([[[0, 0, 1, 1]]], [[0, 0, 1, 1]], max_dets=0)
    with pytest.raises(ValueError, match="scores"):
        image_ap_batch([[[0, 0, 1, 1]]], [[0, 0, 1, 1]], [[0.5, 0.5]])
    with pytest.raises(ValueError, match="score entries"):
        image_ap_batch([[[0, 0, 1, 1]]], [[0, 0, 1, 1]], [None, None])
