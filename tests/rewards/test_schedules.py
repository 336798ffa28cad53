import pickle

import pytest

from rewardkit.rewards.schedules import Staged, constant

PROG = Staged([(0.0, {"xi0": 0.5, "xi2": 0.75}), (0.5, {"xi0": 0.75, "xi2": 0.9})], by="fraction")


def test_missing_step_gives_first_stage():
    assert PROG.at() == {"xi0": 0.5, "xi2": 0.75}
    assert PROG.at(None, 100) == {"xi0": 0.5, "xi2": 0.75}


@pytest.mark.parametrize(
    ("step", "expected"),
    [(0, 0.5), (49, 0.5), (50, 0.75), (99, 0.75), (100, 0.75), (1000, 0.75)],
)
def test_fraction_stages(step, expected):
    assert PROG.at(step, 100)["xi0"] == expected


def test_switch_at_one_never_switches():
    s = Staged([(0.0, {"x": 1}), (1.0, {"x": 2})])
    assert s.at(99, 100) == {"x": 1}
    assert s.at(100, 100) == {"x": 1}
    assert s.at(10**6, 100) == {"x": 1}


def test_step_stages_and_cumulative_values():
    s = Staged([(0, {"a": 1, "b": 1}), (10, {"b": 2}), (20, {"a": 3})], by="step")
    assert s.at(0) == {"a": 1, "b": 1}
    assert s.at(9.5) == {"a": 1, "b": 1}
    assert s.at(10) == {"a": 1, "b": 2}
    assert s.at(25, max_steps=None) == {"a": 3, "b": 2}
    assert s.index(25) == 2


def test_unsorted_stages_are_sorted():
    s = Staged([(0.5, {"x": 2}), (0.0, {"x": 1})])
    assert s.at(0, 10) == {"x": 1} and s.at(5, 10) == {"x": 2}


def test_fraction_needs_max_steps():
    with pytest.raises(ValueError, match="max_steps"):
        PROG.at(3)
    with pytest.raises(ValueError, match="max_steps"):
        PROG.at(3, 0)


@pytest.mark.parametrize(
    "bad",
    [
        dict(stages=[], by="fraction"),
        dict(stages=[(1.5, {"x": 1})], by="fraction"),
        dict(stages=[(-1, {"x": 1})], by="step"),
        dict(stages=[(0, {"x": 1})], by="epoch"),
        dict(stages=[(0, [1, 2])], by="step"),
        dict(stages=[(0,)], by="step"),
    ],
)
def test_bad_schedules_raise(bad):
    with pytest.raises(ValueError):
        Staged(**bad)


def test_negative_step_raises():
    with pytest.raises(ValueError, match="step"):
        PROG.at(-1, 10)


def test_frozen_hashable_picklable():
    s2 = pickle.loads(pickle.dumps(PROG))
    assert s2 == PROG and hash(s2) == hash(PROG)
    assert s2.at(60, 100) == PROG.at(60, 100)
    with pytest.raises(AttributeError):
        PROG.by = "step"  # type: ignore[misc]
    assert constant(x=1).at(5, 10) == {"x": 1}
