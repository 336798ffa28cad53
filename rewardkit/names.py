"""Named registries: one lookup rule for every table of named things.

rewardkit keeps several tables that users extend or pick from by name: VLM dialects
(:mod:`rewardkit.parsing.dialects`), segmenters (``segmenter=`` of the Seg-R1 and mask
rewards), body profiles of ``pose.plausibility``, the audit's built-in samples and the
quality audit's dialect writers. :class:`Registry` gives them the same behaviour: a
registration checks the object, a later registration under the same name replaces the
earlier one (so a trainer's worker processes can register again), and an unknown name
raises one ``KeyError`` that lists close matches and every registered name. The reward
registry (:mod:`rewardkit.registry`) words its errors the same way through
:func:`unknown_name`.

It sits at the bottom of the layers (with :mod:`rewardkit.types` and
:mod:`rewardkit.errors`): any layer may keep a registry.

Example:
    >>> shapes = Registry("shape")
    >>> shapes.register("square", 4)
    4
    >>> shapes.lookup("square")
    4
    >>> shapes.lookup("sqare")
    Traceback (most recent call last):
    ...
    KeyError: "Unknown shape 'sqare'; did you mean 'square'? available: square"
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

__all__ = ["Registry", "unknown_name"]

T = TypeVar("T")


def unknown_name(kind: str, name: Any, names: Iterable[str]) -> KeyError:
    """The error for a name that is not registered.

    Args:
        kind: what the names are (``"dialect"``, ``"segmenter"``, ...).
        name: the name asked for.
        names: the registered names.

    Returns:
        A ``KeyError`` (to raise) whose message suggests up to three close names and lists
        every registered one.
    """
    known = sorted(names)
    close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.5)
    hint = f" did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    listing = ", ".join(known) if known else "(none)"
    return KeyError(f"Unknown {kind} {name!r};{hint} available: {listing}")


class Registry(dict[str, T], Generic[T]):
    """A ``dict`` of named objects with a checked ``register`` and a helpful ``lookup``.

    Args:
        kind: what the entries are, for messages (``"dialect"``, ``"segmenter"``).
        check: called on every object before it is registered; raises ``ValueError`` for
            an object that cannot serve (e.g. a segmenter without ``predict``).

    It is a plain ``dict`` otherwise (iteration, ``in``, ``len``, ``[]``), so code that
    reads a table directly keeps working.
    """

    def __init__(self, kind: str, check: Callable[[Any], None] | None = None) -> None:
        super().__init__()
        self.kind = kind
        self._check = check

    def register(self, name: str, obj: T) -> T:
        """Register ``obj`` under ``name`` (replacing an earlier one) and return it.

        Raises:
            ValueError: ``name`` is not a non-empty string, or ``check`` refuses ``obj``.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"Expected a non-empty string as the {self.kind} name, but got {name!r}")
        if self._check is not None:
            self._check(obj)
        self[name] = obj
        return obj

    def lookup(self, name: Any) -> T:
        """The object registered under ``name``.

        Raises:
            KeyError: no such name (the message suggests close names and lists all).
        """
        try:
            return self[name]
        except (KeyError, TypeError):
            raise unknown_name(self.kind, name, self) from None

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self)
