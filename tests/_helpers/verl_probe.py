"""A veRL custom reward function wrapping rewardkit's, for the at-scale tests (not product code).

Loaded by veRL from this file path in every reward worker. Each call scores with
:func:`rewardkit.adapters.verl.compute_score` and adds, as extra keys, what the tests
check: the scoring process, the identity of the adapter module and of the registry in
that process (the same on every call: no re-import, no rebuild), how many ``Reward``
objects that process has bound, and its number of calls, the time of its first call and
the time spent inside the others (calls per second per worker).
"""

from __future__ import annotations

import os
import sys
import time


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    import rewardkit.adapters.verl as adapter

    from rewardkit.rewards.base import REWARD_SPECS

    state = sys.modules.setdefault("_rewardkit_probe_state", type(sys)("_rewardkit_probe_state"))
    if not hasattr(state, "calls"):
        state.calls, state.busy, state.first = 0, 0.0, 0.0
    t0 = time.perf_counter()
    out = adapter.compute_score(data_source, solution_str, ground_truth, extra_info, **kwargs)
    dt = time.perf_counter() - t0
    if state.calls == 0:
        state.first = dt  # binds the reward (and, in a fresh process, imports rewardkit)
    else:
        state.busy += dt
    state.calls += 1
    return {
        **out,
        "probe_pid": float(os.getpid()),
        "probe_module_id": float(id(sys.modules["rewardkit.adapters.verl"])),
        "probe_registry_id": float(id(REWARD_SPECS)),
        "probe_rewards_bound": float(len(adapter.DEFAULT_SCORER._rewards)),
        "probe_calls": float(state.calls),
        "probe_busy_s": float(state.busy),
        "probe_first_s": float(state.first),
    }
