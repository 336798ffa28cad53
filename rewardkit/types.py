"""Typed values passed between the layers of rewardkit.

Every type is a frozen dataclass that validates itself in ``__post_init__`` and holds
no logic beyond validation and conversion. Arrays are copied to the canonical dtype
and made read-only, so a value cannot change after it was checked.

Conventions
-----------
* Boxes are ``xyxy`` (x1, y1, x2, y2) float64, ``N x 4``.
* An image size is ``(width, height)``, the PIL convention.
* Masks are boolean ``H x W`` arrays (one dtype contract; see :class:`Mask`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import numpy as np

from rewardkit.limits import MAX_IMAGE_SIDE

__all__ = [
    "Boxes",
    "Quads",
    "Points",
    "Keypoints",
    "Mask",
    "RewardResult",
    "ParseResult",
    "ImageSize",
]

T = TypeVar("T")

ImageSize = tuple[int, int]
"""``(width, height)`` in pixels."""


def _frozen_array(value: Any, dtype: Any, name: str, shape_tail: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(value, dtype=dtype)
    if arr.size == 0:
        arr = arr.reshape((0, *shape_tail))
    if arr.ndim != 1 + len(shape_tail) or tuple(arr.shape[1:]) != shape_tail:
        expected = "N x " + " x ".join(map(str, shape_tail)) if shape_tail else "N"
        raise ValueError(f"Expected `{name}` to be an array of shape {expected}, but got shape {arr.shape}")
    arr = np.array(arr, dtype=dtype, copy=True)
    arr.setflags(write=False)
    return arr


def trusted(cls: type[T], **fields: Any) -> T:
    """An instance of a frozen dataclass from fields that are already checked and converted.

    The hot paths (the fast tag scan and payload reader, reward results) build their
    frozen results with this instead of the dataclass' ``__init__`` (one
    ``object.__setattr__`` per field plus the ``__post_init__`` checks). The caller
    passes exactly what ``__post_init__`` would have stored (frozen arrays, read-only
    mappings), so the instance equals, reprs and pickles as the constructed one.

    Args:
        cls: The dataclass.
        **fields: Every field, already in its final form.

    Returns:
        The instance.
    """
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def _check_scores_labels(obj: Any, n: int) -> None:
    """Validate and freeze the optional ``scores`` (n floats) and ``labels`` (n names) of ``obj``."""
    if obj.scores is not None:
        scores = _frozen_array(obj.scores, np.float64, "scores", ())
        if scores.shape[0] != n:
            raise ValueError(f"Expected {n} scores, but got {scores.shape[0]}")
        object.__setattr__(obj, "scores", scores)
    if obj.labels is not None:
        labels = tuple(None if lab is None else str(lab) for lab in obj.labels)
        if len(labels) != n:
            raise ValueError(f"Expected {n} labels, but got {len(labels)}")
        object.__setattr__(obj, "labels", labels)


@dataclass(frozen=True, eq=False)
class Boxes:
    """Axis-aligned boxes in ``xyxy`` order (float64, ``N x 4``).

    ``scores`` (float64, ``N``) and ``labels`` (a tuple of ``N`` strings or ``None``) are
    optional. Coordinates must be finite; use :mod:`rewardkit.parsing` to turn model
    output (which may hold NaN, inverted corners, ...) into valid ``Boxes``.
    """

    xyxy: np.ndarray
    scores: np.ndarray | None = None
    labels: tuple[str | None, ...] | None = None

    def __post_init__(self) -> None:
        xyxy = _frozen_array(self.xyxy, np.float64, "xyxy", (4,))
        if not np.all(np.isfinite(xyxy)):
            raise ValueError("Expected `xyxy` to hold finite coordinates, but got NaN or inf")
        object.__setattr__(self, "xyxy", xyxy)
        n = xyxy.shape[0]
        _check_scores_labels(self, n)

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    @classmethod
    def empty(cls) -> Boxes:
        """Zero boxes with the right shape."""
        return cls(np.zeros((0, 4), dtype=np.float64))

    @classmethod
    def _trusted(cls, xyxy: np.ndarray, scores: np.ndarray | None, labels: tuple[str | None, ...] | None) -> Boxes:
        """Build without validation from arrays a parser has already checked
        (float64 ``N x 4`` finite, float64 ``N``, ``N`` labels). Internal fast path.
        """
        xyxy.setflags(write=False)
        if scores is not None:
            scores.setflags(write=False)
        return trusted(cls, xyxy=xyxy, scores=scores, labels=labels)

    @classmethod
    def from_xywh(cls, xywh: Any, scores: Any = None, labels: Any = None) -> Boxes:
        arr = np.asarray(xywh, dtype=np.float64).reshape(-1, 4)
        xyxy = np.concatenate([arr[:, :2], arr[:, :2] + arr[:, 2:]], axis=1)
        return cls(xyxy, scores, None if labels is None else tuple(labels))

    @property
    def xywh(self) -> np.ndarray:
        """``x, y, w, h`` with ``w = x2 - x1`` (the COCO layout)."""
        out = self.xyxy.copy()
        out[:, 2:] -= out[:, :2]
        return out

    @property
    def area(self) -> np.ndarray:
        w = np.clip(self.xyxy[:, 2] - self.xyxy[:, 0], 0, None)
        h = np.clip(self.xyxy[:, 3] - self.xyxy[:, 1], 0, None)
        return w * h

    def __repr__(self) -> str:
        return f"Boxes(n={len(self)}, scores={'yes' if self.scores is not None else 'no'}, labels={self.labels!r})"


@dataclass(frozen=True, eq=False)
class Quads:
    """Quadrilaterals: four corners each, ``N x 4 x 2`` float64 (x, y), e.g. OCR regions
    written as four corners (Florence-2 ``<OCR_WITH_REGION>``) or rotated boxes.

    ``scores`` (``N``) and ``labels`` (``N`` strings or ``None``) are optional, as for
    :class:`Boxes`. Corners keep the order they were written in; the geometry layer
    (:func:`rewardkit.geometry.polygons.quad_polygons`) reads a quad whose ring crosses
    itself (corners out of order) as the convex hull of its corners.

    >>> q = Quads.from_flat([[0, 0, 10, 0, 10, 5, 0, 5]])
    >>> q.area.tolist(), q.bounds.xyxy.tolist()
    ([50.0], [[0.0, 0.0, 10.0, 5.0]])
    """

    corners: np.ndarray
    scores: np.ndarray | None = None
    labels: tuple[str | None, ...] | None = None

    def __post_init__(self) -> None:
        corners = _frozen_array(self.corners, np.float64, "corners", (4, 2))
        if not np.all(np.isfinite(corners)):
            raise ValueError("Expected `corners` to hold finite coordinates, but got NaN or inf")
        object.__setattr__(self, "corners", corners)
        n = corners.shape[0]
        _check_scores_labels(self, n)

    def __len__(self) -> int:
        return int(self.corners.shape[0])

    @classmethod
    def empty(cls) -> Quads:
        return cls(np.zeros((0, 4, 2), dtype=np.float64))

    @classmethod
    def from_flat(cls, flat: Any, scores: Any = None, labels: Any = None) -> Quads:
        """From ``N x 8`` rows ``[x1, y1, x2, y2, x3, y3, x4, y4]``."""
        arr = np.asarray(flat, dtype=np.float64).reshape(-1, 4, 2)
        return cls(arr, scores, None if labels is None else tuple(labels))

    @classmethod
    def from_boxes(cls, boxes: Boxes) -> Quads:
        """Axis-aligned boxes as quads (corners clockwise from the top-left in image coordinates)."""
        x1, y1, x2, y2 = (boxes.xyxy[:, i] for i in range(4))
        corners = np.stack([np.stack([x1, y1], 1), np.stack([x2, y1], 1), np.stack([x2, y2], 1), np.stack([x1, y2], 1)], 1)
        return cls(corners.reshape(-1, 4, 2), boxes.scores, boxes.labels)

    @property
    def flat(self) -> np.ndarray:
        """``N x 8`` rows ``[x1, y1, ..., x4, y4]``."""
        return self.corners.reshape(-1, 8).copy()

    @property
    def bounds(self) -> Boxes:
        """The axis-aligned bounding boxes (xyxy)."""
        lo = self.corners.min(axis=1) if len(self) else np.zeros((0, 2))
        hi = self.corners.max(axis=1) if len(self) else np.zeros((0, 2))
        return Boxes(np.concatenate([lo, hi], axis=1), self.scores, self.labels)

    @property
    def area(self) -> np.ndarray:
        """Shoelace area of each quad as written (a crossing ring's lobes cancel; see the class doc)."""
        x, y = self.corners[..., 0], self.corners[..., 1]
        return 0.5 * np.abs(np.sum(x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y, axis=1))

    def __repr__(self) -> str:
        return f"Quads(n={len(self)}, scores={'yes' if self.scores is not None else 'no'}, labels={self.labels!r})"


@dataclass(frozen=True, eq=False)
class Points:
    """2-D points ``N x 2`` (float64) with optional per-point integer labels (1 = positive)."""

    xy: np.ndarray
    labels: np.ndarray | None = None

    def __post_init__(self) -> None:
        xy = _frozen_array(self.xy, np.float64, "xy", (2,))
        if not np.all(np.isfinite(xy)):
            raise ValueError("Expected `xy` to hold finite coordinates, but got NaN or inf")
        object.__setattr__(self, "xy", xy)
        if self.labels is not None:
            labels = _frozen_array(self.labels, np.int64, "labels", ())
            if labels.shape[0] != xy.shape[0]:
                raise ValueError(f"Expected {xy.shape[0]} point labels, but got {labels.shape[0]}")
            object.__setattr__(self, "labels", labels)

    def __len__(self) -> int:
        return int(self.xy.shape[0])

    @classmethod
    def empty(cls) -> Points:
        return cls(np.zeros((0, 2), dtype=np.float64))


@dataclass(frozen=True, eq=False)
class Keypoints:
    """Keypoints of one instance: ``K x 2`` or ``K x 3`` coordinates plus visibility ``K``.

    ``visibility`` follows COCO: 0 not labelled, 1 labelled but occluded, 2 visible.
    For 3-D poses ``xy`` is ``K x 3`` (x, y, z) and visibility defaults to 2.
    """

    xy: np.ndarray
    visibility: np.ndarray | None = None

    def __post_init__(self) -> None:
        arr = np.asarray(self.xy, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] not in (2, 3):
            raise ValueError(f"Expected `xy` of shape K x 2 or K x 3, but got {arr.shape}")
        arr = arr.copy()
        arr.setflags(write=False)
        object.__setattr__(self, "xy", arr)
        vis = np.full(arr.shape[0], 2, dtype=np.int64) if self.visibility is None else np.asarray(self.visibility, dtype=np.int64).copy()
        if vis.shape != (arr.shape[0],):
            raise ValueError(f"Expected {arr.shape[0]} visibility flags, but got shape {vis.shape}")
        vis.setflags(write=False)
        object.__setattr__(self, "visibility", vis)

    def __len__(self) -> int:
        return int(self.xy.shape[0])


@dataclass(frozen=True, eq=False)
class Mask:
    """A binary mask: ``bool`` array ``H x W``.

    One dtype contract: a mask is boolean. Conversions from RLE, polygons and 0/255
    images live in :mod:`rewardkit.parsing.masks`; they binarize explicitly, so a 0/1
    mask can never be emptied by a ``> 128`` threshold (the Seg-R1 defect).
    """

    data: np.ndarray

    def __post_init__(self) -> None:
        arr = np.asarray(self.data)
        if arr.dtype != np.bool_:
            raise ValueError(
                f"Expected `data` to be a bool array, but got dtype {arr.dtype}; "
                "convert with rewardkit.parsing.masks.to_mask(...) which binarizes explicitly"
            )
        if arr.ndim != 2:
            raise ValueError(f"Expected `data` of shape H x W, but got {arr.shape}")
        arr = arr.copy()
        arr.setflags(write=False)
        object.__setattr__(self, "data", arr)

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.data.shape[0]), int(self.data.shape[1]))

    @property
    def area(self) -> int:
        return int(self.data.sum())

    @classmethod
    def empty(cls, height: int, width: int) -> Mask:
        return cls(np.zeros((height, width), dtype=bool))


@dataclass(frozen=True)
class RewardResult:
    """The result of one reward on one completion.

    ``score`` is the total (``None`` when the reward does not apply to the sample, e.g.
    bad ground truth or another task: TRL then skips it). ``components`` are the named
    parts (their sum is the score for additive rewards). ``reason`` is a short code when
    the completion could not be scored normally (``no_answer_tag``, ``unparseable``,
    ``bad_coordinates``, ...). ``float(result)`` gives the score (NaN for ``None``).
    """

    score: float | None
    components: Mapping[str, float] = field(default_factory=dict)
    reason: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.score is not None:
            s = float(self.score)
            object.__setattr__(self, "score", s)
        object.__setattr__(self, "components", MappingProxyType({str(k): float(v) for k, v in dict(self.components).items()}))
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    def __float__(self) -> float:
        return math.nan if self.score is None else float(self.score)

    def __reduce__(self) -> tuple[Any, ...]:  # mapping proxies do not pickle (process pools, Ray)
        return (RewardResult, (self.score, dict(self.components), self.reason, dict(self.details)))

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "components": dict(self.components), "reason": self.reason}


@dataclass(frozen=True)
class ParseResult(Generic[T]):
    """What a parser read from model output.

    ``value`` is the parsed object (an empty object of the right type on failure, never
    ``None`` for box/point parsers), ``ok`` whether parsing succeeded, ``reason`` a short
    failure code, and ``details`` free-form notes (e.g. ``{"repaired": True}``).
    """

    value: T
    ok: bool = True
    reason: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    def __reduce__(self) -> tuple[Any, ...]:
        return (ParseResult, (self.value, self.ok, self.reason, dict(self.details)))


def as_image_size(value: Any) -> ImageSize:
    """Validate an image size given as ``(width, height)`` or ``{"width":, "height":}``.

    Each side must be a positive integer (an integral float such as ``640.0`` is
    accepted) of at most :data:`~rewardkit.limits.MAX_IMAGE_SIDE`; booleans, fractions,
    NaN, infinities and strings are refused with ``ValueError``.
    """
    if isinstance(value, Mapping):
        try:
            value = (value["width"], value["height"])
        except KeyError as exc:
            raise ValueError(f"Expected image_size with keys 'width' and 'height', but got {sorted(map(str, value))[:10]}") from exc
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray) or len(value) != 2:
        raise ValueError(f"Expected image_size as (width, height), but got {str(value)[:80]}")
    out = []
    for v in value:
        if isinstance(v, bool | np.bool_) or not isinstance(v, int | float | np.integer | np.floating):
            raise ValueError(f"Expected image_size (width, height) of positive integers, but got {str(value)[:80]}")
        f = float(v) if not isinstance(v, int) or abs(v) < 2**53 else math.inf
        if not (math.isfinite(f) and f == int(f) and 1 <= f <= MAX_IMAGE_SIDE):
            raise ValueError(
                f"Expected image_size (width, height) of positive integers at most {MAX_IMAGE_SIDE}, but got {str(value)[:80]}"
            )
        out.append(int(f))
    return (out[0], out[1])
