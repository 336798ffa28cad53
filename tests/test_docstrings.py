"""Every ``>>>`` example in the product packages runs and gives what its docstring says.

The modules are found by walking ``rewardkit`` (``rewardkit.adapters`` and
``rewardkit.eval`` are the ``adapters/`` and ``eval/`` folders): each module whose source
holds ``>>>`` is imported and run through :func:`doctest.testmod`. An example that needs
an optional package or a file is marked ``# doctest: +SKIP`` in its docstring, with a
comment why.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import types
from pathlib import Path

import pytest

import rewardkit

FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _modules_with_examples() -> list[str]:
    names = []
    infos = list(pkgutil.walk_packages(rewardkit.__path__, "rewardkit."))
    for sub in ("adapters", "eval"):  # installed from their own folders (package-dir)
        package = importlib.import_module(f"rewardkit.{sub}")
        infos += list(pkgutil.walk_packages(package.__path__, f"rewardkit.{sub}."))
    for info in infos:
        spec = importlib.util.find_spec(info.name)
        origin = getattr(spec, "origin", None)
        if not origin or not origin.endswith(".py"):
            continue
        if ">>>" in Path(origin).read_text(encoding="utf-8"):
            names.append(info.name)
    return sorted(set(names))


MODULES = _modules_with_examples()


def test_modules_found():
    # the walk reaches the three product folders (a broken walk would pass every test below)
    assert len(MODULES) >= 30
    assert any(m.startswith("rewardkit.adapters.") for m in MODULES)
    assert any(m.startswith("rewardkit.rewards.") for m in MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=FLAGS, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
    # callable instances with a docstring of their own (doctest's finder skips them), e.g.
    # the grounding rewards, which are instances of one reward class
    finder, runner = doctest.DocTestFinder(recurse=False), doctest.DocTestRunner(optionflags=FLAGS)
    for attr, obj in vars(module).items():
        own = vars(obj).get("__doc__") if hasattr(obj, "__dict__") else None
        if isinstance(obj, (type, types.ModuleType)) or not isinstance(own, str) or ">>>" not in own:
            continue
        if getattr(obj, "__module__", name) != name:
            continue
        for test in finder.find(own, f"{name}.{attr}", module=module, globs=vars(module)):
            runner.run(test)
    assert runner.failures == 0, f"{runner.failures} instance-docstring examples failed in {name}"
