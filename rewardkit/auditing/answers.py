"""Structured answers of the quality policies, and the one function that writes them.

Policies (:mod:`rewardkit.auditing.policies`) build an :class:`Answer` (boxes normalized to
the image, labels, confidences, points, a count, a label, keypoints in pixels, persons,
polygons); :func:`format_completion` writes it as a completion in the reward's answer
format. It is the single place that knows the format, so a VLM dialect (another grammar,
axis order or frame) plugs in here: :class:`AnswerFormat` carries the answer kind and the
frame, and :func:`format_completion` dispatches on it.

The formats are the ones the reward-hacking probes write (:mod:`rewardkit.auditing.probes`),
inside ``<think>...</think><answer>...</answer>``:

========================  ==================================================================
kind                      answer payload
========================  ==================================================================
``boxes``, ``box``        ``[{"bbox_2d": [x1, y1, x2, y2], "label": ..., "confidence": c}]``
``points``,               ``[[x, y], ...]``
``mask_points``
``seg_boxes``             Seg-R1 prompts ``<bbox>[x1, y1, x2, y2]</bbox>`` (several:
                          ``<bbox>[[...], [...]]</bbox>``)
``polygons``              ``[[x1, y1, x2, y2, ...], ...]`` (pixels), or an RLE dict
``count``, ``label``      the number / the class name
``pose``, ``pose3d``      ``[[x, y], ...]`` / ``[[x, y, z], ...]``, ``null`` for a missing joint
``persons``               ``[[[x, y], ...], ...]``
========================  ==================================================================

Coordinates are written in the reward's ``pred_frame`` (``norm1000`` integers, pixels
with one decimal, ...), converted from the normalized boxes with
:func:`rewardkit.parsing.frames.convert_boxes`.

A reward bound with ``compat="<project>"`` reads the public project's output format, so
its answers are written in that format (:data:`COMPAT_STYLES`, from the public readers in
:mod:`rewardkit.parsing.public`): Visual-RFT ``[{'Position': [...], 'Confidence': c}]``
and LISA corners ``(x1,y1),(x2,y2)``; VLM-R1 REC ``[x1,y1,x2,y2]`` and OD a fenced
```` ```json ```` list inside the answer block; Vision-R1 the fenced JSON list alone (its
dual format fails on any text around it); Seg-R1 one ``<bbox>`` tag per box and a
positive point at the centre of each (its reading needs points and labels). Integer
coordinates where the public reader reads integers only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rewardkit.auditing.probes import THINK
from rewardkit.names import Registry

__all__ = ["Answer", "AnswerFormat", "answer_format", "format_completion", "format_payload", "register_dialect_writer", "COMPAT_STYLES"]

def _check_writer(writer: Any) -> None:
    if not callable(writer):
        raise ValueError(f"Expected a callable writer, but got {type(writer).__name__}")


_DIALECT_WRITERS: Registry[Any] = Registry("dialect writer", _check_writer)


def register_dialect_writer(name: str, writer: Any) -> None:
    """Write answers in a VLM dialect: ``writer(answer, fmt, image_size) -> payload``.

    A reward bound with ``dialect=name`` then gets its quality-audit answers from
    ``writer``; without a writer for its dialect, the default format above is written
    (the readers of every dialect also read it).

    Args:
        name: The dialect name.
        writer: ``writer(answer, fmt, image_size) -> payload``.
    """
    _DIALECT_WRITERS.register(str(name), writer)


@dataclass(frozen=True, eq=False)
class Answer:
    """A policy's answer, before it is written.

    ``boxes``: ``N x 4`` xyxy in ``[0, 1]`` of the image; ``labels``/``scores``: one per box
    (or None); ``points``: ``N x 2`` in ``[0, 1]``; ``polygons``: flat pixel polygons;
    ``rle``: an RLE dict; ``keypoints``: ``K x (d + 1)`` pixels (or mm) and visibility (0 =
    not predicted); ``persons``: such arrays, one per person. An ``Answer()`` with nothing
    set is the empty answer (``[]`` for list answers, an empty answer block otherwise).
    """

    boxes: np.ndarray | None = None
    labels: tuple[str, ...] | None = None
    scores: tuple[float, ...] | None = None
    points: np.ndarray | None = None
    polygons: tuple[tuple[float, ...], ...] | None = None
    rle: Mapping[str, Any] | None = None
    count: int | None = None
    label: str | None = None
    keypoints: np.ndarray | None = None
    persons: tuple[np.ndarray, ...] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerFormat:
    """How one reward reads answers.

    The kind, the prediction frame and the resize arguments of the ``qwen25vl`` frame.
    ``dialect`` is reserved for VLM output grammars (None: the default format above).
    """

    kind: str
    pred_frame: str = "norm1000"
    resize: tuple[tuple[str, Any], ...] = ()
    dialect: str | None = None
    compat: str | None = None


def answer_format(kind: str, spec: Any, params: Mapping[str, Any] | None = None) -> AnswerFormat:
    """The :class:`AnswerFormat` of a registered reward bound to ``params``.

    Args:
        kind: The answer kind (:func:`~rewardkit.auditing.quality_data.kind_of`).
        spec: The reward's spec.
        params: The parameters the reward is bound to.

    Returns:
        The answer format.
    """
    params = dict(params or {})
    defaults = dict(getattr(spec, "params", {}) or {})
    frame = params.get("pred_frame", defaults.get("pred_frame"))
    if kind in ("mask_points", "polygons"):
        frame = "pixel" if frame is None else frame
    elif kind == "seg_boxes":
        frame = frame or "seg_r1"
    elif kind in ("pose", "pose3d", "persons"):
        frame = frame or "pixel"
    else:
        frame = frame or "norm1000"
    resize = tuple(sorted((k, params[k]) for k in ("min_pixels", "max_pixels") if params.get(k) is not None))
    compat = params.get("compat")
    if compat is not None:
        from rewardkit.rewards.compat import COMPAT_ALIASES

        compat = COMPAT_ALIASES.get(getattr(spec, "name", ""), {}).get(compat, compat)
    return AnswerFormat(kind, str(frame), resize, params.get("dialect"), compat)


def _num(v: float, frame: str) -> Any:
    if frame == "norm1000":
        return int(round(float(v)))
    if frame == "norm1":
        return round(float(v), 4)
    r = round(float(v), 1)
    return int(r) if r.is_integer() else r


def _to_frame(xyxy: np.ndarray, fmt: AnswerFormat, image_size: Any) -> np.ndarray:
    from rewardkit.parsing.frames import convert_boxes

    arr = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    if fmt.pred_frame == "norm1" or len(arr) == 0:
        return arr
    return convert_boxes(arr, "norm1", fmt.pred_frame, image_size, **dict(fmt.resize))


def _points_to_frame(xy: np.ndarray, fmt: AnswerFormat, image_size: Any) -> np.ndarray:
    arr = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    return _to_frame(np.concatenate([arr, arr], axis=1), fmt, image_size)[:, :2]


def _joint(row: Sequence[float], frame: str) -> Any:
    if row[-1] <= 0:
        return None
    return [_num(v, frame) for v in row[:-1]]


def format_payload(answer: Answer, fmt: AnswerFormat, image_size: Any = None) -> str:
    """The text inside ``<answer>`` for ``answer`` in the format ``fmt``.

    Args:
        answer: The answer.
        fmt: The reward's answer format.
        image_size: ``(width, height)`` for pixel frames, or None.

    Returns:
        The payload text.

    Raises:
        ValueError: an unknown answer kind.
    """
    if fmt.dialect is not None and fmt.dialect in _DIALECT_WRITERS:
        return str(_DIALECT_WRITERS[fmt.dialect](answer, fmt, image_size))
    kind = fmt.kind
    frame = fmt.pred_frame
    if kind in ("count", "label"):
        value = answer.count if kind == "count" else answer.label
        return "" if value is None else str(value)
    if kind in ("pose", "pose3d"):
        if answer.keypoints is None:
            return ""
        return json.dumps([_joint(r, "pixel") for r in np.asarray(answer.keypoints).tolist()])
    if kind == "persons":
        people = answer.persons or ()
        return json.dumps([[_joint(r, "pixel") for r in np.asarray(p).tolist()] for p in people])
    if kind in ("points", "mask_points"):
        if answer.points is None or len(answer.points) == 0:
            return "[]"
        pts = _points_to_frame(answer.points, fmt, image_size)
        return json.dumps([[_num(x, frame), _num(y, frame)] for x, y in pts])
    if kind == "polygons":
        if answer.rle is not None:
            return json.dumps(dict(answer.rle))
        if answer.polygons is not None:
            return json.dumps([[_num(v, "pixel") for v in p] for p in answer.polygons])
        if answer.boxes is None or len(answer.boxes) == 0:
            return "[]"
        b = _to_frame(answer.boxes, fmt, image_size)
        return json.dumps([[_num(v, frame) for v in (x1, y1, x2, y1, x2, y2, x1, y2)] for x1, y1, x2, y2 in b])
    if kind == "seg_boxes":
        if answer.boxes is None or len(answer.boxes) == 0:
            return ""
        b = [[_num(v, frame) for v in box] for box in _to_frame(answer.boxes, fmt, image_size)]
        return f"<bbox>{json.dumps(b[0] if len(b) == 1 else b)}</bbox>"
    if kind in ("boxes", "box"):
        if answer.boxes is None or len(answer.boxes) == 0:
            return "[]"
        items = []
        for i, box in enumerate(_to_frame(answer.boxes, fmt, image_size)):
            item: dict[str, Any] = {"bbox_2d": [_num(v, frame) for v in box]}
            if answer.labels is not None and answer.labels[i] is not None:
                item["label"] = answer.labels[i]
            if answer.scores is not None:
                item["confidence"] = round(float(answer.scores[i]), 2)
            items.append(item)
        return json.dumps(items)
    raise ValueError(f"Expected an answer kind, but got {kind!r}")


def _int_boxes(answer: Answer, fmt: AnswerFormat, image_size: Any) -> list[list[int]]:
    if answer.boxes is None or len(answer.boxes) == 0:
        return []
    out = []
    for b in _to_frame(answer.boxes, fmt, image_size):
        x1, y1, x2, y2 = (int(round(float(v))) for v in b)
        out.append([x1, y1, max(x2, x1 + 1), max(y2, y1 + 1)])
    return out


def _items(answer: Answer, boxes: list[list[int]]) -> list[dict[str, Any]]:
    items = []
    for i, b in enumerate(boxes):
        item: dict[str, Any] = {"bbox_2d": b}
        item["label"] = answer.labels[i] if answer.labels is not None and answer.labels[i] is not None else "object"
        items.append(item)
    return items


def _visual_rft(answer: Answer, fmt: AnswerFormat, size: Any) -> str | None:
    boxes = _int_boxes(answer, fmt, size)
    if fmt.kind == "boxes":
        scores = answer.scores or (1.0,) * len(boxes)
        items = [f"{{'Position': {b}, 'Confidence': {round(float(c), 2)}}}" for b, c in zip(boxes, scores)]
        return f"{THINK}<answer>[{', '.join(items)}]</answer>"
    if fmt.kind == "box":
        return f"{THINK}<answer>{''.join(f'({b[0]},{b[1]}),({b[2]},{b[3]})' for b in boxes)}</answer>"
    return None


def _vlm_r1(answer: Answer, fmt: AnswerFormat, size: Any) -> str | None:
    boxes = _int_boxes(answer, fmt, size)
    if fmt.kind == "box":
        return f"{THINK}<answer>{''.join(json.dumps(b, separators=(',', ':')) for b in boxes)}</answer>"
    if fmt.kind == "boxes":
        return f"{THINK}<answer>```json\n{json.dumps(_items(answer, boxes))}\n```</answer>"
    return None


def _vision_r1(answer: Answer, fmt: AnswerFormat, size: Any) -> str | None:
    if fmt.kind not in ("boxes", "box"):
        return None
    return f"```json\n{json.dumps(_items(answer, _int_boxes(answer, fmt, size)))}\n```"


def _seg_r1(answer: Answer, fmt: AnswerFormat, size: Any) -> str | None:
    if fmt.kind != "seg_boxes":
        return None
    # the released reading scores nothing without points and labels: one positive point
    # at the centre of every box
    boxes = _int_boxes(answer, fmt, size)
    if not boxes:
        return f"{THINK}<answer></answer>"
    centres = [[(b[0] + b[2]) // 2, (b[1] + b[3]) // 2] for b in boxes]
    return (f"{THINK}<answer>{''.join(f'<bbox>{json.dumps(b)}</bbox>' for b in boxes)}"
            f"<points>{json.dumps(centres)}</points><labels>{json.dumps([1] * len(boxes))}</labels></answer>")


COMPAT_STYLES: dict[str, Any] = {"visual_rft": _visual_rft, "vlm_r1": _vlm_r1, "vision_r1": _vision_r1, "seg_r1": _seg_r1}
"""Writers of the public projects' output formats, by ``compat`` name: ``writer(answer,
fmt, image_size)`` returns the whole completion, or None for kinds it does not change."""


def format_completion(answer: Answer, fmt: AnswerFormat, image_size: Any = None) -> str:
    """A whole completion: a think block, then ``answer`` in an answer block.

    Args:
        answer: The answer.
        fmt: The reward's answer format.
        image_size: ``(width, height)`` for pixel frames, or None.

    Returns:
        The completion text.

    Raises:
        ValueError: an unknown answer kind.

    Example:
        >>> import numpy as np
        >>> fmt = AnswerFormat("boxes", "norm1000")
        >>> format_completion(Answer(boxes=np.array([[0.1, 0.2, 0.5, 0.6]]), labels=("cat",)), fmt)
        '<think>Let me look at the image carefully.</think><answer>[{"bbox_2d": [100, 200, 500, 600], "label": "cat"}]</answer>'
    """
    if fmt.compat in COMPAT_STYLES and (fmt.dialect is None or fmt.dialect not in _DIALECT_WRITERS):
        text = COMPAT_STYLES[fmt.compat](answer, fmt, image_size)
        if text is not None:
            return text
    return f"{THINK}<answer>{format_payload(answer, fmt, image_size)}</answer>"
