# expect: arg-type
from rewardkit import detection_reward

detection_reward("<answer>[]</answer>", [[0, 0, 1, 1]], iou_threshold="0.5")  # error
