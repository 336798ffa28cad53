"""``rewardkit report``: a self-contained page (no request leaves it, only the pictures
it shows are embedded), per reward and over training steps; and the page opened in
headless Chromium: no console error, no network request, a screenshot that is not blank."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest

pytest.importorskip("PIL")
pytest.importorskip("matplotlib")

from PIL import Image  # noqa: E402

from rewardkit.cli import main  # noqa: E402
from rewardkit.viz import report as report_mod  # noqa: E402
from rewardkit.viz.report import build_report  # noqa: E402
from tests._helpers.browser import chromium_path, visit  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"


def _refs(page: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", page)


def _svg_text(page: str) -> str:
    """The text of every inlined SVG figure (axis labels, titles, legends)."""
    import base64

    return "\n".join(base64.b64decode(b).decode() for b in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", page))


def _check_self_contained(page: str) -> None:
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    for ref in _refs(page):
        assert ref.startswith(("data:", "#")), ref[:80]
    assert "<link" not in page and "@import" not in page and "url(" not in page


def test_report_on_raw_examples(tmp_path):
    out = tmp_path / "r.html"
    stats = build_report(EXAMPLES / "preds.jsonl", out, examples=1)
    page = out.read_text()
    _check_self_contained(page)
    assert stats.rows == 53 and stats.unreadable == 1
    assert stats.rewards["visual_rft.detection"] == 21
    # one best, one median, one worst per reward (fewer for rewards with fewer rows): all embedded
    n_png = page.count('src="data:image/png;base64,')
    assert n_png == stats.pictures > 10
    figs = _svg_text(page)
    assert "score (declared range [0, 3])" in figs  # the detection histogram's axis label
    assert "predicted boxes in the answer" in figs
    assert "no_answer_tag" in page and "(scored normally)" in page
    assert "Score against the number of predicted boxes" in page
    assert "Over training steps" not in page  # no step column


def test_report_on_verl_rollouts_with_steps(tmp_path):
    out = tmp_path / "v.html"
    stats = build_report(EXAMPLES / "verl_rollouts.jsonl", out, reward="visual_rft.detection", examples=2)
    page = out.read_text()
    _check_self_contained(page)
    assert stats.steps == 8 and stats.rewards == {"visual_rft.detection": 128}
    figs = _svg_text(page)
    assert "Over training steps" in page and "share of each reason per step" in figs
    assert "training step" in figs and "share of rows (%)" in figs
    assert "equals rewardkit's on all 128 rows" in page  # veRL's recorded score, recomputed
    assert page.count('src="data:image/png;base64,') == 6


def test_recorded_scores_differing_are_flagged(tmp_path):
    rows = [json.loads(line) for line in (EXAMPLES / "verl_rollouts.jsonl").read_text().splitlines()[:10]]
    for r in rows[:3]:
        r["score"] = r["score"] + 0.5
    f = tmp_path / "d.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in rows))
    build_report(f, tmp_path / "d.html", reward="visual_rft.detection", examples=0)
    assert "differs from rewardkit's on 3 of 10 rows" in (tmp_path / "d.html").read_text()


def test_report_on_scored_output_and_trl_table(tmp_path):
    scored = tmp_path / "s.jsonl"
    assert main(["score", str(EXAMPLES / "preds.jsonl"), "-o", str(scored), "-q"]) == 0
    stats = build_report(scored, tmp_path / "s.html", examples=1)
    page = (tmp_path / "s.html").read_text()
    assert stats.pictures == 0 and "no picture" in page  # no completion in the scored file
    assert stats.rewards["visual_rft.detection"] == 21
    # a TRL completions table: one column per reward function, reasons, steps
    rows = []
    for step in range(1, 5):
        for k in range(6):
            iou = min(1.0, 0.2 * step + 0.05 * k)
            rows.append({"step": step, "prompt": "p", "completion": "c", "advantage": 0.0,
                         "visual_rft.detection/iou": iou, "visual_rft.detection/confidence": 0.5, "visual_rft.detection/format": 1.0,
                         "visual_rft.detection/reason": None if k else "bad_format", "format.think_answer": 1.0})  # fmt: skip
    trl = tmp_path / "trl.jsonl"
    trl.write_text("\n".join(json.dumps(r) for r in rows))
    stats = build_report(trl, tmp_path / "t.html", examples=1)
    page = (tmp_path / "t.html").read_text()
    assert stats.rewards == {"visual_rft.detection": 24, "format.think_answer": 24} and stats.steps == 4
    assert "Over training steps" in page and "bad_format" in page


def test_only_the_shown_pictures_are_embedded(tmp_path):
    rows = [json.loads(line) for line in (EXAMPLES / "verl_rollouts.jsonl").read_text().splitlines()]
    big = tmp_path / "big.jsonl"
    with big.open("w") as fh:
        for i in range(16):
            for r in rows:
                fh.write(json.dumps({**r, "step": r["step"] + 8 * i}) + "\n")
    stats = build_report(big, tmp_path / "big.html", reward="visual_rft.detection", examples=2)
    page = (tmp_path / "big.html").read_text()
    assert stats.rows == 2048 and stats.pictures == 6
    assert page.count("data:image/png") == 6


def test_doctor_hook(tmp_path, monkeypatch):
    assert report_mod.doctor_verdict(EXAMPLES / "preds.jsonl", ["visual_rft.detection"]) is None
    monkeypatch.setattr(report_mod, "doctor_verdict", lambda path, rewards: ["frames: predictions look like norm1 <fix>"])
    build_report(EXAMPLES / "preds.jsonl", tmp_path / "r.html", examples=0)
    page = (tmp_path / "r.html").read_text()
    assert "doctor:" in page and "norm1 &lt;fix&gt;" in page


def test_cli_report(tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(EXAMPLES / "verl_rollouts.jsonl"), "--reward", "visual_rft.detection", "-o", str(out), "-q"]) == 0
    assert out.stat().st_size > 10_000
    capsys.readouterr()
    for argv in (["nope.jsonl"], [str(EXAMPLES / "preds.jsonl"), "--reward", "visual_rft.detectoin"], [str(EXAMPLES / "preds.jsonl"), "--examples", "99"]):
        assert main(["report", *argv, "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("rewardkit: error: ") and err.count("\n") == 1, err


# ----------------------------------------------------------------------------- the browser


def _need_browser() -> str:
    binary = chromium_path()
    if binary is None:
        if os.environ.get("REWARDKIT_REQUIRE_BROWSER"):
            pytest.fail("chromium is required here (REWARDKIT_REQUIRE_BROWSER is set) but was not found")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return binary


def _not_blank(png: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(png)).convert("RGB")
    small = im.resize((im.size[0] // 4, im.size[1] // 4))
    colours = small.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 200, "screenshot is (nearly) one colour"
    return im


@pytest.mark.parametrize("source, reward", [("preds.jsonl", None), ("verl_rollouts.jsonl", "visual_rft.detection")])
def test_report_in_headless_chromium(tmp_path, source, reward):
    binary = _need_browser()
    out = tmp_path / "report.html"
    build_report(EXAMPLES / source, out, reward=reward, examples=1)
    v = visit(out, binary=binary, width=1280, height=900)
    assert v.loaded
    assert v.console_errors == []
    assert v.network_requests == []
    assert v.requests and all(u.startswith(("file:", "data:")) for u in v.requests)
    im = _not_blank(v.screenshot)
    assert v.page_height > 2000 and im.size == (1280, v.page_height)
    # the header band is the report's blue; a picture further down holds the ground-truth blue too
    assert im.getpixel((5, 5)) == (0, 114, 178)
    px = im.resize((im.size[0] // 2, im.size[1] // 2)).getcolors(maxcolors=1 << 22)
    assert any(c == (230, 159, 0) for _, c in px)  # prediction orange of a drawn row


def test_browser_check_can_fail(tmp_path):
    """The same checks catch a page that requests the network and logs an error."""
    binary = _need_browser()
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><img src="http://127.0.0.1:9/x.png"><script>console.error("boom")</script></body></html>')
    v = visit(bad, binary=binary)
    assert v.network_requests == ["http://127.0.0.1:9/x.png"]
    assert any("boom" in e for e in v.console_errors)
    with pytest.raises(AssertionError, match="one colour"):
        _not_blank(v.screenshot)


def test_doctor_verdict_names_the_reading_of_a_file_in_another_dialect(tmp_path):
    """Qwen2.5-VL JSON in processor pixels, scored with the default reading (Visual-RFT,
    norm1000): the report's header carries doctor's verdict naming qwen2_5_vl."""
    from rewardkit.parsing.frames import qwen25vl_resize

    w, h = 800, 600
    rw, rh = qwen25vl_resize(w, h)
    rows = []
    for i in range(12):
        x1, y1 = 40 + 20 * i, 30 + 10 * i
        box = [x1, y1, x1 + 200, y1 + 150]
        pred = [round(box[0] * rw / w), round(box[1] * rh / h), round(box[2] * rw / w), round(box[3] * rh / h)]
        gt = [round(v / s * 1000) for v, s in zip(box, (w, h, w, h))]
        rows.append({"reward": "grounding.iou", "image_size": [w, h], "ground_truth": gt,
                     "completion": "```json\n" + json.dumps([{"bbox_2d": pred, "label": "cat"}]) + "\n```"})
    src = tmp_path / "qwen.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    verdict = report_mod.doctor_verdict(src, ["grounding.iou"])
    assert verdict and "qwen2_5_vl" in verdict[0]
    build_report(src, tmp_path / "r.html", examples=0)
    assert "qwen2_5_vl" in (tmp_path / "r.html").read_text()
