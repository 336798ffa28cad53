"""Visual-RFT few-shot detection with TRL's GRPOTrainer and rewardkit's R_d.

Reproduces the public Visual-RFT run: Qwen2-VL-2B-Instruct, the detection prompt of the
paper's Table 1, reward R_d = R_IoU + R_conf + R_format (``visual_rft.detection``, logged
per component), 8 generations per prompt, KL beta 0.04, learning rate 1e-6, temperature
1.0, max_pixels 401408, 200 steps (few-shot COCO / LVIS). Boxes are in Qwen2-VL's
0..1000 frame on both sides.

Data: a JSONL from ``python -m rewardkit.eval.coco_fewshot train ...`` (rows with
``image``, ``category``, ``prompt``, ``solution``) and the image folder::

    python -m rewardkit.eval.coco_fewshot train --annotations instances_train2017.json --shots 4 --out coco4.jsonl
    accelerate launch examples/visual_rft_detection_trl.py --data coco4.jsonl --image-root train2017/

``--tiny``: a tiny random Qwen2-VL built in code, random images, two GRPO steps on CPU
(a smoke test of the whole path; a random model never writes an answer, so rewards are 0).
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
    model="Qwen/Qwen2-VL-2B-Instruct",
    output_dir="outputs/visual_rft_detection",
    num_generations=8,  # 4 for the 7B model
    beta=0.04,
    learning_rate=1e-6,
    temperature=1.0,
    max_pixels=401408,
    max_steps=200,
    max_completion_length=1024,
    per_device_train_batch_size=1,
    gradient_accumulation_steps=2,
)


def tiny_rows(n: int = 2) -> list[dict]:
    from rewardkit.eval._detection import solution_string

    from rewardkit.testing.tiny_vlm import tiny_images

    rows = []
    for i, image in enumerate(tiny_images(n, seed=3)):
        boxes = [[100 + 50 * i, 120, 600, 700]]
        rows.append({"image": image, "category": ["cat", "bus"][i % 2], "solution": solution_string(boxes)})
    return rows


def build_dataset(rows: list[dict], image_root: str | None):
    from datasets import Dataset
    from rewardkit.eval.prompts import detection_prompt

    records = []
    for r in rows:
        records.append(
            {
                "prompt": conversation(r.get("prompt") or detection_prompt(r["category"])),
                "image": open_image(r["image"], image_root),
                "solution": r["solution"],
            }
        )
    return Dataset.from_list(records)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="JSONL training rows (rewardkit.eval.coco_fewshot / lvis_rare / ov_coco)")
    p.add_argument("--image-root", default=None, help="folder the rows' image paths are relative to")
    p.add_argument("--iou-threshold", type=float, default=0.5)
    p.add_argument("--normalize", choices=("max", "pred"), default="max", help="R_IoU denominator (max: public code; pred: paper text)")
    args = add_common_args(p, DEFAULTS).parse_args(argv)
    if not args.tiny and not args.data:
        p.error("--data is required (or --tiny)")

    from rewardkit.adapters.trl import trl_rewards

    rows = tiny_rows() if args.tiny else read_jsonl(args.data)
    dataset = build_dataset(rows, args.image_root)
    reward_funcs = trl_rewards("visual_rft.detection", "solution", iou_threshold=args.iou_threshold, normalize=args.normalize, log_reasons=True)
    model, processor = load_model_and_processor(args, "qwen2_vl")
    train(model, processor, reward_funcs, dataset, grpo_config(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
