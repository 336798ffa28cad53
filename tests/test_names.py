"""The shared named-registry rule (rewardkit.names) and the tables that use it."""

from __future__ import annotations

import doctest

import pytest

import rewardkit.names
from rewardkit.names import Registry, unknown_name


def test_doctest():
    assert doctest.testmod(rewardkit.names).failed == 0


def test_register_checks_replaces_and_lookup_suggests():
    def positive(x):
        if x <= 0:
            raise ValueError("Expected a positive number")

    r = Registry("number", positive)
    assert r.register("one", 1) == 1
    r.register("one", 11)  # a later registration replaces (worker processes register again)
    assert r.lookup("one") == 11 and r.names() == ["one"] and dict(r) == {"one": 11}
    with pytest.raises(ValueError, match="positive"):
        r.register("minus", -1)
    with pytest.raises(ValueError, match="non-empty string"):
        r.register("", 2)
    with pytest.raises(KeyError, match=r"Unknown number 'onw'; did you mean 'one'\? available: one"):
        r.lookup("onw")
    with pytest.raises(KeyError, match=r"Unknown number \['x'\]; available: one"):
        r.lookup(["x"])  # unhashable: same error, not a TypeError


def test_unknown_name_lists_none_when_empty():
    assert str(unknown_name("thing", "a", [])) == '"Unknown thing \'a\'; available: (none)"'


@pytest.mark.parametrize(
    ("lookup", "wrong", "kind"),
    [
        ("rewardkit.parsing.dialects:get_dialect", "qwen25_vl", "dialect"),
        ("rewardkit.rewards.segmentation:get_segmenter", "geometrc", "segmenter"),
        ("rewardkit.geometry.body_profiles:get_profile", "adlt", "body profile"),
    ],
)
def test_every_table_words_an_unknown_name_alike(lookup, wrong, kind):
    import importlib

    module, fn = lookup.split(":")
    with pytest.raises(KeyError, match=rf"Unknown {kind} '{wrong}'; did you mean .*\? available: "):
        getattr(importlib.import_module(module), fn)(wrong)
