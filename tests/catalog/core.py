"""Property-catalog cases: the core rewards (format, Visual-RFT detection and
classification, grounding, counting, detection F1, point-in-box)."""

from __future__ import annotations

from tests.catalog import Case

_GT = [[100, 120, 300, 340], [420, 200, 600, 450], [650, 600, 900, 880]]
_SOLUTION = "<answer>[" + ", ".join(f"{{'Position': {b}, 'Confidence': 1}}" for b in _GT) + "]</answer>"


def _c(answer: str) -> str:
    return f"<think>I see three objects.</think>\n<answer>{answer}</answer>"


def _vrft(items) -> str:
    return "[" + ", ".join(f"{{'Position': {list(b)}, 'Confidence': {c}}}" for b, c in items) + "]"


_PERFECT = [(b, 1) for b in _GT]
# partial: one exact, one shifted (IoU ~0.7), one false alarm; distinct confidences so the
# greedy-by-confidence matching does not depend on the order of the list
_PARTIAL = [(_GT[0], 0.9), ([430, 220, 610, 470], 0.7), ([10, 10, 60, 60], 0.2)]


def _perms(items, fmt=_vrft):
    return [_c(fmt(list(reversed(items)))), _c(fmt(items[1:] + items[:1]))]


def _lists(items) -> str:
    return str([list(b) for b, _ in items])


_POINTS = [[200, 230], [510, 325], [775, 740]]

CASES = [
    # --- format ---------------------------------------------------------------------
    Case("format.think_answer", "<think>a</think><answer>b</answer>", None, expect_max=True, id="strict"),
    Case("format.think_answer", "<think>a</think>", None, id="think-only"),
    Case("format.tag_count", "<think>a</think>\n<answer>b</answer>", None, expect_max=True, id="four-tags"),
    Case("format.tag_count", "<think>a</think><answer>b</answer><answer>c</answer>", None, id="two-answers"),
    # --- Visual-RFT detection ----------------------------------------------------------
    Case("visual_rft.detection", _c(_vrft(_PERFECT)), _GT, expect_max=True, permutations=_perms(_PERFECT),
         id="perfect"),
    Case("visual_rft.detection", _c(_vrft(_PERFECT)), _SOLUTION, expect_max=True, id="perfect-solution-string"),
    Case("visual_rft.detection", _c(_vrft(_PERFECT)), _GT, params={"normalize": "pred"}, expect_max=True,
         id="perfect-normalize-pred"),
    Case("visual_rft.detection", _c("No Objects"), [], expect_max=True, id="empty-on-empty"),
    Case("visual_rft.detection", _c(_vrft(_PARTIAL)), _GT, permutations=_perms(_PARTIAL), id="partial"),
    Case("visual_rft.detection", _c("[]"), _GT, id="empty-answer-with-objects"),
    # --- Visual-RFT classification --------------------------------------------------
    Case("visual_rft.classification", _c("Black-footed Albatross"), "Black_footed_Albatross", expect_max=True,
         id="perfect"),
    Case("visual_rft.classification", _c("cardinal or robin"), "cardinal", id="hedge"),
    Case("visual_rft.classification", _c(""), "cardinal", params={"compat": "substring"}, expect_max=True,
         id="compat-empty-answer-pays"),
    # --- grounding ------------------------------------------------------------------
    *[
        Case(f"grounding.{k}", _c("[120, 80, 480, 400]"), [120, 80, 480, 400], expect_max=True, id="perfect")
        for k in ("iou", "iou_squared", "giou_plus_one", "accuracy")
    ],
    *[
        Case(f"grounding.{k}", _c("[130, 90, 480, 400]"), [120, 80, 480, 400], id="close")
        for k in ("iou", "iou_squared", "giou_plus_one", "accuracy")
    ],
    Case("grounding.iou", _c("[0, 0, 10, 10]"), [], id="bad-gt-empty"),
    # --- counting -------------------------------------------------------------------
    Case("count.exact", _c("3"), 3, expect_max=True, id="perfect"),
    Case("count.exact", _c("There are three cats."), "<answer>3</answer>", expect_max=True, id="perfect-word"),
    Case("count.exact", _c("4"), 3, id="off-by-one"),
    Case("count.exact", _c("4"), 3, params={"tolerance": 1}, expect_max=True, id="tolerance"),
    # --- detection F1 -----------------------------------------------------------------
    Case("detection.f1", _c(_lists(_PERFECT)), _GT, expect_max=True, permutations=_perms(_PERFECT, _lists),
         id="perfect"),
    Case("detection.f1", _c("[]"), [], expect_max=True, id="empty-on-empty"),
    Case("detection.f1", _c(_lists(_PARTIAL)), _GT, permutations=_perms(_PARTIAL, _lists), id="partial"),
    # --- point in box -----------------------------------------------------------------
    Case("point.in_box", _c(str(_POINTS)), _GT, expect_max=True,
         permutations=[_c(str(_POINTS[::-1])), _c(str(_POINTS[1:] + _POINTS[:1]))], id="perfect"),
    Case("point.in_box", _c(str(_POINTS[:2] + [[5, 5]])), _GT, permutations=[_c(str([[5, 5]] + _POINTS[:2]))],
         id="partial"),
]
