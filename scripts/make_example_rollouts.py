"""Write ``examples/data/verl_rollouts.jsonl``: a small veRL-style rollout dump with steps.

veRL 0.9.1 (``RayPPOTrainer._log_rollout_data`` with ``trainer.rollout_data_dir``) writes
one JSONL per step with the columns ``input``, ``output``, ``gts``, ``score``, ``step``
and the reward's extra infos (here: rewardkit's veRL adapter, whose extra infos are the
components and ``applicable``). This script simulates a short Visual-RFT detection run
(8 steps x 4 prompts x 4 completions): answers get better over the steps, early ones
forget the think tag, write coordinates in 0..1 or spam boxes. Scores come from
:func:`rewardkit.adapters.verl.compute_score`, as they would in training.

    python scripts/make_example_rollouts.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from rewardkit.adapters.verl import compute_score

OUT = Path(__file__).resolve().parents[1] / "examples" / "data" / "verl_rollouts.jsonl"
PROMPTS = [
    ("Detect every bus in the image.", [[254, 303, 391, 465], [100, 120, 230, 260]]),
    ("Detect every person in the image.", [[620, 180, 700, 520], [720, 200, 790, 540], [40, 600, 160, 940]]),
    ("Detect every dog in the image.", [[300, 500, 620, 860]]),
    ("Detect every cat in the image.", []),
]


def _answer(rng: random.Random, gt: list[list[int]], progress: float) -> str:
    noise = 80 * (1 - progress) + 6
    boxes = []
    for b in gt:
        if rng.random() < 0.35 * (1 - progress):
            continue  # a missed object
        boxes.append([min(1000, max(0, round(v + rng.gauss(0, noise)))) for v in b])
    if rng.random() < 0.4 * (1 - progress):  # a hallucinated box
        x, y = rng.randint(0, 800), rng.randint(0, 800)
        boxes.append([x, y, x + rng.randint(40, 200), y + rng.randint(40, 200)])
    if rng.random() < 0.15 * (1 - progress):  # box spam
        boxes += [[10 * k, 10 * k, 10 * k + 60, 10 * k + 60] for k in range(6)]
    norm1 = rng.random() < 0.2 * (1 - progress)  # coordinates in 0..1
    items = []
    for b in boxes:
        (x1, x2), (y1, y2) = sorted(b[::2]), sorted(b[1::2])
        pos = [x1, y1, x2, y2] if not norm1 else [round(v / 1000, 3) for v in (x1, y1, x2, y2)]
        items.append({"Position": pos, "Confidence": round(rng.uniform(0.5, 1.0), 2)})
    payload = str(items) if items else "No Objects"
    think = "<think>I look for the objects and give their boxes.</think>"
    if rng.random() < 0.3 * (1 - progress):
        think = ""  # the format slips early in training
    return f"{think}<answer>{payload}</answer>"


def main() -> None:
    rng = random.Random(13)
    rows = []
    steps = 8
    for step in range(1, steps + 1):
        progress = (step - 1) / (steps - 1)
        for prompt, gt in PROMPTS:
            gt_text = "<answer>" + str([{"Position": b, "Confidence": 1} for b in gt]) + "</answer>"
            for _ in range(4):
                out = _answer(rng, gt, progress)
                r = compute_score("visual_rft_coco", out, gt_text, {"reward": "visual_rft.detection"})
                row = {"input": f"system\nYou are a helpful assistant.\nuser\n{prompt}\nassistant\n", "output": out,
                       "gts": gt_text, "score": r["score"], "step": step}  # fmt: skip
                row.update({k: v for k, v in r.items() if k != "score"})
                rows.append(row)
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
