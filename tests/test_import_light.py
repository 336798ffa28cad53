"""`import rewardkit` stays light: no torch/pandas/matplotlib/trainer import, ever.

Each check runs in a fresh interpreter with a spy on ``sys.meta_path`` that records every
ATTEMPT to import a heavy package (so a guarded ``try: import torch`` at module top
level is caught even where torch is not installed), then lists what got loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = ["torch", "pandas", "matplotlib", "trl", "verl", "ray", "transformers", "tensorflow", "jax", "accelerate",
         "starlette", "uvicorn", "fastapi", "swift", "openrlhf"]

SPY = """
import json, sys
HEAVY = set(%r)
attempts = []
class _Spy:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HEAVY:
            attempts.append(name)
        return None
sys.meta_path.insert(0, _Spy())
%s
loaded = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
print(json.dumps({"attempts": sorted(set(attempts)), "loaded": loaded}))
"""

STATEMENTS = {
    "import-rewardkit": "import rewardkit",
    "detection_reward": "from rewardkit import detection_reward",
    "registry-all-families": "import rewardkit.registry",
    "score-a-completion": (
        "from rewardkit import score\n"
        "score(\"<think>a</think><answer>[{'Position': [1, 2, 3, 4], 'Confidence': 1}]</answer>\", [[1, 2, 3, 4]], reward=\"visual_rft.detection\")"
    ),
    "every-reward-via-registry": (
        "from rewardkit.registry import list_rewards, get_reward\n"
        "[get_reward(n) for n in list_rewards()]"
    ),
    "parsing-geometry-types": "import rewardkit.parsing, rewardkit.geometry, rewardkit.types",
    "engines-formats-distributed": (
        "import rewardkit.cli, rewardkit.io, rewardkit.engines.ray, rewardkit.metrics.distributed, "
        "rewardkit.metrics.coco.shards"
    ),
    # the CLI imports the serve command, which imports Starlette only when it runs
    "cli-with-serve": "import rewardkit.cli; rewardkit.cli.build_parser()",
    # the adapters' remote client is standard library
    "remote-client": "import rewardkit.serving.client, rewardkit.adapters.trl, rewardkit.adapters.verl",
    "openrlhf-and-swift-files": "import rewardkit.adapters.openrlhf, rewardkit.adapters.swift",
}


@pytest.mark.parametrize("statement", list(STATEMENTS.values()), ids=list(STATEMENTS))
def test_no_heavy_import(statement):
    proc = subprocess.run(
        [sys.executable, "-c", SPY % (HEAVY, statement)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["attempts"] == [], f"heavy imports attempted: {out['attempts']}"
    assert out["loaded"] == [], f"heavy modules loaded: {out['loaded']}"


def test_spy_detects_a_heavy_import():
    # the check above can fail: an attempted import of a heavy name is recorded even when
    # the package is not installed
    stmt = "try:\n    import pandas\nexcept ImportError:\n    pass"
    proc = subprocess.run([sys.executable, "-c", SPY % (HEAVY, stmt)], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert json.loads(proc.stdout.strip().splitlines()[-1])["attempts"][0] == "pandas"


LAZY = ["shapely"]  # core dependencies imported only by the features that use them


@pytest.mark.parametrize("statement", [STATEMENTS[k] for k in ("import-rewardkit", "registry-all-families", "score-a-completion")],
                         ids=["import-rewardkit", "registry-all-families", "score-a-completion"])
def test_shapely_is_imported_lazily(statement):
    proc = subprocess.run(
        [sys.executable, "-c", SPY % (LAZY, statement)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["loaded"] == [], f"shapely loaded by {statement!r}: {out['loaded']}"
