"""One real ``rewardkit serve`` (2 workers, a token, 1 MiB bodies) shared by the serving tests."""

from __future__ import annotations

import pytest

from tests.serving._server import serve

TOKEN = "s3cret-token"


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    tmp = tmp_path_factory.mktemp("serve")
    with serve(tmp, "--workers", "2", "--max-body-mb", "1", env={"REWARDKIT_SERVE_TOKEN": TOKEN}) as srv:
        yield srv
