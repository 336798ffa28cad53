"""Exact public-code modes: ``compat="<project>"`` names the public code a mode reproduces.

Defaults are rewardkit's corrected definitions; a compat mode returns the public reward
function's score on every input where that function returns one, parsing included.
Where the public code raises, the mode returns the reward's minimum with reason
``public_code_raises``. Each project's module names the repository and commit read.

=============================  ==============  ==================================================
reward                         ``compat=``     reproduces
=============================  ==============  ==================================================
``visual_rft.detection``       ``visual_rft``  Visual-RFT ``accuracy_iou + accuracy_confidence + format``
``visual_rft.classification``  ``visual_rft``  Visual-RFT classification ``accuracy + format``
``grounding.giou_plus_one``    ``visual_rft``  Visual-RFT LISA ``accuracy`` (GIoU + 1, 2 on an exact string)
``vlm_r1.rec_iou``             ``vlm_r1``      VLM-R1 ``Qwen2VLModule.iou_reward``
``vlm_r1.od_ap`` / ``od_ap50``  ``vlm_r1``      VLM-R1 ``od_reward`` (score_type 0 / 1)
``vlm_r1.od_length``           ``vlm_r1``      VLM-R1 ``odLength_reward``
``vlm_r1.weighted_sum``        ``vlm_r1``      VLM-R1 ``weighted_sum`` accuracy (``detection_score``)
``penalty.repetition``         ``vlm_r1``      VLM-R1 ``repetition_reward``
``vision_r1.localization``     ``vision_r1``   Vision-R1 ``dual_format + recall + precision`` (released)
``vision_r1.dual_format``      ``vision_r1``   Vision-R1 ``dual_format_reward``
``seg_r1.mask``                ``seg_r1``      Seg-R1 ``segmentation_reward + format_reward``
``count.exact``                ``r1_v``        R1-V ``accuracy_reward``
``format.think_answer``        ``r1_v``        R1-V ``format_reward``
=============================  ==============  ==================================================

Old spellings stay as aliases: ``compat="substring"`` = ``"visual_rft"`` (classification),
``compat="released_code"`` = ``"vision_r1"`` (localization). ``"pycocotools"`` stays on
the COCO metrics.

The modes that need math-verify (Visual-RFT's pre-check, R1-V) or json-repair (VLM-R1's
repetition reward) need the ``compat`` extra: ``pip install "rewardkit[compat]"``.
math-verify is called without its ``signal.alarm`` timeouts (they fail off the main
thread, where trainers call rewards); work is bounded by the completion size instead.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from rewardkit.parsing.public import MAX_COMPAT_CHARS
from rewardkit.rewards.base import BadGroundTruth
from rewardkit.types import RewardResult

__all__ = [
    "COMPAT_MODES",
    "COMPAT_ALIASES",
    "resolve_compat",
    "public_raises",
    "too_long",
    "math_verify_equal",
    "require",
    "number_text",
    "same_frame_or_qwen",
]

COMPAT_MODES: dict[str, tuple[str, ...]] = {
    "visual_rft.detection": ("visual_rft",),
    "visual_rft.classification": ("visual_rft",),
    "grounding.giou_plus_one": ("visual_rft",),
    "vlm_r1.rec_iou": ("vlm_r1",),
    "vlm_r1.od_ap": ("vlm_r1",),
    "vlm_r1.od_ap50": ("vlm_r1",),
    "vlm_r1.od_length": ("vlm_r1",),
    "vlm_r1.weighted_sum": ("vlm_r1",),
    "penalty.repetition": ("vlm_r1",),
    "vision_r1.localization": ("vision_r1",),
    "vision_r1.dual_format": ("vision_r1",),
    "seg_r1.mask": ("seg_r1",),
    "count.exact": ("r1_v",),
    "format.think_answer": ("r1_v",),
}

COMPAT_ALIASES: dict[str, dict[str, str]] = {
    "visual_rft.classification": {"substring": "visual_rft"},
    "vision_r1.localization": {"released_code": "vision_r1"},
}


def resolve_compat(reward: str, compat: Any) -> str | None:
    """The project name ``compat`` stands for on ``reward`` (aliases resolved), or None.

    ValueError for a name the reward does not offer.
    """
    if compat is None:
        return None
    modes = COMPAT_MODES.get(reward, ())
    aliases = COMPAT_ALIASES.get(reward, {})
    if compat in modes:
        return compat
    if compat in aliases:
        return aliases[compat]
    allowed = [None, *modes, *aliases]
    raise ValueError(f"Expected `compat` to be one of {allowed} for {reward}, but got {compat!r}")


def public_raises(components: tuple[str, ...], lo: float = 0.0, **details: Any) -> RewardResult:
    """The reward's minimum where the public code raises."""
    return RewardResult(lo, dict.fromkeys(components, 0.0), "public_code_raises", details)


def too_long(text: str, components: tuple[str, ...], lo: float = 0.0) -> RewardResult | None:
    if len(text) > MAX_COMPAT_CHARS:
        return RewardResult(lo, dict.fromkeys(components, 0.0), "too_long", {"chars": len(text)})
    return None


def require(module: str, mode: str) -> Any:
    """Import ``module`` for compat mode ``mode``; ImportError naming the extra if missing."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"compat={mode!r} reproduces public code that uses {module.replace('_', '-')}: "
            f'install it with pip install "rewardkit[compat]"'
        ) from None


@functools.lru_cache(maxsize=512)
def _parse_gold(text: str) -> Any:
    mv = require("math_verify", "visual_rft / r1_v")
    return mv.parse(text, parsing_timeout=None)


def math_verify_equal(content: str, solution: str, mode: str) -> bool:
    """The public pre-check ``float(verify(parse(content), parse(solution))) > 0``, any
    exception counting as False (the public code catches them).
    """
    mv = require("math_verify", mode)
    try:
        answer = mv.parse(content, parsing_timeout=None)
        return float(mv.verify(answer, _parse_gold(solution), timeout_seconds=None)) > 0
    except Exception:  # noqa: BLE001 - the public code catches everything here
        return False


def number_text(v: float) -> str:
    """A coordinate as a dataset would write it: ``10`` for 10.0, else ``repr``."""
    f = float(v)
    if math.isfinite(f) and f == int(f):
        return str(int(f))
    return repr(f)


def same_frame_or_qwen(mode: str, pred_frame: str, gt_frame: str, *, qwen: bool) -> bool:
    """Check the frames a compat mode supports.

    Returns True when the public resize from Qwen2.5-VL input pixels to original pixels applies
    (``qwen`` modes only).
    """
    if pred_frame == gt_frame:
        return False
    if qwen and pred_frame == "qwen25vl" and gt_frame == "pixel":
        return True
    extra = " or pred_frame='qwen25vl' with gt_frame='pixel' (the public resize)" if qwen else ""
    raise ValueError(
        f"Expected pred_frame == gt_frame under compat={mode!r} (the public code compares coordinates "
        f"as written{extra}), but got pred_frame={pred_frame!r}, gt_frame={gt_frame!r}"
    )


def bad_gt(message: str) -> BadGroundTruth:
    return BadGroundTruth(message)
