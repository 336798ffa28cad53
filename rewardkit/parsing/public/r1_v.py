r"""R1-V's reading of completions, as its released reward code does it.

Read from github.com/Deep-Agent/R1-V at commit bbbbe3dc1ea6a74ce31c118c1722b1ee73e372ba
(``src/r1-v/src/open_r1/grpo.py``):

* accuracy: the FIRST ``<answer>...</answer>`` block without DOTALL (no newline inside,
  closing tag required), stripped, else the whole completion stripped; the same for the
  solution; compared with ``==`` (after a math-verify pre-check, see
  :mod:`rewardkit.rewards.compat.r1_v`);
* format: ``re.fullmatch(r"<think>.*?</think>\s*<answer>.*?</answer>", c, re.DOTALL)``:
  nothing before ``<think>`` or after the last ``</answer>`` (a trailing newline fails),
  case-sensitive tags, several answer blocks pass.
"""

from __future__ import annotations

from rewardkit.parsing.public import think_answer_fullmatch
from rewardkit.parsing.public.visual_rft import answer_text

__all__ = ["answer_text", "format_ok"]


def format_ok(content: str) -> bool:
    return think_answer_fullmatch(content)
