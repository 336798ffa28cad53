"""What every benchmark file shares: the run mode and the naming convention that turns one
pytest-benchmark run into rewardkit/reference ratios (``benchmarks/ratios.py``).

Naming convention
-----------------
* ``group``: one comparison, i.e. the same work on the same input. Benchmarks in a
  group differ only by implementation. The group name says what and how big
  (``coco-bbox-100img``, ``sod-wF-1024x1024``, ``reward-detection-10box``).
* ``extra_info["impl"]``: the implementation. ``rewardkit`` or ``rewardkit-<variant>``
  (``rewardkit-call``, ``rewardkit-score_batch``) for ours; anything else names the
  reference (``pycocotools``, ``faster-coco-eval``, ``pysodmetrics``, ``lean-loop``,
  ``vlm-r1-path``).

A ratio is ``min(reference) / min(rewardkit impl)`` over the rounds of one run, for each
(rewardkit impl, reference) pair of a group; its key reads
``<group> | <rewardkit impl> vs <reference>``. Benchmarks without an ``impl`` (a CLI
throughput, a group without a reference) are timed and kept in the JSON only.

Modes: the default sizes are small (the quick mode and the CI run);
``RK_BENCH_FULL=1`` runs the sizes of the issues (the full mode). ``RK_BENCH_ROUNDS``
overrides the number of rounds of the fixed-round (``pedantic``) benchmarks.
"""

from __future__ import annotations

import os

FULL = os.environ.get("RK_BENCH_FULL") == "1"


def rounds(n: int) -> int:
    """Rounds of a fixed-round benchmark: ``n``, or ``RK_BENCH_ROUNDS`` when set."""
    env = os.environ.get("RK_BENCH_ROUNDS")
    return max(1, int(env)) if env else n


def label(benchmark, group: str, impl: str) -> None:
    """Put a benchmark in its comparison ``group`` under implementation ``impl``."""
    benchmark.group = group
    benchmark.extra_info["impl"] = impl
