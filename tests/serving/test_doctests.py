"""The ``>>>`` examples of the serve client and the OpenRLHF / ms-swift adapters run."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["rewardkit.serving.client", "rewardkit.adapters.openrlhf", "rewardkit.adapters.swift"])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
