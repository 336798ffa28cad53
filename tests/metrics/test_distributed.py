"""``gather_metric`` on a 2-process gloo group (CPU): every rank gets the one-pass numbers."""

from __future__ import annotations

import pickle
import socket

import numpy as np
import pytest

from rewardkit.metrics.coco import coco_evaluate
from rewardkit.metrics.distributed import gather_metric
from rewardkit.metrics.sod import SODMetrics, sod_evaluate
from tests._helpers.coco_synth import synthetic_coco
from tests.metrics.test_mergeable import _same, _sod_pairs


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gather_metric_on_two_gloo_ranks(tmp_path):
    mp = pytest.importorskip("torch.multiprocessing")
    pytest.importorskip("torch.distributed")
    from tests._helpers.dist_worker import run

    mp.spawn(run, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    outs = [pickle.loads((tmp_path / f"rank{r}.pkl").read_bytes()) for r in range(2)]
    gt, dt = synthetic_coco(7, n_images=20, score_mode="ties")
    one = coco_evaluate(gt, dt)
    pairs = _sod_pairs(1)
    sod = sod_evaluate([g for _, g in pairs], [p for p, _ in pairs])
    for out in outs:
        assert out["merged"] == len(dt) > out["own"] > 0
        assert out["coco"]["stats"] == one["stats"]
        assert np.array_equal(out["coco"]["precision"], one["precision"])
        assert _same(out["sod"], sod)


def test_without_a_process_group_the_metric_is_its_own_merge():
    m = SODMetrics()
    for p, g in _sod_pairs(0)[:3]:
        m.update(p, g)
    assert _same(gather_metric(m).compute(), m.compute())
