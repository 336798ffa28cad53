"""LVIS detection metrics, identical to lvis-api 0.5.3 (``LVISEval``), on the native engine.

LVIS (Gupta et al., "LVIS: A Dataset for Large Vocabulary Instance Segmentation", CVPR
2019) is evaluated as a *federated* data set. The rules reproduced here, all from lvis-api:

- at most 300 detections per image **across categories** (``LVISResults``): for an
  image with more than 300, the 300 highest scores (stable: ties keep file order);
  faster-coco-eval's LVIS mode caps per (image, category) instead and differs then;
- ground truths and detections with ``area <= 0`` are dropped (lvis-api's
  ``get_ann_ids`` keeps ``0 < area < inf``);
- a detection is kept only if its category is in the image's ``neg_category_ids`` or has
  a ground truth in the image (federated filter);
- unmatched detections of the image's ``not_exhaustive_category_ids`` are ignored;
- no crowd; a ground truth's own ``ignore`` field is honoured;
- malformed inputs (NaN or negative boxes, duplicate annotation ids, unknown category
  ids, non-finite scores, unusable segmentations) raise ``ValueError`` naming the first
  offending annotation or result (:func:`~rewardkit.metrics.coco.loading.validate_coco_inputs`);
- matching and accumulation as COCO (IoU thresholds 0.50:0.05:0.95, 101 recall points,
  area ranges all/small/medium/large), without a per-category ``maxDets`` cap;
- APr / APc / APf: mean over the categories of frequency ``r`` (< 10 training images),
  ``c`` (10-99), ``f`` (>= 100); AR@300.

The returned keys are lvis-api's: ``AP``, ``AP50``, ``AP75``, ``APs``, ``APm``, ``APl``,
``APr``, ``APc``, ``APf``, ``AR@300``, ``ARs@300``, ``ARm@300``, ``ARl@300``, plus
``precision`` ``(T, R, K, A)``, ``recall`` ``(T, K, A)`` and ``per_category``.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np

from rewardkit.metrics._state import (
    MISSING,
    MergeableMetric,
    dataset_fingerprint,
    from_states_on_gt,
)
from rewardkit.metrics.coco import engine
from rewardkit.metrics.coco.evaluate import evaluate_prepared
from rewardkit.metrics.coco.loading import (
    chunked,
    load_gt,
    load_results,
    results_to_rles,
    segm_rles,
    validate_coco_inputs,
)
from rewardkit.metrics.coco.params import CocoParams, make_params, params_from_dict, params_to_dict
from rewardkit.metrics.coco.prepare import Prepared, boxes_array, ids_list, index_of
from rewardkit.metrics.coco.summary import per_category_table
from rewardkit.metrics.lvis_reference import run_lvis_api

__all__ = ["lvis_evaluate", "LvisEvaluator", "limit_dets_per_image", "LVIS_RESULT_KEYS"]

LVIS_RESULT_KEYS = (
    "AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf",
    "AR@300", "ARs@300", "ARm@300", "ARl@300",
)  # fmt: skip


def limit_dets_per_image(results: list, max_dets: int = 300) -> list:
    """lvis-api's cap: per image (first-appearance order) the ``max_dets`` best scores.

    Images with at most ``max_dets`` detections keep their file order; larger ones are
    sorted by descending score (stable) and cut.
    """
    by_img: dict[Any, list] = defaultdict(list)
    for r in results:
        by_img[r["image_id"]].append(r)
    out = []
    for anns in by_img.values():
        if len(anns) > max_dets:
            anns = sorted(anns, key=lambda a: a["score"], reverse=True)[:max_dets]
        out.extend(anns)
    return out


def _prepare_lvis(dataset: dict, results: list, iou_type: str, p: CocoParams, max_dets: int) -> tuple[Prepared, dict]:
    images = dataset.get("images", [])
    img_by_id = {img["id"]: img for img in images}
    cats = dataset.get("categories", [])
    cat_by_id = {c["id"]: c for c in cats}
    img_ids = ids_list(np.unique(p.imgIds)) if len(p.imgIds) else sorted(img_by_id)
    cat_ids = ids_list(np.unique(p.catIds)) if len(p.catIds) else sorted(cat_by_id)
    img_pos = {v: i for i, v in enumerate(img_ids)}
    cat_pos = {v: i for i, v in enumerate(cat_ids)}

    gts = [a for a in dataset.get("annotations", []) if a["image_id"] in img_pos and a["category_id"] in cat_pos]
    gts = [a for a in gts if 0 < a["area"] < float("inf")]
    gt_img = np.asarray([img_pos[a["image_id"]] for a in gts], dtype=np.int64)
    gt_cat = np.asarray([cat_pos[a["category_id"]] for a in gts], dtype=np.int64)
    gt_area = np.asarray([a["area"] for a in gts], dtype=np.float64)
    gt_ignore = np.asarray([bool(a.get("ignore", 0)) for a in gts], dtype=bool)
    gt_crowd = np.zeros(len(gts), dtype=bool)
    gt_id_nonzero = np.asarray([a["id"] != 0 for a in gts], dtype=bool)
    if iou_type == "bbox":
        gt_geom: Any = boxes_array([a["bbox"] for a in gts])
    else:
        gt_geom = segm_rles(gts, img_by_id)

    # ---- detections (LVISResults semantics), vectorized
    n = len(results)
    all_ids = sorted(img_by_id)
    r_all = index_of([r["image_id"] for r in results], all_ids)
    if (r_all < 0).any():
        missing = sorted({results[j]["image_id"] for j in np.flatnonzero(r_all < 0)[:50].tolist()})
        raise ValueError(
            f"Results do not correspond to the ground truth: image ids {missing[:10]} are not in gt['images']"
        )
    r_score = np.asarray([r["score"] for r in results], dtype=np.float64)
    first = 0
    if max_dets >= 0 and n:
        # the per-image cap: the max_dets best scores of each image (stable: file order on ties)
        order = np.lexsort((np.arange(n), -r_score, r_all))
        g = r_all[order]
        start_seg = np.r_[True, g[1:] != g[:-1]]
        seg_first = np.flatnonzero(start_seg)
        rank = np.arange(n) - seg_first[np.cumsum(start_seg) - 1]
        cand = np.sort(order[rank < max_dets])
        # lvis-api's list starts with the first image's first kept detection
        if np.count_nonzero(r_all == r_all[0]) > max_dets:
            first = int(order[seg_first[np.searchsorted(g[seg_first], r_all[0])]])
    else:
        cand = np.arange(n)
    branch = None
    if n:
        r0 = results[first]
        if "bbox" in r0:
            branch = "bbox"
        elif "segmentation" in r0:
            branch = "segm"
        else:
            raise ValueError("Expected results with a 'bbox' or 'segmentation' field")
    cres = [results[j] for j in cand.tolist()]
    rles = None
    boxes: np.ndarray | None  # None: segm results evaluated as segm (no boxes needed)
    if branch == "bbox":
        boxes = boxes_array([r["bbox"] for r in cres])
        area = boxes[:, 2] * boxes[:, 3]
    elif branch == "segm":
        from pycocotools import mask as mask_utils

        rles = segm_rles(cres, img_by_id)
        area = chunked(mask_utils.area, rles).astype(np.float64).reshape(-1)
        boxes = chunked(mask_utils.toBbox, rles).astype(np.float64).reshape(-1, 4) if iou_type == "bbox" else None
    else:
        boxes = np.zeros((0, 4))
        area = np.zeros(0)

    # federated filter on (image, category) keys
    K = len(cat_ids)
    to_p = np.asarray([img_pos.get(i, -1) for i in all_ids], dtype=np.int64)  # all images -> evaluated
    c_img = to_p[r_all[cand]] if n else np.zeros(0, dtype=np.int64)
    c_cat = index_of([r["category_id"] for r in cres], cat_ids)
    with np.errstate(invalid="ignore"):
        ok = (c_img >= 0) & (c_cat >= 0) & (area > 0) & (area < np.inf)
    key = c_img * K + c_cat

    def _keys(field: str) -> np.ndarray:
        out = [
            i * K + cat_pos[c]
            for i, iid in enumerate(img_ids)
            for c in img_by_id[iid].get(field, []) or []
            if c in cat_pos
        ]
        return np.unique(np.asarray(out, dtype=np.int64))

    present_keys = np.unique(gt_img * K + gt_cat)
    ok &= np.isin(key, present_keys) | np.isin(key, _keys("neg_category_ids"))
    sel = np.flatnonzero(ok)
    keep = sel.tolist()
    kept = [cres[j] for j in keep]
    ka = sel
    dt_img = c_img[sel]
    dt_cat = c_cat[sel]
    dt_score = r_score[cand][sel]
    dt_extra = np.isin(key[sel], _keys("not_exhaustive_category_ids"))
    if iou_type == "bbox":
        assert boxes is not None  # every branch above sets it for iou_type "bbox"
        if branch == "segm":
            dt_geom: Any = np.asarray(
                [r["bbox"] if "bbox" in r else boxes[j] for j, r in zip(keep, kept)], dtype=np.float64
            ).reshape(-1, 4)
        else:
            dt_geom = boxes[ka] if ka.size else np.zeros((0, 4))
    else:
        if branch == "segm":
            assert rles is not None  # set in the segm branch above
            dt_geom = [rles[j] for j in keep]
        else:
            dt_geom = results_to_rles(kept, img_by_id)
    P = Prepared(
        iou_type=iou_type,
        img_ids=img_ids,
        cat_ids=cat_ids,
        cat_names=[cat_by_id.get(c, {}).get("name", str(c)) for c in cat_ids],
        gt_img=gt_img,
        gt_cat=gt_cat,
        gt_area=gt_area,
        gt_crowd=gt_crowd,
        gt_ignore=gt_ignore,
        gt_id_nonzero=gt_id_nonzero,
        gt_geom=gt_geom,
        dt_img=dt_img,
        dt_cat=dt_cat,
        dt_score=dt_score,
        dt_area=area[ka] if ka.size else np.zeros(0),
        dt_geom=dt_geom,
        dt_extra_ignore=dt_extra,
    )
    freq = [cat_by_id.get(c, {}).get("frequency") for c in cat_ids]
    return P, {"frequency": freq}


def _summarize_lvis(precision: np.ndarray, recall: np.ndarray, p: CocoParams, freq: list, max_dets: int) -> dict:
    lbl = list(p.areaRngLbl)
    thrs = np.asarray(p.iouThrs)
    groups = [[k for k, f in enumerate(freq) if f == g] for g in ("r", "c", "f")]

    def ap(iou_thr=None, area="all", group=None):
        aidx = [i for i, a in enumerate(lbl) if a == area]
        s = precision
        if iou_thr is not None:
            s = s[np.where(iou_thr == thrs)[0]]
        if group is not None:
            s = s[:, :, groups[group], aidx]
        else:
            s = s[:, :, :, aidx]
        return engine.summarize_mean(s)

    def ar(area="all"):
        aidx = [i for i, a in enumerate(lbl) if a == area]
        return engine.summarize_mean(recall[:, :, aidx])

    out = {
        "AP": ap(),
        "AP50": ap(iou_thr=0.50),
        "AP75": ap(iou_thr=0.75),
        "APs": ap(area="small"),
        "APm": ap(area="medium"),
        "APl": ap(area="large"),
        "APr": ap(group=0),
        "APc": ap(group=1),
        "APf": ap(group=2),
        f"AR@{max_dets}": ar(),
    }
    for area in ("small", "medium", "large"):
        out[f"AR{area[0]}@{max_dets}"] = ar(area)
    return out


def lvis_evaluate(
    gt: Any,
    results: Any,
    iou_type: Literal["bbox", "segm"] = "bbox",
    *,
    max_dets: int = 300,
    backend: Literal["native", "lvis"] = "native",
    progress: bool = False,
    **params: Any,
) -> dict[str, Any]:
    """LVIS evaluation identical to lvis-api 0.5.3 ``LVISEval(...).run()``.

    Args:
        gt: LVIS annotation dict or path (images carry ``neg_category_ids`` and
            ``not_exhaustive_category_ids``; categories carry ``frequency``).
        results: results list or path.
        iou_type: ``"bbox"`` or ``"segm"``.
        max_dets: per-image cap across categories (lvis-api: 300).
        backend: ``"native"`` or ``"lvis"`` (runs lvis-api; on numpy >= 1.24 its
            ``np.float`` alias is restored for the call).
        progress: show a tqdm progress bar (one step per area range and IoU threshold).
        **params: ``iouThrs``, ``recThrs``, ``areaRng``, ``areaRngLbl``, ``imgIds``, ``catIds``.

    Returns:
        lvis-api's result keys plus ``precision``, ``recall``, ``per_category``.
    """
    _validate_args(iou_type, backend)
    state = _init_state(gt, iou_type, max_dets, params)
    _update(state, results)
    return _compute(state, backend=backend, progress=progress)


def _validate_args(iou_type: Any, backend: Any) -> None:
    """The one validation of :func:`lvis_evaluate` and :class:`LvisEvaluator` arguments."""
    if iou_type not in ("bbox", "segm"):
        raise ValueError(f"Expected `iou_type` in ('bbox', 'segm'), but got {iou_type!r}")
    if backend not in ("native", "lvis"):
        raise ValueError(f"Expected `backend` in ('native', 'lvis'), but got {backend!r}")


def _make_lvis_params(iou_type: str, params: dict) -> CocoParams:

    bad = {k for k in params if k in ("maxDets", "max_dets_per_cat", "kpt_oks_sigmas", "useCats")}
    if bad:
        raise TypeError(f"Unsupported LVIS parameter(s) {sorted(bad)}; use `max_dets` for the per-image cap")
    return make_params(iou_type, params)


class _LvisState:
    def __init__(self, dataset: dict, iou_type: str, max_dets: int, p: CocoParams) -> None:
        self.dataset = dataset
        self.iou_type = iou_type
        self.max_dets = max_dets
        self.params = p
        self.results: list = []


def _init_state(gt: Any, iou_type: str, max_dets: int, params: dict) -> _LvisState:
    return _LvisState(load_gt(gt), iou_type, int(max_dets), _make_lvis_params(iou_type, params))


def _update(state: _LvisState, results: Any) -> None:
    state.results.extend(load_results(results))


def _compute(state: _LvisState, *, backend: str = "native", progress: bool = False) -> dict[str, Any]:
    p = state.params
    problem = validate_coco_inputs(state.dataset, state.results, state.iou_type)
    if problem is not None and (backend != "lvis" or not problem[1]):
        raise ValueError(problem[0])  # lvis-api itself (backend="lvis") runs on data it can read
    if backend == "lvis":
        return run_lvis_api(state)
    P, meta = _prepare_lvis(state.dataset, state.results, state.iou_type, p, state.max_dets)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        # one step per (area range, IoU threshold): the calls accumulate makes
        bar = tqdm(total=len(p.areaRng) * len(p.iouThrs), desc=f"LVIS {state.iou_type}", unit="step")
    try:
        ev = evaluate_prepared(P, p, bar.update if bar else None, per_group_cap=False, want_scores=False)
    finally:
        if bar is not None:
            bar.close()
    precision = ev["precision"][..., 0]
    recall = ev["recall"][..., 0]
    out: dict[str, Any] = {k: float(v) for k, v in _summarize_lvis(precision, recall, p, meta["frequency"], state.max_dets).items()}
    out["precision"] = precision
    out["recall"] = recall
    a_all = p.areaRngLbl.index("all") if "all" in p.areaRngLbl else 0
    rows = per_category_table(precision[..., None], P.cat_ids, P.cat_names, p.iouThrs, a_all, -1)
    for row, f in zip(rows, meta["frequency"]):
        row["frequency"] = f
    out["per_category"] = rows
    out["params"] = {**p.as_dict(), "catIds": list(P.cat_ids), "maxDets": [state.max_dets]}
    out["iou_type"] = state.iou_type
    out["backend"] = "native"
    return out


class LvisEvaluator(MergeableMetric):
    """Streaming LVIS evaluation: ``update(preds)``, ``compute()``, ``reset()``.

    Arguments (``backend`` included, as for :class:`~rewardkit.metrics.coco.CocoEvaluator`)
    are given to the constructor and validated like :func:`lvis_evaluate`'s.
    ``compute(backend=...)`` is deprecated. ``state_dict()`` / ``merge()`` combine shards
    exactly under the same condition as ``CocoEvaluator`` (each image's detections in
    file order; the per-image cap of 300 is per image).
    """

    _KIND = "lvis"

    def __init__(
        self,
        gt: Any,
        iou_type: Literal["bbox", "segm"] = "bbox",
        *,
        max_dets: int = 300,
        backend: Literal["native", "lvis"] = "native",
        **params: Any,
    ) -> None:
        _validate_args(iou_type, backend)
        self._backend = backend
        self._state = _init_state(gt, iou_type, max_dets, params)
        self._gt_fingerprint: str | None = None

    def update(self, preds: Any = MISSING, **deprecated: Any) -> None:
        """Append detections (a results list, or a path) in file order.

        ``results=`` is the deprecated name of ``preds``.
        """
        if "results" in deprecated:
            if preds is not MISSING:
                raise TypeError("LvisEvaluator.update() got both `preds` and the deprecated `results`")
            warnings.warn("LvisEvaluator.update(): `results=` is deprecated, use `preds=`", DeprecationWarning, stacklevel=2)
            preds = deprecated.pop("results")
        if deprecated:
            raise TypeError(f"LvisEvaluator.update() got unexpected keyword argument(s) {sorted(deprecated)}")
        if preds is MISSING:
            raise TypeError("LvisEvaluator.update() missing argument: `preds`")
        _update(self._state, preds)

    def compute(self, backend: Any = MISSING, *, progress: bool = False) -> dict[str, Any]:
        if backend is not MISSING:
            warnings.warn(
                "LvisEvaluator.compute(backend=...) is deprecated: give `backend` to LvisEvaluator(...)",
                DeprecationWarning, stacklevel=2,
            )  # fmt: skip
            _validate_args(self._state.iou_type, backend)
        else:
            backend = self._backend
        return _compute(self._state, backend=backend, progress=progress)

    def reset(self) -> None:
        self._state.results = []

    def __len__(self) -> int:
        return len(self._state.results)

    # -- mergeable state ---------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        if self._gt_fingerprint is None:
            self._gt_fingerprint = dataset_fingerprint(self._state.dataset)
        params = params_to_dict(self._state.params)
        for key in ("maxDets", "kpt_oks_sigmas", "useCats"):
            params.pop(key)
        return {
            "iou_type": self._state.iou_type,
            "max_dets": self._state.max_dets,
            "backend": self._backend,
            "params": params,
            "gt": self._gt_fingerprint,
        }

    def _get_state(self) -> dict[str, Any]:
        return {"results": list(self._state.results)}

    def _merge_state(self, state: Any) -> None:
        _update(self._state, state["results"])

    def _empty_like(self) -> LvisEvaluator:
        new = object.__new__(LvisEvaluator)
        new._backend = self._backend
        new._state = _LvisState(self._state.dataset, self._state.iou_type, self._state.max_dets, self._state.params)
        new._gt_fingerprint = self._gt_fingerprint
        return new

    @classmethod
    def from_states(cls, states: Iterable[Any], gt: Any = None, **kwargs: Any) -> LvisEvaluator:
        """An evaluator on ``gt`` holding the results of every state.

        (its configuration is the first state's unless ``kwargs`` give one).

        Args:
            states: states (``state_dict()`` outputs) or metrics to merge.
            gt: the ground truth (required: it is not part of a state).
            **kwargs: the evaluator's arguments (default: the first state's configuration).

        Returns:
            The evaluator holding every state's results.

        Raises:
            TypeError: ``gt`` not given.
            ValueError: neither a state nor ``kwargs``.
        """
        return from_states_on_gt(cls, states, gt, kwargs, lambda cfg: {"iou_type": cfg["iou_type"], "max_dets": cfg["max_dets"], "backend": cfg["backend"], **params_from_dict(cfg["params"])})
