"""Coordinate frames: Qwen2.5-VL's resize rule by hand, conversions and round trips."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rewardkit.parsing.frames import (
    FRAMES,
    QWEN25VL_MAX_PIXELS,
    QWEN25VL_MIN_PIXELS,
    check_frame,
    convert_boxes,
    convert_points,
    frame_extent,
    qwen25vl_resize,
)

P = pytest.param

# Qwen2.5-VL's rule (factor 28): h' = round(h / 28) * 28, w' = round(w / 28) * 28 (Python's
# round: halves go to the even integer); if h' * w' > max_pixels: beta = sqrt(h * w /
# max_pixels), h' = floor(h / beta / 28) * 28, w' likewise; if h' * w' < min_pixels:
# beta = sqrt(min_pixels / (h * w)), h' = ceil(h * beta / 28) * 28, w' likewise.
RESIZE = [
    # 640 / 28 = 22.857 -> 23 -> 644; 480 / 28 = 17.143 -> 17 -> 476; 644 * 476 = 306,544 in range
    P((640, 480), {}, (644, 476), id="640x480-default"),
    # 1920 / 28 = 68.57 -> 69 -> 1932; 1080 / 28 = 38.57 -> 39 -> 1092; 2,109,744 <= 12,845,056
    P((1920, 1080), {}, (1932, 1092), id="1080p-default"),
    # max_pixels = 401,408 (Visual-RFT): 1932 * 1092 > max; beta = sqrt(2,073,600 / 401,408)
    # = sqrt(5.16582) = 2.27284; 1920 / 2.27284 / 28 = 30.17 -> 30 -> 840;
    # 1080 / 2.27284 / 28 = 16.97 -> 16 -> 448
    P((1920, 1080), {"max_pixels": 401408}, (840, 448), id="1080p-visual-rft-max-pixels"),
    # 8000 x 6000: 8008 * 5992 = 47,983,936 > 12,845,056; beta = sqrt(48e6 / 12,845,056) = 1.93310;
    # 8000 / 1.93310 / 28 = 147.80 -> 147 -> 4116; 6000 / 1.93310 / 28 = 110.85 -> 110 -> 3080
    P((8000, 6000), {}, (4116, 3080), id="huge-image-shrunk"),
    # 100 / 28 = 3.571 -> 4 -> 112; 50 / 28 = 1.786 -> 2 -> 56; 6272 >= 3136
    P((100, 50), {}, (112, 56), id="small-in-range"),
    # 20 x 30: 28 * 28 = 784 < 3136; beta = sqrt(3136 / 600) = 2.28619;
    # 20 * 2.28619 / 28 = 1.633 -> ceil 2 -> 56; 30 * 2.28619 / 28 = 2.449 -> ceil 3 -> 84
    P((20, 30), {}, (56, 84), id="tiny-image-grown"),
    # 126 / 28 = 4.5 -> round-half-even 4 -> 112; 98 / 28 = 3.5 -> 4 -> 112
    P((126, 98), {}, (112, 112), id="round-half-to-even"),
    # 644 / 28 = 23 exactly, 476 / 28 = 17 exactly: already a processed size
    P((644, 476), {}, (644, 476), id="fixed-point"),
]


@pytest.mark.parametrize(("size", "kw", "expected"), RESIZE)
def test_qwen25vl_resize(size, kw, expected):
    assert qwen25vl_resize(*size, **kw) == expected


def test_qwen25vl_defaults():
    assert QWEN25VL_MIN_PIXELS == 3136
    assert QWEN25VL_MAX_PIXELS == 12845056


@pytest.mark.parametrize("size", [(0, 10), (10, -1), (201, 1), (1, 250)])
def test_qwen25vl_resize_rejects(size):
    with pytest.raises(ValueError):
        qwen25vl_resize(*size)


@pytest.mark.parametrize(("frame", "size", "extent"), [
    ("norm1000", None, (1000.0, 1000.0)),
    ("norm1", None, (1.0, 1.0)),
    ("seg_r1", None, (768.0, 768.0)),
    ("pixel", (640, 480), (640.0, 480.0)),
    ("qwen25vl", (640, 480), (644.0, 476.0)),
])
def test_frame_extent(frame, size, extent):
    assert frame_extent(frame, size) == extent


def test_unknown_frame_and_missing_size_raise():
    with pytest.raises(ValueError, match="frame"):
        check_frame("norm100")
    with pytest.raises(ValueError, match="image_size"):
        convert_boxes([[0, 0, 1, 1]], "pixel", "norm1000")
    with pytest.raises(ValueError, match="image_size"):
        convert_boxes([[0, 0, 1, 1]], "norm1000", "qwen25vl")


CONVERT = [
    # norm1000 -> pixel of a 640 x 480 image: x * 0.64, y * 0.48
    P([100, 200, 500, 1000], "norm1000", "pixel", (640, 480), [64, 96, 320, 480], id="norm1000-to-pixel"),
    P([64, 96, 320, 480], "pixel", "norm1", (640, 480), [0.1, 0.2, 0.5, 1.0], id="pixel-to-norm1"),
    # norm1000 -> qwen25vl of 640 x 480 (processed 644 x 476): x * 0.644, y * 0.476
    P([100, 200, 500, 1000], "norm1000", "qwen25vl", (640, 480), [64.4, 95.2, 322, 476], id="norm1000-to-qwen25vl"),
    # qwen25vl (644 x 476) -> pixel (640 x 480): x * 640 / 644, y * 480 / 476
    P([644, 476, 322, 238], "qwen25vl", "pixel", (640, 480), [640, 480, 320, 240], id="qwen25vl-to-pixel"),
    # seg_r1 768 x 768 -> norm1000: * 1000 / 768
    P([384, 192, 768, 0], "seg_r1", "norm1000", None, [500, 250, 1000, 0], id="seg_r1-to-norm1000"),
    P([0.5, 0.5, 1, 1], "norm1", "seg_r1", None, [384, 384, 768, 768], id="norm1-to-seg_r1"),
    P([1, 2, 3, 4], "pixel", "pixel", None, [1, 2, 3, 4], id="same-frame-identity-no-size-needed"),
]


@pytest.mark.parametrize(("box", "src", "dst", "size", "expected"), CONVERT)
def test_convert_boxes(box, src, dst, size, expected):
    out = convert_boxes([box], src, dst, size)
    np.testing.assert_allclose(out, [expected], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("src", "dst"), list(itertools.permutations(FRAMES, 2)))
def test_round_trip_every_pair(src, dst):
    rng = np.random.default_rng(0)
    size = (1280, 720)
    base = rng.uniform(0, 1, size=(5, 4))
    xyxy = convert_boxes(base, "norm1", src, size)
    back = convert_boxes(convert_boxes(xyxy, src, dst, size), dst, src, size)
    np.testing.assert_allclose(back, xyxy, rtol=1e-12)
    pts = xyxy[:, :2]
    np.testing.assert_allclose(convert_points(convert_points(pts, src, dst, size), dst, src, size), pts, rtol=1e-12)


def test_round_trip_chain_through_all_frames():
    size = (640, 480)
    start = np.array([[100.0, 200.0, 500.0, 1000.0]])
    x = start
    chain = ["norm1000", "norm1", "pixel", "qwen25vl", "seg_r1", "norm1000"]
    for a, b in itertools.pairwise(chain):
        x = convert_boxes(x, a, b, size)
    np.testing.assert_allclose(x, start, rtol=1e-12)


def test_resize_kw_changes_qwen_frame():
    # with max_pixels=401408 the 1920 x 1080 image is processed at 840 x 448 (see above)
    out = convert_boxes([[0, 0, 1000, 1000]], "norm1000", "qwen25vl", (1920, 1080), max_pixels=401408)
    np.testing.assert_array_equal(out, [[0, 0, 840, 448]])


def test_image_size_as_mapping():
    out = convert_boxes([[0, 0, 1000, 1000]], "norm1000", "pixel", {"width": 640, "height": 480})
    np.testing.assert_array_equal(out, [[0, 0, 640, 480]])
