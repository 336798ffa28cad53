"""Colours of the pictures: the Okabe-Ito palette.

Okabe & Ito, "Color Universal Design", 2008, distinguishable with the common
colour-vision deficiencies.

Colour tells who drew a shape (ground truth or prediction) and whether it was matched;
line style repeats the status (dashed = not matched), so nothing depends on colour alone.
"""

from __future__ import annotations

__all__ = ["OKABE_ITO", "ROLE_COLOURS", "text_colour", "hex_to_rgb", "ROLE_NAMES"]

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

ROLE_COLOURS = {
    "gt": OKABE_ITO["blue"],  # ground truth that a prediction matched
    "missed": OKABE_ITO["sky_blue"],  # ground truth that nothing matched (dashed)
    "pred": OKABE_ITO["orange"],  # prediction matched to a ground truth
    "unmatched": OKABE_ITO["reddish_purple"],  # prediction matched to nothing (dashed)
    "link": OKABE_ITO["black"],  # line between a matched pair, with its IoU / OKS
    "prompt": OKABE_ITO["bluish_green"],  # segmenter prompts (boxes, points) of the answer
}

ROLE_NAMES = {
    "gt": "ground truth",
    "missed": "missed ground truth",
    "pred": "prediction (matched)",
    "unmatched": "prediction (unmatched)",
    "link": "matched pair",
    "prompt": "prompt (box / point)",
}


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return (int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16))


def text_colour(background: str) -> tuple[int, int, int]:
    """Black or white, whichever reads better on ``background`` (WCAG relative luminance).

    Args:
        background: A ``#rrggbb`` colour.

    Returns:
        ``(r, g, b)`` of black or white.
    """

    def lin(v: int) -> float:
        s = v / 255.0
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = hex_to_rgb(background)
    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    # contrast with white (1.05 / (L + 0.05)) vs with black ((L + 0.05) / 0.05)
    return (0, 0, 0) if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else (255, 255, 255)
