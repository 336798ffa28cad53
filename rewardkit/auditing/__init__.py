"""Auditing a reward before training on it.

* :mod:`rewardkit.auditing.probes`: reward-hacking probes (``rewardkit audit``,
  :func:`audit`): does the reward pay a known hack?
* :mod:`rewardkit.auditing.quality`: blind ceiling, learning signal and monotonicity
  (``rewardkit audit NAME --quality``, :func:`quality_report`): how much a policy earns without
  looking at the image, how often a group of G completions carries a learning signal, and
  whether the reward rises as answers get better.
"""

from __future__ import annotations

from typing import Any

from rewardkit.auditing.probes import (
    PROBES,
    Probe,
    Sample,
    audit,
    audit_many,
    canonical_sample,
    paid_rows,
    register_sample,
)
from rewardkit.auditing.probes import (
    _judge as _judge,  # re-exported for the probe tests
)

__all__ = [
    "audit",
    "audit_many",
    "Sample",
    "Probe",
    "PROBES",
    "canonical_sample",
    "register_sample",
    "paid_rows",
    "quality_report",
    "quality_many",
]


def __getattr__(name: str) -> Any:
    if name in ("quality_report", "quality_many"):  # loaded on use: scipy.stats stays out of `rewardkit.audit`
        from rewardkit.auditing import quality as _q

        return getattr(_q, name)
    raise AttributeError(f"module 'rewardkit.auditing' has no attribute {name!r}")

