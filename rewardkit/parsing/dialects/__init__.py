"""VLM output dialects: which model writes boxes and points how.

A :class:`Dialect` fixes the payload syntax, the axis order and the coordinate frame of
one model family's output, so a user names the model, not the frame
(``Reading(dialect="qwen2_5_vl", image_size=(w, h))``). A registry maps names to
dialects; rewards never special-case a model. Readers never raise on model output,
refuse payloads over :data:`~rewardkit.parsing._structured.MAX_PAYLOAD_CHARS`, and run
in linear time (``str.find`` scans and single-token regexes).

===============  =============================================  ==========  ======================
dialect          payload                                        frame       points
===============  =============================================  ==========  ======================
``visual_rft``   everything rewardkit reads (default)           norm1000    ``[x, y]``, point_2d
``qwen2_vl``     ``<|box_start|>(x1,y1),(x2,y2)<|box_end|>``    norm1000    -
``qwen2_5_vl``   JSON ``bbox_2d`` / ``point_2d``                qwen25vl    ``point_2d``
``qwen3_vl``     JSON ``bbox_2d`` / ``point_2d``                norm1000    ``point_2d``
``internvl``     ``<ref>..</ref><box>[[..]]</box>``             norm1000    -
``deepseek_vl2`` ``<|ref|>..<|/ref|><|det|>[[..]]<|/det|>``     0..999      -
``paligemma``    ``<locY1><locX1><locY2><locX2> label``         1024 bins   -
``florence2``    ``label<loc_x1><loc_y1><loc_x2><loc_y2>``      1000 bins   -
``gemini``       JSON ``box_2d`` = [ymin, xmin, ymax, xmax]     norm1000    ``point`` = [y, x]
``moondream``    ``{"objects": [{"x_min", ...}]}``              0..1        ``{"points": [..]}``
``molmo``        ``<point x= y=>`` / ``<points x1= y1= ...>``   percent     yes (no boxes)
``kosmos2``      ``<object><patch_index_..><patch_index_..>``   32 x 32     -
===============  =============================================  ==========  ======================

Each reader module cites the model's documentation or processor code it follows.

>>> out = read_vlm_output("<loc0256><loc0256><loc0768><loc0768> cat", "paligemma", image_size=(1000, 1000))
>>> out.boxes.xyxy.tolist(), out.boxes.labels
([[250.0, 250.0, 750.0, 750.0]], ('cat',))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rewardkit.names import Registry
from rewardkit.parsing.dialects.molmo import read_molmo_points
from rewardkit.parsing.dialects.qwen import parse_boxes, parse_points, read_qwen2_vl_boxes
from rewardkit.parsing.dialects.refdet import read_deepseek_vl2_boxes, read_internvl_boxes
from rewardkit.parsing.dialects.structured import (
    read_gemini_boxes,
    read_gemini_points,
    read_moondream_boxes,
    read_moondream_points,
)
from rewardkit.parsing.dialects.tokens import (
    read_florence2_boxes,
    read_kosmos2_boxes,
    read_paligemma_boxes,
)
from rewardkit.parsing.frames import check_frame
from rewardkit.types import Boxes, ParseResult, Points

__all__ = [
    "Dialect",
    "DIALECTS",
    "register_dialect",
    "get_dialect",
    "dialect_names",
    "VlmOutput",
    "read_vlm_output",
]


@dataclass(frozen=True)
class Dialect:
    """One model family's output grammar.

    ``read_boxes`` / ``read_points`` turn an answer payload into coordinates in
    ``frame`` (``None``: the dialect writes no such thing). ``fixed_frame``: the grammar
    fixes the grid (token bins, ``0..1`` floats), so ``pred_frame`` may not override it.
    ``models`` names the models, ``example`` is one output as the model writes it (the
    docs page and the tests use it) and ``source`` where the format is documented.

    Args:
        name: The registry name.
        frame: The coordinate frame the readers return.
        read_boxes: Payload -> boxes in ``frame``, or None (no boxes).
        read_points: Payload -> points in ``frame``, or None (no points).
        fixed_frame: Whether the grammar fixes the grid (``pred_frame`` may not override it).
        models: The model names.
        example: One output as the model writes it.
        source: Where the format is documented.

    Raises:
        ValueError: an unknown ``frame``.
    """

    name: str
    frame: str
    read_boxes: Callable[[str], ParseResult[Boxes]] | None
    read_points: Callable[[str], ParseResult[Points]] | None = None
    fixed_frame: bool = False
    models: str = ""
    example: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        check_frame(self.frame)


def _check_dialect(dialect: Any) -> None:
    if not isinstance(dialect, Dialect):
        raise ValueError(f"Expected a Dialect, but got {type(dialect).__name__}")


DIALECTS: Registry[Dialect] = Registry("dialect", _check_dialect)


def register_dialect(dialect: Dialect) -> Dialect:
    """Add ``dialect`` to the registry (a name registered twice is replaced).

    Args:
        dialect: The dialect.

    Returns:
        ``dialect``.

    Raises:
        ValueError: ``dialect`` is not a :class:`Dialect`.
    """
    _check_dialect(dialect)
    return DIALECTS.register(dialect.name, dialect)


def dialect_names() -> list[str]:
    """Registered dialect names, sorted.

    Returns:
        The names.
    """
    return DIALECTS.names()


def get_dialect(name: Any) -> Dialect:
    """The dialect registered under ``name``; ``KeyError`` with suggestions.

    Args:
        name: A dialect name (or a :class:`Dialect`, returned as is).

    Returns:
        The :class:`Dialect`.

    Raises:
        KeyError: an unknown name (the message suggests close names).
    """
    if isinstance(name, Dialect):
        return name
    return DIALECTS.lookup(name)


for _d in (
    Dialect("visual_rft", "norm1000", parse_boxes, parse_points, models="Visual-RFT recipes (default reading)",
            example="[{'Position': [254, 303, 602, 755], 'Confidence': 0.92}]",
            source="Liu et al. 2025, Visual-RFT, Table 1 prompts (0..1000)"),
    Dialect("qwen2_vl", "norm1000", read_qwen2_vl_boxes, models="Qwen2-VL",
            example="<|object_ref_start|>the cat<|object_ref_end|><|box_start|>(254,303),(602,755)<|box_end|>",
            source="Qwen2-VL technical report, Sec. 2.2; QwenLM/Qwen2.5-VL README (Qwen2-VL)"),
    Dialect("qwen2_5_vl", "qwen25vl", parse_boxes, parse_points, models="Qwen2.5-VL",
            example='```json\n[{"bbox_2d": [256, 305, 607, 761], "label": "cat"}]\n```',
            source="QwenLM/Qwen2.5-VL cookbooks/spatial_understanding.ipynb; transformers qwen2_vl smart_resize"),
    Dialect("qwen3_vl", "norm1000", parse_boxes, parse_points, models="Qwen3-VL",
            example='```json\n[{"bbox_2d": [254, 303, 602, 755], "label": "cat"}]\n```',
            source="QwenLM/Qwen3-VL cookbooks/2d_grounding.ipynb; supervision from_qwen_3_vl"),
    Dialect("internvl", "norm1000", read_internvl_boxes, models="InternVL 2 / 2.5 / 3",
            example="<ref>the cat</ref><box>[[254, 303, 602, 755]]</box>",
            source="OpenGVLab/InternVL@0355722a internvl_chat/eval/refcoco/evaluate_grounding.py"),
    Dialect("deepseek_vl2", "norm1", read_deepseek_vl2_boxes, fixed_frame=True, models="DeepSeek-VL2",
            example="<|ref|>the cat<|/ref|><|det|>[[254, 303, 601, 754]]<|/det|>",
            source="deepseek-ai/DeepSeek-VL2 README (grounding); supervision from_deepseek_vl_2 (/ 999)"),
    Dialect("paligemma", "norm1", read_paligemma_boxes, fixed_frame=True, models="PaliGemma, PaliGemma 2",
            example="<loc0310><loc0260><loc0773><loc0616> cat",
            source="google-research/big_vision PaliGemma README (detect); supervision from_paligemma (/ 1024)"),
    Dialect("florence2", "norm1", read_florence2_boxes, fixed_frame=True, models="Florence-2",
            example="cat<loc_254><loc_303><loc_601><loc_754>",
            source="transformers 5.10.4 models/florence2/processing_florence2.py (dequantize: (bin + 0.5) / 1000)"),
    Dialect("gemini", "norm1000", read_gemini_boxes, read_gemini_points, models="Gemini 2.0 / 2.5 / 3",
            example='```json\n[{"box_2d": [303, 254, 755, 602], "label": "cat"}]\n```',
            source="ai.google.dev/gemini-api/docs/vision (box_2d = [ymin, xmin, ymax, xmax], 0..1000)"),
    Dialect("moondream", "norm1", read_moondream_boxes, read_moondream_points, fixed_frame=True, models="Moondream 2",
            example='{"objects": [{"x_min": 0.254, "y_min": 0.303, "x_max": 0.602, "y_max": 0.755}]}',
            source="moondream.ai/c/docs/advanced/api/detect and /point (0..1)"),
    Dialect("molmo", "norm1", None, read_molmo_points, fixed_frame=True, models="Molmo, Molmo 2",
            example='<point x="42.8" y="52.9" alt="cat">cat</point>',
            source="allenai Molmo-7B-D-0924 model card; allenai/molmo olmo/preprocessing/point_formatter.py"),
    Dialect("kosmos2", "norm1", read_kosmos2_boxes, fixed_frame=True, models="Kosmos-2",
            example="<phrase>the cat</phrase><object><patch_index_0296><patch_index_0787></object>",
            source="transformers 5.10.4 models/kosmos2/processing_kosmos2.py (patch_index_to_coordinate, 32 x 32)"),
):
    register_dialect(_d)


@dataclass(frozen=True)
class VlmOutput:
    """What :func:`read_vlm_output` returns.

    ``boxes`` in pixels of the original image (xyxy float64, labels, scores), ``points``
    in pixels (``None`` when the dialect has no points), ``reason`` why nothing could be
    read (``None`` on success) and the ``frame`` the payload was read in.

    Args:
        boxes: The boxes, in pixels of the original image.
        points: The points, in pixels, or None (the dialect has no points).
        reason: Why nothing could be read, or None.
        frame: The frame the payload was read in.
        point_labels: The labels of the points, when the dialect writes them.
    """

    boxes: Boxes
    points: Points | None
    reason: str | None
    frame: str
    point_labels: tuple[str | None, ...] | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


def read_vlm_output(text: Any, dialect: str = "visual_rft", image_size: Any = None, **frame_kwargs: Any) -> VlmOutput:
    r"""Boxes (and points, where the dialect has them) of a model's output, in pixels of the ORIGINAL image.

    ``text`` may hold think/answer tags (the answer is found with ``answer=``, default
    ``"auto"``); ``image_size=(width, height)`` of the original image is needed unless
    the payload is already in pixels. ``frame_kwargs``: ``pred_frame`` (override a
    convention frame), ``min_pixels`` / ``max_pixels`` (Qwen2.5-VL processor bounds),
    ``answer``. Never raises on model output; bad arguments raise ``ValueError``.

    Args:
        text: The model's output.
        dialect: A dialect name (``"visual_rft"`` by default).
        image_size: ``(width, height)`` of the original image.
        **frame_kwargs: ``pred_frame``, ``min_pixels``, ``max_pixels``, ``answer`` or
            ``prompt``.

    Returns:
        A :class:`VlmOutput`.

    Raises:
        ValueError: an unknown keyword, frame or answer mode, or no ``image_size`` where
            the dialect's frame needs it.
        KeyError: an unknown dialect.

    Example:
        >>> out = read_vlm_output('```json\n[{"bbox_2d": [0, 0, 280, 140], "label": "cat"}]\n```', "qwen2_5_vl",
        ...                       image_size=(560, 280))
        >>> out.boxes.xyxy.tolist(), out.boxes.labels
        ([[0.0, 0.0, 280.0, 140.0]], ('cat',))
    """
    from rewardkit.parsing.frames import convert_boxes, convert_points
    from rewardkit.parsing.reading import Reading, extract_answer_text

    unknown = sorted(set(frame_kwargs) - {"pred_frame", "min_pixels", "max_pixels", "answer", "prompt"})
    if unknown:
        raise ValueError(f"Expected pred_frame, min_pixels, max_pixels, answer or prompt, but got {unknown}")
    prompt = frame_kwargs.pop("prompt", None)
    reading = Reading(dialect=dialect, image_size=image_size, **frame_kwargs)
    d = get_dialect(reading.dialect)
    frame = reading.frame
    if frame != "pixel" and reading.image_size is None:
        raise ValueError(f"Expected image_size=(width, height) to read dialect {d.name!r} (frame {frame!r}) into pixels, but got None")
    ans = extract_answer_text(text, prompt, reading.answer)
    boxes, points, labels, reason = Boxes.empty(), None, None, ans.reason
    if ans.text is not None:
        reasons = []
        if d.read_boxes is not None:
            pb = d.read_boxes(ans.text)
            if pb.ok:
                b = pb.value
                xyxy = convert_boxes(b.xyxy, frame, "pixel", reading.image_size, **reading.resize_kw) if len(b) else b.xyxy
                boxes = Boxes(xyxy, b.scores, b.labels)
            else:
                reasons.append(pb.reason)
        if d.read_points is not None:
            pp = d.read_points(ans.text)
            if pp.ok:
                xy = pp.value.xy
                points = Points(convert_points(xy, frame, "pixel", reading.image_size, **reading.resize_kw) if len(xy) else xy)
                labels = pp.details.get("labels")
            else:
                points = Points.empty()
                reasons.append(pp.reason)
        readers = int(d.read_boxes is not None) + int(d.read_points is not None)
        reason = reasons[0] if len(reasons) == readers else None
    return VlmOutput(boxes, points, reason, frame, labels)
