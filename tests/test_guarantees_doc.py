"""The limits table of docs/guarantees.md is the one rewardkit.limits generates."""

from __future__ import annotations

from pathlib import Path

from rewardkit import limits

DOC = Path(__file__).resolve().parents[1] / "docs" / "guarantees.md"


def test_limits_table_in_the_docs_matches_the_module():
    text = DOC.read_text()
    start, end = text.index("<!-- limits:start -->"), text.index("<!-- limits:end -->")
    table = text[start + len("<!-- limits:start -->"):end].strip()
    assert table == limits.limits_markdown(), "regenerate the table with rewardkit.limits.limits_markdown()"


def test_every_limit_constant_is_documented():
    names = {lim.name for lim in limits.LIMITS}
    constants = {n for n in limits.__all__ if n.isupper() and n != "LIMITS"}
    assert constants == names
    for lim in limits.LIMITS:
        assert getattr(limits, lim.name) == lim.value
