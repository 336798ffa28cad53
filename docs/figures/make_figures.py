"""Draw the documentation's figures from the library itself, so they stay true.

    python docs/figures/make_figures.py          # writes docs/figures/*.png

* ``frames.png``: one box on one 640 x 480 image, written in each coordinate frame
  (``norm1000``, ``norm1``, ``pixel``, ``qwen25vl`` and ``seg_r1``), converted with
  :func:`rewardkit.parsing.frames.convert_boxes` and drawn in each frame's own extent
  (:func:`rewardkit.parsing.frames.frame_extent`, :func:`qwen25vl_resize`).
* ``matching.png``: the same answer matched the Visual-RFT way (greedy by confidence,
  IoU > 0.5: :func:`rewardkit.geometry.matching.match_greedy_confidence`) and the
  Vision-R1 way (Hungarian on mean L1 + (1 - GIoU):
  :func:`rewardkit.geometry.matching.match_hungarian`), with each pair's IoU or cost and
  the rewards the registry computes for that answer.

Needs matplotlib (the ``plot`` extra, or ``dev``). ``tests/test_docs.py`` runs it and
checks the images.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
IMAGE_SIZE = (640, 480)
BOX_PIXEL = [352.0, 96.0, 576.0, 336.0]  # xyxy, pixels of the original image
FRAMES = ("norm1000", "norm1", "pixel", "qwen25vl", "seg_r1")


def frames_figure(path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from rewardkit.parsing.frames import convert_boxes, frame_extent, qwen25vl_resize

    fig, axes = plt.subplots(1, len(FRAMES), figsize=(3.2 * len(FRAMES), 3.6))
    rw, rh = qwen25vl_resize(*IMAGE_SIZE)
    notes = {
        "norm1000": "integers 0..1000 (Qwen2-VL, Qwen3-VL)",
        "norm1": "floats 0..1",
        "pixel": f"pixels of the {IMAGE_SIZE[0]} x {IMAGE_SIZE[1]} image",
        "qwen25vl": f"pixels after Qwen2.5-VL's resize\n({IMAGE_SIZE[0]} x {IMAGE_SIZE[1]} -> {rw} x {rh})",
        "seg_r1": "pixels of the image resized\nto 768 x 768 (Seg-R1)",
    }
    for ax, frame in zip(axes, FRAMES):
        w, h = frame_extent(frame, IMAGE_SIZE)
        x1, y1, x2, y2 = convert_boxes([BOX_PIXEL], "pixel", frame, IMAGE_SIZE)[0]
        ax.add_patch(Rectangle((0, 0), w, h, facecolor="#eef2f7", edgecolor="#555"))
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, facecolor="none", edgecolor="#d62728", linewidth=2))
        fmt = (lambda v: f"{v:.3f}") if frame == "norm1" else (lambda v: f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}")
        ax.text(0.5 * w, 1.2 * h, f"[{fmt(x1)}, {fmt(y1)}, {fmt(x2)}, {fmt(y2)}]", color="#d62728", fontsize=8, ha="center")
        ax.set_xlim(-0.05 * w, 1.05 * w)
        ax.set_ylim(1.3 * h, -0.05 * h)  # image coordinates: y down
        # draw every frame with the image's real shape: one unit of x and of y at their true scale
        ax.set_aspect((IMAGE_SIZE[1] / h) / (IMAGE_SIZE[0] / w))
        ax.set_title(f"{frame}\n{notes[frame]}", fontsize=8)
        ax.set_xticks([0, w])
        ax.set_yticks([0, h])
        ax.tick_params(labelsize=7)
    fig.suptitle("One box on one image, in each coordinate frame (same IoU everywhere; L1 costs differ)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


GT = [[100, 100, 300, 300], [400, 150, 600, 400], [650, 600, 900, 850]]  # norm1000 xyxy
PRED = [  # (box, confidence)
    ([110, 90, 310, 290], 0.95),
    ([120, 120, 330, 320], 0.90),
    ([380, 160, 560, 380], 0.60),
    ([700, 100, 900, 300], 0.80),
]


def _completion() -> str:
    items = ", ".join(f"{{'Position': {b}, 'Confidence': {c}}}" for b, c in PRED)
    return f"<think>four boxes</think><answer>[{items}]</answer>"


def matching_figure(path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from rewardkit.geometry.boxes import box_giou, box_iou
    from rewardkit.geometry.matching import match_greedy_confidence, match_hungarian
    from rewardkit.registry import score

    gt = np.asarray(GT, dtype=float)
    pred = np.asarray([b for b, _ in PRED], dtype=float)
    conf = np.asarray([c for _, c in PRED])
    iou = box_iou(pred, gt)
    giou = box_giou(pred, gt)
    g_pi, g_gi = match_greedy_confidence(iou, conf, threshold=0.5)
    cost = np.abs(pred[:, None, :] / 1000 - gt[None, :, :] / 1000).mean(axis=2) + (1 - giou)
    h_pi, h_gi = match_hungarian(cost)
    completion = _completion()
    rft = score(completion, GT, reward="visual_rft.detection")
    vr1 = score(completion, {"boxes": GT}, reward="vision_r1.localization")

    fig, axes = plt.subplots(1, 2, figsize=(11, 5.6))
    panels = [
        (axes[0], "Visual-RFT: greedy by confidence, IoU > 0.5", g_pi, g_gi,
         lambda p, g: f"IoU {iou[p, g]:.2f}",
         f"R = {rft.score:.3f}: IoU {rft.components['iou']:.3f} + conf {rft.components['confidence']:.3f} + format {rft.components['format']:.0f}"),
        (axes[1], "Vision-R1: Hungarian on mean L1 + (1 - GIoU)", h_pi, h_gi,
         lambda p, g: f"cost {cost[p, g]:.2f}, IoU {iou[p, g]:.2f}",
         f"R = {vr1.score:.3f}: format {vr1.components['format']:.0f} + recall {vr1.components['recall']:.3f} + precision {vr1.components['precision']:.3f}"),
    ]  # fmt: skip
    palette = ["#1f77b4", "#ff7f0e", "#9467bd", "#d62728"]  # no green: green is the ground truth
    for ax, title, pi, gi, label, total in panels:
        ax.add_patch(Rectangle((0, 0), 1000, 1000, facecolor="#f7f7f7", edgecolor="#999"))
        for j, (x1, y1, x2, y2) in enumerate(gt):
            ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, facecolor="#2ca02c22", edgecolor="#2ca02c", linewidth=2))
            ax.text(x1 + 4, y2 - 10, f"GT {j}", color="#2ca02c", fontsize=8)
        matched = dict(zip(pi.tolist(), gi.tolist()))
        for i, (x1, y1, x2, y2) in enumerate(pred):
            c = palette[i % len(palette)]
            ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, facecolor="none", edgecolor=c, linewidth=1.6, linestyle="--"))
            text = f"P{i} conf {conf[i]:.2f}: " + (f"-> GT {matched[i]}, {label(i, matched[i])}" if i in matched else "unmatched")
            ax.text(20, 1040 + 38 * i, text, color=c, fontsize=8)
            if i in matched:
                g = gt[matched[i]]
                ax.annotate("", xy=((g[0] + g[2]) / 2, (g[1] + g[3]) / 2), xytext=((x1 + x2) / 2, (y1 + y2) / 2),
                            arrowprops={"arrowstyle": "->", "color": c, "lw": 1.2})  # fmt: skip
        ax.text(20, 1040 + 38 * len(pred) + 10, total, fontsize=8.5, weight="bold")
        ax.set_xlim(-10, 1010)
        ax.set_ylim(1040 + 38 * (len(pred) + 1) + 20, -10)
        ax.set_aspect("equal")
        ax.set_xticks([0, 500, 1000])
        ax.set_yticks([0, 500, 1000])
        ax.tick_params(labelsize=7)
        ax.set_title(title, fontsize=10)
    fig.suptitle("One answer (4 boxes, norm1000) against 3 ground-truth boxes", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(out_dir: Path = HERE) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    return [frames_figure(out_dir / "frames.png"), matching_figure(out_dir / "matching.png")]


if __name__ == "__main__":
    for p in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(f"wrote {p}")
