"""``rewardkit.show``: pictures checked where a person would look (pixel colours on the
edges of the boxes, on mask contours, on skeleton joints), labels that do not overlap,
and model output that never breaks a picture."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PIL")

from PIL import Image  # noqa: E402

from rewardkit import show  # noqa: E402
from rewardkit.cli import main  # noqa: E402
from rewardkit.viz.palette import OKABE_ITO, ROLE_COLOURS, hex_to_rgb  # noqa: E402
from rewardkit.viz.show import show_row  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"
GT_RGB = hex_to_rgb(ROLE_COLOURS["gt"])
MISSED_RGB = hex_to_rgb(ROLE_COLOURS["missed"])
PRED_RGB = hex_to_rgb(ROLE_COLOURS["pred"])
UNMATCHED_RGB = hex_to_rgb(ROLE_COLOURS["unmatched"])


def _to_px(picture, x, y):
    t = picture.info["rewardkit"]["transform"]
    return (t["margin"] + (x - t["x0"]) * t["scale"], t["margin"] + (y - t["y0"]) * t["scale"])


def _edge_colours(picture, box, n=40):
    """Colours of the pixels on the four edges of ``box`` (canvas units)."""
    px = np.asarray(picture.convert("RGB"))
    x1, y1 = _to_px(picture, box[0], box[1])
    x2, y2 = _to_px(picture, box[2], box[3])
    pts = []
    for t in np.linspace(0.15, 0.85, n):  # away from the corners, where labels sit
        pts += [(x1 + t * (x2 - x1), y1), (x1 + t * (x2 - x1), y2), (x1, y1 + t * (y2 - y1)), (x2, y1 + t * (y2 - y1))]
    return [tuple(int(c) for c in px[int(round(y)), int(round(x))]) for x, y in pts]


def _share(colours, rgb):
    return sum(1 for c in colours if c == rgb) / len(colours)


def test_okabe_ito_roles_are_distinct():
    assert len(set(ROLE_COLOURS.values())) == len(ROLE_COLOURS)
    assert set(ROLE_COLOURS.values()) <= set(OKABE_ITO.values())


def test_detection_edges_carry_their_colours():
    gt = [[100, 100, 300, 300], [600, 600, 900, 900]]
    c = ("<think>x</think><answer>[{'Position': [110, 110, 310, 300], 'Confidence': 0.9}, "
         "{'Position': [600, 100, 800, 250], 'Confidence': 0.8}]</answer>")
    pic = show(c, gt, reward="visual_rft.detection")
    assert pic.mode == "RGB" and pic.size[0] >= 560
    # matched ground truth GT1: solid GT blue; missed GT2: sky blue dashes
    assert _share(_edge_colours(pic, gt[0]), GT_RGB) > 0.5
    missed = _edge_colours(pic, gt[1])
    assert 0.3 < _share(missed, MISSED_RGB) < 0.95  # dashed: the colour with gaps
    # matched prediction P1 (drawn over the wider ground-truth line): orange
    assert _share(_edge_colours(pic, [110, 110, 310, 300]), PRED_RGB) > 0.5
    # unmatched prediction P2: purple dashes; no ground-truth colour on it
    p2 = _edge_colours(pic, [600, 100, 800, 250])
    assert 0.3 < _share(p2, UNMATCHED_RGB) < 0.95
    assert _share(p2, GT_RGB) == 0
    # nothing of the prediction colours far from every box
    blank = _edge_colours(pic, [400, 400, 500, 500])
    assert _share(blank, PRED_RGB) == 0 and _share(blank, GT_RGB) == 0


def test_perfect_match_still_shows_both_boxes():
    gt = [[200, 200, 600, 600]]
    pic = show("<think>x</think><answer>[{'Position': [200, 200, 600, 600], 'Confidence': 1}]</answer>", gt)
    px = np.asarray(pic)
    x, y1 = _to_px(pic, 560, 200)  # right part of the top edge, away from the labels
    column = [tuple(px[int(y1) + d, int(x)]) for d in range(-5, 6)]
    assert GT_RGB in column and PRED_RGB in column  # the two-colour edge


def test_wrong_frame_prediction_is_drawn_where_the_reward_put_it():
    # predictions in 0..1 read as norm1000: a tiny box at the origin, far from the ground truth
    gt = [[254, 303, 391, 465]]
    pic = show("<think>x</think><answer>[{'Position': [0.254, 0.303, 0.391, 0.465], 'Confidence': 0.9}]</answer>", gt)
    shapes = pic.info["rewardkit"]["shapes"]
    pred = [s for s in shapes if s["role"] == "pred"][0]
    assert pred["status"] == "unmatched"
    x0, y0 = _to_px(pic, 0, 0)
    assert abs(pred["rect"][0] - x0) < 2 and abs(pred["rect"][1] - y0) < 2
    px = np.asarray(pic)
    near = px[int(y0) - 8 : int(y0) + 9, int(x0) - 8 : int(x0) + 9].reshape(-1, 3)
    assert any(tuple(c) == UNMATCHED_RGB for c in near)  # the marker of a too-small box


def test_labels_never_overlap():
    boxes = ", ".join(f"{{'Position': [{10 * k}, {10 * k}, {10 * k + 80}, {10 * k + 80}], 'Confidence': 0.9}}" for k in range(25))
    pic = show(f"<think>spam</think><answer>[{boxes}]</answer>", [[100, 100, 400, 400], [500, 500, 600, 600]])
    rects = [lab["rect"] for lab in pic.info["rewardkit"]["labels"]]
    assert len(rects) == 27
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
        w, h = pic.size
        assert a[0] >= 0 and a[1] >= 0 and a[2] <= w and a[3] <= h


def test_matched_label_names_its_iou():
    pic = show("<think>x</think><answer>[[100, 100, 300, 300]]</answer>", [[100, 100, 300, 250]], reward="grounding.iou")
    texts = [lab["text"] for lab in pic.info["rewardkit"]["labels"]]
    assert any("IoU 0.75" in t and "GT1" in t for t in texts), texts


def test_mask_contours():
    gt = np.zeros((200, 300), bool)
    gt[50:150, 60:180] = True
    pic = show("<answer>[[100, 40, 260, 40, 260, 160, 100, 160]]</answer>", gt, reward="segmentation.mask_iou")
    px = np.asarray(pic)
    # the ground truth's left edge (x = 60) and the prediction's right edge (x = 260)
    xg, yg = _to_px(pic, 60, 100)
    xp, yp = _to_px(pic, 259.5, 100)
    assert GT_RGB in [tuple(px[int(yg), int(xg) + d]) for d in range(-2, 3)]
    assert PRED_RGB in [tuple(px[int(yp), int(xp) + d]) for d in range(-2, 3)]
    assert any("IoU" in lab["text"] for lab in pic.info["rewardkit"]["labels"])


def test_pose_skeleton_joints():
    kp = [[100 + 10 * i, 100 + 15 * i, 2] for i in range(17)]
    gt = {"keypoints": [v for r in kp for v in r], "bbox": [90, 90, 200, 280]}
    pred = [[x + 30, y, 2] for x, y, _ in kp]
    pic = show(f"<answer>{json.dumps(pred)}</answer>", gt, reward="pose.oks", image_size=(400, 500))
    px = np.asarray(pic)
    for (x, y, _), (qx, qy, _) in zip(kp[5:7], pred[5:7]):
        gx, gy = _to_px(pic, x, y)
        assert tuple(px[int(round(gy)), int(round(gx))]) == GT_RGB
        ox, oy = _to_px(pic, qx, qy)
        assert tuple(px[int(round(oy)), int(round(ox))]) == PRED_RGB
    assert any(lab["text"].startswith("OKS") for lab in pic.info["rewardkit"]["labels"])


def test_points_in_boxes():
    pic = show("<answer>[[150, 150], [800, 800]]</answer>", [[100, 100, 300, 300]], reward="point.in_box")
    px = np.asarray(pic)
    x, y = _to_px(pic, 150, 150)
    assert tuple(px[int(round(y)), int(round(x))]) == PRED_RGB
    statuses = {s["status"] for s in pic.info["rewardkit"]["shapes"] if s["role"] == "pred"}
    assert statuses == {"pred", "unmatched"}


def test_draws_on_the_image(tmp_path):
    img = Image.new("RGB", (320, 240), (200, 30, 30))
    path = tmp_path / "red.png"
    img.save(path)
    row = {"reward": "grounding.iou", "completion": "<answer>[0, 0, 100, 100]</answer>",
           "ground_truth": {"boxes": [[10, 10, 60, 60]], "frame": "pixel"}, "image": "red.png",
           "params": {"pred_frame": "pixel"}}  # fmt: skip
    pic = show_row(row, base_dir=tmp_path)
    px = np.asarray(pic)
    x, y = _to_px(pic, 250, 200)
    assert tuple(px[int(y), int(x)]) == (200, 30, 30)  # the photo shows where nothing is drawn
    assert _share(_edge_colours(pic, [10, 10, 60, 60]), GT_RGB) > 0.3


def test_image_size_mismatch_and_missing_image_are_written(tmp_path):
    Image.new("RGB", (320, 240), (90, 90, 90)).save(tmp_path / "a.png")
    base = {"reward": "grounding.iou", "completion": "<answer>[0, 0, 100, 100]</answer>", "ground_truth": [0, 0, 100, 100]}
    pic = show_row({**base, "image": "a.png", "image_size": [640, 640]}, base_dir=tmp_path)
    assert pic.size[1] > 100
    pic2 = show_row({**base, "images": ["nope.png"]}, base_dir=tmp_path)
    assert pic2.size[0] >= 560  # blank canvas, the note in the caption
    pic3 = show_row({**base, "image": "https://example.org/a.png"}, base_dir=tmp_path)
    assert pic3.size[0] >= 560


def test_text_reward_gives_a_caption():
    pic = show("<think>x</think><answer>Cardinal</answer>", "northern cardinal", reward="visual_rft.classification")
    assert pic.size[1] < 200  # no empty canvas for a class name


_GT_BY_TASK = {
    "detection": [[100, 100, 300, 300]],
    "grounding": [100, 100, 300, 300],
    "point": [[100, 100, 300, 300]],
    "classification": "cat",
    "counting": 3,
    "format": None,
    "segmentation": np.pad(np.ones((10, 10), bool), 10),
    "pose": {"keypoints": [10, 10, 2] * 17, "bbox": [0, 0, 50, 50]},
}
_HOSTILE = [
    "",
    "<answer>" + "[" * 5000 + "</answer>",
    "<think>x</think><answer>[{'Position': [nan, inf, -1e308, 1e308]}]</answer>",
    "<answer>" + ", ".join(["[1, 2, 3, 4]"] * 2000) + "</answer>",
    {"role": "assistant", "content": None},
    "\x00\ud800<answer>\u202e</answer>",
]


@pytest.mark.parametrize("name", sorted(__import__("rewardkit").list_rewards()))
def test_every_reward_draws_hostile_output(name):
    from rewardkit.registry import get_spec

    spec = get_spec(name)
    gt = _GT_BY_TASK.get(spec.task)
    if name == "pose.mpjpe":
        gt = [[0, 0, 0]] * 17
    if name == "point.in_mask":
        gt = _GT_BY_TASK["segmentation"]
    for c in _HOSTILE:
        pic = show(c, gt, reward=name, max_side=256)
        assert pic.size[0] > 0


def test_cli_show(tmp_path, capsys):
    out = tmp_path / "p.png"
    assert main(["show", str(EXAMPLES / "preds.jsonl"), "--line", "3", "-o", str(out)]) == 0
    assert Image.open(out).size[0] >= 560
    assert main(["show", str(EXAMPLES / "preds.jsonl"), "--id", "ex-046", "-o", str(tmp_path / "q.png"), "-q"]) == 0
    assert main(["show", str(EXAMPLES / "verl_rollouts.jsonl"), "--reward", "visual_rft.detection", "--line", "40",
                 "-o", str(tmp_path / "v.png"), "-q"]) == 0  # fmt: skip
    capsys.readouterr()
    for argv in (["--line", "52"], ["--line", "999"], ["--id", "nope"], ["--line", "53"], ["--line", "3", "--param", "iou_threshold=7"]):
        assert main(["show", str(EXAMPLES / "preds.jsonl"), "-o", str(tmp_path / "x.png"), *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith("rewardkit: error: ") and err.count("\n") == 1, err
    assert main(["show", str(EXAMPLES / "verl_rollouts.jsonl"), "-o", str(tmp_path / "x.png")]) == 2
    assert "--reward" in capsys.readouterr().err


def test_missing_pillow_names_the_extra(monkeypatch, capsys, tmp_path):
    import sys

    from rewardkit.viz._deps import require_matplotlib, require_pil

    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"rewardkit\[plot\]"):
        require_pil()
    assert main(["show", str(EXAMPLES / "preds.jsonl"), "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "rewardkit[plot]" in err and err.count("\n") == 1
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"rewardkit\[plot\]"):
        require_matplotlib()
