# expect: operator
from rewardkit import score

total = score("<answer>[0, 0, 1, 1]</answer>", [0, 0, 1, 1], reward="grounding.iou").score + 1.0  # error
