"""Type-check rewardkit with mypy as CI does (``tests/typing/test_mypy.py`` and the
pre-commit hook run this script).

    python scripts/typecheck.py            # the package (rewardkit, adapters/, eval/)
    python scripts/typecheck.py FILE...    # also FILE, checked strictly as user code

``rewardkit.adapters`` and ``rewardkit.eval`` live in the top-level ``adapters/`` and
``eval/`` folders (``package-dir`` in ``pyproject.toml``). A type checker reads folders,
not setuptools' mapping, so the script lays out a tree of symbolic links shaped like the
installed package (``.mypy_cache/tree/rewardkit/{..., adapters, eval}``), runs mypy on it
with the settings of ``[tool.mypy]`` in ``pyproject.toml`` and prints the paths of the
checkout. Extra FILEs are linked into ``.mypy_cache/tree/usercode/`` (module
``usercode.<stem>``, ``strict`` in ``pyproject.toml``), where they import ``rewardkit``
as a user's code does. The cache stays in ``.mypy_cache`` (warm runs take seconds).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".mypy_cache"
# rewardkit.<name> -> the folder that setuptools maps it from (pyproject's package-dir)
MAPPED = {"adapters": REPO / "adapters", "eval": REPO / "eval"}


def _link(target: Path, link: Path) -> None:
    if link.is_symlink() and Path(os.readlink(link)) == target:
        return
    _remove(link)
    link.symlink_to(target, target_is_directory=target.is_dir())


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def build_tree(user_files: list[Path]) -> Path:
    """The tree of links (created or brought up to date); returns its root."""
    root = CACHE / "tree"
    CACHE.mkdir(exist_ok=True)
    (CACHE / ".gitignore").write_text("# made by scripts/typecheck.py\n*\n", encoding="utf-8")
    pkg = root / "rewardkit"
    pkg.mkdir(parents=True, exist_ok=True)
    wanted = {p.name: p for p in (REPO / "rewardkit").iterdir() if p.name != "__pycache__"}
    wanted.update(MAPPED)
    for stale in set(os.listdir(pkg)) - set(wanted):
        _remove(pkg / stale)
    for name, target in wanted.items():
        _link(target, pkg / name)
    user = root / "usercode"
    _remove(user)
    if len({f.name for f in user_files}) != len(user_files):
        raise ValueError(f"Expected user files with distinct names, but got {[str(f) for f in user_files]}")
    if user_files:
        user.mkdir()
        (user / "__init__.py").write_text("", encoding="utf-8")
        for f in user_files:
            _link(f.resolve(), user / f.name)
    return root


def _checkout_path(line: str, root: Path, user_files: list[Path]) -> str:
    """A mypy message with the checkout's paths instead of the tree's."""
    for name, target in MAPPED.items():
        line = line.replace(f"rewardkit/{name}/", f"{target.relative_to(REPO)}/")
    for f in user_files:
        line = line.replace(f"usercode/{f.name}:", f"{f}:")
    return line.replace(str(root) + os.sep, "")


def run(user_files: list[Path] | None = None, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run mypy over the package and ``user_files``; stdout has the checkout's paths."""
    files = [Path(f) for f in user_files or []]
    root = build_tree(files)
    cmd = [
        sys.executable, "-m", "mypy",
        "--config-file", str(REPO / "pyproject.toml"),
        "--cache-dir", str(CACHE / "cache"),
        "-p", "rewardkit",
        *(a for f in files for a in ("-m", f"usercode.{f.stem}")),
        *extra,
    ]
    env = {**os.environ, "MYPYPATH": str(root)}
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    out = "\n".join(_checkout_path(line, root, files) for line in proc.stdout.splitlines())
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, proc.stderr)


def main(argv: list[str]) -> int:
    proc = run([Path(a) for a in argv])
    print(proc.stdout)
    if proc.stderr:
        print(proc.stderr, file=sys.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
