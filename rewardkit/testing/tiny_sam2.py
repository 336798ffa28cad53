"""A tiny random SAM2 (transformers ``Sam2Model``) built in code, for CPU tests and ``--tiny``.

No checkpoint can be downloaded in the test environment, so the Seg-R1 example's
``--tiny`` mode and the tests build a SAM2 with the real architecture (Hiera backbone,
FPN neck, prompt encoder, two-way mask decoder) at toy size: 64 x 64 input images, a
4-stage Hiera of widths 8/16/32/64 with one or two blocks per stage, FPN and decoder
width 32, about 120k parameters (well under a second per image on a CPU). Its weights
are random: its masks are arbitrary but deterministic (``seed``), which is what an end
to end test of the plumbing needs.

:func:`save_tiny_sam2` writes a checkpoint directory in the layout of the released
ones (``config.json``, ``model.safetensors``, ``preprocessor_config.json`` with
``image_processor_type: Sam2ImageProcessor``), loadable with
``TransformersSAM2Segmenter.from_pretrained(path)``.

torch and transformers are imported inside the functions.

    >>> from rewardkit.testing.tiny_sam2 import save_tiny_sam2      # doctest: +SKIP
    >>> from rewardkit.geometry.segmenters import TransformersSAM2Segmenter  # doctest: +SKIP
    >>> seg = TransformersSAM2Segmenter.from_pretrained(save_tiny_sam2("/tmp/tiny-sam2"), device="cpu")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from typing import Any

__all__ = ["TINY_SAM2_IMAGE_SIZE", "build_config", "build_model", "build_processor", "save_tiny_sam2"]

TINY_SAM2_IMAGE_SIZE = 64
"""Input side of the tiny SAM2 (the released checkpoints use 1024)."""


def build_config(image_size: int = TINY_SAM2_IMAGE_SIZE) -> Any:
    """A ``Sam2Config`` at toy size. ``image_size`` must be a multiple of 32."""
    from transformers import Sam2Config

    if image_size % 32:
        raise ValueError(f"Expected an image size that is a multiple of 32, but got {image_size}")
    s = image_size
    return Sam2Config(
        vision_config=dict(
            backbone_config=dict(
                model_type="sam2_hiera_det_model",
                hidden_size=8,
                num_attention_heads=1,
                image_size=[s, s],
                embed_dim_per_stage=[8, 16, 32, 64],
                num_attention_heads_per_stage=[1, 1, 2, 2],
                blocks_per_stage=[1, 1, 2, 1],
                window_size_per_stage=[4, 4, 4, 2],
                global_attention_blocks=[3],  # a global block may not open a pooling stage
                window_positional_embedding_background_size=[4, 4],
            ),
            backbone_channel_list=[64, 32, 16, 8],
            backbone_feature_sizes=[[s // 4, s // 4], [s // 8, s // 8], [s // 16, s // 16]],
            fpn_hidden_size=32,
        ),
        prompt_encoder_config=dict(hidden_size=32, image_size=s, patch_size=16, mask_input_channels=4),
        mask_decoder_config=dict(hidden_size=32, mlp_dim=64, num_attention_heads=2, iou_head_hidden_dim=32),
    )


def build_model(seed: int = 0, image_size: int = TINY_SAM2_IMAGE_SIZE) -> Any:
    """A random ``Sam2Model`` (eval mode) from :func:`build_config`."""
    import torch
    from transformers import Sam2Model

    torch.manual_seed(seed)
    return Sam2Model(build_config(image_size)).eval()


def _preprocessor_config(image_size: int) -> dict[str, Any]:
    # the layout of the released checkpoints' preprocessor_config.json, at toy size
    return {
        "image_processor_type": "Sam2ImageProcessor",
        "processor_class": "Sam2Processor",
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": [0.485, 0.456, 0.406],
        "image_std": [0.229, 0.224, 0.225],
        "mask_size": {"height": image_size // 4, "width": image_size // 4},
        "resample": 2,
        "rescale_factor": 1 / 255,
        "size": {"height": image_size, "width": image_size},
    }


def build_processor(image_size: int = TINY_SAM2_IMAGE_SIZE) -> Any:
    """``Sam2Processor`` for the tiny model (PIL image processor when torchvision is absent)."""
    from transformers import Sam2Processor

    cfg = _preprocessor_config(image_size)
    try:
        from transformers import Sam2ImageProcessor

        image_processor = Sam2ImageProcessor(**{k: v for k, v in cfg.items() if k not in ("image_processor_type", "processor_class")})
    except ImportError:
        from rewardkit.geometry._hf_sam2 import pil_image_processor_class

        image_processor = pil_image_processor_class()(**cfg)
    return Sam2Processor(image_processor=image_processor)


def save_tiny_sam2(path: str | os.PathLike[str], *, seed: int = 0, image_size: int = TINY_SAM2_IMAGE_SIZE) -> str:
    """Build the tiny SAM2 and save it as a checkpoint directory; returns the path."""
    path = os.fspath(path)
    os.makedirs(path, exist_ok=True)
    build_model(seed, image_size).save_pretrained(path)
    with open(os.path.join(path, "preprocessor_config.json"), "w", encoding="utf-8") as fh:
        json.dump(_preprocessor_config(image_size), fh, indent=2)
    return path
