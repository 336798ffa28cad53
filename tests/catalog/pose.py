"""Property-catalog cases of the pose rewards."""

from __future__ import annotations

import numpy as np

from tests.catalog import Case

_STAND = [
    [0, -60], [-3, -63], [3, -63], [-8, -58], [8, -58], [-20, -40], [20, -40], [-22, -9], [22, -9],
    [-24, 16], [24, 16], [-15, 10], [15, 10], [-15, 52], [15, 52], [-15, 94], [15, 94],
]
_S = [[x + 100, y + 100] for x, y in _STAND]
_GT = {"keypoints": [c for x, y in _S for c in (x, y, 2)], "area": 4000.0, "bbox": [76, 37, 48, 157]}
_NAMES = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
]
_NAMED = "{" + ", ".join(f'"{n}": [{x}, {y}]' for n, (x, y) in zip(_NAMES, _S)) + "}"
_NAMED_REV = "{" + ", ".join(f'"{n}": [{x}, {y}]' for n, (x, y) in reversed(list(zip(_NAMES, _S)))) + "}"
_3D = np.random.default_rng(0).normal(0, 100, (17, 3)).round(3).tolist()


def _ans(payload: str) -> str:
    return f"<think>pose</think><answer>{payload}</answer>"


CASES = [
    Case(reward="pose.oks", completion=_ans(str(_S)), ground_truth=_GT, expect_max=True, id="oks-exact"),
    Case(reward="pose.oks", completion=_ans(_NAMED), ground_truth=_GT, expect_max=True, permutations=[_ans(_NAMED_REV)], id="oks-named"),
    Case(reward="pose.oks", completion=_ans(str([[x + 7, y] for x, y in _S])), ground_truth=_GT, id="oks-shifted"),
    Case(reward="pose.pck", completion=_ans(str(_S)), ground_truth=_GT, expect_max=True, permutations=[_ans(_NAMED_REV)], id="pck-exact"),
    Case(reward="pose.recall_weighted", completion=_ans(_NAMED), ground_truth=_GT, expect_max=True, permutations=[_ans(_NAMED_REV)], id="recall-weighted-exact"),
    Case(reward="pose.plausibility", completion=_ans(str(_STAND)), ground_truth=None, expect_max=True, permutations=[_ans(_NAMED_REV)], id="plausibility-standing"),
    Case(reward="pose.plausibility", completion=_ans(str(_STAND)), ground_truth={"profile": "adult"}, params={"profile": "no_such_profile"}, expect_max=True, id="plausibility-gt-profile"),
    Case(reward="pose.mpjpe", completion=_ans(str(_3D)), ground_truth=_3D, expect_max=True, id="mpjpe-exact"),
    Case(reward="pose.mpjpe", completion=_ans(str(_3D)), ground_truth=_3D, params={"align": "procrustes"}, expect_max=True, id="mpjpe-procrustes"),
]

# several persons: three standing people side by side
_PEOPLE = [[[x + dx, y] for x, y in _S] for dx in (0, 150, 300)]
_MULTI_GT = [
    {"keypoints": [c for x, y in p for c in (x, y, 2)], "area": 4000.0, "bbox": [76 + dx, 37, 48, 157], "iscrowd": 0}
    for p, dx in zip(_PEOPLE, (0, 150, 300))
]
_MULTI = str(_PEOPLE)
_MULTI_REV = str(_PEOPLE[::-1])
_MULTI_SCORED = str([{"keypoints": p, "score": s} for p, s in zip(_PEOPLE, (0.9, 0.8, 0.7))])

CASES += [
    Case(reward="pose.multi_oks", completion=_ans(_MULTI), ground_truth=_MULTI_GT, expect_max=True, permutations=[_ans(_MULTI_REV)], id="multi-oks-exact"),
    Case(reward="pose.multi_oks", completion=_ans(str(_PEOPLE[:2])), ground_truth=_MULTI_GT, id="multi-oks-missed"),
    Case(reward="pose.multi_oks", completion=_ans("[]"), ground_truth=[], expect_max=True, id="multi-oks-both-empty"),
    Case(reward="pose.keypoint_ap", completion=_ans(_MULTI), ground_truth=_MULTI_GT, expect_max=True, permutations=[_ans(_MULTI_REV)], id="keypoint-ap-exact"),
    Case(reward="pose.keypoint_ap", completion=_ans(_MULTI_SCORED), ground_truth={"annotations": _MULTI_GT}, expect_max=True, id="keypoint-ap-scored"),
    Case(reward="pose.keypoint_ap", completion=_ans(str(_PEOPLE[:1])), ground_truth=_MULTI_GT, id="keypoint-ap-partial"),
]
