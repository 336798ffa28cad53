"""Differential tests: every ``compat=`` mode against a plain reading of the public code.

The functions ``public_*`` below restate each public reward function with the public
code's own tools (its regular expressions, ``json``, ``ast.literal_eval`` where it calls
``eval``, math-verify, pycocotools, torch), short and in the public code's order, read
from:

* Visual-RFT: github.com/Liuziyu77/Visual-RFT @ 94866331ff38c516581697882a00f947c8bfda8a
  (``src/virft/src/open_r1/grpo.py``, ``grpo_classification.py``, ``grpo_lisa.py``);
* VLM-R1: github.com/om-ai-lab/VLM-R1 @ 90052f478646e38bc67363862f699b7afca6b337
  (``vlm_modules/qwen_module.py``, ``grpo_jsonl.py``);
* Vision-R1: github.com/jefferyZhan/Griffon @ 9866875e7d18e705239f3e03115a55aef30ab635
  (``Vision-R1/vision_r1/visionr1_qwen.py``, ``griffon/coor_utils.py``);
* Seg-R1: github.com/geshang777/Seg-R1 (snapshot chenqiu1024/Seg-R1 @
  ca1256fae478fcf89cbcbfdfd8caef105d285bce, ``seg-r1/src/open_r1/grpo.py``);
* R1-V: github.com/Deep-Agent/R1-V @ bbbbe3dc1ea6a74ce31c118c1722b1ee73e372ba.

A seeded corpus of completions (tag variants, case, whitespace, several blocks,
cut-offs, inverted / float / zero-width boxes, fences, bare JSON, hostile values) is
scored both ways; the scores must agree on every input (Vision-R1: to 1e-6, its torch
float32 mean reduces in its own order).
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import random
import re

import numpy as np
import pytest

from rewardkit.registry import get_spec

math_verify = pytest.importorskip("math_verify")
json_repair = pytest.importorskip("json_repair")

SEED = 20261201
T = "<think>t</think>"


def R(name, completion, gt, **params):
    return get_spec(name).fn(completion, gt, **params)


# --------------------------------------------------------------------- public readings
def mv(content, sol):
    try:
        return float(math_verify.verify(math_verify.parse(content), math_verify.parse(sol))) > 0
    except Exception:
        return False


def public_format(c):
    return 1.0 if re.fullmatch(r"<think>.*?</think>\s*<answer>.*?</answer>", c, re.DOTALL) else 0.0


def vrft_extract_bbox(s):
    if "<answer>" not in s:
        return None
    a, b = s.find("<answer>") + 8, s.find("</answer>")
    body = s[a : b if b != -1 else len(s)]
    if not body.endswith("]"):
        body = body.rsplit("},", 1)[0] + "}]"
    try:
        return json.loads(body.replace("'", '"'))
    except json.JSONDecodeError:
        return None


def vrft_iou(b1, b2):
    x1, y1, x2, y2 = b1
    u1, v1, u2, v2 = b2
    ix1, iy1, ix2, iy2 = max(x1, u1), max(y1, v1), min(x2, u2), min(y2, v2)
    if ix2 <= ix1 or iy2 <= iy1:
        return 0.0
    inter = (ix2 - ix1) * (iy2 - iy1)
    return inter / ((x2 - x1) * (y2 - y1) + (u2 - u1) * (v2 - v1) - inter)


def public_vrft_detection(c, sol):
    if mv(c, sol):
        return 1.0, 1.0, public_format(c)
    try:
        m = re.search(r"<answer>(.*?)</answer>", c)
        s = "<answer>" + (m.group(1).strip() if m else c.strip()) + "</answer>"
        s = s.replace("[[", "[").replace("]]", "]").replace("\n", "")
        gt, pred = vrft_extract_bbox(sol.strip()), vrft_extract_bbox(s)
        if pred is None or type(pred[0]) is not dict:
            return 0.0, 0.0, public_format(c)
        seen, uniq = set(), []
        for p in pred:
            if tuple(p["Position"]) not in seen:
                seen.add(tuple(p["Position"]))
                uniq.append(p)
        used, res = set(), []
        for p in sorted(uniq, key=lambda x: x["Confidence"], reverse=True):
            best, k = 0, -1
            for i, g in enumerate(gt):
                if i not in used and vrft_iou(g["Position"], p["Position"]) > best:
                    best, k = vrft_iou(g["Position"], p["Position"]), i
            if best > 0.5:
                res.append((best, p["Confidence"]))
                used.add(k)
            else:
                res.append((0, p["Confidence"]))
        iou = conf = 0.0
        for v, cf in res:
            iou += v
            conf += (1 - v) * (1 - cf) if v == 0 else cf
        iou = iou / len(gt) if len(gt) >= len(res) else iou / len(res)
        conf = conf / len(res)
    except Exception:
        return 0.0, 0.0, public_format(c)
    return min(iou, 1.0) if iou > 1 else iou, (1.0 if conf > 1 else 0.0 if conf < 0 else conf), public_format(c)


def public_vrft_classification(c, sol):
    if mv(c, sol):
        return 1.0 + public_format(c)
    m = re.search(r"<answer>(.*?)</answer>", sol)
    gt = (m.group(1).strip() if m else sol.strip()).replace(" ", "").replace("_", "").lower()
    m = re.search(r"<answer>(.*?)</answer>", c)
    a = (m.group(1).strip() if m else c.strip()).replace(" ", "").replace("_", "").lower()
    return (1.0 if gt in a or a in gt else 0.0) + public_format(c)


def public_lisa(c, sol):
    if mv(c, sol):
        return 1.0
    m = re.search(r"<answer>(.*?)</answer>", sol)
    gt = m.group(1).strip() if m else sol.strip()
    m = re.search(r"<answer>(.*?)</answer>", c, re.DOTALL)
    a = m.group(1).strip() if m else c.strip()
    pat = r"\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*,\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)"
    try:
        def corners(t):
            ms = re.findall(pat, t)
            return [(int(p) / 1000, int(q) / 1000) for p, q, _, _ in ms] + [(int(r) / 1000, int(s) / 1000) for _, _, r, s in ms]
        g, s = corners(gt), corners(a)
        (a1, b1), (a2, b2), (c1, d1), (c2, d2) = g[0], g[1], s[0], s[1]
        inter = max(0, min(a2, c2) - max(a1, c1)) * max(0, min(b2, d2) - max(b1, d1))
        union = (a2 - a1) * (b2 - b1) + (c2 - c1) * (d2 - d1) - inter
        iou = inter / union if union > 0 else 0
        hull = (max(a2, c2) - min(a1, c1)) * (max(b2, d2) - min(b1, d1))
        reward = (iou - (hull - union) / hull if hull > 0 else iou) + 1
    except Exception:
        reward = 0.0
    return 2.0 if a == gt else reward


def public_r1v_count(c, sol):
    if mv(c, sol):
        return 1.0
    m, n = re.search(r"<answer>(.*?)</answer>", sol), re.search(r"<answer>(.*?)</answer>", c)
    return 1.0 if (n.group(1).strip() if n else c.strip()) == (m.group(1).strip() if m else sol.strip()) else 0.0


def vlm_iou(b1, b2):
    ix1, iy1 = max(b1[0], b2[0]), max(b1[1], b2[1])
    ix2, iy2 = min(b1[2] - 1, b2[2] - 1), min(b1[3] - 1, b2[3] - 1)
    inter = (ix2 - ix1 + 1) * (iy2 - iy1 + 1) if ix1 < ix2 and iy1 < iy2 else 0
    return float(inter) / ((b1[2] - b1[0]) * (b1[3] - b1[1]) + (b2[2] - b2[0]) * (b2[3] - b2[1]) - inter)


def public_rec(c, gt_box, resize=None):
    try:
        m = re.search(r"<answer>(.*?)</answer>", c, re.DOTALL)
        if m:
            b = re.search(r"\[(\d+),\s*(\d+),\s*(\d+),\s*(\d+)]", m.group(1).strip())
            if b:
                box = [int(b.group(k)) for k in range(1, 5)]
                if resize:
                    (iw, ih), (w, h) = resize
                    box = [box[0] / iw * w, box[1] / ih * h, box[2] / iw * w, box[3] / ih * h]
                return vlm_iou(box, gt_box)
    except Exception:
        pass
    return 0.0


def coco_map(preds, gts, score_type):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    cats, anns = {}, []
    for i, g in enumerate(gts):
        cats.setdefault(g["label"], len(cats))
        b = g["bbox_2d"]
        anns.append({"id": i + 1, "image_id": 0, "category_id": cats[g["label"]], "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]],
                     "area": (b[2] - b[0]) * (b[3] - b[1]), "iscrowd": 0})
    dts = []
    for p in preds:
        try:
            b = p["bbox_2d"]
            dts.append({"image_id": 0, "category_id": cats[p["label"]], "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]],
                        "score": 1.0, "area": (b[2] - b[0]) * (b[3] - b[1])})
        except Exception:
            pass
    if not dts:
        return 0.0
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = {"images": [{"id": 0, "width": 2048, "height": 2048}], "categories": [{"id": v, "name": k} for k, v in cats.items()], "annotations": anns}
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(dts), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return float(ev.stats[score_type])


def public_od(c, sol, score_type=0, length=False):
    ms = re.findall(r"<answer>(.*?)</answer>", c, re.DOTALL)
    student = ms[-1].strip() if ms else None
    gt_text = re.search(r"<answer>(.*?)</answer>", sol, re.DOTALL).group(1).strip()
    if student is None:
        return 0.0
    if gt_text == "None" and student == "None":
        return 1.0
    g = re.findall(r"```json(.*?)```", gt_text, re.DOTALL)
    gts = list(json.loads(g[-1].strip())) if g else []
    p = re.findall(r"```json(.*?)```", student, re.DOTALL)
    preds = []
    if p:
        try:
            preds = [x for x in json.loads(p[-1].strip())]
        except Exception:
            preds = []
    v = coco_map(preds, gts, score_type) if preds and gts else (1.0 if not preds and not gts else 0.0)
    return v * (1.0 if len(gts) >= len(preds) else len(gts) / len(preds)) if length else v


def vlm_clean(t):
    ms = re.findall(r"<answer>(.*?)</answer>", t, re.DOTALL)
    t = ms[-1] if ms else t
    for ch in "\n\r":
        t = re.sub(r"(?<=\s)" + re.escape(ch), "", t)
        t = re.sub(r"(?<!\s)" + re.escape(ch), " ", t)
    return t.strip().rstrip(".").lower()


def public_weighted_sum(c, sol):
    c, sol = vlm_clean(c), vlm_clean(sol)
    if sol == "none":
        return 1.0 if c == "none" else 0.0

    def boxes(t):
        m = re.search(r"```json(.*?)```", vlm_clean(t), re.DOTALL)
        try:
            return list(json.loads(m.group(1).strip())) if m and m.group(1).strip() else []
        except Exception:
            return []
    P, G = boxes(c), boxes(sol)
    if not P:
        return 0.0
    M = []
    for p in P:
        row = []
        for g in G:
            try:
                row.append(vlm_iou(p["bbox_2d"], g["bbox_2d"]))
            except Exception:
                row.append(0.0)
        M.append(row)
    up, ug, matches = list(range(len(P))), list(range(len(G))), []
    scope = {}
    while up and ug:
        best, bi, bj = -1, -1, -1
        for i in up:
            for j in ug:
                if M[i][j] > best:
                    best, bi, bj = M[i][j], i, j
        if best < 0.5:
            break
        try:
            scope["pl"] = P[bi]["label"].lower()
        except Exception:
            pass
        try:
            gl = G[bj]["label"].lower()
        except Exception:
            gl = ""
        if "pl" not in scope:
            return "raises"
        ok = scope["pl"] == gl
        matches.append((best if ok else 0, ok))
        up.remove(bi)
        ug.remove(bj)
    pos = sum(m[0] for m in matches) / len(G) if matches else 0.0
    comp = 1.0 - (len(ug) / len(G) + len(up) / len(P)) / 2.0
    return (0.7 * pos + 0.0 + 0.3 * comp) / 1.0


def public_repetition(c):
    if c == "":
        return 0.0
    m = re.search(r"```json(.*?)```", c, re.DOTALL)
    if m:
        t = m.group(1).strip()
    else:
        m = re.search(r"```(.*?)```", c, re.DOTALL)
        t = m.group(1).strip() if m else None
        if not t:
            m = re.search(r'\[\s*{.*?"bbox_2d".*?"label".*?}\s*\]', c, re.DOTALL)
            t = m.group(0) if m else None
    if t:
        try:
            data = json.loads(t)
        except json.JSONDecodeError:
            try:
                data = json.loads(json_repair.repair_json(t))
            except Exception:
                data = None
        if data and isinstance(data, list):
            try:
                items = [f"{x['bbox_2d']}_{x['label']}" for x in data if "bbox_2d" in x and "label" in x]
            except KeyError:
                items = None
            except Exception:
                return "raises"
            if items is not None:
                return 0.0 if not items else (1 - len(set(items)) / len(items)) * -1.0
    if len(c.split()) < 6:
        return 0.0
    w = c.lower().split()
    grams = list(zip(*[w[i:] for i in range(6)]))
    return (1 - len(set(grams)) / len(grams)) * -1.0


def vr1_extract(text):
    out = []
    try:
        lines = text.strip().splitlines()
        t = "\n".join(lines[1:]) if lines[0].startswith("```json") else text
        t = t.split("```")[0] if "```" in t else t
        data = json.loads(t)
    except Exception:
        data = None
    if isinstance(data, list):
        for item in data:
            try:
                name, box = item.get("label"), item.get("bbox_2d")
                if isinstance(box, list) and len(box) == 4:
                    box = [int(v) for v in box]
                    if box[0] < box[2] and box[1] < box[3]:
                        out.append((box, name))
            except Exception:
                continue
    if not out:
        pat = r'\{"bbox_2d": \[(\d{1,3}|1000), (\d{1,3}|1000), (\d{1,3}|1000), (\d{1,3}|1000)\], "label": "([^"]+)"\}'
        for *b, name in re.findall(pat, text):
            b = [int(v) for v in b]
            if b[0] < b[2] and b[1] < b[3]:
                out.append((b, name))
    return out


def public_vision_r1(c, gt_boxes, gt_labels):
    torch = pytest.importorskip("torch")
    from scipy.optimize import linear_sum_assignment

    try:
        data = json.loads(re.sub(r"```json\n|\n```", "", c).strip())
        df = 1.0
        if isinstance(data, list):
            for it in data:
                if isinstance(it, dict) and "bbox_2d" in it and "label" in it and not (isinstance(it["bbox_2d"], list) and len(it["bbox_2d"]) == 4):
                    df = 0.0
    except json.JSONDecodeError:
        df = 0.0
    dt = vr1_extract(c.strip())
    if not dt:
        return df, 0.0, 0.0
    ids = {}
    for lab in gt_labels:
        ids.setdefault(lab.lower(), len(ids) + 1)
    pid = []
    for _, name in dt:
        try:
            pid.append(ids[name.strip().lower()])
        except Exception:
            pid.append(0)
    P = torch.tensor([b for b, _ in dt], dtype=torch.float32)
    G = torch.tensor(gt_boxes, dtype=torch.float32)
    onehot = torch.zeros(len(dt), max(ids.values()) + 1)
    onehot[torch.arange(len(dt)), pid] = 1.0
    a1, a2 = (P[:, 2] - P[:, 0]) * (P[:, 3] - P[:, 1]), (G[:, 2] - G[:, 0]) * (G[:, 3] - G[:, 1])
    wh = (torch.min(P[:, None, 2:], G[:, 2:]) - torch.max(P[:, None, :2], G[:, :2])).clamp(min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    union = a1[:, None] + a2 - inter
    wh2 = (torch.max(P[:, None, 2:], G[:, 2:]) - torch.min(P[:, None, :2], G[:, :2])).clamp(min=0)
    hull = wh2[:, :, 0] * wh2[:, :, 1]
    giou = inter / union - (hull - union) / hull
    C = torch.cdist(P, G, p=1) + -onehot[:, [ids[g.lower()] for g in gt_labels]] + -giou
    r, k = linear_sum_assignment(C.numpy())
    g = giou[r, k]
    hits = g.clone()
    hits[hits < 0.5] = 0
    hits[hits > 0.5] = 1
    recall = float(sum(hits) / len(gt_boxes))
    recall = 0 if recall < 0 else 1 if recall > 1 else recall
    prec = g.clone()
    prec[prec < 0] = 0
    prec[prec > 1] = 1
    return df, recall, torch.mean(prec).item()


SEG_P = r"<points>\s*(\[\s*(?:\[\s*\d+\s*,\s*\d+\s*\]\s*,?\s*)+\])\s*</points>"
SEG_L = r"<labels>\s*(\[\s*(?:\d+\s*,?\s*)+\])\s*</labels>"
SEG_B = r"<bbox>\s*(\[\s*\d+\s*,\s*\d+\s*,\s*\d+\s*,\s*\d+\s*\])\s*</bbox>"


def public_seg_parse(c):
    pm, lm = re.search(SEG_P, c), re.search(SEG_L, c)
    try:
        p = np.array(ast.literal_eval(pm.group(1))) if pm else None
        lab = np.array(ast.literal_eval(lm.group(1))) if lm else None
        if p is not None and lab is not None and not (p.ndim == 2 and p.shape[1] == 2 and len(lab) == p.shape[0]):
            p, lab = None, None
        bb = [np.array(ast.literal_eval(s)) for s in re.findall(SEG_B, c)]
        return p, lab, (np.stack(bb) if bb else None)
    except Exception:
        return None, None, None


# --------------------------------------------------------------------- corpus pieces
def _num(rng):
    return rng.choice([rng.randint(0, 1000), rng.randint(0, 1000), round(rng.uniform(0, 1000), 1), "NaN", '"12"', -5, 0])


def _box(rng, base=None):
    if base is not None and rng.random() < 0.5:
        b = [v + rng.choice([0, 0, 3, -7, 40]) for v in base]
    else:
        x, y = rng.randint(0, 800), rng.randint(0, 800)
        b = [x, y, x + rng.randint(0, 200), y + rng.randint(0, 200)]
    r = rng.random()
    if r < 0.08:
        b = [b[2], b[3], b[0], b[1]]  # inverted
    elif r < 0.14:
        b = [b[0], b[1], b[0], b[3]]  # zero width
    elif r < 0.2:
        b = [b[0] + 0.5, b[1], b[2] + 0.25, b[3]]  # floats
    elif r < 0.24:
        b = b[:3]
    return b


def _wrap(rng, answer):
    think = rng.choice(["<think>t</think>", "<think>a\nb</think>\n", "", "<THINK>t</THINK>", "<think>t"])
    form = rng.random()
    if form < 0.55:
        body = f"{think}<answer>{answer}</answer>"
    elif form < 0.63:
        body = f"{think}<answer>\n{answer}\n</answer>"
    elif form < 0.7:
        body = f"{think}<ANSWER>{answer}</ANSWER>"
    elif form < 0.77:
        body = f"{think}<answer>{answer}"  # cut off
    elif form < 0.85:
        body = f"{think}<answer>{answer}</answer><answer>{rng.choice(['[]', 'x', answer[: len(answer) // 2]])}</answer>"
    elif form < 0.92:
        body = f"{think}{answer}"  # bare
    else:
        body = f"{think}<answer>{answer}</answer>" + rng.choice(["\n", " ", "\n\n", "."])
    return body


def _cut(rng, s):
    return s[: rng.randint(1, len(s))] if s and rng.random() < 0.12 else s


# --------------------------------------------------------------------- differential tests
def _agree(got, want, tol=0.0):
    if want == "raises":
        return got.reason == "public_code_raises"
    if isinstance(want, float) and want != want:
        return got.score != got.score
    return abs(float(got.score) - float(want)) <= tol


def test_visual_rft_detection_differential():
    rng = random.Random(SEED)
    n = 0
    for _ in range(700):
        gt = [_box(rng) for _ in range(rng.randint(0, 3))]
        gt = [[min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]) + 1, max(b[1], b[3]) + 1] for b in gt if len(b) == 4]
        gt = [[int(v) for v in b] for b in gt]
        items = []
        for _ in range(rng.randint(0, 4)):
            b = _box(rng, rng.choice(gt) if gt else None)
            conf = rng.choice([0.9, 0.5, 1, 0.1, 1.7, -0.2, "'0.9'", "NaN", None])
            it = "{" + f"'Position': {b}".replace("'", rng.choice(["'", '"'])) + ("" if conf is None else f", 'Confidence': {conf}") + "}"
            items.append(it)
            if rng.random() < 0.15:
                items.append(it)  # duplicate
        ans = _cut(rng, rng.choice(["[", "[["]) + ", ".join(items) + rng.choice(["]", "]]", ""]))
        if rng.random() < 0.05:
            ans = rng.choice(["[]", "No Objects", "[1, 2, 3, 4]", "{'Position': [1, 2, 3, 4]}", "7"])
        c = _wrap(rng, ans)
        sol = "<answer>[" + ", ".join(f"{{'Position': {b}, 'Confidence': 1}}" for b in gt) + "]</answer>"
        want = public_vrft_detection(c, sol)
        got = R("visual_rft.detection", c, gt, compat="visual_rft")
        assert _agree(got, sum(want)), (c, gt, want, got)
        n += 1
    assert n == 700


def test_visual_rft_classification_and_r1v_differential():
    rng = random.Random(SEED + 1)
    labels = ["rose", "tiger lily", "Boeing 737", "apple", "northern_cardinal", "3", "2012 BMW 1 Series"]
    for _ in range(500):
        gt = rng.choice(labels)
        ans = rng.choice([gt, gt.upper(), gt.replace(" ", "_"), gt[:3], "", "a", f"{gt} or daisy", "daisy", gt + "\n", "7"])
        c = _wrap(rng, ans)
        want = public_vrft_classification(c, f"<answer>{gt}</answer>")
        assert _agree(R("visual_rft.classification", c, gt, compat="visual_rft"), want), (c, gt)
        assert _agree(R("visual_rft.classification", c, gt, compat="substring"), want)
        k = rng.randint(0, 12)
        cnt = _wrap(rng, rng.choice([str(k), f" {k} ", f"{k}.", "three", f"{k} objects", f"{k + 1}", f"\\boxed{{{k}}}"]))
        assert _agree(R("count.exact", cnt, k, compat="r1_v"), public_r1v_count(cnt, f"<answer> {k} </answer>")), cnt
        assert _agree(R("format.think_answer", c, None, compat="r1_v"), public_format(c)), c


def test_lisa_differential():
    rng = random.Random(SEED + 2)
    for _ in range(400):
        x1, y1 = rng.randint(0, 800), rng.randint(0, 800)
        gt = [x1, y1, x1 + rng.randint(1, 200), y1 + rng.randint(1, 200)]
        b = _box(rng, gt)
        pair = rng.choice(["({},{}),({},{})", "( {} , {} ) , ( {} , {} )", "[{}, {}, {}, {}]", "({},{}),({},{}),(1,2),(3,4)"])
        ans = pair.format(*(b + [0])[:4]) if len(b) >= 4 else "(1,2)"
        if rng.random() < 0.1:
            ans = f"({gt[0]},{gt[1]}),({gt[2]},{gt[3]})"
        c = _wrap(rng, ans)
        sol = f"<answer> ({gt[0]},{gt[1]}),({gt[2]},{gt[3]}) </answer>"
        assert _agree(R("grounding.giou_plus_one", c, [gt], compat="visual_rft"), public_lisa(c, sol), 1e-12), c


def test_vlm_r1_rec_differential():
    rng = random.Random(SEED + 3)
    for _ in range(600):
        gt = [rng.randint(0, 500), rng.randint(0, 500)]
        gt += [gt[0] + rng.randint(1, 300), gt[1] + rng.randint(1, 300)]
        b = _box(rng, gt)
        fmt = rng.choice(["[{}, {}, {}, {}]", "[{},{},{},{}]", "[ {}, {}, {}, {} ]", '{{"bbox_2d": [{}, {}, {}, {}]}}',
                          "<|box_start|>({},{}),({},{})<|box_end|>", "[[{}, {}, {}, {}]]"])
        ans = fmt.format(*(list(b) + [0])[:4])
        c = _wrap(rng, ans)
        qwen = rng.random() < 0.3
        if qwen:
            from rewardkit.parsing.frames import qwen25vl_resize

            W, H = rng.randint(300, 1500), rng.randint(300, 1500)
            got = R("vlm_r1.rec_iou", c, [gt], compat="vlm_r1", pred_frame="qwen25vl", gt_frame="pixel", image_size=(W, H))
            want = public_rec(c, gt, (qwen25vl_resize(W, H), (W, H)))
        else:
            got, want = R("vlm_r1.rec_iou", c, [gt], compat="vlm_r1"), public_rec(c, gt)
        assert _agree(got, want), (c, gt)


def _od_items(rng, gt, labels):
    items = []
    for _ in range(rng.randint(0, 5)):
        k = rng.randrange(len(gt)) if gt else None
        b = _box(rng, gt[k] if k is not None else None)
        lab = rng.choice([labels[k] if k is not None else "cat", "cat", "Dog", None, 3])
        it = {"bbox_2d": b}
        if lab is not None:
            it["label"] = lab
        items.append(it)
    return items


def test_vlm_r1_od_weighted_sum_repetition_differential():
    rng = random.Random(SEED + 4)
    for _ in range(350):
        n = rng.randint(0, 3)
        gt = [[x, y, x + rng.randint(5, 200), y + rng.randint(5, 200)] for x, y in ((rng.randint(0, 700), rng.randint(0, 700)) for _ in range(n))]
        labels = [rng.choice(["cat", "dog"]) for _ in gt]
        items = _od_items(rng, gt, labels)
        raw = json.dumps(items).replace('"NaN"', "NaN")
        if rng.random() < 0.1:
            raw = raw.replace(", ", ",")
        payload = rng.choice([f"```json\n{raw}\n```", raw, f"```json\n{_cut(rng, raw)}\n```", "None", f"```\n{raw}\n```", f"```json\n{raw}\n``` and ```json\n[]\n```"])
        c = _wrap(rng, payload)
        gtd = {"boxes": gt, "labels": labels}
        sol = "<answer>None</answer>" if not gt else "<answer>```json\n" + json.dumps([{"bbox_2d": b, "label": lab} for b, lab in zip(gt, labels)]) + "\n```</answer>"
        assert _agree(R("vlm_r1.od_ap", c, gtd, compat="vlm_r1"), public_od(c, sol, 0), 1e-12), (c, gtd)
        assert _agree(R("vlm_r1.od_ap50", c, gtd, compat="vlm_r1"), public_od(c, sol, 1), 1e-12), (c, gtd)
        assert _agree(R("vlm_r1.od_length", c, gtd, compat="vlm_r1"), public_od(c, sol, 0, True), 1e-12), (c, gtd)
        assert _agree(R("vlm_r1.weighted_sum", c, gtd, compat="vlm_r1"), public_weighted_sum(c, sol), 1e-12), (c, gtd)
        rep = rng.choice([c, c + " " + c, f"```json\n[{raw[1:-1]}, {raw[1:-1]}]\n```", "a b c d e f a b c d e f g", "```json\n[1, 2]\n```",
                          '[ {"bbox_2d": [1, 2, 3, 4], "label": "a"}, {"bbox_2d": [1, 2, 3, 4], "label": "a"} ] tail', "```json\n[{'bbox_2d': [1,2,3,4], 'label': 'a'},\n```"])
        assert _agree(R("penalty.repetition", rep, None, compat="vlm_r1"), public_repetition(rep), 1e-12), rep


def test_vision_r1_differential():
    rng = random.Random(SEED + 5)
    for _ in range(300):
        n = rng.randint(1, 3)
        gt = [[x, y, x + rng.randint(5, 200), y + rng.randint(5, 200)] for x, y in ((rng.randint(0, 700), rng.randint(0, 700)) for _ in range(n))]
        labels = [rng.choice(["cat", "Dog"]) for _ in gt]
        items = []
        for _ in range(rng.randint(0, 5)):
            k = rng.randrange(n)
            b = _box(rng, gt[k])
            if rng.random() < 0.05:
                b = [str(v) for v in b]
            items.append({"bbox_2d": b, "label": rng.choice([labels[k], labels[k].upper() + " ", "bird", 7])})
        raw = json.dumps(items)
        if rng.random() < 0.25:
            raw = raw.replace(", ", ",").replace(": ", ":")
        payload = rng.choice([raw, f"```json\n{raw}\n```", _cut(rng, raw), f"<answer>{raw}</answer>", f"{T}{raw}", f"{raw}\n", "5", "{}"])
        want = public_vision_r1(payload, gt, labels)
        got = R("vision_r1.localization", payload, {"boxes": gt, "labels": labels}, compat="vision_r1", gt_frame="norm1000")
        assert abs(got.components["format"] - want[0]) == 0, payload
        assert abs(got.components["recall"] - want[1]) <= 1e-6, payload
        assert abs(got.components["precision"] - want[2]) <= 1e-6, payload
        assert R("vision_r1.dual_format", payload, {"boxes": gt, "labels": labels}, compat="vision_r1").score == want[0]


def test_seg_r1_reading_differential():
    rng = random.Random(SEED + 6)
    toks = ["<points>", "</points>", "<labels>", "</labels>", "<bbox>", "</bbox>", "[", "]", ",", " ", "1", "07", "0", "12", "\n",
            "\xa0", "\u0663", "[1,2]", "[3, 4]", "[1,2,3,4]", "[1.5,2,3,4]", "<think>", "</think>"]
    from rewardkit.parsing.public.seg_r1 import parse_custom_format

    def same(a, b):
        return (a is None and b is None) or (a is not None and b is not None and a.shape == b.shape and (a == b).all())

    for _ in range(3000):
        c = "".join(rng.choice(toks) for _ in range(rng.randint(1, 16)))
        assert all(same(a, b) for a, b in zip(parse_custom_format(c), public_seg_parse(c))), repr(c)
