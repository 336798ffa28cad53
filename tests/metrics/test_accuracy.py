"""Classification and counting accuracy with the rewards' answer matching."""

from __future__ import annotations

import math

from rewardkit.metrics.accuracy import classification_accuracy, counting_accuracy


def test_classification_hand_computed():
    comps = [
        "<think>a</think><answer>Black-footed Albatross</answer>",  # normalized match
        "<think>a</think><answer>albatross or gull</answer>",  # hedge: wrong
        "<think>a</think><answer></answer>",  # empty: wrong
        "the answer is gull",  # no tag: wrong (unreadable)
        "<answer>laysan albatross</answer>",  # right, lenient format
    ]
    gts = ["black_footed_albatross", "albatross", "gull", "gull", "Laysan albatross"]
    r = classification_accuracy(comps, gts)
    assert r["correct"].tolist() == [True, False, False, False, True]
    assert r["accuracy"] == 0.4 and r["n_correct"] == 2 and r["n"] == 5
    assert r["n_unreadable"] == 2
    assert r["strict_format"] == 0.6
    assert r["per_class"]["gull"] == 0.0 and r["per_class"]["Laysan albatross"] == 1.0


def test_classification_synonyms_and_compat():
    r = classification_accuracy(["<answer>kitty</answer>"], ["cat"], synonyms={"cat": ["kitty"]})
    assert r["accuracy"] == 1.0
    # the public substring rule pays an empty answer; only under compat
    assert classification_accuracy(["<answer></answer>"], ["cat"], compat="substring")["accuracy"] == 1.0
    assert classification_accuracy(["<answer></answer>"], ["cat"])["accuracy"] == 0.0


def test_counting_hand_computed():
    comps = ["<answer>3</answer>", "<answer>five</answer>", "<answer>2 or 3</answer>", "<answer>7</answer>"]
    r = counting_accuracy(comps, [3, 4, 3, 6])
    assert r["correct"].tolist() == [True, False, False, False]
    assert r["accuracy"] == 0.25 and r["n_unreadable"] == 1
    assert r["mae"] == (0 + 1 + 1) / 3
    assert counting_accuracy(comps, [3, 4, 3, 6], tolerance=1)["accuracy"] == 0.75
    assert math.isnan(counting_accuracy(["nothing"], [1])["mae"])
