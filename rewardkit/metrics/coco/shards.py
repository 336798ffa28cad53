"""COCO evaluation split by image: match shards apart, accumulate once.

Matching (pycocotools ``evaluateImg``) is independent per (image, category); only the
accumulation sorts detections of all images together, and it is independent per
category, so it can be cut again, into blocks of categories. So a set of images can be cut into
shards, each shard matched on its own (another process, rank or Ray task:
:func:`match_shard`), and the matched detections concatenated and accumulated once
(:func:`merge_shards`). The numbers are ``==`` those of :func:`coco_evaluate` in one pass
(``stats``, ``precision``, ``recall``, ``scores``): a shard's matching sees every
detection and ground truth of its images, the non-ignored ground-truth counts add up,
and accumulation orders detections by (category, -score, image position, rank in the
image), the same total order whatever the shards.

:func:`coco_evaluate_sharded` does the three steps with any ``map`` (the built-in one,
an executor's, or Ray tasks in ``rewardkit eval coco --engine ray --shards N``).

>>> from rewardkit.metrics.coco import coco_evaluate
>>> gt = {"images": [{"id": i, "width": 10, "height": 10} for i in (1, 2)],
...       "categories": [{"id": 1, "name": "a"}],
...       "annotations": [{"id": i, "image_id": i, "category_id": 1, "bbox": [0, 0, 5, 5],
...                        "area": 25, "iscrowd": 0} for i in (1, 2)]}
>>> res = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.9},
...        {"image_id": 2, "category_id": 1, "bbox": [5, 5, 5, 5], "score": 0.8}]
>>> coco_evaluate_sharded(gt, res, shards=2)["stats"] == coco_evaluate(gt, res)["stats"]
True
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from rewardkit.metrics.coco.evaluate import (
    MatchedDets,
    accumulate_matched,
    concat_matched,
    match_prepared,
)
from rewardkit.metrics.coco.loading import load_gt, load_results, validate_coco_inputs
from rewardkit.metrics.coco.params import CocoParams, IouType, make_params, validate_args
from rewardkit.metrics.coco.prepare import ids_list, index_of, prepare
from rewardkit.metrics.coco.summary import package

__all__ = [
    "MatchedShard",
    "evaluated_image_ids",
    "split_by_image",
    "match_shard",
    "match_job",
    "merge_shards",
    "category_block",
    "accumulate_job",
    "coco_evaluate_sharded",
]


@dataclass
class MatchedShard:
    """The matched detections of one shard of images (picklable, a few arrays)."""

    iou_type: str
    compat: str | None
    cat_ids: list
    cat_names: list
    n_results: int
    matched: MatchedDets


def evaluated_image_ids(dataset: dict, p: CocoParams) -> list:
    """The image ids an evaluation covers, in pycocotools' order (sorted, unique).

    Args:
        dataset: the ground-truth dataset dict.
        p: the evaluation parameters (``imgIds``; empty means every image).

    Returns:
        The image ids.
    """
    if len(p.imgIds):
        return ids_list(np.unique(p.imgIds))
    return sorted(img["id"] for img in dataset.get("images", []))


def split_by_image(results: Sequence[dict], image_ids: Sequence[Any], shards: int) -> list[tuple[list, list]]:
    """Cut ``image_ids`` into ``shards`` contiguous, balanced groups with their results.

    Each group gets the results of its images, in file order: ``[(image_ids, results),
    ...]``. Results of images outside ``image_ids`` go with the first shard (they take no
    part, as in one pass, but their image ids are still checked against the ground truth).

    Args:
        results: the detection results.
        image_ids: the evaluated image ids, in order.
        shards: the number of groups.

    Returns:
        ``[(image_ids, results), ...]``, one pair per shard.

    Raises:
        ValueError: ``shards`` < 1.
    """
    if shards < 1:
        raise ValueError(f"Expected `shards` >= 1, but got {shards!r}")
    n = len(image_ids)
    bounds = [round(i * n / shards) for i in range(shards + 1)]
    groups = [list(image_ids[bounds[i] : bounds[i + 1]]) for i in range(shards)]
    where = {iid: k for k, g in enumerate(groups) for iid in g}
    parts: list[list] = [[] for _ in range(shards)]
    for r in results:
        parts[where.get(r.get("image_id") if isinstance(r, dict) else None, 0)].append(r)
    return list(zip(groups, parts))


def match_shard(
    gt: Any,
    results: Any,
    iou_type: IouType = "bbox",
    *,
    image_ids: Sequence[Any],
    compat: Literal["pycocotools"] | None = None,
    **params: Any,
) -> MatchedShard:
    """Match the detections of the images ``image_ids``.

    (a shard of the evaluated images; ``results`` must hold every detection of those
    images, in file order).

    Args:
        gt: the ground truth (as :func:`coco_evaluate` takes it).
        results: the detection results.
        iou_type: ``"bbox"``, ``"segm"`` or ``"keypoints"``.
        image_ids: the shard's image ids.
        compat: ``None`` or ``"pycocotools"``.
        **params: COCO parameters (:class:`CocoParams` names or their snake-case aliases).

    Returns:
        The shard's matched detections, for :func:`merge_shards`.

    Raises:
        ValueError: invalid arguments or malformed inputs.
    """
    validate_args(iou_type, compat, "native")
    dataset = load_gt(gt)
    res = load_results(results)
    _refuse_malformed(dataset, res, iou_type)
    p = make_params(iou_type, params)
    full = evaluated_image_ids(dataset, p)
    mine = set(image_ids)
    shard_ids = [i for i in full if i in mine]
    ps = copy.copy(p)
    # an empty shard still evaluates no image (imgIds=[] would mean "all images")
    ps.imgIds = shard_ids if shard_ids else [_NO_IMAGE]
    P = prepare(dataset, res, iou_type, ps, compat if res else None)
    m = match_prepared(P, ps, per_group_cap=True)
    if shard_ids:
        to_global = index_of(P.img_ids, full)
        m.dt_img = to_global[m.dt_img]
    return MatchedShard(iou_type, compat, list(P.cat_ids), list(P.cat_names), len(res), m)


class _NoImage:
    """An image id no ground truth has (keeps an empty shard empty)."""

    def __lt__(self, other: Any) -> bool:
        return False

    def __repr__(self) -> str:
        return "<no image>"


_NO_IMAGE = _NoImage()


def merge_shards(
    shards: Iterable[MatchedShard],
    iou_type: IouType = "bbox",
    *,
    compat: Literal["pycocotools"] | None = None,
    progress: bool = False,
    map: Callable[..., Iterable[Any]] | None = None,  # noqa: A002 - the map protocol
    blocks: int | None = None,
    **params: Any,
) -> dict[str, Any]:
    """Accumulate matched shards into :func:`coco_evaluate`'s result dict.

    (give the same ``iou_type``, ``compat`` and parameters as to :func:`match_shard`).

    Accumulation is independent per category: with ``map``, the categories are cut into
    ``blocks`` contiguous groups (default: as many as shards) accumulated through ``map``
    and put back in place, the same arrays as one accumulation.

    Args:
        shards: the :func:`match_shard` outputs.
        iou_type: as given to :func:`match_shard`.
        compat: as given to :func:`match_shard`.
        progress: show a tqdm progress bar (without ``map``).
        map: a ``map(fn, iterable)`` to accumulate category blocks through.
        blocks: the number of category blocks with ``map`` (default: the number of shards).
        **params: as given to :func:`match_shard`.

    Returns:
        :func:`coco_evaluate`'s result dict.

    Raises:
        ValueError: no shard, or shards matched with another ``iou_type``, ``compat`` or
            categories.
        IndexError: no result at all with ``compat="pycocotools"`` (as pycocotools).
    """
    validate_args(iou_type, compat, "native")
    shards = list(shards)
    if not shards:
        raise ValueError("Expected at least one matched shard, but got none")
    for s in shards:
        if s.iou_type != iou_type or s.compat != compat or s.cat_ids != shards[0].cat_ids:
            raise ValueError("Expected shards matched with the same iou_type, compat and categories")
    if compat == "pycocotools" and sum(s.n_results for s in shards) == 0:
        raise IndexError("pycocotools raises on an empty result list (compat='pycocotools')")
    p = make_params(iou_type, params)
    merged = concat_matched([s.matched for s in shards])
    if map is not None and merged.n_cat > 1:
        ev = _accumulate_blocks(merged, p, map, blocks or len(shards))
    else:
        bar = cb = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=merged.n_cat * len(p.maxDets), desc=f"COCO {iou_type}", unit="cat")
            cb = bar.update
        try:
            ev = accumulate_matched(merged, p, cb)
        finally:
            if bar is not None:
                bar.close()
    p2 = copy.deepcopy(p)
    p2.maxDets = sorted(int(m) for m in p.maxDets)
    return package(ev, p2, iou_type, shards[0].cat_ids, shards[0].cat_names, compat, "native")


def category_block(m: MatchedDets, cats: np.ndarray) -> MatchedDets:
    """The detections of the categories ``cats`` (positions), renumbered from 0.

    Args:
        m: the matched detections.
        cats: category positions.

    Returns:
        The matched detections of those categories only.
    """
    sel = np.isin(m.dt_cat, cats)
    remap = np.full(m.n_cat, -1, dtype=np.int64)
    remap[cats] = np.arange(cats.size)
    return MatchedDets(
        int(cats.size), remap[m.dt_cat[sel]], m.dt_img[sel], m.rank[sel], m.dt_score[sel],
        m.tps[sel], m.fps[sel], m.npig[cats], m.max_dets,
    )  # fmt: skip


def accumulate_job(job: tuple[MatchedDets, CocoParams]) -> dict[str, np.ndarray]:
    """:func:`~rewardkit.metrics.coco.evaluate.accumulate_matched` of one category block.

    (a picklable top-level function for process pools and Ray tasks).

    Args:
        job: ``(matched detections, parameters)``.

    Returns:
        The precision, recall and scores arrays.
    """
    m, p = job
    return accumulate_matched(m, p)


def _accumulate_blocks(m: MatchedDets, p: CocoParams, run: Callable[..., Iterable[dict]], blocks: int) -> dict[str, np.ndarray]:
    groups = [g for g in np.array_split(np.arange(m.n_cat), max(1, min(blocks, m.n_cat))) if g.size]
    parts = list(run(accumulate_job, [(category_block(m, g), p) for g in groups]))
    first = parts[0]
    T, R, _, A, M = first["precision"].shape
    out = {
        "precision": -np.ones((T, R, m.n_cat, A, M)),
        "recall": -np.ones((T, m.n_cat, A, M)),
        "scores": -np.ones((T, R, m.n_cat, A, M)),
    }
    for g, part in zip(groups, parts):
        out["precision"][:, :, g] = part["precision"]
        out["recall"][:, g] = part["recall"]
        out["scores"][:, :, g] = part["scores"]
    return out


def _refuse_malformed(dataset: dict, results: list, iou_type: str) -> None:
    """Malformed inputs raise ``ValueError`` naming the first offender.

    As in :func:`~rewardkit.metrics.coco.coco_evaluate` (the sharded path has no pycocotools
    fallback: ``coco_evaluate(..., compat="pycocotools")`` reproduces pycocotools).
    """
    problem = validate_coco_inputs(dataset, results, iou_type)
    if problem is not None:
        raise ValueError(problem[0])


def coco_evaluate_sharded(
    gt: Any,
    results: Any,
    iou_type: IouType = "bbox",
    *,
    shards: int = 4,
    map: Callable[..., Iterable[Any]] | None = None,  # noqa: A002 - the map protocol
    compat: Literal["pycocotools"] | None = None,
    progress: bool = False,
    **params: Any,
) -> dict[str, Any]:
    """:func:`coco_evaluate` with the images cut into ``shards`` matched through ``map``.

    (``map(fn, iterable)``; default the built-in) and accumulated once (with ``map``: in
    ``shards`` blocks of categories through ``map`` too). ``==`` the one-pass result.

    Args:
        gt: the ground truth (as :func:`coco_evaluate` takes it).
        results: the detection results.
        iou_type: ``"bbox"``, ``"segm"`` or ``"keypoints"``.
        shards: the number of image shards.
        map: a ``map(fn, iterable)`` (default the built-in).
        compat: ``None`` or ``"pycocotools"``.
        progress: show a tqdm progress bar (without ``map``).
        **params: COCO parameters (:class:`CocoParams` names or their snake-case aliases).

    Returns:
        :func:`coco_evaluate`'s result dict.

    Raises:
        ValueError: invalid arguments or malformed inputs.
    """
    validate_args(iou_type, compat, "native")
    dataset = load_gt(gt)
    res = load_results(results)
    _refuse_malformed(dataset, res, iou_type)
    p = make_params(iou_type, params)
    parts = split_by_image(res, evaluated_image_ids(dataset, p), shards)
    run = map if map is not None else _builtin_map
    jobs = [(dataset, rs, iou_type, ids, compat, params) for ids, rs in parts]
    matched = list(run(match_job, jobs))
    return merge_shards(matched, iou_type, compat=compat, progress=progress, map=map, **params)


def match_job(job: tuple[Any, Any, str, Sequence[Any], str | None, dict[str, Any]]) -> MatchedShard:
    """:func:`match_shard` on one job tuple.

    The tuple is ``(gt, results, iou_type, image_ids, compat, params)`` (a picklable
    top-level function for process pools and Ray tasks).

    Args:
        job: the tuple above.

    Returns:
        The shard's matched detections.
    """
    gt, results, iou_type, image_ids, compat, params = job
    return match_shard(gt, results, iou_type, image_ids=image_ids, compat=compat, **params)  # type: ignore[arg-type]  # params is the CocoParams keywords dict of the job tuple, typed dict[str, Any] for pickling


_builtin_map = map
