"""Release hygiene: one version source, typed package, changelog discipline, and a wheel
and sdist that work outside the checkout.

* ``rewardkit --version``, ``rewardkit.__version__`` and ``importlib.metadata`` agree.
* The committed defaults snapshot (``tests/data/defaults/current.json``) equals the
  registry; every default changed or removed since the last release snapshot has a
  ``CHANGELOG.md`` line naming the reward and the parameter.
* The built wheel installs into a fresh virtual environment and scores the example file
  from outside the checkout (the README's first command); the sdist carries the tests and
  their data, and the parity tests run from the unpacked sdist.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULTS = REPO / "tests" / "data" / "defaults"
sys.path.insert(0, str(REPO / "scripts"))

import snapshot_defaults  # noqa: E402


def _last_release_snapshot() -> Path:
    import rewardkit

    snaps = sorted(DEFAULTS.glob("v*.json"), key=lambda p: tuple(int(x) for x in p.stem[1:].split(".")))
    assert snaps, "no release snapshot in tests/data/defaults"
    older = [p for p in snaps if p.stem[1:] != rewardkit.__version__] or snaps
    return older[-1]


def test_version_has_one_source():
    import rewardkit

    proc = subprocess.run([sys.executable, "-m", "rewardkit.cli", "--version"], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"rewardkit {rewardkit.__version__}"
    assert importlib.metadata.version("rewardkit") == rewardkit.__version__


def test_package_is_typed():
    assert (REPO / "rewardkit" / "py.typed").is_file()


def test_defaults_snapshot_is_current():
    committed = json.loads((DEFAULTS / "current.json").read_text(encoding="utf-8"))
    now = json.loads(snapshot_defaults.render(snapshot_defaults.registry_defaults()))
    changed = sorted(
        f"{r}.{p}" for r in set(now) | set(committed)
        for p in set(now.get(r, {})) | set(committed.get(r, {}))
        if now.get(r, {}).get(p, "<absent>") != committed.get(r, {}).get(p, "<absent>")
    )
    assert not changed, (
        f"registry defaults differ from tests/data/defaults/current.json: {changed}; run "
        "`python scripts/snapshot_defaults.py`, commit it, and add a CHANGELOG.md line per changed default"
    )


def test_changed_defaults_have_a_changelog_line():
    before = json.loads(_last_release_snapshot().read_text(encoding="utf-8"))
    now = json.loads(snapshot_defaults.render(snapshot_defaults.registry_defaults()))
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    lines = changelog.splitlines()
    missing = []
    for reward, params in before.items():
        if reward not in now:
            if f"`{reward}`" not in changelog:
                missing.append(f"{reward} (removed or renamed)")
            continue
        for param, old in params.items():
            new = now[reward].get(param, "<removed>")
            if new != old and not any(reward in ln and param in ln for ln in lines):
                missing.append(f"{reward}.{param}: {old!r} -> {new!r}")
    assert not missing, "CHANGELOG.md has no line for these changed defaults: " + "; ".join(missing)


# ----------------------------------------------------------------------------- built artefacts


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    pytest.importorskip("build")
    out = tmp_path_factory.mktemp("dist")
    src = tmp_path_factory.mktemp("src") / "rewardkit"
    # build from a copy of the working tree (tracked and untracked-but-not-ignored files),
    # so that build/ and *.egg-info never land in the checkout
    proc = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                          cwd=REPO, capture_output=True, check=True)
    for rel in proc.stdout.decode().split("\0"):
        if rel and (REPO / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, src / rel)
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def test_twine_check(dist):
    pytest.importorskip("twine")
    files = [str(p) for p in dist.iterdir()]
    proc = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *files], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_wheel_installs_in_a_fresh_venv_and_scores_the_example(dist, tmp_path):
    wheel = next(dist.glob("rewardkit-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
                          capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    work = tmp_path / "elsewhere"  # not the checkout: nothing can come from the source tree
    work.mkdir()
    shutil.copy(REPO / "examples" / "data" / "preds.jsonl", work / "preds.jsonl")
    n_in = sum(1 for line in (work / "preds.jsonl").read_text(encoding="utf-8").splitlines() if line.strip())
    proc = subprocess.run([str(env_dir / "bin" / "rewardkit"), "score", "preds.jsonl", "-o", "out.jsonl", "-q"],
                          capture_output=True, text=True, cwd=work, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in (work / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == n_in
    assert any(r["score"] is not None for r in rows)
    where = subprocess.run([str(py), "-c", "import rewardkit, rewardkit.adapters; print(rewardkit.__file__)"],
                           capture_output=True, text=True, cwd=work, env=env)
    assert str(env_dir) in where.stdout, where.stdout + where.stderr


def test_wheel_ships_type_information(dist):
    wheel = next(dist.glob("rewardkit-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "rewardkit/py.typed" in names
    assert "Typing :: Typed" in meta and "Project-URL: Changelog" in meta


@pytest.mark.slow
def test_sdist_carries_the_tests_and_runs_them(dist, tmp_path):
    sdist = next(dist.glob("rewardkit-*.tar.gz"))
    with tarfile.open(sdist) as tf:
        tf.extractall(tmp_path, filter="data")
    root = next(tmp_path.glob("rewardkit-*"))
    for rel in ("tests/parity", "tests/data", "CHANGELOG.md", "LICENSE", "examples/data/preds.jsonl"):
        assert (root / rel).exists(), f"{rel} missing from the sdist"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/parity", "-x"],
                          capture_output=True, text=True, cwd=root, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
