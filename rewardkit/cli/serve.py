"""``rewardkit serve``: an HTTP reward service (Starlette on uvicorn; the ``serve`` extra).

    rewardkit serve --port 8000 --workers 4            # binds 127.0.0.1
    REWARDKIT_SERVE_TOKEN=s3cret rewardkit serve --host 0.0.0.0 --port 8000

Routes, limits and refusals: :mod:`rewardkit.serving.app`; the client the trainer
adapters use: :mod:`rewardkit.serving.client`. On SIGTERM or Ctrl-C the server stops
accepting connections, finishes the batches in flight (up to ``--graceful-timeout``
seconds), then stops its workers.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from typing import Any

from rewardkit.cli._errors import CliError
from rewardkit.cli._params import parse_param

__all__ = ["register"]

TOKEN_ENV = "REWARDKIT_SERVE_TOKEN"
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"Expected a positive number, but got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"Expected a positive number, but got {text!r}")
        return value

    return parse


def _bind(host: str, port: int) -> socket.socket:
    """Listen here (not in uvicorn) so that a taken port is one clear line."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CliError(f"cannot resolve --host {host!r}: {exc.strerror}") from None
    family, socktype, proto, _, addr = infos[0]
    # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say TCP, and
    # without it a kept-alive connection waits ~40 ms (Nagle + delayed ACK) per answer
    sock = socket.socket(family, socktype, proto or socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from rewardkit.serving.app import ServeConfig, create_app
    except ImportError as exc:
        raise CliError(f"rewardkit serve needs the 'serve' extra (starlette, uvicorn): pip install 'rewardkit[serve]' ({exc})") from None
    from rewardkit.registry import get_spec

    if args.reward:
        get_spec(args.reward)  # KeyError with suggestions -> one line
    token = args.token if args.token is not None else os.environ.get(TOKEN_ENV) or None
    workers = args.workers or max(1, os.cpu_count() or 1)
    config = ServeConfig(
        workers=workers,
        token=token,
        reward=args.reward,
        params=dict(args.param or []),
        max_body_bytes=int(args.max_body_mb * 1024 * 1024),
        max_rows=args.max_rows,
        part_rows=args.part_rows,
    )
    if token is None and args.host not in _LOOPBACK:
        print(f"rewardkit serve: warning: listening on {args.host} without a token; set {TOKEN_ENV} or --token",
              file=sys.stderr)
    sock = _bind(args.host, args.port)
    port = sock.getsockname()[1]
    app = create_app(config)
    uv_config = uvicorn.Config(
        app,
        log_level=args.log_level,
        access_log=args.access_log,
        timeout_graceful_shutdown=args.graceful_timeout,
        limit_concurrency=args.limit_concurrency,
        timeout_keep_alive=args.keep_alive,
        lifespan="on",
    )
    server = uvicorn.Server(uv_config)
    if not args.quiet:
        auth = "bearer token" if token else "no token"
        print(f"rewardkit serve: http://{args.host}:{port} ({workers} workers, {auth}, "
              f"max {config.max_rows} rows / {args.max_body_mb:g} MiB per request)", file=sys.stderr, flush=True)
    server.run(sockets=[sock])
    return 0 if server.started else 1


def register(subparsers: Any) -> None:
    """Add the ``serve`` command."""
    p = subparsers.add_parser("serve", help="run an HTTP reward service", description=(
        "Serve registered rewards over HTTP: POST /score (rows in the `rewardkit score` format, "
        "answered in order), POST /openrlhf (OpenRLHF's remote reward request), GET /health, "
        "GET /rewards. Needs the 'serve' extra."))
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, loopback only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--workers", type=_positive(int), default=None, help="scoring processes (default: one per CPU core)")
    p.add_argument("--token", default=None, help=f"require 'Authorization: Bearer TOKEN' (default: ${TOKEN_ENV}; "
                                                 "prefer the variable: a command line is visible to other users)")
    p.add_argument("--reward", help="reward for rows without a 'reward' column and for /openrlhf")
    p.add_argument("--param", action="append", type=parse_param, metavar="KEY=VALUE",
                   help="default reward parameter (JSON value), repeatable")
    p.add_argument("--max-body-mb", type=_positive(float), default=32.0, help="largest request body in MiB (413 above)")
    p.add_argument("--max-rows", type=_positive(int), default=4096, help="most rows per request (413 above)")
    p.add_argument("--part-rows", type=_positive(int), default=256,
                   help="a batch larger than this is split over the workers")
    p.add_argument("--limit-concurrency", type=_positive(int), default=512,
                   help="most open connections and requests (503 above)")
    p.add_argument("--keep-alive", type=_positive(int), default=30, help="seconds an idle connection stays open")
    p.add_argument("--graceful-timeout", type=_positive(int), default=60,
                   help="seconds to finish in-flight batches on SIGTERM / Ctrl-C")
    p.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument("--access-log", action="store_true", help="log every request (slower)")
    p.add_argument("-q", "--quiet", action="store_true", help="no start-up line")
    p.set_defaults(func=_cmd_serve)
