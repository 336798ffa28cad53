"""Per-completion rewards, one module per family.

Every module in this package (except private ``_*`` modules and :mod:`.base`) is
imported here so that its ``@register_reward`` decorators run; adding a family is
adding a module.
"""

from __future__ import annotations

import importlib
import pkgutil

from rewardkit.rewards.base import REWARD_SPECS, RewardSpec, register_reward

__all__ = ["REWARD_SPECS", "RewardSpec", "register_reward"]

for _m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if not _m.name.startswith("_") and _m.name != "base":
        importlib.import_module(f"{__name__}.{_m.name}")
