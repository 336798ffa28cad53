"""Promptable segmenters: image + box / point prompts -> :class:`~rewardkit.types.Mask`.

The Seg-R1 reward turns the policy's prompts into a mask with a segmenter (SAM2 in the
paper). A segmenter implements two steps so the expensive one runs once per image:

* ``prepare(image) -> state``: encode the image (SAM2's image embedding);
* ``predict(state, box=None, points=None, point_labels=None) -> Mask``: one prompt set.

:class:`BaseSegmenter` adds a small LRU cache of states keyed by the image content, so
the G completions of one prompt (same image) encode it once (``state_for(image)``), and
:func:`segment_prompts` applies Seg-R1's rule: for each box, the points inside it
(borders included) are its prompts; the masks of several boxes are OR-ed; points without
any box form one prompt set; no prompt gives an empty mask.

Coordinates are pixels of the image given to ``prepare`` (x right, y down; a pixel
``(col, row)`` is covered by a box when its centre ``(col + 0.5, row + 0.5)`` lies inside).

Two implementations:

* :class:`GeometricSegmenter`: deterministic, no model. A box fills its rectangle; a
  positive point grows a region (the 4-connected component of pixels whose grey level
  is within ``tolerance`` of the seed's, when the image has pixels; a disk of
  ``point_radius`` when only a size is known); inside a box the grown regions are
  clipped to the box, and a box whose points grow nothing stays filled; negative points
  remove their grown region. For tests and examples.
* :class:`SAM2Segmenter`: SAM2 from a local config + checkpoint (extra ``sam2``; torch and
  sam2 are imported on construction, never at import time).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rewardkit.types import Mask

__all__ = [
    "Segmenter",
    "BaseSegmenter",
    "GeometricSegmenter",
    "SAM2Segmenter",
    "segment_prompts",
    "image_key",
    "image_hw",
]


@runtime_checkable
class Segmenter(Protocol):
    """What the segmentation rewards need from a segmenter."""

    def prepare(self, image: Any) -> Any: ...

    def predict(
        self,
        state: Any,
        box: np.ndarray | None = None,
        points: np.ndarray | None = None,
        point_labels: np.ndarray | None = None,
    ) -> Mask: ...

    def image_size(self, state: Any) -> tuple[int, int]: ...


def _as_array(image: Any) -> np.ndarray:
    if isinstance(image, np.ndarray):
        return image
    if hasattr(image, "size") and hasattr(image, "mode"):  # PIL image
        return np.asarray(image)
    if isinstance(image, str) or hasattr(image, "__fspath__"):
        try:
            from PIL import Image
        except ImportError:
            raise ImportError("Reading an image file needs Pillow: pip install 'rewardkit[images]'") from None

        with Image.open(image) as im:
            return np.asarray(im.convert("RGB"))
    raise ValueError(f"Expected an image (array, PIL image or path), but got {type(image).__name__}")


def image_hw(image: Any) -> tuple[int, int]:
    """``(height, width)`` of an image array / PIL image / path, or of a ``(width, height)`` size."""
    if isinstance(image, tuple | list) and len(image) == 2 and all(np.isscalar(v) for v in image):
        return int(image[1]), int(image[0])
    arr = _as_array(image)
    return int(arr.shape[0]), int(arr.shape[1])


def image_key(image: Any) -> Hashable:
    """A content key for the state cache (path string, or shape + dtype + blake2b digest)."""
    if isinstance(image, str) or hasattr(image, "__fspath__"):
        return ("path", str(image))
    if isinstance(image, tuple | list) and len(image) == 2 and all(np.isscalar(v) for v in image):
        return ("size", int(image[0]), int(image[1]))
    arr = np.ascontiguousarray(_as_array(image))
    return ("array", arr.shape, arr.dtype.str, hashlib.blake2b(arr.data, digest_size=16).hexdigest())


class BaseSegmenter:
    """Shared caching: :meth:`state_for` returns the cached ``prepare(image)``.

    ``cache_size`` states are kept (LRU); ``n_prepared`` counts real encodings (tests use
    it to check that G completions of one image encode it once).
    """

    def __init__(self, cache_size: int = 4) -> None:
        if cache_size < 1:
            raise ValueError(f"Expected cache_size >= 1, but got {cache_size}")
        self.cache_size = int(cache_size)
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self.n_prepared = 0

    def prepare(self, image: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict(self, state: Any, box=None, points=None, point_labels=None) -> Mask:  # pragma: no cover
        raise NotImplementedError

    def image_size(self, state: Any) -> tuple[int, int]:  # pragma: no cover
        raise NotImplementedError

    def state_for(self, image: Any) -> Any:
        key = image_key(image)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        state = self.prepare(image)
        self.n_prepared += 1
        self._cache[key] = state
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return state

    def clear_cache(self) -> None:
        self._cache.clear()

    def __getstate__(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["_cache"] = OrderedDict()  # states (GPU tensors) never travel
        return d


def _points_in_box(points: np.ndarray, box: np.ndarray) -> np.ndarray:
    return (points[:, 0] >= box[0]) & (points[:, 0] <= box[2]) & (points[:, 1] >= box[1]) & (points[:, 1] <= box[3])


def segment_prompts(
    segmenter: Any,
    state: Any,
    boxes: Any,
    points: Any = None,
    point_labels: Any = None,
) -> Mask:
    """Seg-R1's rule: per box, the points inside it are its prompts; OR the box masks.

    Points outside every box are ignored when boxes exist; without boxes all points form
    one prompt set. No prompts give an empty mask of the image size.
    """
    h, w = segmenter.image_size(state)
    b = np.asarray(boxes if boxes is not None else np.zeros((0, 4)), dtype=np.float64).reshape(-1, 4)
    p = np.asarray(points if points is not None else np.zeros((0, 2)), dtype=np.float64).reshape(-1, 2)
    lab = np.ones(p.shape[0], np.int64) if point_labels is None else np.asarray(point_labels, dtype=np.int64).ravel()
    if lab.shape[0] != p.shape[0]:
        raise ValueError(f"Expected {p.shape[0]} point labels, but got {lab.shape[0]}")
    out = np.zeros((h, w), dtype=bool)
    if b.shape[0] == 0:
        if p.shape[0] == 0:
            return Mask(out)
        return segmenter.predict(state, None, p, lab)
    for box in b:
        x1, y1, x2, y2 = box
        box = np.array([min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)])
        inside = _points_in_box(p, box) if p.shape[0] else np.zeros(0, bool)
        m = segmenter.predict(state, box, p[inside] if inside.any() else None, lab[inside] if inside.any() else None)
        out |= m.data
    return Mask(out)


class GeometricSegmenter(BaseSegmenter):
    """Deterministic segmenter for tests and examples (see the module doc).

    ``prepare`` accepts an image (array H x W or H x W x C, PIL, path) or a size
    ``(width, height)``.
    """

    def __init__(self, *, tolerance: float = 16.0, point_radius: float = 8.0, cache_size: int = 4) -> None:
        super().__init__(cache_size)
        if tolerance < 0 or point_radius < 0:
            raise ValueError("Expected non-negative tolerance and point_radius")
        self.tolerance = float(tolerance)
        self.point_radius = float(point_radius)

    def prepare(self, image: Any) -> dict[str, Any]:
        if isinstance(image, tuple | list) and len(image) == 2 and all(np.isscalar(v) for v in image):
            h, w = int(image[1]), int(image[0])
            return {"hw": (h, w), "grey": None}
        arr = _as_array(image)
        grey = arr.astype(np.float64)
        if grey.ndim == 3:
            grey = grey[:, :, :3].mean(axis=2)
        return {"hw": (int(arr.shape[0]), int(arr.shape[1])), "grey": grey}

    def image_size(self, state: dict[str, Any]) -> tuple[int, int]:
        return state["hw"]

    def _grow(self, state: dict[str, Any], x: float, y: float) -> np.ndarray:
        h, w = state["hw"]
        col, row = int(np.floor(x)), int(np.floor(y))
        region = np.zeros((h, w), dtype=bool)
        if not (0 <= col < w and 0 <= row < h):
            return region
        grey = state["grey"]
        if grey is None:
            yy, xx = np.ogrid[:h, :w]
            return (xx + 0.5 - x) ** 2 + (yy + 0.5 - y) ** 2 <= self.point_radius**2
        from scipy import ndimage

        # the components depend only on the seed's grey level: label once per level
        cache = state.setdefault("labels", {})
        level = float(grey[row, col])
        if level not in cache:
            if len(cache) >= 32:
                cache.clear()
            cache[level] = ndimage.label(np.abs(grey - level) <= self.tolerance)[0]
        labels = cache[level]
        return labels == labels[row, col]

    def predict(self, state: dict[str, Any], box: Any = None, points: Any = None, point_labels: Any = None) -> Mask:
        h, w = state["hw"]
        p = np.zeros((0, 2)) if points is None else np.asarray(points, dtype=np.float64).reshape(-1, 2)
        lab = np.ones(p.shape[0], np.int64) if point_labels is None else np.asarray(point_labels).ravel()
        pos = np.zeros((h, w), dtype=bool)
        neg = np.zeros((h, w), dtype=bool)
        for (x, y), lb in zip(p, lab):
            if lb == 1:
                pos |= self._grow(state, x, y)
            else:
                neg |= self._grow(state, x, y)
        if box is not None:
            x1, y1, x2, y2 = (float(v) for v in box)
            cols = np.arange(w) + 0.5
            rows = np.arange(h) + 0.5
            fill = ((rows >= y1) & (rows <= y2))[:, None] & ((cols >= x1) & (cols <= x2))[None, :]
            mask = (pos & fill) if (pos & fill).any() else fill
        else:
            mask = pos
        return Mask(mask & ~neg)


class SAM2Segmenter(BaseSegmenter):
    """SAM2 (``sam2`` package) from a local model config and checkpoint.

    ``SAM2Segmenter(config="configs/sam2.1/sam2.1_hiera_l.yaml",
    checkpoint="/models/sam2.1_hiera_large.pt", device="cuda")``. Needs the extra
    ``rewardkit[sam2]`` (torch + sam2); nothing is downloaded. ``prepare`` runs the image
    encoder once per image (cached by :meth:`state_for`); ``predict`` runs the prompt
    decoder with ``multimask_output=False`` and thresholds the logits at 0
    (``mask_threshold``).
    """

    def __init__(self, config: str, checkpoint: str, *, device: str = "cuda", mask_threshold: float = 0.0, cache_size: int = 4) -> None:
        super().__init__(cache_size)
        try:
            import torch  # noqa: F401
            from sam2.build_sam import build_sam2
            from sam2.sam2_image_predictor import SAM2ImagePredictor
        except ImportError as exc:
            raise ImportError(
                "SAM2Segmenter needs torch and sam2: pip install 'rewardkit[sam2]' "
                f"(import failed: {exc})"
            ) from exc
        from pathlib import Path

        if not Path(checkpoint).is_file():
            raise ValueError(f"Expected a local SAM2 checkpoint file, but {checkpoint!r} does not exist")
        self.config, self.checkpoint, self.device = config, checkpoint, device
        model = build_sam2(config, checkpoint, device=device)
        self._predictor = SAM2ImagePredictor(model, mask_threshold=mask_threshold)

    def prepare(self, image: Any) -> dict[str, Any]:
        arr = _as_array(image)
        if arr.ndim == 2:
            arr = np.repeat(arr[:, :, None], 3, axis=2)
        pr = self._predictor
        pr.set_image(arr[:, :, :3])
        return {"features": pr._features, "orig_hw": list(pr._orig_hw), "hw": (int(arr.shape[0]), int(arr.shape[1]))}

    def image_size(self, state: dict[str, Any]) -> tuple[int, int]:
        return state["hw"]

    def predict(self, state: dict[str, Any], box: Any = None, points: Any = None, point_labels: Any = None) -> Mask:
        pr = self._predictor
        pr._features = state["features"]
        pr._orig_hw = state["orig_hw"]
        pr._is_image_set = True
        masks, _, _ = pr.predict(
            point_coords=None if points is None else np.asarray(points, dtype=np.float32),
            point_labels=None if point_labels is None else np.asarray(point_labels, dtype=np.int32),
            box=None if box is None else np.asarray(box, dtype=np.float32),
            multimask_output=False,
        )
        return Mask(np.asarray(masks[0]) > 0)
