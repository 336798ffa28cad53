"""A Ray Data scorer actor that dies once on a chosen chunk (tests only).

The marker file makes the failure happen on the first attempt only: the process exits
before the chunk's rows are returned, Ray restarts the actor and retries the task.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rewardkit.engines.ray import ChunkScorer


class DiesOnce(ChunkScorer):
    marker: str = ""
    chunk_first_line: int = -1

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        marker = Path(self.marker)
        if int(batch["first_line"][0]) == self.chunk_first_line and not marker.exists():
            marker.write_text(str(os.getpid()))
            os._exit(1)
        return super().__call__(batch)


def dies_once(marker: str, first_line: int) -> type:
    """A :class:`DiesOnce` subclass bound to one marker file and chunk."""
    return type("DiesOnceBound", (DiesOnce,), {"marker": marker, "chunk_first_line": first_line})
