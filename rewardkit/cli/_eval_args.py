"""Argument groups shared by the ``rewardkit eval`` kinds (the options every kind spells alike)."""

from __future__ import annotations

import argparse


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", metavar="FILE", help="write every number as JSON to FILE (- for standard output; arrays to FILE.npz)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def _add_answer(p: argparse.ArgumentParser) -> None:
    p.add_argument("--answer", choices=("auto", "tags", "whole"), default="auto",
                   help="where the answer is: auto (the answer block, else the bare completion without "
                        "think blocks), tags (answer block only), whole")  # fmt: skip


def _add_dialect(p: argparse.ArgumentParser) -> None:
    from rewardkit.parsing.dialects import dialect_names

    p.add_argument("--dialect", choices=dialect_names(), default="visual_rft",
                   help="the model's output grammar (see docs: Which dialect does my model write?)")


def _add_detection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gt", required=True, help="annotation JSON (COCO / LVIS format; - for standard input)")
    p.add_argument("--pred", required=True, help="COCO results JSON, or completions JSONL (image_id, completion, ...); - for standard input")
    p.add_argument("--iou-type", choices=("bbox", "segm") if p.prog.endswith("lvis") else ("bbox", "segm", "keypoints"), default="bbox")
    p.add_argument("--frame", default=None, help="frame of boxes in completions (norm1000, norm1, pixel, qwen25vl, seg_r1; "
                                                 "default: the dialect's, norm1000 for visual_rft)")
    _add_answer(p)
    _add_dialect(p)
    p.add_argument("--score-policy", choices=("model", "constant", "rank"), default="model",
                   help="scores of boxes from completions (constant: ties broken by image and file order)")  # fmt: skip
    p.add_argument("--constant-score", type=float, default=1.0, help="score of boxes without confidence")
    p.add_argument("--per-category", action="store_true", help="print per-category AP, AP50, AP75")
    p.add_argument("--categories", metavar="NAME,...", help="subset table: category names / ids, or a list name (e.g. visual_rft_coco8)")
    p.add_argument("--plot", metavar="DIR", help="write figures to DIR: PR curves at IoU 0.5/0.75/0.5:0.95, sorted "
                   "per-category AP, area split (LVIS: APr/APc/APf); a .png path gets the PR curves alone "
                   "(needs the 'plot' extra)")  # fmt: skip
    _add_common(p)
