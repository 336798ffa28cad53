"""The top-level names that editors and type checkers see (the ``TYPE_CHECKING`` block of
``rewardkit/__init__.py``) are exactly the lazily loaded ones (``_LAZY``), from the same
modules, and each one resolves at run time."""

from __future__ import annotations

import ast
from pathlib import Path

import rewardkit

INIT = Path(rewardkit.__file__)


def _type_checking_imports() -> dict[str, str]:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom), ast.dump(imp)
                for alias in imp.names:
                    out[alias.asname or alias.name] = str(imp.module)
    return out


def test_type_checking_block_mirrors_the_lazy_exports():
    assert _type_checking_imports() == rewardkit._LAZY


def test_every_export_resolves():
    for name in rewardkit.__all__:
        assert getattr(rewardkit, name) is not None, name
