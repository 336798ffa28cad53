import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))  # tests._helpers (synthetic data sets)

FULL = os.environ.get("RK_BENCH_FULL") == "1"
