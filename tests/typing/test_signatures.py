"""The typed call signatures of the exported rewards (``rewardkit/rewards/_signatures.py``)
are the registered functions' real ones: same parameters in the same order, kinds and
defaults (``inspect.signature`` of the registered wrapper, Reading keywords included),
the same annotations as the reward's ``def`` for its own parameters, and ``strict=False``
last (the wrapper takes it)."""

from __future__ import annotations

import inspect
import typing

import pytest

import rewardkit
from rewardkit.rewards import _signatures

PAIRS = {
    "format_reward": _signatures.FormatRewardSignature,
    "detection_reward": _signatures.DetectionRewardSignature,
    "classification_reward": _signatures.ClassificationRewardSignature,
    "grounding_reward": _signatures.GroundingRewardSignature,
    "counting_reward": _signatures.CountingRewardSignature,
}


def test_every_exported_reward_has_a_signature():
    exported = {n for n in rewardkit.__all__ if n.endswith("_reward")} - {"get_reward", "register_reward"}
    assert exported == set(PAIRS)


def _annotations(obj):
    """Evaluated annotations of a function, or of a callable object's ``__signature__``."""
    if inspect.isfunction(obj):
        return typing.get_type_hints(obj)
    sig = inspect.signature(obj)
    out = {p.name: p.annotation for p in sig.parameters.values() if p.annotation is not inspect.Parameter.empty}
    return {**out, "return": sig.return_annotation}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_signature_matches_the_registered_function(name):
    fn = getattr(rewardkit, name)
    typed = list(inspect.signature(PAIRS[name].__call__).parameters.values())[1:]  # without self
    strict = typed.pop()
    assert (strict.name, strict.kind, strict.default) == ("strict", inspect.Parameter.KEYWORD_ONLY, False)
    real = list(inspect.signature(fn).parameters.values())
    assert [(p.name, p.kind) for p in typed] == [(p.name, p.kind) for p in real]
    for t, r in zip(typed, real):
        if t.default is not Ellipsis:  # `reading: Reading = ...`: the reward's own Reading()
            assert t.default == r.default, (name, t.name)
        else:
            assert r.default is not inspect.Parameter.empty, (name, t.name)
    # the def's own parameters carry the same annotations
    own = _annotations(inspect.unwrap(fn))
    hints = typing.get_type_hints(PAIRS[name].__call__)
    for p in typed:
        if p.name in own and p.name != "return":
            assert hints[p.name] == own[p.name], (name, p.name, hints[p.name], own[p.name])
    assert hints["return"] == own["return"]
