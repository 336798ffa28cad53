"""Seg-R1 with TRL's GRPOTrainer: box and point prompts, a segmenter, mask reward.

The policy (Qwen2.5-VL-7B-Instruct in the paper) answers with segmenter prompts
(``<bbox>[...]</bbox>, <points>[[x, y], ...]</points>, <labels>[1, 0, ...]</labels>`` on
the image resized to 768 x 768); a promptable segmenter turns them into a mask and the
reward is ``seg_r1.mask`` = 0.7 IoU + 0.3 S-measure (alpha 0.5) + format. Public-run
settings: 4 generations, learning rate 1e-6, temperature 1.0, max completion 400.

Segmenter: ``--segmenter sam2 --sam2-config ... --sam2-checkpoint ...`` (SAM2 from local
files, ``pip install 'rewardkit[sam2]'``; the image embedding is cached, so the 4
completions of a prompt encode the image once) or ``--segmenter geometric`` (built in:
box and point prompts rasterized geometrically; no model, used by ``--tiny``).

The trainer logs one total reward (``seg_r1.mask``; its score is a weighted sum) and the
components through ``log_metric`` (``seg_r1.mask/iou``, ``/s_measure``, ``/format``).

Data: a JSONL with ``image`` (path), ``mask`` (a 0/255 PNG path, RLE or polygons) and
``expression`` (or ``prompt``).

    accelerate launch examples/seg_r1_trl.py --data seg_train.jsonl --image-root images/ --segmenter sam2 \\
        --sam2-config configs/sam2.1/sam2.1_hiera_l.yaml --sam2-checkpoint sam2.1_hiera_large.pt

``--tiny``: a tiny random Qwen2.5-VL built in code, the geometric segmenter, two GRPO steps on CPU.
"""

from __future__ import annotations

import argparse
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
    model="Qwen/Qwen2.5-VL-7B-Instruct",
    output_dir="outputs/seg_r1",
    num_generations=4,
    beta=0.04,
    learning_rate=1e-6,
    temperature=1.0,
    max_completion_length=400,
    max_pixels=768 * 768,
    min_pixels=3136,
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="JSONL rows with image, mask, expression")
    p.add_argument("--image-root", default=None)
    p.add_argument("--segmenter", choices=("geometric", "sam2"), default="sam2")
    p.add_argument("--sam2-config", default=None)
    p.add_argument("--sam2-checkpoint", default=None)
    p.add_argument("--device", default="cuda")
    args = add_common_args(p, DEFAULTS).parse_args(argv)
    if args.tiny:
        args.segmenter = "geometric"
    elif not args.data:
        p.error("--data is required (or --tiny)")

    import numpy as np
    from datasets import Dataset
    from rewardkit.adapters.trl import trl_rewards
    from rewardkit.eval.prompts import seg_r1_prompt

    if args.segmenter == "sam2":
        if not (args.sam2_config and args.sam2_checkpoint):
            p.error("--segmenter sam2 needs --sam2-config and --sam2-checkpoint (local files)")
        from rewardkit.geometry.segmenters import SAM2Segmenter
        from rewardkit.rewards.segmentation import register_segmenter

        # registered by name so the reward stays picklable (each worker registers its own)
        register_segmenter("sam2", SAM2Segmenter(config=args.sam2_config, checkpoint=args.sam2_checkpoint, device=args.device))

    if args.tiny:
        from rewardkit.parsing.masks import to_rle
        from rewardkit.testing.tiny_vlm import tiny_images

        rows = []
        for i, image in enumerate(tiny_images(2, size=(64, 64), seed=7)):
            mask = np.zeros((64, 64), bool)
            mask[8 + 4 * i : 40, 10:50] = True
            rows.append({"image": image, "mask": to_rle(mask), "expression": "the bright square"})
    else:
        rows = read_jsonl(args.data)

    def gt(r):
        m = r["mask"]
        if isinstance(m, str) and args.image_root and not os.path.isabs(m):
            m = os.path.join(args.image_root, m)
        return {"mask": m}

    dataset = Dataset.from_list(
        [
            {
                "prompt": conversation(r.get("prompt") or seg_r1_prompt(r["expression"])),
                "image": open_image(r["image"], args.image_root),
                "solution": __import__("json").dumps(gt(r)),
            }
            for r in rows
        ]
    )
    # The score is 0.7 IoU + 0.3 S + format: one total reward, components via log_metric.
    reward_funcs = trl_rewards("seg_r1.mask", "solution", split_components=False, segmenter=args.segmenter, log_reasons=True)
    model, processor = load_model_and_processor(args, "qwen2_5_vl")
    train(model, processor, reward_funcs, dataset, grpo_config(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
