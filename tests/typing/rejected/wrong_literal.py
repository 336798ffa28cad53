# expect: arg-type
from rewardkit import grounding_reward

grounding_reward("<answer>[0, 0, 1, 1]</answer>", [0, 0, 1, 1], multiple="all")  # error
