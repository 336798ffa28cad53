"""Seg-R1 with TRL's GRPOTrainer: box and point prompts, a segmenter, mask reward.

The policy (Qwen2.5-VL-7B-Instruct in the paper) answers with segmenter prompts
(``<bbox>[...]</bbox>, <points>[[x, y], ...]</points>, <labels>[1, 0, ...]</labels>`` on
the image resized to 768 x 768); a promptable segmenter turns them into a mask and the
reward is ``seg_r1.mask`` = 0.7 IoU + 0.3 S-measure (alpha 0.5) + format. Public-run
settings: 4 generations, learning rate 1e-6, temperature 1.0, max completion 400.

Segmenter: ``--segmenter sam2-hf --sam2-model facebook/sam2.1-hiera-large`` (SAM2 through
transformers, a hub name or a local checkpoint directory, ``pip install
'rewardkit[sam2-hf]'``; the prompts of the 4 completions of a prompt are decoded
together), ``--segmenter sam2 --sam2-config ... --sam2-checkpoint ...`` (the ``sam2``
package with local files, ``pip install 'rewardkit[sam2]'``) or ``--segmenter geometric``
(built in: box and point prompts rasterized geometrically; no model). The image
embedding is cached, so the 4 completions of a prompt encode the image once.
``--channel-swap``: feed SAM2 the channel order of the released Seg-R1 code (it converts
BGR to RGB on an image that is already RGB); default off.

The trainer logs one total reward (``seg_r1.mask``; its score is a weighted sum) and the
components through ``log_metric`` (``seg_r1.mask/iou``, ``/s_measure``, ``/format``).

Data: a JSONL with ``image`` (path), ``mask`` (a 0/255 PNG path, RLE or polygons) and
``expression`` (or ``prompt``).

    accelerate launch examples/seg_r1_trl.py --data seg_train.jsonl --image-root images/ --segmenter sam2 \\
        --sam2-config configs/sam2.1/sam2.1_hiera_l.yaml --sam2-checkpoint sam2.1_hiera_large.pt

``--tiny``: a tiny random Qwen2.5-VL and a tiny random SAM2 (transformers) built in code, two
GRPO steps on CPU; before training, the reward function scores an oracle answer and
nonsense through the tiny SAM2 (the random policy rarely writes a parseable prompt).
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
    p.add_argument("--segmenter", choices=("geometric", "sam2", "sam2-hf"), default="sam2-hf")
    p.add_argument("--sam2-model", default="facebook/sam2.1-hiera-large", help="sam2-hf: hub name or checkpoint directory")
    p.add_argument("--sam2-config", default=None)
    p.add_argument("--sam2-checkpoint", default=None)
    p.add_argument("--channel-swap", action="store_true", help="the Seg-R1 release's colour order (BGR seen by SAM2)")
    p.add_argument("--device", default="cuda")
    args = add_common_args(p, DEFAULTS).parse_args(argv)
    if args.tiny:
        import tempfile

        from rewardkit.testing.tiny_sam2 import save_tiny_sam2

        args.segmenter, args.device = "sam2-hf", "cpu"
        args.sam2_model = save_tiny_sam2(os.path.join(tempfile.mkdtemp(prefix="rewardkit-tiny-"), "sam2"))
    elif not args.data:
        p.error("--data is required (or --tiny)")

    import numpy as np
    from datasets import Dataset
    from rewardkit.adapters.trl import trl_rewards
    from rewardkit.eval.prompts import seg_r1_prompt

    from rewardkit.rewards.segmentation import register_segmenter

    segmenter = None
    # registered by name so the reward stays picklable (each worker registers its own)
    if args.segmenter == "sam2":
        if not (args.sam2_config and args.sam2_checkpoint):
            p.error("--segmenter sam2 needs --sam2-config and --sam2-checkpoint (local files)")
        from rewardkit.geometry.segmenters import SAM2Segmenter

        segmenter = SAM2Segmenter(config=args.sam2_config, checkpoint=args.sam2_checkpoint, device=args.device, channel_swap=args.channel_swap)
    elif args.segmenter == "sam2-hf":
        from rewardkit.geometry.segmenters import TransformersSAM2Segmenter

        segmenter = TransformersSAM2Segmenter.from_pretrained(args.sam2_model, device=args.device, channel_swap=args.channel_swap)
    if segmenter is not None:
        register_segmenter(args.segmenter, segmenter)

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
    if args.tiny:
        # the reward function as the trainer calls it, on an oracle answer and on nonsense
        row = dataset[0]
        oracle = "<think>the square</think><answer><bbox>[120, 96, 600, 480]</bbox></answer>"  # rows 8:40, cols 10:50 of 64 in the 768 frame
        scores = reward_funcs[0](prompts=[row["prompt"]] * 2, completions=[oracle, "<think>?</think><answer>lorem</answer>"],
                                 solution=[row["solution"]] * 2, image=[row["image"]] * 2)
        print(f"oracle check: seg_r1.mask of a box on the target {scores[0]:.3f}, of nonsense {scores[1]:.3f}")
    model, processor = load_model_and_processor(args, "qwen2_5_vl")
    train(model, processor, reward_funcs, dataset, grpo_config(args))
    if segmenter is not None:
        print(f"segmenter {type(segmenter).__name__}: {segmenter.n_prepared} image encodings, "
              f"{getattr(segmenter, 'n_decoder_calls', 'n/a')} decoder calls")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
