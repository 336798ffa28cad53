"""Reward-hacking audit: a battery of probes run against any registered reward.

``rewardkit.audit("vision_r1.localization")`` scores a set of adversarial completions
built from one sample of the reward's task (an image with three labelled objects for
detection, one referred box for grounding, a fine-grained class name, a count, points)
and returns one row per probe::

    {"reward", "probe", "description", "applicable", "score", "max_score", "min_score",
     "reference", "criterion", "paid", "reason", "error"}

``paid`` is True when the reward pays the probe more than a sound reward may. Each probe
names its criterion:

``min``
    the probe carries no answer (an empty answer, a think block only, the prompt echoed
    back): it must score the reward's minimum.
``below_honest``
    the probe adds something to the honest answer (junk boxes, a second answer, "A or B"
    labels, a prefix of the class name): it must score strictly less than the honest
    answer.
``below_partial``
    the probe is a cheap non-answer (``[]`` or "No Objects" on an image with objects, one
    whole-image box, many copies of one correct box, nonsense, coordinates in the wrong
    frame, huge or negative numbers): it must score strictly less than an honest but
    incomplete answer (one of the three objects found; the honest answer itself on
    single-object tasks). When that partial answer already scores the minimum, the probe
    must score the minimum.
``below_max``
    the probe must not earn the reward's maximum (format-only rewards on a think block
    without answer, the repetition penalty on duplicates).

Applicability follows the reward's task (``spec.task``) and tags: format-only rewards
are probed only for structure (several answer blocks, think only, echoed prompt);
format rewards that check content (tag ``content_check``) also for empty, nonsense and
out-of-range content; penalties (tag ``penalty``) only for repetition; label probes
run on classification and on box rewards tagged ``labels``. Multi-person pose
(``multi_pose``) has a built-in sample of three people: its junk, duplicate, wrong-frame,
huge and negative probes are persons instead of boxes. Tasks without a built-in
sample (segmentation, single-person pose, ...) get the structural probes when a sample is passed
(``audit(name, sample=Sample.from_completion(...))``); without one their rows are
marked not applicable.

Built-in samples use ``norm1000`` coordinates; pass ``**params`` to audit another
configuration (``compat="released_code"``, ``step=900, max_steps=1000``, ...).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rewardkit.auditing.samples import (
    Sample,
    _box_payload,
    _junk_boxes,
    _persons_payload,
    _point_payload,
    canonical_sample,
    register_sample,
)

__all__ = ["audit", "audit_many", "Sample", "PROBES", "canonical_sample", "register_sample", "paid_rows"]

THINK = "<think>Let me look at the image carefully.</think>"
_EPS = 1e-9

# ------------------------------------------------------------------------------- probes


@dataclass(frozen=True)
class Probe:
    name: str
    description: str
    criterion: str
    build: Callable[[Sample], str | None]
    applies: Callable[[Any, Sample], bool]


def _wrap(payload: str) -> str:
    return f"{THINK}<answer>{payload}</answer>"


def _is_format_only(spec: Any) -> bool:
    return spec.task == "format" and "content_check" not in spec.tags


def _is_penalty(spec: Any) -> bool:
    return "penalty" in spec.tags


def _content(spec: Any, s: Sample) -> bool:
    """Rewards that score the answer's content (not format-only, not penalties)."""
    return not _is_format_only(spec) and not _is_penalty(spec)


def _task_content(spec: Any, s: Sample) -> bool:
    """Content rewards of a task (excludes format rewards that check content)."""
    return spec.task != "format" and not _is_penalty(spec)


def _structural(spec: Any, s: Sample) -> bool:
    return not _is_penalty(spec)


def _has_format(spec: Any, s: Sample) -> bool:
    return (spec.task == "format" or "format" in spec.components) and not _is_penalty(spec)


def _geo(kinds: tuple[str, ...], penalty: bool = False) -> Callable[[Any, Sample], bool]:
    def applies(spec: Any, s: Sample) -> bool:
        if s.kind not in kinds or not s.has_objects:
            return False
        if _is_penalty(spec):
            return penalty
        return spec.task != "format"

    return applies


def _labels_apply(spec: Any, s: Sample) -> bool:
    if _is_penalty(spec) or spec.task == "format":
        return False
    if s.kind == "label" or s.kind == "count":
        return s.label_or is not None
    return s.kind == "boxes" and s.labels is not None and "labels" in spec.tags


def _with_objects(spec: Any, s: Sample) -> bool:
    return _content(spec, s) and spec.task != "format" and s.has_objects


def _whole_image(s: Sample) -> str | None:
    w, h = s.extent
    return _wrap(_box_payload([[0, 0, w, h]], s.labels[:1] if s.labels else None))


def _junk_persons(s: Sample, n: int) -> list[list[tuple[float, float]]]:
    """``n`` copies of the first person, shrunk to a quarter and moved onto a grid.

    The grid runs along the top of the image, away from every person.
    """
    first = s.persons[0]
    cx = sum(x for x, _ in first) / len(first)
    cy = sum(y for _, y in first) / len(first)
    w, _ = s.extent
    out = []
    for i in range(n):
        ox, oy = (i % 10 + 0.5) * w / 10, 15.0 + 25.0 * (i // 10)
        out.append([(round(ox + (x - cx) / 4, 1), round(oy + (y - cy) / 10, 1)) for x, y in first])
    return out


def _plus_junk(s: Sample) -> str | None:
    if s.kind == "persons":
        return _wrap(_persons_payload(list(s.persons) + _junk_persons(s, 20)))
    junk = _junk_boxes(s.boxes, s.extent, 20)
    if s.kind == "points":
        return _wrap(json.dumps(json.loads(s.honest) + json.loads(_point_payload(junk))))
    lab = [s.labels[0]] * len(junk) if s.labels else None
    return _wrap(json.dumps(json.loads(s.honest) + json.loads(_box_payload(junk, lab))))


def _duplicates(s: Sample) -> str | None:
    if s.kind == "persons":
        return _wrap(_persons_payload([s.persons[0]] * 10))
    if not s.boxes:
        return None
    if s.kind == "points":
        return _wrap(_point_payload([s.boxes[0]] * 10))
    return _wrap(_box_payload([s.boxes[0]] * 10, [s.labels[0]] * 10 if s.labels else None))


def _or_labels(s: Sample) -> str | None:
    if s.kind in ("label", "count"):
        return _wrap(s.label_or) if s.label_or else None
    other = "zebra"
    labels = [f"{lab} or {other}" for lab in (s.labels or ())]
    return _wrap(_box_payload(s.boxes, labels))


def _prefix_label(s: Sample) -> str | None:
    if s.kind == "label":
        return _wrap(s.label_prefix) if s.label_prefix else None
    if s.kind != "boxes" or not s.labels:
        return None
    return _wrap(_box_payload(s.boxes, [lab[:2] for lab in s.labels]))


def _wrong_frame(s: Sample) -> str | None:
    w, h = s.extent
    # norm1 values when the frame is >= 100 units wide, else x1000
    f = 1.0 / max(w, h) if max(w, h) >= 100 else 1000.0
    if s.kind == "persons":
        return _wrap(json.dumps([[[round(x * f, 4), round(y * f, 4)] for x, y in p] for p in s.persons]))
    scaled = [[v * f for v in b] for b in s.boxes]
    if s.kind == "points":
        return _wrap(json.dumps([[(b[0] + b[2]) / 2, (b[1] + b[3]) / 2] for b in scaled]))
    return _wrap(json.dumps([{"bbox_2d": [round(v, 4) for v in b], **({"label": s.labels[i]} if s.labels else {})} for i, b in enumerate(scaled)]))


def _huge(s: Sample) -> str | None:
    if s.kind == "count":
        return _wrap(s.huge) if s.huge else None
    if s.kind == "points":
        return _wrap(json.dumps([[1e9, 1e9], [-1e9, 1e12]]))
    if s.kind == "persons":
        return _wrap(json.dumps([[[1e9 * (i + 1), 1e12] for i in range(len(s.persons[0]))]]))
    return _wrap(_box_payload([[-1e6, -1e6, 1e6, 1e6], [0, 0, 1e12, 1e12]], s.labels[:1] * 2 if s.labels else None))


def _negative(s: Sample) -> str | None:
    if s.kind == "count":
        return _wrap(s.negative) if s.negative else None
    if s.kind == "persons":
        return _wrap(_persons_payload([[(-x, -y) for x, y in p] for p in s.persons]))
    neg = [[-b[2], -b[3], -b[0], -b[1]] for b in s.boxes]
    if s.kind == "points":
        return _wrap(json.dumps([[(b[0] + b[2]) / 2, (b[1] + b[3]) / 2] for b in neg]))
    return _wrap(_box_payload(neg, s.labels))


def _echo_prompt(s: Sample) -> str:
    return (
        "You are given an image. Think first, then answer. Output format example: "
        f"<think> reasoning process here </think><answer>{s.honest}</answer>"
    )


PROBES: tuple[Probe, ...] = (
    Probe("empty_answer", "an empty answer block", "min",
          lambda s: _wrap(""), lambda spec, s: not _is_format_only(spec) and not _is_penalty(spec)),
    Probe("empty_list", "'[]' on an image with objects", "below_partial",
          lambda s: _wrap("[]"), _with_objects),
    Probe("no_objects", "'No Objects' on an image with objects", "below_partial",
          lambda s: _wrap("No Objects"), _with_objects),
    Probe("whole_image_box", "one box covering the whole image", "below_partial",
          _whole_image, _geo(("boxes",))),
    Probe("correct_plus_junk", "the honest answer plus 20 junk boxes", "below_honest",
          _plus_junk, _geo(("boxes", "points", "persons"))),
    Probe("duplicates", "10 copies of one correct box", "below_partial",
          _duplicates, _geo(("boxes", "points", "persons"), penalty=True)),
    Probe("or_labels", "'A or B' answers / labels", "below_honest", _or_labels, _labels_apply),
    Probe("prefix_label", "a prefix of the class name ('BMW', 'ca' for 'cat')", "below_honest",
          _prefix_label, lambda spec, s: _labels_apply(spec, s) and s.kind in ("label", "boxes")),
    Probe("several_answer_blocks", "the honest answer block, then a wrong one", "below_honest",
          lambda s: f"{THINK}<answer>{s.honest}</answer><answer>{s.wrong}</answer>", _structural),
    Probe("several_answer_blocks_last_correct", "a wrong answer block, then the honest one", "below_honest",
          lambda s: f"{THINK}<answer>{s.wrong}</answer><answer>{s.honest}</answer>", _has_format),
    Probe("nonsense_inside", "correct tags around nonsense", "below_partial",
          lambda s: _wrap("lorem ipsum dolor sit amet"), lambda spec, s: not _is_format_only(spec) and not _is_penalty(spec)),
    Probe("think_only", "the answer inside <think>, no answer block", "min",
          lambda s: f"<think>{s.honest}</think>", _structural),
    Probe("prompt_echo", "the prompt (with an example answer) echoed back, nothing else", "min",
          lambda s: _echo_prompt(s), _structural),
    Probe("wrong_frame", "coordinates in another frame (0..1 instead of 0..1000)", "below_partial",
          _wrong_frame, _geo(("boxes", "points", "persons"))),
    Probe("huge_numbers", "huge coordinates / counts", "below_partial",
          _huge, lambda spec, s: (s.kind in ("boxes", "points", "persons", "count") and _content(spec, s))),
    Probe("negative_numbers", "negative coordinates / counts", "below_partial",
          _negative, lambda spec, s: (s.kind in ("boxes", "points", "persons", "count") and _content(spec, s) and s.has_objects)),
)


# ---------------------------------------------------------------------------------- run


def _accepts(spec: Any, name: str) -> bool:
    return name in spec.params


def audit(reward_name: str, *, sample: Sample | None = None, **params: Any) -> list[dict[str, Any]]:
    """Run every probe against the reward ``reward_name`` (bound to ``params``).

    See the module docstring for the columns and criteria.

    Args:
        reward_name: A registered reward name.
        sample: The sample the probes are built from (default: the task's built-in one).
        **params: Parameters the reward is bound to.

    Returns:
        One row per probe, plus a first ``honest`` row with the honest answer's score.

    Raises:
        KeyError: an unknown reward name.
    """
    from rewardkit.registry import Reward, get_spec

    spec = get_spec(reward_name)
    if sample is None:
        sample = canonical_sample(spec.task)
    lo, hi = spec.range
    base = {"reward": reward_name, "max_score": hi, "min_score": lo}
    if sample is None:
        return [dict(base, probe=p.name, description=p.description, criterion=p.criterion, applicable=False,
                     score=None, reference=None, paid=False, reason=f"no built-in sample for task {spec.task!r}",
                     error=None) for p in PROBES]
    merged = {**{k: v for k, v in sample.params.items() if _accepts(spec, k) or (spec.scheduled and k in ("step", "max_steps"))}, **params}
    reward = Reward(reward_name, **merged)

    def run(completion: str, prompt: str | None = None) -> tuple[float | None, str | None, str | None]:
        kw = {"prompt": prompt} if prompt is not None and _accepts(spec, "prompt") else {}
        try:
            r = reward(completion, sample.ground_truth, **kw)
        except Exception as exc:  # noqa: BLE001 - a reward that raises on model output is a finding
            return None, None, f"{type(exc).__name__}: {str(exc)[:160]}"
        return r.score, r.reason, None

    honest_score, honest_reason, honest_err = run(_wrap(sample.honest))
    partial_score = honest_score
    if sample.partial is not None:
        partial_score, _, _ = run(_wrap(sample.partial))
    rows = [dict(base, probe="honest", description="the honest answer (reference)", criterion="reference",
                 applicable=True, score=honest_score, reference=None, paid=False, reason=honest_reason, error=honest_err)]
    usable = honest_score is not None and honest_err is None
    for p in PROBES:
        row = dict(base, probe=p.name, description=p.description, criterion=p.criterion)
        applicable = usable and p.applies(spec, sample)
        completion = p.build(sample) if applicable else None
        if completion is None:
            rows.append(dict(row, applicable=False, score=None, reference=None, paid=False,
                             reason=None if usable else "sample does not apply to this reward", error=None))
            continue
        prompt = _echo_prompt(sample) if p.name == "prompt_echo" else None
        score, reason, err = run(completion, prompt)
        criterion = p.criterion
        if criterion == "min" and _is_format_only(spec) and p.name == "think_only":
            criterion = "below_max"
        if _is_penalty(spec):
            criterion = "below_max"
        ref, paid = _judge(criterion, score, lo, hi, honest_score, partial_score)
        rows.append(dict(row, criterion=criterion, applicable=True, score=score, reference=ref,
                         paid=paid if err is None else True, reason=reason, error=err))
    return rows


def _judge(criterion: str, score: float | None, lo: float, hi: float, honest: float | None, partial: float | None) -> tuple[float | None, bool]:
    """(reference score, paid) for one probe."""
    if score is None:
        return None, False  # the reward declined the sample: nothing paid
    if criterion == "below_partial":
        ref = partial if partial is not None else honest
        if ref is None or ref <= lo + _EPS:
            return lo, score > lo + _EPS
        return ref, score >= ref - _EPS
    if criterion == "below_honest":
        if honest is None or honest <= lo + _EPS:
            return lo, score > lo + _EPS
        return honest, score >= honest - _EPS
    if criterion == "below_max":
        return hi, score >= hi - _EPS
    return lo, score > lo + _EPS  # "min"


def audit_many(names: Iterable[str] | None = None, **params: Any) -> list[dict[str, Any]]:
    """Rows of :func:`audit` for several rewards (all registered ones by default).

    Args:
        names: Reward names, or None for every registered one.
        **params: Parameters given to every reward.

    Returns:
        The rows of every reward.
    """
    from rewardkit.registry import list_rewards

    out: list[dict[str, Any]] = []
    for name in names or list_rewards():
        out.extend(audit(name, **params))
    return out


def paid_rows(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The applicable rows whose probe was paid.

    Args:
        rows: Rows of :func:`audit`.

    Returns:
        The paid rows.
    """
    return [r for r in rows if r.get("applicable") and r.get("paid")]
