"""Property-catalog cases of the polygon reward (segmentation.polygon_iou) and of the quad
ground truths of detection.f1 and the grounding rewards (issue 19)."""

from __future__ import annotations

import numpy as np

from tests.catalog import Case

_SQUARE = [10, 10, 50, 10, 50, 50, 10, 50]
_L = [[0, 0, 30, 0, 30, 10, 10, 10, 10, 30, 0, 30]]
_GT = {"polygons": [_SQUARE, [60, 60, 90, 60, 90, 90, 60, 90]], "image_size": [100, 100]}
_MASK = np.zeros((100, 100), bool)
_MASK[10:50, 10:50] = True
_Q1 = [100, 100, 300, 120, 290, 220, 90, 200]
_Q2 = [500, 500, 700, 500, 700, 600, 500, 600]


def _c(answer: str) -> str:
    return f"<think>outline</think><answer>{answer}</answer>"


CASES = [
    Case("segmentation.polygon_iou", _c(str(_GT["polygons"])), _GT, expect_max=True, id="exact-two-polygons",
         permutations=[_c(str(_GT["polygons"][::-1]))]),
    Case("segmentation.polygon_iou", _c("[[10, 10], [50, 10], [50, 50], [10, 50]]"), {"polygon": _SQUARE, "image_size": [64, 64]},
         expect_max=True, id="points-layout"),
    Case("segmentation.polygon_iou", _c(str([_SQUARE])), _MASK, expect_max=True, id="raster-fallback-mask-gt"),
    Case("segmentation.polygon_iou", _c(str(_L)), {"polygons": [_SQUARE], "image_size": [64, 64]}, id="partial"),
    Case("segmentation.polygon_iou", _c("[[0, 0, 40, 40, 40, 0, 0, 40]]"), {"polygons": [_SQUARE], "image_size": [64, 64]},
         id="bow-tie-repaired"),
    Case("detection.f1", _c(str([_Q1, _Q2])), {"quads": [_Q1, _Q2]}, expect_max=True, id="quads-exact",
         permutations=[_c(str([_Q2, _Q1]))]),
    Case("grounding.iou", _c(str(_Q1)), [_Q1], expect_max=True, id="quad-exact"),
    Case("grounding.giou_plus_one", _c("[100, 100, 300, 220]"), [_Q1], id="box-answer-quad-gt"),
]
