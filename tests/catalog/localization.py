"""Property-catalog cases: Vision-R1 dual format and criterion-driven localization reward."""

from __future__ import annotations

import json

from tests.catalog import Case

_GT = {"boxes": [[100, 120, 300, 340], [420, 200, 600, 450], [650, 600, 900, 880]], "labels": ["cat", "dog", "cat"]}
_ITEMS = [
    {"bbox_2d": [100, 120, 300, 340], "label": "cat"},
    {"bbox_2d": [420, 200, 600, 450], "label": "dog"},
    {"bbox_2d": [650, 600, 900, 880], "label": "cat"},
]
_PARTIAL = _ITEMS[:2] + [{"bbox_2d": [640, 610, 880, 900], "label": "cat"}, {"bbox_2d": [10, 10, 60, 60], "label": "cat"}]


def _c(items, think=True):
    body = json.dumps(items)
    return f"<think>three animals</think><answer>{body}</answer>" if think else body


def _perms(items):
    return [_c(list(reversed(items))), _c(items[1:] + items[:1])]


CASES = [
    Case("vision_r1.localization", _c(_ITEMS), _GT, expect_max=True, permutations=_perms(_ITEMS), id="perfect-detection"),
    Case("vision_r1.localization", _c(_ITEMS, think=False), _GT, expect_max=True, id="perfect-bare-json"),
    Case("vision_r1.localization", _c(_ITEMS), _GT, params={"step": 90, "max_steps": 100}, expect_max=True, id="perfect-second-stage"),
    Case("vision_r1.localization", "[120, 80, 480, 400]", [120, 80, 480, 400], expect_max=True, id="perfect-rec"),
    Case("vision_r1.localization", _c([]), [], expect_max=True, id="perfect-negative"),
    Case("vision_r1.localization", _c(_PARTIAL), _GT, permutations=_perms(_PARTIAL), id="partial"),
    Case("vision_r1.localization", _c(_PARTIAL), _GT, params={"compat": "released_code"}, permutations=_perms(_PARTIAL), id="partial-released"),
    Case("vision_r1.dual_format", _c(_ITEMS), _GT, expect_max=True, permutations=_perms(_ITEMS), id="perfect"),
    Case("vision_r1.dual_format", _c([]), None, expect_max=True, id="empty-list"),
    Case("vision_r1.dual_format", _c([{"bbox_2d": [100, 120, 3000, 340], "label": "cat"}]), _GT, id="out-of-bounds"),
]
