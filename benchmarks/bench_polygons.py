"""Polygon IoU: exact (shapely, ``segmentation.polygon_iou``'s kernel) vs rasterizing both
polygons at the image size with pycocotools (``frPyObjects`` + ``iou``), the way a mask
reward scores a polygon answer.

Star-shaped polygons of ``n`` vertices (a valid, non-convex outline like a COCO instance
polygon), the answer shifted by a few pixels, in a 640 x 480 and a 1920 x 1080 image.
The ``*-validate`` rows add the answer's validation (bounds, repeated points, shapely
validity) that ``segmentation.polygon_iou`` runs first. The group's ratio reads off one
run: ``pytest benchmarks/bench_polygons.py --benchmark-only`` (groups ``polygon-iou-<n>v-<w>x<h>``;
``rewardkit`` / ``rewardkit-validate`` against ``pycocotools-raster``, see ``_harness.py``).
"""

from __future__ import annotations

import numpy as np
import pytest
from _harness import label
from pycocotools import mask as mask_utils

from rewardkit.geometry.polygons import polygon_iou
from rewardkit.parsing.polygons import Ring, validate_polygons

SIZES = [(640, 480), (1920, 1080)]
VERTICES = [16, 64, 256]


def _star(n: int, w: int, h: int, shift: float = 0.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = (0.25 + 0.1 * rng.random(n)) * min(w, h)
    return np.stack([w / 2 + shift + r * np.cos(ang), h / 2 + shift + r * np.sin(ang)], 1)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("n", VERTICES)
@pytest.mark.parametrize("impl", ["rewardkit", "rewardkit-validate", "pycocotools-raster"])
def test_polygon_iou(benchmark, size, n, impl):
    from shapely.geometry import Polygon

    w, h = size
    a, b = _star(n, w, h, shift=7.3, seed=1), _star(n, w, h, seed=2)
    label(benchmark, f"polygon-iou-{n}v-{w}x{h}", impl)
    if impl == "rewardkit":
        pa, pb = Polygon(a), Polygon(b)
        out = benchmark(polygon_iou, pa, pb)
    elif impl == "rewardkit-validate":
        pb = Polygon(b)

        def run():
            geom, _, _ = validate_polygons([Ring(a)])
            return polygon_iou(geom, pb)

        out = benchmark(run)
    else:
        fa, fb = [a.ravel().tolist()], [b.ravel().tolist()]

        def run():
            ra = mask_utils.merge(mask_utils.frPyObjects(fa, h, w))
            rb = mask_utils.merge(mask_utils.frPyObjects(fb, h, w))
            return float(mask_utils.iou([ra], [rb], [0])[0, 0])

        out = benchmark(run)
    exact = polygon_iou(Polygon(a), Polygon(b))
    assert abs(out - exact) < 0.02  # the raster agrees to a pixel's worth of boundary
