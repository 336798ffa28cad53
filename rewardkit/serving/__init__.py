"""``rewardkit serve``: an HTTP reward service, and the client the trainer adapters use.

* :mod:`rewardkit.serving.client` (standard library only): :class:`RewardClient`, which
  the TRL, veRL, EasyR1 and ms-swift adapters use when they are given
  ``remote="http://..."``.
* :mod:`rewardkit.serving.work` (standard library + rewardkit): what the server's worker
  processes run (parse a request body, score its rows, serialize the answer).
* :mod:`rewardkit.serving.app` (Starlette): the ASGI application; imported only by the
  ``rewardkit serve`` command (the ``serve`` extra: ``pip install 'rewardkit[serve]'``).

Nothing here is imported by ``import rewardkit``.
"""
