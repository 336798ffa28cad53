"""The batch check of compressed COCO RLE strings (rewardkit.parsing.rle_batch): same
verdicts as the single-string reader, areas equal to pycocotools', chunking invisible,
and every malformed form that would stall or crash pycocotools refused."""

from __future__ import annotations

import random

import numpy as np
import pytest
from pycocotools import mask as mu

from rewardkit.parsing import rle_batch
from rewardkit.parsing.masks import MaskError, rle_counts
from rewardkit.parsing.rle_batch import compressed_rles_check


def _encode(runs: list[int]) -> bytes:
    """Runs to a compressed string, as pycocotools' ``rleToString`` (maskApi.c) writes
    them: from the fourth run on the difference to the run two places before; 5 bits per
    character from the low end, 0x20 = more characters follow, sign in bit 0x10."""
    out = bytearray()
    for i, c in enumerate(runs):
        x = c - runs[i - 2] if i > 2 else c
        more = True
        while more:
            ch = x & 0x1F
            x >>= 5
            more = (x != -1) if ch & 0x10 else (x != 0)
            if more:
                ch |= 0x20
            out.append(ch + 48)
    return bytes(out)


def _single(s, h, w):
    try:
        c = rle_counts(s, h, w)
    except MaskError:
        return False, 0
    return True, int(c[1::2].sum())


def _corpus(n: int, seed: int):
    """Valid strings of random and blob masks (some of large images: runs of several
    characters), and corrupted ones: a character changed, one appended, the last one
    dropped, continuation characters inserted, the wrong size."""
    rng, r = np.random.default_rng(seed), random.Random(seed)
    out = []
    for _ in range(n):
        h, w = (int(v) for v in rng.integers(0, 40, 2))
        if r.random() < 0.05:
            h, w = int(rng.integers(300, 1500)), int(rng.integers(300, 1500))
        m = rng.random((h, w)) < rng.random()
        if r.random() < 0.5 and h and w:
            m = np.zeros((h, w), bool)
            y0, x0 = r.randrange(h), r.randrange(w)
            m[y0 : y0 + r.randrange(h), x0 : x0 + r.randrange(w)] = True
        s = mu.encode(np.asfortranarray(m.astype(np.uint8)))["counts"]
        u, hh = r.random(), h
        if u < 0.3 and s:
            b = bytearray(s)
            b[r.randrange(len(b))] = r.choice([r.randint(40, 120), r.randint(80, 111), r.randint(48, 79), 0])
            s = bytes(b)
        elif u < 0.4:
            s = s + bytes([r.randint(48, 111)])
        elif u < 0.45:
            hh = h + 1
        elif u < 0.5:
            s = s[:-1]
        elif u < 0.55 and len(s) > 3:
            i = r.randrange(len(s))
            s = s[:i] + bytes([r.randint(80, 111)]) * r.randint(1, 8) + s[i:]
        out.append((s.decode("latin-1") if r.random() < 0.5 else s, hh, w))
    return out


def test_agrees_with_the_single_reader_and_pycocotools_area():
    items = _corpus(3000, seed=3)
    ok, area = compressed_rles_check([s for s, *_ in items], np.array([(h, w) for _, h, w in items]))
    for (s, h, w), o, a in zip(items, ok.tolist(), area.tolist()):
        b = s.encode("latin-1") if isinstance(s, str) else s
        if not b.isascii():  # non-ASCII str: refused by both (rle_counts: not ASCII)
            assert not o
            continue
        assert (o, a) == _single(b, h, w), (b[:40], h, w)
    assert 0.2 < ok.mean() < 0.8  # both kinds were drawn
    valid = [(s, h, w) for (s, h, w), o in zip(items, ok.tolist()) if o]
    rles = [{"size": [h, w], "counts": s.encode("latin-1") if isinstance(s, str) else s} for s, h, w in valid]
    pyco = np.concatenate([mu.area(rles[i : i + 200]) for i in range(0, len(rles), 200)])
    assert np.array_equal(pyco.astype(np.int64), area[ok])


@pytest.mark.parametrize(("chunk", "short"), [(64, 1 << 16), (7, 2), (1, 0), (1 << 20, 4)])
def test_chunking_and_the_long_string_path_change_nothing(monkeypatch, chunk, short):
    items = _corpus(800, seed=5)
    counts, hw = [s for s, *_ in items], np.array([(h, w) for _, h, w in items])
    ok, area = compressed_rles_check(counts, hw)
    monkeypatch.setattr(rle_batch, "_CHUNK_CHARS", chunk)
    monkeypatch.setattr(rle_batch, "_SHORT", short)
    ok2, area2 = compressed_rles_check(counts, hw)
    assert np.array_equal(ok, ok2) and np.array_equal(area, area2)


@pytest.mark.parametrize(
    ("counts", "h", "w", "expected"),
    [
        (_encode([4, 4, 4]), 3, 4, (True, 4)),
        (_encode([0, 12]), 3, 4, (True, 12)),
        (_encode([100000, 5, 200, 7, 100000]), 4, 50053, (True, 12)),  # several characters per run
        (_encode([6, -2, 4, 4]), 3, 4, (False, 0)),  # sums to h*w, one run negative (pycocotools stalls)
        (_encode([20, -8]), 3, 4, (False, 0)),
        (_encode([4, 4, 3]), 3, 4, (False, 0)),  # short: rleIou loops forever
        (_encode([4, 4, 5]), 3, 4, (False, 0)),
        (_encode([4, 4, 4])[:-1] + b"P", 3, 4, (False, 0)),  # ends inside a run (C reads past the end)
        (b"4" + b"\x004", 3, 4, (False, 0)),  # NUL ends the C string early
        ("4\u00e94", 3, 4, (False, 0)),  # not ASCII
        (b"\\" + b"P" * 5 + b"0", 3, 4, (False, 0)),  # 12 written with 7 characters (beyond 30 bits)
        (b"", 0, 5, (True, 0)),  # an empty image
        (b"", 3, 4, (False, 0)),
    ],
)
def test_hand_made_strings(counts, h, w, expected):
    ok, area = compressed_rles_check([counts], np.array([[h, w]]))
    assert (bool(ok[0]), int(area[0])) == expected


def test_bytes_and_str_mixed_and_the_length_limit(monkeypatch):
    good = _encode([4, 4, 4])
    ok, area = compressed_rles_check([good, good.decode(), bytearray(good)], np.array([[3, 4]] * 3))
    assert ok.tolist() == [True] * 3 and area.tolist() == [4] * 3
    monkeypatch.setattr(rle_batch, "MAX_RLE_RUNS", 2)
    ok, _ = compressed_rles_check([good, b"<"], np.array([[3, 4], [1, 12]]))
    assert ok.tolist() == [False, True]


def test_the_test_encoder_writes_what_pycocotools_writes():
    rng = np.random.default_rng(0)
    for _ in range(50):
        h, w = (int(v) for v in rng.integers(1, 300, 2))
        m = np.zeros((h, w), np.uint8)
        m[rng.integers(0, h) :, rng.integers(0, w) :] = 1
        s = mu.encode(np.asfortranarray(m))["counts"]
        assert _encode(rle_counts(s, h, w).tolist()) == s


def test_counts_that_are_not_strings_raise_type_error():
    with pytest.raises(TypeError, match="str or bytes"):
        compressed_rles_check(["52203", [4, 4, 4]], np.array([[3, 4], [3, 4]]))


def test_coco_results_mixing_compressed_and_uncompressed_rles_are_read_item_by_item():
    from rewardkit.metrics.coco import coco_evaluate

    gt = {"images": [{"id": 1, "width": 4, "height": 3}], "categories": [{"id": 1}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 4, "iscrowd": 0,
                           "segmentation": {"size": [3, 4], "counts": [4, 4, 4]}, "bbox": [1, 1, 2, 2]}]}
    good = {"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": {"size": [3, 4], "counts": _encode([4, 4, 4]).decode()}}
    listed = {"image_id": 1, "category_id": 1, "score": 0.8, "segmentation": {"size": [3, 4], "counts": [4, 4, 4]}}
    same = dict(listed, segmentation=good["segmentation"])  # the same mask, compressed
    assert coco_evaluate(gt, [good, listed], iou_type="segm")["stats"] == coco_evaluate(gt, [good, same], iou_type="segm")["stats"]
    short = {"image_id": 1, "category_id": 1, "score": 0.7, "segmentation": {"size": [3, 4], "counts": [4, 4, 3]}}
    with pytest.raises(ValueError, match="result 2"):
        coco_evaluate(gt, [good, listed, short], iou_type="segm")
