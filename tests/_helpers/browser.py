"""Open a local HTML file in headless Chromium and look at it as a person would.

Drives Debian's ``chromium`` over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: JSON messages separated by NUL bytes on file descriptors
3 and 4 of the browser), so nothing but the standard library is needed: no websocket
client, no node. Collects console errors, uncaught exceptions, log errors (CSP
violations land there) and every request the page makes, then takes a full-page
screenshot.

Test scaffolding (used by ``tests/viz`` and ``scripts/docs_pictures.py``), not part of the
package.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["chromium_path", "PageVisit", "visit", "CHROMIUM_FLAGS"]

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
)
_LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


def chromium_path() -> str | None:
    """The Chromium binary (Debian's ``chromium``), or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


@dataclass
class PageVisit:
    """What the browser saw: ``console_errors`` (console.error/assert, uncaught
    exceptions, log entries of level error), ``requests`` (URLs), ``screenshot`` (PNG
    bytes of the whole page), ``loaded`` (the load event fired)."""

    url: str
    loaded: bool = False
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    screenshot: bytes = b""
    page_height: int = 0

    @property
    def network_requests(self) -> list[str]:
        """Requests that would leave the machine (anything but file:, data:, about:, blob:)."""
        return [u for u in self.requests if not u.startswith(_LOCAL_SCHEMES)]


class _Pipe:
    def __init__(self, binary: str, user_dir: str, width: int, height: int) -> None:
        cmd_r, self.cmd_w = os.pipe()
        self.resp_r, resp_w = os.pipe()

        def child_fds() -> None:  # the browser reads fd 3 and writes fd 4
            a, b = os.dup(cmd_r), os.dup(resp_w)  # copies first: the pipes may sit on 3 or 4
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        args = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={user_dir}", "--remote-debugging-pipe",
                f"--window-size={width},{height}", "about:blank"]  # fmt: skip
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     close_fds=False, preexec_fn=child_fds)  # noqa: S603,PLW1509 - fixed argv
        os.close(cmd_r)
        os.close(resp_w)
        self.buf = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def _read(self, deadline: float) -> dict[str, Any] | None:
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.resp_r], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.resp_r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buf += chunk
        raw, _, self.buf = self.buf.partition(b"\0")
        return json.loads(raw)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None, timeout: float = 30.0) -> dict[str, Any]:
        mid = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read(deadline)
            if msg is None:
                raise TimeoutError(f"no answer to {method} within {timeout} s")
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, method: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if any(e.get("method") == method for e in self.events):
            return True
        while True:
            msg = self._read(deadline)
            if msg is None:
                return False
            self.events.append(msg)
            if msg.get("method") == method:
                return True

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (msg := self._read(deadline)) is not None:
            self.events.append(msg)

    def close(self) -> None:
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(timeout=10)
        finally:
            os.close(self.cmd_w)
            os.close(self.resp_r)


def visit(path: str | Path, *, width: int = 1280, height: int = 900, full_page: bool = True,
          max_height: int = 12000, timeout: float = 60.0, binary: str | None = None) -> PageVisit:
    """Load ``path`` (a local file) in headless Chromium and report what happened."""
    binary = binary or chromium_path()
    if binary is None:
        raise FileNotFoundError("chromium not found")
    url = Path(path).resolve().as_uri()
    out = PageVisit(url)
    with tempfile.TemporaryDirectory(prefix="rk-chromium-") as user_dir:
        pipe = _Pipe(binary, user_dir, width, height)
        try:
            target = pipe.call("Target.createTarget", {"url": "about:blank"}, timeout=timeout)["targetId"]
            session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for method in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
                pipe.call(method, session=session)
            pipe.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
            pipe.events.clear()
            pipe.call("Page.navigate", {"url": url}, session=session, timeout=timeout)
            out.loaded = pipe.wait_event("Page.loadEventFired", timeout)
            pipe.drain(0.5)  # late console messages
            page_h = height
            if full_page:
                metrics = pipe.call("Page.getLayoutMetrics", session=session)
                size = metrics.get("cssContentSize") or metrics.get("contentSize") or {}
                page_h = int(min(max_height, max(height, size.get("height", height))))
                pipe.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": page_h, "deviceScaleFactor": 1, "mobile": False}, session=session)
                pipe.drain(0.3)
            out.page_height = page_h
            shot = pipe.call("Page.captureScreenshot", {"format": "png"}, session=session, timeout=timeout)
            import base64

            out.screenshot = base64.b64decode(shot["data"])
            pipe.drain(0.2)
        finally:
            pipe.close()
    for e in pipe.events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.console_errors.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            out.console_errors.append("exception: " + str(p.get("exceptionDetails", {}).get("text", "")))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            out.console_errors.append("log: " + str(p["entry"].get("text", "")))
        elif method == "Network.requestWillBeSent":
            out.requests.append(str(p.get("request", {}).get("url", "")))
    return out
