"""Every size, count, magnitude and depth bound on model output and datasets, in one place.

A GRPO run scores millions of completions written by a policy that searches for odd
outputs; a reward must bound its work by the size of its input (no ``signal.alarm``:
TRL and veRL call rewards from threads and Ray actors). Each bound below is checked
BEFORE the work it protects (decoding, rasterizing, scanning), and what happens when it
is exceeded is part of the contract:

* model output over a bound scores the reward's minimum with the ``reason`` listed;
* a ground truth over a bound gives ``score=None, reason="bad_ground_truth"``;
* a caller's value over a bound (an image size passed as a parameter, a metric's dataset)
  raises ``ValueError``.

The table of the docs page ``docs/guarantees.md`` is :func:`limits_markdown` (a test keeps
the two in sync). Modules that used to own a constant re-export it under its old name
(``rewardkit.parsing.boxes.MAX_BOXES`` is :data:`MAX_BOXES`).

This module imports nothing from rewardkit (it sits beside ``types`` and ``errors`` at
the bottom of the layers).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Limit",
    "LIMITS",
    "limits_markdown",
    "MAX_COMPLETION_CHARS",
    "MAX_PAYLOAD_CHARS",
    "MAX_DEPTH",
    "MAX_BOXES",
    "MAX_ABS_COORD",
    "MAX_LABEL_CHARS",
    "MAX_NUMBER_CHARS",
    "MAX_KEYPOINTS",
    "MAX_KEYPOINT_ABS",
    "MAX_PERSONS",
    "MAX_SEG_BLOCKS",
    "MAX_MASK_PIXELS",
    "MAX_MASK_JSON_CHARS",
    "MAX_RLE_RUNS",
    "MAX_POLYGONS",
    "MAX_POLYGON_VERTICES",
    "POLYGON_COORD_MARGIN",
    "MAX_POLYGON_PERIMETER_FACTOR",
    "MAX_REPAIR_VERTICES",
    "MAX_REPAIR_SEGMENTS",
    "MAX_EXACT_IOU_EDGE_PAIRS",
    "MAX_REPETITION_CHARS",
    "MAX_IMAGE_SIDE",
    "MAX_LINE_CHARS",
]

# -- text ---------------------------------------------------------------------------
MAX_COMPLETION_CHARS = 4_000_000
"""Characters of a completion that are read; the tail beyond is dropped before the tag scan."""

MAX_PAYLOAD_CHARS = 200_000
"""Characters of an answer payload (the text inside ``<answer>``) that a structured reader accepts."""

MAX_DEPTH = 16
"""Bracket nesting depth of a payload before ``ast.literal_eval`` runs (it recurses)."""

MAX_LABEL_CHARS = 2_000
"""Characters of a class-name answer."""

MAX_NUMBER_CHARS = 2_000
"""Characters of a counting / number answer."""

MAX_REPETITION_CHARS = 1_000_000
"""Characters of text whose n-grams ``penalty.repetition`` counts."""

MAX_LINE_CHARS = 50_000_000
"""Characters of one JSONL row read by ``rewardkit score``."""

# -- boxes, points, keypoints --------------------------------------------------------
MAX_BOXES = 1_000
"""Boxes (or points) in one answer."""

MAX_ABS_COORD = 1e7
"""Largest absolute box / point coordinate; a box or point beyond it (or non-finite) is dropped."""

MAX_KEYPOINTS = 1_000
"""Keypoints in one pose answer."""

MAX_KEYPOINT_ABS = 1e7
"""Largest absolute keypoint coordinate (2-D pixels or 3-D millimetres)."""

MAX_PERSONS = 100
"""Persons (pose instances) in one multi-person answer."""

MAX_SEG_BLOCKS = 64
"""``<bbox>`` / ``<points>`` / ``<labels>`` blocks of one Seg-R1 answer."""

# -- masks and polygons --------------------------------------------------------------
MAX_MASK_PIXELS = 1 << 28
"""Pixels (``height * width``) of any mask that is decoded or rasterized (16384 x 16384)."""

MAX_MASK_JSON_CHARS = 50_000_000
"""Characters of a mask given as a JSON string."""

MAX_RLE_RUNS = 1 << 24
"""Runs in an uncompressed RLE ``counts`` list (or characters of a compressed one)."""

MAX_POLYGONS = 1_000
"""Polygons in one mask."""

MAX_POLYGON_VERTICES = 10_000
"""Vertices of all polygons of one mask together."""

POLYGON_COORD_MARGIN = 1.0
"""Polygon coordinates must lie in ``[-m * W, (1 + m) * W] x [-m * H, (1 + m) * H]`` with
``m`` this margin and ``(W, H)`` the image size (non-finite ones are refused)."""

MAX_POLYGON_PERIMETER_FACTOR = 100
"""Total polygon perimeter must stay below this many times ``W + H`` (rasterizing walks
every edge pixel by pixel, so the perimeter is what costs memory and time)."""

MAX_REPAIR_VERTICES = 64
"""Vertices of all self-intersecting polygons of one answer that ``make_valid`` may repair
(its cost grows with the square of the crossings: 10 s for one 101-vertex star)."""

MAX_REPAIR_SEGMENTS = 400
"""Segments of the noded linework of those polygons (vertices plus twice the crossings)."""

MAX_EXACT_IOU_EDGE_PAIRS = 20_000
"""Edge pairs (vertices of one side times the other's) up to which polygon IoU is exact;
beyond, it is computed on a raster at the image size (two 300-tooth combs: 19 s exact)."""

# -- images --------------------------------------------------------------------------
MAX_IMAGE_SIDE = 100_000
"""Largest image width or height; sizes are positive integers (booleans refused)."""


@dataclass(frozen=True)
class Limit:
    """One documented bound: its name, value, what it bounds and what exceeding it does."""

    name: str
    value: float
    bounds: str
    where: str
    exceeded: str


def _fmt(v: float) -> str:
    if isinstance(v, float) and v >= 1e6 and v.is_integer():
        return f"{v:.0e}".replace("e+0", "e").replace("e+", "e")
    if isinstance(v, float):
        return repr(v)
    return f"{v:,}"


LIMITS: tuple[Limit, ...] = (
    Limit("MAX_COMPLETION_CHARS", MAX_COMPLETION_CHARS, "characters of a completion", "parsing.tags", "tail dropped before the tag scan"),
    Limit("MAX_PAYLOAD_CHARS", MAX_PAYLOAD_CHARS, "characters of an answer payload", "parsing (boxes, points, keypoints, masks, Seg-R1)", "minimum, `too_long`"),
    Limit("MAX_DEPTH", MAX_DEPTH, "bracket nesting of a payload", "parsing._structured", "minimum, `unparseable`"),
    Limit("MAX_LABEL_CHARS", MAX_LABEL_CHARS, "characters of a class name", "parsing.labels", "minimum, `too_long`"),
    Limit("MAX_NUMBER_CHARS", MAX_NUMBER_CHARS, "characters of a count answer", "parsing.numbers", "minimum, `too_long`"),
    Limit("MAX_REPETITION_CHARS", MAX_REPETITION_CHARS, "characters scanned for n-grams", "penalty.repetition", "minimum, `too_long`"),
    Limit("MAX_BOXES", MAX_BOXES, "boxes or points in one answer", "parsing.boxes, parsing.points", "minimum, `too_many_boxes` / `too_many_points`"),
    Limit("MAX_ABS_COORD", MAX_ABS_COORD, "absolute box / point coordinate", "parsing.boxes, parsing.points", "box dropped; all dropped: minimum, `bad_coordinates`"),
    Limit("MAX_KEYPOINTS", MAX_KEYPOINTS, "keypoints in one answer", "parsing.keypoints", "minimum, `too_many_keypoints`"),
    Limit("MAX_KEYPOINT_ABS", MAX_KEYPOINT_ABS, "absolute keypoint coordinate", "parsing.keypoints; pose ground truth", "answer: minimum, `bad_coordinates`; ground truth: `bad_ground_truth`"),
    Limit("MAX_PERSONS", MAX_PERSONS, "persons in one multi-person pose answer", "parsing.keypoints", "minimum, `too_many_persons`"),
    Limit("MAX_SEG_BLOCKS", MAX_SEG_BLOCKS, "Seg-R1 prompt blocks", "parsing.seg_r1", "minimum, `too_many_blocks`"),
    Limit("MAX_MASK_PIXELS", MAX_MASK_PIXELS, "pixels of a decoded or rasterized mask", "parsing.masks, metrics", "answer: minimum, `mask_too_large`; ground truth: `bad_ground_truth`; dataset: `ValueError`"),
    Limit("MAX_MASK_JSON_CHARS", MAX_MASK_JSON_CHARS, "characters of a mask JSON string", "parsing.masks", "`bad_ground_truth` / `ValueError`"),
    Limit("MAX_RLE_RUNS", MAX_RLE_RUNS, "runs of an RLE (list length or string length)", "parsing.masks", "answer: minimum, `bad_mask`; ground truth: `bad_ground_truth`"),
    Limit("MAX_POLYGONS", MAX_POLYGONS, "polygons in one mask", "parsing.masks, parsing.polygons", "answer: minimum, `too_many_polygons`; ground truth: `bad_ground_truth`"),
    Limit("MAX_POLYGON_VERTICES", MAX_POLYGON_VERTICES, "vertices of all polygons of a mask", "parsing.masks, parsing.polygons", "answer: minimum, `too_many_vertices`; ground truth: `bad_ground_truth`"),
    Limit("POLYGON_COORD_MARGIN", POLYGON_COORD_MARGIN, "polygon coordinates outside the image, in image sizes", "parsing.masks, parsing.polygons, metrics.coco", "answer: minimum, `bad_coordinates`; ground truth: `bad_ground_truth`; dataset: `ValueError`"),
    Limit("MAX_POLYGON_PERIMETER_FACTOR", MAX_POLYGON_PERIMETER_FACTOR, "total polygon perimeter, in multiples of W + H", "parsing.masks, parsing.polygons, metrics.coco", "as POLYGON_COORD_MARGIN"),
    Limit("MAX_REPAIR_VERTICES", MAX_REPAIR_VERTICES, "vertices of the self-intersecting polygons of an answer", "parsing.polygons", "minimum, `self_intersecting` (not repaired)"),
    Limit("MAX_REPAIR_SEGMENTS", MAX_REPAIR_SEGMENTS, "noded segments of those polygons", "parsing.polygons", "minimum, `self_intersecting` (not repaired)"),
    Limit("MAX_EXACT_IOU_EDGE_PAIRS", MAX_EXACT_IOU_EDGE_PAIRS, "edge pairs of an exact polygon IoU", "geometry.polygons", "IoU on a raster at the image size"),
    Limit("MAX_IMAGE_SIDE", MAX_IMAGE_SIDE, "image width or height (positive integers, no booleans)", "types.as_image_size", "parameter: `ValueError`; dataset row: `bad_ground_truth`"),
    Limit("MAX_LINE_CHARS", MAX_LINE_CHARS, "characters of one JSONL row", "rewardkit score", "row written with a reason"),
)
"""The documented bounds, in the order of the docs table."""


def limits_markdown() -> str:
    """The limits table of ``docs/guarantees.md`` (Markdown), generated from :data:`LIMITS`."""
    lines = [
        "| limit | value | bounds | checked in | when exceeded |",
        "| --- | --- | --- | --- | --- |",
    ]
    for lim in LIMITS:
        lines.append(f"| `{lim.name}` | {_fmt(lim.value)} | {lim.bounds} | {lim.where} | {lim.exceeded} |")
    return "\n".join(lines)
