"""Golden tables: class-name answers (normalization, synonyms, multi answers) and counts."""

from __future__ import annotations

import pytest

from rewardkit.parsing.labels import (
    is_multi_answer,
    labels_match,
    normalize_label,
    parse_label,
    substring_match,
)
from rewardkit.parsing.numbers import parse_count, parse_number

P = pytest.param

NORMALIZE = [
    P("The Black-footed_Albatross.", "black footed albatross", id="cub-name-article-dash-underscore-period"),
    P("  Golden   Retriever ", "golden retriever", id="collapse-whitespace"),
    P("an Apple", "apple", id="article-an"),
    P("A", "", id="article-only"),
    P("Red-winged blackbird", "red winged blackbird", id="dash"),
    P("St. Bernard", "st bernard", id="inner-period"),
    P("jack-o'-lantern", "jack o lantern", id="apostrophe"),
    P("ＡＢＣ", "abc", id="full-width-nfkc"),
    P("Café", "café", id="accent-kept"),
    P("2012 BMW 1 Series Convertible", "2012 bmw 1 series convertible", id="stanford-cars-digits-kept"),
    P("\"Cardinal\"", "cardinal", id="quotes"),
    P("Cardinal\n", "cardinal", id="trailing-newline"),
]


@pytest.mark.parametrize(("raw", "normalized"), NORMALIZE)
def test_normalize_label(raw, normalized):
    assert normalize_label(raw) == normalized


SYN = {"african elephant": ["loxodonta africana", "African bush elephant"]}

MATCH = [
    P("The Black-footed_Albatross.", "Black_footed_Albatross", None, True, id="cub-normalized-equal"),
    P("black footed albatross", "Black-footed Albatross", None, True, id="dash-vs-space"),
    P("Albatross", "Black_footed_Albatross", None, False, id="prefix-is-not-a-match"),
    P("a", "apple", None, False, id="single-letter-not-apple"),
    P("", "apple", None, False, id="empty-never-matches"),
    P("the", "the", None, False, id="article-only-normalizes-empty"),
    P("BMW", "2012 BMW 1 Series Convertible", None, False, id="short-prefix-car"),
    P("Loxodonta africana", "African elephant", SYN, True, id="synonym-to-canonical"),
    P("African elephant", "African bush elephant", SYN, True, id="canonical-to-synonym"),
    P("loxodonta africana", "african bush elephant", SYN, True, id="synonym-to-synonym"),
    P("Asian elephant", "African elephant", SYN, False, id="not-a-synonym"),
    P("Loxodonta africana", "African elephant", None, False, id="synonym-needs-table"),
]


@pytest.mark.parametrize(("pred", "gt", "synonyms", "expected"), MATCH)
def test_labels_match(pred, gt, synonyms, expected):
    assert labels_match(pred, gt, synonyms) is expected


SUBSTRING = [
    # the public Visual-RFT rule (compat only): hackable on purpose
    P("", "apple", True, id="empty-answer-pays"),
    P("a", "apple", True, id="a-for-apple"),
    P("rose or garden phlox", "garden phlox", True, id="hedge-pays"),
    P("BMW", "2012 BMW 1 Series Convertible", True, id="prefix-pays"),
    P("Black_footed Albatross", "black footed albatross", True, id="spaces-underscores-removed"),
    P("dog", "cat", False, id="different"),
]


@pytest.mark.parametrize(("pred", "gt", "expected"), SUBSTRING)
def test_substring_match_reproduces_public_rule(pred, gt, expected):
    assert substring_match(pred, gt) is expected


MULTI = [
    P("rose or garden phlox", True, id="or"),
    P("cat/dog", True, id="slash"),
    P("cat, dog", True, id="comma"),
    P("cat; dog", True, id="semicolon"),
    P("cat | dog", True, id="pipe"),
    P("cat\ndog", True, id="newline"),
    P("cat and/or dog", True, id="and-or"),
    P("black-and-white warbler", False, id="and-inside-name"),
    P("Cardinal", False, id="single"),
    P("Oriole.", False, id="single-period"),
    P("Orchid", False, id="or-inside-word"),
]


@pytest.mark.parametrize(("text", "multi"), MULTI)
def test_multi_answer(text, multi):
    assert is_multi_answer(text) is multi


LABEL = [
    P("Cardinal.", True, None, "Cardinal", False, id="strip-period"),
    P("'cardinal'", True, None, "cardinal", False, id="strip-quotes"),
    P("  rose or garden phlox ", True, None, "rose or garden phlox", True, id="multi-flagged"),
    P("", False, "empty_answer", "", None, id="empty"),
    P("...", False, "empty_answer", "", None, id="only-periods"),
    P(None, False, "no_answer", "", None, id="none"),
    P("x" * 5000, False, "too_long", "", None, id="too-long"),
]


@pytest.mark.parametrize(("payload", "ok", "reason", "value", "multi"), LABEL)
def test_parse_label(payload, ok, reason, value, multi):
    r = parse_label(payload)
    assert (r.ok, r.reason, r.value) == (ok, reason, value)
    if multi is not None:
        assert r.details["multi"] is multi


COUNTS = [
    P("3", True, 3, None, id="digit"),
    P("3.", True, 3, None, id="digit-period"),
    P("3.0", True, 3, None, id="float-integral"),
    P("  7  ", True, 7, None, id="spaces"),
    P("+5", True, 5, None, id="plus-sign"),
    P("There are 3 dogs.", True, 3, None, id="sentence"),
    P("three", True, 3, None, id="word"),
    P("Three dogs", True, 3, None, id="word-capitalized"),
    P("zero", True, 0, None, id="word-zero"),
    P("0", True, 0, None, id="digit-zero"),
    P("twenty", True, 20, None, id="word-twenty"),
    P("I see 12", True, 12, None, id="two-digits"),
    P("five (5)", True, 5, None, id="word-and-digit-agree"),
    P("3 dogs, 3 total", True, 3, None, id="same-number-twice"),
    P("1,000", True, 1000, None, id="thousands-separator"),
    P("1,234,567 people", True, 1234567, None, id="two-thousands-separators"),
    P("2 or 3", False, 0, "ambiguous", id="hedge-ambiguous"),
    P("2,3", False, 0, "ambiguous", id="comma-list-ambiguous"),
    P("three or four", False, 0, "ambiguous", id="word-hedge"),
    P("I count 3 dogs and 4 cats", False, 0, "ambiguous", id="two-numbers"),
    P("-2", False, 0, "not_a_count", id="negative"),
    P("2.5", False, 0, "not_a_count", id="float"),
    P("1e3", False, 0, "unparseable", id="scientific"),
    P("3rd", False, 0, "unparseable", id="ordinal"),
    P("none", False, 0, "unparseable", id="none-word"),
    P("many", False, 0, "unparseable", id="no-number"),
    P("", False, 0, "empty_answer", id="empty"),
    P(None, False, 0, "no_answer", id="none"),
    P("9" * 3000, False, 0, "too_long", id="too-long"),
]


@pytest.mark.parametrize(("payload", "ok", "value", "reason"), COUNTS)
def test_golden_counts(payload, ok, value, reason):
    r = parse_count(payload)
    assert (r.ok, r.value, r.reason) == (ok, value, reason)


def test_parse_number():
    assert parse_number("The answer is 2.5").value == 2.5
    assert parse_number("1,000").value == 1000.0
    assert parse_number("2 or 3").reason == "ambiguous"
    assert parse_number("none").reason == "unparseable"
