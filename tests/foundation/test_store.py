"""The SQLite session store, on a real SQLite file."""

import sqlite3
import threading
import time

import pytest

from common.store import Store, StoreError


@pytest.fixture
def store(tmp_path):
    return Store.in_dir(tmp_path)


def step(verdict="good", at=None, **kw):
    return {
        "leg": "left",
        "contact_t": 1.0,
        "midstance_t": 1.1,
        "toe_off_t": 1.25,
        "hip_ankle_offset": 0.02,
        "lean_deg": 6.0,
        "verdict": verdict,
        "at": at or time.time(),
        **kw,
    }


def test_session_lifecycle_counts_and_summary(store):
    sid = store.start_session(1000.0, facing="left")
    assert store.open_session()["id"] == sid
    assert store.add_steps(sid, [step("good"), step("warn"), step("bad"), step("good")]) == 4
    s = store.session(sid)
    assert (s["steps"], s["good"], s["warn"], s["bad"]) == (4, 2, 1, 1)
    assert s["good_share"] == 0.5
    store.end_session(sid, 2000.0, "reset", summary={"cadence_spm": 170.0})
    s = store.session(sid)
    assert s["end_reason"] == "reset" and s["summary"] == {"cadence_spm": 170.0}
    assert store.open_session() is None
    assert [r["verdict"] for r in store.steps(sid)] == ["good", "warn", "bad", "good"]
    assert [r["lean_deg"] for r in store.steps(sid)] == [6.0] * 4


def test_nan_becomes_null_and_bad_verdict_is_refused(store):
    sid = store.start_session(1.0)
    store.add_steps(sid, [step(lean_deg=float("nan"))])
    assert store.steps(sid)[0]["lean_deg"] is None
    with pytest.raises(ValueError, match="verdict"):
        store.add_steps(sid, [step("good"), step("great")])
    assert store.session(sid)["steps"] == 1  # the failed batch left nothing behind


def test_interrupted_sessions_are_closed_at_their_last_step(store):
    sid = store.start_session(100.0)
    store.add_steps(sid, [step(at=150.0), step(at=160.0)])
    assert store.close_interrupted() == [sid]
    s = store.session(sid)
    assert s["end_reason"] == "interrupted" and s["ended_at"] == 160.0


def test_commands_are_taken_once(store):
    cid = store.post_command("reset")
    assert store.command(cid)["taken_at"] is None
    assert [c["kind"] for c in store.take_commands()] == ["reset"]
    assert store.take_commands() == []
    assert store.command(cid)["taken_at"] is not None


def test_pin_is_hashed_and_checked(store, tmp_path):
    assert not store.has_pin() and not store.check_pin("1234")
    store.set_pin("482913")
    assert store.check_pin("482913") and not store.check_pin("482914")
    raw = (
        sqlite3.connect(tmp_path / "midstance.sqlite3")
        .execute("SELECT pin_hash FROM staff")
        .fetchone()[0]
    )
    assert "482913" not in raw and raw.startswith("scrypt$")
    for bad in ["12", "abcd", "1" * 13, ""]:
        with pytest.raises(ValueError):
            store.set_pin(bad)


def test_settings_merge_and_remove(store):
    store.save_settings({"facing": "left", "brightness": 0.5})
    store.save_settings({"facing": None, "warn_offset": -0.05})
    assert store.settings() == {"brightness": 0.5, "warn_offset": -0.05}


def test_readers_in_other_threads_see_committed_steps(store):
    sid = store.start_session(1.0)
    store.add_steps(sid, [step()])
    seen = []
    t = threading.Thread(target=lambda: seen.append(store.session(sid)["steps"]))
    t.start()
    t.join()
    assert seen == [1]
    assert store.integrity_check() == "ok"


def test_prune_keeps_recent_and_running_sessions(store):
    old = store.start_session(0.0)
    store.end_session(old, 10.0, "timeout")
    running = store.start_session(20.0)
    assert store.prune(keep_days=1, keep_sessions=0, now=10 * 86400) == 1
    assert store.session(old) is None and store.session(running) is not None


def test_prune_caps_the_size_and_the_file_stops_growing(store):
    """However young the sessions, the oldest go while the data exceeds keep_mb; SQLite reuses
    the freed pages, so a kiosk that keeps running keeps a file of the same size."""
    cap_mb = 2.0

    def busy_day(n_sessions: int) -> None:
        for _ in range(n_sessions):
            sid = store.start_session(time.time())
            store.add_steps(sid, [step(at=time.time() + i) for i in range(2000)])
            store.end_session(sid, time.time(), "timeout")

    busy_day(20)
    running = store.start_session(time.time())
    store.add_steps(running, [step() for _ in range(100)])
    before = [s["id"] for s in store.sessions(limit=100)]
    gone = store.prune(keep_days=90, keep_sessions=1000, keep_mb=cap_mb)
    kept = [s["id"] for s in store.sessions(limit=100)]
    assert gone > 0 and len(kept) == len(before) - gone
    assert kept == before[: len(kept)]  # the newest stay, the running one among them
    assert store.session(running) is not None
    size = store.path.stat().st_size
    for _ in range(3):
        busy_day(10)
        store.prune(keep_days=90, keep_sessions=1000, keep_mb=cap_mb)
        # Not a page more than the cap plus one session's worth of growth.
        assert store.path.stat().st_size <= max(size, cap_mb * 2**20) * 1.3
    assert store.integrity_check() == "ok"


def test_unwritable_directory_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot open the session store"):
        Store.in_dir(blocker / "sub")
