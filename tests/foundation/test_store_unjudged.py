"""Unjudged steps in the session store, and the migration of a store written by the old
schema (``verdict`` NOT NULL), on real SQLite files."""

from __future__ import annotations

import sqlite3
import time

import pytest

from common.store import POSE_COLUMN, SCHEMA_VERSION, STEP_COLUMNS, Store

#: The schema of version 1 exactly as it shipped (core/store.py before unjudged steps).
OLD_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,             -- unix seconds
    ended_at REAL,                        -- null while running
    end_reason TEXT,
    facing TEXT,
    steps INTEGER NOT NULL DEFAULT 0,
    good INTEGER NOT NULL DEFAULT 0,
    warn INTEGER NOT NULL DEFAULT 0,
    bad INTEGER NOT NULL DEFAULT 0,
    last_step_at REAL,                    -- unix seconds of the newest stored step
    summary_json TEXT
);
CREATE TABLE IF NOT EXISTS steps (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    at REAL NOT NULL,                     -- unix seconds when the step was decided
    leg TEXT NOT NULL,
    contact_t REAL, midstance_t REAL, toe_off_t REAL,
    hip_ankle_offset REAL, lean_deg REAL, trunk_deg REAL, hip_bend_deg REAL,
    overstride REAL, knee_flexion_ic_deg REAL, bounce REAL, contact_time_s REAL,
    cadence_spm REAL,
    verdict TEXT NOT NULL CHECK (verdict IN ('good', 'warn', 'bad'))
);
CREATE INDEX IF NOT EXISTS steps_by_session ON steps(session_id, id);
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    payload_json TEXT,
    created_at REAL NOT NULL,
    taken_at REAL
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS staff (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pin_hash TEXT NOT NULL,
    updated_at REAL NOT NULL
);
"""


def step(verdict="good", **kw):
    return {
        "leg": "left", "contact_t": 1.0, "midstance_t": 1.1, "toe_off_t": 1.25,
        "hip_ankle_offset": 0.02, "lean_deg": 6.0, "cadence_spm": 170.0, "verdict": verdict,
        "at": time.time(), **kw,
    }  # fmt: skip


def old_store(path):
    """A store file written by version 1: two sessions, steps, a command, settings, a PIN."""
    db = sqlite3.connect(path)
    db.executescript(OLD_DDL)
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.execute(
        "INSERT INTO sessions (id, started_at, ended_at, end_reason, facing, steps, good, warn,"
        " bad, last_step_at, summary_json) VALUES (1, 100, 200, 'timeout', 'left', 3, 2, 1, 0,"
        " 190, '{\"cadence_spm\": 170.0}')"
    )
    db.execute("INSERT INTO sessions (id, started_at, steps, bad) VALUES (2, 300, 1, 1)")
    rows = [
        (1, 150.0, "left", 0.5, 0.6, 0.8, 0.02, 6.0, 7.0, 1.0, 0.2, 10.0, 0.05, 0.3, 170.0, "good"),
        (1, 160.0, "right", 0.9, 1.0, 1.2, -0.08, 4.0, 5.0, 1.0, 0.25, 12.0, 0.06, None, 171.0,
         "warn"),
        (1, 190.0, "left", 1.3, 1.4, None, 0.01, 6.5, 7.5, 1.0, 0.2, 9.0, 0.05, 0.29, 169.0,
         "good"),
        (2, 310.0, "left", 0.1, 0.2, 0.4, 0.0, 5.0, 6.0, 1.0, 0.2, 8.0, 0.05, 0.3, None, "bad"),
    ]  # fmt: skip
    db.executemany(
        "INSERT INTO steps (session_id, at, leg, contact_t, midstance_t, toe_off_t,"
        " hip_ankle_offset, lean_deg, trunk_deg, hip_bend_deg, overstride, knee_flexion_ic_deg,"
        " bounce, contact_time_s, cadence_spm, verdict) VALUES"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.execute("INSERT INTO commands (kind, created_at) VALUES ('reset', 1.0)")
    db.execute("INSERT INTO settings VALUES ('facing', '\"left\"')")
    db.execute("INSERT INTO staff VALUES (1, 'scrypt$16384$8$1$00$00', 1.0)")
    db.commit()
    # the old schema really refuses a step without a verdict
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO steps (session_id, at, leg, verdict) VALUES (1, 1, 'left', NULL)")
    before = {
        t: db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()
        for t in ("sessions", "steps", "commands", "settings", "staff")
    }
    db.close()
    return before


def test_unjudged_steps_are_stored_and_counted(tmp_path):
    store = Store.in_dir(tmp_path)
    sid = store.start_session(1000.0, facing="left")
    steps = [
        step("good"),
        step(None, problems=["feet_out_of_frame"]),
        step(None, problems=("feet_out_of_frame", "camera_too_high")),
        step("bad"),
    ]
    assert store.add_steps(sid, steps) == 4
    s = store.session(sid)
    assert (s["steps"], s["good"], s["warn"], s["bad"], s["unjudged"]) == (4, 1, 0, 1, 2)
    assert s["good_share"] == 0.5  # over the two judged steps only
    rows = store.steps(sid)
    assert [r["verdict"] for r in rows] == ["good", None, None, "bad"]
    assert [r["problems"] for r in rows] == [
        [], ["feet_out_of_frame"], ["feet_out_of_frame", "camera_too_high"], [],
    ]  # fmt: skip
    assert store.steps(sid)[1]["problems"] == ["feet_out_of_frame"]
    # timed all the same: contact times and cadence are kept for the unjudged steps
    assert all(r["contact_t"] == 1.0 and r["cadence_spm"] == 170.0 for r in rows)


def test_an_unknown_verdict_is_refused_and_nothing_is_stored(tmp_path):
    store = Store.in_dir(tmp_path)
    sid = store.start_session(1000.0, facing="left")
    store.add_steps(sid, [step("good"), step(None, problems=["feet_out_of_frame"]), step("bad")])
    with pytest.raises(ValueError, match="verdict"):
        store.add_steps(sid, [step("great")])
    assert store.session(sid)["steps"] == 3


def test_only_unjudged_steps_have_no_good_share(tmp_path):
    store = Store.in_dir(tmp_path)
    sid = store.start_session(1.0)
    store.add_steps(sid, [step(None, problems=["not_side_on"])] * 3)
    s = store.session(sid)
    assert s["steps"] == 3 and s["unjudged"] == 3 and s["good_share"] is None


@pytest.fixture
def migrated(tmp_path):
    """A version 1 store file opened, and so migrated, by today's store; yields the store and
    the rows the old file held."""
    before = old_store(tmp_path / "midstance.sqlite3")
    store = Store(tmp_path / "midstance.sqlite3")
    yield store, before
    store.close()


def test_a_version_1_store_is_migrated_on_open_keeping_every_row(migrated, tmp_path):
    _, before = migrated
    db = sqlite3.connect(tmp_path / "midstance.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("4",)
    # every old row is there, column for column (new columns appended with their defaults)
    for table, rows in before.items():
        after = db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
        assert [r[: len(rows[0])] for r in after] == rows, table
    assert [r[0] for r in db.execute("SELECT unjudged FROM sessions ORDER BY id")] == [0, 0]
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    index = db.execute("SELECT sql FROM sqlite_master WHERE name='steps_by_session'").fetchone()
    assert index is not None
    db.close()


def test_a_migrated_store_reads_the_old_rows_as_before(migrated):
    store, _ = migrated
    s = store.session(1)
    assert (s["steps"], s["good"], s["warn"], s["bad"], s["unjudged"]) == (3, 2, 1, 0, 0)
    assert s["summary"] == {"cadence_spm": 170.0} and s["good_share"] == pytest.approx(2 / 3)
    rows = store.steps(1)
    assert [r["verdict"] for r in rows] == ["good", "warn", "good"]
    assert rows[1]["hip_ankle_offset"] == -0.08 and rows[2]["toe_off_t"] is None
    assert all(r["problems"] == [] for r in rows) and set(STEP_COLUMNS) <= set(rows[0])
    assert store.settings() == {"facing": "left"} and store.has_pin()


def test_a_migrated_store_takes_unjudged_steps_into_the_session_left_open(migrated):
    store, _ = migrated
    store.add_steps(2, [step(None, problems=["feet_out_of_frame"])])
    s = store.session(2)
    assert (s["steps"], s["bad"], s["unjudged"]) == (2, 1, 1)
    assert store.steps(2)[-1]["verdict"] is None


def test_deleting_a_session_of_a_migrated_store_takes_its_steps(migrated):
    # the foreign key survived the rebuild of the steps table
    store, _ = migrated
    assert len(store.steps(1)) == 3 and len(store.steps(2)) == 1
    store.end_session(2, 400.0, "reset")
    assert store.prune(keep_days=0, keep_sessions=0, now=10_000.0) == 2
    assert store.steps(1) == [] and store.steps(2) == []


def test_migration_runs_once_and_reopening_changes_nothing(tmp_path):
    path = tmp_path / "midstance.sqlite3"
    old_store(path)
    a, b = Store(path), Store(path)  # sense and web opening the same file
    sid = a.start_session(5.0)
    a.add_steps(sid, [step(None)])
    c = Store(path)
    assert c.session(sid)["unjudged"] == 1 and len(c.steps(1)) == 3
    assert b.integrity_check() == "ok"
    for s in (a, b, c):
        s.close()


def test_a_new_store_has_the_new_schema(tmp_path):
    store = Store.in_dir(tmp_path)
    db = sqlite3.connect(tmp_path / "midstance.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    columns = [r[1] for r in db.execute("PRAGMA table_info(steps)")]
    assert columns == ["id", "session_id", "at", *STEP_COLUMNS, POSE_COLUMN]
    db.close()
    store.close()
