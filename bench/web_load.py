"""Web under load: 50 live streams + 20 API requests/s for 60 s against `midstance web`, while
`midstance sense` runs on the sample clip in real time; the sense frame rate with the load is
compared with the frame rate without it, measured in the same run.

Loopback only (127.0.0.1); every process is started and stopped here, bounded in time.
Targets (issue 5): zero errors, API p99 < 100 ms, sense frame rate drop < 5 %.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import snapshot

MIDSTANCE = str(Path(sys.executable).with_name("midstance"))
CLIP = Path(__file__).resolve().parents[1] / "device" / "sample" / "treadmill_side_30fps.mp4"
API_PATHS = ("/api/live", "/api/sessions", "/api/session", "/metrics", "/api/settings")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sample_fps(run_dir: Path, seconds: float, pid: int) -> dict:
    """Mean of the snapshot's frame rate over ``seconds``, and the sense process's CPU share."""
    values, cpu0, t0 = [], _cpu_seconds(pid), time.monotonic()
    while time.monotonic() - t0 < seconds:
        fps = snapshot.read(run_dir).get("fps")
        if isinstance(fps, int | float):
            values.append(fps)
        time.sleep(0.5)
    cpu = (_cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)
    return {"fps": statistics.fmean(values) if values else float("nan"), "cpu": cpu}


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen within {timeout} s")
        time.sleep(0.2)


class StreamClient(threading.Thread):
    """Phone ``n`` on the live page: reads the event stream, reconnecting when it ends.

    Each phone connects from its own loopback address (127.0.1.x), as phones on the gym Wi-Fi
    do: the server caps the streams one address may hold (``SSE_MAX_PER_CLIENT``)."""

    def __init__(self, port: int, stop: threading.Event, n: int):
        super().__init__(daemon=True)
        self.port, self.stop = port, stop
        self.source = (f"127.0.{1 + n // 250}.{2 + n % 250}", 0)
        self.events = self.errors = self.reconnects = 0
        self.first_error = ""
        self.lags: list[float] = []

    def _error(self, what: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or what

    def run(self) -> None:
        while not self.stop.is_set():
            conn = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=10, source_address=self.source
            )
            try:
                conn.request("GET", "/api/live/stream")
                response = conn.getresponse()
                if response.status != 200:
                    self._error(f"HTTP {response.status}")
                    time.sleep(1.0)
                    continue
                while not self.stop.is_set():
                    line = response.readline()
                    if not line:
                        self.reconnects += 1  # the server ended the stream: reconnect
                        break
                    if line.startswith(b"data: "):
                        live = json.loads(line[6:])
                        self.events += 1
                        if live.get("written_at"):
                            # snapshot written by sense -> event read here (same clock)
                            self.lags.append(time.time() - live["written_at"])
            except OSError as exc:
                if not self.stop.is_set():
                    self._error(str(exc))
            finally:
                conn.close()


def _api_load(port: int, rate: float, seconds: float, session_id: int | None) -> dict:
    """Open-loop requests at ``rate`` per second; latency from send to the last byte."""
    latencies, errors, lock = [], [], threading.Lock()
    by_path: dict[str, list[float]] = {}
    local = threading.local()

    def one(path: str) -> None:
        name = path
        if path == "/api/session":
            path = f"/api/sessions/{session_id}?steps=0" if session_id else "/api/sessions"
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        t0 = time.perf_counter()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            status = response.status
        except OSError as exc:
            local.conn = None
            with lock:
                errors.append(f"{path}: {exc}")
            return
        dt = time.perf_counter() - t0
        with lock:
            latencies.append(dt)
            by_path.setdefault(name, []).append(dt)
            if status != 200:
                errors.append(f"{path}: HTTP {status}")

    paths = itertools.cycle(API_PATHS)
    with ThreadPoolExecutor(max_workers=8) as pool:
        start = time.perf_counter()
        for n in itertools.count():
            due = start + n / rate
            if due - start >= seconds:
                break
            time.sleep(max(0.0, due - time.perf_counter()))
            pool.submit(one, next(paths))
    latencies.sort()
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]  # noqa: E731
    return {"requests": len(latencies) + len([e for e in errors if "HTTP" not in e]),
            "errors": errors, "p50": q(0.50), "p99": q(0.99), "max": latencies[-1],
            "by_path": {p: sorted(v) for p, v in by_path.items()}}  # fmt: skip


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def main(seconds: float = 60.0, clients: int = 50, rate: float = 20.0) -> dict:
    """Run the load test, print the figures and ratios, and return the counts behind them."""
    base = Path(tempfile.mkdtemp(prefix="midstance-bench-web-"))
    state, run = base / "state", base / "run"
    state.mkdir()
    run.mkdir()
    procs: list[subprocess.Popen] = []
    log = open(base / "log.txt", "w")  # noqa: SIM115 - closed in finally
    try:
        sense = subprocess.Popen(
            [MIDSTANCE, "sense", "--source", str(CLIP), "--led", "mock", "--realtime", "--loop",
             "--state-dir", str(state), "--run-dir", str(run)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        procs.append(sense)
        _wait(lambda: snapshot.read(run).get("fps"), 120, "sense's first frames")
        time.sleep(5.0)  # let the frame-rate average settle after the model warm-up
        # The frame rate without load is measured before and after the load and averaged,
        # so a drift in what else the machine runs does not read as the web's cost.
        quiet_s = min(15.0, seconds / 4)
        load_before = os.getloadavg()[0]
        before = _sample_fps(run, quiet_s, sense.pid)
        print(f"sense, no load:   {before['fps']:.2f} frames/s, CPU {before['cpu']:.0%} "
              f"({quiet_s:.0f} s before, no web server)", flush=True)  # fmt: skip

        port = _free_port()
        web = subprocess.Popen(
            [MIDSTANCE, "web", "--host", "127.0.0.1", "--port", str(port),
             "--state-dir", str(state), "--run-dir", str(run)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        procs.append(web)
        _wait(lambda: _answers(port), 30, "midstance web")
        session_id = snapshot.read(run).get("session_id")

        stop = threading.Event()
        streams = [StreamClient(port, stop, n) for n in range(clients)]
        for s in streams:
            s.start()
        fps_box: dict = {}
        sampler = threading.Thread(
            target=lambda: fps_box.update(_sample_fps(run, seconds, sense.pid)), daemon=True
        )
        web_cpu0, own_cpu0 = _cpu_seconds(web.pid), time.process_time()
        sampler.start()
        api = _api_load(port, rate, seconds, session_id)
        sampler.join(seconds + 10)
        web_cpu = (_cpu_seconds(web.pid) - web_cpu0) / seconds
        own_cpu = (time.process_time() - own_cpu0) / seconds
        stop.set()
        for s in streams:
            s.join(15)
        time.sleep(3.0)  # let the frame-rate average forget the load
        after = _sample_fps(run, quiet_s, sense.pid)
        alone = {k: (before[k] + after[k]) / 2 for k in ("fps", "cpu")}
        print(f"sense, no load:   {after['fps']:.2f} frames/s, CPU {after['cpu']:.0%} "
              f"({quiet_s:.0f} s after, web idle)", flush=True)  # fmt: skip

        events = sum(s.events for s in streams)
        stream_errors = sum(s.errors for s in streams)
        lags = sorted(x for s in streams for x in s.lags)
        loaded = fps_box
        drop = 1.0 - loaded["fps"] / alone["fps"]
        errors = len(api["errors"]) + stream_errors
        print(f"load:             {clients} live streams + {rate:.0f} API requests/s for "
              f"{seconds:.0f} s", flush=True)  # fmt: skip
        print(f"API requests:     {api['requests']}, errors {len(api['errors'])}"
              + (f" (first: {api['errors'][0]})" if api["errors"] else ""))  # fmt: skip
        print(f"API latency:      p50 {api['p50'] * 1000:.1f} ms, p99 {api['p99'] * 1000:.1f} ms, "
              f"max {api['max'] * 1000:.1f} ms  (target p99 < 100 ms: "
              f"{'ok' if api['p99'] < 0.1 else 'MISSED'})")  # fmt: skip
        print("  p99 by path:    " + ", ".join(
            f"{path} {v[min(len(v) - 1, int(0.99 * len(v)))] * 1000:.0f} ms"
            for path, v in api["by_path"].items()))  # fmt: skip
        print(
            f"live streams:     {events} events "
            f"({events / seconds / max(clients, 1):.2f}/s per client), "
            f"errors {stream_errors}, ended by the server {sum(s.reconnects for s in streams)}"
            + next((f" (first: {s.first_error})" for s in streams if s.first_error), "")
        )
        if lags:
            p = lambda q: lags[min(len(lags) - 1, int(q * len(lags)))] * 1000  # noqa: E731
            print(f"event delay:      snapshot written -> event read: p50 {p(0.5):.0f} ms, "
                  f"p99 {p(0.99):.0f} ms")  # fmt: skip
        print(f"CPU (of one core): web {web_cpu:.0%}, load clients {own_cpu:.0%} (this process)")
        print(f"sense with load:  {loaded['fps']:.2f} frames/s, CPU {loaded['cpu']:.0%}")
        print(f"sense fps ratio:  with/without load {loaded['fps'] / alone['fps']:.3f} "
              f"(drop {drop:.1%}; target < 5 %: {'ok' if drop < 0.05 else 'MISSED'})")  # fmt: skip
        print(f"machine load:     1-min load average {load_before:.1f} before, "
              f"{os.getloadavg()[0]:.1f} after, {os.cpu_count()} cores "
              "(other work on the machine skews these figures)")  # fmt: skip
        print(f"errors total:     {errors} (target 0: {'ok' if errors == 0 else 'MISSED'})")
        return {"errors": errors, "api_requests": api["requests"],
                "events_per_client": [s.events for s in streams]}  # fmt: skip
    finally:
        for proc in reversed(procs):
            _stop(proc)
        log.close()
        shutil.rmtree(base, ignore_errors=True)


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/api/live")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


if __name__ == "__main__":
    main(*(float(a) for a in sys.argv[1:2]))
