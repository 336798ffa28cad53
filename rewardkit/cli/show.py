"""``rewardkit show FILE``: a picture of what the reward saw on one row.

    rewardkit show preds.jsonl --line 4 -o row4.png
    rewardkit show rollouts.jsonl --id ex-002 --reward visual_rft.detection

Ground truth and prediction in one frame (boxes, points, mask contours, skeletons),
matched pairs labelled with their IoU / OKS, unmatched predictions and missed objects
dashed, and a caption with the score, components, reason and frames. Draws on the row's
image (``image``, ``images``, ``image_path``, relative to the file) or on a blank canvas.
Needs Pillow (the ``plot`` extra).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from rewardkit.cli._errors import CliError

__all__ = ["register", "find_row"]


def find_row(path: Path, line: int | None = None, row_id: str | None = None) -> tuple[int, dict[str, Any]]:
    """``(line, row)``: the row at ``line``, the one with ``id == row_id``, or the first.

    ``line`` is a physical line; without ``line`` or ``row_id``, the first JSON object
    of the file.

    Args:
        path: The JSONL file.
        line: A physical line number, or None.
        row_id: A row id, or None.

    Returns:
        ``(line, row)``.

    Raises:
        CliError: no such row, or the line is not a JSON object.
    """
    from rewardkit.io import iter_jsonl

    last = 0
    for row in iter_jsonl(path):
        last = row.line
        if line is not None:
            if row.line < line:
                continue
            if row.line > line:
                break
            if row.data is None:
                raise CliError(f"line {line} of {path} is not a JSON object ({row.error})")
            return row.line, row.data
        elif row.data is not None and (row_id is None or str(row.data.get("id")) == row_id):
            return row.line, row.data
    if line is not None:
        raise CliError(f"{path} has no row at line {line} (last non-blank line: {last})")
    if row_id is not None:
        raise CliError(f"{path} has no row with id {row_id!r}")
    raise CliError(f"{path} holds no JSON row")


def _cmd_show(args: argparse.Namespace) -> int:
    from rewardkit.viz._deps import require_pil

    src = Path(args.file)
    if not src.is_file():
        raise CliError(f"no such file: {src}")
    require_pil()
    from rewardkit.viz.show import show_row

    line, data = find_row(src, args.line, args.id)
    params = dict(args.param or [])
    try:
        picture = show_row(data, base_dir=src.parent, reward=args.reward, params=params, max_side=args.max_side,
                           title=f"{src.name}, line {line}" + (f", id {data['id']}" if data.get("id") is not None else ""))  # fmt: skip
    except KeyError as exc:
        raise CliError(f"line {line}: {exc.args[0] if exc.args else exc}") from None
    if args.output:
        out = Path(args.output)
    else:
        tag = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(data.get("id", "")))[:40]
        out = Path(f"{src.name.split('.')[0]}-line{line}" + (f"-{tag}" if tag else "") + ".png")
    out.parent.mkdir(parents=True, exist_ok=True)
    picture.save(out)
    if not args.quiet:
        print(f"wrote {out}")
    return 0


def register(subparsers: Any) -> None:
    """Add the ``show`` command.

    Args:
        subparsers: The ``add_subparsers()`` object of the ``rewardkit`` parser.
    """
    from rewardkit.cli._params import parse_param

    p = subparsers.add_parser("show", help="draw what the reward saw on one row (PNG)", description=(
        "Draw one row of a JSONL file: ground truth and prediction in the same frame, matched pairs "
        "with their IoU/OKS, unmatched predictions and missed objects, and a caption with the score, "
        "components, reason and frames. Needs the 'plot' extra."))  # fmt: skip
    p.add_argument("file", help="JSONL file of completions (raw or scored)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--line", type=int, metavar="N", help="the row at line N (1-based; default: the first row)")
    which.add_argument("--id", metavar="ID", help="the first row whose 'id' is ID")
    p.add_argument("-o", "--output", metavar="OUT.png", help="picture to write (default: <file>-line<N>[-<id>].png here)")
    p.add_argument("--reward", help="reward name for rows without a 'reward' column")
    p.add_argument("--param", action="append", type=parse_param, metavar="KEY=VALUE", help="reward parameter (JSON value), repeatable")
    p.add_argument("--max-side", type=int, default=768, metavar="PX", help="longer side of the picture in pixels (768)")
    p.add_argument("-q", "--quiet", action="store_true", help="do not print the output path")
    p.set_defaults(func=_cmd_show)
