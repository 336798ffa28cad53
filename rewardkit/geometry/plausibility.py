"""Anatomical plausibility of one pose against a :class:`~rewardkit.geometry.body_profiles.BodyProfile`: bone ratios, left/right symmetry, joint angles.

Each check scores 1 inside its range and ``max(0, 1 - excess / margin)`` outside (``excess``
relative to the violated bound); see :mod:`rewardkit.geometry.body_profiles` for the numbers
and their sources.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rewardkit.geometry.body_profiles import BodyProfile

__all__ = ["plausibility_scores"]


def _check_score(value: float, lo: float, hi: float, margin: float) -> float:
    if value != value:  # NaN (overflowing lengths): a check that cannot be made fails
        return 0.0
    if value < lo:
        excess = (lo - value) / lo if lo > 0 else 0.0
    elif value > hi:
        excess = (value - hi) / hi if hi > 0 else np.inf
    else:
        return 1.0
    return max(0.0, 1.0 - excess / margin)


def plausibility_scores(coords: np.ndarray, present: np.ndarray, profile: BodyProfile, *, margin: float = 0.5) -> dict[str, Any]:
    """Component scores ``bones``, ``symmetry``, ``angles`` and the per-check details.

    (each NaN when nothing could be checked) for one pose (``K x 2`` or ``K x 3``).

    Args:
        coords: the pose's ``K x 2`` or ``K x 3`` keypoints.
        present: ``K`` flags of the keypoints given.
        profile: the body profile (bones, torso, ...) to check against.
        margin: outside its range a check scores ``max(0, 1 - excess / margin)``.

    Returns:
        ``{"bones": ..., "symmetry": ..., "angles": ..., "checks": {...}}``.
    """
    dims = coords.shape[1]
    out: dict[str, Any] = {"checks": {}}
    ok = present & np.all(np.isfinite(coords), axis=1)
    lengths = {}
    for name, (i, j) in profile.bones.items():
        if ok[i] and ok[j]:
            lengths[name] = float(np.linalg.norm(coords[i] - coords[j]))
    (a, b), (c, d) = profile.torso
    bone_scores = []
    if ok[[a, b, c, d]].all():
        torso = float(np.linalg.norm((coords[a] + coords[b]) / 2 - (coords[c] + coords[d]) / 2))
        if torso > 0:
            for name, (lo, hi) in profile.ratio_ranges.items():
                if name in lengths:
                    r = lengths[name] / torso
                    s = _check_score(r, lo if dims == 3 else 0.0, hi, margin)
                    out["checks"][f"ratio:{name}"] = (r, s)
                    bone_scores.append(s)
        else:
            bone_scores.append(0.0)  # collapsed torso
            out["checks"]["ratio:torso"] = (0.0, 0.0)
    tol = profile.symmetry_tolerance if dims == 3 else profile.symmetry_tolerance_2d
    sym_scores = []
    for left, right in profile.pairs:
        if left in lengths and right in lengths:
            m = max(lengths[left], lengths[right])
            asym = 0.0 if m == 0 else abs(lengths[left] - lengths[right]) / m
            s = 1.0 if asym <= tol else (0.0 if asym != asym else max(0.0, 1.0 - (asym - tol) / margin))
            out["checks"][f"symmetry:{left}"] = (asym, s)
            sym_scores.append(s)
    ang_scores = []
    for name, (lo, hi) in profile.angle_ranges.items():
        i, j, k = profile.angles[name]
        if ok[i] and ok[j] and ok[k]:
            u, v = coords[i] - coords[j], coords[k] - coords[j]
            nu, nv = np.linalg.norm(u), np.linalg.norm(v)
            if nu == 0 or nv == 0:
                s, ang = 0.0, float("nan")  # collapsed limb
            else:
                ang = float(np.degrees(np.arccos(np.clip(np.dot(u, v) / (nu * nv), -1.0, 1.0))))
                s = _check_score(ang, lo if dims == 3 else lo / 2, hi, margin)
            out["checks"][f"angle:{name}"] = (ang, s)
            ang_scores.append(s)
    out["bones"] = float(np.mean(bone_scores)) if bone_scores else float("nan")
    out["symmetry"] = float(np.mean(sym_scores)) if sym_scores else float("nan")
    out["angles"] = float(np.mean(ang_scores)) if ang_scores else float("nan")
    return out
