"""Worker of the 2-process ``torch.distributed`` (gloo, CPU) test of
:func:`rewardkit.metrics.distributed.gather_metric` (spawned by the test; not product code)."""

from __future__ import annotations

import os
import pickle


def run(rank: int, world: int, port: int, out_dir: str) -> None:
    import torch.distributed as dist

    from rewardkit.metrics.coco import CocoEvaluator
    from rewardkit.metrics.distributed import gather_metric
    from rewardkit.metrics.sod import SODMetrics
    from tests._helpers.coco_synth import synthetic_coco
    from tests.metrics.test_mergeable import _sod_pairs

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        gt, dt = synthetic_coco(7, n_images=20, score_mode="ties")
        # a DistributedSampler over images: rank r takes images r, r + world, ...
        mine = {im["id"] for im in gt["images"][rank::world]}
        ev = CocoEvaluator(gt)
        ev.update([d for d in dt if d["image_id"] in mine])
        sod = SODMetrics()
        pairs = _sod_pairs(1)
        for i in range(rank, len(pairs), world):  # the sampler's indices order the merge
            sod.update(*pairs[i], index=i)
        merged = gather_metric(ev)
        out = {"coco": merged.compute(), "sod": gather_metric(sod).compute(), "own": len(ev), "merged": len(merged)}
    finally:
        dist.destroy_process_group()
    with open(os.path.join(out_dir, f"rank{rank}.pkl"), "wb") as fh:
        pickle.dump(out, fh)
