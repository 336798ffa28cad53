"""Shared plumbing of the TRL examples (argument parsing, data loading, --tiny mode).

Not part of the rewardkit package: the example scripts import it from their own folder.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any


def add_common_args(p: argparse.ArgumentParser, defaults: dict[str, Any]) -> argparse.ArgumentParser:
    """GRPO arguments; ``defaults`` carries each paper's public-run values."""
    g = p.add_argument_group("GRPO (defaults: the public run, see examples/README.md)")
    g.add_argument("--model", default=defaults["model"], help="model name or local directory")
    g.add_argument("--output-dir", default=defaults.get("output_dir", "outputs/run"))
    g.add_argument("--num-generations", type=int, default=defaults["num_generations"])
    g.add_argument("--beta", type=float, default=defaults["beta"], help="KL coefficient")
    g.add_argument("--learning-rate", type=float, default=defaults["learning_rate"])
    g.add_argument("--temperature", type=float, default=defaults.get("temperature", 1.0))
    g.add_argument("--max-steps", type=int, default=defaults.get("max_steps", -1))
    g.add_argument("--num-train-epochs", type=float, default=defaults.get("num_train_epochs", 1.0))
    g.add_argument("--max-completion-length", type=int, default=defaults.get("max_completion_length", 1024))
    g.add_argument("--per-device-train-batch-size", type=int, default=defaults.get("per_device_train_batch_size", 1))
    g.add_argument("--gradient-accumulation-steps", type=int, default=defaults.get("gradient_accumulation_steps", 2))
    g.add_argument("--max-pixels", type=int, default=defaults.get("max_pixels", 401408))
    g.add_argument("--min-pixels", type=int, default=defaults.get("min_pixels", 3136))
    g.add_argument("--save-steps", type=int, default=defaults.get("save_steps", 100))
    g.add_argument("--report-to", default="none")
    g.add_argument("--seed", type=int, default=42)
    g.add_argument("--tiny", action="store_true", help="tiny random model built in code, two steps on CPU (smoke test)")
    return p


def read_jsonl(path: str) -> list[dict[str, Any]]:
    """Training rows: a JSON list or JSON Lines (:func:`rewardkit.io.read_records`)."""
    from rewardkit.io import read_records

    return read_records(path, "--data")


def open_image(path_or_image: Any, root: str | None = None) -> Any:
    from PIL import Image

    if not isinstance(path_or_image, str):
        return path_or_image
    path = os.path.join(root, path_or_image) if root and not os.path.isabs(path_or_image) else path_or_image
    with Image.open(path) as im:
        return im.convert("RGB")


def conversation(text: str) -> list[dict[str, Any]]:
    """A user turn with one image and the prompt text (TRL's VLM conversational format)."""
    return [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]}]


def grpo_config(args: argparse.Namespace, **overrides: Any) -> Any:
    from trl import GRPOConfig

    kw: dict[str, Any] = dict(
        output_dir=args.output_dir,
        num_generations=args.num_generations,
        beta=args.beta,
        learning_rate=args.learning_rate,
        temperature=args.temperature,
        max_steps=args.max_steps,
        num_train_epochs=args.num_train_epochs,
        max_completion_length=args.max_completion_length,
        per_device_train_batch_size=args.per_device_train_batch_size,
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        remove_unused_columns=False,  # keep the ground-truth columns for the rewards
        logging_steps=1,
        save_steps=args.save_steps,
        report_to=args.report_to,
        seed=args.seed,
        bf16=True,
        gradient_checkpointing=True,
    )
    if args.tiny:
        kw.update(
            num_generations=4,
            per_device_train_batch_size=4,
            gradient_accumulation_steps=1,
            max_steps=2,
            max_completion_length=16,
            learning_rate=1e-2,
            use_cpu=True,
            bf16=False,
            gradient_checkpointing=False,
            save_strategy="no",
            report_to="none",
        )
    kw.update(overrides)
    return GRPOConfig(**kw)


def load_model_and_processor(args: argparse.Namespace, kind: str = "qwen2_vl") -> tuple[str, Any]:
    """The model path and processor: a tiny random model for ``--tiny``, else the hub/local
    model with the run's ``min_pixels`` / ``max_pixels``."""
    if args.tiny:
        from rewardkit.testing.tiny_vlm import load_tiny_processor, save_tiny_vlm

        path = save_tiny_vlm(os.path.join(tempfile.mkdtemp(prefix="rewardkit-tiny-"), "model"), kind)  # type: ignore[arg-type]
        return path, load_tiny_processor(path, kind)  # type: ignore[arg-type]
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(args.model, min_pixels=args.min_pixels, max_pixels=args.max_pixels)
    return args.model, processor


def train(model: str, processor: Any, reward_funcs: Sequence[Callable[..., Any]], dataset: Any, config: Any) -> Any:
    from trl import GRPOTrainer

    trainer = GRPOTrainer(model=model, reward_funcs=list(reward_funcs), args=config, train_dataset=dataset, processing_class=processor)
    t0 = time.time()
    trainer.train()
    logged = sorted({k for h in trainer.state.log_history for k in h if k.startswith("rewards/")})
    print(f"trained {trainer.state.global_step} steps in {time.time() - t0:.1f} s; logged: {', '.join(logged)}")
    return trainer
