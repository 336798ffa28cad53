"""Body profiles for the pose plausibility reward (COCO-17 skeleton), as data.

A profile gives, for the COCO-17 keypoints:

* ``ratio_ranges``: bone length / torso length, ``(lo, hi)``, for true (3-D) lengths; the
  torso length is the distance between the shoulder midpoint and the hip midpoint;
* ``symmetry_tolerance``: the largest relative left/right difference
  ``|L - R| / max(L, R)`` of paired limbs that counts as symmetric (3-D);
* ``angle_ranges``: interior joint angles in degrees ``(lo, hi)`` at the elbows and knees.

Sources of the numbers
----------------------
``ADULT_COCO17``: segment lengths as fractions of body height H from Drillis & Contini
(1966) as tabulated in D. A. Winter, *Biomechanics and Motor Control of Human Movement*
(4th ed., 2009, Fig. 4.1): shoulder height 0.818 H, hip (greater trochanter) 0.530 H, so
torso 0.288 H; upper arm 0.186 H, forearm 0.146 H, thigh 0.245 H, shank 0.246 H,
biacromial (shoulder) width 0.259 H, hip width 0.191 H. Ratios to the torso: 0.646,
0.507, 0.851, 0.854, 0.899, 0.663. Head breadth (ear to ear) about 0.085 H (15 cm at
1.75 m), ratio 0.30. Ranges are the ratio +-35 % (COCO keypoints are annotated joint
centres, not the bony landmarks of the table, and people vary). Joint ranges of motion:
elbow flexion about 145 degrees and knee flexion about 140 degrees (AAOS normal values),
so interior angles below about 30 / 35 degrees are impossible.

``INFANT_COCO17``: approximate proportions of infants (0-12 months) rounded from the
infant measurements of Snyder et al. (1977), *Anthropometry of Infants, Children, and
Youths to Age 18 for Product Safety Design* (UM-HSRI-77-17): shorter limbs relative to the
trunk and a much larger head (head breadth about 0.16 of stature against about 0.085 for
adults). The ratios below (upper arm 0.50, forearm 0.42, thigh 0.60, shank 0.52,
shoulder width 0.85, hip width 0.60, head breadth 0.55 of the torso) are coarse
estimates with +-40 % ranges; infants' joints are more flexible (interior angles down
to 20 degrees accepted). They are a starting point: for a real infant-pose study build a
profile from your own annotated poses with :func:`profile_from_samples`.

2-D poses: projection shortens bones and closes angles arbitrarily, so on 2-D input only
the upper ratio bound is checked, the symmetry tolerance is ``symmetry_tolerance_2d``
and angle lower bounds are halved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["BodyProfile", "ADULT_COCO17", "INFANT_COCO17", "PROFILES", "get_profile", "profile_from_samples", "COCO17_BONES"]

# COCO-17 indices: 0 nose, 1 l_eye, 2 r_eye, 3 l_ear, 4 r_ear, 5 l_shoulder, 6 r_shoulder,
# 7 l_elbow, 8 r_elbow, 9 l_wrist, 10 r_wrist, 11 l_hip, 12 r_hip, 13 l_knee, 14 r_knee,
# 15 l_ankle, 16 r_ankle
COCO17_BONES: Mapping[str, tuple[int, int]] = MappingProxyType(
    {
        "left_upper_arm": (5, 7),
        "right_upper_arm": (6, 8),
        "left_forearm": (7, 9),
        "right_forearm": (8, 10),
        "left_thigh": (11, 13),
        "right_thigh": (12, 14),
        "left_shank": (13, 15),
        "right_shank": (14, 16),
        "shoulder_width": (5, 6),
        "hip_width": (11, 12),
        "head_breadth": (3, 4),
    }
)
COCO17_PAIRS: tuple[tuple[str, str], ...] = (
    ("left_upper_arm", "right_upper_arm"),
    ("left_forearm", "right_forearm"),
    ("left_thigh", "right_thigh"),
    ("left_shank", "right_shank"),
)
COCO17_ANGLES: Mapping[str, tuple[int, int, int]] = MappingProxyType(
    {
        "left_elbow": (5, 7, 9),
        "right_elbow": (6, 8, 10),
        "left_knee": (11, 13, 15),
        "right_knee": (12, 14, 16),
    }
)
TORSO = ((5, 6), (11, 12))


def _ranges(center: Mapping[str, float], rel: float) -> dict[str, tuple[float, float]]:
    return {k: (round(v * (1 - rel), 4), round(v * (1 + rel), 4)) for k, v in center.items()}


@dataclass(frozen=True)
class BodyProfile:
    """Proportions and joint limits of a body model on the COCO-17 skeleton."""

    name: str
    ratio_ranges: Mapping[str, tuple[float, float]]
    angle_ranges: Mapping[str, tuple[float, float]]
    symmetry_tolerance: float = 0.15
    symmetry_tolerance_2d: float = 0.5
    bones: Mapping[str, tuple[int, int]] = field(default_factory=lambda: COCO17_BONES)
    pairs: tuple[tuple[str, str], ...] = COCO17_PAIRS
    angles: Mapping[str, tuple[int, int, int]] = field(default_factory=lambda: COCO17_ANGLES)
    torso: tuple[tuple[int, int], tuple[int, int]] = TORSO
    num_keypoints: int = 17
    source: str = ""

    def __post_init__(self) -> None:
        for k, (lo, hi) in self.ratio_ranges.items():
            if k not in self.bones or not 0 <= lo <= hi:
                raise ValueError(f"Bad ratio range for {k!r}: {(lo, hi)}")
        for k, (lo, hi) in self.angle_ranges.items():
            if k not in self.angles or not 0 <= lo <= hi <= 180:
                raise ValueError(f"Bad angle range for {k!r}: {(lo, hi)}")


_ADULT_CENTER = {
    "left_upper_arm": 0.646,
    "right_upper_arm": 0.646,
    "left_forearm": 0.507,
    "right_forearm": 0.507,
    "left_thigh": 0.851,
    "right_thigh": 0.851,
    "left_shank": 0.854,
    "right_shank": 0.854,
    "shoulder_width": 0.899,
    "hip_width": 0.663,
    "head_breadth": 0.30,
}
_INFANT_CENTER = {
    "left_upper_arm": 0.50,
    "right_upper_arm": 0.50,
    "left_forearm": 0.42,
    "right_forearm": 0.42,
    "left_thigh": 0.60,
    "right_thigh": 0.60,
    "left_shank": 0.52,
    "right_shank": 0.52,
    "shoulder_width": 0.85,
    "hip_width": 0.60,
    "head_breadth": 0.55,
}

ADULT_COCO17 = BodyProfile(
    name="adult_coco17",
    ratio_ranges=MappingProxyType(_ranges(_ADULT_CENTER, 0.35)),
    angle_ranges=MappingProxyType({"left_elbow": (30.0, 180.0), "right_elbow": (30.0, 180.0), "left_knee": (35.0, 180.0), "right_knee": (35.0, 180.0)}),
    symmetry_tolerance=0.15,
    source="Drillis & Contini 1966 via Winter 2009 (segment lengths); AAOS ranges of motion",
)
INFANT_COCO17 = BodyProfile(
    name="infant_coco17",
    ratio_ranges=MappingProxyType(_ranges(_INFANT_CENTER, 0.40)),
    angle_ranges=MappingProxyType({"left_elbow": (20.0, 180.0), "right_elbow": (20.0, 180.0), "left_knee": (20.0, 180.0), "right_knee": (20.0, 180.0)}),
    symmetry_tolerance=0.2,
    source="approximate, rounded from Snyder et al. 1977 infant anthropometry (0-12 months)",
)
PROFILES: Mapping[str, BodyProfile] = MappingProxyType({"adult_coco17": ADULT_COCO17, "infant_coco17": INFANT_COCO17, "adult": ADULT_COCO17, "infant": INFANT_COCO17})


def get_profile(profile: Any) -> BodyProfile:
    if isinstance(profile, BodyProfile):
        return profile
    try:
        return PROFILES[str(profile)]
    except KeyError:
        raise KeyError(f"Unknown body profile {profile!r}; available: {sorted(PROFILES)}") from None


def profile_from_samples(
    poses: Sequence[Any],
    *,
    name: str = "custom",
    quantiles: tuple[float, float] = (0.01, 0.99),
    base: BodyProfile = ADULT_COCO17,
) -> BodyProfile:
    """A profile whose ratio ranges are quantiles of annotated 3-D (or 2-D) COCO-17 poses
    (``K x 2|3`` arrays; NaN for missing joints). Angle limits and tolerances come from ``base``."""
    ratios: dict[str, list[float]] = {k: [] for k in base.bones}
    for pose in poses:
        p = np.asarray(pose, dtype=np.float64)
        (a, b), (c, d) = base.torso
        torso = np.linalg.norm((p[a] + p[b]) / 2 - (p[c] + p[d]) / 2)
        if not np.isfinite(torso) or torso <= 0:
            continue
        for k, (i, j) in base.bones.items():
            length = np.linalg.norm(p[i] - p[j])
            if np.isfinite(length):
                ratios[k].append(length / torso)
    ranges = {k: (float(np.quantile(v, quantiles[0])), float(np.quantile(v, quantiles[1]))) for k, v in ratios.items() if len(v) >= 2}
    if not ranges:
        raise ValueError("Expected poses with a torso and at least one bone, but none could be measured")
    return BodyProfile(
        name=name,
        ratio_ranges=MappingProxyType(ranges),
        angle_ranges=base.angle_ranges,
        symmetry_tolerance=base.symmetry_tolerance,
        symmetry_tolerance_2d=base.symmetry_tolerance_2d,
        source=f"quantiles {quantiles} of {len(poses)} poses",
    )
