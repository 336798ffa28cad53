"""ms-swift plugin file: rewardkit's rewards as GRPO reward functions (ORMs).

    swift rlhf --rlhf_type grpo --external_plugins "$(python -m rewardkit.adapters.swift)" \
        --reward_funcs visual_rft.detection/iou visual_rft.detection/confidence visual_rft.detection/format

Registers every rewardkit reward (and ``<reward>/<component>`` for rewards with several
components) in ms-swift's ``orms``. Settings from the environment:
``REWARDKIT_SWIFT_PARAMS`` (JSON), ``REWARDKIT_SWIFT_GT_COLUMN`` (default ``solution``),
``REWARDKIT_SWIFT_REMOTE`` (a ``rewardkit serve`` URL). See ``rewardkit.adapters.swift``.

This folder holds this file only: ms-swift puts a plugin's folder first on ``sys.path``.
"""

from rewardkit.adapters.swift import register_from_env

REGISTERED = register_from_env()
