"""No product module over 500 lines (issue 12: one home per concept, modules split along
their seams; docs/architecture.md maps them)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 500


def test_no_product_module_over_500_lines():
    sizes = {
        str(p.relative_to(ROOT)): sum(1 for _ in p.open(encoding="utf-8"))
        for base in ("rewardkit", "adapters", "eval")
        for p in (ROOT / base).rglob("*.py")
    }
    assert len(sizes) > 100, "the scan found too few modules"
    over = {k: v for k, v in sorted(sizes.items()) if v > LIMIT}
    assert not over, f"modules over {LIMIT} lines (split them along a seam): {over}"


def test_every_module_is_on_the_architecture_map():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [
        str(p.relative_to(ROOT))
        for base in ("rewardkit", "adapters", "eval")
        for p in sorted((ROOT / base).rglob("*.py"))
        if p.name != "__init__.py" and f"`{p.relative_to(ROOT)}`" not in text
    ]
    assert not missing, f"docs/architecture.md has no line for {missing}"
