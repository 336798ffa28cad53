"""Promptable segmenters: image + box / point prompts -> :class:`~rewardkit.types.Mask`.

The Seg-R1 reward turns the policy's prompts into a mask with a segmenter (SAM2 in the
paper). A segmenter implements two steps so the expensive one runs once per image:

* ``prepare(image) -> state``: encode the image (SAM2's image embedding);
* ``predict(state, box=None, points=None, point_labels=None) -> Mask``: one prompt set;
* optionally ``predict_many(state, prompt_sets) -> list[Mask]``: several prompt sets
  ``(box, points, point_labels)`` of one image at once (one decoder call for a batch).

:class:`BaseSegmenter` adds a small LRU cache of states keyed by the image content, so
the G completions of one prompt (same image) encode it once (``state_for(image)``), and
:func:`segment_prompts` applies Seg-R1's rule: for each box, the points inside it
(borders included) are its prompts; the masks of several boxes are OR-ed; points without
any box form one prompt set; no prompt gives an empty mask.

Coordinates are pixels of the image given to ``prepare`` (x right, y down; a pixel
``(col, row)`` is covered by a box when its centre ``(col + 0.5, row + 0.5)`` lies inside).
Point labels: 1 positive, anything else negative.

Colour order: every segmenter takes RGB images (``H x W x 3`` uint8, as PIL gives them;
paths and PIL images are converted to RGB). ``channel_swap=True`` (constructor, or per
call ``state_for(image, channel_swap=True)``) reverses the channel order before the
image is encoded: it reproduces the released Seg-R1 code, which applies OpenCV's
BGR-to-RGB conversion to an image that is already RGB, so its SAM2 sees BGR. Default
off. The swapped and unswapped embeddings are cached under different keys.

Three implementations:

* :class:`GeometricSegmenter`: deterministic, no model. A box fills its rectangle; a
  positive point grows a region (the 4-connected component of pixels whose grey level
  is within ``tolerance`` of the seed's, when the image has pixels; a disk of
  ``point_radius`` when only a size is known); inside a box the grown regions are
  clipped to the box, and a box whose points grow nothing stays filled; negative points
  remove their grown region. For tests and examples.
* :class:`SAM2Segmenter`: SAM2 from a local config + checkpoint (extra ``sam2``; torch and
  sam2 are imported on construction, never at import time).
* :class:`TransformersSAM2Segmenter`: SAM2 through ``transformers`` (``Sam2Model`` and
  ``Sam2Processor``), ``from_pretrained`` a checkpoint name or directory (extra
  ``sam2-hf``: torch + transformers, imported on construction); prompt sets of one image
  are decoded in batches (:meth:`~TransformersSAM2Segmenter.predict_many`).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rewardkit.parsing.images import _as_array, _is_size, image_hw, image_key, swap_channels
from rewardkit.types import Mask

__all__ = [
    "Segmenter",
    "BaseSegmenter",
    "GeometricSegmenter",
    "SAM2Segmenter",
    "TransformersSAM2Segmenter",
    "segment_prompts",
    "prompt_sets",
    "swap_channels",
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


class BaseSegmenter:
    """Shared caching: :meth:`state_for` returns the cached ``prepare(image)``.

    ``cache_size`` states are kept (LRU); ``n_prepared`` counts real encodings (tests use
    it to check that G completions of one image encode it once). ``channel_swap``: see
    the module doc (colour order).
    """

    def __init__(self, cache_size: int = 4, *, channel_swap: bool = False) -> None:
        if cache_size < 1:
            raise ValueError(f"Expected cache_size >= 1, but got {cache_size}")
        self.cache_size = int(cache_size)
        self.channel_swap = bool(channel_swap)
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self.n_prepared = 0

    def prepare(self, image: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict(self, state: Any, box: Any = None, points: Any = None, point_labels: Any = None) -> Mask:  # pragma: no cover
        raise NotImplementedError

    def image_size(self, state: Any) -> tuple[int, int]:  # pragma: no cover
        raise NotImplementedError

    def predict_many(self, state: Any, prompt_sets: Any) -> list[Mask]:
        """One mask per ``(box, points, point_labels)`` prompt set (``predict`` in a loop;
        segmenters with a batched decoder override it).
        """
        return [self.predict(state, box, pts, lab) for box, pts, lab in prompt_sets]

    def state_for(self, image: Any, *, channel_swap: bool | None = None) -> Any:
        """The cached ``prepare(image)``; ``channel_swap`` (default: the segmenter's)
        reverses the channel order before encoding.
        """
        swap = self.channel_swap if channel_swap is None else bool(channel_swap)
        key = (image_key(image), swap)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        state = self.prepare(swap_channels(image) if swap else image)
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


def prompt_sets(boxes: Any, points: Any = None, point_labels: Any = None) -> list[tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]]:
    """Seg-R1's rule as prompt sets ``(box, points, point_labels)``: one per box (the
    points inside it, borders included, are its prompts; boxes normalized to ``x1 <= x2,
    y1 <= y2``); without boxes all points form one set; no prompt gives no set. Points
    outside every box are ignored when boxes exist.
    """
    b = np.asarray(boxes if boxes is not None else np.zeros((0, 4)), dtype=np.float64).reshape(-1, 4)
    p = np.asarray(points if points is not None else np.zeros((0, 2)), dtype=np.float64).reshape(-1, 2)
    lab = np.ones(p.shape[0], np.int64) if point_labels is None else np.asarray(point_labels, dtype=np.int64).ravel()
    if lab.shape[0] != p.shape[0]:
        raise ValueError(f"Expected {p.shape[0]} point labels, but got {lab.shape[0]}")
    if b.shape[0] == 0:
        return [(None, p, lab)] if p.shape[0] else []
    out: list[tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]] = []
    for box in b:
        x1, y1, x2, y2 = box
        box = np.array([min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)])
        inside = _points_in_box(p, box) if p.shape[0] else np.zeros(0, bool)
        out.append((box, p[inside] if inside.any() else None, lab[inside] if inside.any() else None))
    return out


def segment_prompts(
    segmenter: Any,
    state: Any,
    boxes: Any,
    points: Any = None,
    point_labels: Any = None,
) -> Mask:
    """Seg-R1's rule: per box, the points inside it are its prompts; OR the box masks.

    Points outside every box are ignored when boxes exist; without boxes all points form
    one prompt set. No prompts give an empty mask of the image size. The prompt sets go
    to ``segmenter.predict_many`` in one call when the segmenter has it.
    """
    h, w = segmenter.image_size(state)
    sets = prompt_sets(boxes, points, point_labels)
    out = np.zeros((h, w), dtype=bool)
    if not sets:
        return Mask(out)
    if hasattr(segmenter, "predict_many"):
        masks = segmenter.predict_many(state, sets)
    else:
        masks = [segmenter.predict(state, box, pts, lab) for box, pts, lab in sets]
    if len(masks) == 1 and sets[0][0] is None:
        return masks[0]
    for m in masks:
        out |= m.data
    return Mask(out)


class GeometricSegmenter(BaseSegmenter):
    """Deterministic segmenter for tests and examples (see the module doc).

    ``prepare`` accepts an image (array H x W or H x W x C, PIL, path) or a size
    ``(width, height)``.
    """

    def __init__(self, *, tolerance: float = 16.0, point_radius: float = 8.0, cache_size: int = 4, channel_swap: bool = False) -> None:
        super().__init__(cache_size, channel_swap=channel_swap)
        if tolerance < 0 or point_radius < 0:
            raise ValueError("Expected non-negative tolerance and point_radius")
        self.tolerance = float(tolerance)
        self.point_radius = float(point_radius)

    def prepare(self, image: Any) -> dict[str, Any]:
        if _is_size(image):
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
    encoder once per image (cached by :meth:`state_for`) on the RGB image;
    ``predict`` runs the prompt decoder with ``multimask_output=False`` and thresholds
    the logits at 0 (``mask_threshold``). ``channel_swap=True``: the Seg-R1 release's
    colour order (see the module doc). For checkpoints in the ``transformers`` format
    use :class:`TransformersSAM2Segmenter`.
    """

    def __init__(self, config: str, checkpoint: str, *, device: str = "cuda", mask_threshold: float = 0.0, cache_size: int = 4, channel_swap: bool = False) -> None:
        super().__init__(cache_size, channel_swap=channel_swap)
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


class TransformersSAM2Segmenter(BaseSegmenter):
    """SAM2 through ``transformers``: ``Sam2Model`` + ``Sam2Processor``.

    ``TransformersSAM2Segmenter.from_pretrained("facebook/sam2.1-hiera-large",
    device="cuda")`` (a hub name, or a local checkpoint directory; hub arguments such as
    ``local_files_only=True`` or ``revision=`` are passed to ``from_pretrained``), or
    ``TransformersSAM2Segmenter(model=a_Sam2Model, processor=a_Sam2Processor)``. Needs
    the extra ``rewardkit[sam2-hf]`` (torch + transformers), imported on construction.

    * ``prepare(image)``: the processor resizes and normalizes the RGB image (without
      torchvision, transformers' SAM2 image processor cannot be built: the same
      preprocessing on transformers' PIL backend is used, see
      :mod:`rewardkit.geometry._hf_sam2`), then ``Sam2Model.get_image_embeddings``;
      cached per image by :meth:`state_for`, so the G completions of one prompt encode
      the image once.
    * :meth:`predict_many`: the prompt sets of one image decoded together, in one
      ``Sam2Model`` call per group of sets with the same shape (with or without a box,
      number of points; no padding points, so each set's mask does not depend on the
      others') of at most ``max_batch`` sets; ``multimask_output=False`` (SAM2's single
      mask, with its stability fallback), logits upsampled to the image size by the
      processor's ``post_process_masks`` and thresholded at ``mask_threshold``.
      ``batch_prompts=False`` decodes one set per call (bit-identical to
      :meth:`predict`; a batched call may differ from it in the last float bits of the
      logits, which changes a mask only where a logit is that close to the threshold).
    * ``channel_swap=True``: the Seg-R1 release's colour order (see the module doc).
    """

    def __init__(
        self,
        model: Any = "facebook/sam2.1-hiera-tiny",
        *,
        processor: Any = None,
        device: str | None = None,
        dtype: Any = None,
        mask_threshold: float = 0.0,
        batch_prompts: bool = True,
        max_batch: int = 64,
        cache_size: int = 4,
        channel_swap: bool = False,
        **hub_kwargs: Any,
    ) -> None:
        super().__init__(cache_size, channel_swap=channel_swap)
        if max_batch < 1:
            raise ValueError(f"Expected max_batch >= 1, but got {max_batch}")
        try:
            import torch
            import transformers  # noqa: F401
        except ImportError as exc:
            raise ImportError(
                "TransformersSAM2Segmenter needs torch and transformers: pip install 'rewardkit[sam2-hf]' "
                f"(import failed: {exc})"
            ) from exc
        from rewardkit.geometry import _hf_sam2

        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = str(device)
        if isinstance(model, str | os.PathLike):
            self.name_or_path = os.fspath(model)
            self.model = _hf_sam2.load_model(model, device=self.device, dtype=dtype, **hub_kwargs)
        else:
            self.name_or_path = getattr(model, "name_or_path", None)
            self.model = model.to(self.device).eval()
        if processor is None:
            if not self.name_or_path:
                raise ValueError("Expected a processor (or a model loaded from a checkpoint name or path), but got none")
            processor = self.name_or_path
        self.processor = _hf_sam2.load_processor(processor, **hub_kwargs) if isinstance(processor, str | os.PathLike) else processor
        self.mask_threshold = float(mask_threshold)
        self.batch_prompts = bool(batch_prompts)
        self.max_batch = int(max_batch)
        self.n_decoder_calls = 0

    @classmethod
    def from_pretrained(cls, name_or_path: Any, **kwargs: Any) -> TransformersSAM2Segmenter:
        """The segmenter of a checkpoint name or directory (keywords as the constructor's)."""
        return cls(name_or_path, **kwargs)

    @property
    def dtype(self) -> Any:
        return next(self.model.parameters()).dtype

    def prepare(self, image: Any) -> dict[str, Any]:
        import torch

        arr = _as_array(image)
        if arr.ndim == 2:
            arr = np.repeat(arr[:, :, None], 3, axis=2)
        arr = np.ascontiguousarray(arr[:, :, :3])
        inputs = self.processor(images=arr, return_tensors="pt")
        pixels = inputs["pixel_values"].to(self.device, self.dtype)
        with torch.inference_mode():
            embeddings = self.model.get_image_embeddings(pixels)
        return {"embeddings": embeddings, "hw": (int(arr.shape[0]), int(arr.shape[1]))}

    def image_size(self, state: dict[str, Any]) -> tuple[int, int]:
        return state["hw"]

    def predict(self, state: dict[str, Any], box: Any = None, points: Any = None, point_labels: Any = None) -> Mask:
        return self.predict_many(state, [(box, points, point_labels)])[0]

    def predict_many(self, state: dict[str, Any], prompt_sets: Any) -> list[Mask]:
        h, w = state["hw"]
        sets = list(prompt_sets)
        out: list[Mask | None] = [None] * len(sets)
        groups: dict[tuple[bool, int], list[int]] = {}
        norm: list[tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]] = []
        for i, (box, pts, lab) in enumerate(sets):
            b = None if box is None else np.asarray(box, dtype=np.float64).reshape(4)
            p = None if pts is None else np.asarray(pts, dtype=np.float64).reshape(-1, 2)
            if p is not None and p.shape[0] == 0:
                p = None
            if p is None:
                lb = None
            else:
                raw = np.ones(p.shape[0], np.int64) if lab is None else np.asarray(lab).reshape(-1)
                if raw.shape[0] != p.shape[0]:
                    raise ValueError(f"Expected {p.shape[0]} point labels, but got {raw.shape[0]}")
                lb = (raw == 1).astype(np.int64)  # 1 positive, anything else negative
            norm.append((b, p, lb))
            if b is None and p is None:
                out[i] = Mask(np.zeros((h, w), dtype=bool))
                continue
            groups.setdefault((b is not None, 0 if p is None else p.shape[0]), []).append(i)
        step = self.max_batch if self.batch_prompts else 1
        for idx in groups.values():
            for start in range(0, len(idx), step):
                chunk = idx[start : start + step]
                for i, m in zip(chunk, self._decode(state, [norm[i] for i in chunk])):
                    out[i] = m
        return out  # type: ignore[return-value]  # every slot of out (list[Mask | None]) is filled by one of the loops above

    def _decode(self, state: dict[str, Any], items: list[tuple[Any, Any, Any]]) -> list[Mask]:
        """One ``Sam2Model`` call for prompt sets of the same shape."""
        import torch

        h, w = state["hw"]
        kw: dict[str, Any] = {}
        if items[0][1] is not None:
            kw["input_points"] = [[p.tolist() for _, p, _ in items]]
            kw["input_labels"] = [[lb.tolist() for _, _, lb in items]]
        if items[0][0] is not None:
            kw["input_boxes"] = [[b.tolist() for b, _, _ in items]]
        enc = self.processor(original_sizes=[[h, w]], return_tensors="pt", **kw)
        args = {}
        for key in ("input_points", "input_boxes"):
            if key in enc:
                args[key] = enc[key].to(self.device, self.dtype)
        if "input_labels" in enc:
            args["input_labels"] = enc["input_labels"].to(self.device)
        with torch.inference_mode():
            res = self.model(image_embeddings=state["embeddings"], multimask_output=False, **args)
        self.n_decoder_calls += 1
        masks = self.processor.post_process_masks(res.pred_masks.float().cpu(), [[h, w]], mask_threshold=self.mask_threshold)[0]
        return [Mask(np.asarray(masks[j, 0].numpy(), dtype=bool)) for j in range(len(items))]
