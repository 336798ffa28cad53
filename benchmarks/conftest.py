import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))  # tests._helpers (synthetic data sets)

from _harness import FULL  # noqa: E402,F401  (bench files import FULL from here)

_LOAD_AT_START: list[float] = []


def pytest_sessionstart(session):
    if hasattr(os, "getloadavg"):
        _LOAD_AT_START[:] = [round(v, 2) for v in os.getloadavg()]


def pytest_benchmark_update_json(config, benchmarks, output_json):
    """Record the machine's load next to the timings (``scripts/bench.sh`` reports it):
    other processes on the machine slow every round; the min of rounds and CPU time
    (``--benchmark-timer time.process_time``) keep ratios readable under load."""
    output_json["loadavg_at_start"] = list(_LOAD_AT_START)
    if hasattr(os, "getloadavg"):
        output_json["loadavg_at_end"] = [round(v, 2) for v in os.getloadavg()]
    output_json["rk_bench_full"] = FULL
    output_json["timer"] = str(config.getoption("benchmark_timer", ""))
