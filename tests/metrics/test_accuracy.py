"""Classification and counting accuracy with the rewards' answer matching."""

from __future__ import annotations

import math

from rewardkit.metrics.accuracy import classification_accuracy, counting_accuracy


def test_classification_hand_computed():
    comps = [
        "<think>a</think><answer>Black-footed Albatross</answer>",  # normalized match
        "<think>a</think><answer>albatross or gull</answer>",  # hedge: wrong
        "<think>a</think><answer></answer>",  # empty: wrong
        "the answer is gull",  # no tag: read whole under answer="auto" (wrong label), unreadable under "tags"
        "<answer>laysan albatross</answer>",  # right, lenient format
    ]
    gts = ["black_footed_albatross", "albatross", "gull", "gull", "Laysan albatross"]
    r = classification_accuracy(comps, gts)
    assert r["correct"].tolist() == [True, False, False, False, True]
    assert r["accuracy"] == 0.4 and r["n_correct"] == 2 and r["n"] == 5
    assert r["n_unreadable"] == 1  # the empty answer (issue 9: answer="auto" reads the bare one)
    assert r["strict_format"] == 0.6
    assert r["per_class"]["gull"] == 0.0 and r["per_class"]["Laysan albatross"] == 1.0
    tags = classification_accuracy(comps, gts, answer="tags")
    assert tags["correct"].tolist() == r["correct"].tolist() and tags["n_unreadable"] == 2


def test_bare_answers_keep_accuracy_in_auto():
    bare = ["Black-footed Albatross", "<think>grey wings</think>\ngull", "```\nLaysan albatross\n```"]
    tagged = [f"<think>t</think><answer>{a}</answer>" for a in ("Black-footed Albatross", "gull", "Laysan albatross")]
    gts = ["black_footed_albatross", "gull", "Laysan albatross"]
    assert classification_accuracy(bare, gts)["accuracy"] == classification_accuracy(tagged, gts)["accuracy"] == 1.0
    assert classification_accuracy(bare, gts)["strict_format"] == 0.0
    assert classification_accuracy(bare, gts, answer="tags")["accuracy"] == 0.0
    assert counting_accuracy(["There are 3.", "<think>2?</think>4"], [3, 4])["accuracy"] == 1.0


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
