"""Privacy: in normal operation ``sense`` and ``web`` write no image or video bytes to disk and
send none over HTTP.

Both run for real on the sample clip while a phone reads every page, every API route, every
static file and the live stream. Then every file in the state and run directories and every
response body is scanned for image/video signatures (JPEG, PNG, GIF, WebP, MP4, H.264), for
pieces of the clip file itself and for rows of its decoded pixels; every large body must be
text (JSON, HTML, CSS, JS, CSV, SVG, Prometheus text). The processes' open files are sampled
all along and must be the store, the snapshot, the clip, the model files and the web's own
files only.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import time
import urllib.request
from pathlib import Path

import numpy as np

from device.video import VideoReader
from tests.conftest import REPO, wait_for

from .conftest import start_web

SIGNATURES = {
    "JPEG": re.compile(rb"\xff\xd8\xff[\xc0-\xfe]"),
    "PNG": re.compile(rb"\x89PNG\r\n\x1a\n"),
    "GIF": re.compile(rb"GIF8[79]a"),
    "WebP": re.compile(rb"RIFF....WEBP", re.S),
    "MP4": re.compile(rb"ftyp(isom|mp4[12]|avc1|iso[2-6]|M4V|qt  )"),
    "H.264 SPS+PPS": re.compile(rb"\x00\x00\x01\x67.{1,64}?\x00\x00\x01\x68", re.S),
}
TEXT_TYPES = (
    "application/json", "text/html", "text/css", "text/javascript", "application/javascript",
    "text/csv", "text/event-stream", "image/svg+xml", "text/plain",
)  # fmt: skip
LARGE = 4096


def clip_pieces(clip: Path) -> list[bytes]:
    """64-byte pieces of the clip file and 48-byte rows of its decoded frames."""
    data = clip.read_bytes()
    pieces = [data[i : i + 64] for i in range(50_000, len(data) - 64, len(data) // 25)]
    with VideoReader(clip) as reader:
        for i, (_, rgb) in enumerate(reader.frames()):
            if i % 36 == 0:
                h, w, _ = rgb.shape
                pieces += [rgb[h // 2, w // 3 : w // 3 + 16].tobytes()]
                pieces += [rgb[h // 3, w // 2 : w // 2 + 16].tobytes()]
    assert all(len(set(p)) > 4 for p in pieces)  # no flat runs that could match by chance
    return pieces


def scan(name: str, body: bytes, pieces: list[bytes]) -> list[str]:
    found = [f"{name}: {kind}" for kind, rx in SIGNATURES.items() if rx.search(body)]
    found += [f"{name}: bytes of the clip" for p in pieces if p in body]
    return found


def open_files(pid: int) -> set[str]:
    out = set()
    with_dir = f"/proc/{pid}/fd"
    try:
        fds = os.listdir(with_dir)
    except FileNotFoundError:
        return out
    for fd in fds:
        with contextlib.suppress(OSError):  # closed meanwhile
            out.add(os.readlink(f"{with_dir}/{fd}"))
    return out


def get(base: str, path: str, limit: int = 2_000_000) -> tuple[str, bytes]:
    req = urllib.request.Request(base + path, headers={"Accept": "*/*"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.headers.get("Content-Type", ""), r.read(limit)


def test_no_image_or_video_leaves_the_kiosk(tmp_path, procs, clip, models_dir):
    state, run = tmp_path / "state", tmp_path / "run"
    log = tmp_path / "sense.log"
    sense = procs.start(
        "sense", "--source", str(clip), "--state-dir", str(state), "--run-dir", str(run),
        "--led", "mock", "--model", "lite", "--models-dir", str(models_dir), "--loop",
        "--realtime", log=log,
    )  # fmt: skip
    web, base = start_web(procs, state, run, tmp_path / "web.log")
    pieces = clip_pieces(clip)

    # Both processes' open files, sampled while they work.
    seen: dict[str, set[str]] = {"sense": set(), "web": set()}
    bodies: dict[str, tuple[str, bytes]] = {}

    def sample():
        seen["sense"] |= open_files(sense.pid)
        seen["web"] |= open_files(web.pid)

    def a_session():
        sample()
        with sqlite3.connect(f"file:{state / 'midstance.sqlite3'}?mode=ro", uri=True) as db:
            row = db.execute("SELECT id FROM sessions ORDER BY id DESC LIMIT 1").fetchone()
            n = db.execute("SELECT count(*) FROM steps").fetchone()[0]
        return row and n >= 10 and row[0]

    sid = wait_for(a_session, 90, "a session with steps", every=0.1)
    spec = json.loads(get(base, "/api/openapi.json")[1])
    paths = [
        p.replace("{session_id}", str(sid)) for p, ops in spec["paths"].items() if "get" in ops
    ]
    paths = [p for p in paths if "stream" not in p]
    paths += ["/", "/history", f"/sessions/{sid}", "/staff", "/setup", "/staff/qr"]
    paths += ["/staff/qr.svg", "/api/openapi.json", "/api/live?skeleton=1"]
    for _round in range(3):
        for path in paths:
            bodies[path] = get(base, path)
            sample()
        html = b"".join(b for ctype, b in bodies.values() if "html" in ctype).decode()
        for ref in set(re.findall(r'(?:src|href)="(/[^"]+)"', html)):
            bodies[ref] = get(base, ref)
        sample()
    # The live stream, with the skeleton, for a couple of seconds.
    req = urllib.request.Request(base + "/api/live/stream?skeleton=1")
    with urllib.request.urlopen(req, timeout=10) as r:
        chunks, t0 = [], time.monotonic()
        while time.monotonic() - t0 < 2.0:
            chunks.append(r.read1(65536))
            sample()
        bodies["/api/live/stream"] = (r.headers["Content-Type"], b"".join(chunks))
    assert b"event: live" in bodies["/api/live/stream"][1]
    assert sense.poll() is None and web.poll() is None, log.read_text()[-2000:]
    procs.kill(sense)
    procs.kill(web)

    found: list[str] = []
    for path, (ctype, body) in bodies.items():
        found += scan(path, body, pieces)
        if len(body) > LARGE:
            assert ctype.split(";")[0].strip() in TEXT_TYPES, (path, ctype)
            body.decode("utf-8")  # text, not bytes in disguise
    assert len(bodies) >= 20

    files = [p for d in (state, run) for p in d.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    expected = {"midstance.sqlite3", "midstance.sqlite3-wal", "midstance.sqlite3-shm"}
    expected |= {"web-secret-key", "live.json"} | {n for n in names if n.startswith(".live-")}
    assert names <= expected, names
    for p in files:
        found += scan(str(p), p.read_bytes(), pieces)
    assert not found, found

    # The store holds numbers and short text only: no blob anywhere.
    with sqlite3.connect(state / "midstance.sqlite3") as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cols = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            for col in cols:
                big = db.execute(
                    f"SELECT count(*) FROM {table} WHERE typeof({col}) = 'blob'"
                    f" OR length({col}) > {LARGE}"
                ).fetchone()[0]
                assert big == 0 or (table, col) == ("sessions", "summary_json"), (table, col)

    # Open files: only the expected ones, ever.
    def allowed(path: str, extra: tuple[str, ...]) -> bool:
        if not path.startswith("/") or path in ("/dev/null", "/dev/urandom"):
            return True  # pipes, sockets, anon inodes
        path = path.removesuffix(" (deleted)")
        if path in (str(tmp_path / "sense.log"), str(tmp_path / "web.log")):
            return True  # stdout and stderr, which this test redirected
        return path.startswith((str(state) + "/", str(run) + "/", *extra))

    bad_sense = {p for p in seen["sense"] if not allowed(p, (str(clip), str(models_dir)))}
    bad_web = {p for p in seen["web"] if not allowed(p, (str(REPO / "web") + "/",))}
    assert not bad_sense, bad_sense
    assert not bad_web, bad_web
    assert any(str(clip) == p for p in seen["sense"])
    assert np.any([p.endswith("midstance.sqlite3") for p in seen["web"]])
