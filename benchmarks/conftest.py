import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

FULL = os.environ.get("RK_BENCH_FULL") == "1"
