"""Quality ladders of pose answers: every labelled keypoint moved to a target OKS term, keypoints or persons left out, spurious persons added."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rewardkit.auditing.answers import Answer
from rewardkit.auditing.ladders import Ladder, _beta_targets, _each
from rewardkit.auditing.policies import (
    BASE_QUALITY,
    QUALITY_LEVELS,
    RATES,
    Priors,
)
from rewardkit.auditing.quality_data import QualityRow


def _keypoint_noise(kp: np.ndarray, area: float, qs: Sequence[float], g: np.random.Generator, dims: int) -> list[np.ndarray]:
    from rewardkit.geometry.keypoints import COCO_SIGMAS

    k = len(kp)
    sig = COCO_SIGMAS if k == 17 else np.full(k, float(np.mean(COCO_SIGMAS)))
    u = g.random(k)
    d = g.normal(size=(k, dims))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    out = []
    for q in qs:
        t = _beta_targets(u, q)
        dist = 2 * sig * np.sqrt(area) * np.sqrt(-2 * np.log(t))
        noisy = kp.copy()
        noisy[:, :dims] = kp[:, :dims] + d * dist[:, None]
        noisy[kp[:, dims] <= 0, dims] = 0
        out.append(noisy)
    return out


def _pose_ladders(kind: str, priors: Priors) -> list[Ladder]:
    dims = 3 if kind == "pose3d" else 2
    levels = QUALITY_LEVELS

    def oks(row: QualityRow, g: np.random.Generator) -> list[Answer]:
        if kind == "persons":
            areas = row.extra.get("areas") or ()
            per = [_keypoint_noise(p, areas[i] if i < len(areas) else 1.0, levels, g, 2) for i, p in enumerate(row.persons)]
            return [Answer(persons=tuple(p[j] for p in per)) for j in range(len(levels))]
        return [Answer(keypoints=kp) for kp in _keypoint_noise(row.keypoints, row.area, levels, g, dims)]

    ladders = [Ladder("oks", "every labelled keypoint moved to a target OKS term (~ Beta, mean q)", levels,
                      tuple(f"OKS {q:g}" for q in levels), _each(oks), primary=True)]
    rate_levels = tuple(1.0 - r for r in RATES)
    if kind in ("pose", "pose3d"):
        def missing(row: QualityRow, g: np.random.Generator) -> list[Answer]:
            (base,) = _keypoint_noise(row.keypoints, row.area, (BASE_QUALITY,), g, dims)
            u = g.random(len(base))
            out = []
            for rate in RATES:
                kp = base.copy()
                kp[u < rate, dims] = 0
                out.append(Answer(keypoints=kp))
            return out

        ladders.append(Ladder("missing", f"each keypoint left out with probability rate (OKS {BASE_QUALITY})", rate_levels,
                              tuple(f"missing {r:g}" for r in RATES), _each(missing)))
        return ladders

    templates = priors.persons if priors.persons is not None and len(priors.persons) else None

    def secondary(mode: str) -> Callable[[QualityRow, Sequence[np.random.Generator]], list[list[Answer]]]:
        def gen(row: QualityRow, g: np.random.Generator) -> list[Answer]:
            areas = row.extra.get("areas") or ()
            base = [_keypoint_noise(p, areas[i] if i < len(areas) else 1.0, (BASE_QUALITY,), g, 2)[0] for i, p in enumerate(row.persons)]
            n = len(base)
            u = g.random(n)
            size = np.array(row.image_size or (1, 1), dtype=np.float64)
            spurious = []
            for _ in range(n):
                t = templates[int(g.random() * len(templates))] if templates is not None else np.full((17, 2), 0.5)
                shift = g.random(2) - t.mean(axis=0)
                xy = (t + shift) * size
                spurious.append(np.concatenate([xy, np.full((len(xy), 1), 2.0)], axis=1))
            out = []
            for rate in RATES:
                if mode == "missing":
                    people = [p for p, uu in zip(base, u) if uu >= rate]
                else:
                    people = list(base) + [s for s, uu in zip(spurious, u) if uu < rate]
                out.append(Answer(persons=tuple(people)))
            return out

        return _each(gen)

    ladders.append(Ladder("missing", f"each person left out with probability rate (OKS {BASE_QUALITY})", rate_levels,
                          tuple(f"missing {r:g}" for r in RATES), secondary("missing")))
    ladders.append(Ladder("extra", f"a spurious person added per person with probability rate (OKS {BASE_QUALITY})", rate_levels,
                          tuple(f"extra {r:g}" for r in RATES), secondary("extra")))
    return ladders
