"""Run one call in a forked child with a memory and a time limit, and say how it ended.

The fuzz suite and the regression cases of issue 10 call rewards and readers on hostile
input; a segfault, an out-of-memory kill or a stall must fail the test, not end the
test process. :func:`run_isolated` forks, limits the child's address space
(``resource.setrlimit(RLIMIT_AS)``: the parent's current size plus ``memory_limit``)
and its CPU time (``RLIMIT_CPU``: SIGXCPU after ``time_limit`` CPU seconds, rounded up;
CPU time, since on a loaded machine wall-clock time depends on the neighbours), runs
the call and sends the result back through a pipe. A child that makes no progress
without using CPU (a deadlock) is killed by the parent after ``10 * time_limit`` seconds
of wall-clock time.

``Outcome.status`` is ``"ok"`` (returned; ``value`` holds the result), ``"raised"``
(``error`` holds ``Type: message``), ``"signal"`` (killed by ``signum``: SIGSEGV is
11), ``"timeout"`` (SIGXCPU, or the wall-clock kill) or ``"memory"`` (``MemoryError``
in the child).
"""

from __future__ import annotations

import math
import os
import pickle
import resource
import select
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Outcome", "run_isolated", "TIME_LIMIT", "MEMORY_LIMIT"]

TIME_LIMIT = float(os.environ.get("RK_FUZZ_TIME_LIMIT", "2.0"))
MEMORY_LIMIT = int(float(os.environ.get("RK_FUZZ_MEMORY_MB", "1024")) * (1 << 20))


@dataclass
class Outcome:
    status: str
    value: Any = None
    error: str | None = None
    signum: int | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def __str__(self) -> str:
        if self.status == "ok":
            return f"ok in {self.seconds:.2f}s: {self.value!r:.300}"
        if self.status == "signal":
            return f"killed by signal {self.signum} ({signal.Signals(self.signum).name}) after {self.seconds:.2f}s"
        return f"{self.status} after {self.seconds:.2f}s: {self.error}"


def _vm_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child(fn: Callable[..., Any], args: tuple, kwargs: dict, memory_limit: int | None, cpu_seconds: int, w: int) -> None:
    try:
        used = resource.getrusage(resource.RUSAGE_SELF)
        spent = math.ceil(used.ru_utime + used.ru_stime)  # a forked child starts at zero, but be safe
        resource.setrlimit(resource.RLIMIT_CPU, (spent + cpu_seconds, spent + cpu_seconds + 1))
        if memory_limit is not None:
            limit = _vm_bytes() + memory_limit
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            payload: tuple = ("ok", fn(*args, **kwargs))
        except MemoryError as exc:
            payload = ("memory", f"MemoryError: {exc}"[:500])
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            tb = traceback.format_exc(limit=-6)
            payload = ("raised", f"{type(exc).__name__}: {str(exc)[:300]}\n{tb[-2000:]}")
        try:
            data = pickle.dumps(payload)
        except Exception:  # noqa: BLE001 - an unpicklable result is sent as its repr
            data = pickle.dumps((payload[0], repr(payload[1])[:2000]))
        view = memoryview(data)
        while view:
            n = os.write(w, view[:65536])
            view = view[n:]
    finally:
        os._exit(0)


def run_isolated(
    fn: Callable[..., Any],
    *args: Any,
    time_limit: float | None = None,
    memory_limit: int | None = None,
    **kwargs: Any,
) -> Outcome:
    """Call ``fn(*args, **kwargs)`` in a forked child; see the module docstring."""
    time_limit = TIME_LIMIT if time_limit is None else float(time_limit)
    memory_limit = MEMORY_LIMIT if memory_limit is None else memory_limit
    r, w = os.pipe()
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(r)
        _child(fn, args, kwargs, memory_limit, max(1, math.ceil(time_limit)), w)
    os.close(w)
    chunks: list[bytes] = []
    deadline = t0 + 10 * time_limit
    timed_out = False
    try:
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([r], [], [], left)
            if not ready:
                continue
            data = os.read(r, 1 << 16)
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(r)
    if timed_out:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        return Outcome("timeout", error=f"no result within {10 * time_limit:.1f}s of wall-clock time", seconds=time.perf_counter() - t0)
    _, status = os.waitpid(pid, 0)
    seconds = time.perf_counter() - t0
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
        return Outcome("timeout", error=f"over {math.ceil(time_limit)} s of CPU time", signum=signal.SIGXCPU, seconds=seconds)
    if os.WIFSIGNALED(status):
        return Outcome("signal", signum=os.WTERMSIG(status), seconds=seconds)
    if not chunks:
        return Outcome("raised", error=f"child exited with status {os.WEXITSTATUS(status)} and no result", seconds=seconds)
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "ok":
        return Outcome("ok", value=value, seconds=seconds)
    return Outcome(kind, error=value, seconds=seconds)
