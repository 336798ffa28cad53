"""Visual-RFT few-shot fine-grained classification with TRL's GRPOTrainer.

Reproduces the public Visual-RFT classification run: Qwen2-VL-2B-Instruct, the
classification prompt of the paper's Table 1, reward R_cls = R_acc + R_format
(``visual_rft.classification``: normalized exact match with an optional synonym table,
never the public code's substring match), 8 generations, KL beta 0.04, learning rate
1e-6, temperature 1.0, max_pixels 401408.

Data: a JSONL from ``python -m rewardkit.eval.classification train ...`` (rows with
``image``, ``label``, ``prompt``) and the image folder::

    python -m rewardkit.eval.classification train --root flowers102/train --classes flowers.txt --shots 4 --out flowers4.jsonl
    accelerate launch examples/visual_rft_classification_trl.py --data flowers4.jsonl --image-root flowers102/train

``--tiny``: a tiny random Qwen2-VL built in code, two GRPO steps on CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    add_common_args,
    conversation,
    grpo_config,
    load_model_and_processor,
    open_image,
    read_jsonl,
    train,
)

DEFAULTS = dict(
    model="Qwen/Qwen2-VL-2B-Instruct",
    output_dir="outputs/visual_rft_classification",
    num_generations=8,
    beta=0.04,
    learning_rate=1e-6,
    temperature=1.0,
    max_pixels=401408,
    max_steps=-1,
    num_train_epochs=1.0,
    max_completion_length=1024,
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="JSONL training rows (rewardkit.eval.classification)")
    p.add_argument("--image-root", default=None)
    p.add_argument("--dataset", default="flower102", help="prompt wording: flower102, pets37, aircraft, cars196")
    p.add_argument("--synonyms", default=None, help="JSON file {class: [synonyms]}")
    args = add_common_args(p, DEFAULTS).parse_args(argv)
    if not args.tiny and not args.data:
        p.error("--data is required (or --tiny)")

    from datasets import Dataset
    from rewardkit.adapters.trl import trl_rewards
    from rewardkit.eval.prompts import classification_prompt

    if args.tiny:
        from rewardkit.testing.tiny_vlm import tiny_images

        rows = [{"image": im, "label": lab} for im, lab in zip(tiny_images(2, seed=5), ["pink primrose", "globe thistle"])]
    else:
        rows = read_jsonl(args.data)
    prompt = classification_prompt(args.dataset)
    dataset = Dataset.from_list(
        [{"prompt": conversation(r.get("prompt") or prompt), "image": open_image(r["image"], args.image_root), "solution": r["label"]} for r in rows]
    )
    params = {}
    if args.synonyms:
        with open(args.synonyms, encoding="utf-8") as f:
            params["synonyms"] = json.load(f)
    reward_funcs = trl_rewards("visual_rft.classification", "solution", **params)
    model, processor = load_model_and_processor(args, "qwen2_vl")
    train(model, processor, reward_funcs, dataset, grpo_config(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
