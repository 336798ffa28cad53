"""Helpers shared by the trainer adapters (no trainer import here).

Everything in this module is cheap and pure Python/numpy: the TRL, veRL and EasyR1
adapters import it at module level, and ``import rewardkit.adapters.verl`` must not pull
in torch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rewardkit.parsing.tags import completion_text
from rewardkit.registry import Reward, get_spec
from rewardkit.types import as_image_size

__all__ = [
    "completion_text",
    "prompt_text",
    "image_size_of",
    "needs_image_size",
    "gt_key",
    "normalize_ground_truth",
    "jsonable_ground_truth",
    "as_reward",
    "reward_params",
]

_SIZE_FREE_FRAMES = frozenset({"norm1000", "norm1"})


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):  # content blocks: [{"type": "text", "text": ...}, {"type": "image"}]
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, Mapping) and block.get("type", "text") == "text":
                parts.append(str(block.get("text", "")))
        return "".join(parts)
    return str(content)


def prompt_text(prompt: Any) -> str | None:
    """The text a model could echo: a string prompt, or the last user message's text.

    Args:
        prompt: A string or a list of chat messages.

    Returns:
        The text, or None when there is none.
    """
    if prompt is None or isinstance(prompt, str):
        return prompt
    if isinstance(prompt, Sequence):
        for message in reversed(prompt):
            if isinstance(message, Mapping) and message.get("role") == "user":
                return _content_text(message.get("content"))
    return None


def image_size_of(value: Any) -> tuple[int, int] | None:
    """``(width, height)`` of an image-like value, or ``None``.

    Accepts a PIL image (``.size`` is ``(w, h)``), a list of images (the first one, TRL's
    ``images`` column), a numpy array ``H x W (x C)``, a dict with ``width``/``height``
    or ``image_size``, or a ``(w, h)`` pair.

    Args:
        value: The image-like value.

    Returns:
        ``(width, height)``, or None when no size can be read.
    """
    if value is None:
        return None
    size = getattr(value, "size", None)
    if isinstance(size, tuple) and len(size) == 2:  # PIL
        return as_image_size(size)
    if isinstance(value, np.ndarray):
        if value.ndim >= 2 and value.dtype != object:
            return as_image_size((value.shape[1], value.shape[0]))
        value = list(value)
    if isinstance(value, Mapping):
        if "width" in value and "height" in value:
            return as_image_size((value["width"], value["height"]))
        if "image_size" in value:
            return as_image_size(value["image_size"])
        return None
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        if len(value) == 2 and all(isinstance(v, int | float | np.integer | np.floating) for v in value):
            return as_image_size(value)
        for item in value:
            size = image_size_of(item)
            if size is not None:
                return size
    return None


def needs_image_size(reward: Reward) -> bool:
    """True when the reward converts between frames that need the image size.

    The frames are those of its :class:`~rewardkit.parsing.reading.Reading`: the
    reward's default, ``reading=`` and the keyword fields it is bound to.

    Args:
        reward: The bound reward.

    Returns:
        Whether each row needs an image size.
    """
    spec = reward.spec
    if "image_size" not in spec.params or reward.params.get("image_size") is not None or spec.reading is None:
        return False
    from rewardkit.rewards.base import fold_reading

    reading = fold_reading({k: v for k, v in reward.params.items() if k == "reading" or k in spec.reading_fields},
                           spec.reading, spec.reading_fields)["reading"]
    if reading.image_size is not None:
        return False
    pred, gt = reading.frame, reading.gt_frame
    return pred != gt and not ({pred, gt} <= _SIZE_FREE_FRAMES)


def gt_key(ground_truth: Any) -> Any:
    """A hashable key for a ground truth value (to prepare it once per prompt group).

    Args:
        ground_truth: The ground truth value.

    Returns:
        A hashable key, equal for equal values.
    """
    if isinstance(ground_truth, np.ndarray):
        if ground_truth.dtype == object:
            return ("o", repr(ground_truth.tolist()))
        return ("a", ground_truth.dtype.str, ground_truth.shape, ground_truth.tobytes())
    try:
        hash(ground_truth)
    except TypeError:
        return ("r", type(ground_truth).__name__, repr(ground_truth))
    return ("h", ground_truth)


def normalize_ground_truth(ground_truth: Any) -> Any:
    """Ground truth as veRL/TRL datasets deliver it, made readable by the rewards.

    numpy arrays (parquet lists come back as object arrays of arrays) become nested
    lists; a JSON string of a dict or list is decoded (other strings, such as
    Visual-RFT's ``<answer>...</answer>`` solutions or class names, are kept as they
    are); bytes are decoded as UTF-8.

    Args:
        ground_truth: The dataset's ground truth cell.

    Returns:
        The ground truth as plain Python values.
    """
    value = ground_truth
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        value = _to_list(value)
    elif isinstance(value, Mapping):
        value = {k: _to_list(v) if isinstance(v, np.ndarray) else v for k, v in value.items()}
    elif isinstance(value, list | tuple) and any(isinstance(v, np.ndarray) for v in value):
        value = [_to_list(v) if isinstance(v, np.ndarray) else v for v in value]
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("[", "{") and len(stripped) < 10_000_000:
            try:
                decoded = json.loads(stripped)
            except (ValueError, RecursionError):  # the reward reports it as bad ground truth
                return value
            if isinstance(decoded, Mapping | list):
                return decoded
    return value


def jsonable_ground_truth(ground_truth: Any) -> Any:
    """Ground truth made JSON-ready for remote scoring, value for value.

    numpy arrays and scalars become lists and numbers, tuples lists, bytes text; strings
    are sent as they are (the server reads them exactly as the in-process reward would).

    Args:
        ground_truth: The ground truth value.

    Returns:
        A JSON-serializable value.
    """
    value = ground_truth
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return jsonable_ground_truth(_to_list(value))
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): jsonable_ground_truth(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable_ground_truth(v) for v in value]
    return value


def _to_list(arr: np.ndarray) -> Any:
    if arr.dtype == object:
        return [_to_list(v) if isinstance(v, np.ndarray) else v for v in arr.tolist()]
    return arr.tolist()


def as_reward(name_or_reward: Any, params: Mapping[str, Any] | None = None) -> Reward:
    """A :class:`Reward` from a registered name or an existing ``Reward``.

    Args:
        name_or_reward: A registered reward name or a bound ``Reward``.
        params: Parameters bound on top (they override a ``Reward``'s own).

    Returns:
        The bound reward.

    Raises:
        ValueError: ``name_or_reward`` is neither a string nor a ``Reward``.
        KeyError: an unknown reward name.
    """
    if isinstance(name_or_reward, Reward):
        if params:
            return Reward(name_or_reward.name, **{**name_or_reward.params, **params})
        return name_or_reward
    if not isinstance(name_or_reward, str):
        raise ValueError(f"Expected a reward name or a rewardkit Reward, but got {type(name_or_reward).__name__}")
    return Reward(name_or_reward, **dict(params or {}))


def reward_params(name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The subset of ``params`` that the reward ``name`` accepts.

    Args:
        name: A registered reward name.
        params: Candidate parameters.

    Returns:
        The parameters the reward accepts (``strict`` included).

    Raises:
        KeyError: an unknown reward name.
    """
    spec = get_spec(name)
    allowed = set(spec.params) | {"strict"}
    return {k: v for k, v in params.items() if k in allowed}
