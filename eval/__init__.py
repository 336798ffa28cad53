"""Evaluation protocols of the papers (category lists, splits, prompts, tables).

Installed as ``rewardkit.eval``; write ``from rewardkit.eval import coco_fewshot``,
never ``from rewardkit import eval``. The metric formulas live in
:mod:`rewardkit.metrics`.
"""

if __name__ != "rewardkit.eval":
    raise ImportError(
        f"rewardkit's evaluation protocols must be imported as `rewardkit.eval`, not as {__name__!r}; "
        "install rewardkit (pip install -e .) and write `from rewardkit.eval import ...`"
    )
