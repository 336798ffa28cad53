"""Body profiles for the pose plausibility reward (COCO-17 skeleton), as data.

A profile gives, for the COCO-17 keypoints:

* ``ratio_ranges``: bone length / torso length, ``(lo, hi)``, for true (3-D) lengths; the
  torso length is the distance between the shoulder midpoint and the hip midpoint;
* ``angle_ranges``: interior joint angles in degrees ``(lo, hi)`` at the elbows and knees;
* ``symmetry_tolerance``: the largest relative left/right difference
  ``|L - R| / max(L, R)`` of paired limbs that the symmetry check accepts.

Sources of the numbers of ``ADULT_COCO17``
-------------------------------------------
Bone ratios: the 0.5th and 99.5th percentiles (rounded outwards to 0.001) of the
per-subject ratios of the 6,068 adults (4,082 men, 1,986 women) of the 2012 U.S. Army
anthropometric survey, ANSUR II (C. C. Gordon et al., *2012 Anthropometric Survey of U.S.
Army Personnel: Methods and Summary Statistics*, NATICK/TR-15/007, 2014; public data
files "ANSUR II MALE/FEMALE Public", read from the copy in the GitHub repository
coleharlow12/ANSURDataAnalysis at commit c313806). The columns used are kept in
``tests/data/ansur2/segments.csv.gz`` and a test recomputes every range from them:

=================  ====================================================  ================
bone               ANSUR II measurement (mm)                              ratio range
=================  ====================================================  ================
torso              acromial height - trochanterion height                 (denominator)
upper arm          acromion-radiale length                                0.536 - 0.752
forearm            radiale-stylion length                                 0.419 - 0.623
thigh              trochanterion height - lateral femoral epicondyle ht   0.600 - 0.992
shank              lateral femoral epicondyle ht - lateral malleolus ht   0.661 - 0.996
shoulder width     biacromial breadth                                     0.641 - 0.918
hip width          hip breadth                                            0.546 - 0.860
head breadth       head breadth (COCO: ear to ear)                        0.246 - 0.355
=================  ====================================================  ================

The survey measures skin landmarks, COCO annotates joint centres (and the ears, not the
widest point of the head): the ranges are the survey's, the reward's ``margin`` absorbs the
difference. Cross-check: the mean ratios (0.627, 0.497, 0.767, 0.794, 0.764, 0.669,
0.292) agree with the segment lengths of Drillis & Contini (1966) as a fraction of body
height H (D. A. Winter, *Biomechanics and Motor Control of Human Movement*, 4th ed.,
2009, Fig. 4.1: shoulder height 0.818 H, hip 0.530 H, knee 0.285 H, ankle 0.039 H,
upper arm 0.186 H, forearm 0.146 H, shoulder width 0.259 H, hip width 0.191 H; as
transcribed in dpfens/PyExPhys ``pyexphys/anthropometry.py`` at 89d1937), whose
ratios to the torso are 0.646, 0.507, 0.851, 0.854, 0.899 and 0.663.

Joint angles: the interior angle is 180 degrees minus the flexion. Elbow flexion 150
degrees (American Academy of Orthopaedic Surgeons normal value, in Norkin & White,
*Measurement of Joint Motion*, Table A.1; Boone & Azen 1979 measured 143, the AMA guide
gives >= 140): interior elbow angle >= 30. Knee flexion 140 degrees (mean maximal knee
flexion 139.6 / 140.9 degrees of 30 young / 20 elderly adults while kneeling, PubMed
Central PMC3468826): interior knee angle >= 40. The upper bound 180 is the geometric
bound of an interior angle.

The symmetry tolerances (0.15 in 3-D, 0.5 in 2-D) are tolerances of the check, not
measurements: ANSUR II measures one side only, and no source here gives left/right limb
differences of joint-centre annotations.

No infant profile ships: no source reachable here gives infant segment lengths that
could be checked (the previous placeholder numbers, said to come from Snyder et al.
1977, were removed). For infants (or any other population) build a profile from your own
annotated poses with :func:`profile_from_samples`.

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

from rewardkit.names import unknown_name

__all__ = ["BodyProfile", "ADULT_COCO17", "PROFILES", "get_profile", "profile_from_samples", "COCO17_BONES"]

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


# ANSUR II 0.5th / 99.5th percentiles of bone / torso (see the module doc)
_ADULT_RATIOS = {
    "upper_arm": (0.536, 0.752),
    "forearm": (0.419, 0.623),
    "thigh": (0.600, 0.992),
    "shank": (0.661, 0.996),
    "shoulder_width": (0.641, 0.918),
    "hip_width": (0.546, 0.860),
    "head_breadth": (0.246, 0.355),
}


def _sided(ratios: Mapping[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for name, rng in ratios.items():
        if name in ("upper_arm", "forearm", "thigh", "shank"):
            out[f"left_{name}"] = rng
            out[f"right_{name}"] = rng
        else:
            out[name] = rng
    return out


ADULT_COCO17 = BodyProfile(
    name="adult_coco17",
    ratio_ranges=MappingProxyType(_sided(_ADULT_RATIOS)),
    # 180 - flexion: elbow 150 (AAOS), knee 140 (kneeling adults); see the module doc
    angle_ranges=MappingProxyType({"left_elbow": (30.0, 180.0), "right_elbow": (30.0, 180.0), "left_knee": (40.0, 180.0), "right_knee": (40.0, 180.0)}),
    symmetry_tolerance=0.15,
    source="ANSUR II 2012 (Gordon et al. 2014) bone/torso 0.5-99.5th percentiles; AAOS elbow flexion 150; knee flexion 140 (PMC3468826)",
)
PROFILES: Mapping[str, BodyProfile] = MappingProxyType({"adult_coco17": ADULT_COCO17, "adult": ADULT_COCO17})


def get_profile(profile: Any) -> BodyProfile:
    """A body profile given as itself or by name (``KeyError`` with suggestions)."""
    if isinstance(profile, BodyProfile):
        return profile
    try:
        return PROFILES[str(profile)]
    except KeyError:
        raise unknown_name("body profile", profile, PROFILES) from None


def profile_from_samples(
    poses: Sequence[Any],
    *,
    name: str = "custom",
    quantiles: tuple[float, float] = (0.01, 0.99),
    base: BodyProfile = ADULT_COCO17,
) -> BodyProfile:
    """A profile whose ratio ranges are quantiles of annotated 3-D (or 2-D) COCO-17 poses
    (``K x 2|3`` arrays; NaN for missing joints). Angle limits and tolerances come from ``base``.
    """
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
