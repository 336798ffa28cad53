"""Engines that run rewardkit's work outside one process (optional extras).

* :mod:`rewardkit.engines.ray`: ``rewardkit score --engine ray`` (Ray Data, one
  ``Reward`` per actor) and the Ray map of ``rewardkit eval coco --engine ray``.

Nothing here is imported by ``import rewardkit``; each engine imports its framework
inside the functions that need it and names the extra to install when it is missing.
"""
