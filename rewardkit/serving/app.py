"""The ASGI application of ``rewardkit serve`` (Starlette; run by uvicorn).

Routes:

* ``GET /health``: ``{"status": "ok", "workers", "in_flight", "requests", "limits": {"max_rows",
  "max_body_bytes"}, "auth", ...}``; open without a token (for load balancers).
* ``GET /rewards``: the registered rewards (name, task, range, components, tags,
  scheduled, parameters with their defaults).
* ``POST /score``: rows in the ``rewardkit score`` format (``{"rows": [...], "reward":
  NAME, "params": {...}}``, a JSON array, or JSON lines) -> ``{"rows": [...]}``, one
  output row per input row, in order; rows that cannot be scored keep their place with
  a ``reason``.
* ``POST /openrlhf``: OpenRLHF's remote reward request (``query``, ``prompts``,
  ``labels``) -> ``{"rewards", "scores", "extra_logs"}``.

Refusals: 401 without the bearer token (when one is set; ``/openrlhf`` also takes it as
``?token=``, since OpenRLHF's client sends no headers); 413 for a body over
``max_body_bytes`` (checked on ``Content-Length`` before reading, and while reading) or
more than ``max_rows`` rows; 422 for a body that is not the expected JSON; 503 when a
worker process died (the pool is rebuilt; retry). Each answer is JSON ``{"error": ...}``.

The event loop never parses or scores: bodies go as bytes to a process pool
(:mod:`rewardkit.serving.work`), big batches are split over the workers, and the
answer is joined from their byte fragments.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import multiprocessing
import time
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rewardkit.serving import work

__all__ = ["ServeConfig", "create_app"]


@dataclass(frozen=True)
class ServeConfig:
    """Settings of one server (the ``rewardkit serve`` options)."""

    workers: int = 2
    token: str | None = None
    reward: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    max_body_bytes: int = 32 * 1024 * 1024
    max_rows: int = 4096
    part_rows: int = 256

    def __post_init__(self) -> None:
        for name in ("workers", "max_body_bytes", "max_rows", "part_rows"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Expected {name} to be a positive integer, but got {value!r}")


class _Refused(Exception):
    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=dict(headers or {}))


class _Server:
    """Pool, counters and handlers of one app."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.pool: ProcessPoolExecutor | None = None
        self.in_flight = 0
        self.requests = 0
        self.started = time.time()
        self._token = config.token.encode() if config.token else None
        self._pool_lock = asyncio.Lock()
        self._rewards: list[dict[str, Any]] | None = None

    # -- pool ----------------------------------------------------------------------------
    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.config.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=work.init_worker,
            initargs=(self.config.reward, dict(self.config.params)),
        )

    async def start(self) -> None:
        self.pool = self._new_pool()
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self.pool, work.ping) for _ in range(self.config.workers)))

    async def stop(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:  # in-flight batches are done: uvicorn waited for them
            await asyncio.get_running_loop().run_in_executor(None, pool.shutdown, True)

    async def run(self, fn: Any, *args: Any) -> Any:
        pool = self.pool
        if pool is None:
            raise _Refused(503, "the server is shutting down")
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
        except BrokenProcessPool:
            async with self._pool_lock:
                if self.pool is pool:  # first to notice: rebuild
                    self.pool = self._new_pool()
                    pool.shutdown(wait=False, cancel_futures=True)
            raise _Refused(503, "a worker process died; the pool was restarted: retry the request") from None

    # -- request helpers -------------------------------------------------------------------
    def check_token(self, request: Request, allow_query: bool = False) -> None:
        if self._token is None:
            return
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), self._token):
            return
        query = request.query_params.get("token") if allow_query else None
        if query is not None and hmac.compare_digest(query.encode(), self._token):
            return
        raise _Refused(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})

    async def read_body(self, request: Request) -> bytes:
        limit = self.config.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _Refused(413, f"Expected a body of at most {limit} bytes, but Content-Length is {declared}")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _Refused(413, f"Expected a body of at most {limit} bytes, but got more")
                chunks.append(chunk)
        except ClientDisconnect:
            raise _Refused(400, "the client disconnected while sending the body") from None
        return b"".join(chunks)

    # -- handlers ----------------------------------------------------------------------------
    async def health(self, request: Request) -> Response:
        cfg = self.config
        return JSONResponse({
            "status": "ok" if self.pool is not None else "stopping",
            "workers": cfg.workers,
            "in_flight": self.in_flight,
            "requests": self.requests,
            "uptime_s": round(time.time() - self.started, 3),
            "auth": self._token is not None,
            "default_reward": cfg.reward,
            "limits": {"max_rows": cfg.max_rows, "max_body_bytes": cfg.max_body_bytes},
        })

    async def rewards(self, request: Request) -> Response:
        try:
            self.check_token(request)
        except _Refused as exc:
            return _error(exc.status, exc.message, exc.headers)
        if self._rewards is None:
            from rewardkit.io import to_jsonable
            from rewardkit.registry import get_spec, list_rewards

            items = []
            for name in list_rewards():
                spec = get_spec(name)
                params = {k: v if isinstance(v, str | int | float | bool | type(None)) else repr(v) for k, v in spec.params.items()}
                items.append({
                    "name": name, "task": spec.task, "range": list(spec.range), "components": list(spec.components),
                    "tags": sorted(spec.tags), "scheduled": spec.scheduled, "params": params, "summary": spec.summary,
                })
            self._rewards = to_jsonable(items)
        return JSONResponse(self._rewards)

    async def _guarded(self, request: Request, handler: Any, allow_query: bool = False) -> Response:
        try:
            self.check_token(request, allow_query)
            body = await self.read_body(request)
            self.in_flight += 1
            try:
                return await handler(request, body)
            finally:
                self.in_flight -= 1
                self.requests += 1
        except _Refused as exc:
            return _error(exc.status, exc.message, exc.headers)

    async def _score(self, request: Request, body: bytes) -> Response:
        cfg = self.config
        ctype = request.headers.get("content-type", "")
        res = await self.run(work.handle_score, body, ctype, cfg.max_rows, cfg.part_rows, cfg.workers)
        if res[0] == "error":
            return _error(res[1], res[2])
        if res[0] == "done":
            return Response(res[1], media_type="application/json")
        _, parts, reward, params = res
        frags = await asyncio.gather(*(self.run(work.score_part, p, reward, params) for p in parts))
        return Response(b'{"rows":[' + b",".join(frags) + b"]}", media_type="application/json")

    async def _openrlhf(self, request: Request, body: bytes) -> Response:
        res = await self.run(work.handle_openrlhf, body, self.config.max_rows)
        if res[0] == "error":
            return _error(res[1], res[2])
        return Response(res[1], media_type="application/json")

    async def score(self, request: Request) -> Response:
        return await self._guarded(request, self._score)

    async def openrlhf(self, request: Request) -> Response:
        # OpenRLHF's client sends no headers: the token may ride in the URL (?token=...)
        return await self._guarded(request, self._openrlhf, allow_query=True)


def create_app(config: ServeConfig) -> Starlette:
    """The Starlette app; its lifespan starts and stops the worker pool."""
    server = _Server(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await server.start()
        try:
            yield
        finally:
            await server.stop()

    app = Starlette(
        routes=[
            Route("/health", server.health, methods=["GET"]),
            Route("/rewards", server.rewards, methods=["GET"]),
            Route("/score", server.score, methods=["POST"]),
            Route("/openrlhf", server.openrlhf, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.server = server
    return app
