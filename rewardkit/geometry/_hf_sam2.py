"""``transformers`` glue for :class:`rewardkit.geometry.segmenters.TransformersSAM2Segmenter`.

Imported only when that segmenter is built (torch and transformers are imported here).

transformers ships SAM2's image processor for the torchvision backend only
(``Sam2ImageProcessor(TorchvisionBackend)``, transformers 5.x): without torchvision it
cannot be built, and torchvision's CPU wheels do not always exist for the installed
torch. :func:`load_processor` then builds ``Sam2Processor`` around
``Sam2ImageProcessorPil``, the same preprocessing (resize to the checkpoint's ``size``
with bilinear resampling, rescale by ``rescale_factor``, normalize with ``image_mean`` /
``image_std``, read from the checkpoint's ``preprocessor_config.json``) on transformers'
PIL backend, as transformers itself does for the models that have both backends; and
``post_process_masks`` as transformers' (bilinear upsampling of the low-resolution
logits to the original size, ``> mask_threshold``). Masks of the two backends may differ
where the two resize implementations round differently.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

__all__ = ["pil_image_processor_class", "load_processor", "load_model"]


@lru_cache(maxsize=1)
def pil_image_processor_class() -> type:
    """``Sam2ImageProcessorPil``: SAM2 preprocessing on transformers' PIL backend."""
    from transformers.image_processing_backends import PilBackend
    from transformers.image_processing_utils import BatchFeature
    from transformers.image_utils import (
        IMAGENET_DEFAULT_MEAN,
        IMAGENET_DEFAULT_STD,
        PILImageResampling,
    )

    # misc: the base class is Any (transformers is not followed, pyproject's [tool.mypy])
    class Sam2ImageProcessorPil(PilBackend):  # type: ignore[misc]
        """SAM2's image preprocessing without torchvision (see the module doc)."""

        resample = PILImageResampling.BILINEAR
        image_mean = IMAGENET_DEFAULT_MEAN
        image_std = IMAGENET_DEFAULT_STD
        size = {"height": 1024, "width": 1024}
        do_resize = True
        do_rescale = True
        do_normalize = True
        do_convert_rgb = True
        model_input_names = ["pixel_values"]

        def __init__(self, **kwargs: Any) -> None:
            # keys of a SAM2 preprocessor_config.json that the PIL backend does not take
            self.mask_size = kwargs.pop("mask_size", {"height": 256, "width": 256})
            for key in ("processor_class", "image_processor_type", "pad_size", "mask_pad_size", "do_pad", "data_format", "device"):
                kwargs.pop(key, None)
            super().__init__(**kwargs)

        def preprocess(self, images: Any, segmentation_maps: Any = None, **kwargs: Any) -> Any:
            if segmentation_maps is not None:
                raise ValueError("Sam2ImageProcessorPil does not process segmentation maps")
            return_tensors = kwargs.get("return_tensors")
            images_list = images if isinstance(images, list | tuple) else [images]
            sizes = []
            for im in images_list:
                if hasattr(im, "size") and hasattr(im, "mode"):  # PIL: (width, height)
                    sizes.append([int(im.size[1]), int(im.size[0])])
                else:
                    import numpy as np

                    arr = np.asarray(im)
                    sizes.append([int(arr.shape[0]), int(arr.shape[1])])
            out = super().preprocess(images, **kwargs)
            return BatchFeature({"pixel_values": out["pixel_values"], "original_sizes": sizes}, tensor_type=return_tensors)

        def post_process_masks(
            self,
            masks: Any,
            original_sizes: Any,
            mask_threshold: float = 0.0,
            binarize: bool = True,
            max_hole_area: float = 0.0,
            max_sprinkle_area: float = 0.0,
            apply_non_overlapping_constraints: bool = False,
            **kwargs: Any,
        ) -> list[Any]:
            # transformers' own post_process_masks ignores the hole / sprinkle areas too
            if apply_non_overlapping_constraints:
                raise ValueError("Sam2ImageProcessorPil does not apply non-overlapping constraints")
            import numpy as np
            import torch
            import torch.nn.functional as F

            if isinstance(original_sizes, torch.Tensor | np.ndarray):
                original_sizes = original_sizes.tolist()
            out = []
            for i, size in enumerate(original_sizes):
                m = masks[i]
                if isinstance(m, np.ndarray):
                    m = torch.from_numpy(m)
                up = F.interpolate(m, [int(s) for s in size], mode="bilinear", align_corners=False)
                out.append(up > mask_threshold if binarize else up)
            return out

    return Sam2ImageProcessorPil


def _is_local(path: Any) -> bool:
    return isinstance(path, os.PathLike) or (isinstance(path, str) and os.path.isdir(path))


def load_processor(name_or_path: Any, **hub_kwargs: Any) -> Any:
    """``Sam2Processor`` of a checkpoint (name or directory); transformers' own image
    processor when it can be built, else the PIL one (see the module doc).
    """
    from transformers import Sam2Processor
    from transformers.utils import is_torchvision_available

    src = os.fspath(name_or_path) if _is_local(name_or_path) else name_or_path
    if is_torchvision_available():
        return Sam2Processor.from_pretrained(src, **hub_kwargs)
    # torchvision missing: transformers has no PIL SAM2 image processor
    image_processor = pil_image_processor_class().from_pretrained(src, **hub_kwargs)
    return Sam2Processor(image_processor=image_processor)


def load_model(name_or_path: Any, *, device: str = "cpu", dtype: Any = None, **hub_kwargs: Any) -> Any:
    """``Sam2Model.from_pretrained`` in eval mode on ``device`` (``dtype``: e.g. ``"float16"``)."""
    import torch
    from transformers import Sam2Model

    src = os.fspath(name_or_path) if _is_local(name_or_path) else name_or_path
    kw = dict(hub_kwargs)
    if dtype is not None:
        kw["dtype"] = getattr(torch, dtype) if isinstance(dtype, str) else dtype
    model = Sam2Model.from_pretrained(src, **kw)
    return model.to(device).eval()
