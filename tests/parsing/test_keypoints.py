"""Keypoint payload parser: golden table of model-like outputs."""

from __future__ import annotations

import numpy as np
import pytest

from rewardkit.parsing.keypoints import normalize_joint_name, parse_keypoints

FLAT = ",".join(f"{i}, {i + 100}, 2" for i in range(17))


@pytest.mark.parametrize(
    "payload,ok,reason,k,n_visible",
    [
        ("[[1, 2], [3, 4]]", True, None, 2, 2),
        ("[[1, 2, 2], [3, 4, 0], [5, 6, 1]]", True, None, 3, 2),
        ("```json\n[[1.5, 2.5], [3, 4]]\n```", True, None, 2, 2),
        ("[[1, 2], null, [5, 6]]", True, None, 3, 2),
        (f"[{FLAT}]", True, None, 17, 17),
        ('{"nose": [10, 20], "Left Shoulder": [30, 40, 2], "r_knee": [1, 1, 0]}', True, None, 17, 2),
        ('{"keypoints": {"left-eye": {"x": 1, "y": 2}}}', True, None, 17, 1),
        ('[{"name": "nose", "x": 1, "y": 2}, {"joint": "right_ankle", "point": [3, 4]}]', True, None, 17, 2),
        ("[[1, NaN], [3, 4]]", True, None, 2, 1),
        ("[1, 2, 3, 4, 5]", False, "wrong_keypoint_count", 17, 0),
        ("hello", False, "unparseable", 17, 0),
        ("", False, "empty_answer", 17, 0),
        ("[]", False, "no_keypoints", 17, 0),
        ('[["a", "b"]]', True, None, 1, 0),
    ],
)
def test_golden(payload, ok, reason, k, n_visible):
    r = parse_keypoints(payload)
    assert r.ok is ok and r.reason == reason, (r.ok, r.reason)
    assert len(r.value) == k
    assert int((r.value.visibility > 0).sum()) == n_visible


def test_named_positions():
    r = parse_keypoints('{"nose": [10, 20], "right_ankle": [5, 6, 1]}')
    assert r.value.xy[0].tolist() == [10, 20] and r.value.visibility[0] == 2
    assert r.value.xy[16].tolist() == [5, 6] and r.value.visibility[16] == 1


def test_3d_and_count():
    r = parse_keypoints("[[1, 2, 3], [4, 5, 6]]", dims=3)
    assert r.ok and r.value.xy.shape == (2, 3) and (r.value.visibility == 2).all()
    r = parse_keypoints("[[1, 2], [3, 4]]", num_keypoints=17)
    assert not r.ok and r.reason == "wrong_keypoint_count"
    assert normalize_joint_name("LeftShoulder") == "left_shoulder"


def test_never_raises_on_garbage():
    for junk in ["[" * 5000, "{'a': " * 100, "x" * 2_000_000, "[[1e400, 2]]", '{"nose": "far"}']:
        r = parse_keypoints(junk)
        assert isinstance(r.ok, bool)
    assert np.all(np.isfinite(parse_keypoints("[[1e400, 2]]").value.xy))
