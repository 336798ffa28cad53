"""The layer rule: types -> parsing -> geometry -> rewards -> metrics -> surfaces.

A module imports only from its own layer or the layers below it, at the top of the
module and inside functions alike (imports are read with :mod:`ast`, nothing is run).
See docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LAYERS = ("types", "parsing", "geometry", "rewards", "metrics", "surfaces")
_BOTTOM = {"rewardkit.types", "rewardkit.errors", "rewardkit.limits", "rewardkit.names", "rewardkit._version"}


def layer_of(module: str) -> str | None:
    """The layer of a ``rewardkit`` module name (None for the package facade)."""
    if module == "rewardkit":
        return None  # the lazy facade re-exports every layer
    if module in _BOTTOM:
        return "types"
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ("parsing", "geometry", "rewards", "metrics"):
        return parts[1]
    return "surfaces"


def _module_files() -> dict[str, Path]:
    out = {}
    for base, prefix in ((ROOT / "rewardkit", "rewardkit"), (ROOT / "adapters", "rewardkit.adapters"), (ROOT / "eval", "rewardkit.eval")):
        for path in base.rglob("*.py"):
            rel = path.relative_to(base).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([prefix, *parts])] = path
    return out


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "rewardkit"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name.split(".")[0] == "rewardkit":
                found.append((node.lineno, name))
    return found


def test_layer_of_knows_every_layer():
    assert layer_of("rewardkit.limits") == "types"
    assert layer_of("rewardkit.parsing.masks") == "parsing"
    assert layer_of("rewardkit.geometry.plausibility") == "geometry"
    assert layer_of("rewardkit.rewards.pose") == "rewards"
    assert layer_of("rewardkit.metrics.coco.engine") == "metrics"
    assert layer_of("rewardkit.cli.rows") == layer_of("rewardkit.adapters.trl") == "surfaces"


def test_no_module_imports_a_higher_layer():
    files = _module_files()
    assert len(files) > 100, "the module scan found too few files"
    bad = []
    for module, path in sorted(files.items()):
        own = layer_of(module)
        if own is None:
            continue
        for line, target in _imports(path, module):
            other = layer_of(target)
            if other is not None and LAYERS.index(other) > LAYERS.index(own):
                bad.append(f"{path.relative_to(ROOT)}:{line} ({own}) imports {target} ({other})")
    assert not bad, "upward imports:\n" + "\n".join(bad)
