"""The documentation site: reference pages generated from the registry (every reward,
every parameter), and formulas rendered offline (pose page in headless Chromium)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rewardkit.registry import describe_params, list_rewards

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "docs" / "hooks" / "registry_reference.py"


def _hook():
    spec = importlib.util.spec_from_file_location("registry_reference", HOOK)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_reference_covers_every_reward_and_parameter():
    pages = _hook().pages()
    text = "\n".join(pages.values())
    for name in list_rewards():
        page = next((t for t in pages.values() if f"## `{name}`" in t), None)
        assert page is not None, f"{name} has no section in the generated reference"
        section = page.split(f"## `{name}`", 1)[1].split("\n## ", 1)[0]
        for p in describe_params(name):
            assert f"| `{p.name}` |" in section, (name, p.name)
        assert f"[`{name}`]" in pages["reference/index.md"]
    # the defaults are the code's: grounding reads several boxes as zero
    assert '| `multiple` | `"zero"` | `"first"`, `"zero"` |' in text


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs")
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return out


def test_built_site_has_the_reference_and_no_cdn(site):
    html = "".join(p.read_text() for p in (site / "reference").rglob("index.html"))
    for name in list_rewards():
        assert name in html, name
    pose = (site / "rewards-pose" / "index.html").read_text()
    assert r"\exp\!" in pose  # escapes survive Markdown (they used to be eaten: "exp!")
    scripts = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', pose)
    assert not [s for s in scripts if s.startswith(("http://", "https://", "//"))], scripts
    assert (site / "vendor" / "katex" / "katex.min.js").is_file()


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_pose_math_renders_in_headless_chromium(site, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("REWARDKIT_REQUIRE_BROWSER"):
            pytest.fail("missing binary: chromium, and REWARDKIT_REQUIRE_BROWSER is set (.ci/run installs it)")
        pytest.skip("missing binary: chromium (apt-get install chromium; .ci/run installs it)")
    page = (site / "rewards-pose" / "index.html").as_uri()
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=10000",
    ]  # fmt: skip
    proc = subprocess.run([browser, *flags, "--dump-dom", page], capture_output=True, text=True, timeout=120)
    dom = proc.stdout
    n_formulas = (site / "rewards-pose" / "index.html").read_text().count('class="arithmatex"')
    assert n_formulas >= 3
    assert dom.count('class="katex-display"') == n_formulas, proc.stderr[-2000:]
    assert "katex-error" not in dom
    assert 'encoding="application/x-tex">\\mathrm{OKS}' in dom  # KaTeX's own annotation of the source
    shot = tmp_path / "pose.png"
    subprocess.run([browser, *flags, "--window-size=1100,1400", f"--screenshot={shot}", page],
                   capture_output=True, timeout=120)  # fmt: skip
    assert shot.is_file() and shot.stat().st_size > 20_000


def test_figures_are_drawn_from_the_library(tmp_path):
    pytest.importorskip("matplotlib")
    spec = importlib.util.spec_from_file_location("make_figures", ROOT / "docs" / "figures" / "make_figures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    made = mod.main(tmp_path)
    assert [p.name for p in made] == ["frames.png", "matching.png"]
    for p in made:
        assert p.stat().st_size > 10_000
        committed = ROOT / "docs" / "figures" / p.name
        assert committed.is_file(), f"run python docs/figures/make_figures.py and commit {p.name}"
    docs = (ROOT / "docs" / "parsing.md").read_text() + (ROOT / "docs" / "rewards-localization.md").read_text()
    assert "figures/frames.png" in docs and "figures/matching.png" in docs
