"""Keypoint payloads -> :class:`~rewardkit.types.Keypoints`.

Read (never raising; failures are ``ParseResult(ok=False, reason=...)``):

* ``[[x, y], ...]``: every keypoint present (visibility 2);
* ``[[x, y, v], ...]``: COCO visibility ``v`` (0 = not predicted); with ``dims=3`` the
  third value is ``z`` instead (3-D poses);
* flat COCO lists ``[x1, y1, v1, x2, y2, v2, ...]`` when the length is ``3 * K`` for the
  expected ``num_keypoints`` (default 17);
* named joints: ``{"nose": [x, y], "left_eye": [x, y, v], ...}``, optionally under a
  ``"keypoints"`` key, or ``[{"name": "nose", "x": .., "y": ..}, ...]`` (also ``"joint"`` /
  ``"label"`` and ``"point"`` / ``"position"`` keys). Names are normalized (case, spaces,
  hyphens; ``l_``/``r_`` prefixes) and mapped onto ``joint_names`` (COCO-17 by default);
  joints not given get visibility 0; unknown names are counted in ``details``;
* ``null`` entries are missing keypoints (visibility 0).

Several persons (:func:`parse_persons`): a list whose items are persons in any of the
forms above (``[[[x, y], ...], [[x, y], ...]]``, ``[{"keypoints": [...], "score": s},
...]``, named-joint dicts, flat COCO lists), optionally under a ``"persons"`` /
``"people"`` / ``"instances"`` / ``"poses"`` key; ``[]`` is "no person"; one person given
unwrapped (a list of keypoints) is one person. A person's ``"score"`` (or
``"confidence"``) ranks it for AP. At most :data:`MAX_PERSONS` persons are read.

Coordinates are raw (the caller's frame); non-finite or non-numeric coordinates make the keypoint
missing. A finite coordinate beyond :data:`~rewardkit.limits.MAX_KEYPOINT_ABS` fails the
whole answer (``reason="bad_coordinates"``): squared distances of such values overflow
and an alignment (Procrustes' SVD) cannot converge on them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from rewardkit.limits import MAX_KEYPOINT_ABS, MAX_KEYPOINTS, MAX_PAYLOAD_CHARS
from rewardkit.limits import MAX_PERSONS as _MAX_PERSONS
from rewardkit.parsing._structured import load_structured
from rewardkit.types import Keypoints, ParseResult

__all__ = ["COCO_KEYPOINT_NAMES", "parse_keypoints", "parse_persons", "Persons", "normalize_joint_name", "MAX_PERSONS"]

COCO_KEYPOINT_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
MAX_PERSONS = _MAX_PERSONS  # re-exported from rewardkit.limits
"""Answers with more persons than this score the minimum (``too_many_persons``)."""
_NAME_KEYS = ("name", "joint", "label", "keypoint", "part")
_XY_KEYS = ("point", "position", "xy", "point_2d", "coordinates", "coord")


def normalize_joint_name(name: str) -> str:
    """``"Left Shoulder"``, ``"left-shoulder"``, ``"l_shoulder"`` -> ``"left_shoulder"``."""
    s = re.sub(r"[\s\-\.]+", "_", str(name).strip().lower())
    s = re.sub(r"^l_", "left_", s)
    s = re.sub(r"^r_", "right_", s)
    s = re.sub(r"^(left|right)(?=[a-z])", r"\1_", s)
    return s


def _fail(reason: str, k: int, dims: int, **details: Any) -> ParseResult[Keypoints]:
    return ParseResult(Keypoints(np.zeros((k, dims)), np.zeros(k, np.int64)), False, reason, details)


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int | float):
        f = float(v)
        return f if np.isfinite(f) else None
    if isinstance(v, str):
        try:
            f = float(v)
        except ValueError:
            return None
        return f if np.isfinite(f) else None
    return None


def _entry(v: Any, dims: int) -> tuple[list[float], int] | None:
    """One keypoint entry -> (coords, visibility) or None when unreadable; missing -> v=0."""
    if v is None:
        return [0.0] * dims, 0
    if isinstance(v, Mapping):
        if all(k in v for k in ("x", "y")):
            coords = [v.get("x"), v.get("y")] + ([v.get("z")] if dims == 3 else [])
            vis = v.get("v", v.get("visibility", v.get("visible", 2)))
        else:
            key = next((k for k in _XY_KEYS if k in v), None)
            if key is None:
                return None
            return _entry(v[key], dims)
        nums = [_num(c) for c in coords]
        if any(n is None for n in nums):
            return [0.0] * dims, 0
        vv = 2 if vis is True else (0 if vis is False else _num(vis))
        return [float(n) for n in nums], int(vv) if vv is not None and vv > 0 else 0  # type: ignore[arg-type]  # nums holds no None here (checked just above)
    if isinstance(v, Sequence) and not isinstance(v, str):
        nums = [_num(c) for c in v]
        if len(nums) == dims:
            if any(n is None for n in nums):
                return [0.0] * dims, 0
            return [float(n) for n in nums], 2  # type: ignore[arg-type]  # nums holds no None here (checked just above)
        if len(nums) == dims + 1:
            if any(n is None for n in nums[:dims]):
                return [0.0] * dims, 0
            vis = nums[dims]
            return [float(n) for n in nums[:dims]], (int(vis) if vis is not None and vis > 0 else 0)  # type: ignore[arg-type]  # nums[:dims] holds no None here (checked just above)
    return None


def parse_keypoints(
    payload: Any,
    *,
    joint_names: Sequence[str] = COCO_KEYPOINT_NAMES,
    num_keypoints: int | None = None,
    dims: int = 2,
) -> ParseResult[Keypoints]:
    """Read one instance's keypoints (see the module doc).

    ``num_keypoints`` defaults to ``len(joint_names)`` for named and flat payloads; list
    payloads keep their length.
    """
    res = _parse_keypoints(payload, joint_names=joint_names, num_keypoints=num_keypoints, dims=dims)
    if res.ok:
        kp = res.value
        assert kp.visibility is not None  # Keypoints.__post_init__ always sets it
        used = kp.xy[kp.visibility > 0]
        if used.size and not (np.abs(used) <= MAX_KEYPOINT_ABS).all():
            k = len(joint_names) if num_keypoints is None else int(num_keypoints)
            return _fail("bad_coordinates", k, dims, max_abs=MAX_KEYPOINT_ABS)
    return res


def _parse_keypoints(
    payload: Any,
    *,
    joint_names: Sequence[str],
    num_keypoints: int | None,
    dims: int,
) -> ParseResult[Keypoints]:
    if dims not in (2, 3):
        raise ValueError(f"Expected dims 2 or 3, but got {dims!r}")
    k_named = len(joint_names) if num_keypoints is None else int(num_keypoints)
    if payload is None:
        return _fail("no_answer", k_named, dims)
    if isinstance(payload, str):
        text = payload.strip()
        if len(text) > MAX_PAYLOAD_CHARS:
            return _fail("too_long", k_named, dims)
        if not text:
            return _fail("empty_answer", k_named, dims)
        ok, value, details = load_structured(text)
        if not ok:
            return _fail("unparseable", k_named, dims)
    else:
        value = payload
    if isinstance(value, Mapping) and "keypoints" in value:
        value = value["keypoints"]
    names = [normalize_joint_name(n) for n in joint_names]
    index = {n: i for i, n in enumerate(names)}
    # named joints as a dict
    if isinstance(value, Mapping):
        coords = np.zeros((k_named, dims))
        vis = np.zeros(k_named, np.int64)
        unknown = 0
        for name, v in list(value.items())[:MAX_KEYPOINTS]:
            i = index.get(normalize_joint_name(str(name)))
            if i is None or i >= k_named:
                unknown += 1
                continue
            e = _entry(v, dims)
            if e is None:
                return _fail("bad_keypoint", k_named, dims, joint=str(name)[:40])
            coords[i], vis[i] = e
        return ParseResult(Keypoints(coords, vis), True, None, {"format": "named", "unknown_names": unknown})
    if not isinstance(value, Sequence) or isinstance(value, str):
        return _fail("unparseable", k_named, dims)
    items = list(value)
    if len(items) > MAX_KEYPOINTS * 3:
        return _fail("too_many_keypoints", k_named, dims)
    if not items:
        return _fail("no_keypoints", k_named, dims)
    # named joints as a list of dicts
    if all(isinstance(it, Mapping) for it in items) and any(any(k in it for k in _NAME_KEYS) for it in items):
        coords = np.zeros((k_named, dims))
        vis = np.zeros(k_named, np.int64)
        unknown = 0
        for it in items:
            key = next((k for k in _NAME_KEYS if k in it), None)
            i = None if key is None else index.get(normalize_joint_name(str(it[key])))
            if i is None or i >= k_named:
                unknown += 1
                continue
            e = _entry({k: v for k, v in it.items() if k != key}, dims)
            if e is None:
                return _fail("bad_keypoint", k_named, dims)
            coords[i], vis[i] = e
        return ParseResult(Keypoints(coords, vis), True, None, {"format": "named_list", "unknown_names": unknown})
    # flat COCO list
    if all(_num(it) is not None or it is None for it in items):
        k = k_named
        if len(items) == 3 * k:
            arr = np.array([np.nan if it is None else float(it) for it in items]).reshape(k, 3)
            if dims == 3:
                return _fail("ambiguous_flat_3d", k_named, dims)
            good = np.all(np.isfinite(arr), axis=1)
            vis = np.where(good & (np.nan_to_num(arr[:, 2]) > 0), np.nan_to_num(arr[:, 2]), 0).astype(np.int64)
            return ParseResult(Keypoints(np.nan_to_num(arr[:, :2]), vis), True, None, {"format": "flat"})
        if len(items) == dims:
            items = [items]
        else:
            return _fail("wrong_keypoint_count", k_named, dims, n_values=len(items))
    coords_l: list[list[float]] = []
    vis_l: list[int] = []
    for it in items[:MAX_KEYPOINTS + 1]:
        e = _entry(it, dims)
        if e is None:
            return _fail("bad_keypoint", k_named, dims)
        coords_l.append(e[0])
        vis_l.append(e[1])
    if len(coords_l) > MAX_KEYPOINTS:
        return _fail("too_many_keypoints", k_named, dims)
    if num_keypoints is not None and len(coords_l) != num_keypoints:
        return _fail("wrong_keypoint_count", k_named, dims, n_keypoints=len(coords_l))
    return ParseResult(Keypoints(np.asarray(coords_l, dtype=np.float64), np.asarray(vis_l, np.int64)), True, None, {"format": "list"})


class Persons(NamedTuple):
    """Several persons: their keypoints and, per person, the score the answer gave
    (``None`` where it gave none).
    """

    keypoints: tuple[Keypoints, ...]
    scores: tuple[float | None, ...]

    def __len__(self) -> int:
        return len(self.keypoints)


_PERSON_LIST_KEYS = ("persons", "people", "instances", "poses", "annotations", "predictions")
_SCORE_KEYS = ("score", "confidence", "conf")


def _is_keypoint_entry(v: Any) -> bool:
    """A single keypoint: ``[x, y]`` / ``[x, y, v]`` numbers, ``null``, or ``{"x":.., "y":..}``."""
    if v is None:
        return True
    if isinstance(v, Mapping):
        return "x" in v and "y" in v
    if isinstance(v, Sequence) and not isinstance(v, str):
        return 2 <= len(v) <= 4 and all(_num(c) is not None or c is None for c in v)
    return False


def _person_score(item: Any) -> float | None:
    if isinstance(item, Mapping):
        for k in _SCORE_KEYS:
            if k in item:
                return _num(item[k])
    return None


def parse_persons(
    payload: Any,
    *,
    joint_names: Sequence[str] = COCO_KEYPOINT_NAMES,
    num_keypoints: int | None = None,
    dims: int = 2,
) -> ParseResult[Persons]:
    """Read several persons (see the module doc).

    Never raises on model output; every person must read as ``num_keypoints`` keypoints (default
    ``len(joint_names)``).
    """
    k = len(joint_names) if num_keypoints is None else int(num_keypoints)
    empty = Persons((), ())
    if payload is None:
        return ParseResult(empty, False, "no_answer")
    if isinstance(payload, str):
        text = payload.strip()
        if len(text) > MAX_PAYLOAD_CHARS:
            return ParseResult(empty, False, "too_long")
        if not text:
            return ParseResult(empty, False, "empty_answer")
        ok, value, _ = load_structured(text)
        if not ok:
            return ParseResult(empty, False, "unparseable")
    else:
        value = payload
    if isinstance(value, Mapping):
        key = next((kk for kk in _PERSON_LIST_KEYS if kk in value), None)
        value = value[key] if key is not None else [value]  # one person as a dict
    if not isinstance(value, Sequence) or isinstance(value, str):
        return ParseResult(empty, False, "unparseable")
    items = list(value[: MAX_PERSONS + 1])
    if len(value) > MAX_PERSONS:
        return ParseResult(empty, False, "too_many_persons", {"n_persons": len(value)})
    if not items:
        return ParseResult(empty, True, None, {"n_persons": 0})
    # one person given unwrapped: a list of keypoints, or a flat COCO list
    if all(_is_keypoint_entry(it) for it in items) or all(_num(it) is not None for it in items):
        items = [items]
    kps: list[Keypoints] = []
    scores: list[float | None] = []
    for it in items:
        parsed = parse_keypoints(it, joint_names=joint_names, num_keypoints=k, dims=dims)
        if not parsed.ok:
            return ParseResult(empty, False, parsed.reason, {"person": len(kps)})
        kps.append(parsed.value)
        scores.append(_person_score(it))
    return ParseResult(Persons(tuple(kps), tuple(scores)), True, None, {"n_persons": len(kps)})
