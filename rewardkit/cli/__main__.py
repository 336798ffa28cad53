"""``python -m rewardkit.cli``."""

import sys

from rewardkit.cli import main

sys.exit(main())
