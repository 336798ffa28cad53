"""Trainer adapters (TRL, veRL, EasyR1), installed as ``rewardkit.adapters``.

This folder is mapped to ``rewardkit.adapters`` by ``pyproject.toml``. A top-level
package named ``adapters`` would shadow the unrelated PyPI package of that name, so
importing this folder under any other name is refused.
"""

if __name__ != "rewardkit.adapters":
    raise ImportError(
        f"rewardkit's adapters must be imported as `rewardkit.adapters`, not as {__name__!r}; "
        "install rewardkit (pip install -e .) and write `from rewardkit.adapters import trl`"
    )
