"""Power loss: ``midstance sense`` and ``midstance web`` SIGKILLed together at random moments.

A seeded RNG picks each moment; every cut kills both processes (2 kills a cycle, 27 cycles =
54 kills). After every cut: SQLite's integrity check is ``ok``, every finished session (and
each of its steps) is exactly as before, the running session lost at most 5 s of steps, and
the next start closes the interrupted session and opens new ones.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import urllib.request

from common import snapshot
from common.store import FILENAME
from tests.conftest import wait_for

from .conftest import read_db, start_web

CYCLES = 27
MAX_LOST_S = 5.0


def finished(db_path) -> dict[int, tuple]:
    """Every finished session with all its columns and all its steps."""
    with read_db(db_path) as conn:
        rows = conn.execute("SELECT * FROM sessions WHERE ended_at IS NOT NULL").fetchall()
        out = {}
        for row in rows:
            steps = conn.execute(
                "SELECT * FROM steps WHERE session_id = ? ORDER BY id", (row["id"],)
            ).fetchall()
            out[row["id"]] = (tuple(row), tuple(tuple(s) for s in steps))
    conn.close()
    return out


def open_sessions(db_path) -> list[dict]:
    """Sessions still open, with their stored step count and last step time."""
    with read_db(db_path) as conn:
        rows = conn.execute(
            "SELECT s.id, s.started_at, count(st.id) AS n, max(st.at) AS last_at FROM sessions s"
            " LEFT JOIN steps st ON st.session_id = s.id WHERE s.ended_at IS NULL GROUP BY s.id"
        ).fetchall()
    conn.close()
    return [dict(r) for r in rows]


def hammer(base_ref: dict, stop: threading.Event) -> None:
    """A phone that keeps reading the page's API, so web dies mid-request too."""
    paths = ["/api/live", "/api/sessions", "/", "/metrics"]
    i = 0
    while not stop.is_set():
        base = base_ref.get("url")
        if base:
            try:
                with urllib.request.urlopen(base + paths[i % len(paths)], timeout=2) as r:
                    r.read()
            except (OSError, http.client.HTTPException):  # the cut came mid-response
                pass
        i += 1
        stop.wait(0.05)


def test_sigkill_at_random_moments(tmp_path, procs, clip, models_dir):
    rng = random.Random(20261122)
    state, run = tmp_path / "state", tmp_path / "run"
    db_path = state / FILENAME
    sense_log, web_log = tmp_path / "sense.log", tmp_path / "web.log"
    sense_args = [
        "sense", "--source", str(clip), "--state-dir", str(state), "--run-dir", str(run),
        "--led", "mock", "--model", "lite", "--models-dir", str(models_dir), "--loop",
        "--realtime",
    ]  # fmt: skip
    base_ref: dict = {}
    stop = threading.Event()
    client = threading.Thread(target=hammer, args=(base_ref, stop), daemon=True)
    client.start()

    kills = 0
    losses: list[float] = []
    interrupted_closed = 0
    known: dict[int, tuple] = {}
    try:
        for cycle in range(CYCLES):
            before_open = open_sessions(db_path) if db_path.exists() else []
            sense = procs.start(*sense_args, log=sense_log)
            web, base_ref["url"] = start_web(procs, state, run, web_log)
            spawned = time.time()
            if before_open:
                # The next start closes the interrupted session before anything else.
                wait_for(
                    lambda old=before_open[0]["id"]: all(
                        s["id"] > old for s in open_sessions(db_path)
                    ),
                    60,
                    "sense to close the interrupted session",
                )
                with read_db(db_path) as conn:
                    row = conn.execute(
                        "SELECT * FROM sessions WHERE id = ?", (before_open[0]["id"],)
                    ).fetchone()
                conn.close()
                assert row["end_reason"] == "interrupted"
                expect_end = before_open[0]["last_at"] or before_open[0]["started_at"]
                assert row["ended_at"] == expect_end
                interrupted_closed += 1
            # Cut the power at a random moment: early in start-up, mid-session, or later.
            delay = rng.choice([rng.uniform(0.0, 1.5), rng.uniform(1.5, 6.0), rng.uniform(6, 9)])
            time.sleep(max(0.0, spawned + delay - time.time()))
            assert sense.poll() is None, sense_log.read_text(errors="replace")[-3000:]
            cut = time.time()
            procs.kill(sense)
            procs.kill(web)
            base_ref["url"] = None
            kills += 2

            if not db_path.exists():
                continue
            with read_db(db_path) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            conn.close()
            now_finished = finished(db_path)
            for sid, content in known.items():
                assert now_finished.get(sid) == content, f"finished session {sid} changed"
            known = now_finished
            still_open = open_sessions(db_path)
            assert len(still_open) <= 1
            snap = snapshot.read(run, now=cut)
            if still_open:
                sess = still_open[0]
                if sess["n"]:
                    losses.append(cut - sess["last_at"])
                    assert cut - sess["last_at"] <= MAX_LOST_S, (cycle, sess, cut)
                ran = snap["duration_s"] or 0.0
                if snap["session_id"] == sess["id"] and ran > MAX_LOST_S + 1:
                    # The session had been running for longer than the allowed loss.
                    assert sess["n"] > 0, (cycle, sess, json.dumps(snap)[:300])
    finally:
        stop.set()
        client.join(timeout=10)

    assert kills >= 50
    # Enough cuts happened mid-session for the checks to mean something.
    assert len(losses) >= 10, losses
    assert interrupted_closed >= 10

    # A last clean start closes the last interrupted session and runs a new one to the end.
    sense = procs.start(*sense_args, "--duration", "12", log=sense_log)
    assert sense.wait(timeout=120) == 0, sense_log.read_text(errors="replace")[-3000:]
    with read_db(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert (
            conn.execute("SELECT count(*) FROM sessions WHERE ended_at IS NULL").fetchone()[0] == 0
        )
        last = conn.execute("SELECT * FROM sessions ORDER BY id DESC LIMIT 1").fetchone()
        assert last["end_reason"] == "shutdown" and last["id"] not in known
        assert (
            conn.execute(
                "SELECT count(*) FROM steps WHERE session_id = ?", (last["id"],)
            ).fetchone()[0]
            > 10
        )
    conn.close()
    for sid, content in known.items():
        assert finished(db_path).get(sid) == content
    print(f"power loss: {kills} kills, worst loss {max(losses):.2f} s of steps")
