"""Category lists of the papers' evaluation protocols, and the split tables built on them.

The lists are data (``eval/data/*.json``, shipped with the package):

==========================  ===============================================================
``coco80``                  the 80 COCO detection categories (id, name, supercategory)
``visual_rft_coco8``        Visual-RFT few-shot COCO: bus, train, fire hydrant, stop sign,
                            cat, dog, bed, toilet (mAP over these 8)
``visual_rft_lvis_rare6``   Visual-RFT few-shot LVIS rare: horse_buggy ("buggy"), die,
                            kitchen_table, omelet, papaya, stepladder (mAP over these 6)
``ov_coco_base48``          open-vocabulary COCO base split (48 categories)
``ov_coco_novel17``         open-vocabulary COCO novel split (17 categories, ids 5 6 17 18
                            21 22 28 32 36 41 47 49 61 63 76 81 87)
==========================  ===============================================================

Tables (each takes the mapping returned by :func:`rewardkit.metrics.coco.coco_evaluate`
or :func:`rewardkit.metrics.lvis.lvis_evaluate`):

- :func:`subset_table`: mean per-category AP / AP50 / AP75 over any list;
- :func:`visual_rft_coco_table`, :func:`visual_rft_lvis_table`: Visual-RFT's few-shot mAP;
- :func:`ov_coco_table`: nAP50, bAP50 and AP50 over all 65 OV-COCO categories;
- :func:`lvis_rare_table`: mean AP over the rare (``frequency == "r"``) categories
  present in the result (APr recomputed per category) and over Visual-RFT's 6.

>>> names = category_names("visual_rft_coco8")
>>> names[:3]
['bus', 'train', 'fire hydrant']
>>> len(category_ids("ov_coco_novel17")), len(category_ids("ov_coco_base48"))
(17, 48)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = [
    "available_lists",
    "load_category_list",
    "category_names",
    "category_ids",
    "subset_table",
    "visual_rft_coco_table",
    "visual_rft_lvis_table",
    "ov_coco_table",
    "lvis_rare_table",
]


def available_lists() -> list[str]:
    """Names of the category lists shipped in ``rewardkit.eval`` data.

    Returns:
        The list names, sorted.
    """
    root = resources.files("rewardkit.eval") / "data"
    return sorted(p.name[: -len(".json")] for p in root.iterdir() if p.name.endswith(".json"))


@lru_cache(maxsize=32)
def _load(name: str) -> str:
    path = resources.files("rewardkit.eval") / "data" / f"{name}.json"
    if not path.is_file():
        raise KeyError(f"Unknown category list {name!r}; available: {available_lists()}")
    return path.read_text(encoding="utf-8")


def load_category_list(name: str) -> dict[str, Any]:
    """The JSON document of a list: ``{"name", "description", "categories": [...]}``.

    Args:
        name: A list name (:func:`available_lists`).

    Returns:
        The document.

    Raises:
        KeyError: an unknown list.
    """
    return json.loads(_load(name))


def category_names(name: str) -> list[str]:
    """Category names of a list (LVIS identifiers for LVIS lists).

    Args:
        name: A list name.

    Returns:
        The category names.

    Raises:
        KeyError: an unknown list.
    """
    return [c["name"] for c in load_category_list(name)["categories"]]


def category_ids(name: str) -> list[int]:
    """COCO category ids of a COCO list (LVIS lists have no fixed ids: resolve by name).

    Args:
        name: A COCO list name.

    Returns:
        The category ids.

    Raises:
        KeyError: an unknown list, or an LVIS list.
    """
    cats = load_category_list(name)["categories"]
    if any("id" not in c for c in cats):
        raise KeyError(f"List {name!r} has no fixed ids (LVIS versions differ); use category_names()")
    return [int(c["id"]) for c in cats]


def _categories_of(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"id": r["id"], "name": r["name"]} for r in result["per_category"]]


def subset_table(
    result: Mapping[str, Any],
    categories: Iterable[Any] | str,
    metrics: Iterable[str] = ("AP", "AP50", "AP75"),
    gt_categories: list[Mapping[str, Any]] | None = None,
    missing: str = "raise",
) -> dict[str, Any]:
    """Mean per-category metrics over a subset (ids, names, or the name of a list).

    ``missing="skip"``: categories absent from the evaluation are left out (listed in
    ``"not_evaluated"``) instead of raising ``KeyError``.

    Args:
        result: A COCO/LVIS evaluation result with per-category precision.
        categories: Category ids, names, or the name of a list.
        metrics: The metrics averaged.
        gt_categories: The ground truth's categories (to resolve LVIS synonyms).
        missing: ``"raise"`` or ``"skip"``.

    Returns:
        ``{"categories": [...ids...], "n": ..., "AP": ..., "AP50": ..., "AP75": ...,
        "per_category": [{id, name, AP, AP50, AP75}], "no_gt": [...]}``.

    Raises:
        KeyError: categories absent from the evaluation (``missing="raise"``).
    """
    from rewardkit.metrics.coco import category_subset_ap

    if isinstance(categories, str):
        cats = category_names(categories) if categories in available_lists() else categories.split(",")
    else:
        cats = list(categories)
    gt_cats = gt_categories if gt_categories is not None else _categories_of(result)
    out: dict[str, Any] = {}
    rows = None
    for m in metrics:
        r = category_subset_ap(result, cats, m, gt_cats, missing)
        out[m] = r["mean"]
        out["n"] = r["n"]
        out["categories"] = r["category_ids"]
        out["no_gt"] = r["no_gt"]
        out["not_evaluated"] = r["not_evaluated"]
        if rows is None:
            rows = {row["id"]: dict(row) for row in r["per_category"]}
        else:
            for row in r["per_category"]:
                rows[row["id"]][m] = row[m]
    out["per_category"] = list(rows.values()) if rows else []
    return out


def visual_rft_coco_table(result: Mapping[str, Any]) -> dict[str, Any]:
    """Visual-RFT few-shot COCO: mean per-category AP (and AP50/AP75) over its 8 categories.

    Args:
        result: A COCO evaluation result.

    Returns:
        :func:`subset_table`'s dict.
    """
    return subset_table(result, category_names("visual_rft_coco8"))


def visual_rft_lvis_table(result: Mapping[str, Any], gt_categories: list[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Visual-RFT few-shot LVIS: mean per-category AP over its 6 rare categories.

    Pass the ground truth's ``categories`` to resolve LVIS synonyms as well as names.

    Args:
        result: An LVIS evaluation result.
        gt_categories: The ground truth's categories, or None.

    Returns:
        :func:`subset_table`'s dict.
    """
    return subset_table(result, category_names("visual_rft_lvis_rare6"), gt_categories=gt_categories)


def ov_coco_table(result: Mapping[str, Any]) -> dict[str, Any]:
    """Open-vocabulary COCO: ``nAP50`` (17 novel), ``bAP50`` (48 base), ``AP50`` (all 65).

    Each is the mean of per-category AP50 (``precision[iou=0.5, :, k, all, -1]`` > -1)
    over the split's categories present in the evaluation.

    Args:
        result: A COCO evaluation result.

    Returns:
        ``{"nAP50", "bAP50", "AP50", "n_novel", "n_base", "novel", ...}`` (the
        per-category rows of each split).
    """
    novel = subset_table(result, category_ids("ov_coco_novel17"), ("AP50",), missing="skip")
    base = subset_table(result, category_ids("ov_coco_base48"), ("AP50",), missing="skip")
    both = subset_table(
        result, category_ids("ov_coco_novel17") + category_ids("ov_coco_base48"), ("AP50",), missing="skip"
    )
    return {
        "nAP50": novel["AP50"],
        "bAP50": base["AP50"],
        "AP50": both["AP50"],
        "n_novel": novel["n"],
        "n_base": base["n"],
        "novel": novel["per_category"],
        "base": base["per_category"],
    }


def lvis_rare_table(result: Mapping[str, Any], gt_categories: list[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """LVIS rare subsets: mean per-category AP over the rare categories.

    Over all rare categories with ground truth (``APr_mean``; lvis-api's APr pools the
    precision entries instead) and over Visual-RFT's 6 (``visual_rft_rare6``).

    Args:
        result: An LVIS evaluation result.
        gt_categories: The ground truth's categories, or None.

    Returns:
        ``{"APr_mean", "n_rare", "visual_rft_rare6", "visual_rft_rare6_n",
        "per_category"}``.
    """
    rare = [r["id"] for r in result["per_category"] if r.get("frequency") == "r"]
    all_rare = subset_table(result, rare, ("AP",)) if rare else {"AP": float("nan"), "n": 0}
    six = subset_table(
        result, category_names("visual_rft_lvis_rare6"), ("AP",), gt_categories=gt_categories, missing="skip"
    )
    return {
        "APr_mean": all_rare["AP"],
        "n_rare": all_rare["n"],
        "visual_rft_rare6": six["AP"],
        "visual_rft_rare6_n": six["n"],
        "per_category": six["per_category"],
    }
