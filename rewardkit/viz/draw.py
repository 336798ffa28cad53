"""Draw a :class:`~rewardkit.viz.scene.Scene` with Pillow.

Layout, top to bottom: the picture (the image or a blank canvas, with the area outside
the image shaded when a prediction falls outside it), then a legend and a caption
(reward, score on its range, components, reason, matching rule, frames, notes). The
caption never covers the picture. Labels are placed greedily around their shape and
never overlap each other; a label pushed away from its shape gets a leader line.

Colours: :mod:`rewardkit.viz.palette` (Okabe-Ito). Unmatched shapes are dashed, so the
status does not rest on colour alone. Every line has a white halo so it stays visible
on dark and light photos.

The returned image carries its layout in ``image.info["rewardkit"]`` (the canvas-to-
picture transform, label rectangles, shape outlines): tests use it to find where a shape
was drawn.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rewardkit.viz._deps import require_pil
from rewardkit.viz.palette import ROLE_COLOURS, ROLE_NAMES, hex_to_rgb
from rewardkit.viz.primitives import (
    _BLANK,
    _DASH,
    _GRID,
    _GT_LINE,
    _HALO,
    _LINE,
    _MARGIN,
    _OUTSIDE,
    _cross,
    _dashed_line,
    _dot,
    _draw_label,
    _Labels,
    _leader,
    _line,
    _mask_layer,
    _rect,
    _text_size,
    _Transform,
    font,
)
from rewardkit.viz.scene import COCO_SKELETON, Scene, Shape

__all__ = ["render", "font"]

# ----------------------------------------------------------------------------- caption


def _wrap(draw: Any, text: str, f: Any, width: int) -> list[str]:
    words = text.split(" ")
    lines: list[str] = []
    cur = ""
    for word in words:
        trial = word if not cur else cur + " " + word
        if _text_size(draw, trial, f)[0] <= width or not cur:
            cur = trial
        else:
            lines.append(cur)
            cur = word
    if cur:
        lines.append(cur)
    out = []
    for line in lines:  # a single over-long word: cut it
        while _text_size(draw, line, f)[0] > width and len(line) > 8:
            cut = max(8, int(len(line) * width / max(1, _text_size(draw, line, f)[0])) - 1)
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return out


def _fmt(v: float) -> str:
    if v != v:
        return "nan"
    return f"{v:.3f}".rstrip("0").rstrip(".") if abs(v) < 1000 else f"{v:.0f}"


def _caption_lines(scene: Scene, title: str | None) -> list[tuple[str, bool]]:
    res = scene.result
    lo, hi = scene.range
    score = "None (does not apply)" if res.score is None else _fmt(res.score)
    lines: list[tuple[str, bool]] = []
    if title:
        lines.append((title, True))
    lines.append((f"{scene.reward}   score {score} on [{_fmt(lo)}, {_fmt(hi)}]   reason: {res.reason or _DASH}", True))
    if res.components:
        lines.append(("components: " + " \u00b7 ".join(f"{k} {_fmt(v)}" for k, v in res.components.items()), False))
    n_p = sum(1 for s in scene.preds if s.role == "pred")
    n_g = len(scene.gts)
    if scene.preds or scene.gts:
        matched = sum(1 for s in scene.preds if s.matched)
        counts = f"{n_p} predicted, {n_g} ground truth"
        if scene.matching:
            counts += f", {matched} matched: {scene.matching}"
        lines.append((counts, False))
    if scene.answer is not None or scene.expected is not None:
        lines.append((f"answer: {scene.answer!r}" + (f"   expected: {scene.expected!r}" if scene.expected is not None else ""), False))
    fr = scene.frames
    parts = []
    if "pred_frame" in fr:
        parts.append(f"pred {fr['pred_frame']} \u2192 gt {fr.get('gt_frame')}")
    if fr.get("image_size") is not None:
        w, h = fr["image_size"]
        parts.append(f"image_size {w}\u00d7{h}")
    if "canvas" in fr:
        parts.append(fr["canvas"])
    if fr.get("answer"):
        parts.append(f"answer read from the {fr['answer']}")
    for key in ("dialect", "reading"):
        if fr.get(key) is not None:
            parts.append(f"{key} {fr[key]}")
    if parts:
        lines.append(("frames: " + "; ".join(parts), False))
    for note in scene.notes:
        lines.append(("note: " + note, False))
    return lines


# ----------------------------------------------------------------------------- render


def _view(scene: Scene) -> tuple[tuple[float, float, float, float], tuple[float, float, float, float] | None]:
    """(visible rectangle, image rectangle) in canvas units."""
    frame = (0.0, 0.0, scene.frame_size[0], scene.frame_size[1]) if scene.frame_size else None
    b = scene.shape_bounds()
    if frame is None and b is None:
        return (0.0, 0.0, 1000.0, 1000.0), None
    if frame is None:
        assert b is not None
        x2, y2 = max(b[2], 1.0), max(b[3], 1.0)
        x1, y1 = min(b[0], 0.0), min(b[1], 0.0)
        pad = 0.05 * max(x2 - x1, y2 - y1)
        return (x1 - (pad if x1 < 0 else 0), y1 - (pad if y1 < 0 else 0), x2 + pad, y2 + pad), None
    if b is None:
        return frame, frame
    fw, fh = frame[2], frame[3]
    # shapes outside the image widen the view, at most by the image's size on each side
    x1 = max(min(b[0], 0.0), -fw)
    y1 = max(min(b[1], 0.0), -fh)
    x2 = min(max(b[2], fw), 2 * fw)
    y2 = min(max(b[3], fh), 2 * fh)
    if (x1, y1, x2, y2) != frame:
        pad = 0.02 * max(x2 - x1, y2 - y1)
        x1 -= pad if x1 < 0 else 0
        y1 -= pad if y1 < 0 else 0
        x2 += pad if x2 > fw else 0
        y2 += pad if y2 > fh else 0
    return (x1, y1, x2, y2), frame


def render(scene: Scene, image: Any = None, *, max_side: int = 768, title: str | None = None) -> Any:
    """Draw ``scene`` on ``image`` or on a blank canvas.

    ``image`` is a PIL image, stretched over the image rectangle of the canvas.

    Args:
        scene: What to draw (:func:`rewardkit.viz.scene.build_scene`).
        image: A PIL image, or None for a blank canvas.
        max_side: The picture's longer side in pixels (64 to 4096).
        title: A first caption line, or None.

    Returns:
        The PIL image.

    Raises:
        ValueError: ``max_side`` out of range.
        ImportError: Pillow is missing (the ``plot`` extra).
    """
    require_pil()
    from PIL import Image, ImageDraw

    if not (64 <= int(max_side) <= 4096):
        raise ValueError(f"Expected max_side in [64, 4096], but got {max_side!r}")
    if image is not None and scene.frame_size is None:
        scene.frame_size = (float(image.size[0]), float(image.size[1]))
    view, frame = _view(scene)
    vw, vh = max(view[2] - view[0], 1e-9), max(view[3] - view[1], 1e-9)
    s = int(max_side) / max(vw, vh)
    pw, ph = int(round(vw * s)), int(round(vh * s))
    text_only = image is None and scene.shape_bounds() is None and scene.frame_size is None
    if text_only:  # nothing to draw (a class name, a count): the caption alone
        pw, ph = 0, -2 * _MARGIN
    t = _Transform(view, s, _MARGIN)
    f_label = font(13)
    f_cap = font(14)
    f_bold = font(15, bold=True)
    width = max(pw + 2 * _MARGIN, 560)
    probe = ImageDraw.Draw(Image.new("RGB", (8, 8)))
    cap_lines = []
    for text, bold in _caption_lines(scene, title):
        f = f_bold if bold else f_cap
        cap_lines.extend((line, f) for line in _wrap(probe, text, f, width - 2 * _MARGIN))
    legend = _legend_entries(scene)
    line_h = 20
    legend_h = _legend_height(probe, legend, f_cap, width) if legend else 0
    cap_h = 10 + legend_h + line_h * len(cap_lines) + 10
    pic_h = ph + 2 * _MARGIN
    out = Image.new("RGB", (width, pic_h + cap_h), (255, 255, 255))
    ox = (width - (pw + 2 * _MARGIN)) // 2  # centre a narrow picture
    t.m = _MARGIN
    t.x0 -= ox / s
    draw = ImageDraw.Draw(out)
    # picture: outside-the-image shade, the image or a blank canvas with a grid
    if not text_only:
        draw.rectangle((ox + _MARGIN, _MARGIN, ox + _MARGIN + pw, _MARGIN + ph), fill=_OUTSIDE if frame is not None else _BLANK)
    if frame is not None:
        fr = t.rect(frame)
        box = tuple(int(round(v)) for v in fr)
        if image is not None:
            im = image.convert("RGB").resize((max(1, box[2] - box[0]), max(1, box[3] - box[1])), Image.BILINEAR)
            out.paste(im, box[:2])
        else:
            draw.rectangle(box, fill=_BLANK)
            _grid(draw, t, frame)
        draw.rectangle((box[0] - 1, box[1] - 1, box[2] + 1, box[3] + 1), outline=(90, 90, 90), width=1)
    elif not text_only:
        _grid(draw, t, view)
    layout: dict[str, Any] = {"transform": {"x0": t.x0, "y0": t.y0, "scale": s, "margin": t.m}, "shapes": [], "labels": [],
                              "picture": (0, 0, width, pic_h)}  # fmt: skip
    # masks under everything, then boxes, links, points and poses
    for shape in (*scene.gts, *scene.preds):
        if shape.kind == "mask":
            colour = hex_to_rgb(ROLE_COLOURS[shape.status])
            _mask_layer(out, np.asarray(shape.data, dtype=bool), t, colour, out.size, 0.28 if shape.role == "gt" else 0.22)
            draw = ImageDraw.Draw(out)
            layout["shapes"].append({"role": shape.role, "status": shape.status, "kind": "mask", "rect": t.rect(shape.bounds() or (0, 0, 0, 0))})
    anchors: list[tuple[tuple[float, float, float, float], str, str]] = []
    paired = {lk.pred: lk for lk in scene.links if lk.pred < len(scene.preds) and scene.preds[lk.pred].kind in ("box", "point")}
    link_anchors = []
    shapes = sorted((*scene.prompts, *scene.gts, *scene.preds), key=lambda sh: sh.kind in ("point", "pose"))
    for shape in shapes:
        if shape.kind in ("point", "pose") and not link_anchors:
            link_anchors = _draw_links(draw, scene, t) or [None]  # links under points and joints
        if shape.role == "pred" and shape.index in paired:
            lk = paired[shape.index]
            gt_name = (scene.gts[lk.gt].label or "").split(" ")[0] if lk.gt < len(scene.gts) else ""
            shape = Shape(shape.kind, shape.role, shape.index, shape.data, f"{shape.label} \u2192 {gt_name} {lk.text}".replace("  ", " "), shape.matched)
        if shape.kind == "mask":
            anchors.append((t.rect(shape.bounds() or (0, 0, 0, 0)), shape.label or "", ROLE_COLOURS[shape.status]))
            continue
        colour_hex = ROLE_COLOURS[shape.status]
        colour = hex_to_rgb(colour_hex)
        dashed = shape.matched is False
        if shape.kind == "box":
            r = t.rect(shape.data)
            # ground truth is drawn wider and first: a prediction on top of it leaves
            # a two-colour edge, so a perfect match still shows both boxes
            _rect(draw, r, colour, dashed, width={"gt": _GT_LINE, "prompt": 2}.get(shape.role, _LINE))
            layout["shapes"].append({"role": shape.role, "status": shape.status, "kind": "box", "rect": r})
            if r[2] - r[0] < 5 or r[3] - r[1] < 5:  # a box too small to see: mark where it is
                c = ((r[0] + r[2]) / 2, (r[1] + r[3]) / 2)
                (_cross if dashed else _dot)(draw, c, 7 if dashed else 5, colour)
                r = (c[0] - 7, c[1] - 7, c[0] + 7, c[1] + 7)
            anchors.append((r, shape.label or "", colour_hex))
        elif shape.kind == "point":
            c = t.xy(*shape.data)
            if shape.role == "prompt":
                _dot(draw, c, 5, colour, filled=shape.matched is not False)
            elif dashed:
                _cross(draw, c, 7, colour)
            else:
                _dot(draw, c, 6, colour)
            anchors.append(((c[0] - 7, c[1] - 7, c[0] + 7, c[1] + 7), shape.label or "", colour_hex))
            layout["shapes"].append({"role": shape.role, "status": shape.status, "kind": "point", "xy": c})
        elif shape.kind == "pose":
            pts = [t.xy(x, y) if np.isfinite(x) and np.isfinite(y) else None for x, y in np.asarray(shape.data, dtype=np.float64)]
            _skeleton(draw, pts, colour, dashed)
            b = shape.bounds()
            if b is not None:
                anchors.append((t.rect(b), shape.label or "", colour_hex))
            layout["shapes"].append({"role": shape.role, "status": shape.status, "kind": "pose", "points": pts})
    if not link_anchors:
        link_anchors = _draw_links(draw, scene, t)
    link_anchors = [a for a in link_anchors if a is not None]
    # labels last, on top, never overlapping each other: place all, then draw the
    # leader lines, then the labels (so no leader crosses a label)
    labels = _Labels(width, pic_h)
    placed = []
    for anchor, text, colour_hex in [*anchors, *link_anchors]:
        if not text:
            continue
        w, h = _text_size(draw, text, f_label)
        r, away = labels.place(anchor, w + 6, h + 4)
        placed.append((r, text, colour_hex or None, ((anchor[0] + anchor[2]) / 2, (anchor[1] + anchor[3]) / 2) if away else None))
    for r, _, colour_hex, leader in placed:
        if leader is not None:
            _leader(draw, r, leader, colour_hex)
    for r, text, colour_hex, _ in placed:
        _draw_label(draw, r, text, colour_hex, f_label)
        layout["labels"].append({"text": text, "rect": r})
    # legend and caption
    y = pic_h + 6
    if not text_only:
        draw.line([(_MARGIN, pic_h), (width - _MARGIN, pic_h)], fill=(200, 200, 200), width=1)
    if legend:
        y = _draw_legend(draw, legend, f_cap, width, y)
    for text, f in cap_lines:
        draw.text((_MARGIN, y), text, fill=(20, 20, 20), font=f)
        y += line_h
    out.info["rewardkit"] = layout
    return out


def _grid(draw: Any, t: _Transform, rect: tuple[float, float, float, float]) -> None:
    """A light grid (10 divisions) so a blank canvas shows its scale."""
    x1, y1, x2, y2 = t.rect(rect)
    for k in range(1, 10):
        gx = x1 + (x2 - x1) * k / 10
        gy = y1 + (y2 - y1) * k / 10
        draw.line([(gx, y1), (gx, y2)], fill=_GRID, width=1)
        draw.line([(x1, gy), (x2, gy)], fill=_GRID, width=1)


def _skeleton(draw: Any, pts: list[tuple[float, float] | None], colour: tuple[int, int, int], dashed: bool) -> None:
    if len(pts) == 17:
        for a, b in COCO_SKELETON:
            if pts[a] is not None and pts[b] is not None:
                _line(draw, [pts[a], pts[b]], colour, _LINE, dashed)
    for p in pts:
        if p is not None:
            _dot(draw, p, 4, colour)


def _centre(shape: Shape, t: _Transform) -> tuple[float, float] | None:
    b = shape.bounds()
    if b is None:
        return None
    if shape.kind == "point":
        return t.xy(b[0], b[1])
    r = t.rect(b)
    return ((r[0] + r[2]) / 2, (r[1] + r[3]) / 2)


def _draw_links(draw: Any, scene: Scene, t: _Transform) -> list[tuple[tuple[float, float, float, float], str, str]]:
    anchors = []
    for link in scene.links:
        if link.pred >= len(scene.preds) or link.gt >= len(scene.gts):
            continue
        p, g = scene.preds[link.pred], scene.gts[link.gt]
        if p.kind == "pose" and g.kind == "pose":
            pp = np.asarray(p.data, dtype=np.float64)
            gg = np.asarray(g.data, dtype=np.float64)
            for a, b in zip(pp, gg):
                if np.all(np.isfinite(a)) and np.all(np.isfinite(b)):
                    draw.line([t.xy(*a), t.xy(*b)], fill=(60, 60, 60), width=1)
        a, b = _centre(p, t), _centre(g, t)
        if a is None or b is None:
            continue
        if p.kind in ("box", "point"):
            if math.hypot(a[0] - b[0], a[1] - b[1]) > 4:
                draw.line([a, b], fill=_HALO, width=4)
                draw.line([a, b], fill=hex_to_rgb(ROLE_COLOURS["link"]), width=2)
            continue  # the overlap is written in the prediction's label
        mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
        anchors.append(((mx - 2, my - 2, mx + 2, my + 2), link.text, ""))
    return anchors


def _legend_entries(scene: Scene) -> list[tuple[str, str, bool, str]]:
    """(role, text, dashed, kind) of what the picture shows."""
    seen: dict[str, tuple[str, str, bool, str]] = {}
    for s in (*scene.gts, *scene.preds, *scene.prompts):
        st = s.status
        if st not in seen:
            seen[st] = (st, ROLE_NAMES[st] if s.matched is not None or s.role == "prompt" else ("ground truth" if s.role == "gt" else "prediction"), s.matched is False, s.kind)
    if scene.links and any(p.kind in ("box", "point") for p in scene.preds):
        seen["link"] = ("link", "matched pair (" + scene.links[0].text.split(" ")[0] + ")", False, "link")
    order = ["gt", "missed", "pred", "unmatched", "prompt", "link"]
    return [seen[k] for k in order if k in seen]


def _legend_items(draw: Any, entries: list[tuple[str, str, bool, str]], f: Any) -> list[tuple[tuple[str, str, bool, str], int]]:
    return [(e, 34 + _text_size(draw, e[1], f)[0] + 18) for e in entries]


def _legend_height(draw: Any, entries: list[tuple[str, str, bool, str]], f: Any, width: int) -> int:
    rows, x = 1, _MARGIN
    for _, w in _legend_items(draw, entries, f):
        if x + w > width - _MARGIN and x > _MARGIN:
            rows += 1
            x = _MARGIN
        x += w
    return rows * 22 + 4


def _draw_legend(draw: Any, entries: list[tuple[str, str, bool, str]], f: Any, width: int, y: int) -> int:
    x = _MARGIN
    for (role, text, dashed, kind), w in _legend_items(draw, entries, f):
        if x + w > width - _MARGIN and x > _MARGIN:
            x = _MARGIN
            y += 22
        colour = hex_to_rgb(ROLE_COLOURS[role])
        cy = y + 9
        if kind == "point" and role in ("pred", "unmatched"):
            (_cross if dashed else _dot)(draw, (x + 14, cy), 6, colour)
        elif kind == "mask":
            draw.rectangle((x, cy - 7, x + 28, cy + 7), fill=tuple(int(255 - (255 - c) * 0.3) for c in colour), outline=colour, width=3)
        elif dashed:
            _dashed_line(draw, (x, cy), (x + 28, cy), colour, 3, dash=7, gap=4)
        else:
            draw.line([(x, cy), (x + 28, cy)], fill=colour, width=2 if role == "link" else 3)
        draw.text((x + 34, y), text, fill=(20, 20, 20), font=f)
        x += w
    return y + 26
