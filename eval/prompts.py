"""Prompts of the papers' training and evaluation sets.

Visual-RFT, Table 1 ("Prompts used to construct the dataset"). The paper prints both
prompts with elisions ("..."); the visible text is kept word for word and the elided
middle is written out from the rest of the paper (boxes as integers 0..1000 with a
confidence per box; "No Objects" when the category is absent, which the detection reward
scores; the reasoning inside ``<think>`` and the answer inside ``<answer>``):

* detection: :func:`detection_prompt` (``category`` fills ``'{category}'``);
* classification: :func:`classification_prompt` (``kind`` fills "a plant" / "the
  species"; the paper's example is the plant prompt of Flower102). The paper's printed
  format line has a typo (``</think> </think>species name</answer>``); the prompt here
  asks for ``<answer>species name</answer>``, which is what the reward reads.

Vision-R1 (:func:`vision_r1_prompt`) asks for Qwen2.5-VL JSON boxes in the processed
image's pixels. Seg-R1 (:func:`seg_r1_prompt`) asks for box and point prompts on the
image resized to 768 x 768.

>>> print(detection_prompt("fire hydrant").splitlines()[0])
Detect all objects belonging to the category 'fire hydrant' in the image, and provide the bounding boxes (between 0 and 1000, integer) and confidence (between 0 and 1, with two decimal places).
"""

from __future__ import annotations

__all__ = [
    "detection_prompt",
    "classification_prompt",
    "vision_r1_prompt",
    "seg_r1_prompt",
    "grounding_prompt",
    "CLASSIFICATION_KINDS",
]

_DETECTION = (
    "Detect all objects belonging to the category '{category}' in the image, and provide the bounding boxes "
    "(between 0 and 1000, integer) and confidence (between 0 and 1, with two decimal places).\n"
    "If no object belonging to the category '{category}' is in the image, answer 'No Objects'.\n"
    "Output the thinking process in <think> </think> and the final answer in <answer> </answer> tags. "
    "The output answer format should be as follows:\n"
    "<think> ... </think><answer>[{{'Position': [x1, y1, x2, y2], 'Confidence': number}}, ...]</answer>\n"
    "Please strictly follow the format."
)

CLASSIFICATION_KINDS = {
    "flower102": ("a plant", "the species of the plant"),
    "pets37": ("a pet", "the breed of the pet"),
    "aircraft": ("an aircraft", "the model of the aircraft"),
    "cars196": ("a car", "the model of the car"),
}

_CLASSIFICATION = (
    "This is an image containing {subject}. Please identify {target} based on the image.\n"
    "Output the thinking process in <think> </think> and the final answer in <answer> </answer> tags. "
    "The output answer format should be as follows:\n"
    "<think> ... </think><answer>{answer_name}</answer>\n"
    "Please strictly follow the format."
)

_VISION_R1 = (
    "Locate every {category} in the image and output the bounding boxes in JSON format, "
    'as [{{"bbox_2d": [x1, y1, x2, y2], "label": "{category}"}}, ...]. '
    "Output the thinking process in <think> </think> and the final answer in <answer> </answer> tags."
)

_SEG_R1 = (
    "Find '{expression}' in the image (resized to 768 x 768). Output the thinking process in <think> </think> "
    "and, in <answer> </answer>, prompts for a segmenter: <bbox>[x1, y1, x2, y2]</bbox>, "
    "<points>[[x, y], ...]</points>, <labels>[1, 0, ...]</labels> (1 = on the object, 0 = background)."
)

_GROUNDING = (
    "Output the bounding box of '{expression}' in the image (integers between 0 and 1000). "
    "Output the thinking process in <think> </think> and the final answer in <answer> </answer> tags, "
    "as <answer>[x1, y1, x2, y2]</answer>."
)


def detection_prompt(category: str) -> str:
    """Visual-RFT's detection prompt (Table 1) for one category.

    Args:
        category: The category name.

    Returns:
        The prompt.

    Raises:
        ValueError: a category that is not a non-empty string.
    """
    if not isinstance(category, str) or not category.strip():
        raise ValueError(f"Expected a category name, but got {category!r}")
    return _DETECTION.format(category=category.strip())


def classification_prompt(dataset: str = "flower102", *, subject: str | None = None, target: str | None = None) -> str:
    """Visual-RFT's classification prompt (Table 1).

    ``dataset`` picks the wording (``flower102``, ``pets37``, ``aircraft``, ``cars196``)
    or pass ``subject``/``target``.

    Args:
        dataset: The dataset whose wording is used.
        subject: The image's subject, in place of the dataset's.
        target: What is asked, in place of the dataset's.

    Returns:
        The prompt.

    Raises:
        ValueError: an unknown ``dataset``.
    """
    if subject is None or target is None:
        try:
            default_subject, default_target = CLASSIFICATION_KINDS[dataset]
        except KeyError:
            raise ValueError(f"Expected dataset in {sorted(CLASSIFICATION_KINDS)}, but got {dataset!r}") from None
        subject = subject or default_subject
        target = target or default_target
    answer_name = "species name" if "species" in target else "class name"
    return _CLASSIFICATION.format(subject=subject, target=target, answer_name=answer_name)


def vision_r1_prompt(category: str) -> str:
    """A Vision-R1-style localization prompt (Qwen2.5-VL JSON boxes).

    Args:
        category: The category name.

    Returns:
        The prompt.
    """
    return _VISION_R1.format(category=category)


def seg_r1_prompt(expression: str) -> str:
    """A Seg-R1-style prompt: box and point prompts on the 768 x 768 image.

    Args:
        expression: The referring expression.

    Returns:
        The prompt.
    """
    return _SEG_R1.format(expression=expression)


def grounding_prompt(expression: str) -> str:
    """A reasoning-grounding prompt (one box, norm1000), as Visual-RFT's LISA runs.

    Args:
        expression: The referring (reasoning) expression.

    Returns:
        The prompt.
    """
    return _GROUNDING.format(expression=expression)
