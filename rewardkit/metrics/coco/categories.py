"""Category subsets: ids from names, and the mean per-category AP over a subset.

(Visual-RFT's few-shot tables, OV-COCO nAP50 / bAP50).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np

__all__ = ["resolve_category_ids", "category_subset_ap"]


def resolve_category_ids(
    categories: Iterable[Any],
    gt_categories: Sequence[Mapping[str, Any]],
    missing: Literal["raise", "skip"] = "raise",
) -> list[Any]:
    """Category ids for ``categories`` given as ids or names.

    Names are compared after :func:`rewardkit.parsing.labels.normalize_label` (so
    ``"fire_hydrant"``, ``"Fire hydrant"`` and ``"fire-hydrant"`` agree) against each
    category's ``name`` and its ``synonyms`` (LVIS). Raises ``KeyError`` naming the
    unknown entries and close matches.

    Args:
        categories: category ids, or names (strings of digits are read as ids).
        gt_categories: the ground truth's category records (``id``, ``name``, optional
            ``synonyms``).
        missing: ``"raise"`` raises on unknown entries; ``"skip"`` leaves them out.

    Returns:
        The category ids, in the order of ``categories``.

    Raises:
        KeyError: unknown entries with ``missing="raise"``.
    """
    from difflib import get_close_matches

    from rewardkit.parsing.labels import normalize_label

    by_id = {c["id"]: c for c in gt_categories}
    by_name: dict[str, Any] = {}
    for c in gt_categories:
        by_name.setdefault(normalize_label(c.get("name", "")), c["id"])
    for c in gt_categories:
        for syn in c.get("synonyms", []) or []:
            by_name.setdefault(normalize_label(syn), c["id"])
    out, unknown = [], []
    for item in categories:
        if not isinstance(item, str) and item in by_id:
            out.append(item)
            continue
        if isinstance(item, str) and item.strip().lstrip("-").isdigit() and int(item) in by_id:
            out.append(int(item))
            continue
        key = normalize_label(str(item))
        if key in by_name:
            out.append(by_name[key])
        else:
            unknown.append(item)
    if unknown and missing == "raise":
        hints = {m: get_close_matches(normalize_label(str(m)), list(by_name), n=3) for m in unknown}
        raise KeyError(f"Unknown categories {unknown}; did you mean {hints}?")
    return out


def category_subset_ap(
    result: Mapping[str, Any],
    categories: Iterable[Any],
    metric: Literal["AP", "AP50", "AP75"] = "AP",
    gt_categories: Sequence[Mapping[str, Any]] | None = None,
    missing: Literal["raise", "skip"] = "raise",
) -> dict[str, Any]:
    """Mean of the per-category ``metric`` over a category subset.

    This is the "mAP over selected categories" of Visual-RFT's few-shot tables and the
    nAP50 / bAP50 of open-vocabulary COCO: per-category AP = mean of
    ``precision[t, :, k, area=all, maxDets=-1]`` over entries > -1, then the plain mean
    over the subset's categories that have ground truth (the others are listed in
    ``"no_gt"`` and left out, as Detectron2 does with its NaN entries).

    ``categories``: ids, or names resolved with :func:`resolve_category_ids` against
    ``gt_categories`` (default: the names in ``result["per_category"]``);
    ``missing="skip"`` leaves out categories the evaluation does not know (reported in
    ``"not_evaluated"``) instead of raising.

    Args:
        result: an evaluation result with a ``"per_category"`` table.
        categories: category ids or names.
        metric: the per-category column to average: ``"AP"``, ``"AP50"`` or ``"AP75"``.
        gt_categories: category records to resolve names against (default: the names in
            ``result["per_category"]``).
        missing: ``"raise"`` or ``"skip"``, as above.

    Returns:
        A dict with ``metric``, ``mean`` (NaN when no category has ground truth), ``n``,
        ``category_ids``, ``no_gt``, ``not_evaluated`` and ``per_category``.

    Raises:
        KeyError: an unknown category, or one not in the result's per-category table,
            with ``missing="raise"``.
    """
    rows = {row["id"]: row for row in result["per_category"]}
    cats = gt_categories if gt_categories is not None else [
        {"id": r["id"], "name": r["name"]} for r in result["per_category"]
    ]
    wanted = list(categories)
    ids = resolve_category_ids(wanted, cats, missing)
    not_evaluated = [c for c in wanted if c not in ids] if missing == "skip" else []
    ids = [c for c in ids if c in rows or missing == "raise"]
    values, used, no_gt = [], [], []
    for cid in ids:
        if cid not in rows:
            raise KeyError(f"Category id {cid!r} was not evaluated (not in the result's per-category table)")
        v = rows[cid][metric]
        if v != v:  # NaN: no ground truth
            no_gt.append(cid)
            continue
        values.append(v)
        used.append(cid)
    mean = float(np.mean(values)) if values else float("nan")
    return {
        "metric": metric,
        "mean": mean,
        "n": len(values),
        "category_ids": used,
        "no_gt": no_gt,
        "not_evaluated": not_evaluated,
        "per_category": [{"id": c, "name": rows[c]["name"], metric: rows[c][metric]} for c in ids],
    }
