"""The LVIS reference runner: lvis-api (``backend="lvis"`` of :func:`rewardkit.metrics.lvis.lvis_evaluate`)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

__all__ = ["run_lvis_api"]


def run_lvis_api(state: Any) -> dict[str, Any]:
    """lvis-api on copies of the inputs, with ``np.float`` restored for the call.

    Args:
        state: an LVIS evaluation state (``dataset``, ``results``, ``iou_type``,
            ``max_dets``, ``params``: :class:`~rewardkit.metrics.coco.CocoParams`).

    Returns:
        lvis-api's results, its precision and recall arrays, ``iou_type`` and
        ``backend="lvis"``.

    Raises:
        ImportError: the ``lvis`` extra is not installed.
    """
    import logging

    try:
        from lvis import LVIS, LVISEval, LVISResults
    except ImportError as exc:  # pragma: no cover - optional extra
        raise ImportError("backend='lvis' needs `pip install rewardkit[lvis]`") from exc
    had = hasattr(np, "float")
    if not had:
        np.float = float  # type: ignore[attr-defined]  # lvis 0.5.3 still reads np.float (removed in numpy 1.24); restored only around its call
    try:
        logging.getLogger("lvis").setLevel(logging.ERROR)
        gt = LVIS.__new__(LVIS)
        gt.logger = logging.getLogger("lvis.lvis")
        gt.dataset = copy.deepcopy(state.dataset)
        gt._create_index()
        dt = LVISResults(gt, copy.deepcopy(state.results), max_dets=state.max_dets)
        E = LVISEval(gt, dt, state.iou_type)
        p = state.params
        E.params.iou_thrs = np.asarray(p.iouThrs)
        E.params.rec_thrs = np.asarray(p.recThrs)
        E.params.area_rng = [list(a) for a in p.areaRng]
        E.params.area_rng_lbl = list(p.areaRngLbl)
        E.params.max_dets = state.max_dets
        if p.imgIds:
            E.params.img_ids = list(p.imgIds)
        if p.catIds:
            E.params.cat_ids = list(p.catIds)
        E.run()
    finally:
        if not had:
            del np.float  # type: ignore[attr-defined]  # undo the shim above
    out: dict[str, Any] = {k: float(v) for k, v in E.results.items()}
    out["precision"] = np.asarray(E.eval["precision"])
    out["recall"] = np.asarray(E.eval["recall"])
    out["iou_type"] = state.iou_type
    out["backend"] = "lvis"
    return out
