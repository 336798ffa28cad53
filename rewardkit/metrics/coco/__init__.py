"""COCO detection metrics (bbox, segm, keypoints), identical to pycocotools' ``COCOeval``.

``coco_evaluate(gt, results, iou_type="bbox")`` computes the numbers of
``COCOeval.evaluate(); accumulate(); summarize()`` (Lin et al., "Microsoft COCO: Common
Objects in Context", ECCV 2014; the evaluation protocol of pycocotools 2.0):

- detections are stable-sorted (mergesort) by ``-score``; per image and category at most
  ``maxDets[-1]`` are kept; ties in score are broken by image order, then by results-file
  order (this matters when every box carries the same constant score);
- a detection matches the best still-unmatched ground truth with IoU >= ``t`` (capped at
  ``1 - 1e-10``), regular ground truths before ignored ones (crowd, or outside the area
  range); a crowd ground truth absorbs any number of detections (its IoU divides by the
  detection's area); unmatched detections outside the area range are ignored;
- ``precision = tp / (fp + tp + np.spacing(1))`` made monotone from the right and sampled
  at the 101 recall thresholds with ``searchsorted(rc, recThrs, "left")``; stats are means
  over entries > -1.

The native engine (``backend="native"``, the default) is numpy only: the matching is
vectorized over images, categories, area ranges and thresholds (see
:mod:`rewardkit.metrics.coco.engine`). Its ``stats``, ``precision``, ``recall`` and
``scores`` are bit-identical to pycocotools (tested on the public fixtures and on seeded
random sets with crowds, ties, empty images, zero-area boxes, custom area ranges and
``maxDets``). ``backend="pycocotools"`` or ``"faster_coco_eval"`` runs the reference.

Differences from pycocotools are opt-in through ``compat="pycocotools"``:

- ``stats[0]`` (AP) is read at ``maxDets=100`` by pycocotools even when ``maxDets`` is
  custom (and at 20 for keypoints); by default rewardkit reads it at ``maxDets[-1]``;
- pycocotools raises on an empty result list; by default rewardkit returns zeros (every
  category with ground truth has precision and recall 0);
- malformed inputs (NaN or negative boxes, duplicate annotation ids, annotations of
  unknown categories, non-finite scores) raise ``ValueError`` naming the first offending
  annotation or result; pycocotools silently returns numbers on them, which
  ``compat="pycocotools"`` reproduces (with a warning) by running pycocotools. Inputs
  pycocotools cannot evaluate at all (no ``categories``; NaN, far-away or oversized
  polygons and malformed RLEs, which crash it or exhaust memory) raise in every mode.

>>> gt = {"images": [{"id": 1, "width": 100, "height": 100}],
...       "categories": [{"id": 1, "name": "cat"}],
...       "annotations": [{"id": 1, "image_id": 1, "category_id": 1,
...                        "bbox": [10, 10, 50, 50], "area": 2500, "iscrowd": 0}]}
>>> res = [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "score": 0.9}]
>>> round(coco_evaluate(gt, res)["AP"], 3)
1.0

Modules of this package (torchmetrics-style split): ``params`` (CocoParams, validation),
``loading`` (annotation sets, results, RLE), ``prepare`` (arrays of what takes part),
``pairwise`` (IoU / OKS per candidate pair), ``engine`` (vectorized matching and
accumulation), ``evaluate`` (the driver), ``summary`` (stats, per-category tables),
``categories`` (subsets), ``reference`` (pycocotools / faster-coco-eval runner).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from rewardkit.metrics._state import (
    MISSING,
    MergeableMetric,
    dataset_fingerprint,
    from_states_on_gt,
)
from rewardkit.metrics.coco.categories import category_subset_ap, resolve_category_ids
from rewardkit.metrics.coco.evaluate import evaluate_prepared
from rewardkit.metrics.coco.loading import load_gt, load_results, validate_coco_inputs
from rewardkit.metrics.coco.params import (
    COCO_KEYPOINT_SIGMAS,
    DET_STAT_NAMES,
    KPT_STAT_NAMES,
    Backend,
    CocoParams,
    IouType,
    make_params,
    params_from_dict,
    params_to_dict,
    validate_args,
)
from rewardkit.metrics.coco.prepare import prepare
from rewardkit.metrics.coco.reference import run_reference
from rewardkit.metrics.coco.summary import package, per_category_table

__all__ = [
    "coco_evaluate",
    "CocoEvaluator",
    "CocoParams",
    "COCO_KEYPOINT_SIGMAS",
    "DET_STAT_NAMES",
    "KPT_STAT_NAMES",
    "per_category_table",
    "category_subset_ap",
    "resolve_category_ids",
]


def coco_evaluate(
    gt: Any,
    results: Any,
    iou_type: IouType = "bbox",
    *,
    compat: Literal["pycocotools"] | None = None,
    backend: Backend = "native",
    progress: bool = False,
    **params: Any,
) -> dict[str, Any]:
    """COCO evaluation of a results list against a COCO annotation set.

    Args:
        gt: COCO annotation dict, path to a JSON file, or a ``pycocotools.coco.COCO``.
        results: COCO results list (``image_id``, ``category_id``, ``bbox`` /
            ``segmentation`` / ``keypoints``, ``score``) or a path to one.
        iou_type: ``"bbox"``, ``"segm"`` or ``"keypoints"``.
        compat: ``"pycocotools"`` reproduces the reference's quirks (AP read at
            ``maxDets=100`` / 20, empty results raise). ``None`` (default) fixes them.
        backend: ``"native"`` (numpy engine), or ``"pycocotools"`` /
            ``"faster_coco_eval"`` to run a reference implementation.
        progress: show a tqdm progress bar over categories during accumulation.
        **params: pycocotools parameters: ``iouThrs``, ``recThrs``, ``maxDets``,
            ``areaRng``, ``areaRngLbl``, ``imgIds``, ``catIds``, ``kpt_oks_sigmas``,
            ``useCats`` (0: category-agnostic; bbox and segm) (snake_case aliases accepted).

    Returns:
        A dict with the named stats (``AP``, ``AP50``, ``AP75``, ``APs``, ``APm``, ``APl``,
        ``AR1``, ``AR10``, ``AR100``, ``ARs``, ``ARm``, ``ARl``; for keypoints ``AP``,
        ``AP50``, ``AP75``, ``APm``, ``APl``, ``AR``, ``AR50``, ``AR75``, ``ARm``, ``ARl``),
        ``stats`` (pycocotools order), ``precision`` ``(T, R, K, A, M)``, ``recall``
        ``(T, K, A, M)``, ``scores``, ``per_category`` (id, name, AP, AP50, AP75) and ``params``.
    """
    validate_args(iou_type, compat, backend)
    p = make_params(iou_type, params)
    state = _init_state(gt, iou_type, p, compat)
    _update(state, results)
    return _compute(state, backend=backend, progress=progress)


# ----------------------------------------------------------------------------- streaming


@dataclass
class _State:
    dataset: dict
    iou_type: str
    params: CocoParams
    compat: str | None
    results: list = field(default_factory=list)


def _init_state(gt: Any, iou_type: str, p: CocoParams, compat: str | None) -> _State:
    return _State(dataset=load_gt(gt), iou_type=iou_type, params=p, compat=compat)


def _update(state: _State, results: Any) -> None:
    state.results.extend(load_results(results))


def _compute(state: _State, *, backend: str = "native", progress: bool = False) -> dict[str, Any]:
    p = state.params
    facts: dict = {}
    backend = _check_inputs(state, backend, facts)
    if backend == "native":
        P = prepare(state.dataset, state.results, state.iou_type, p, state.compat, checked=facts)
        bar = None
        cb = None
        if progress:
            from tqdm.auto import tqdm

            # one step per (maxDets, area range, IoU threshold): the calls accumulate makes
            bar = tqdm(total=len(p.maxDets) * len(p.areaRng) * len(p.iouThrs), desc=f"COCO {state.iou_type}", unit="step")
            cb = bar.update
        try:
            ev = evaluate_prepared(P, p, cb)
        finally:
            if bar is not None:
                bar.close()
        p2 = copy.deepcopy(p)
        p2.maxDets = sorted(int(m) for m in p.maxDets)
        return package(ev, p2, state.iou_type, P.cat_ids, P.cat_names, state.compat, "native")
    if not state.results and state.compat != "pycocotools":
        # the references raise on an empty list; the native engine defines the answer
        return _compute(state, backend="native")
    ev, p2, cat_ids, names = run_reference(state.dataset, state.results, state.iou_type, p, backend)
    return package(ev, p2, state.iou_type, cat_ids, names, state.compat, backend)


def _check_inputs(state: _State, backend: str, facts: dict | None = None) -> str:
    """Validate the inputs up front (:func:`~rewardkit.metrics.coco.loading.validate_coco_inputs`).

    A problem pycocotools cannot handle (it raises, crashes or exhausts memory) raises
    ``ValueError`` whatever the options. One where pycocotools returns (wrong) numbers
    raises ``ValueError`` with the native backend, unless ``compat="pycocotools"``: then
    a warning says so and pycocotools itself computes the numbers. The reference
    backends run on such data as asked. ``facts`` receives what the checks read and
    computed that the evaluation reuses (the results' image ids, scores and RLE areas).
    """
    problem = validate_coco_inputs(state.dataset, state.results, state.iou_type, facts)
    if problem is None:
        return backend
    message, reference_ok = problem
    if not reference_ok:
        raise ValueError(message)
    if backend != "native":
        return backend
    if state.compat == "pycocotools":
        warnings.warn(f"{message}; compat='pycocotools': evaluating with pycocotools itself, as it would", UserWarning, stacklevel=4)
        return "pycocotools"
    raise ValueError(f"{message} (compat='pycocotools' reproduces what pycocotools computes on such data)")


class CocoEvaluator(MergeableMetric):
    """Streaming COCO evaluation: ``update(preds)`` batches of results, then ``compute()``.

    The ground truth is given once, to the constructor; ``update`` takes detections
    (a results list or a path) in file order. Arguments are validated like
    :func:`coco_evaluate`'s (one function, :func:`~rewardkit.metrics.coco.params.validate_args`).

    Shards (ranks, Ray tasks) merge: ``state_dict()`` holds the configuration, a
    fingerprint of the ground truth and the results; ``merge(other)`` concatenates the
    results. The merged numbers are ``==`` those of one pass whenever the detections of
    each image stay in their file order, which holds for any split by image (a
    ``DistributedSampler`` over images, ``rewardkit eval coco --shards``), in any merge
    order, and for contiguous chunks merged in order: pycocotools breaks score ties by
    image order, then by file order within an image.

    >>> gt = {"images": [{"id": 1, "width": 10, "height": 10}],
    ...       "categories": [{"id": 1, "name": "a"}],
    ...       "annotations": [{"id": 1, "image_id": 1, "category_id": 1,
    ...                        "bbox": [0, 0, 5, 5], "area": 25, "iscrowd": 0}]}
    >>> ev = CocoEvaluator(gt)
    >>> ev.update([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 1.0}])
    >>> ev.compute()["AP"]  # 1 / (1 + np.spacing(1)), pycocotools' precision formula
    0.9999999999999998
    >>> CocoEvaluator.from_states([ev.state_dict(), CocoEvaluator(gt).state_dict()], gt).compute()["AP"]
    0.9999999999999998
    """

    _KIND = "coco"

    def __init__(
        self,
        gt: Any,
        iou_type: IouType = "bbox",
        *,
        compat: Literal["pycocotools"] | None = None,
        backend: Backend = "native",
        **params: Any,
    ) -> None:
        validate_args(iou_type, compat, backend)
        self._params = make_params(iou_type, params)
        self._backend = backend
        self._state = _init_state(gt, iou_type, self._params, compat)
        self._gt_fingerprint: str | None = None

    def update(self, preds: Any = MISSING, **deprecated: Any) -> None:
        """Append detections (a results list, or a path) in file order.

        ``results=`` is the deprecated name of ``preds``.
        """
        if "results" in deprecated:
            if preds is not MISSING:
                raise TypeError("CocoEvaluator.update() got both `preds` and the deprecated `results`")
            warnings.warn("CocoEvaluator.update(): `results=` is deprecated, use `preds=`", DeprecationWarning, stacklevel=2)
            preds = deprecated.pop("results")
        if deprecated:
            raise TypeError(f"CocoEvaluator.update() got unexpected keyword argument(s) {sorted(deprecated)}")
        if preds is MISSING:
            raise TypeError("CocoEvaluator.update() missing argument: `preds`")
        _update(self._state, preds)

    def compute(self, *, progress: bool = False) -> dict[str, Any]:
        return _compute(self._state, backend=self._backend, progress=progress)

    def reset(self) -> None:
        self._state.results = []

    def __len__(self) -> int:
        return len(self._state.results)

    # -- mergeable state ---------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        if self._gt_fingerprint is None:
            self._gt_fingerprint = dataset_fingerprint(self._state.dataset)
        return {
            "iou_type": self._state.iou_type,
            "compat": self._state.compat,
            "backend": self._backend,
            "params": params_to_dict(self._params),
            "gt": self._gt_fingerprint,
        }

    def _get_state(self) -> dict[str, Any]:
        return {"results": list(self._state.results)}

    def _merge_state(self, state: Any) -> None:
        _update(self._state, state["results"])

    def _empty_like(self) -> CocoEvaluator:
        new = object.__new__(CocoEvaluator)
        new._params = self._params
        new._backend = self._backend
        new._state = _State(dataset=self._state.dataset, iou_type=self._state.iou_type, params=self._params, compat=self._state.compat)
        new._gt_fingerprint = self._gt_fingerprint
        return new

    @classmethod
    def from_states(cls, states: Iterable[Any], gt: Any = None, **kwargs: Any) -> CocoEvaluator:
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
        return from_states_on_gt(cls, states, gt, kwargs, lambda cfg: {"iou_type": cfg["iou_type"], "compat": cfg["compat"], "backend": cfg["backend"], **params_from_dict(cfg["params"])})
