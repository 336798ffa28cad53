"""mypy over the package, as CI and the pre-commit hook run it (``scripts/typecheck.py``;
the settings are ``[tool.mypy]`` in ``pyproject.toml``), together with typical user code
checked strictly (``user_code.py``) and mistakes it must reject (``rejected/*.py``).

The rejected files prove that a checker sees the real signatures behind
``from rewardkit import ...`` (the ``TYPE_CHECKING`` block of ``rewardkit/__init__.py``
and ``rewardkit/rewards/_signatures.py``): a misspelt keyword, a wrong argument type, an
unknown name are errors, not ``Any``. One mypy run does it all (cache in ``.mypy_cache``:
about 15-20 s cold on CI's 2 cores, under a second warm).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import typecheck  # noqa: E402

pytest.importorskip("mypy", reason="mypy is in the dev extra (scripts/test.sh installs it)")

USER_CODE = HERE / "user_code.py"
REJECTED = sorted((HERE / "rejected").glob("*.py"))
_MESSAGE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")


def _expectations(path: Path) -> tuple[str, set[int]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    m = re.fullmatch(r"# expect: ([a-z-]+)", lines[0])
    assert m, f"{path}: the first line must be `# expect: CODE`"
    marked = {i for i, line in enumerate(lines, 1) if line.endswith("# error")}
    assert marked, f"{path}: no line marked `# error`"
    return m.group(1), marked


@pytest.fixture(scope="module")
def mypy_run() -> tuple[int, str]:
    proc = typecheck.run([USER_CODE.relative_to(REPO), *(p.relative_to(REPO) for p in REJECTED)])
    assert "error:" in proc.stdout or proc.returncode == 0, proc.stdout + proc.stderr  # mypy itself failed
    return proc.returncode, proc.stdout


def _errors(out: str) -> list[re.Match[str]]:
    return [m for m in map(_MESSAGE.match, out.splitlines()) if m]


def test_package_and_user_code_type_check(mypy_run: tuple[int, str]) -> None:
    _, out = mypy_run
    rejected = {str(p.relative_to(REPO)) for p in REJECTED}
    unexpected = [m.group(0) for m in _errors(out) if m.group("path") not in rejected]
    assert not unexpected, "mypy reports errors (python scripts/typecheck.py):\n" + "\n".join(unexpected) + "\n\n" + out


@pytest.mark.parametrize("path", REJECTED, ids=lambda p: p.stem)
def test_mistakes_are_rejected(mypy_run: tuple[int, str], path: Path) -> None:
    returncode, out = mypy_run
    code, marked = _expectations(path)
    rel = str(path.relative_to(REPO))
    found = {(int(m.group("line")), m.group("code")) for m in _errors(out) if m.group("path") == rel}
    assert returncode == 1
    assert found == {(line, code) for line in marked}, f"{rel}: expected [{code}] on lines {sorted(marked)}, mypy said:\n{out}"


def test_user_code_runs() -> None:
    sys.path.insert(0, str(HERE))
    try:
        import user_code
    finally:
        sys.path.remove(str(HERE))
    user_code.main()
