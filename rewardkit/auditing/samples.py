"""Samples of the reward-hacking audit: one built-in sample per task (boxes, grounding, classification, counting, persons), the ground truth and honest answer the probes of :mod:`rewardkit.auditing.probes` are built from."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rewardkit.names import Registry

# ------------------------------------------------------------------------------ samples


@dataclass(frozen=True)
class Sample:
    """One sample to build probes from.

    ``honest`` is the honest answer payload (the text inside ``<answer>``); ``kind``
    says what the payload holds: ``"boxes"``, ``"points"``, ``"persons"``, ``"label"``,
    ``"count"`` or ``"other"`` (only structural probes). Person samples carry the
    ground-truth ``persons`` (keypoint lists in the prediction frame). Box and point samples carry the ground-truth
    ``boxes`` in the prediction frame (``xyxy``), their ``labels`` and the frame
    ``extent`` (width, height), from which the box probes are generated.
    """

    kind: str
    ground_truth: Any
    honest: str
    wrong: str
    params: Mapping[str, Any] = field(default_factory=dict)
    partial: str | None = None
    boxes: tuple[tuple[float, float, float, float], ...] = ()
    labels: tuple[str, ...] | None = None
    extent: tuple[float, float] = (1000.0, 1000.0)
    has_objects: bool = True
    label_or: str | None = None
    label_prefix: str | None = None
    huge: str | None = None
    negative: str | None = None
    persons: tuple[tuple[tuple[float, float], ...], ...] = ()

    @classmethod
    def from_completion(cls, completion: str, ground_truth: Any, task: str, params: Mapping[str, Any] | None = None) -> Sample:
        """A sample from a known-perfect completion (e.g. a property-catalog case).

        Box and point tasks regenerate their payloads from the ground truth (converted to
        the prediction frame); other tasks use the completion's answer as the honest
        payload and get the structural probes.
        """
        from rewardkit.parsing.tags import extract_answer

        params = dict(params or {})
        honest = extract_answer(completion)
        if honest is None:
            honest = completion
        if task in ("detection", "grounding", "point", "format"):
            try:
                return _box_sample(ground_truth, params, points=(task == "point"))
            except (ValueError, TypeError):
                pass
        if task == "classification":
            return Sample("label", ground_truth, honest, "zebra", params, label_or=f"{honest} or zebra", label_prefix=honest.split()[0][:3] if honest.split() else None)
        if task == "counting":
            try:
                n = int(float(honest.strip()))
            except ValueError:
                n = None
            if n is not None:
                return _count_sample(ground_truth, n, params)
        return Sample("other", ground_truth, honest, "[]", params)


def _fmt(v: float) -> Any:
    return int(v) if float(v).is_integer() else round(float(v), 3)


def _box_payload(boxes: Iterable[Sequence[float]], labels: Sequence[str | None] | None = None) -> str:
    items = []
    for i, b in enumerate(boxes):
        item: dict[str, Any] = {"bbox_2d": [_fmt(v) for v in b]}
        if labels is not None and i < len(labels) and labels[i] is not None:
            item["label"] = labels[i]
        items.append(item)
    return json.dumps(items)


def _point_payload(boxes: Iterable[Sequence[float]]) -> str:
    return json.dumps([[_fmt((b[0] + b[2]) / 2), _fmt((b[1] + b[3]) / 2)] for b in boxes])


def _box_sample(ground_truth: Any, params: Mapping[str, Any], points: bool = False) -> Sample:
    from rewardkit.parsing.frames import convert_boxes, frame_extent
    from rewardkit.parsing.ground_truth import read_box_target
    from rewardkit.parsing.reading import READING_FIELDS, Reading

    reading = Reading.resolve(params.get("reading"), None, **{k: params[k] for k in READING_FIELDS if k in params})
    target = read_box_target(ground_truth, image_size=reading.image_size)
    pred_frame = reading.frame
    gt_frame = target.frame or reading.gt_frame
    size = target.image_size
    resize = reading.resize_kw
    xyxy = convert_boxes(target.boxes.xyxy, gt_frame, pred_frame, size, **resize) if len(target.boxes) else target.boxes.xyxy
    extent = frame_extent(pred_frame, size, **resize)
    boxes = tuple(tuple(float(v) for v in b) for b in xyxy.tolist())
    labels = tuple(target.boxes.labels) if target.boxes.labels is not None else None
    if points:
        honest = _point_payload(boxes)
        partial = _point_payload(boxes[:1]) if len(boxes) > 1 else None
    else:
        honest = _box_payload(boxes, labels)
        partial = _box_payload(boxes[:1], labels) if len(boxes) > 1 else None
    junk = _junk_boxes(boxes, extent, max(1, len(boxes)))
    wrong = _point_payload(junk) if points else _box_payload(junk, labels)
    return Sample(
        "points" if points else "boxes", ground_truth, honest, wrong, dict(params), partial,
        boxes=boxes, labels=labels, extent=(float(extent[0]), float(extent[1])), has_objects=len(boxes) > 0,
    )


def _persons_payload(persons: Iterable[Sequence[Sequence[float]]]) -> str:
    return json.dumps([[[_fmt(v) for v in kp] for kp in person] for person in persons])


def _persons_sample() -> Sample:
    """Three standing people (COCO-17, pixels of a 640 x 480 image), one COCO annotation each."""
    stand = [
        (0, -60), (-3, -63), (3, -63), (-8, -58), (8, -58), (-20, -40), (20, -40), (-22, -9), (22, -9),
        (-24, 16), (24, 16), (-15, 10), (15, 10), (-15, 52), (15, 52), (-15, 94), (15, 94),
    ]
    persons = tuple(tuple((float(x + cx), float(y + 200)) for x, y in stand) for cx in (100, 300, 500))
    gt = [
        {"keypoints": [c for x, y in p for c in (x, y, 2)], "area": 4000.0,
         "bbox": [p[10][0] - 48, 137.0, 48.0, 157.0], "iscrowd": 0}
        for p in persons
    ]
    return Sample(
        "persons", gt, _persons_payload(persons), "[]", {}, partial=_persons_payload(persons[:1]),
        extent=(640.0, 480.0), persons=persons,
    )


def _count_sample(ground_truth: Any, n: int, params: Mapping[str, Any]) -> Sample:
    return Sample(
        "count", ground_truth, str(n), str(n + 4), dict(params), has_objects=n > 0,
        label_or=f"{n} or {n + 1}", huge="1000000000000", negative=str(-n if n else -1),
    )


_DET_GT = {
    "boxes": [[100, 120, 300, 340], [420, 200, 600, 450], [650, 600, 900, 880]],
    "labels": ["cat", "dog", "cat"],
}
_GROUND_GT = [300, 250, 520, 600]
_CLS_GT = "2012 BMW 1 Series Convertible"


def _check_factory(factory: Any) -> None:
    if not callable(factory):
        raise ValueError(f"Expected a callable returning a Sample, but got {type(factory).__name__}")


_REGISTERED: Registry[Callable[[], Sample]] = Registry("audit sample", _check_factory)


def register_sample(task: str, factory: Callable[[], Sample]) -> None:
    """Give a task a built-in sample (a family without one gets no probes by default)."""
    _REGISTERED.register(str(task), factory)


def canonical_sample(task: str) -> Sample | None:
    """The built-in sample of a task (``None`` if there is none)."""
    if task in _REGISTERED:
        return _REGISTERED[task]()
    if task in ("detection", "format"):
        return _box_sample(_DET_GT, {})
    if task == "grounding":
        return _box_sample(_GROUND_GT, {})
    if task == "point":
        return _box_sample(_DET_GT, {}, points=True)
    if task == "classification":
        return Sample("label", _CLS_GT, _CLS_GT, "Audi TT Coupe", {}, label_or=f"{_CLS_GT} or Audi TT Coupe", label_prefix="BMW")
    if task == "counting":
        return _count_sample(3, 3, {})
    if task == "multi_pose":
        return _persons_sample()
    return None


def _junk_boxes(boxes: Sequence[Sequence[float]], extent: tuple[float, float], n: int) -> list[list[float]]:
    """``n`` small boxes on a grid that overlap no ground-truth box."""
    w, h = extent
    s = 0.03
    out: list[list[float]] = []
    for gy in range(20):
        for gx in range(20):
            x1, y1 = (0.01 + gx * 0.049) * w, (0.01 + gy * 0.049) * h
            b = [x1, y1, x1 + s * w, y1 + s * h]
            if any(b[0] < g[2] and g[0] < b[2] and b[1] < g[3] and g[1] < b[3] for g in boxes):
                continue
            out.append([_round_like(v, w) for v in b])
            if len(out) == n:
                return out
    return out


def _round_like(v: float, scale: float) -> float:
    return round(v) if scale >= 100 else round(v, 4)
