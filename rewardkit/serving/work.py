"""What the worker processes of ``rewardkit serve`` run (standard library + rewardkit).

The server's event loop only moves bytes: it hands the raw request body to a worker,
which parses it, checks the limits, scores the rows and serializes the answer. A large
batch is cut into parts (pickled rows) that other workers score; the event loop joins
their JSON fragments in order. Each function returns a tuple:

* ``("done", body_bytes)``: the answer;
* ``("split", [part_bytes, ...], reward, params)``: score each part with
  :func:`score_part` and join the fragments as ``{"rows": [f1,f2,...]}``;
* ``("error", status, message)``: 413 (too many rows) or 422 (malformed request).

Row format: that of ``rewardkit score`` (:class:`rewardkit.cli.rows.RowScorer`); a row
that cannot be scored keeps its place with ``score: null`` and a ``reason``.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from rewardkit.io import InputRow, to_jsonable

__all__ = ["init_worker", "ping", "handle_score", "score_part", "handle_openrlhf", "NDJSON_TYPES"]

NDJSON_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines"})

_DEFAULT_REWARD: str | None = None
_DEFAULT_PARAMS: dict[str, Any] = {}
_SCORERS: OrderedDict[tuple[str | None, str], Any] = OrderedDict()
_MAX_SCORERS = 32


class RequestError(Exception):
    """A request the server refuses: HTTP ``status`` and a one-line message.

    Args:
        status: The HTTP status (413 or 422).
        message: The one-line message.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def init_worker(reward: str | None = None, params: Mapping[str, Any] | None = None) -> None:
    """Worker initializer: the server's defaults; Ctrl-C is the server's to handle.

    A worker that died of SIGINT would break the pool before a graceful shutdown.

    Args:
        reward: The server's default reward (rows and requests that name none), or None.
        params: The server's default reward parameters.
    """
    global _DEFAULT_REWARD, _DEFAULT_PARAMS
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _DEFAULT_REWARD = reward
    _DEFAULT_PARAMS = dict(params or {})
    import rewardkit.registry  # noqa: F401  (pay the import before the first request)


def ping() -> int:
    """The worker's pid (the server warms its pool with it).

    Returns:
        The process id.
    """
    return os.getpid()


# -- parsing -------------------------------------------------------------------------
def _loads(body: bytes, what: str) -> Any:
    try:
        return json.loads(body)
    except RecursionError:
        raise RequestError(422, f"invalid JSON in {what}: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise RequestError(422, f"invalid JSON in {what}: {str(exc)[:200]}") from None


def _ndjson_rows(body: bytes) -> list[InputRow]:
    rows: list[InputRow] = []
    for lineno, line in enumerate(body.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except RecursionError:
            rows.append(InputRow(lineno, None, "invalid_json: nested too deeply", len(line)))
            continue
        except ValueError as exc:
            rows.append(InputRow(lineno, None, f"invalid_json: {str(exc)[:80]}", len(line)))
            continue
        if not isinstance(data, dict):
            rows.append(InputRow(lineno, None, f"not_an_object: got {type(data).__name__}", len(line)))
            continue
        rows.append(InputRow(lineno, data, None, len(line)))
    return rows


def parse_score_body(body: bytes, content_type: str = "application/json") -> tuple[list[InputRow], str | None, dict[str, Any] | None]:
    """Rows, request-level reward and parameters of a ``POST /score`` body.

    Accepted: ``{"rows": [...], "reward": NAME, "params": {...}}``, a bare JSON array of
    rows, or JSON lines (``Content-Type: application/x-ndjson``). ``line`` of each
    output row is the row's 1-based position (its line for JSON lines).

    Args:
        body: The raw request body.
        content_type: The request's ``Content-Type`` (parameters such as ``charset``
            are ignored).

    Returns:
        ``(rows, reward, params)``: the rows (a malformed row carries its error), and the
        request-level reward and parameters (None when absent).

    Raises:
        RequestError: 422 for a body that is not valid JSON or not of an accepted shape.
    """
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in NDJSON_TYPES:
        return _ndjson_rows(body), None, None
    doc = _loads(body, "the request body")
    reward = params = None
    if isinstance(doc, dict):
        items = doc.get("rows")
        if not isinstance(items, list):
            raise RequestError(422, f"Expected 'rows': a list of row objects, but got {type(items).__name__}")
        reward = doc.get("reward")
        if reward is not None and not isinstance(reward, str):
            raise RequestError(422, f"Expected 'reward' to be a reward name, but got {type(reward).__name__}")
        params = doc.get("params")
        if params is not None and not isinstance(params, dict):
            raise RequestError(422, f"Expected 'params' to be an object, but got {type(params).__name__}")
    elif isinstance(doc, list):
        items = doc
    else:
        raise RequestError(422, f"Expected a JSON object {{\"rows\": [...]}} or a JSON array of rows, but got {type(doc).__name__}")
    rows = [
        InputRow(i, item, None) if isinstance(item, dict) else InputRow(i, None, f"not_an_object: got {type(item).__name__}")
        for i, item in enumerate(items, start=1)
    ]
    return rows, reward, params


# -- scoring ---------------------------------------------------------------------------
def _scorer(reward: str | None, params: Mapping[str, Any]) -> Any:
    from rewardkit.cli.rows import RowScorer

    try:
        key = (reward, json.dumps(params, sort_keys=True, default=repr))
    except (TypeError, ValueError):
        return RowScorer(reward, dict(params))
    scorer = _SCORERS.get(key)
    if scorer is None:
        scorer = _SCORERS[key] = RowScorer(reward, dict(params))
        while len(_SCORERS) > _MAX_SCORERS:
            _SCORERS.popitem(last=False)
    else:
        _SCORERS.move_to_end(key)
    return scorer


def _dump(out: Mapping[str, Any]) -> str:
    return json.dumps(to_jsonable(out), separators=(",", ":"), default=repr)


def score_rows(rows: list[InputRow], reward: str | None, params: Mapping[str, Any]) -> bytes:
    """The JSON fragment ``row,row,...`` (no brackets) for ``rows``, in order.

    A row whose scoring raises keeps its place with ``score: null`` and reason
    ``internal_error:<Type>``.

    Args:
        rows: The input rows.
        reward: The reward of rows that name none, or None.
        params: Parameters given to every reward that accepts them.

    Returns:
        The UTF-8 JSON fragment.
    """
    scorer = _scorer(reward, params)
    parts = []
    for row in rows:
        try:
            out = scorer(row)
        except Exception as exc:  # a defect must cost its row, not the batch or the server
            data = row.data or {}
            out = {"id": data.get("id", row.line), "line": row.line, "reward": data.get("reward"), "score": None,
                   "components": {}, "reason": f"internal_error:{type(exc).__name__}"}
        parts.append(_dump(out))
    return ",".join(parts).encode()


def _merged(reward: str | None, params: Mapping[str, Any] | None) -> tuple[str | None, dict[str, Any]]:
    return (reward or _DEFAULT_REWARD), {**_DEFAULT_PARAMS, **dict(params or {})}


def handle_score(body: bytes, content_type: str, max_rows: int, part_rows: int, workers: int = 1) -> tuple[Any, ...]:
    """``POST /score``: parse, check, and score.

    A batch of more than ``part_rows`` rows is split into ``workers`` parts (none
    smaller than ``part_rows``).

    Args:
        body: The raw request body.
        content_type: The request's ``Content-Type``.
        max_rows: Most rows per request (413 beyond).
        part_rows: Most rows scored here; a larger batch is split.
        workers: The number of worker processes (parts to split into).

    Returns:
        ``("done", body_bytes)``, ``("split", [part_bytes, ...], reward, params)`` or
        ``("error", status, message)`` (see the module docstring).
    """
    try:
        rows, reward, params = parse_score_body(body, content_type)
    except RequestError as exc:
        return ("error", exc.status, exc.message)
    if len(rows) > max_rows:
        return ("error", 413, f"Expected at most {max_rows} rows per request, but got {len(rows)}")
    reward, merged = _merged(reward, params)
    if len(rows) <= part_rows:
        return ("done", b'{"rows":[' + score_rows(rows, reward, merged) + b"]}")
    size = max(part_rows, -(-len(rows) // max(1, workers)))
    parts = [pickle.dumps(rows[i:i + size], protocol=pickle.HIGHEST_PROTOCOL) for i in range(0, len(rows), size)]
    return ("split", parts, reward, merged)


def score_part(part: bytes, reward: str | None, params: Mapping[str, Any]) -> bytes:
    """Score one part made by :func:`handle_score`.

    Args:
        part: The pickled rows of the part (made by this server only).
        reward: The reward of rows that name none, or None.
        params: Parameters given to every reward that accepts them.

    Returns:
        The JSON fragment of :func:`score_rows`.
    """
    return score_rows(pickle.loads(part), reward, params)  # noqa: S301 - bytes made by handle_score in this server


def handle_openrlhf(body: bytes, max_rows: int) -> tuple[Any, ...]:
    """``POST /openrlhf``: OpenRLHF's remote reward request.

    ``{"query": [...], "prompts": [...], "labels": [...]}`` -> ``{"rewards", "scores",
    "extra_logs"}``.

    Args:
        body: The raw request body.
        max_rows: Most queries per request (413 beyond).

    Returns:
        ``("done", body_bytes)`` or ``("error", status, message)``: 422 for a malformed
        request, an unknown reward or bad parameters, 413 for too many queries.
    """
    try:
        doc = _loads(body, "the request body")
        if not isinstance(doc, dict) or not isinstance(doc.get("query"), list):
            raise RequestError(422, "Expected a JSON object with 'query' (a list of strings), 'prompts' and 'labels'")
        queries = doc["query"]
        if not all(isinstance(q, str) for q in queries):
            raise RequestError(422, "Expected 'query' to be a list of strings")
        n = len(queries)
        prompts, labels = doc.get("prompts"), doc.get("labels")
        for name, value in (("prompts", prompts), ("labels", labels)):
            if value is not None and (not isinstance(value, list) or len(value) != n):
                raise RequestError(422, f"Expected '{name}' to be a list of {n} items (one per query)")
        if prompts is not None and not all(p is None or isinstance(p, str) for p in prompts):
            raise RequestError(422, "Expected 'prompts' to be a list of strings")
    except RequestError as exc:
        return ("error", exc.status, exc.message)
    if n > max_rows:
        return ("error", 413, f"Expected at most {max_rows} queries per request, but got {n}")
    from rewardkit.adapters.openrlhf import score_openrlhf

    reward = _DEFAULT_REWARD
    try:
        out = score_openrlhf(queries, prompts, labels, reward=reward, params=_DEFAULT_PARAMS or None)
    except (KeyError, ValueError, TypeError) as exc:  # unknown reward, bad parameters: the caller's to fix
        text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        return ("error", 422, " ".join(text.split())[:500])
    return ("done", json.dumps(to_jsonable(out), separators=(",", ":")).encode())
