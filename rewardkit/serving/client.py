"""The client of ``rewardkit serve``.

It uses the standard library's ``http.client`` and ``json``, plus
:class:`rewardkit.types.RewardResult`.

The trainer adapters (TRL, veRL, EasyR1, ms-swift) use :class:`RewardClient` when they
are given ``remote="http://host:port"``: rows go to ``POST /score`` in the
``rewardkit score`` row format and come back in order, one per row.

Failures fall in two kinds:

* :class:`RemoteUnavailable`: the server could not be reached or answered 502/503/504
  (connection refused or reset, timeout) ``1 + retries`` times in a row, with an
  exponential back-off (``backoff``, ``2 * backoff``, ...) between tries. The adapters
  turn it into their "no score" value with a ``remote_unavailable`` reason.
* :class:`RemoteRejected`: the server answered but refused the request (401 wrong token,
  413 too large, 422 malformed). Retrying would not help: it is raised to the caller,
  since it is a configuration mistake.

Scoring is a pure function of the request, so a retried ``POST`` is safe. Connections
are kept alive, one per thread (veRL calls the reward from a thread pool). The token
comes from ``token=`` or the ``REWARDKIT_SERVE_TOKEN`` environment variable. Requests are
cut into parts that fit the server's limits (``max_rows`` and ``max_body_bytes``, read
once from ``GET /health``).

    >>> client = RewardClient("http://127.0.0.1:8000", timeout=10, retries=2)
    >>> client.url
    'http://127.0.0.1:8000'
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from rewardkit.types import RewardResult

__all__ = ["RewardClient", "RemoteError", "RemoteUnavailable", "RemoteRejected", "TOKEN_ENV", "result_from_row"]

TOKEN_ENV = "REWARDKIT_SERVE_TOKEN"
_RETRY_STATUS = frozenset({502, 503, 504})
_DEFAULT_MAX_ROWS = 1024
_DEFAULT_MAX_BODY = 16 * 1024 * 1024


class RemoteError(RuntimeError):
    """A request to a reward server failed."""


class RemoteUnavailable(RemoteError):
    """The reward server could not be reached (after all retries)."""


class RemoteRejected(RemoteError):
    """The reward server answered with an error that a retry would not fix (4xx)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"reward server refused the request (HTTP {status}): {message}")
        self.status = status


_CALLER_REASONS = ("missing_field", "unknown_reward", "bad_params", "invalid_json", "not_an_object", "internal_error")


def result_from_row(row: Mapping[str, Any]) -> RewardResult:
    """A :class:`~rewardkit.types.RewardResult` from an output row of ``POST /score``.

    A row the server could not score because of the caller's request (unknown reward,
    bad parameters, missing field) or a server defect raises ``ValueError``, as the same
    mistake raises in process; the reward's own reasons (``no_answer_tag``,
    ``bad_ground_truth``, ...) are kept in the result.

    >>> result_from_row({"score": 3.0, "components": {"iou": 1.0}, "reason": None}).score
    3.0
    """
    reason = row.get("reason")
    if row.get("score") is None and isinstance(reason, str) and reason.split(":")[0] in _CALLER_REASONS:
        raise ValueError(f"The reward server refused a row: {reason}")
    return RewardResult(row.get("score"), row.get("components") or {}, reason)


def _short(data: bytes, limit: int = 300) -> str:
    try:
        doc = json.loads(data)
        if isinstance(doc, dict) and "error" in doc:
            return str(doc["error"])[:limit]
    except ValueError:
        pass
    return data[:limit].decode("utf-8", "replace")


class RewardClient:
    """A keep-alive HTTP client for ``rewardkit serve``.

    Args:
        url: ``http://host:port`` (or ``https://``), optionally with a path prefix.
        token: Bearer token; default: the ``REWARDKIT_SERVE_TOKEN`` environment variable.
        timeout: Seconds for one try (connect, send, wait for the answer).
        retries: Further tries after a connection error, a timeout or a 502/503/504
            answer.
        backoff: Seconds before the first retry; doubled for each further one.
        max_rows: Rows per request (default: the server's limit from ``GET /health``).

    Raises:
        ValueError: a URL that is not ``http(s)://host...``, ``timeout <= 0``,
            ``retries < 0`` or ``max_rows < 1``.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_rows: int | None = None,
    ) -> None:
        parsed = urllib.parse.urlsplit(str(url))
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"Expected a reward server URL like 'http://127.0.0.1:8000', but got {url!r}")
        if not timeout or float(timeout) <= 0:
            raise ValueError(f"Expected timeout > 0 seconds, but got {timeout!r}")
        if int(retries) < 0:
            raise ValueError(f"Expected retries >= 0, but got {retries!r}")
        if max_rows is not None and int(max_rows) < 1:
            raise ValueError(f"Expected max_rows >= 1, but got {max_rows!r}")
        self.url = urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, parsed.path.rstrip("/"), "", ""))
        self.token = token
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.max_rows = None if max_rows is None else int(max_rows)
        self._init_runtime()

    # -- pickling (TRL pickles reward functions into workers; veRL ships them to Ray actors)
    def _init_runtime(self) -> None:
        parsed = urllib.parse.urlsplit(self.url)
        self._scheme = parsed.scheme
        self._host = parsed.hostname or ""
        self._port = parsed.port
        self._prefix = parsed.path
        self._local = threading.local()
        self._limits: tuple[int, int] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("url", "token", "timeout", "retries", "backoff", "max_rows")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_runtime()

    def __repr__(self) -> str:
        return f"RewardClient({self.url!r}, timeout={self.timeout}, retries={self.retries})"

    # -- transport ---------------------------------------------------------------------
    def _headers(self, has_body: bool) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if has_body:
            headers["Content-Type"] = "application/json"
        token = self.token if self.token is not None else os.environ.get(TOKEN_ENV)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn, True
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        conn = cls(self._host, self._port, timeout=self.timeout)
        self._local.conn = conn
        return conn, False

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def close(self) -> None:
        """Close this thread's connection."""
        self._drop()

    def request(self, method: str, path: str, payload: bytes | None = None) -> tuple[int, bytes]:
        """One request with retries.

        Args:
            method: the HTTP method (``"GET"``, ``"POST"``).
            path: the path below the client's URL (``"/score"``).
            payload: the JSON body, or None.

        Returns:
            ``(status, body)`` of the answer.

        Raises:
            RemoteUnavailable: ``1 + retries`` failed tries.
        """
        headers = self._headers(payload is not None)
        last = "no try"
        tries = self.retries + 1
        attempt = 0
        fresh_retry_used = False
        while attempt < tries:
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            conn, reused = self._connection()
            try:
                conn.request(method, self._prefix + path, body=payload, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                if reused and not fresh_retry_used:
                    # a kept-alive connection the server has since closed: reconnect at once
                    fresh_retry_used = True
                    continue
                last = f"{type(exc).__name__}: {exc}"
                attempt += 1
                continue
            if resp.will_close:
                self._drop()
            if resp.status in _RETRY_STATUS:
                last = f"HTTP {resp.status}: {_short(data)}"
                attempt += 1
                continue
            return resp.status, data
        raise RemoteUnavailable(f"reward server {self.url} unreachable after {tries} tries: {last}")

    def _json(self, method: str, path: str, payload: bytes | None = None) -> Any:
        status, data = self.request(method, path, payload)
        if status != 200:
            raise RemoteRejected(status, _short(data))
        try:
            return json.loads(data)
        except ValueError as exc:
            raise RemoteError(f"reward server {self.url} answered {path} with invalid JSON: {exc}") from None

    # -- API -----------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """``GET /health``: status, workers, limits."""
        return self._json("GET", "/health")

    def rewards(self) -> list[dict[str, Any]]:
        """``GET /rewards``: the server's registered rewards."""
        return self._json("GET", "/rewards")

    def limits(self) -> tuple[int, int]:
        """``(max_rows, max_body_bytes)`` of the server (asked once, then cached)."""
        if self._limits is None:
            try:
                health = self.health()
            except RemoteRejected:  # a proxy that does not pass /health: the defaults
                health = {}
            limits = (health.get("limits") if isinstance(health, dict) else None) or {}
            rows = int(limits.get("max_rows") or _DEFAULT_MAX_ROWS)
            body = int(limits.get("max_body_bytes") or _DEFAULT_MAX_BODY)
            self._limits = (rows, body)
        return self._limits

    def score(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        reward: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Score rows (``rewardkit score`` format) remotely.

        Args:
            rows: the input rows (``completion``, ``ground_truth``, ``reward``, ...).
            reward: the reward of rows that name none.
            params: reward parameters for every row.

        Returns:
            One output row per input row, in order (``score``, ``components``,
            ``reason``, ...).

        Raises:
            ValueError: rows that are not JSON-serializable.
            RemoteRejected: the server refused a request (a single row over its body
                limit, for instance).
            RemoteUnavailable: the server could not be reached after the retries.
        """
        rows = list(rows)
        if not rows:
            return []
        server_rows, max_body = self.limits()
        step = min(self.max_rows or server_rows, server_rows)
        out: list[dict[str, Any]] = []
        for start in range(0, len(rows), step):
            out.extend(self._post_rows(rows[start:start + step], reward, params, max_body))
        for i, row in enumerate(out, start=1):  # the server numbers rows per request
            if isinstance(row, dict) and "line" in row:
                row["line"] = i
        return out

    def _post_rows(self, rows: list[Mapping[str, Any]], reward: str | None, params: Mapping[str, Any] | None, max_body: int) -> list[dict[str, Any]]:
        doc: dict[str, Any] = {"rows": rows}
        if reward is not None:
            doc["reward"] = reward
        if params:
            doc["params"] = dict(params)
        try:
            payload = json.dumps(doc, separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"Expected JSON-serializable rows for remote scoring, but got: {exc}") from None
        if len(payload) > max_body:
            if len(rows) == 1:
                raise RemoteRejected(413, f"one row is {len(payload)} bytes, over the server's limit of {max_body}")
            half = len(rows) // 2
            return self._post_rows(rows[:half], reward, params, max_body) + self._post_rows(rows[half:], reward, params, max_body)
        got = self._json("POST", "/score", payload)
        got_rows = got.get("rows") if isinstance(got, dict) else None
        if not isinstance(got_rows, list) or len(got_rows) != len(rows):
            n = len(got_rows) if isinstance(got_rows, list) else None
            raise RemoteError(f"reward server {self.url} answered {n} rows for {len(rows)}")
        return got_rows
