# expect: attr-defined
from rewardkit import detection_rewards  # noqa: F401  # error
