"""Start a real ``rewardkit serve`` on a free loopback port, in a subprocess."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def health(self, timeout: float = 5.0) -> dict:
        with urllib.request.urlopen(self.url + "/health", timeout=timeout) as resp:
            return json.loads(resp.read())

    def logs(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@contextlib.contextmanager
def serve(tmp_path: Path, *args: str, env: dict | None = None, startup_s: float = 60.0) -> Iterator[Server]:
    """``rewardkit serve --port N ARGS`` until the block ends (then SIGTERM, then kill)."""
    port = free_port()
    log = tmp_path / f"serve-{port}.log"
    fh = open(log, "w")
    cmd = [sys.executable, "-m", "rewardkit.cli", "serve", "--port", str(port), *args]
    proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=REPO, env={**os.environ, **(env or {})})
    server = Server(proc, port, log)
    try:
        deadline = time.monotonic() + startup_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"rewardkit serve exited with {proc.returncode}:\n{server.logs()}")
            try:
                if server.health(timeout=1.0)["status"] == "ok":
                    break
            except (OSError, urllib.error.URLError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"rewardkit serve did not start in {startup_s} s:\n{server.logs()}")
            time.sleep(0.05)
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        fh.close()
