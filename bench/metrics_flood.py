"""``/metrics`` after a flood of odd requests: 20,000 requests with random method tokens and
random paths against `midstance web`, then the scrape's size, sample count and time, and the
server's resident memory before and after (issue 12 item 5: 5.5 MB and 1.3 s before the fix).

Loopback only (127.0.0.1); the server is started and stopped here, bounded in time.
"""

from __future__ import annotations

import random
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KNOWN_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
KNOWN_PATHS = ("/api/live", "/api/sessions", "/", "/api/nothing")


def flood(port: int, count: int, seed: int = 12, connections: int = 4) -> None:
    """Send ``count`` requests to 127.0.0.1:``port`` on keep-alive sockets: mostly random
    method tokens and random paths, a fifth each real methods and real paths."""
    letters, path_chars = string.ascii_uppercase, string.ascii_lowercase + string.digits

    def worker(index: int) -> None:
        rng = random.Random(seed + index)
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        reader = sock.makefile("rb")
        try:
            for _ in range(count // connections):
                method = "".join(rng.choices(letters, k=rng.randint(3, 12)))
                if rng.random() < 0.2:
                    method = rng.choice(KNOWN_METHODS)
                parts = ("".join(rng.choices(path_chars, k=6)) for _ in range(rng.randint(1, 3)))
                path = rng.choice(KNOWN_PATHS) if rng.random() < 0.2 else "/" + "/".join(parts)
                sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
                status = reader.readline()
                if not status.startswith(b"HTTP/1.1 "):
                    raise AssertionError(f"bad answer to {method} {path}: {status!r}")
                length = 0
                while (line := reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                if method != "HEAD":
                    reader.read(length)
        finally:
            reader.close()
            sock.close()

    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(worker, range(connections)))


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _scrape(base: str) -> tuple[bytes, float]:
    times, body = [], b""
    for _ in range(5):
        t0 = time.perf_counter()
        with urllib.request.urlopen(base + "/metrics", timeout=60) as r:
            body = r.read()
        times.append(time.perf_counter() - t0)
    return body, statistics.median(times)


def main(count: int = 20_000) -> None:
    """Print the figures (run with ``python -m bench metrics_flood``)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="midstance-flood-") as tmp:
        proc = subprocess.Popen(
            [sys.executable, "-m", "midstance", "web", "--host", "127.0.0.1", "--port",
             str(port), "--state-dir", f"{tmp}/state", "--run-dir", f"{tmp}/run"],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(base + "/api/live", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError("midstance web did not start") from None
                    time.sleep(0.2)
            body, took = _scrape(base)
            rss0 = _rss_mib(proc.pid)
            print(f"before: scrape {len(body)} bytes in {took * 1000:.1f} ms, RSS {rss0:.1f} MiB")
            t0 = time.perf_counter()
            flood(port, count)
            sent = time.perf_counter() - t0
            body, took = _scrape(base)
            samples = sum(1 for ln in body.splitlines() if ln and not ln.startswith(b"#"))
            print(f"{count} odd requests sent in {sent:.1f} s")
            print(
                f"after:  scrape {len(body)} bytes, {samples} samples, in {took * 1000:.1f} ms"
                f" (median of 5), RSS {_rss_mib(proc.pid):.1f} MiB"
            )
        finally:
            proc.terminate()
            proc.wait(15)


if __name__ == "__main__":
    main()
