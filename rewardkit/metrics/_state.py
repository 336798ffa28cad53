"""Mergeable metric state: ``state_dict()`` / ``merge(other)`` / ``from_states(states)``.

Every streaming metric class (``CocoEvaluator``, ``LvisEvaluator``, ``SODMetrics``,
``LISAMetrics``, ``GroundingMetrics``, ``ClassificationAccuracy``,
``CountingAccuracy``) derives from :class:`MergeableMetric`. A state is a plain dict of
Python / numpy values (picklable, so ``torch.distributed.all_gather_object`` and Ray move
it as is)::

    {"metric": "sod", "version": 1, "config": {...}, "state": {...}}

``config`` holds what must agree between shards (thresholds, modes, parameters); merging
states of different configurations raises ``ValueError``. ``state`` holds the samples'
contributions. Merging is concatenation (per-sample values, results lists) and integer
addition. Means over samples are either correctly rounded sums (:func:`exact_mean`,
``math.fsum``: LISA's gIoU, RefCOCO's mean IoU), which do not depend on the order of the
samples, or, where a reference library fixes the arithmetic (SOD: ``np.mean`` as
PySODMetrics, bit-identical), computed in sample order, with an optional per-sample
dataset ``index`` that orders merged shards. Either way shards merge to ``==`` the
one-pass numbers (each class says under which split).

Also here: :func:`update_args`, the one place that resolves ``update(preds, target)``
(the torchmetrics order) and the deprecated argument names of the first release.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import numpy as np

__all__ = ["MergeableMetric", "STATE_VERSION", "MISSING", "dataset_fingerprint", "exact_mean", "exact_column_means", "update_args"]

STATE_VERSION = 1
M = TypeVar("M", bound="MergeableMetric")
MISSING: Any = object()
"""Default of ``update(preds=MISSING, target=MISSING)``: tells "not given" from ``None``."""


def exact_mean(values: Iterable[float]) -> float:
    """Mean with a correctly rounded sum (``math.fsum``): independent of the order.

    NaN and infinities propagate as in ``np.mean`` (also independent of the order). An
    empty input gives NaN.

    Args:
        values: the numbers.

    Returns:
        Their mean.
    """
    arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=np.float64).reshape(-1)
    if arr.size == 0:
        return float("nan")
    if not np.isfinite(arr).all():
        return float(np.mean(arr))
    return math.fsum(arr.tolist()) / arr.size


def exact_column_means(rows: Any) -> np.ndarray:
    """:func:`exact_mean` of each column of an ``N x C`` array (``N >= 1``).

    Args:
        rows: the ``N x C`` array.

    Returns:
        The ``C`` column means.

    Raises:
        ValueError: not a 2-D array, or no row.
    """
    arr = np.asarray(rows, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError(f"Expected a non-empty N x C array, but got shape {arr.shape}")
    return np.asarray([exact_mean(arr[:, j]) for j in range(arr.shape[1])], dtype=np.float64)


def dataset_fingerprint(dataset: Mapping[str, Any]) -> str:
    """A short fingerprint of a COCO / LVIS annotation set.

    (counts and a CRC of the image, annotation and category ids): states of evaluators on
    different ground truths do not merge.

    Args:
        dataset: the annotation set (``images``, ``annotations``, ``categories``).

    Returns:
        ``"<images>i/<annotations>a/<categories>c/<crc>"``.
    """
    import json
    import zlib

    parts = []
    for key in ("images", "annotations", "categories"):
        items = dataset.get(key) or []
        ids = [x.get("id") if isinstance(x, Mapping) else None for x in items]
        parts.append(f"{len(items)}")
        parts.append(json.dumps(ids, default=str))
    crc = zlib.crc32("|".join(parts[1::2]).encode())
    return f"{parts[0]}i/{parts[2]}a/{parts[4]}c/{crc:08x}"


def update_args(
    where: str,
    preds: Any,
    target: Any,
    legacy: Mapping[str, Any],
    old_names: tuple[str, str],
) -> tuple[Any, Any]:
    """Resolve ``update(preds, target)`` with the first release's names accepted.

    ``old_names`` are the deprecated keyword names of ``(preds, target)`` (for example
    ``("pred", "gt")``); passing them works and emits a ``DeprecationWarning``.

    Args:
        where: the caller's name, for the messages.
        preds: the ``preds`` argument (``MISSING`` when not given).
        target: the ``target`` argument (``MISSING`` when not given).
        legacy: the other keyword arguments given.
        old_names: see above.

    Returns:
        ``(preds, target)``.

    Raises:
        TypeError: an unknown keyword, a value given under both names, or a missing one.
    """
    unknown = sorted(set(legacy) - set(old_names))
    if unknown:
        raise TypeError(f"{where}() got unexpected keyword argument(s) {unknown}; expected `preds` and `target`")
    old_pred, old_target = old_names
    used = [name for name in old_names if name in legacy]
    if used:
        new = {old_pred: "preds", old_target: "target"}
        warnings.warn(
            f"{where}(): " + ", ".join(f"`{n}=` is deprecated, use `{new[n]}=`" for n in used),
            DeprecationWarning, stacklevel=3,
        )  # fmt: skip
    if old_pred in legacy:
        if preds is not MISSING:
            raise TypeError(f"{where}() got both `preds` and the deprecated `{old_pred}`")
        preds = legacy[old_pred]
    if old_target in legacy:
        if target is not MISSING:
            raise TypeError(f"{where}() got both `target` and the deprecated `{old_target}`")
        target = legacy[old_target]
    if preds is MISSING or target is MISSING:
        raise TypeError(f"{where}() missing argument(s): expected `preds` and `target`")
    return preds, target


def from_states_on_gt(
    cls: type[M], states: Iterable[Any], gt: Any, kwargs: dict[str, Any], kwargs_of: Callable[[Mapping[str, Any]], dict[str, Any]]
) -> M:
    """``from_states`` of a metric whose ground truth is held outside its state (COCO, LVIS).

    Args:
        cls: The metric class (its constructor takes the ground truth first).
        states: metrics or their state dicts.
        gt: the ground truth (required).
        kwargs: the constructor's keyword arguments; empty: built from the first state.
        kwargs_of: a state's ``config`` -> the constructor's keyword arguments.

    Returns:
        The metric on ``gt`` holding every state's samples.

    Raises:
        TypeError: ``gt`` not given.
        ValueError: neither a state nor ``kwargs``.
    """
    states = [s.state_dict() if isinstance(s, MergeableMetric) else s for s in states]
    if gt is None:
        raise TypeError(f"{cls.__name__}.from_states(states, gt): the ground truth is not part of a state")
    if not kwargs:
        if not states:
            raise ValueError("Expected at least one state, or the evaluator's arguments, but got neither")
        kwargs = kwargs_of(cls._check_kind(states[0])["config"])
    return cls(gt, **kwargs).merge_all(states)  # type: ignore[call-arg]  # the subclasses that use this take the ground truth first


class MergeableMetric:
    """Base of the streaming metrics: ``state_dict`` / ``merge`` / ``from_states``.

    Subclasses set ``_KIND`` and implement ``_config()`` (what must agree),
    ``_get_state()`` (the samples' contributions), ``_merge_state(state)`` and
    ``_empty_like()`` (a metric of the same configuration and no samples).
    """

    _KIND = "metric"

    # -- to implement ----------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        raise NotImplementedError

    def _get_state(self) -> dict[str, Any]:
        raise NotImplementedError

    def _merge_state(self, state: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def _empty_like(self: M) -> M:
        raise NotImplementedError

    # -- public ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The metric's state as a plain dict (picklable; see the module doc)."""
        return {"metric": self._KIND, "version": STATE_VERSION, "config": self._config(), "state": self._get_state()}

    def merge(self: M, other: MergeableMetric | Mapping[str, Any]) -> M:
        """Add the samples of ``other`` to this one; returns ``self``.

        ``other``: a metric of the same class and configuration, or its :meth:`state_dict`.

        Args:
            other: see above.

        Returns:
            ``self``.
        """
        state = other.state_dict() if isinstance(other, MergeableMetric) else other
        self._merge_state(self._check(state))
        return self

    def merge_all(self: M, states: Iterable[MergeableMetric | Mapping[str, Any]]) -> M:
        """:meth:`merge` each of ``states`` in turn; returns ``self``.

        Args:
            states: metrics or their state dicts.

        Returns:
            ``self``.
        """
        for s in states:
            self.merge(s)
        return self

    def empty_like(self: M) -> M:
        """A metric with the same configuration (and ground truth) and no samples."""
        return self._empty_like()

    @classmethod
    def from_states(cls: type[M], states: Iterable[MergeableMetric | Mapping[str, Any]], *args: Any, **kwargs: Any) -> M:
        """A metric holding the samples of every state in ``states``.

        ``args`` / ``kwargs`` build the empty metric (``CocoEvaluator.from_states(states,
        gt)``); without them the configuration of the first state is used (metrics
        without ground truth held outside their state).

        Args:
            states: metrics or their state dicts.
            *args: the empty metric's positional arguments.
            **kwargs: the empty metric's keyword arguments.

        Returns:
            The metric holding every state's samples.
        """
        states = list(states)
        if args or kwargs:
            metric = cls(*args, **kwargs)
        else:
            if not states:
                raise ValueError(f"Expected at least one state to build a {cls.__name__}, but got none")
            first = states[0].state_dict() if isinstance(states[0], MergeableMetric) else states[0]
            metric = cls._from_config(cls._check_kind(first)["config"])
        return metric.merge_all(states)

    @classmethod
    def _from_config(cls: type[M], config: Mapping[str, Any]) -> M:
        return cls(**config)

    # -- checks ----------------------------------------------------------------------
    @classmethod
    def _check_kind(cls, state: Any) -> Mapping[str, Any]:
        if not isinstance(state, Mapping) or state.get("metric") != cls._KIND:
            got = state.get("metric") if isinstance(state, Mapping) else type(state).__name__
            raise ValueError(f"Expected a {cls.__name__} state (metric={cls._KIND!r}), but got {got!r}")
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"Expected state version {STATE_VERSION}, but got {state.get('version')!r}")
        return state

    def _check(self, state: Any) -> Mapping[str, Any]:
        state = self._check_kind(state)
        mine = self._config()
        theirs = state.get("config")
        if theirs != mine:
            diff = sorted(k for k in set(mine) | set(theirs or {}) if (theirs or {}).get(k, MISSING) != mine.get(k, MISSING))
            raise ValueError(
                f"Expected a state of a {type(self).__name__} with the same configuration, but got one that "
                f"differs in {diff}"
            )
        return state["state"]
