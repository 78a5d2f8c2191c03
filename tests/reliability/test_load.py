"""Load: 200 connect/disconnect cycles of live-stream (SSE) clients against a real
``midstance web`` on 127.0.0.1 leak no thread and no file descriptor.

Counted from /proc/<pid>/task and /proc/<pid>/fd of the server process before and after; the
streams are read up to their first ``live`` event (a real snapshot is being rewritten meanwhile
as ``sense`` would), then dropped, ten at a time.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from common import snapshot
from tests.conftest import wait_for

from .conftest import start_web

CYCLES = 200
AT_ONCE = 10


def counts(pid: int) -> tuple[int, int]:
    """(threads, open file descriptors) of a process."""
    return len(os.listdir(f"/proc/{pid}/task")), len(os.listdir(f"/proc/{pid}/fd"))


def one_stream(port: int, drop_early: bool, n: int = 0) -> bool:
    """Open the live stream, read its first live event (or only the headers), hang up.

    Cycle ``n`` comes from its own loopback address (127.0.x.y), as phones do: the server
    caps the streams of one device."""
    source = (f"127.0.{1 + n // 250}.{2 + n % 250}", 0)
    with socket.create_connection(("127.0.0.1", port), timeout=20, source_address=source) as s:
        s.sendall(
            b"GET /api/live/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        )
        data = b""
        want = b"\r\n\r\n" if drop_early else b"event: live"
        while want not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data.startswith(b"HTTP/1.1 200") and want in data


def feed_snapshots(run_dir, stop: threading.Event) -> None:
    """Rewrite the live snapshot at 5 Hz, as ``sense`` does, so every stream has news."""
    seq = 0
    while not stop.is_set():
        seq += 1
        snap = snapshot.blank(state="running", led="good") | {"steps": seq, "cadence_spm": 170.0}
        snap["seq"] = seq
        snapshot.write(run_dir, snap)
        stop.wait(0.2)


def test_sse_connect_disconnect_leaks_nothing(tmp_path, procs):
    run = tmp_path / "run"
    run.mkdir()
    stop = threading.Event()
    writer = threading.Thread(target=feed_snapshots, args=(run, stop), daemon=True)
    writer.start()
    try:
        web, base = start_web(procs, tmp_path / "state", run, tmp_path / "web.log")
        port = int(base.rsplit(":", 1)[1])
        with ThreadPoolExecutor(AT_ONCE) as pool:  # warm up: every worker thread exists
            assert all(pool.map(lambda i: one_stream(port, False, i), range(2 * AT_ONCE)))

        def settled():
            # Streams of gone clients are noticed within a keepalive or so; wait for quiet.
            c1 = counts(web.pid)
            time.sleep(0.5)
            return c1 if counts(web.pid) == c1 else None

        before = wait_for(settled, 30, "a quiet server")
        with ThreadPoolExecutor(AT_ONCE) as pool:
            ok = list(pool.map(lambda i: one_stream(port, i % 4 == 3, i), range(CYCLES)))
        assert all(ok), f"{ok.count(False)} streams failed"
        during = counts(web.pid)

        def back():
            c = counts(web.pid)
            return c if c[0] <= before[0] and c[1] <= before[1] else None

        after = wait_for(
            back,
            60,
            f"threads/fds back to {before} (now {counts(web.pid)})",
        )
        print(
            f"SSE {CYCLES} cycles: threads/fds before {before}, right after {during}, "
            f"settled {after}"
        )
        # The server still answers, and counts open streams as zero.
        metrics = wait_for(
            lambda: (m := _get(port, "/metrics")) and "midstance_live_streams 0.0" in m and m,
            30,
            "the SSE gauge back at 0",
        )
        assert metrics
        assert web.poll() is None
    finally:
        stop.set()
        writer.join(timeout=5)


def _get(port: int, path: str) -> str:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return r.read().decode()


def test_the_load_bench_is_served_as_phones_are():
    """`make bench`'s web load, small: every simulated phone is served its own stream.

    The bench's 50 phones once all connected from 127.0.0.1, so the server's per-device cap
    refused 46 of them and the bench reported the refusals as the server's errors."""
    from bench import web_load

    result = web_load.main(seconds=8.0, clients=8, rate=5.0)
    assert result["errors"] == 0
    assert result["api_requests"] >= 30
    assert min(result["events_per_client"]) >= 10, result["events_per_client"]
