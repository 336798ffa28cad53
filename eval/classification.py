"""Few-shot fine-grained classification (Visual-RFT Section 4.2, Table 2).

Protocol: Flower102, Pets37, FGVC-Aircraft, Cars196; 1 / 4 / 8 training images per
class; the classification prompt of Table 1; accuracy = the fraction of test images whose
answer names the right class (the ``accuracy`` component of ``visual_rft.classification``:
normalized exact match with an optional synonym table, never substring matching).

Data: a class list (a text file, one class name per line, in label order) and an image
folder ``ROOT/<class folder>/<image>``; class folders are matched to names by position
in the sorted folder list (``--folders-by-order``, torchvision ImageFolder's order) or
by normalized name.

    python -m rewardkit.eval.classification train --root flowers/train --classes flowers.txt --shots 4 --out train.jsonl
    python -m rewardkit.eval.classification eval-set --root flowers/test --classes flowers.txt --out eval.jsonl
    python -m rewardkit.eval.classification evaluate --predictions preds.jsonl   # {"label", "completion", "dataset"?}
"""

from __future__ import annotations

import argparse
import os
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rewardkit.eval._detection import format_rows, read_jsonl, write_jsonl
from rewardkit.eval.prompts import classification_prompt

__all__ = ["IMAGE_EXTENSIONS", "read_class_list", "scan_folder", "build_set", "evaluate", "format_table", "main"]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
TABLE2_DATASETS = ("flower102", "pets37", "aircraft", "cars196")


def read_class_list(path: str) -> list[str]:
    """Class names, one per line.

    Blank lines and ``#`` comments are skipped; an optional leading ``<index> `` or
    ``<index>:`` is dropped.

    Args:
        path: The class list file.

    Returns:
        The class names, in file order.
    """
    names = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            head, _, rest = line.partition(" ")
            if rest and head.rstrip(":").isdigit():
                line = rest.strip()
            names.append(line)
    return names


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def scan_folder(root: str, classes: Sequence[str] | None = None, *, folders_by_order: bool = False) -> dict[str, list[str]]:
    """``{class name: [image paths relative to root]}`` from ``ROOT/<class folder>/...``.

    Args:
        root: The image folder.
        classes: Class names (default: the folder names).
        folders_by_order: Match the sorted folders to ``classes`` by position, not name.

    Returns:
        The image paths of each class.

    Raises:
        ValueError: as many folders as classes are needed with ``folders_by_order``, or
            folders match no class name.
    """
    folders = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    if classes is None:
        mapping = {d: d.replace("_", " ") for d in folders}
    elif folders_by_order:
        if len(folders) != len(classes):
            raise ValueError(f"Expected {len(classes)} class folders under {root}, but found {len(folders)}")
        mapping = dict(zip(folders, classes))
    else:
        by_key = {_key(c): c for c in classes}
        missing = [d for d in folders if _key(d) not in by_key]
        if missing:
            raise ValueError(f"Folders {missing[:5]} match no class name; pass folders_by_order=True or fix the class list")
        mapping = {d: by_key[_key(d)] for d in folders}
    out: dict[str, list[str]] = {}
    for d, name in mapping.items():
        files = sorted(f for f in os.listdir(os.path.join(root, d)) if f.lower().endswith(IMAGE_EXTENSIONS))
        out[name] = [os.path.join(d, f) for f in files]
    return out


def build_set(
    root: str,
    classes: Sequence[str] | str | None = None,
    *,
    shots: int | None = None,
    seed: int = 0,
    dataset: str = "flower102",
    folders_by_order: bool = False,
) -> list[dict[str, Any]]:
    """Rows ``{"image", "label", "dataset", "prompt", "solution"}``.

    ``shots`` images per class (``random.Random(seed)`` over the sorted file names), or
    all of them.

    Args:
        root: The image folder (``ROOT/<class folder>/...``).
        classes: Class names, or the path of a class list file (default: the folders).
        shots: Images per class, or None for all.
        seed: Seed of the draw.
        dataset: Dataset name stored in each row; a Table 2 dataset picks the prompt's
            wording (:func:`rewardkit.eval.prompts.classification_prompt`), others get a
            generic one.
        folders_by_order: As in :func:`scan_folder`.

    Returns:
        The rows.

    Raises:
        ValueError: a class with fewer images than ``shots``, or as :func:`scan_folder`.
    """
    if isinstance(classes, str):
        classes = read_class_list(classes)
    found = scan_folder(root, classes, folders_by_order=folders_by_order)
    rng = random.Random(seed)
    prompt = classification_prompt(dataset) if dataset in TABLE2_DATASETS else classification_prompt(subject="an object", target="its class")
    rows = []
    for label, files in found.items():
        if shots is not None:
            if len(files) < shots:
                raise ValueError(f"Class {label!r} has {len(files)} images, fewer than {shots} shots")
            files = rng.sample(files, shots)
        for f in files:
            rows.append({"image": f, "label": label, "dataset": dataset, "prompt": prompt, "solution": f"<answer>{label}</answer>"})
    return rows


def evaluate(predictions: Sequence[Mapping[str, Any]] | str, *, synonyms: Mapping[str, Iterable[str]] | None = None) -> dict[str, Any]:
    """Accuracy per dataset and their mean (Table 2's Average).

    Args:
        predictions: Rows with ``completion``, ``label`` and ``dataset``, or a JSONL path.
        synonyms: Extra accepted names per class.

    Returns:
        ``{"average", "per_dataset": {name: accuracy}, "n": {name: count}}``.
    """
    from rewardkit.registry import get_reward

    preds = read_jsonl(predictions) if isinstance(predictions, str) else list(predictions)
    reward = get_reward("visual_rft.classification", **({"synonyms": {k: list(v) for k, v in synonyms.items()}} if synonyms else {}))
    hits: dict[str, list[float]] = defaultdict(list)
    for p in preds:
        r = reward(str(p.get("completion", "")), p["label"])
        hits[str(p.get("dataset", "all"))].append(float(r.components.get("accuracy", 0.0)) if r.score is not None else 0.0)
    per = {k: sum(v) / len(v) for k, v in hits.items()}
    order = [d for d in TABLE2_DATASETS if d in per] + sorted(d for d in per if d not in TABLE2_DATASETS)
    per = {k: per[k] for k in order}
    return {"average": sum(per.values()) / len(per) if per else float("nan"), "per_dataset": per, "n": {k: len(hits[k]) for k in order}}


def format_table(table: Mapping[str, Any], model: str = "model") -> str:
    names = list(table["per_dataset"])
    return format_rows("Visual-RFT Table 2 (few-shot classification, accuracy %)", ["Models", "Average", *names], [[model, table["average"], *table["per_dataset"].values()]])


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rewardkit.eval.classification", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("train", "eval-set"):
        s = sub.add_parser(name)
        s.add_argument("--root", required=True)
        s.add_argument("--classes", default=None, help="class list file (one name per line)")
        s.add_argument("--dataset", default="flower102")
        s.add_argument("--folders-by-order", action="store_true")
        s.add_argument("--out", required=True)
        if name == "train":
            s.add_argument("--shots", type=int, default=4)
            s.add_argument("--seed", type=int, default=0)
    v = sub.add_parser("evaluate")
    v.add_argument("--predictions", required=True)
    v.add_argument("--model", default="model")
    a = p.parse_args(argv)
    if a.cmd == "evaluate":
        print(format_table(evaluate(a.predictions), a.model))
        return 0
    rows = build_set(a.root, a.classes, shots=getattr(a, "shots", None), seed=getattr(a, "seed", 0), dataset=a.dataset, folders_by_order=a.folders_by_order)
    print(f"wrote {len(rows)} rows to {write_jsonl(rows, a.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
