"""The property catalog: example cases for every registered reward.

Each module ``tests/catalog/<family>.py`` defines ``CASES: list[Case]``. The generic tests
in ``tests/test_property_catalog.py`` run every reward in the registry against its cases
(score within the declared range, a perfect answer scores the maximum, reordered
predictions score the same, arbitrary text never raises) and fail if a registered reward
has no perfect case (the completeness check).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Case:
    reward: str
    completion: str
    ground_truth: Any
    params: dict[str, Any] = field(default_factory=dict)
    # True: this completion is a perfect answer and must score the reward's maximum.
    expect_max: bool = False
    # Completions that only reorder the predictions of `completion`: must score the same.
    permutations: list[str] = field(default_factory=list)
    id: str = ""


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"{__name__}.{m.name}")
        cases.extend(getattr(mod, "CASES", []))
    return cases
