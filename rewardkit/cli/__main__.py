"""``python -m rewardkit.cli``."""

import sys

from rewardkit.cli import main

if __name__ == "__main__":  # guarded: worker processes started with "spawn" re-import this module
    sys.exit(main())
