"""The per-batch row engine the TRL-style adapters share (TRL, ms-swift): :class:`BatchScorer` reads a batch's columns (ground truth, image size, per-row reward and parameters), scores each row once (local or through a remote reward service) and caches the results per batch."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from rewardkit.adapters._common import (
    completion_text,
    gt_key,
    image_size_of,
    jsonable_ground_truth,
    needs_image_size,
    prompt_text,
)

from rewardkit.registry import Reward
from rewardkit.rewards.base import bad_ground_truth
from rewardkit.types import RewardResult

_AUTO = "auto"
_TASK_COLUMNS = ("reward", "task")
_ON_REMOTE_ERROR = ("skip", "raise")
_log = logging.getLogger("rewardkit.adapters")


class BatchScorer:
    """Scores one TRL batch with one reward, once, and caches the results.

    The cache holds the last batch only, keyed on the identity of the ``completions``
    list (TRL passes the same list object to every reward function of a step) and on
    its length; a lock makes concurrent (async) callers wait for the first one.

    Args:
        reward: The bound reward.
        ground_truth_column: Dataset column holding each row's ground truth.
        task_column: Column selecting the rows the reward applies to (``"auto"``: a
            ``reward`` or else a ``task`` column; None disables it).
        image_columns: Columns searched, in order, for the image size.
        strip_prompt: Pass each row's prompt text so an echoed prompt is stripped.
        log_reasons: Add a ``<reward>/reason`` column to the trainer's completions table.
        remote: A :class:`~rewardkit.serving.client.RewardClient`, or None (in process).
        on_remote_error: ``"skip"`` (``None`` for every row) or ``"raise"``.

    Raises:
        ValueError: an unknown ``on_remote_error``.
    """

    def __init__(
        self,
        reward: Reward,
        *,
        ground_truth_column: str = "solution",
        task_column: str | None = _AUTO,
        image_columns: Sequence[str] = ("image_size", "image", "images"),
        strip_prompt: bool = False,
        log_reasons: bool = False,
        remote: Any = None,
        on_remote_error: str = "skip",
    ) -> None:
        self.reward = reward
        self.ground_truth_column = ground_truth_column
        self.task_column = task_column
        self.image_columns = tuple(image_columns)
        self.strip_prompt = bool(strip_prompt)
        self.log_reasons = bool(log_reasons)
        if on_remote_error not in _ON_REMOTE_ERROR:
            raise ValueError(f"Expected on_remote_error in {_ON_REMOTE_ERROR}, but got {on_remote_error!r}")
        self.remote = remote
        self.on_remote_error = on_remote_error
        self._init_runtime()
        if remote is not None:
            self._check_remote()

    def _init_runtime(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._completions_ref: Any = None
        self._results: list[RewardResult | None] = []
        self._logged_key: tuple[Any, ...] | None = None
        self._warned_sum = False
        spec = self.reward.spec
        self._spec = spec
        self._fn = spec.fn
        self._batch_fn = getattr(spec, "batch", None)  # group entry point, when the family has one
        self._params = dict(self.reward.params)
        self._needs_size = needs_image_size(self.reward)
        # rewards that look at the image itself (a segmenter): pass the row's image
        self._needs_image = "image" in spec.params and self.reward.params.get("image") is None
        self._scheduled = spec.scheduled

    def __getstate__(self) -> dict[str, Any]:
        return {
            "reward": self.reward,
            "ground_truth_column": self.ground_truth_column,
            "task_column": self.task_column,
            "image_columns": self.image_columns,
            "strip_prompt": self.strip_prompt,
            "log_reasons": self.log_reasons,
            "remote": self.remote,
            "on_remote_error": self.on_remote_error,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("remote", None)
        state.setdefault("on_remote_error", "skip")
        self.__dict__.update(state)
        self._init_runtime()

    def _check_remote(self) -> None:
        name = self._spec.name
        if self._needs_image:
            raise ValueError(
                f"Reward {name!r} takes the image itself, which remote scoring does not send; score it in "
                "process (remote=None)"
            )
        try:
            json.dumps(self._params)
        except (TypeError, ValueError):
            raise ValueError(
                f"Expected JSON-serializable parameters for remote scoring of {name!r}, but got {self._params!r}"
            ) from None

    # -- per-row helpers -------------------------------------------------------------
    def _applies(self, kwargs: Mapping[str, Any], n: int) -> list[bool]:
        column = self.task_column
        if column == _AUTO:
            column = next((c for c in _TASK_COLUMNS if c in kwargs), None)
        if not column or column not in kwargs or self._spec.task == "format":
            return [True] * n
        values = kwargs[column]
        names = {self._spec.name, self._spec.task}
        return [v is None or v == "" or v in names for v in values]

    def _image_sizes(self, kwargs: Mapping[str, Any], n: int) -> list[Any]:
        for column in self.image_columns:
            values = kwargs.get(column)
            if values is not None and len(values) == n:
                return [_row_image_size(v) for v in values]
        return [None] * n

    def _images(self, kwargs: Mapping[str, Any], n: int) -> list[Any]:
        for column in ("image", "images"):
            values = kwargs.get(column)
            if values is not None and len(values) == n:
                out = []
                for v in values:
                    if isinstance(v, list | tuple):
                        v = v[0] if v else None
                    out.append(v)
                return out
        return [None] * n

    def _step_params(self, trainer_state: Any) -> dict[str, Any]:
        if not self._scheduled:
            return {}
        if trainer_state is None:
            return {"step": None, "max_steps": None}
        step = getattr(trainer_state, "global_step", None)
        max_steps = getattr(trainer_state, "max_steps", None)
        if not max_steps or max_steps <= 0:
            max_steps = None
        return {"step": step, "max_steps": max_steps}

    # -- scoring ---------------------------------------------------------------------
    def score(
        self,
        prompts: Sequence[Any] | None,
        completions: Sequence[Any],
        kwargs: Mapping[str, Any],
    ) -> list[RewardResult | None]:
        """Results for every row (``None`` where the reward does not apply).

        Args:
            prompts: The batch's prompts, or None.
            completions: The batch's completions (strings or message lists).
            kwargs: The trainer's other keywords (dataset columns, ``trainer_state``).

        Returns:
            One result (or None) per completion, cached for the batch.
        """
        trainer_state = kwargs.get("trainer_state")
        step = getattr(trainer_state, "global_step", None)
        key = (id(completions), len(completions), step)
        with self._lock:
            if self._key == key and self._completions_ref is completions:
                return self._results
            results = self._score(prompts, completions, kwargs, trainer_state)
            self._key, self._completions_ref, self._results = key, completions, results
            return results

    def _ground_truths(self, kwargs: Mapping[str, Any]) -> Sequence[Any]:
        if self.ground_truth_column not in kwargs:
            available = sorted(k for k in kwargs if k not in ("trainer_state", "log_extra", "log_metric"))
            raise KeyError(
                f"Expected a dataset column {self.ground_truth_column!r} with the ground truth, but the reward "
                f"function got only {available}; pass ground_truth_column=... to trl_rewards, and keep the "
                "column with GRPOConfig(remove_unused_columns=False)"
            )
        return kwargs[self.ground_truth_column]

    def _score_remote(self, prompts: Any, completions: Sequence[Any], kwargs: Mapping[str, Any], trainer_state: Any) -> list[RewardResult | None]:
        """One ``POST /score`` for the rows the reward applies to (see the module docstring)."""
        from rewardkit.serving.client import RemoteUnavailable, result_from_row

        n = len(completions)
        gts = self._ground_truths(kwargs)
        applies = self._applies(kwargs, n)
        sizes = self._image_sizes(kwargs, n) if self._needs_size else [None] * n
        prompt_texts = [prompt_text(p) for p in prompts] if self.strip_prompt and prompts is not None else [None] * n
        params = {**self._params, **self._step_params(trainer_state)}
        name = self._spec.name
        rows: list[dict[str, Any]] = []
        index: list[int] = []
        for i in range(n):
            if not applies[i]:
                continue
            row_params = dict(params)
            if sizes[i] is not None:
                row_params["image_size"] = list(sizes[i])
            if prompt_texts[i] is not None:
                row_params["prompt"] = prompt_texts[i]
            rows.append({"reward": name, "completion": completion_text(completions[i]),
                         "ground_truth": jsonable_ground_truth(gts[i]), "params": row_params})
            index.append(i)
        out: list[RewardResult | None] = [None] * n
        if not rows:
            return out
        try:
            got = self.remote.score(rows)
        except RemoteUnavailable as exc:
            if self.on_remote_error == "raise":
                raise
            _log.warning("rewardkit: %s; reward %r gives None (skipped) for %d rows of this batch", exc, name, len(rows))
            reason = f"remote_unavailable: {str(exc)[:200]}"
            for i in index:
                out[i] = RewardResult(None, {}, reason)
            return out
        for i, row in zip(index, got):
            out[i] = result_from_row(row)
        return out

    def _score(self, prompts: Any, completions: Sequence[Any], kwargs: Mapping[str, Any], trainer_state: Any) -> list[RewardResult | None]:
        if self.remote is not None:
            return self._score_remote(prompts, completions, kwargs, trainer_state)
        n = len(completions)
        gts = self._ground_truths(kwargs)
        applies = self._applies(kwargs, n)
        sizes = self._image_sizes(kwargs, n) if self._needs_size else [None] * n
        images = self._images(kwargs, n) if self._needs_image else [None] * n
        prompt_texts = [prompt_text(p) for p in prompts] if self.strip_prompt and prompts is not None else [None] * n
        params = {**self._params, **self._step_params(trainer_state)}
        out: list[RewardResult | None] = [None] * n
        prepared: dict[Any, Any] = {}
        batch_fn = self._batch_fn
        # Rows of one prompt group are consecutive in TRL (RepeatSampler): score each run of
        # rows sharing ground truth, image size and prompt at once.
        i = 0
        while i < n:
            if not applies[i]:
                i += 1
                continue
            if isinstance(sizes[i], _BadRowValue):  # a row's own data: that row does not apply
                out[i] = bad_ground_truth(sizes[i].error)
                i += 1
                continue
            gkey = (gt_key(gts[i]), sizes[i], id(images[i]))
            j = i + 1
            while (
                j < n
                and applies[j]
                and sizes[j] == sizes[i]
                and images[j] is images[i]
                and prompt_texts[j] == prompt_texts[i]
                and (gts[j] is gts[i] or gt_key(gts[j]) == gkey[0])
            ):
                j += 1
            extra: dict[str, Any] = {}
            if sizes[i] is not None:
                extra["image_size"] = sizes[i]
            if images[i] is not None:
                extra["image"] = images[i]
            if gkey not in prepared:
                prepared[gkey] = self.reward.prepare(gts[i], **extra)
            group_params = {**params, **extra} if extra else params
            if prompt_texts[i] is not None:
                group_params = {**group_params, "prompt": prompt_texts[i]}
            texts = [completion_text(c) for c in completions[i:j]]
            if batch_fn is not None and j - i > 1:
                results = batch_fn(texts, prepared[gkey], **group_params)
            else:
                results = [self._fn(t, prepared[gkey], **group_params) for t in texts]
            out[i:j] = results
            i = j
        return out

    def log(self, results: list[RewardResult | None], kwargs: Mapping[str, Any], completions: Any, *, components: bool) -> None:
        """Send component means (``log_metric``) and reason codes (``log_extra``) once per batch.

        Args:
            results: The batch's results.
            kwargs: The trainer's keywords (``log_metric`` / ``log_extra`` when given).
            completions: The batch's completions (the cache key).
            components: Log the component means (the reward is not split into functions).
        """
        key = self._key
        if self._logged_key == key:
            return
        self._logged_key = key
        name = self._spec.name
        log_metric = kwargs.get("log_metric")
        if components and callable(log_metric):
            for comp in self._spec.components:
                vals = [r.components[comp] for r in results if r is not None and r.score is not None and comp in r.components]
                if vals:
                    log_metric(f"{name}/{comp}", sum(vals) / len(vals))
        log_extra = kwargs.get("log_extra")
        if self.log_reasons and callable(log_extra):
            log_extra(f"{name}/reason", [None if r is None else r.reason for r in results])


class _BadRowValue:
    """A row value (image size) that cannot be used; its row scores ``bad_ground_truth``."""

    def __init__(self, error: str) -> None:
        self.error = error


def _row_image_size(value: Any) -> Any:
    try:
        return image_size_of(value)
    except (ValueError, TypeError) as exc:
        return _BadRowValue(f"image_size: {str(exc)[:160]}")


def _total(result: RewardResult | None) -> float | None:
    return None if result is None or result.score is None else float(result.score)
