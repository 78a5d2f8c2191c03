"""The session recorder on a real SQLite store: when sessions start and end, one end path for
every reason, steps kept across store failures. Frame times are given, so no clock is timed."""

from __future__ import annotations

import io

import pytest

from common.store import Store
from core.analysis import Step
from device.sessions import MAX_PENDING_STEPS, PRE_SESSION_S, SessionRecorder


@pytest.fixture
def store(tmp_path):
    store = Store.in_dir(tmp_path / "state")
    yield store
    store.close()


@pytest.fixture
def log():
    return io.StringIO()


@pytest.fixture
def recorder(store, log):
    return SessionRecorder(store, timeout_s=5.0, batch_s=0.0, log=log)


def step(t: float, verdict: str = "good", leg: str = "left") -> Step:
    """A step that touched down at ``t`` (frame time) and was decided 0.3 s later."""
    return Step(leg, t, t + 0.1, t + 0.3, hip_ankle_offset=0.05, lean_deg=8.0, verdict=verdict)


def ended(store) -> list[tuple[int, str]]:
    return [(s["id"], s["end_reason"]) for s in reversed(store.sessions()) if s["ended_at"]]


def test_no_session_before_a_runner_runs(recorder, store):
    recorder.frame(0.0, running=False)
    recorder.frame(1.0, running=False, steps=[step(0.7)])
    assert not recorder.active and recorder.session_id is None
    assert store.sessions() == []


def test_running_starts_a_session_in_the_store(recorder, store, log):
    recorder.frame(1.0, running=True, facing="left")
    assert recorder.active
    (session,) = store.sessions()
    assert recorder.session_id == session["id"]
    assert session["ended_at"] is None and session["facing"] == "left"
    assert log.getvalue() == "midstance sense: session started\n"


def test_steps_just_before_the_start_belong_to_the_session(recorder, store):
    recorder.frame(0.5, running=False, steps=[step(0.0 - PRE_SESSION_S - 1)])  # too old
    recorder.frame(1.0, running=False, steps=[step(0.4)])
    recorder.frame(1.5, running=True, steps=[step(0.9)])
    recorder.flush(force=True)
    rows = store.steps(recorder.session_id)
    # the session counts from its first contact, 0.4 s, so no step time is below zero
    assert [r["contact_t"] for r in rows] == pytest.approx([0.0, 0.5])
    assert recorder.t0 == pytest.approx(0.4)


def test_facing_decided_later_is_recorded(recorder, store):
    recorder.frame(1.0, running=True, facing=None)
    assert store.sessions()[0]["facing"] is None
    recorder.frame(1.1, running=True, facing="right")
    recorder.flush(force=True)
    assert store.sessions()[0]["facing"] == "right"


def test_frame_time_timeout_ends_the_session(recorder, store, log):
    recorder.frame(1.0, running=True, steps=[step(0.8)])
    recorder.frame(2.0, running=True)
    recorder.frame(6.9, running=False)  # 4.9 s without running: still open
    assert recorder.active
    recorder.frame(7.1, running=False)
    assert not recorder.active and recorder.session_id is None
    assert ended(store) == [(1, "timeout")]
    assert log.getvalue().splitlines()[-1] == "midstance sense: session ended (timeout)"
    recorder.frame(9.0, running=True)  # the next runner: a new session
    assert recorder.active and recorder.session_id == 2


def test_wall_time_timeout_ends_the_session_when_frames_stop(recorder, store):
    recorder.frame(1.0, running=True)
    recorder.no_frame(wall_gap_s=4.0)
    assert recorder.active
    recorder.no_frame(wall_gap_s=5.5)
    assert ended(store) == [(1, "timeout")]


def test_reset_ends_the_session_and_forgets_its_steps(recorder, store):
    recorder.frame(1.0, running=True, steps=[step(0.7), step(1.0)])
    recorder.reset()
    assert ended(store) == [(1, "reset")]
    assert recorder.stats.steps == 0 and not recorder.recent
    assert store.sessions()[0]["steps"] == 2


def test_end_without_a_session_does_nothing(recorder, store, log):
    assert recorder.end("shutdown") is False
    recorder.reset()
    assert store.sessions() == [] and log.getvalue() == ""


def test_interrupted_ends_what_a_previous_run_left_open(store, log):
    left = store.start_session(1000.0)
    store.add_steps(left, [{"leg": "left", "contact_t": 0.5, "verdict": "good", "at": 1010.0}])
    recorder = SessionRecorder(store, log=log)
    assert recorder.end("interrupted") is True
    (session,) = store.sessions()
    assert session["end_reason"] == "interrupted" and session["ended_at"] == 1010.0
    assert recorder.end("interrupted") is False  # nothing left open any more


@pytest.mark.parametrize("reason", ["timeout", "reset", "shutdown"])
def test_every_end_writes_its_reason_and_summary_once(recorder, store, log, reason):
    recorder.frame(1.0, running=True, steps=[step(0.7), step(1.0, "warn")])
    assert recorder.end(reason) is True
    assert recorder.end(reason) is False  # already ended: no second row change, no log
    (session,) = store.sessions()
    assert session["end_reason"] == reason
    assert session["summary"]["steps"] == 2 and session["summary"]["warn"] == 1
    assert log.getvalue().count("session ended") == 1


def test_steps_wait_while_the_store_fails_and_none_is_lost(recorder, store):
    recorder.frame(1.0, running=True)
    store.db.execute("PRAGMA query_only = ON")  # SQLite refuses every write
    recorder.frame(1.5, running=True, steps=[step(1.1), step(1.4)])
    assert recorder.flush() is False
    assert "readonly" in recorder.error and recorder.pending_steps == 2
    recorder.end("shutdown")
    store.db.execute("PRAGMA query_only = OFF")
    assert recorder.flush(force=True) is True
    assert recorder.error is None and recorder.pending_steps == 0
    (session,) = store.sessions()
    assert session["steps"] == 2 and session["end_reason"] == "shutdown"


def test_the_oldest_steps_go_first_when_the_store_fails_too_long(recorder, store):
    recorder.frame(1.0, running=True)
    store.db.execute("PRAGMA query_only = ON")
    for i in range(MAX_PENDING_STEPS + 3):
        recorder.frame(2.0 + i * 0.01, running=True, steps=[step(1.0 + i * 0.01)])
    assert recorder.lost_steps == 3 and recorder.pending_steps == MAX_PENDING_STEPS
