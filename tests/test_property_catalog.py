"""Generic property tests over the WHOLE reward registry, driven by tests/catalog/*.py.

For every registered reward:
(a) completeness: at least one catalog case with ``expect_max=True``;
(b) every case scores within ``spec.range`` (``None`` only with ``bad_ground_truth``);
(c) ``expect_max`` cases score ``spec.range[1]``;
(d) permutations of the predictions score the same;
(e) the components are exactly ``spec.components``;
(f) arbitrary and adversarial text (hypothesis + a fixed hostile set: deep nesting, huge
    numbers, megabyte inputs, tag soup) never raises and scores in range or ``None``.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewardkit.registry import get_spec, list_rewards, score
from tests.catalog import Case, all_cases

CASES: list[Case] = all_cases()
NAMES: list[str] = list_rewards()
EPS = 1e-9


def _case_id(case: Case) -> str:
    return f"{case.reward}:{case.id or case.completion[:30]}"


def _run(case: Case, completion: str | None = None):
    return score(case.completion if completion is None else completion, case.ground_truth, reward=case.reward,
                 **case.params)


def _check_result(name: str, r) -> None:
    spec = get_spec(name)
    lo, hi = spec.range
    if r.score is None:
        assert r.reason == "bad_ground_truth", f"{name}: score None with reason {r.reason!r}"
        return
    assert lo - EPS <= r.score <= hi + EPS, f"{name}: score {r.score} outside {spec.range} (reason {r.reason!r})"
    if r.components:
        assert sorted(r.components) == sorted(spec.components), (
            f"{name}: components {sorted(r.components)} != declared {sorted(spec.components)}"
        )


def _first_case(name: str) -> Case:
    for case in CASES:
        if case.reward == name:
            return case
    # test_every_reward_has_a_perfect_case reports the missing catalog entry once
    pytest.skip(f"reward {name!r} has no catalog case yet (see the completeness check)")


# (a) ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_reward_has_a_perfect_case(name):
    perfect = [c for c in CASES if c.reward == name and c.expect_max]
    assert perfect, f"reward {name!r} has no expect_max case in tests/catalog/ (the completeness check)"


def test_catalog_names_are_registered():
    unknown = sorted({c.reward for c in CASES} - set(NAMES))
    assert not unknown, f"catalog cases name unregistered rewards: {unknown}"


# (b), (c), (e) -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_case_in_range_with_declared_components(case):
    r = _run(case)
    _check_result(case.reward, r)
    if case.expect_max:
        assert r.score == pytest.approx(get_spec(case.reward).range[1]), (r.score, dict(r.components), r.reason)


# (d) ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [c for c in CASES if c.permutations], ids=_case_id)
def test_permutations_score_equal(case):
    base = _run(case)
    for perm in case.permutations:
        r = _run(case, perm)
        if base.score is None:
            assert r.score is None
            continue
        assert r.score == pytest.approx(base.score), perm
        for k, v in base.components.items():
            assert r.components[k] == pytest.approx(v), (k, perm)


# (f) ---------------------------------------------------------------------------------------

_SOUP = ["<think>", "</think>", "<answer>", "</answer>", "< answer >", "[", "]", "{", "}", "(", ")", "'", '"',
         ",", ":", "1", "-7", "0.5", "1e309", "nan", "NaN", "inf", "None", "True", "<|box_start|>", "<|box_end|>",
         "<|object_ref_start|>", "<|object_ref_end|>", "<12>", "```json", "```", "\n", " ", "Position",
         "'Confidence'", '"bbox_2d"', "No Objects", "\\", "\x00", "\udcff", "é"]


def _tag_soup(seed: int, n: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(_SOUP) for _ in range(n))


def _wrap(x: str) -> str:
    return f"<think>x</think><answer>{x}</answer>"


HOSTILE = {
    "deep-brackets-100k": "[" * 100_000,
    "deep-brackets-in-answer": _wrap("[" * 50_000),
    "deep-braces-in-answer": _wrap("{" * 10_000 + "}" * 10_000),
    "deep-parens-in-answer": _wrap("(" * 20_000),
    "balanced-deep-box": _wrap("[" * 300 + "1, 2, 3, 4" + "]" * 300),
    "nested-dict-keys": _wrap('{"bbox_2d": ' * 3000),
    "huge-floats": _wrap("[1e309, -1e309, 1e999, 1e308]"),
    "huge-integer": _wrap("[" + "9" * 4000 + ", 1, 2, 3]"),
    "huge-integer-count": _wrap("9" * 1500),
    "many-numbers": _wrap(", ".join(str(i) for i in range(50_000))),
    "megabyte-of-boxes": _wrap("[1, 2, 3, 4], " * 75_000),
    "megabyte-of-letters": "a" * 1_000_000,
    "megabyte-in-answer": _wrap("b" * 1_000_000),
    "many-answer-blocks": "<answer>[1, 2, 3, 4]</answer>" * 30_000,
    "many-open-answer-tags": "<answer>" * 100_000,
    "many-think-tags": "<think>" * 50_000 + "</think>" * 50_000,
    "box-token-spam": _wrap("<|box_start|>(1,2),(3,4)<|box_end|>" * 20_000),
    "bin-spam": _wrap("<1><2><3><4>" * 50_000),
    "point-pairs-spam": _wrap("(1, 2)" * 100_000),
    "unclosed-box-start-spam": _wrap("<|box_start|>" * 15_000),
    "unclosed-ref-spam": _wrap("<|object_ref_start|>" * 9_000 + "<|box_start|>(1,2),(3,4)<|box_end|>"),
    "long-digit-run-list": _wrap("[" + "9" * 100_000 + ", 1, 2, 3]"),
    "long-digit-run-tuple": _wrap("(" + "9" * 100_000 + ", 1, 2"),
    "long-digit-run-bare": _wrap("9" * 150_000 + "."),
    "unclosed-quotes": _wrap("'a" * 50_000),
    "tag-soup-small": _tag_soup(0, 400),
    "tag-soup-large": _tag_soup(1, 60_000),
    "tag-soup-in-answer": _wrap(_tag_soup(2, 5_000)),
    "null-bytes-surrogates": _wrap("\x00\udcff" * 1000),
    "unterminated-string": _wrap("[{'Position': [1, 2, 3, 4], 'label': 'abc" + "x" * 100_000),
    "rle-like": _wrap('{"size": [100000, 100000], "counts": "' + "0" * 10_000 + '"}'),
}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("hostile", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_inputs_never_raise(name, hostile):
    case = _first_case(name)
    r = _run(case, HOSTILE[hostile])
    _check_result(name, r)


_TEXT = st.one_of(
    st.text(max_size=300),
    st.text(max_size=200).map(_wrap),
    st.lists(st.sampled_from(_SOUP), max_size=120).map("".join),
    st.lists(st.sampled_from(_SOUP), max_size=80).map(lambda p: _wrap("".join(p))),
    st.integers(min_value=1, max_value=3000).map(lambda n: _wrap("[" * n)),
    st.tuples(st.floats(allow_nan=True, allow_infinity=True), st.floats(), st.floats(), st.floats()).map(
        lambda t: _wrap(str(list(t)))),
    st.lists(st.integers(min_value=-(10**30), max_value=10**30), min_size=0, max_size=12).map(lambda xs: _wrap(str(xs))),
    st.recursive(st.integers(-2000, 2000) | st.floats(allow_nan=False) | st.text(max_size=5),
                 lambda ch: st.lists(ch, max_size=4) | st.dictionaries(st.sampled_from(["bbox_2d", "Position", "Confidence", "label", "point_2d"]), ch, max_size=3),
                 max_leaves=12).map(lambda v: _wrap(repr(v))),
)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=_TEXT)
def test_arbitrary_text_never_raises(name, text):
    case = _first_case(name)
    r = _run(case, text)
    _check_result(name, r)
