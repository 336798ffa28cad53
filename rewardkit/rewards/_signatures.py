"""The call signatures of the rewards that ``import rewardkit`` exports, as type checkers
and editors see them.

:func:`~rewardkit.rewards.base.register_reward` wraps a reward function: the registered
function also takes ``strict=`` and each :class:`~rewardkit.parsing.reading.Reading` field
the reward reads as a keyword (``answer=``, ``pred_frame=``, ...), which it folds into
``reading``. Python's typing cannot say "the function's parameters plus these keywords"
(PEP 612's ``Concatenate`` adds positional parameters only), so ``register_reward`` is
typed ``Callable[..., RewardResult]`` and each exported reward is given its full
signature here, by :func:`typed_as` (the identity at run time).
``tests/typing/test_signatures.py`` checks every protocol against
``inspect.signature`` of the registered function (names, kinds, defaults, annotations),
so a parameter added to a reward without its line here fails the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol, TypeVar

from rewardkit.parsing.frames import Frame
from rewardkit.parsing.reading import Reading
from rewardkit.types import RewardResult

__all__ = [
    "ClassificationRewardSignature",
    "CountingRewardSignature",
    "DetectionRewardSignature",
    "FormatRewardSignature",
    "GroundingRewardSignature",
    "typed_as",
]

_T = TypeVar("_T")


def typed_as(signature: Callable[..., _T]) -> Callable[[Callable[..., Any]], _T]:
    """Give a registered reward the call signature ``signature`` for type checkers.

    ``signature`` is a protocol class; the function is returned unchanged.
    (``Callable[..., _T]`` rather than ``type[_T]``: mypy refuses a protocol where
    ``type[_T]`` is expected.)
    """

    def give(fn: Callable[..., Any]) -> _T:
        return fn  # type: ignore[return-value]  # the point: the protocol states what the wrapper accepts

    return give


class FormatRewardSignature(Protocol):
    """:func:`rewardkit.rewards.format.format_reward`."""

    def __call__(
        self,
        completion: Any,
        ground_truth: Any = None,
        *,
        prompt: str | None = None,
        compat: Literal["r1_v"] | None = None,
        strict: bool = False,
    ) -> RewardResult: ...


class DetectionRewardSignature(Protocol):
    """:func:`rewardkit.rewards.detection.detection_reward`."""

    def __call__(
        self,
        completion: Any,
        ground_truth: Any,
        *,
        iou_threshold: float = 0.5,
        normalize: Literal["max", "pred"] = "max",
        default_confidence: float = 1.0,
        empty_score: float = 1.0,
        prompt: str | None = None,
        compat: Literal["visual_rft"] | None = None,
        reading: Reading = ...,
        answer: str = "auto",
        dialect: str = "visual_rft",
        pred_frame: Frame | None = None,
        gt_frame: Frame = "norm1000",
        image_size: Sequence[int] | None = None,
        min_pixels: int | None = None,
        max_pixels: int | None = None,
        strict: bool = False,
    ) -> RewardResult: ...


class ClassificationRewardSignature(Protocol):
    """:func:`rewardkit.rewards.classification.classification_reward`."""

    def __call__(
        self,
        completion: Any,
        ground_truth: Any,
        *,
        synonyms: Mapping[str, Iterable[str]] | None = None,
        compat: Literal["visual_rft", "substring"] | None = None,
        prompt: str | None = None,
        reading: Reading = ...,
        answer: str = "auto",
        strict: bool = False,
    ) -> RewardResult: ...


class GroundingRewardSignature(Protocol):
    """:data:`rewardkit.rewards.grounding.grounding_reward`."""

    def __call__(
        self,
        completion: Any,
        ground_truth: Any,
        *,
        multiple: Literal["first", "zero"] = "zero",
        prompt: str | None = None,
        reading: Reading = ...,
        answer: str = "auto",
        dialect: str = "visual_rft",
        pred_frame: Frame | None = None,
        gt_frame: Frame = "norm1000",
        image_size: Sequence[int] | None = None,
        min_pixels: int | None = None,
        max_pixels: int | None = None,
        strict: bool = False,
    ) -> RewardResult: ...


class CountingRewardSignature(Protocol):
    """:func:`rewardkit.rewards.counting.counting_reward`."""

    def __call__(
        self,
        completion: Any,
        ground_truth: Any,
        *,
        tolerance: int = 0,
        prompt: str | None = None,
        compat: Literal["r1_v"] | None = None,
        reading: Reading = ...,
        answer: str = "auto",
        strict: bool = False,
    ) -> RewardResult: ...
