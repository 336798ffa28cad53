"""A bounded load test of ``rewardkit serve``: 32 concurrent clients send 20,000 rows in
800 requests of 25 rows (keep-alive connections, as trainer ranks would), while another
client sends requests that must be refused (no token, oversized, malformed, too many
rows). It stops by itself (a fixed number of requests, socket timeouts).

Checked: every request gets its rows back, in order, with the scores the in-process
reward gives; every abusive request gets its refusal (401 / 413 / 422) and the server
stays up. Reported (no timing assertion): rows/s and p50 / p99 request latency; set
``REWARDKIT_LOAD_REPORT=path.json`` to keep the figures (docs/serve.md quotes them).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import threading
import time

import pytest

from rewardkit.registry import Reward
from tests.serving.conftest import TOKEN

CLIENTS = 32
ROWS = 20_000
BATCH = 25
COMPLETIONS = [
    "<think>two cats</think><answer>[{'Position': [10, 10, 200, 200], 'Confidence': 0.9}, "
    "{'Position': [300, 300, 480, 470], 'Confidence': 0.8}]</answer>",
    "<think>one</think><answer>[{'Position': [12, 8, 190, 210], 'Confidence': 0.7}]</answer>",
    "<think>hmm</think><answer>[]</answer>",
    "no answer tag at all",
    "<think>x</think><answer>[{'Position': [10, 10, 'a', 200]}]</answer>",
]
GTS = [[[10, 10, 200, 200], [300, 300, 480, 470]], [[12, 8, 190, 210]], [[0, 0, 50, 50], [60, 60, 90, 90], [100, 100, 400, 400]]]


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return values[k]


def _client(port: int, index: int, expected: dict, latencies: list, failures: list) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    per_client = ROWS // CLIENTS
    try:
        for start in range(0, per_client, BATCH):
            n = min(BATCH, per_client - start)
            rows = []
            for k in range(n):
                c, g = (index + start + k) % len(COMPLETIONS), (index + k) % len(GTS)
                rows.append({"id": [index, start + k], "reward": "visual_rft.detection",
                             "completion": COMPLETIONS[c], "ground_truth": GTS[g], "_key": [c, g]})
            body = json.dumps({"rows": rows}).encode()
            t0 = time.perf_counter()
            conn.request("POST", "/score", body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            latencies.append(time.perf_counter() - t0)
            if resp.status != 200:
                failures.append((index, start, resp.status, data[:200]))
                continue
            out = json.loads(data)["rows"]
            if [r["id"] for r in out] != [r["id"] for r in rows]:
                failures.append((index, start, "order", None))
                continue
            for r, sent in zip(out, rows):
                if r["score"] != pytest.approx(expected[tuple(sent["_key"])]):
                    failures.append((index, start, "score", r))
                    break
    except Exception as exc:  # reported by the test, not swallowed
        failures.append((index, None, type(exc).__name__, str(exc)))
    finally:
        conn.close()


def _abuse(port: int, stop: threading.Event, seen: list) -> None:
    """Requests that must be refused, sent while the load runs."""
    big_head = (f"POST /score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                f"Content-Length: {64 * 1024 * 1024}\r\n\r\n").encode()
    cases = [
        ({"Authorization": "Bearer nope"}, b'{"rows": []}', 401),
        ({}, b'{"rows": [', 422),
        ({}, b"[" * 100_000, 422),
        ({}, json.dumps({"rows": [{}] * 5000}).encode(), 413),
    ]
    i = 0
    while not stop.is_set():
        if i % (len(cases) + 1) == len(cases):  # a declared 64 MiB body: refused before it is read
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                s.sendall(big_head + b'{"rows": [')
                status = int(s.recv(4096).split(b" ", 2)[1])
            seen.append((413, status))
        else:
            headers, body, want = cases[i % (len(cases) + 1)]
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", "/score", body=body,
                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}", **headers})
            resp = conn.getresponse()
            resp.read()
            conn.close()
            seen.append((want, resp.status))
        i += 1
        stop.wait(0.02)


def test_load_32_clients_20000_rows(server):
    expected = {(c, g): Reward("visual_rft.detection")(COMPLETIONS[c], GTS[g]).score
                for c in range(len(COMPLETIONS)) for g in range(len(GTS))}
    latencies: list[float] = []
    failures: list = []
    abuse_seen: list = []
    stop = threading.Event()
    abuser = threading.Thread(target=_abuse, args=(server.port, stop, abuse_seen), daemon=True)
    threads = [threading.Thread(target=_client, args=(server.port, i, expected, latencies, failures), daemon=True)
               for i in range(CLIENTS)]
    t0 = time.perf_counter()
    abuser.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(240)
    wall = time.perf_counter() - t0
    stop.set()
    abuser.join(60)
    assert not any(t.is_alive() for t in threads), "a client did not finish"
    assert failures == []
    assert len(latencies) == CLIENTS * -(-(ROWS // CLIENTS) // BATCH)
    assert abuse_seen and all(want == got for want, got in abuse_seen), abuse_seen
    assert server.health()["status"] == "ok" and server.proc.poll() is None
    report = {
        "clients": CLIENTS, "rows": ROWS, "requests": len(latencies), "rows_per_request": BATCH,
        "workers": server.health()["workers"], "cpu_cores": os.cpu_count(), "wall_s": round(wall, 2),
        "rows_per_s": round(ROWS / wall), "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p99_ms": round(1000 * _percentile(latencies, 99), 1), "refused_requests": len(abuse_seen),
    }
    print("\nrewardkit serve load:", json.dumps(report))
    if os.environ.get("REWARDKIT_LOAD_REPORT"):
        with open(os.environ["REWARDKIT_LOAD_REPORT"], "w") as fh:
            json.dump(report, fh, indent=2)
