"""Regenerate the pictures of ``docs/look.md`` (never edit them by hand).

* ``docs/img/show-photo.png`` and ``docs/img/show-frame.png``: ``rewardkit show`` on rows
  1 and 3 of ``examples/data/photo.jsonl`` (a public-domain photograph shipped with
  matplotlib's sample data: Grace Hopper, US Navy);
* ``docs/img/report.png``: the top of ``rewardkit report`` on
  ``examples/data/verl_rollouts.jsonl``, screenshot by headless Chromium (Debian's
  ``chromium``), with the same checks as the browser test (no console error, no request).

    python scripts/docs_pictures.py
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from rewardkit.cli.show import find_row  # noqa: E402
from rewardkit.viz.report import build_report  # noqa: E402
from rewardkit.viz.show import show_row  # noqa: E402
from tests._helpers.browser import visit  # noqa: E402

DATA = ROOT / "examples" / "data"
IMG = ROOT / "docs" / "img"


def main() -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    for line, name in ((1, "show-photo.png"), (3, "show-frame.png")):
        _, row = find_row(DATA / "photo.jsonl", line)
        pic = show_row(row, base_dir=DATA, max_side=560, title=f"photo.jsonl, line {line}")
        pic.save(IMG / name, optimize=True)
        print(f"wrote {IMG / name} {pic.size}")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        build_report(DATA / "verl_rollouts.jsonl", page, reward="visual_rft.detection", examples=1)
        v = visit(page, width=1280, height=900)
        if not v.loaded or v.console_errors or v.network_requests:
            raise SystemExit(f"report page failed: loaded={v.loaded} errors={v.console_errors} requests={v.network_requests}")
    shot = Image.open(io.BytesIO(v.screenshot)).convert("RGB")
    top = shot.crop((0, 0, 1280, min(shot.size[1], 3050)))
    top = top.resize((960, round(top.size[1] * 960 / 1280)), Image.LANCZOS)
    top.save(IMG / "report.png", optimize=True)
    print(f"wrote {IMG / 'report.png'} {top.size} (page {shot.size[0]}x{shot.size[1]})")


if __name__ == "__main__":
    main()
