-- The session store's schema (common/store.py; version in PRAGMA user_version, see SCHEMA_VERSION).
-- Every statement is idempotent: the store runs this file each time it opens a file for writing.
-- Times are unix seconds unless named *_t (seconds from the start of the session).

CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    ended_at REAL,                        -- null while running
    end_reason TEXT,                      -- END_REASONS
    facing TEXT,
    steps INTEGER NOT NULL DEFAULT 0,
    good INTEGER NOT NULL DEFAULT 0,
    warn INTEGER NOT NULL DEFAULT 0,
    bad INTEGER NOT NULL DEFAULT 0,
    unjudged INTEGER NOT NULL DEFAULT 0,  -- steps timed but not judged (verdict null)
    last_step_at REAL,                    -- when the newest stored step was decided
    summary_json TEXT
);

-- One row per step. The columns between "at" and "midstance_pose" are the stored step fields
-- (STEP_COLUMNS in store.py is read from here; new ones go last so the CSV keeps its order).
-- at: when the step was decided; *_t: seconds from the start of the session.
-- verdict null: timed but not judged; problems: the capture problem codes then in force and
-- reasons: the verdict's, most important first (both comma-separated codes).
-- midstance_pose: JSON {"xy", "vis"}, the keypoints at midstance; never image bytes.
-- (No comments inside this table: SQLite's DROP COLUMN, used on old files, edits its text.)
CREATE TABLE IF NOT EXISTS steps (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    at REAL NOT NULL,
    leg TEXT NOT NULL,
    contact_t REAL,
    midstance_t REAL,
    toe_off_t REAL,
    hip_ankle_offset REAL,
    lean_deg REAL,
    trunk_deg REAL,
    hip_bend_deg REAL,
    overstride REAL,
    knee_flexion_ic_deg REAL,
    bounce REAL,
    contact_time_s REAL,
    cadence_spm REAL,
    verdict TEXT CHECK (verdict IS NULL OR verdict IN ('good', 'warn', 'bad')),
    problems TEXT,
    reasons TEXT,
    midstance_pose TEXT
);
CREATE INDEX IF NOT EXISTS steps_by_session ON steps(session_id, id);

-- The staff inbox: commands from the page (reset), taken by sense.
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    payload_json TEXT,
    created_at REAL NOT NULL,
    taken_at REAL
);

-- Staff settings saved on the page (common/settings.py), overriding the config file.
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value_json TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS staff (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pin_hash TEXT NOT NULL,  -- scrypt
    updated_at REAL NOT NULL
);

-- Logged-in staff: id is the SHA-256 of the cookie's token, never the token itself.
CREATE TABLE IF NOT EXISTS staff_sessions (
    id TEXT PRIMARY KEY,
    csrf TEXT NOT NULL,
    created_at REAL NOT NULL,  -- the login
    seen_at REAL NOT NULL      -- the last use (to the minute)
);
