"""Exceptions shared by every layer (bottom of the import graph, beside ``types``)."""

from __future__ import annotations

__all__ = ["BadGroundTruth", "ParameterError"]


class BadGroundTruth(ValueError):
    """The ground truth of a sample cannot be used; rewards turn it into ``score=None``.

    Raised by ground-truth readers (``rewardkit.parsing.ground_truth``). A reward that
    catches it reports ``reason="bad_ground_truth"`` and does not apply to the sample,
    so TRL skips it instead of training on a wrong signal.
    """


class ParameterError(ValueError):
    """A caller's parameter is wrong.

    (unknown frame, a frame conversion without the image size, a threshold outside
    [0, 1]...). The rewards' safety net always re-raises it,
    even when it shows only for some completions (a frame converted only when the
    answer holds boxes), so a misconfigured run fails at once instead of scoring.
    """
