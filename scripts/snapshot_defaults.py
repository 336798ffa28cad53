"""Write the registry's parameter defaults to ``tests/data/defaults/current.json``.

``tests/test_release.py`` fails when the committed snapshot differs from the registry
(run this script and commit the result), and when a default that differs from the last
release's snapshot (``tests/data/defaults/v<version>.json``) has no line in
``CHANGELOG.md`` naming both the reward and the parameter.

    python scripts/snapshot_defaults.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "tests" / "data" / "defaults" / "current.json"


def _encode(value: Any) -> Any:
    try:
        json.dumps(value)
    except TypeError:
        return repr(value)
    return value


def registry_defaults() -> dict[str, dict[str, Any]]:
    """``{reward: {parameter: default}}`` for every registered reward (JSON-safe)."""
    from rewardkit.registry import get_spec, list_rewards

    return {name: {k: _encode(v) for k, v in get_spec(name).params.items()} for name in list_rewards()}


def render(defaults: dict[str, dict[str, Any]]) -> str:
    return json.dumps(defaults, indent=1, sort_keys=True) + "\n"


def main() -> int:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(render(registry_defaults()), encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
