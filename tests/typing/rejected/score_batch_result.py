# expect: attr-defined
from rewardkit import score_batch

first = score_batch(["a", "b"], [0, 0, 1, 1], reward="grounding.iou").score  # error
