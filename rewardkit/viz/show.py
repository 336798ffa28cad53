"""``rewardkit.show``: a picture of what a reward saw on one completion.

    >>> from rewardkit import show
    >>> gt = [[100, 100, 400, 500], [600, 200, 900, 450]]
    >>> c = "<think>two</think><answer>[{'Position': [110, 90, 420, 480], 'Confidence': 0.9}]</answer>"
    >>> picture = show(c, gt, reward="visual_rft.detection")  # a PIL image
    >>> picture.size[0] >= 560
    True

Ground truth and prediction are drawn in the same frame (boxes, points, masks as
contours, keypoints as skeletons); matched pairs are linked and labelled with their IoU
or OKS; unmatched predictions and missed ground truth are dashed in their own colours;
the caption gives the score on the reward's range, the components, the reason and the
frames. Needs Pillow (the ``plot`` extra).

Rows of a JSONL file (:func:`show_row`) name their image as ``image``, ``images`` (the
first is drawn) or ``image_path``, relative to the file; without one the picture is a
blank canvas of ``image_size`` (or of the ground truth's frame: 1000 x 1000 for
``norm1000``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rewardkit.viz._deps import require_pil

__all__ = ["show", "show_row", "load_image", "row_inputs", "IMAGE_FIELDS", "ROW_GROUND_TRUTH_FIELDS"]

IMAGE_FIELDS = ("image", "images", "image_path")
"""Row columns naming the image, in order."""
ROW_GROUND_TRUTH_FIELDS = ("ground_truth", "solution", "answer", "reward_model.ground_truth", "gt", "gts")
"""Ground-truth columns of rows (``gts``: veRL's rollout dumps)."""
MAX_IMAGE_BYTES = 64 * 1024 * 1024


def load_image(value: Any, base_dir: str | Path | None = None) -> tuple[Any, str | None]:
    """``(PIL image or None, note)`` from an image reference.

    The reference is a path (relative to ``base_dir``), a list of them (the first), a
    PIL image, an ``H x W (x 3)`` array, bytes, or a dict with ``path`` or ``bytes``.
    Never raises on a missing or broken file: the note says why.

    Args:
        value: The image reference.
        base_dir: Folder of relative paths, or None.

    Returns:
        ``(image or None, note or None)``.
    """
    require_pil()
    from PIL import Image, UnidentifiedImageError

    if value is None:
        return None, None
    if isinstance(value, list | tuple):
        if not value:
            return None, None
        return load_image(value[0], base_dir)
    if isinstance(value, Image.Image):
        return value, None
    if isinstance(value, Mapping):
        if value.get("bytes") is not None:
            return load_image(bytes(value["bytes"]), base_dir)
        if value.get("path"):
            return load_image(str(value["path"]), base_dir)
        return None, "image column holds neither 'path' nor 'bytes'"
    try:
        import numpy as np

        if isinstance(value, np.ndarray):
            arr = value
            if arr.dtype == bool:
                arr = arr.astype(np.uint8) * 255
            return Image.fromarray(np.ascontiguousarray(arr).astype(np.uint8)), None
        if isinstance(value, bytes | bytearray):
            if len(value) > MAX_IMAGE_BYTES:
                return None, "image bytes too large"
            im = Image.open(io.BytesIO(bytes(value)))
            im.load()
            return im, None
        text = str(value)
        if "://" in text and not text.startswith("file://"):
            return None, f"image {text[:60]!r} is not a local file (nothing is downloaded)"
        path = Path(text.removeprefix("file://")).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        if not path.is_file():
            return None, f"image not found: {path}"
        if path.stat().st_size > MAX_IMAGE_BYTES:
            return None, f"image too large: {path}"
        with Image.open(path) as im:
            im.load()
            return im.copy(), None
    except (OSError, ValueError, TypeError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        return None, f"image unreadable: {str(exc)[:100]}"


def show(
    completion: Any,
    ground_truth: Any,
    reward: Any = "visual_rft.detection",
    image: Any = None,
    *,
    max_side: int = 768,
    title: str | None = None,
    **params: Any,
) -> Any:
    """A PIL image of ``completion`` scored by ``reward`` against ``ground_truth``.

    ``reward``: a registered name or a :class:`~rewardkit.registry.Reward`; ``image``:
    what to draw on (path, PIL image, array; ``None``: a blank canvas of
    ``image_size``); ``params``: the reward's parameters (``image_size``, frames, ...).
    ``max_side``: the picture's longer side in pixels; ``title``: a first caption line.

    Args:
        completion: The model's completion.
        ground_truth: The ground truth.
        reward: A registered name or a bound reward.
        image: What to draw on, or None.
        max_side: The picture's longer side in pixels.
        title: A first caption line, or None.
        **params: The reward's parameters.

    Returns:
        The PIL image.

    Raises:
        ValueError: parameters the reward does not take.
        KeyError: an unknown reward name.
        ImportError: Pillow is missing (the ``plot`` extra).
    """
    require_pil()
    im, note = load_image(image) if image is not None else (None, None)
    return _show(completion, ground_truth, reward, im, [note] if note else [], max_side, title, params)


def _show(completion: Any, ground_truth: Any, reward: Any, im: Any, notes: list[str], max_side: int,
          title: str | None, params: dict[str, Any]) -> Any:
    from rewardkit.registry import Reward
    from rewardkit.viz.draw import render
    from rewardkit.viz.scene import build_scene

    r = reward if isinstance(reward, Reward) else Reward(str(reward))
    spec = r.spec
    call = dict(params)
    if im is not None:
        w, h = im.size
        given = call.get("image_size")
        if given is None and "image_size" in spec.params and "image_size" not in r.params:
            call["image_size"] = (w, h)
            notes.append(f"image_size {w}\u00d7{h} taken from the image")
        elif given is not None:
            from rewardkit.types import as_image_size

            gw, gh = as_image_size(given.tolist() if hasattr(given, "tolist") else given)
            if (gw, gh) != (w, h):
                same_ratio = abs(gw / gh - w / h) < 0.01
                notes.append(
                    f"the image file is {w}\u00d7{h} but image_size says {gw}\u00d7{gh}"
                    + ("" if same_ratio else " (another aspect ratio!)") + "; drawn stretched over the image"
                )
        if "image" in spec.params and "image" not in call and call.get("segmenter", spec.params.get("segmenter")) not in (None, "geometric"):
            import numpy as np

            call["image"] = np.asarray(im.convert("RGB"))
    image_size = call.pop("image_size", None)
    scene = build_scene(completion, ground_truth, r, image_size=image_size, **call)
    scene.notes[:0] = notes
    if im is None and scene.frame_size is not None:
        w, h = scene.frame_size
        scene.frames["canvas"] = f"blank canvas {w:g}\u00d7{h:g} ({scene.canvas_frame}; no image)"
    return render(scene, im, max_side=max_side, title=title)


def _get(data: Mapping[str, Any], names: tuple[str, ...]) -> tuple[str | None, Any]:
    from rewardkit.io import get_field

    return get_field(data, names)


def row_inputs(data: Mapping[str, Any], reward: str | None = None, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What a row gives :func:`show`.

    ``reward`` name, ``completion``, ``ground_truth``, ``params`` (the row's ``params``
    plus ``image_size`` / ``prompt`` / ``step`` / ``max_steps`` where the reward takes
    them, as ``rewardkit score`` reads them), ``image`` (the reference, unresolved).

    Args:
        data: The row.
        reward: The reward of a row that names none, or None.
        params: Parameters for every row, or None.

    Returns:
        The inputs of :func:`show`.

    Raises:
        KeyError: no reward, no completion or no ground truth (named in the message).
    """
    from rewardkit.io import COMPLETION_FIELDS
    from rewardkit.registry import get_spec

    name = data.get("reward") or data.get("reward_name") or reward
    if not name and isinstance(data.get("extra_info"), Mapping):
        name = data["extra_info"].get("reward")
    if not name or not isinstance(name, str):
        raise KeyError("the row names no reward: give --reward NAME (see `rewardkit list`)")
    spec = get_spec(name)
    cname, completion = _get(data, COMPLETION_FIELDS)
    if cname is None:
        raise KeyError(f"the row has no completion (one of {', '.join(COMPLETION_FIELDS)})")
    gname, ground_truth = _get(data, ROW_GROUND_TRUTH_FIELDS)
    if gname is None:
        if spec.task not in ("format",) and name not in ("pose.plausibility", "penalty.repetition"):
            raise KeyError(f"the row has no ground truth (one of {', '.join(ROW_GROUND_TRUTH_FIELDS)})")
        ground_truth = None
    p: dict[str, Any] = dict(params or {})
    if isinstance(data.get("params"), Mapping):
        p.update(data["params"])
    for key in ("image_size", "prompt", "step", "max_steps"):
        if data.get(key) is not None and key not in p:
            if key in spec.params or (key in ("step", "max_steps") and spec.scheduled):
                p[key] = data[key]
    image = None
    for key in IMAGE_FIELDS:
        if data.get(key) is not None:
            image = data[key]
            break
    return {"reward": name, "completion": completion, "ground_truth": ground_truth, "params": p, "image": image}


def show_row(data: Mapping[str, Any], *, base_dir: str | Path | None = None, reward: str | None = None,
             params: Mapping[str, Any] | None = None, max_side: int = 768, title: str | None = None) -> Any:
    """:func:`show` of one JSONL row (images relative to ``base_dir``).

    Args:
        data: The row.
        base_dir: Folder of relative image paths, or None.
        reward: The reward of a row that names none, or None.
        params: Parameters for every row, or None.
        max_side: The picture's longer side in pixels.
        title: A first caption line, or None.

    Returns:
        The PIL image.

    Raises:
        KeyError: as :func:`row_inputs`.
    """
    require_pil()
    inp = row_inputs(data, reward, params)
    im, note = load_image(inp["image"], base_dir) if inp["image"] is not None else (None, None)
    return _show(inp["completion"], inp["ground_truth"], inp["reward"], im, [note] if note else [], max_side, title, inp["params"])
