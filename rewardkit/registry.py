"""Reward names: lookup, listing and the picklable :class:`Reward` callable.

The CLI and the trainer adapters find rewards only through this module::

    >>> from rewardkit.registry import get_reward
    >>> r = get_reward("visual_rft.detection", iou_threshold=0.5)
    >>> r.__name__
    'visual_rft.detection'
"""

from __future__ import annotations

import difflib
import inspect
import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rewardkit import rewards as _rewards  # noqa: F401  (populates REWARD_SPECS)
from rewardkit.errors import BadGroundTruth, ParameterError
from rewardkit.names import unknown_name
from rewardkit.rewards.base import REWARD_SPECS, RewardSpec, UnreadableGroundTruth, register_reward
from rewardkit.types import RewardResult

__all__ = [
    "Reward",
    "get_spec",
    "get_reward",
    "list_rewards",
    "list_tasks",
    "resolve_task",
    "TASK_ALIASES",
    "score",
    "score_batch",
    "register_reward",
    "ParamInfo",
    "describe_params",
    "check_param_values",
]


def get_spec(name: str) -> RewardSpec:
    """The :class:`RewardSpec` registered under ``name``; ``KeyError`` with suggestions."""
    try:
        return REWARD_SPECS[name]
    except KeyError:
        raise unknown_name("reward", name, REWARD_SPECS) from None


def _check_params(spec: RewardSpec, params: dict[str, Any]) -> None:
    allowed = set(spec.params) | {"strict"}
    if spec.scheduled:
        allowed |= {"step", "max_steps"}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ValueError(
            f"Reward {spec.name!r} got unknown parameter(s) {unknown}; expected some of {sorted(allowed)}"
        )


class Reward:
    """A registered reward bound to parameters; picklable, with ``__name__`` = the name.

    ``Reward(name, **params)(completion, ground_truth, **more_params)`` returns a
    :class:`~rewardkit.types.RewardResult`. :meth:`score_batch` parses the ground truth
    once for the G completions of one prompt.
    """

    def __init__(self, name: str, **params: Any) -> None:
        spec = get_spec(name)
        _check_params(spec, params)
        self.name = name
        self.params = dict(params)
        self.__name__ = name
        self.__qualname__ = name

    @property
    def spec(self) -> RewardSpec:
        return get_spec(self.name)

    def __call__(self, completion: Any, ground_truth: Any, **params: Any) -> RewardResult:
        spec = self.spec
        if params:
            _check_params(spec, params)
            return spec.fn(completion, ground_truth, **{**self.params, **params})
        return spec.fn(completion, ground_truth, **self.params)

    def prepare(self, ground_truth: Any, **params: Any) -> Any:
        """The ground truth parsed once per prompt (the reward's ``prepare``).

        A ground truth that cannot be read, whatever the exception, gives an
        :class:`~rewardkit.rewards.base.UnreadableGroundTruth` that every completion then
        scores as ``bad_ground_truth``; a ``ValueError`` / ``KeyError`` / ``TypeError``
        caused by the parameters (the ground truth reads fine without them) is raised.
        """
        spec = self.spec
        if spec.prepare is None:
            return ground_truth
        merged = {**self.params, **params}
        try:
            return spec.prepare(ground_truth, **{k: v for k, v in merged.items() if k in spec.params})
        except Exception as exc:  # noqa: BLE001 - sorted below
            if merged.get("strict") or isinstance(exc, ParameterError):
                raise
            if isinstance(exc, BadGroundTruth) or not isinstance(exc, ValueError | KeyError | TypeError):
                return UnreadableGroundTruth(f"{type(exc).__name__}: {str(exc)[:200]}")
            try:
                spec.prepare(ground_truth)
            except Exception:  # noqa: BLE001 - unreadable even without the parameters
                return UnreadableGroundTruth(f"{type(exc).__name__}: {str(exc)[:200]}")
            raise

    def score_batch(self, completions: Sequence[Any], ground_truth: Any, **params: Any) -> list[RewardResult]:
        """Score the G completions of one prompt; the ground truth is parsed once and,
        where the family has a group entry point, work is shared across the group.
        """
        if params:
            _check_params(self.spec, params)
        merged = {**self.params, **params}
        prepared = self.prepare(ground_truth, **params)
        spec = self.spec
        if spec.batch is not None:
            return spec.batch(completions, prepared, **merged)
        return [spec.fn(c, prepared, **merged) for c in completions]

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name, "params": self.params}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["name"], **state["params"])  # type: ignore[misc]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"Reward({self.name!r}{', ' if args else ''}{args})"


def get_reward(name: str, **params: Any) -> Reward:
    """The reward registered under ``name``, bound to ``params``."""
    return Reward(name, **params)


TASK_ALIASES: dict[str, str] = {"points": "point"}
"""Other names accepted for a task (``rewardkit list --task points``): the answer kind and
tag ``points`` names the task ``point``."""


def resolve_task(task: str) -> str:
    """The registered task that ``task`` names (itself, or the task of an alias).

    Example:
        >>> resolve_task("points"), resolve_task("grounding")
        ('point', 'grounding')
    """
    return TASK_ALIASES.get(task, task)


def list_rewards(task: str | None = None, tags: Iterable[str] | None = None) -> list[str]:
    """Registered reward names, optionally filtered by task and tags (all must match)."""
    want = set(tags or ())
    task = None if task is None else resolve_task(task)
    return sorted(
        n for n, s in REWARD_SPECS.items() if (task is None or s.task == task) and want <= s.tags
    )


_NO_REWARD = "<missing>"


def _need_reward(reward: Any, fn: str) -> str:
    if reward is _NO_REWARD or reward is None:
        raise TypeError(
            f"{fn}() needs reward=NAME (e.g. reward='grounding.iou'); the names are listed by "
            "rewardkit.list_rewards() and `rewardkit list`"
        )
    return reward


def _is_batch(completion: Any) -> bool:
    """A list of completions (strings, or lists of chat messages), not one chat completion."""
    if type(completion) is str or not isinstance(completion, list | tuple) or not completion:
        return False
    return not all(isinstance(m, Mapping) for m in completion)


def score(completion: Any, ground_truth: Any, reward: str = _NO_REWARD, **params: Any) -> RewardResult:
    """Run the registered reward ``reward`` on ONE completion (a string, or a list of chat
    messages). For the G completions of one prompt use :func:`score_batch`.

    >>> score("<answer>[0, 0, 100, 100]</answer>", [0, 0, 100, 50], reward="grounding.iou").score
    0.5
    """
    name = _need_reward(reward, "score")
    if _is_batch(completion):
        raise TypeError(
            f"score() scores one completion, but got a {type(completion).__name__} of {len(completion)} "
            "completions; use rewardkit.score_batch(completions, ground_truth, reward=...) for a group"
        )
    # what Reward(name)(completion, ground_truth, **params) does, without building the Reward
    spec = get_spec(name)
    if params:
        _check_params(spec, params)
    return spec.fn(completion, ground_truth, **params)


def score_batch(completions: Sequence[Any], ground_truth: Any, reward: str = _NO_REWARD, **params: Any) -> list[RewardResult]:
    """Run a reward on the G completions of one prompt, parsing the ground truth once
    (and sharing work across the group where the family can).

    >>> [r.score for r in score_batch(["<answer>[0, 0, 10, 10]</answer>", "no"], [0, 0, 10, 10], reward="grounding.iou")]
    [1.0, 0.0]
    """
    name = _need_reward(reward, "score_batch")
    if isinstance(completions, str):
        raise TypeError("score_batch() takes a list of completions, but got one string; use rewardkit.score() for one")
    return Reward(name).score_batch(completions, ground_truth, **params)


def list_tasks() -> list[str]:
    """The tasks of the registered rewards (``rewardkit list --task``)."""
    return sorted({s.task for s in REWARD_SPECS.values()})


# ----------------------------------------------------------------------------- parameters

_COMMON_MEANINGS = {
    "pred_frame": "coordinate frame of the predicted coordinates (norm1000, norm1, pixel, qwen25vl, seg_r1)",
    "gt_frame": "coordinate frame of the ground-truth coordinates",
    "image_size": "(width, height) of the original image; needed by the pixel, qwen25vl and seg_r1 frames",
    "min_pixels": "Qwen2.5-VL processor's min_pixels (the qwen25vl frame's resize rule)",
    "max_pixels": "Qwen2.5-VL processor's max_pixels (the qwen25vl frame's resize rule)",
    "prompt": "the prompt, stripped when the model echoes it before its answer",
    "compat": "reproduce a public project's code instead of the corrected definition",
    "answer": "where the answer is read: auto, the <answer> tag, or the whole completion",
    "step": "training step (scheduled rewards)",
    "max_steps": "total training steps (scheduled rewards)",
    "empty_score": "score when both the answer and the ground truth are empty",
    "iou_threshold": "IoU a match needs",
    "multiple": "several boxes in the answer: score the first, or score zero",
    "synonyms": "mapping of a class name to accepted synonyms",
}


@dataclass(frozen=True)
class ParamInfo:
    """One keyword parameter of a registered reward, as documented and validated."""

    name: str
    default: Any
    choices: tuple[Any, ...] | None
    meaning: str


def _literal_args(tp: Any) -> list[Any]:
    out: list[Any] = []
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        out.extend(typing.get_args(tp))
    elif origin is not None:
        for a in typing.get_args(tp):
            out.extend(_literal_args(a))
    return out


def _hints(fn: Any) -> dict[str, Any]:
    """Resolved annotations of a reward: its type hints, else the annotations of its
    signature (callable classes such as the grounding rewards set ``__signature__``).
    """
    target = inspect.unwrap(fn)
    try:
        return typing.get_type_hints(target)
    except Exception:  # noqa: BLE001 - an unresolvable annotation only loses the choices
        pass
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return {}
    return {n: p.annotation for n, p in sig.parameters.items()
            if p.annotation is not inspect.Parameter.empty and not isinstance(p.annotation, str)}


def _meaning(doc: str, name: str) -> str:
    """The docstring's words on ``name``: its ``Args:`` line, else the first sentence that
    names it in double backquotes, else the common meaning.
    """
    m = re.search(rf"^\s+{re.escape(name)}(?: \([^)]*\))?:\s*(.+(?:\n\s{{8,}}.+)*)", doc, re.MULTILINE)
    if m:
        return " ".join(m.group(1).split())
    flat = " ".join(doc.split(">>>", 1)[0].split())
    for sentence in _clauses(flat):
        if f"``{name}``" in sentence:
            text = sentence.removeprefix("Parameters:").strip().rstrip(";").strip()
            return text if len(text) <= 300 else text[:297].rsplit(" ", 1)[0] + " ..."
    return _COMMON_MEANINGS.get(name, "")


def _clauses(text: str) -> list[str]:
    """Sentences, and ``;``-separated clauses outside parentheses."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and (ch == ";" or (ch == "." and text[i + 1 : i + 2] in (" ", ""))):
            out.append(text[start : i + 1])
            start = i + 1
    out.append(text[start:])
    return [c.strip() for c in out if c.strip()]


def describe_params(name: str) -> list[ParamInfo]:
    """Name, default, allowed values (from ``Literal`` annotations; the frame names for
    ``*_frame``) and meaning (from the docstring) of each parameter of reward ``name``.
    """
    from rewardkit.parsing.frames import FRAMES

    spec = get_spec(name)
    hints = _hints(spec.fn)
    out = []
    for pname, default in spec.params.items():
        choices = _literal_args(hints.get(pname))
        if not choices and pname.endswith("_frame"):
            choices = list(FRAMES)
        out.append(ParamInfo(pname, default, tuple(dict.fromkeys(choices)) or None, _meaning(spec.doc, pname)))
    return out


def check_param_values(name: str, params: Mapping[str, Any]) -> None:
    """``ValueError`` ("did you mean ...?") for an unknown parameter of reward ``name`` or a
    value outside its allowed values, before any sample is scored.
    """
    spec = get_spec(name)
    allowed = set(spec.params) | {"strict"} | ({"step", "max_steps"} if spec.scheduled else set())
    for key in params:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=2, cutoff=0.6)
            hint = f" did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ValueError(f"Reward {name!r} has no parameter {key!r};{hint} its parameters: {', '.join(sorted(allowed))}")
    info = {p.name: p for p in describe_params(name)}
    for key, value in params.items():
        p = info.get(key)
        if p is None or p.choices is None or value is None or not isinstance(value, str):
            continue
        if value not in p.choices:
            close = difflib.get_close_matches(value, [str(c) for c in p.choices], n=1, cutoff=0.6)
            hint = f" did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"Expected {key} of {name!r} to be one of {', '.join(repr(c) for c in p.choices)}, but got {value!r};{hint}".rstrip(";")
            )
