"""Packaging: ``adapters/`` and ``eval/`` ship as ``rewardkit.adapters`` / ``rewardkit.eval``.

A top-level ``adapters`` package would collide with the unrelated PyPI package of that
name (DESIGN.md), so a built wheel must hold no top-level ``adapters`` or ``eval``; the
folders refuse to be imported under any other name.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
OFFLINE_HINTS = ("No matching distribution", "Could not find a version", "NewConnectionError",
                 "Failed to establish a new connection", "Temporary failure in name resolution")


def _can_build_without_isolation() -> bool:
    try:
        import setuptools
        import wheel  # noqa: F401
    except ImportError:
        return False
    return int(setuptools.__version__.split(".")[0]) >= 68


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> list[str]:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    # build from a copy so that build/ and *.egg-info never land in the working tree
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("pyproject.toml", "README.md"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, src / name)
    for name in ("rewardkit", "adapters", "eval"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    cmd = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-w", str(tmp / "out"), "-q"]
    if _can_build_without_isolation():
        cmd.append("--no-build-isolation")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp)
    if proc.returncode != 0:
        if any(h in proc.stdout + proc.stderr for h in OFFLINE_HINTS):
            pytest.skip("cannot fetch the build backend (offline) and the venv lacks setuptools>=68 + wheel")
        pytest.fail(f"pip wheel failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    wheels = list((tmp / "out").glob("rewardkit-*.whl"))
    assert len(wheels) == 1, wheels
    with zipfile.ZipFile(wheels[0]) as zf:
        names = zf.namelist()
        top = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        if top:  # setuptools writes it; pip uses it to spot top-level name clashes
            assert zf.read(top[0]).decode().split() == ["rewardkit"]
        return names


def test_wheel_has_no_top_level_adapters_or_eval(wheel_names):
    tops = {n.split("/")[0] for n in wheel_names}
    assert "adapters" not in tops and "eval" not in tops
    assert {t for t in tops if not t.endswith((".dist-info", ".data"))} == {"rewardkit"}


def test_wheel_holds_mapped_packages(wheel_names):
    names = set(wheel_names)
    assert "rewardkit/adapters/__init__.py" in names
    assert "rewardkit/eval/__init__.py" in names


def test_wheel_holds_the_swift_plugin_and_the_server(wheel_names):
    # the ms-swift plugin file is package data in a folder of its own (ms-swift puts the
    # folder on sys.path); the server's modules live in rewardkit.serving
    names = set(wheel_names)
    assert "rewardkit/adapters/swift_plugin/rewardkit_orms.py" in names
    assert not [n for n in names if n.startswith("rewardkit/adapters/swift_plugin/") and not n.endswith("rewardkit_orms.py")]
    assert {"rewardkit/serving/app.py", "rewardkit/serving/client.py", "rewardkit/serving/work.py"} <= names


def test_wheel_holds_every_subpackage(wheel_names):
    # a subpackage missing from pyproject's explicit package list is silently dropped
    names = set(wheel_names)
    expected = set()
    for folder, prefix in (("rewardkit", "rewardkit"), ("adapters", "rewardkit/adapters"), ("eval", "rewardkit/eval")):
        for init in (REPO / folder).rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            rel = init.relative_to(REPO / folder).as_posix()
            expected.add(f"{prefix}/{rel}")
    missing = sorted(expected - names)
    assert not missing, f"subpackages missing from the wheel (add them to [tool.setuptools] packages): {missing}"


def test_wheel_holds_the_quality_dataset(wheel_names):
    # `rewardkit audit --quality` without --data reads it from the installed package
    assert "rewardkit/auditing/data/quality_default.jsonl" in set(wheel_names)


def test_editable_install_maps_adapters_folder():
    try:
        import rewardkit.adapters as adapters_pkg
        import rewardkit.eval as eval_pkg
    except ImportError:
        pytest.skip("rewardkit is not installed editable (pip install -e .)")
    assert Path(adapters_pkg.__file__).resolve() == (REPO / "adapters" / "__init__.py").resolve()
    assert Path(eval_pkg.__file__).resolve() == (REPO / "eval" / "__init__.py").resolve()
    if (REPO / "adapters" / "trl.py").exists():
        spec = importlib.util.find_spec("rewardkit.adapters.trl")  # located, not executed
        assert spec is not None and Path(spec.origin).resolve() == (REPO / "adapters" / "trl.py").resolve()


@pytest.mark.parametrize(("folder", "name"), [("adapters", "adapters"), ("eval", "eval"), ("adapters", "rk_adapters")])
def test_folder_refuses_another_name(folder, name):
    spec = importlib.util.spec_from_file_location(name, REPO / folder / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    with pytest.raises(ImportError, match=f"rewardkit.{folder}"):
        spec.loader.exec_module(module)


def test_plain_import_adapters_from_repo_root_fails():
    for name in ("adapters", "eval"):
        proc = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=REPO, capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode != 0 and "ImportError" in proc.stderr, proc.stderr[-500:]
