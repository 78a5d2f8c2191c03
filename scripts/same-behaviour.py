#!/usr/bin/env python3
"""Record what a Midstance checkout does, as canonical diffable files, to prove "behaviour
unchanged" across a refactor (issue 13: reports, store rows and API answers identical).

    python3 scripts/same-behaviour.py CHECKOUT OUTDIR [--corpus DIR] [--videos A,B] [--jobs N]
    python3 scripts/same-behaviour.py --diff DIR_A DIR_B

CHECKOUT is a repository checkout with its venv (``make venv models``). The script drives only
``CHECKOUT/.venv/bin/midstance`` and HTTP, never imports the project, so the same script runs
on the layout before and after the redesign. Standard library only; every child runs at
``nice 10`` in a scratch folder with an empty config file (``/etc/midstance`` is never read).

What OUTDIR receives:

- ``reports/``: ``midstance analyze ITEM --json`` of every ``*.trace.jsonl`` in the corpus
  (``--capture-fps`` when its truth file has ``capture_fps``), of the sample clip (found in
  CHECKOUT by name) and of at most two corpus videos (``--videos``): ``NAME.json`` is the
  report, ``NAME.txt`` the printed summary.
- ``eval/``: ``midstance eval`` of a folder holding only the corpus traces and their truth
  files: ``eval.json`` and the printed table ``table.txt``.
- ``store/``: ``midstance sense --fast --led mock`` on the sample clip into a fresh state dir,
  then every table of the SQLite store (``schema.json``: columns and indexes from PRAGMAs, so
  whitespace and comments in the DDL do not count; ``rows-after-sense.json`` and, after the
  web server ran on it, ``rows-after-web.json``: rows as sorted JSON), the live snapshot and the
  names of the files in the state and run dirs.
- ``api/``: ``midstance web`` on that state dir; status, headers and body of every read-only
  endpoint, pages, error answers and the static files the pages link; ``metrics.txt`` last.
  ``/api/live`` is taken twice: ``*.fresh.txt`` right after re-stamping the snapshot's
  ``written_at`` with the current time (nothing else in it changes), and ``api_live.txt`` once
  it is stale (``offline``): left alone, which of the two the server answers would depend on
  how fast the machine starts it after ``sense`` ends. The event stream is not recorded.
- ``inputs.json``: name and SHA-256 of every input, so a different corpus shows as a diff.
- ``exit-codes.json``: the exit code of every command run.
- ``_run.json``: checkout, commit and timings (not compared: ``--diff`` skips ``_*`` files).

What is canonicalised (and why), everything else is kept byte for byte:

- JSON is re-dumped with sorted keys and one-space indent; numbers keep Python's shortest
  round-trip spelling, which is how the project writes them, so "as written".
- Wall-clock values: any JSON key or column named ``at`` or ``*_at`` (``started_at``,
  ``ended_at``, ``last_step_at``, ``written_at``, ``created_at`` ...) becomes
  ``"<wall-clock>"`` when not null (null stays null), as does the CSV's ``at`` column.
  ``sense`` stamps steps and sessions with ``time.time()``.
- The session report's ``summary.duration_s`` is ``ended_at - started_at`` (wall clock): it
  becomes ``"<ended_at - started_at>"`` only when it equals that, else it is kept (and differs).
  The stored ``summary_json.duration_s`` is frame time and is kept.
- Store columns holding JSON text (``summary_json``, ``midstance_pose`` ...) are parsed and
  shown as ``{"<json>": value}`` with sorted keys: their spacing and key order do not count.
- Secrets: ``pin_hash``, ``csrf``, ``csrf_token``, ``token`` and the staff session ids become
  ``"<secret>"``; ``nonce="..."`` in HTML becomes ``nonce="<nonce>"``.
- ``sense``'s last line: the measured frames/s becomes ``<fps>``.
- ``/metrics``: the values of ``*_created``, ``*_bucket``, ``*_sum`` and
  ``*_snapshot_age_seconds`` (timings) become ``<v>``; counts and live gauges are kept.
- Headers: ``Date``, ``Content-Length`` (bodies hold wall-clock numbers), ``Last-Modified``
  and ``ETag`` (file mtimes of the checkout) are dropped or replaced.

Why ``sense --fast``: read in real time with ``latest`` frames, a loaded CPU drops frames and
the steps differ between two runs of the same code; ``--fast`` hands every frame to the loop.
The pose model (TFLite, 2 threads) gave identical landmarks in repeated runs (see the doc).

``--diff`` prints one line per differing file (and a few lines of its unified diff) and exits
1 when anything differs, 0 when identical, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import csv
import difflib
import hashlib
import io
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

DEFAULT_VIDEOS = ("clip_mirror.mp4", "clip_15fps.mp4")
SAMPLE_CLIP = "treadmill_side_30fps.mp4"
TRACE_SUFFIX = ".trace.jsonl"
TRUTH_SUFFIX = ".contacts.json"
STALE_S = 3.0  # common.snapshot.STALE_AFTER_S: an older snapshot reads as "offline"
KIOSK_URL = "http://kiosk.invalid/"  # fixed, so the QR page and sticker do not name this host

WALL = "<wall-clock>"
SECRET = "<secret>"
SECRET_KEYS = {"pin_hash", "csrf", "csrf_token", "token"}
#: headers whose values depend on the clock or the checkout's file times, not on the code
DROP_HEADERS = {"date", "content-length"}
MASK_HEADERS = {"last-modified", "etag", "expires"}
#: prometheus samples whose values are timings
METRIC_TIMINGS = re.compile(r"^(\w+?(_created|_bucket|_sum|_snapshot_age_seconds))(\{.*\})? .*$")


class Failure(Exception):
    """A problem the user can fix: printed as one line, exit code 2."""


# ---------------------------------------------------------------------------- canonical form


def is_wall_key(key: str) -> bool:
    """Whether a JSON key or column name holds a wall-clock time."""
    return key == "at" or key.endswith("_at")


def scrub(value, key: str = ""):
    """``value`` with wall-clock times and secrets replaced by placeholders (recursively)."""
    if isinstance(value, dict):
        return {k: scrub(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, key) for v in value]
    if value is None:
        return None
    if is_wall_key(key) and isinstance(value, int | float) and not isinstance(value, bool):
        return WALL
    if key in SECRET_KEYS:
        return SECRET
    return value


def canon(value) -> str:
    """The canonical text of a JSON value: sorted keys, one-space indent, newline-ended."""
    return json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def write(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def sha256(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


# ---------------------------------------------------------------------------- running commands


class Runner:
    """Runs ``CHECKOUT/.venv/bin/midstance`` at nice 10 in a scratch folder, logging exit codes."""

    def __init__(self, checkout: Path, work: Path):
        self.exe = checkout / ".venv" / "bin" / "midstance"
        if not os.access(self.exe, os.X_OK):
            raise Failure(f"{self.exe}: not found; run `make venv models` in {checkout} first")
        self.work = work
        self.config = work / "config.toml"
        self.config.write_text("# empty: every value is the built-in default\n")
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("STATE_DIRECTORY", "RUNTIME_DIRECTORY", "NOTIFY_SOCKET", "WATCHDOG_USEC")
        }
        self.exit_codes: dict[str, int] = {}

    def argv(self, *args: str) -> list[str]:
        """The full command line of ``midstance ARGS``."""
        return [str(self.exe), *map(str, args)]

    def run(self, label: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run ``midstance ARGS`` to its end; its exit code is recorded under ``label``."""
        try:
            done = subprocess.run(
                self.argv(*args),
                cwd=self.work,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=timeout,
                preexec_fn=_nice,
            )
        except subprocess.TimeoutExpired:
            raise Failure(f"`midstance {' '.join(args)}` ran over {timeout:.0f} s") from None
        self.exit_codes[label] = done.returncode
        return done

    def start(self, *args: str) -> subprocess.Popen:
        """Start ``midstance ARGS`` in the background (its output goes to a log file)."""
        with (self.work / "web.log").open("w") as log:  # the child keeps its own descriptor
            return subprocess.Popen(
                self.argv(*args),
                cwd=self.work,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_nice,
            )


def _nice() -> None:
    os.nice(10)  # the machine is shared: the recording must not slow the others down


# ---------------------------------------------------------------------------- 1. reports


def find_sample_clip(checkout: Path) -> Path:
    """The committed sample clip, wherever the checkout keeps it."""
    skip = {".venv", ".venv-ref", ".git", "build", "node_modules"}
    for root, dirs, files in os.walk(checkout):
        dirs[:] = sorted(d for d in dirs if d not in skip)
        if SAMPLE_CLIP in files:
            return Path(root) / SAMPLE_CLIP
    raise Failure(f"{checkout}: no {SAMPLE_CLIP} (the sample clip) in the checkout")


def capture_fps_of(item: Path) -> float | None:
    """The ``capture_fps`` of an item's truth file, if it has one."""
    name = item.name
    stem = name[: -len(TRACE_SUFFIX)] if name.endswith(TRACE_SUFFIX) else item.stem
    truth = item.with_name(stem + TRUTH_SUFFIX)
    if not truth.is_file():
        return None
    return json.loads(truth.read_text(encoding="utf-8")).get("capture_fps")


def record_report(runner: Runner, item: Path, name: str, out: Path) -> None:
    """``midstance analyze ITEM --json``: the report and the printed summary."""
    tmp = runner.work / "reports" / f"{name}.json"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    args = ["analyze", item, "--json", tmp]
    fps = capture_fps_of(item)
    if fps is not None:
        args += ["--capture-fps", repr(fps)]
    done = runner.run(f"analyze {name}", *args)
    text = f"exit {done.returncode}\n{done.stdout}"
    if done.returncode:
        text += f"stderr: {done.stderr}"
    write(out / "reports" / f"{name}.txt", text)
    if tmp.exists():
        write(out / "reports" / f"{name}.json", canon(json.loads(tmp.read_text())))


def record_reports(runner, corpus: Path, clip: Path, videos, out: Path, jobs: int) -> dict:
    """Every trace of the corpus, the sample clip and ``videos``; returns the inputs used."""
    traces = sorted(corpus.glob(f"*{TRACE_SUFFIX}"))
    if not traces:
        raise Failure(f"{corpus}: no *{TRACE_SUFFIX} (build it: python -m corpus {corpus})")
    todo = [(clip, f"sample-clip/{clip.name}")]
    for name in videos:
        if (corpus / name).is_file():
            todo.append((corpus / name, name))
    todo += [(t, t.name) for t in traces]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in [pool.submit(record_report, runner, p, n, out) for p, n in todo]:
            future.result()
    inputs = {n: sha256(p) for p, n in todo}
    for t in traces:
        truth = corpus / (t.name[: -len(TRACE_SUFFIX)] + TRUTH_SUFFIX)
        if truth.is_file():
            inputs[truth.name] = sha256(truth)
    return inputs


def record_eval(runner: Runner, corpus: Path, out: Path) -> None:
    """``midstance eval`` of the corpus traces (videos left out: they are slow)."""
    folder = runner.work / "traces"
    folder.mkdir()
    for trace in sorted(corpus.glob(f"*{TRACE_SUFFIX}")):
        truth = corpus / (trace.name[: -len(TRACE_SUFFIX)] + TRUTH_SUFFIX)
        for path in (trace, truth):
            if path.is_file():
                (folder / path.name).symlink_to(path.resolve())
    result = runner.work / "eval.json"
    done = runner.run("eval", "eval", folder, "--json", result)
    write(out / "eval" / "table.txt", f"exit {done.returncode}\n{done.stdout}")
    if result.exists():
        data = json.loads(result.read_text())
        if data.get("dir") == str(folder):
            data["dir"] = "<traces-dir>"
        write(out / "eval" / "eval.json", canon(data))


# ---------------------------------------------------------------------------- 2. store rows


def dump_schema(db: Path) -> dict:
    """Tables (columns from PRAGMA table_info) and indexes (their columns), by name."""
    with _connect(db) as con:
        schema = {}
        for (table,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ):
            cols = con.execute(f'PRAGMA table_info("{table}")').fetchall()
            indexes = {}
            for row in con.execute(f'PRAGMA index_list("{table}")').fetchall():
                info = con.execute(f'PRAGMA index_info("{row[1]}")').fetchall()
                key = row[1] if row[3] == "c" else f"<{row[3]}:{','.join(i[2] for i in info)}>"
                indexes[key] = {"unique": row[2], "columns": [i[2] for i in info]}
            schema[table] = {
                "columns": [
                    {"name": c[1], "type": c[2], "notnull": c[3], "default": c[4], "pk": c[5]}
                    for c in cols
                ],
                "indexes": indexes,
            }
        schema["<user_version>"] = con.execute("PRAGMA user_version").fetchone()[0]
    return schema


def dump_rows(db: Path) -> dict:
    """Every table's rows as sorted JSON objects, wall-clock times and secrets masked."""
    tables = {}
    with _connect(db) as con:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in sorted(names):
            cursor = con.execute(f'SELECT * FROM "{table}"')
            cols = [d[0] for d in cursor.description]
            rows = []
            for values in cursor:
                row = scrub({c: json_text(v) for c, v in zip(cols, values, strict=True)})
                if table == "staff_sessions" and row.get("id") is not None:
                    row["id"] = SECRET  # the random session token
                rows.append(row)
            rows.sort(key=lambda r: json.dumps(r, sort_keys=True))
            tables[table] = rows
    return tables


def json_text(value):
    """A column's JSON text (an object or array) as ``{"<json>": parsed}``, else ``value``.

    Parsed so a diff shows which field changed rather than one long line; the text's spacing
    and key order are therefore not compared (every reader parses it)."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return {"<json>": json.loads(value)}
        except ValueError:
            pass
    return value


def _connect(db: Path):
    if not db.is_file():
        raise Failure(f"{db}: no store after `midstance sense`")
    # Read-only and closed after use. With no -wal file (every writer closed cleanly) the
    # file is opened immutable, so this reader leaves no -wal/-shm files of its own behind.
    wal = db.with_name(db.name + "-wal").exists()
    uri = f"file:{db}?mode=ro" if wal else f"file:{db}?immutable=1"
    return contextlib.closing(sqlite3.connect(uri, uri=True))


def find_store(state: Path) -> Path:
    """The SQLite file in the state dir."""
    found = sorted(p for p in state.iterdir() if p.suffix in (".sqlite3", ".sqlite", ".db"))
    if not found:
        raise Failure(f"{state}: `midstance sense` left no SQLite store")
    return found[0]


def record_sense(runner: Runner, clip: Path, state: Path, run: Path, out: Path) -> None:
    """``midstance sense`` over the sample clip, then the store, snapshot and file names."""
    done = runner.run(
        "sense",
        "sense", "--config", runner.config, "--source", clip, "--led", "mock", "--fast",
        "--state-dir", state, "--run-dir", run,
    )  # fmt: skip
    log = re.sub(r"[\d.]+ frames/s", "<fps> frames/s", done.stderr)
    write(out / "store" / "sense.txt", f"exit {done.returncode}\n{log}")
    write(out / "store" / "files-after-sense.json", canon(_files(state, run)))
    db = find_store(state)
    write(out / "store" / "schema.json", canon(dump_schema(db)))
    write(out / "store" / "rows-after-sense.json", canon(dump_rows(db)))
    snap = run / "live.json"
    if snap.is_file():
        write(out / "store" / "live-snapshot.json", canon(scrub(json.loads(snap.read_text()))))


def _files(state: Path, run: Path) -> dict:
    return {"state": sorted(p.name for p in state.iterdir()), "run": sorted(os.listdir(run))}


# ---------------------------------------------------------------------------- 3. API answers


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(base: str, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """GET ``base + path``: status, headers, body (error statuses are answers too)."""
    try:
        with urllib.request.urlopen(base + path, timeout=30) as resp:
            return resp.status, resp.getheaders(), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.items(), exc.read()


def canon_headers(headers) -> list[str]:
    """Headers that depend on the code, sorted; clock and file-time ones dropped or masked."""
    lines = []
    for name, value in headers:
        low = name.lower()
        if low in DROP_HEADERS:
            continue
        if low in MASK_HEADERS:
            value = "<masked>"
        if low == "set-cookie":
            value = re.sub(r"=[^;]*", "=<secret>", value, count=1)
        lines.append(f"{low}: {value}")
    return sorted(lines)


def canon_body(path: str, ctype: str, body: bytes, durations: dict[int, float]) -> str:
    """The body in canonical form, by content type (``durations``: see :func:`session_times`)."""
    text = body.decode("utf-8", errors="backslashreplace")
    if "json" in ctype:
        try:
            data = json.loads(text)
        except ValueError:
            return text
        return canon(session_duration(scrub(data), durations))
    if "text/csv" in ctype:
        rows = list(csv.reader(io.StringIO(text)))
        if rows:
            walls = [i for i, h in enumerate(rows[0]) if is_wall_key(h)]
            for row in rows[1:]:
                for i in walls:
                    if i < len(row) and row[i]:
                        row[i] = WALL
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        return buf.getvalue()
    if path == "/metrics":
        return (
            "\n".join(
                METRIC_TIMINGS.sub(r"\1\3 <v>", line) if not line.startswith("#") else line
                for line in text.splitlines()
            )
            + "\n"
        )
    return re.sub(r'nonce="[^"]*"', 'nonce="<nonce>"', text)


def session_duration(data, durations: dict[int, float]):
    """A session report's ``summary.duration_s`` as a placeholder when it is exactly
    ``ended_at - started_at`` (wall clock) of its session, else unchanged."""
    if isinstance(data, dict) and isinstance(data.get("session"), dict):
        session, summary = data["session"], data.get("summary")
        raw = durations.get(session.get("id"))
        if isinstance(summary, dict) and raw is not None and summary.get("duration_s") == raw:
            summary["duration_s"] = "<ended_at - started_at>"
    return data


def save_answer(
    out: Path, base: str, path: str, durations: dict, suffix: str = ""
) -> tuple[int, str]:
    """GET ``path`` and save status, headers and canonical body; returns status and body."""
    status, headers, body = get(base, path)
    ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
    text = canon_body(path.split("?")[0], ctype, body, durations)
    name = re.sub(r"[^A-Za-z0-9._=-]+", "_", path.strip("/")) or "index"
    head = "\n".join(canon_headers(headers))
    write(out / "api" / f"{name}{suffix}.txt", f"GET {path}\nstatus {status}\n{head}\n\n{text}")
    return status, body.decode("utf-8", errors="replace")


def record_fresh_live(out: Path, base: str, run: Path, durations: dict) -> None:
    """``/api/live`` of a fresh snapshot (``*.fresh.txt``), then wait until it is stale.

    ``sense`` has ended, so its last snapshot turns ``offline`` STALE_S after it was
    written, and when the server answers first depends on the machine's load. So the
    snapshot is stamped ``written_at = now`` (nothing else changes) and read at once, then
    every other answer (``/api/live`` included) is taken once it is surely stale.
    """
    path = run / "live.json"
    if not path.is_file():
        return
    for _ in range(3):
        stamped = time.time()
        snap = json.loads(path.read_text()) | {"written_at": stamped}
        tmp = run / ".live-same-behaviour"
        tmp.write_text(json.dumps(snap, separators=(",", ":")))
        os.replace(tmp, path)  # atomic, as sense writes it
        save_answer(out, base, "/api/live", durations, ".fresh")
        save_answer(out, base, "/api/live?skeleton=1", durations, ".fresh")
        if time.time() - stamped < STALE_S - 1:
            break  # else the machine was too slow to read it fresh: again
    time.sleep(max(0.0, stamped + STALE_S + 1 - time.time()))


def session_times(db: Path) -> dict[int, float]:
    """``round(ended_at - started_at, 3)`` of every ended session, by id (for the report)."""
    with _connect(db) as con:
        rows = con.execute("SELECT id, started_at, ended_at FROM sessions").fetchall()
    return {i: round(max(e - s, 0.0), 3) for i, s, e in rows if e is not None}


def record_api(runner: Runner, state: Path, run: Path, out: Path) -> None:
    """``midstance web`` on the store ``sense`` left: every read-only answer, then stop it."""
    durations = session_times(find_store(state))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = runner.start(
        "web", "--config", runner.config, "--state-dir", state, "--run-dir", run,
        "--host", "127.0.0.1", "--port", str(port), "--kiosk-url", KIOSK_URL,
    )  # fmt: skip
    try:
        _wait_up(server, ("127.0.0.1", port), runner.work / "web.log")
        record_fresh_live(out, base, run, durations)
        _, listing = save_answer(out, base, "/api/sessions", durations)
        ids = [s["id"] for s in json.loads(listing)["sessions"]]
        paths = ["/api/live", "/api/settings", "/api/staff/me", "/api/openapi.json"]
        paths += ["/api/sessions?limit=1", "/api/sessions?limit=0", "/api/sessions?limit=x"]
        for sid in ids:
            paths += [
                f"/api/sessions/{sid}", f"/api/sessions/{sid}?steps=0",
                f"/api/sessions/{sid}?steps=2", f"/api/sessions/{sid}/midstance",
                f"/api/sessions/{sid}.json", f"/api/sessions/{sid}.csv", f"/sessions/{sid}",
            ]  # fmt: skip
        paths += [
            "/api/sessions/999", "/api/sessions/999/midstance", "/api/sessions/999.csv",
            "/api/sessions/0", "/sessions/999", "/sessions/abc", "/no-such-page",
            "/", "/history", "/staff", "/setup", "/staff/qr", "/staff/qr.svg",
        ]  # fmt: skip
        linked = set()
        for path in paths:
            _, body = save_answer(out, base, path, durations)
            linked.update(re.findall(r'(?:src|href)="(/static/[^"?#]+)', body))
        for path in sorted(linked):
            save_answer(out, base, path, durations)
        save_answer(out, base, "/metrics", durations)  # last: it counts the requests above
    finally:
        _stop(server)
    runner.exit_codes["web (SIGTERM)"] = server.returncode
    write(out / "store" / "files-after-web.json", canon(_files(state, run)))
    db = find_store(state)
    write(out / "store" / "rows-after-web.json", canon(dump_rows(db)))


def _wait_up(server: subprocess.Popen, address, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise Failure(f"`midstance web` exited with {server.returncode}: {log.read_text()}")
        try:  # a bare connect: a request would be counted in /metrics
            socket.create_connection(address, timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise Failure(f"`midstance web` did not listen on {address} within {timeout:.0f} s")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# ---------------------------------------------------------------------------- record and diff


def record(checkout: Path, out: Path, corpus: Path, videos, jobs: int) -> None:
    """Run everything and write OUTDIR."""
    exe = checkout / ".venv" / "bin" / "midstance"
    if not os.access(exe, os.X_OK):  # checked again by Runner; here before OUTDIR is made
        raise Failure(f"{exe}: not found; run `make venv models` in {checkout} first")
    if not corpus.is_dir():
        raise Failure(f"--corpus {corpus}: no such folder (build it with `make eval`)")
    if out.exists() and any(out.iterdir()):
        raise Failure(f"{out}: not empty; give a new folder (the old record is kept)")
    clip = find_sample_clip(checkout)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="same-behaviour-") as tmp:
        runner = Runner(checkout, Path(tmp))
        state, run = Path(tmp) / "state", Path(tmp) / "run"
        steps = [
            ("reports", lambda: record_reports(runner, corpus, clip, videos, out, jobs)),
            ("eval", lambda: record_eval(runner, corpus, out)),
            ("sense", lambda: record_sense(runner, clip, state, run, out)),
            ("api", lambda: record_api(runner, state, run, out)),
        ]
        inputs = {}
        for name, step in steps:
            started = time.monotonic()
            print(f"same-behaviour: {name} ...", file=sys.stderr, flush=True)
            inputs = step() or inputs
            timings[name] = round(time.monotonic() - started, 1)
        write(out / "inputs.json", canon(inputs))
        write(out / "exit-codes.json", canon(runner.exit_codes))
    timings["total"] = round(time.monotonic() - t0, 1)
    commit = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    info = {"checkout": str(checkout), "commit": commit, "corpus": str(corpus)}
    write(out / "_run.json", canon(info | {"seconds": timings}))
    print(f"same-behaviour: {out} written in {timings['total']:.0f} s", file=sys.stderr)


def files_of(root: Path) -> dict[str, Path]:
    """Compared files under ``root`` by relative path (``_*`` files are run notes)."""
    return {
        str(p.relative_to(root)): p
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith("_")
    }


def diff(a: Path, b: Path, context_lines: int = 8) -> int:
    """Print a per-file summary of the differences; 1 if anything differs, else 0."""
    for d in (a, b):
        if not d.is_dir():
            raise Failure(f"{d}: no such folder")
    fa, fb = files_of(a), files_of(b)
    if not fa and not fb:
        raise Failure(f"{a} and {b}: both empty, nothing recorded")
    changed = 0
    for name in sorted(fa.keys() | fb.keys()):
        if name not in fb:
            print(f"only in {a}: {name}")
        elif name not in fa:
            print(f"only in {b}: {name}")
        else:
            ta, tb = fa[name].read_bytes(), fb[name].read_bytes()
            if ta == tb:
                continue
            la = ta.decode("utf-8", "replace").splitlines()
            lb = tb.decode("utf-8", "replace").splitlines()
            hunks = [
                line
                for line in difflib.unified_diff(la, lb, lineterm="", n=0)
                if not line.startswith(("---", "+++"))
            ]
            minus = sum(1 for h in hunks if h.startswith("-"))
            plus = sum(1 for h in hunks if h.startswith("+"))
            print(f"differs: {name} (-{minus} +{plus} lines)")
            for line in hunks[:context_lines]:
                print(f"    {line[:160]}")
            if len(hunks) > context_lines:
                print(f"    ... {len(hunks) - context_lines} more diff lines")
        changed += 1
    total = len(fa.keys() | fb.keys())
    if changed:
        print(f"{changed} of {total} files differ")
        return 1
    print(f"identical: {total} files")
    return 0


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="same-behaviour.py",
        description="Record a checkout's reports, store rows and API answers canonically, "
        "or diff two records.",
    )
    parser.add_argument("paths", nargs=2, metavar="PATH", help="CHECKOUT OUTDIR, or DIR_A DIR_B")
    parser.add_argument("--diff", action="store_true", help="compare two records")
    parser.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help="the corpus folder (default: CHECKOUT/build/corpus, as `make eval` builds it); "
        "give both runs the same one",
    )
    parser.add_argument(
        "--videos",
        default=",".join(DEFAULT_VIDEOS),
        help="corpus videos analysed besides the sample clip, comma-separated, at most 2 "
        f"(default: {','.join(DEFAULT_VIDEOS)}; '' for none)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="analyses run at once (default 2)")
    args = parser.parse_args(argv)
    try:
        if args.diff:
            return diff(Path(args.paths[0]), Path(args.paths[1]))
        videos = [v for v in args.videos.split(",") if v]
        if len(videos) > 2:
            raise Failure(f"--videos: at most 2 (each takes about a minute), got {len(videos)}")
        if not 1 <= args.jobs <= 8:
            raise Failure(f"--jobs must be 1..8, got {args.jobs}")
        checkout = Path(args.paths[0]).resolve()
        corpus = (args.corpus or checkout / "build" / "corpus").resolve()
        record(checkout, Path(args.paths[1]).resolve(), corpus, videos, args.jobs)
        return 0
    except Failure as exc:
        print(f"same-behaviour: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
