"""veRL training data: rows in veRL's RL dataset layout (make_row) and the Parquet file its trainer reads (write_parquet)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rewardkit.adapters._common import normalize_ground_truth

from rewardkit.registry import get_spec


def _image_entry(image: Any) -> Any:
    """An image as a parquet cell.

    Path strings stay paths, bytes become ``{"bytes": ...}``, PIL images are PNG-encoded.
    """
    if isinstance(image, str):
        return image
    if isinstance(image, bytes | bytearray):
        return {"bytes": bytes(image)}
    if isinstance(image, Mapping):
        return dict(image)
    save = getattr(image, "save", None)
    if callable(save):
        import io

        buf = io.BytesIO()
        image.save(buf, format="PNG")
        return {"bytes": buf.getvalue()}
    raise ValueError(f"Expected an image path, bytes, a dict or a PIL image, but got {type(image).__name__}")


def make_row(
    *,
    prompt: str,
    ground_truth: Any,
    reward: str,
    images: Sequence[Any] = (),
    image_size: Sequence[int] | None = None,
    data_source: str | None = None,
    ability: str | None = None,
    split: str = "train",
    index: int = 0,
    reward_params: Mapping[str, Any] | None = None,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
    system: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One veRL RL-dataset row (the layout of ``verl.utils.dataset.RLHFDataset``).

    ``prompt`` gets one ``<image>`` placeholder per image in front (unless it already has
    them); ``reward_model.ground_truth`` is stored as a JSON string (one parquet type for
    boxes, class names and counts alike); ``extra_info`` holds the reward name, the
    original ``image_size`` ``[width, height]``, the Qwen2.5-VL ``resized_size`` and
    ``resize_scale`` ``[sx, sy]`` (processed / original, when ``min_pixels`` or
    ``max_pixels`` is given), ``min_pixels`` / ``max_pixels``, and ``reward_params`` (JSON).

    Args:
        prompt: The user prompt text.
        ground_truth: The row's ground truth (boxes, class names, counts...).
        reward: The registered reward name that scores the row.
        images: Image paths, bytes, dicts or PIL images.
        image_size: The original ``[width, height]``, or None.
        data_source: veRL's ``data_source`` (default: the reward name).
        ability: veRL's ``ability`` (default: the reward's task).
        split: Stored in ``extra_info``.
        index: Stored in ``extra_info``.
        reward_params: Parameters of the reward, stored as JSON.
        min_pixels: Qwen2.5-VL processor minimum pixels, or None.
        max_pixels: Qwen2.5-VL processor maximum pixels, or None.
        system: A system message put first, or None.
        extra: Further ``extra_info`` entries.

    Returns:
        The row: ``data_source``, ``prompt`` (chat messages), ``images``, ``ability``,
        ``reward_model``, ``extra_info``.

    Raises:
        KeyError: ``reward`` is not registered.
        ValueError: the prompt's ``<image>`` placeholders do not match the images, or an
            image of an unknown kind.
    """
    spec = get_spec(reward)
    images = list(images)
    content = prompt
    n_placeholders = prompt.count("<image>")
    if images and n_placeholders == 0:
        content = "<image>" * len(images) + prompt
    elif n_placeholders not in (0, len(images)):
        raise ValueError(f"Expected {len(images)} <image> placeholders in the prompt, but got {n_placeholders}")
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": content}]
    gt = normalize_ground_truth(ground_truth)
    info: dict[str, Any] = {"split": split, "index": int(index), "reward": reward}
    if image_size is not None:
        w, h = (int(v) for v in image_size)
        info["image_size"] = [w, h]
        if min_pixels is not None or max_pixels is not None:
            from rewardkit.parsing.frames import (
                QWEN25VL_MAX_PIXELS,
                QWEN25VL_MIN_PIXELS,
                qwen25vl_resize,
            )

            lo = QWEN25VL_MIN_PIXELS if min_pixels is None else int(min_pixels)
            hi = QWEN25VL_MAX_PIXELS if max_pixels is None else int(max_pixels)
            rw, rh = qwen25vl_resize(w, h, min_pixels=lo, max_pixels=hi)
            info["resized_size"] = [rw, rh]
            info["resize_scale"] = [rw / w, rh / h]
    if min_pixels is not None:
        info["min_pixels"] = int(min_pixels)
    if max_pixels is not None:
        info["max_pixels"] = int(max_pixels)
    info["reward_params"] = json.dumps(dict(reward_params or {}), sort_keys=True)
    if extra:
        info.update(extra)
    return {
        "data_source": data_source or reward,
        "prompt": messages,
        "images": [_image_entry(im) for im in images],
        "ability": ability or spec.task,
        "reward_model": {"style": "rule", "ground_truth": json.dumps(gt) if not isinstance(gt, str) else gt},
        "extra_info": info,
    }


def write_parquet(rows: Iterable[Mapping[str, Any]], path: str) -> str:
    """Write rows from :func:`make_row` to a parquet file veRL reads (pandas + pyarrow).

    Args:
        rows: Rows from :func:`make_row`.
        path: The parquet file to write.

    Returns:
        ``path`` as a string.

    Raises:
        ValueError: the rows mix image paths and encoded images.
    """
    import pandas as pd  # lazy: optional dependency

    rows = list(rows)
    kinds = {type(im).__name__ for row in rows for im in row.get("images", ())}
    if len(kinds) > 1:
        raise ValueError(
            f"Expected one image form per file (all paths or all encoded images), but got {sorted(kinds)}: "
            "parquet cannot mix strings and structs in the `images` column"
        )
    frame = pd.DataFrame(rows)
    frame.to_parquet(path, index=False)
    return str(path)
