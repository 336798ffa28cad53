"""Vision-R1 training data for veRL: COCO-style annotations -> veRL parquet rows.

Each row is one (image, category) localization query with 1..30 instances (the paper's
range): the Vision-R1 prompt, the image, ``reward_model.ground_truth`` = the boxes in
pixels of the original image (JSON), and ``extra_info`` with the reward name
(``vision_r1.localization``), the original image size, Qwen2.5-VL's resized size and
scale for the run's ``min_pixels`` / ``max_pixels``, and the reward parameters
(predictions in the processed-image frame ``qwen25vl``, ground truth in ``pixel``, the
progressive-refinement switch ``switch_at``). Images never reach the reward: the size
in ``extra_info`` is what converts the frames.

    python examples/vision_r1_verl/prepare_data.py --annotations instances_train2017.json \\
        --image-root train2017 --out data/vision_r1_train.parquet --switch-at 1.0

Referring expressions (REC / visual grounding) come as JSONL rows ``{"image", "width",
"height", "expression", "boxes": [[x1, y1, x2, y2], ...]}`` via ``--rec``.

``--tiny``: synthetic annotations and images, a parquet file in a temp folder, then the
path of a real run up to the reward: the rows are read back, responses are tokenized
with a tiny tokenizer into a hand-built ``DataProto``, and veRL 0.9.1's reward manager
(loaded from ``vision_r1.yaml`` exactly as the trainer loads it) scores them at two
training steps, before and after the schedule's switch. A full run needs GPUs and a
rollout server (vLLM / SGLang): see ``run.sh`` and ``examples/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import defaultdict
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
REWARD = "vision_r1.localization"


def coco_rows(
    annotations: dict[str, Any],
    *,
    image_root: str = "",
    min_instances: int = 1,
    max_instances: int = 30,
    switch_at: float = 1.0,
    min_pixels: int = 3136,
    max_pixels: int = 12845056,
    split: str = "train",
) -> list[dict[str, Any]]:
    from rewardkit.adapters.verl import make_row
    from rewardkit.eval.prompts import vision_r1_prompt

    images = {im["id"]: im for im in annotations["images"]}
    names = {c["id"]: c["name"] for c in annotations["categories"]}
    groups: dict[tuple[int, int], list[list[float]]] = defaultdict(list)
    for a in annotations["annotations"]:
        if a.get("iscrowd", 0):
            continue
        x, y, w, h = a["bbox"]
        groups[(a["image_id"], a["category_id"])].append([x, y, x + w, y + h])
    rows = []
    for (img_id, cat_id), boxes in sorted(groups.items()):
        if not min_instances <= len(boxes) <= max_instances:
            continue
        im = images[img_id]
        image = im.get("_bytes") or os.path.join(image_root, im["file_name"])
        rows.append(
            make_row(
                prompt=vision_r1_prompt(names[cat_id]),
                ground_truth={"boxes": boxes, "labels": [names[cat_id]] * len(boxes)},
                reward=REWARD,
                images=[image],
                image_size=(im["width"], im["height"]),
                data_source="vision_r1/coco",
                split=split,
                index=len(rows),
                min_pixels=min_pixels,
                max_pixels=max_pixels,
                reward_params={"pred_frame": "qwen25vl", "gt_frame": "pixel", "switch_at": switch_at},
            )
        )
    return rows


def rec_rows(path: str, *, image_root: str = "", switch_at: float = 1.0, min_pixels: int = 3136, max_pixels: int = 12845056) -> list[dict[str, Any]]:
    from rewardkit.adapters.verl import make_row
    from rewardkit.eval.prompts import vision_r1_prompt

    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            rows.append(
                make_row(
                    prompt=vision_r1_prompt(r["expression"]),
                    ground_truth={"boxes": r["boxes"]},
                    reward=REWARD,
                    images=[os.path.join(image_root, r["image"])],
                    image_size=(r["width"], r["height"]),
                    data_source="vision_r1/rec",
                    index=len(rows),
                    min_pixels=min_pixels,
                    max_pixels=max_pixels,
                    reward_params={"pred_frame": "qwen25vl", "gt_frame": "pixel", "switch_at": switch_at},
                )
            )
    return rows


def tiny_annotations() -> dict[str, Any]:
    import io

    from rewardkit.testing.tiny_vlm import tiny_images

    images, anns = [], []
    for i, im in enumerate(tiny_images(2, size=(96, 64), seed=11), start=1):
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        images.append({"id": i, "width": 960, "height": 640, "file_name": f"{i}.png", "_bytes": buf.getvalue()})
        anns.append({"id": i, "image_id": i, "category_id": 1, "bbox": [100.0 * i, 80.0, 300.0, 200.0], "iscrowd": 0})
    return {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "cat"}]}


def run_tiny(total_steps: int = 10) -> dict[str, Any]:
    """Prepare a tiny parquet, then score it through veRL's reward manager at two steps."""
    import numpy as np
    import pandas as pd
    import torch
    from hydra import compose, initialize_config_dir
    from rewardkit.adapters.verl import write_parquet
    from verl import DataProto
    from verl.trainer.ppo.reward import load_reward_manager

    from rewardkit.parsing.frames import qwen25vl_resize
    from rewardkit.testing.tiny_vlm import build_tokenizer

    tmp = tempfile.mkdtemp(prefix="rewardkit-vision-r1-")
    rows = coco_rows(tiny_annotations(), switch_at=0.5)
    path = write_parquet(rows, os.path.join(tmp, "train.parquet"))
    frame = pd.read_parquet(path)
    tok = build_tokenizer()
    tok.save_pretrained(os.path.join(tmp, "tokenizer"))
    with initialize_config_dir(config_dir=HERE, version_base=None):
        cfg = compose(
            config_name="vision_r1",
            overrides=[
                f"actor_rollout_ref.model.path={os.path.join(tmp, 'tokenizer')}",
                f"trainer.total_training_steps={total_steps}",
                f"data.train_files={path}",
            ],
        )
    manager = load_reward_manager(cfg, tok)

    # responses: per row one close box (IoU 0.6 with the ground truth, in the processed
    # image's pixels) and one junk answer
    responses, row_of = [], []
    for i, r in frame.iterrows():
        (x1, y1, x2, y2) = json.loads(r["reward_model"]["ground_truth"])["boxes"][0]
        w, h = (int(v) for v in r["extra_info"]["image_size"])
        rw, rh = qwen25vl_resize(w, h, min_pixels=int(r["extra_info"]["min_pixels"]), max_pixels=int(r["extra_info"]["max_pixels"]))
        sx, sy = rw / w, rh / h
        box = [round(x1 * sx), round(y1 * sy), round(x2 * sx), round((y1 + 0.6 * (y2 - y1)) * sy)]
        responses.append(f'<think>one cat</think><answer>[{{"bbox_2d": {box}, "label": "cat"}}]</answer>')
        responses.append("<think>?</think><answer>none</answer>")
        row_of += [i, i]
    prompt_ids = [tok("<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Locate.<|im_end|>\n<|im_start|>assistant\n")["input_ids"]] * len(responses)
    resp_ids = [tok(t)["input_ids"] + [tok.eos_token_id] for t in responses]
    P, R, pad = max(map(len, prompt_ids)), max(map(len, resp_ids)), tok.pad_token_id
    prompts = torch.tensor([[pad] * (P - len(p)) + p for p in prompt_ids])
    resp = torch.tensor([r + [pad] * (R - len(r)) for r in resp_ids])
    mask = torch.tensor([[0] * (P - len(p)) + [1] * (len(p) + len(r)) + [0] * (R - len(r)) for p, r in zip(prompt_ids, resp_ids)])

    def col(name: str) -> Any:
        arr = np.empty(len(row_of), dtype=object)
        arr[:] = [dict(frame.iloc[i][name]) if isinstance(frame.iloc[i][name], dict) else frame.iloc[i][name] for i in row_of]
        return arr

    report: dict[str, Any] = {"parquet": path, "rows": len(frame)}
    for step in (1, total_steps - 1):
        data = DataProto.from_dict(
            tensors={"prompts": prompts, "responses": resp, "attention_mask": mask, "input_ids": torch.cat([prompts, resp], 1)},
            non_tensors={"data_source": col("data_source"), "reward_model": col("reward_model"), "extra_info": col("extra_info")},
            meta_info={"global_steps": step},
        )
        outs = [manager.loop.run_until_complete(manager.run_single(data[i : i + 1])) for i in range(len(data))]
        rm = type(manager).assemble_rm_scores(data, [o["reward_score"] for o in outs])
        report[f"step_{step}"] = {"scores": [round(float(v), 4) for v in rm.sum(-1)], "keys": list(outs[0]["reward_extra_info"])}
        print(f"step {step}/{total_steps}: reward per response {report[f'step_{step}']['scores']}; logged keys {report[f'step_{step}']['keys']}")
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--annotations", help="COCO-style detection annotations (JSON)")
    p.add_argument("--rec", help="REC / grounding rows (JSONL)")
    p.add_argument("--image-root", default="")
    p.add_argument("--out", default="data/vision_r1_train.parquet")
    p.add_argument("--switch-at", type=float, default=1.0, help="Vision-R1 STEP as a fraction of training (1.0: never, the Qwen2.5-VL setting)")
    p.add_argument("--min-pixels", type=int, default=3136)
    p.add_argument("--max-pixels", type=int, default=12845056)
    p.add_argument("--max-instances", type=int, default=30)
    p.add_argument("--tiny", action="store_true", help="synthetic data, scored through veRL's reward manager (no GPU)")
    a = p.parse_args(argv)
    if a.tiny:
        run_tiny()
        return 0
    if not (a.annotations or a.rec):
        p.error("--annotations or --rec is required (or --tiny)")
    from rewardkit.adapters.verl import write_parquet

    rows: list[dict[str, Any]] = []
    if a.annotations:
        with open(a.annotations, encoding="utf-8") as f:
            ann = json.load(f)
        rows += coco_rows(ann, image_root=a.image_root, max_instances=a.max_instances, switch_at=a.switch_at, min_pixels=a.min_pixels, max_pixels=a.max_pixels)
    if a.rec:
        rows += rec_rows(a.rec, image_root=a.image_root, switch_at=a.switch_at, min_pixels=a.min_pixels, max_pixels=a.max_pixels)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    write_parquet(rows, a.out)
    print(f"wrote {len(rows)} rows to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
