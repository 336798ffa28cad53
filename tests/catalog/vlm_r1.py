"""Property-catalog cases: VLM-R1 family (REC IoU, per-completion AP, odLength,
weighted sum) and the repetition penalty."""

from __future__ import annotations

import json

from tests.catalog import Case

_GT = {"boxes": [[100, 120, 300, 340], [420, 200, 600, 450], [650, 600, 900, 880]], "labels": ["cat", "dog", "cat"]}
_ITEMS = [
    {"bbox_2d": [100, 120, 300, 340], "label": "cat"},
    {"bbox_2d": [420, 200, 600, 450], "label": "dog"},
    {"bbox_2d": [650, 600, 900, 880], "label": "cat"},
]
# partially right: one exact, one shifted, one missed, one false alarm
_PARTIAL = [
    {"bbox_2d": [100, 120, 300, 340], "label": "cat"},
    {"bbox_2d": [430, 220, 610, 470], "label": "dog"},
    {"bbox_2d": [10, 10, 60, 60], "label": "cat"},
]


def _c(items):
    return f"<think>three animals</think><answer>{json.dumps(items)}</answer>"


def _perms(items):
    return [_c(list(reversed(items))), _c(items[1:] + items[:1])]


CASES = [
    Case("vlm_r1.rec_iou", "<think>the red car</think><answer>[120, 80, 480, 400]</answer>", [120, 80, 480, 400], expect_max=True, id="perfect"),
    Case("vlm_r1.rec_iou", "<answer>[130, 90, 480, 400]</answer>", [120, 80, 480, 400], id="close"),
]
for _name in ("vlm_r1.od_ap", "vlm_r1.od_ap50", "vlm_r1.od_length", "vlm_r1.weighted_sum"):
    CASES += [
        Case(_name, _c(_ITEMS), _GT, expect_max=True, permutations=_perms(_ITEMS), id="perfect"),
        Case(_name, _c([]), [], expect_max=True, id="both-empty"),
        Case(_name, _c(_PARTIAL), _GT, id="partial"),
    ]
# weighted sum does not depend on the order of the predictions
CASES.append(Case("vlm_r1.weighted_sum", _c(_PARTIAL), _GT, permutations=_perms(_PARTIAL), id="partial-permuted"))
CASES += [
    Case("penalty.repetition", _c(_ITEMS), _GT, expect_max=True, permutations=_perms(_ITEMS), id="no-repeat"),
    Case("penalty.repetition", _c(_ITEMS[:1] * 4), _GT, permutations=[_c(_ITEMS[:1] * 4)], id="repeats"),
]
