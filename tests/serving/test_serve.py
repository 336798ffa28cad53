"""``rewardkit serve`` over real HTTP: routes, row format, limits, refusals, and the
remote mode of the TRL / veRL / EasyR1 adapters against the same server."""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from rewardkit.adapters import easyr1, verl
from rewardkit.adapters.trl import trl_rewards

from rewardkit.cli.score import score_rows
from rewardkit.io import iter_jsonl, to_jsonable
from rewardkit.registry import Reward
from rewardkit.serving.client import RemoteRejected, RemoteUnavailable, RewardClient
from tests.serving._server import REPO, free_port, serve
from tests.serving.conftest import TOKEN

EXAMPLE = REPO / "examples" / "data" / "preds.jsonl"
GOOD = "<think>a cat</think><answer>[{'Position': [10, 10, 500, 500], 'Confidence': 0.9}]</answer>"
HALF = "<think>a cat</think><answer>[{'Position': [10, 10, 500, 250], 'Confidence': 0.6}]</answer>"
GT = [[10, 10, 500, 500]]
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def request(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    try:
        doc = json.loads(data)
    except ValueError:
        doc = data
    return resp.status, doc


def post(server, path: str, doc, headers: dict | None = None):
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return request(server, "POST", path, body, {**AUTH, **(headers or {})})


def test_health_is_open_rewards_need_the_token(server):
    status, health = request(server, "GET", "/health")
    assert status == 200 and health["status"] == "ok" and health["workers"] == 2 and health["auth"] is True
    assert health["limits"] == {"max_rows": 4096, "max_body_bytes": 1024 * 1024}
    assert request(server, "GET", "/rewards")[0] == 401
    status, rewards = request(server, "GET", "/rewards", headers=AUTH)
    assert status == 200
    det = next(r for r in rewards if r["name"] == "visual_rft.detection")
    assert det["components"] == ["iou", "confidence", "format"] and det["range"] == [0.0, 3.0]
    assert det["params"]["iou_threshold"] == 0.5


def _reference(path: Path) -> list[dict]:
    return [to_jsonable(r) for r in score_rows(iter_jsonl(path))]


def test_score_is_rewardkit_score_row_for_row(server, tmp_path):
    # the example file (with its broken lines), as JSON lines: the rows of `rewardkit score`
    status, got = post(server, "/score", EXAMPLE.read_bytes(), {"Content-Type": "application/x-ndjson"})
    assert status == 200 and got["rows"] == _reference(EXAMPLE)
    assert any(r["reason"] and r["reason"].startswith("invalid_json") for r in got["rows"])
    # its JSON objects, as {"rows": [...]} and as a bare array
    objects = []
    for line in EXAMPLE.read_text().splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict):
            objects.append(doc)
    clean = tmp_path / "clean.jsonl"
    clean.write_text("".join(json.dumps(o) + "\n" for o in objects))
    expected = _reference(clean)
    for doc in ({"rows": objects}, objects):
        status, got = post(server, "/score", doc)
        assert status == 200
        assert got["rows"] == expected


def test_rows_that_fail_keep_their_place(server):
    rows = [
        {"id": "a", "completion": GOOD, "ground_truth": GT},                  # request-level reward
        {"id": "b", "reward": "visual_rft.detectoin", "completion": GOOD, "ground_truth": GT},
        {"id": "c", "reward": "visual_rft.detection", "ground_truth": GT},    # no completion
        7,
        {"id": "e", "completion": HALF, "ground_truth": GT, "params": {"iou_threshold": 2}},
        {"id": "f", "completion": "x" * 100_000, "ground_truth": GT},
    ]
    status, got = post(server, "/score", {"rows": rows, "reward": "visual_rft.detection", "params": {"iou_threshold": 0.5}})
    assert status == 200
    out = got["rows"]
    assert [r["id"] for r in out] == ["a", "b", "c", None, "e", "f"]
    assert [r["line"] for r in out] == [1, 2, 3, 4, 5, 6]
    assert out[0]["score"] == pytest.approx(2.9) and out[0]["reason"] is None
    assert out[1]["reason"].startswith("unknown_reward") and "did you mean" in out[1]["reason"]
    assert out[2]["reason"] == "missing_field:completion"
    assert out[3]["reason"] == "not_an_object: got int"
    assert out[4]["reason"].startswith("bad_params")
    assert out[5]["score"] == 0.0 and out[5]["reason"]  # hostile output: the minimum with a reason
    # NDJSON: a broken line keeps its place
    body = b'{"id": 1, "reward": "format.think_answer", "completion": "<think>a</think><answer>b</answer>", "gt": 0}\n{oops\n\n[1]\n'
    status, got = post(server, "/score", body, {"Content-Type": "application/x-ndjson"})
    assert status == 200
    assert [r["line"] for r in got["rows"]] == [1, 2, 4]
    assert got["rows"][0]["score"] == 1.0
    assert got["rows"][1]["reason"].startswith("invalid_json") and got["rows"][2]["reason"].startswith("not_an_object")


def test_big_batch_is_split_over_workers_in_order(server):
    comps = [GOOD, HALF, "no tags", "<think>x</think><answer>[]</answer>"]
    rows = [{"id": i, "reward": "visual_rft.detection", "completion": comps[i % 4], "ground_truth": GT} for i in range(3000)]
    status, got = post(server, "/score", {"rows": rows})
    assert status == 200
    out = got["rows"]
    assert [r["id"] for r in out] == list(range(3000))
    ref = [Reward("visual_rft.detection")(c, GT).score for c in comps]
    assert [r["score"] for r in out] == pytest.approx([ref[i % 4] for i in range(3000)])


def _raw(server, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
    """Send raw bytes; read the answer (for requests http.client will not make)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(head + body)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            head_end = data.find(b"\r\n\r\n")
            if head_end >= 0:
                length = [ln for ln in data[:head_end].lower().split(b"\r\n") if ln.startswith(b"content-length:")]
                if length and len(data) >= head_end + 4 + int(length[0].split(b":")[1]):
                    break
    return int(data.split(b" ", 2)[1]), data


def test_refusals_leave_the_server_up(server):
    rows = {"rows": [{"reward": "format.think_answer", "completion": "a", "gt": 0}]}
    assert post(server, "/score", rows, {"Authorization": ""})[0] == 401
    assert post(server, "/score", rows, {"Authorization": "Bearer wrong"})[0] == 401
    assert post(server, "/score", rows, {"Authorization": f"Basic {TOKEN}"})[0] == 401
    status, got = post(server, "/score", rows, {"Authorization": ""})
    assert got == {"error": "missing or wrong bearer token"}
    # 413: a declared size over the limit is refused before the body is read
    head = (f"POST /score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {50 * 1024 * 1024}\r\n\r\n").encode()
    status, data = _raw(server, head, b'{"rows": [')
    assert status == 413 and b"at most 1048576 bytes" in data
    # 413: a chunked body that grows over the limit while it is read
    chunk = b"x" * 65536
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20)) + b"0\r\n\r\n"
    head = (f"POST /score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    assert _raw(server, head, chunked)[0] == 413
    # 413: too many rows
    status, got = post(server, "/score", {"rows": [{}] * 4097})
    assert status == 413 and "at most 4096 rows" in got["error"]
    # 422: malformed requests
    for body in (b'{"rows": [', b"\xff\xfe", b'{"rows": 3}', b'"rows"', b'{"rows": [], "reward": 5}',
                 b'{"rows": [], "params": []}', b"[" * 200_000 + b"]" * 200_000):
        status, got = post(server, "/score", body)
        assert status == 422, (body[:30], status, got)
        assert isinstance(got["error"], str) and got["error"]
    assert request(server, "GET", "/score", headers=AUTH)[0] == 405
    assert request(server, "GET", "/nope", headers=AUTH)[0] == 404
    # still up and scoring
    assert request(server, "GET", "/health")[1]["status"] == "ok"
    status, got = post(server, "/score", {"rows": [{"reward": "visual_rft.detection", "completion": GOOD, "ground_truth": GT}]})
    assert status == 200 and got["rows"][0]["score"] == pytest.approx(2.9)


def test_openrlhf_endpoint(server):
    prompt = "<|im_start|>user\nDetect the cat.<|im_end|>\n<|im_start|>assistant\n"
    label = json.dumps({"ground_truth": GT, "reward": "visual_rft.detection"})
    doc = {"query": [prompt + GOOD + "<|im_end|>", prompt + HALF], "prompts": [prompt, prompt], "labels": [label, label]}
    status, got = post(server, "/openrlhf", doc)
    assert status == 200
    ref = [Reward("visual_rft.detection")(c, GT) for c in (GOOD, HALF)]
    assert got["rewards"] == pytest.approx([r.score for r in ref])
    assert got["scores"] == pytest.approx([r.score / 3 for r in ref])
    assert got["extra_logs"]["rewardkit/confidence"] == pytest.approx([0.9, ref[1].components["confidence"]])
    # OpenRLHF sends no headers: the token may ride in the URL
    assert request(server, "POST", f"/openrlhf?token={TOKEN}", json.dumps(doc).encode())[0] == 200
    assert request(server, "POST", "/openrlhf?token=wrong", json.dumps(doc).encode())[0] == 401
    # refusals
    assert post(server, "/openrlhf", {"query": "a"})[0] == 422
    assert post(server, "/openrlhf", {"query": ["a"], "labels": [1, 2]})[0] == 422
    status, got = post(server, "/openrlhf", {"query": ["a"], "labels": [json.dumps(GT)]})  # no reward anywhere
    assert status == 422 and "REWARDKIT_OPENRLHF_REWARD" in got["error"]


def test_openrlhf_own_http_client(server):
    agent = pytest.importorskip("openrlhf.utils.agent", reason="openrlhf not installed (scripts/test.sh)")
    prompt = "<|im_start|>user\nDetect the cat.<|im_end|>\n<|im_start|>assistant\n"
    executor = agent.SingleTurnAgentExecutor(remote_rm_url=f"{server.url}/openrlhf?token={TOKEN}")
    label = json.dumps({"ground_truth": GT, "reward": "visual_rft.detection"})
    (got,) = asyncio.run(executor._fetch_rewards_via_http([prompt + HALF + "<|im_end|>"], [prompt], [label]))
    ref = Reward("visual_rft.detection")(HALF, GT)
    assert got["rewards"] == [pytest.approx(ref.score)]
    assert got["extra_logs"]["rewardkit/iou"] == [pytest.approx(ref.components["iou"])]


# -- the client and the adapters' remote mode ---------------------------------------------
def _trl_batch():
    comps = [GOOD, HALF, "no tags", GOOD, "<think>a</think><answer>dog</answer>", "<think>a</think><answer>cat</answer>"]
    gts = [GT, GT, GT, [[0, 0, 10, 10]], "cat", "cat"]
    tasks = ["detection"] * 4 + ["classification"] * 2
    n = len(comps)
    return dict(prompts=["Find it."] * n, completions=comps, completion_ids=[[1]] * n, solution=gts, task=tasks,
                trainer_state=SimpleNamespace(global_step=4, max_steps=10))


@pytest.mark.parametrize("split", [True, False])
def test_trl_remote_equals_in_process(server, split):
    names = ["visual_rft.detection", "visual_rft.classification", "vision_r1.localization", "format.think_answer"]
    local = trl_rewards(names, split_components=split, strip_prompt=True)
    remote = trl_rewards(names, split_components=split, strip_prompt=True, remote=server.url, remote_token=TOKEN)
    batch = _trl_batch()
    for f_local, f_remote in zip(local, remote):
        assert f_local.__name__ == f_remote.__name__
        want, got = f_local(**batch), f_remote(**batch)
        assert [w is None for w in want] == [g is None for g in got], f_local.__name__
        assert [g for g in got if g is not None] == pytest.approx([w for w in want if w is not None]), f_local.__name__


def test_trl_remote_frames_use_the_image_size(server):
    funcs = trl_rewards("grounding.iou", gt_frame="pixel", remote=server.url, remote_token=TOKEN)
    comp = "<think>x</think><answer>[100, 100, 200, 200]</answer>"  # norm1000 = pixel [64, 48, 128, 96] on 640 x 480
    out = funcs[0](prompts=["p"], completions=[comp], solution=[[64, 48, 128, 96]], image_size=[(640, 480)])
    assert out == [pytest.approx(1.0)]
    # a remote row refused for the caller's mistake raises, as in process
    with pytest.raises(ValueError, match="image_size"):
        funcs[0](prompts=["p"], completions=[comp], solution=[[64, 48, 128, 96]])


def test_verl_and_easyr1_remote_equal_in_process(server):
    kw = dict(remote=server.url, remote_token=TOKEN)
    cases = [
        ("coco", GOOD, json.dumps(GT), {"reward": "visual_rft.detection"}),
        ("coco", HALF, GT, {"reward": "visual_rft.detection", "reward_params": json.dumps({"iou_threshold": 0.3})}),
        ("refcoco", "<answer>[100, 100, 200, 200]</answer>", [64, 48, 128, 96],
         {"reward": "grounding.iou", "image_size": [640, 480], "reward_params": {"gt_frame": "pixel"}}),
        ("coco", GOOD, "not boxes", {"reward": "visual_rft.detection"}),
        ("x", GOOD, GT, {"reward": "vision_r1.localization", "step": 8, "max_steps": 10}),
    ]
    for source, text, gt, info in cases:
        want = verl.compute_score(source, text, gt, dict(info))
        got = verl.compute_score(source, text, gt, dict(info), **kw)
        assert got == pytest.approx(want), (info, want, got)
    inputs = [{"response": GOOD, "ground_truth": GT}, {"response": HALF, "ground_truth": GT}]
    assert easyr1.compute_score(inputs, **kw) == easyr1.compute_score(inputs)


def test_swift_orms_remote_equal_in_process(server, monkeypatch):
    from rewardkit.adapters import swift as rk_swift

    monkeypatch.setenv("REWARDKIT_SWIFT_REMOTE", server.url)
    monkeypatch.setenv("REWARDKIT_SERVE_TOKEN", TOKEN)
    remote, local = {}, {}
    rk_swift.register_from_env(remote)
    monkeypatch.delenv("REWARDKIT_SWIFT_REMOTE")
    rk_swift.register_from_env(local)
    assert "seg_r1.mask" in local and "seg_r1.mask" not in remote  # image-taking rewards stay in process
    batch = _trl_batch()
    comps, kw = batch.pop("completions"), {k: v for k, v in batch.items() if k not in ("prompts", "completion_ids")}
    for name in ("visual_rft.detection/iou", "visual_rft.classification", "vision_r1.localization"):
        assert remote[name]()(comps, **kw) == pytest.approx(local[name]()(comps, **kw)), name


def test_client_splits_requests_to_fit_the_limits(server):
    rows = [{"id": i, "reward": "format.think_answer", "completion": "<think>a</think><answer>b</answer>" + " " * 400,
             "gt": 0} for i in range(3000)]  # ~1.4 MB: over the server's 1 MiB
    client = RewardClient(server.url, token=TOKEN)
    out = client.score(rows)
    assert [r["id"] for r in out] == list(range(3000))
    assert RewardClient(server.url, token=TOKEN, max_rows=7).score(rows[:20]) == out[:20]
    with pytest.raises(RemoteRejected, match="413"):
        client.score([{"completion": "x" * 2_000_000}])


def test_wrong_token_raises_at_once(server, monkeypatch):
    from rewardkit.serving import client as client_mod

    sleeps = []
    monkeypatch.setattr(client_mod.time, "sleep", sleeps.append)
    client = RewardClient(server.url, token="wrong", retries=5, backoff=10)
    with pytest.raises(RemoteRejected, match="401"):
        client.score([{"reward": "format.think_answer", "completion": "a", "gt": 0}])
    assert sleeps == []  # a refusal is not retried
    funcs = trl_rewards("format.think_answer", remote=server.url, remote_token="wrong")
    with pytest.raises(RemoteRejected):
        funcs[0](prompts=["p"], completions=["a"], solution=[0])


def test_unreachable_server_falls_back(caplog):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    client = RewardClient(url, retries=2, backoff=0.01, timeout=2)
    with pytest.raises(RemoteUnavailable, match="unreachable after 3 tries"):
        client.health()
    funcs = trl_rewards("visual_rft.detection", split_components=False, log_reasons=True, remote=client)
    extra = []
    with caplog.at_level(logging.WARNING, logger="rewardkit.adapters"):
        out = funcs[0](prompts=["p", "p"], completions=[GOOD, HALF], solution=[GT, GT],
                       log_extra=lambda c, v: extra.append((c, v)))
    assert out == [None, None]  # TRL skips them
    assert extra[0][0] == "visual_rft.detection/reason" and all(v.startswith("remote_unavailable") for v in extra[0][1])
    assert "unreachable" in caplog.text
    raising = trl_rewards("visual_rft.detection", remote=client, on_remote_error="raise")
    with pytest.raises(RemoteUnavailable):
        raising[0](prompts=["p"], completions=[GOOD], solution=[GT])
    got = verl.compute_score("coco", GOOD, GT, {"reward": "visual_rft.detection"}, remote=url, remote_retries=0,
                             none_score=-1.0)
    assert got == {"score": -1.0, "iou": 0.0, "confidence": 0.0, "format": 0.0, "applicable": 0.0}


def test_remote_refuses_rewards_that_need_the_image():
    with pytest.raises(ValueError, match="takes the image itself"):
        trl_rewards("seg_r1.mask", remote="http://127.0.0.1:1")
    with pytest.raises(ValueError, match="Expected a reward server URL"):
        trl_rewards("visual_rft.detection", remote="127.0.0.1:8000")


# -- process: command line, shutdown, a dead worker ---------------------------------------
def test_cli_mistakes_are_one_line(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "rewardkit.cli", "serve", *args], capture_output=True, text=True,
                              timeout=60, cwd=REPO)

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        proc = run("--port", str(taken.getsockname()[1]))
    assert proc.returncode == 2 and proc.stderr.startswith("rewardkit: error: cannot listen on 127.0.0.1:")
    assert len(proc.stderr.strip().splitlines()) == 1
    proc = run("--reward", "visual_rft.detectoin")
    assert proc.returncode == 2 and "did you mean" in proc.stderr and "Traceback" not in proc.stderr
    assert run("--workers", "0").returncode == 2


def test_listening_socket_says_tcp():
    # asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP; a socket made with
    # proto 0 answers every kept-alive request ~40 ms late (Nagle + delayed ACK)
    from rewardkit.cli.serve import _bind

    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_missing_extra_is_one_line(monkeypatch, capsys):
    from rewardkit.cli import main

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn -> ImportError
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rewardkit: error: rewardkit serve needs the 'serve' extra")


def _children(pid: int) -> list[tuple[int, str]]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append((int(entry.name), cmd))
    return out


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_graceful_shutdown_finishes_in_flight_batches(tmp_path):
    rows = [{"id": i, "reward": "visual_rft.detection", "completion": GOOD, "ground_truth": GT} for i in range(4000)]
    body = json.dumps({"rows": rows}).encode()
    with serve(tmp_path, "--workers", "1", "--part-rows", "4096") as srv:
        result = {}

        def send():
            result["answer"] = request(srv, "POST", "/score", body)
            result["done_at"] = time.monotonic()

        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + 30
        while srv.health()["in_flight"] < 1 and time.monotonic() < deadline:
            time.sleep(0.005)
        workers = [p for p, cmd in _children(srv.proc.pid) if "resource_tracker" not in cmd]
        srv.proc.send_signal(signal.SIGTERM)
        sigterm_at = time.monotonic()
        sender.join(60)
        status, got = result["answer"]
        assert status == 200
        assert result["done_at"] > sigterm_at  # the batch was in flight when SIGTERM came
        assert [r["id"] for r in got["rows"]] == list(range(4000))
        assert srv.proc.wait(60) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after a clean stop
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
        time.sleep(0.2)
        assert all(not Path(f"/proc/{p}").exists() or "Z" in Path(f"/proc/{p}/stat").read_text().split()[2] for p in workers)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_dead_worker_is_503_then_the_pool_recovers(tmp_path):
    row = {"rows": [{"reward": "visual_rft.detection", "completion": GOOD, "ground_truth": GT}]}
    with serve(tmp_path, "--workers", "1") as srv:
        workers = [p for p, cmd in _children(srv.proc.pid) if "resource_tracker" not in cmd]
        assert workers
        for p in workers:
            os.kill(p, signal.SIGKILL)
        statuses = []
        for _ in range(20):
            status, got = request(srv, "POST", "/score", json.dumps(row).encode())
            statuses.append(status)
            if status == 200:
                break
        assert statuses[-1] == 200 and set(statuses[:-1]) <= {503}, statuses
        assert got["rows"][0]["score"] == pytest.approx(2.9)
        assert srv.health()["status"] == "ok"
