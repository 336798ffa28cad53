"""Tiny random Qwen2-VL / Qwen2.5-VL models built in code, for CPU tests and ``--tiny`` runs.

No model can be downloaded in the test environment, so the trainer tests and the
examples' ``--tiny`` mode build everything here:

* a byte-level BPE tokenizer made with ``tokenizers`` (256 byte tokens, no merges) plus
  the Qwen special tokens (``<|im_start|>``, ``<|vision_start|>``, ``<|image_pad|>``, ...)
  and a Qwen-style chat template;
* a ``Qwen2VLImageProcessor`` with small ``min_pixels`` / ``max_pixels`` (a few patches
  per image);
* a processor subclass that accepts a missing video processor (the stock Qwen2-VL
  processor rejects ``video_processor=None`` when torchvision is absent);
* the model from a small config (hidden size 32, 2 layers, a 1-block vision tower).

torch and transformers are imported inside the functions (this module is importable
without them, and ``import rewardkit`` never imports it).

    >>> from rewardkit.testing.tiny_vlm import save_tiny_vlm   # doctest: +SKIP
    >>> path = save_tiny_vlm("/tmp/tiny-qwen2-vl")           # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Any, Literal

__all__ = [
    "QWEN_SPECIAL_TOKENS",
    "CHAT_TEMPLATE",
    "build_tokenizer",
    "build_image_processor",
    "build_processor",
    "build_model",
    "save_tiny_vlm",
    "tiny_images",
]

Kind = Literal["qwen2_vl", "qwen2_5_vl"]

QWEN_SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

# A Qwen2-VL-style chat template (string or content-block messages, images as
# <|vision_start|><|image_pad|><|vision_end|>).
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# Pixel budget of the tiny image processor: 56x56 pixels -> 4x4 patches of 14 ->
# 4 image tokens after the 2x2 merge.
TINY_MIN_PIXELS = 56 * 56
TINY_MAX_PIXELS = 56 * 56


def build_tokenizer() -> Any:
    """A byte-level tokenizer with the Qwen special tokens (a ``Qwen2TokenizerFast``-like
    ``PreTrainedTokenizerFast``).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {ch: i for i, ch in enumerate(sorted(alphabet))}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        additional_special_tokens=list(QWEN_SPECIAL_TOKENS[3:]),
        model_max_length=4096,
    )
    fast.add_special_tokens({"additional_special_tokens": [t for t in QWEN_SPECIAL_TOKENS if t not in (fast.eos_token, fast.pad_token)]})
    fast.add_tokens(["<|im_start|>"], special_tokens=True)
    fast.chat_template = CHAT_TEMPLATE
    fast.padding_side = "left"
    return fast


def build_image_processor(min_pixels: int = TINY_MIN_PIXELS, max_pixels: int = TINY_MAX_PIXELS) -> Any:
    from transformers import Qwen2VLImageProcessor

    size = {"shortest_edge": int(min_pixels), "longest_edge": int(max_pixels)}
    try:
        return Qwen2VLImageProcessor(size=size, min_pixels=min_pixels, max_pixels=max_pixels)
    except TypeError:  # older signatures
        return Qwen2VLImageProcessor(min_pixels=min_pixels, max_pixels=max_pixels)


def _processor_class(kind: Kind) -> Any:
    if kind == "qwen2_5_vl":
        from transformers import Qwen2_5_VLProcessor as Base
    else:
        from transformers import Qwen2VLProcessor as Base

    class TinyQwenVLProcessor(Base):
        """The Qwen-VL processor without a video processor (torchvision may be absent)."""

        def __init__(self, image_processor=None, tokenizer=None, video_processor=None, chat_template=None, **kwargs):
            try:
                super().__init__(image_processor, tokenizer, video_processor, chat_template=chat_template, **kwargs)
            except (TypeError, ValueError, ImportError):
                if video_processor is not None:
                    raise
                # Older releases validate every attribute: set the ones the call path reads.
                self.image_processor = image_processor
                self.tokenizer = tokenizer
                self.video_processor = None
                self.chat_template = chat_template
                self.image_token = getattr(tokenizer, "image_token", None) or "<|image_pad|>"
                self.video_token = getattr(tokenizer, "video_token", None) or "<|video_pad|>"
                self.image_token_id = tokenizer.convert_tokens_to_ids(self.image_token)
                self.video_token_id = tokenizer.convert_tokens_to_ids(self.video_token)

    TinyQwenVLProcessor.__name__ = f"Tiny{Base.__name__}"
    return TinyQwenVLProcessor


def build_processor(kind: Kind = "qwen2_vl", min_pixels: int = TINY_MIN_PIXELS, max_pixels: int = TINY_MAX_PIXELS) -> Any:
    """Tokenizer + small-image processor, without a video processor."""
    cls = _processor_class(kind)
    tokenizer = build_tokenizer()
    return cls(image_processor=build_image_processor(min_pixels, max_pixels), tokenizer=tokenizer, chat_template=CHAT_TEMPLATE)


def build_model(kind: Kind = "qwen2_vl", tokenizer: Any = None, *, hidden_size: int = 32, num_layers: int = 2, seed: int = 0) -> Any:
    """A random Qwen2-VL / Qwen2.5-VL of hidden size 32 with 2 decoder layers."""
    import torch

    tokenizer = tokenizer or build_tokenizer()
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_SPECIAL_TOKENS}
    vocab = len(tokenizer)
    text = dict(
        vocab_size=vocab,
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=4096,
        rope_parameters={"rope_type": "default", "mrope_section": [4, 2, 2], "rope_theta": 10000.0},
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=ids["<|im_end|>"],
        pad_token_id=ids["<|endoftext|>"],
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    if kind == "qwen2_5_vl":
        from transformers import Qwen2_5_VLConfig as Config
        from transformers import Qwen2_5_VLForConditionalGeneration as Model

        vision = dict(
            depth=1,
            hidden_size=hidden_size,
            intermediate_size=2 * hidden_size,
            num_heads=2,
            out_hidden_size=hidden_size,
            patch_size=14,
            spatial_merge_size=2,
            temporal_patch_size=2,
            window_size=56,
            fullatt_block_indexes=[0],
        )
    else:
        from transformers import Qwen2VLConfig as Config
        from transformers import Qwen2VLForConditionalGeneration as Model

        vision = dict(
            depth=1,
            embed_dim=hidden_size,
            hidden_size=hidden_size,
            mlp_ratio=2,
            num_heads=2,
            patch_size=14,
            spatial_merge_size=2,
            temporal_patch_size=2,
        )
    config = Config(
        text_config=text,
        vision_config=vision,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )
    for key in ("bos_token_id", "eos_token_id", "pad_token_id"):
        setattr(config, key, text[key])
    model = Model(config)
    model.generation_config.eos_token_id = text["eos_token_id"]
    model.generation_config.pad_token_id = text["pad_token_id"]
    model.generation_config.bos_token_id = text["bos_token_id"]
    return model


def save_tiny_vlm(path: str | os.PathLike[str], kind: Kind = "qwen2_vl", *, seed: int = 0) -> str:
    """Build a tiny model + processor and save both to ``path`` (GRPO with ``beta > 0``
    reloads the reference model from the model's directory). Returns the path.
    """
    path = os.fspath(path)
    os.makedirs(path, exist_ok=True)
    processor = build_processor(kind)
    model = build_model(kind, processor.tokenizer, seed=seed)
    model.save_pretrained(path)
    processor.tokenizer.save_pretrained(path)
    processor.image_processor.save_pretrained(path)
    return path


def load_tiny_processor(path: str | os.PathLike[str], kind: Kind = "qwen2_vl") -> Any:
    """The tiny processor from a directory written by :func:`save_tiny_vlm`."""
    from transformers import AutoTokenizer, Qwen2VLImageProcessor

    cls = _processor_class(kind)
    tokenizer = AutoTokenizer.from_pretrained(os.fspath(path))
    tokenizer.chat_template = CHAT_TEMPLATE
    image_processor = Qwen2VLImageProcessor.from_pretrained(os.fspath(path))
    return cls(image_processor=image_processor, tokenizer=tokenizer, chat_template=CHAT_TEMPLATE)


def tiny_images(n: int, size: tuple[int, int] = (64, 48), seed: int = 0) -> list[Any]:
    """``n`` small random RGB PIL images of ``size`` (width, height)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    w, h = size
    return [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB") for _ in range(n)]
