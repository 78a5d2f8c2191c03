"""The session store: one SQLite file holding sessions, their steps, staff commands and settings.

``sense`` is the only writer of sessions and steps; ``web`` reads them, posts staff commands
(``reset``), saves settings and checks the staff PIN. SQLite in WAL mode lets the page read
while ``sense`` writes, and survives a power cut with at most the last uncommitted batch lost.

Each thread gets its own connection (``sqlite3`` connections must not cross threads), so one
``Store`` can be shared by a threaded WSGI server.

Example::

    store = Store(state_dir / "midstance.sqlite3")
    sid = store.start_session(time.time(), facing="left")
    store.add_steps(sid, [step_dict, ...])          # one transaction per batch
    store.end_session(sid, time.time(), "timeout", summary={...})
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from common.vocabulary import END_REASONS, VERDICTS
from core.midstance import is_pose

FILENAME = "midstance.sqlite3"
#: The schema's version, kept in ``PRAGMA user_version`` (and, for readers, in ``meta``).
#: 1: the first schema (``verdict`` NOT NULL). 2: unjudged steps (``verdict`` may be null,
#: ``problems`` per step, ``unjudged`` per session). 3: ``steps.midstance_pose``, the step's
#: normalised landmarks at midstance (null for older rows). 4: ``steps.reasons``, why a step
#: warned (null for older rows); see :func:`_migrate`.
SCHEMA_VERSION = 4

#: The schema, every statement idempotent (read once; the one definition of every table).
SCHEMA_SQL = (Path(__file__).with_name("schema.sql")).read_text(encoding="utf-8")


def _steps_table_sql() -> tuple[tuple[str, ...], str]:
    """The stored step fields and the ``CREATE TABLE steps`` statement, read from the schema."""
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(SCHEMA_SQL)
        columns = [r[1] for r in db.execute("PRAGMA table_info(steps)")]
        (create,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'steps'").fetchone()
    finally:
        db.close()
    return tuple(columns[columns.index("at") + 1 : columns.index(POSE_COLUMN)]), create


#: The step's pose at midstance (:mod:`core.midstance`), JSON ``{"xy", "vis"}``: a column of
#: its own, not a step field, so the CSV and the step lists stay numbers; read it with
#: :meth:`Store.midstance_poses`. Keypoints only, never image bytes.
POSE_COLUMN = "midstance_pose"
#: The stored step fields, in the table's order: the report's step fields (ARCHITECTURE
#: section 5) the store keeps. The table, the inserts, the CSV download and the column reads all
#: use it. ``verdict`` null = timed but not judged (``problems`` then holds the capture problem
#: codes in force); ``reasons`` are the verdict's (:data:`core.verdict.REASONS`).
STEP_COLUMNS, _STEPS_CREATE = _steps_table_sql()
#: Step fields stored as comma-separated lists of codes and read back as lists.
LIST_FIELDS = ("problems", "reasons")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# scrypt parameters (RFC 7914): n=2**14, r=8 takes ~50 ms and 16 MiB on a Pi 4, enough to
# make offline guessing of a short PIN slow while a login stays instant for staff.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}


class StoreError(Exception):
    """The store cannot be opened or written (missing directory, read-only, disk full, corrupt)."""


class Store:
    """The SQLite session store at ``path`` (created with its schema if missing)."""

    def __init__(self, path: str | os.PathLike, *, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        self._local = threading.local()
        if not readonly:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                _migrate(self.db)
                # executescript manages its own transaction (CREATE ... IF NOT EXISTS is
                # idempotent, so a crash half-way is harmless).
                self.db.executescript(SCHEMA_SQL)
                with self._tx() as db:
                    db.execute(
                        "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT(key)"
                        " DO UPDATE SET value = excluded.value",
                        (str(SCHEMA_VERSION),),
                    )
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            except (OSError, sqlite3.Error) as exc:
                raise StoreError(f"cannot open the session store {self.path}: {exc}") from exc

    @classmethod
    def in_dir(cls, state_dir: str | os.PathLike, **kwargs: Any) -> Store:
        """Open the store in a state directory (``midstance.sqlite3`` inside it)."""
        return cls(Path(state_dir) / FILENAME, **kwargs)

    # -- connections ---------------------------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.readonly:
                uri = f"file:{self.path}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, timeout=5.0, isolation_level=None)
            else:
                conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                # NORMAL in WAL mode: a power cut loses at most the last transactions, never
                # corrupts the file; FULL would fsync every batch and wear the SD card.
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=5000")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    class _Tx:
        def __init__(self, store: Store):
            self.store = store

        def __enter__(self) -> sqlite3.Connection:
            db = self.store.db
            db.execute("BEGIN IMMEDIATE")
            return db

        def __exit__(self, exc_type, exc, tb):
            db = self.store.db
            if exc_type is None:
                db.execute("COMMIT")
            else:
                db.execute("ROLLBACK")
            return False

    def _tx(self) -> _Tx:
        return Store._Tx(self)

    def _write(self, fn, *args):
        """Run ``fn(db, *args)`` in one transaction; storage failures become StoreError."""
        try:
            with self._tx() as db:
                return fn(db, *args)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write the session store {self.path}: {exc}") from exc

    # -- sessions ------------------------------------------------------------------------

    def start_session(self, started_at: float, facing: str | None = None) -> int:
        """Open a new session and return its id."""
        return self._write(
            lambda db: (
                db.execute(
                    "INSERT INTO sessions (started_at, facing) VALUES (?, ?)", (started_at, facing)
                ).lastrowid
            )
        )

    def set_facing(self, session_id: int, facing: str) -> None:
        """Record which way the runner faces (decided a few steps into the session)."""
        self._write(
            lambda db: db.execute(
                "UPDATE sessions SET facing = ? WHERE id = ?", (facing, session_id)
            )
        )

    def add_steps(self, session_id: int, steps: Iterable[Mapping[str, Any]]) -> int:
        """Append a batch of step dicts (``STEP_COLUMNS`` + ``at``) in one transaction.

        Missing fields are stored as null; unknown keys are ignored. A ``verdict`` of None is a
        step timed but not judged (counted in the session's ``unjudged``); ``problems`` is a
        list of capture problem codes. Returns the count.
        """
        rows = []
        counts = dict.fromkeys((*VERDICTS, None), 0)
        last_at = None
        for step in steps:
            verdict = step.get("verdict")
            if verdict not in counts:
                raise ValueError(
                    f"step verdict must be one of {VERDICTS} or None (not judged): {verdict!r}"
                )
            at = float(step.get("at") or time.time())
            pose = _pose_json(step.get(POSE_COLUMN))
            rows.append((session_id, at, *(_column(k, step.get(k)) for k in STEP_COLUMNS), pose))
            counts[verdict] += 1
            last_at = at if last_at is None else max(last_at, at)
        if not rows:
            return 0
        cols = ", ".join(("session_id", "at", *STEP_COLUMNS, POSE_COLUMN))
        marks = ", ".join("?" * (3 + len(STEP_COLUMNS)))

        def tx(db):
            db.executemany(f"INSERT INTO steps ({cols}) VALUES ({marks})", rows)
            db.execute(
                "UPDATE sessions SET steps = steps + ?, good = good + ?, warn = warn + ?,"
                " bad = bad + ?, unjudged = unjudged + ?,"
                " last_step_at = max(coalesce(last_step_at, 0), ?) WHERE id = ?",
                (
                    len(rows), counts["good"], counts["warn"], counts["bad"], counts[None],
                    last_at, session_id,
                ),
            )  # fmt: skip

        self._write(tx)
        return len(rows)

    def end_session(
        self,
        session_id: int,
        ended_at: float,
        reason: str,
        summary: Mapping[str, Any] | None = None,
    ) -> None:
        """Close a session with why it ended and its summary (a JSON-able dict)."""
        if reason not in END_REASONS:
            raise ValueError(f"unknown end reason {reason!r}, expected one of {END_REASONS}")
        payload = None if summary is None else json.dumps(summary, allow_nan=False)
        self._write(
            lambda db: db.execute(
                "UPDATE sessions SET ended_at = ?, end_reason = ?,"
                " summary_json = coalesce(?, summary_json) WHERE id = ? AND ended_at IS NULL",
                (ended_at, reason, payload, session_id),
            )
        )

    def close_interrupted(self) -> list[int]:
        """Close sessions left open by a crash or power cut; return their ids.

        Each ends at its last stored step (or its start), with reason ``interrupted``.
        """

        def tx(db):
            ids = [r[0] for r in db.execute("SELECT id FROM sessions WHERE ended_at IS NULL")]
            db.execute(
                "UPDATE sessions SET ended_at = coalesce(last_step_at, started_at),"
                " end_reason = 'interrupted' WHERE ended_at IS NULL"
            )
            return ids

        return self._write(tx)

    def session(self, session_id: int) -> dict[str, Any] | None:
        """One session as a dict (``summary`` decoded), or None if there is no such id."""
        row = self.db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else _session_dict(row)

    def sessions(self, limit: int = 50, before_id: int | None = None) -> list[dict[str, Any]]:
        """The newest sessions first (at most ``limit``), optionally older than ``before_id``."""
        rows = self.db.execute(
            "SELECT * FROM sessions WHERE id < ? ORDER BY id DESC LIMIT ?",
            (before_id if before_id is not None else 2**62, limit),
        ).fetchall()
        return [_session_dict(r) for r in rows]

    def open_session(self) -> dict[str, Any] | None:
        """The session still running, if any."""
        row = self.db.execute(
            "SELECT * FROM sessions WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _session_dict(row)

    def steps(self, session_id: int, after_id: int = 0, limit: int = 1_000_000) -> list[dict]:
        """A session's steps in order, as dicts with ``id``, ``at`` and ``STEP_COLUMNS``
        (``problems`` as a list of codes)."""
        cols = ", ".join(("id", "at", *STEP_COLUMNS))
        rows = self.db.execute(
            f"SELECT {cols} FROM steps WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?",
            (session_id, after_id, limit),
        ).fetchall()
        return [_step_dict(r) for r in rows]

    def midstance_poses(self, session_id: int) -> list[dict[str, Any]]:
        """The judged steps of a session that kept a midstance pose, in order: dicts with
        ``id``, ``leg``, ``contact_t``, ``hip_ankle_offset``, ``lean_deg``, ``verdict`` and
        ``pose`` (``{"xy", "vis"}``, :mod:`core.midstance`). Steps stored before poses were
        kept (schema 2) and unjudged steps are left out."""
        rows = self.db.execute(
            "SELECT id, leg, contact_t, hip_ankle_offset, lean_deg, verdict,"
            f" {POSE_COLUMN} AS pose FROM steps WHERE session_id = ? AND verdict IS NOT NULL"
            f" AND {POSE_COLUMN} IS NOT NULL AND hip_ankle_offset IS NOT NULL ORDER BY id",
            (session_id,),
        ).fetchall()
        out = []
        for r in rows:
            d = dict(r)
            d["pose"] = json.loads(d["pose"])
            out.append(d)
        return out

    # -- staff commands ------------------------------------------------------------------

    def post_command(self, kind: str, payload: Mapping[str, Any] | None = None) -> int:
        """Queue a staff command for ``sense`` (e.g. ``reset``); returns its id."""
        return self._write(
            lambda db: (
                db.execute(
                    "INSERT INTO commands (kind, payload_json, created_at) VALUES (?, ?, ?)",
                    (kind, None if payload is None else json.dumps(payload), time.time()),
                ).lastrowid
            )
        )

    def take_commands(self) -> list[dict[str, Any]]:
        """Return the pending commands, oldest first, and mark them taken (by ``sense``)."""

        def tx(db):
            rows = db.execute(
                "SELECT * FROM commands WHERE taken_at IS NULL ORDER BY id"
            ).fetchall()
            if rows:
                db.execute(
                    "UPDATE commands SET taken_at = ? WHERE taken_at IS NULL", (time.time(),)
                )
            return [
                {
                    "id": r["id"],
                    "kind": r["kind"],
                    "payload": json.loads(r["payload_json"]) if r["payload_json"] else None,
                    "created_at": r["created_at"],
                }
                for r in rows
            ]

        return self._write(tx)

    def command(self, command_id: int) -> dict[str, Any] | None:
        """One command with its ``taken_at`` (None until ``sense`` picked it up)."""
        row = self.db.execute("SELECT * FROM commands WHERE id = ?", (command_id,)).fetchone()
        return None if row is None else dict(row)

    # -- settings ------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """Settings saved by staff (they override the config file's values)."""
        return self._saved_settings(self.db)

    def save_settings(self, values: Mapping[str, Any]) -> None:
        """Save (merge) staff settings; ``None`` removes a key."""
        self.change_settings(lambda saved: values)

    def change_settings(self, plan: Callable[[dict[str, Any]], Mapping[str, Any]]) -> dict:
        """Save what ``plan(saved settings)`` returns, in one transaction with the read.

        Two staff saving at once cannot interleave between check and write, so each save is
        checked against what is really stored; an exception from ``plan`` saves nothing.
        Returns the changes saved (``None`` = removed).
        """

        def tx(db):
            writes = dict(plan(self._saved_settings(db)))
            for key, value in writes.items():
                if value is None:
                    db.execute("DELETE FROM settings WHERE key = ?", (key,))
                else:
                    db.execute(
                        "INSERT INTO settings VALUES (?, ?) ON CONFLICT(key)"
                        " DO UPDATE SET value_json = excluded.value_json",
                        (key, json.dumps(value, allow_nan=False)),
                    )
            return writes

        return self._write(tx)

    @staticmethod
    def _saved_settings(db: sqlite3.Connection) -> dict[str, Any]:
        return {
            r["key"]: json.loads(r["value_json"])
            for r in db.execute("SELECT key, value_json FROM settings")
        }

    # -- staff PIN -----------------------------------------------------------------------

    def set_pin(self, pin: str) -> int:
        """Store the staff PIN, hashed with scrypt and a random salt. Never stored in clear.

        Ends every staff session in the same transaction (a new PIN locks out whoever knew the
        old one); returns how many were ended.
        """
        check_pin_format(pin)
        salt = secrets.token_bytes(16)
        digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
        encoded = f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"

        def tx(db):
            db.execute(
                "INSERT INTO staff VALUES (1, ?, ?) ON CONFLICT(id)"
                " DO UPDATE SET pin_hash = excluded.pin_hash, updated_at = excluded.updated_at",
                (encoded, time.time()),
            )
            return db.execute("DELETE FROM staff_sessions").rowcount

        return self._write(tx)

    def has_pin(self) -> bool:
        """True once ``midstance set-pin`` has been run (there is no default PIN)."""
        return self.db.execute("SELECT 1 FROM staff WHERE id = 1").fetchone() is not None

    def check_pin(self, pin: str) -> bool:
        """True if ``pin`` is the staff PIN. Constant-time; False when no PIN is set."""
        row = self.db.execute("SELECT pin_hash FROM staff WHERE id = 1").fetchone()
        if row is None or not isinstance(pin, str) or len(pin) > 64:
            return False
        _, n, r, p, salt, digest = row["pin_hash"].split("$")
        params = dict(_SCRYPT, n=int(n), r=int(r), p=int(p))
        candidate = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), **params)
        return hmac.compare_digest(candidate.hex(), digest)

    # -- staff sessions ----------------------------------------------------------------
    # A staff login is a row here; the browser's cookie holds only its random token, and the
    # table keeps the token's SHA-256, so reading the file gives no usable cookie. Ending a row
    # ends the session at once (logout, a new PIN), which a signed cookie cannot do.

    def open_staff_session(self, now: float | None = None) -> tuple[str, str]:
        """Start a staff session; returns (token for the cookie, CSRF token)."""
        now = time.time() if now is None else now
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)

        def tx(db):
            # Drop sessions nobody has used for a day, so the table stays small.
            db.execute("DELETE FROM staff_sessions WHERE seen_at < ?", (now - 86400,))
            db.execute(
                "INSERT INTO staff_sessions VALUES (?, ?, ?, ?)",
                (_token_hash(token), csrf, now, now),
            )

        self._write(tx)
        return token, csrf

    def staff_session(
        self, token: str, idle_s: float, max_age_s: float, now: float | None = None
    ) -> dict[str, Any] | None:
        """The live staff session of ``token`` (``csrf``, ``created_at``, ``seen_at``), or None
        when there is none, it was idle longer than ``idle_s`` or is older than ``max_age_s``.

        Using a session keeps it alive (``seen_at`` is written at most once a minute, to spare
        the SD card). An expired session is deleted.
        """
        if not isinstance(token, str) or not token or len(token) > 128:
            return None
        now = time.time() if now is None else now
        key = _token_hash(token)
        row = self.db.execute("SELECT * FROM staff_sessions WHERE id = ?", (key,)).fetchone()
        if row is None:
            return None
        if now - row["seen_at"] > idle_s or now - row["created_at"] > max_age_s:
            self.end_staff_session(token)
            return None
        if now - row["seen_at"] > 60:
            self._write(
                lambda db: db.execute(
                    "UPDATE staff_sessions SET seen_at = ? WHERE id = ?", (now, key)
                )
            )
        return {"csrf": row["csrf"], "created_at": row["created_at"], "seen_at": row["seen_at"]}

    def end_staff_session(self, token: str) -> bool:
        """End one staff session (logout); True if it existed."""
        key = _token_hash(token)
        return bool(
            self._write(
                lambda db: db.execute("DELETE FROM staff_sessions WHERE id = ?", (key,)).rowcount
            )
        )

    def end_staff_sessions(self) -> int:
        """End every staff session (a new PIN); returns how many there were."""
        return self._write(lambda db: db.execute("DELETE FROM staff_sessions").rowcount)

    # -- upkeep --------------------------------------------------------------------------

    def prune(
        self,
        keep_days: float,
        keep_sessions: int,
        now: float | None = None,
        keep_mb: float | None = None,
    ) -> int:
        """Apply the retention policy; returns how many sessions were deleted.

        Finished sessions older than ``keep_days`` beyond the newest ``keep_sessions`` go; then,
        while the data takes more than ``keep_mb`` MiB, the oldest finished sessions go whatever
        their age, so the SD card never fills. Steps go with their session; the running session
        is never touched. SQLite reuses the freed pages, so the file stops growing at the cap.
        """
        now = time.time() if now is None else now
        cutoff = now - keep_days * 86400

        def tx(db):
            cur = db.execute(
                "DELETE FROM sessions WHERE ended_at IS NOT NULL AND ended_at < ? AND id NOT IN"
                " (SELECT id FROM sessions ORDER BY id DESC LIMIT ?)",
                (cutoff, keep_sessions),
            )
            db.execute(
                "DELETE FROM commands WHERE taken_at IS NOT NULL AND taken_at < ?", (now - 86400,)
            )
            gone = cur.rowcount
            while keep_mb is not None and _used_bytes(db) > keep_mb * 2**20:
                # Oldest first, a few at a time: sessions vary from seconds to hours.
                cur = db.execute(
                    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions"
                    " WHERE ended_at IS NOT NULL ORDER BY id LIMIT 8)"
                )
                if not cur.rowcount:
                    break  # only the running session is left
                gone += cur.rowcount
            return gone

        return self._write(tx)

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check``: ``"ok"`` for a sound file."""
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]


def _used_bytes(db: sqlite3.Connection) -> int:
    """Bytes of the database file that hold data (its free pages excluded)."""
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    return (pages - free) * db.execute("PRAGMA page_size").fetchone()[0]


def check_pin_format(pin: str) -> None:
    """Raise ValueError unless ``pin`` is 4 to 12 digits."""
    if not (isinstance(pin, str) and pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 12):
        raise ValueError("the staff PIN must be 4 to 12 digits")


def _plain(value: Any) -> Any:
    """numpy scalars and NaN to what sqlite stores (NaN -> null)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _column(name: str, value: Any) -> Any:
    """A step field as stored: lists of codes (:data:`LIST_FIELDS`) comma-separated, else plain."""
    if name in LIST_FIELDS:
        if value is None or isinstance(value, str):
            return value or None
        return ",".join(str(code) for code in value) or None
    return _plain(value)


def _pose_json(pose: Any) -> str | None:
    """A step's midstance pose as stored: compact JSON, or None when missing or malformed
    (a broken pose must not cost the step its numbers)."""
    if not is_pose(pose):
        return None
    return json.dumps(
        {"xy": pose["xy"], "vis": pose["vis"]}, separators=(",", ":"), allow_nan=False
    )


def _codes(raw: str | None) -> list[str]:
    return raw.split(",") if raw else []


def _step_dict(row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    for name in LIST_FIELDS:
        d[name] = _codes(d.get(name))
    return d


def _session_dict(row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    raw = d.pop("summary_json")
    d["summary"] = json.loads(raw) if raw else None
    d.setdefault("unjudged", 0)  # a read-only look at a file not yet migrated
    # The share of good steps among the judged ones: an unjudged step is no evidence of form.
    judged = d["good"] + d["warn"] + d["bad"]
    d["good_share"] = d["good"] / judged if judged else None
    return d


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a store written by an older version up to :data:`SCHEMA_VERSION`, keeping every row.

    Version 3 -> 4: ``steps`` gains ``reasons`` (null, read as ``[]``, for old rows), added in
    place. Version 2 -> 3: ``steps`` gains the ``midstance_pose`` column (null for old rows), added
    in place. Version 1 -> 2: ``steps.verdict`` may be null and ``steps.problems`` is new.
    SQLite cannot change a CHECK constraint in place, so the table is rebuilt (create the new
    one, copy, drop, rename: https://www.sqlite.org/lang_altertable.html#otheralter) in one
    transaction, with foreign keys off meanwhile so the copy does not cascade; ``sessions`` gains
    ``unjudged`` (0 for old rows). ``PRAGMA user_version`` guards it: a second process opening
    the file at the same time waits for the lock, then sees the new version and does nothing.
    A crash half-way rolls back to the old file, which the next open migrates again.
    """
    if db.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
        return
    db.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: set before BEGIN
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            old = [r[1] for r in db.execute("PRAGMA table_info(steps)")]
            if version < 2 and "steps" in tables:
                keep = ", ".join(c for c in ("id", "session_id", "at", *STEP_COLUMNS) if c in old)
                db.execute(_STEPS_CREATE.replace("steps", "steps_new", 1))
                db.execute(f"INSERT INTO steps_new ({keep}) SELECT {keep} FROM steps")
                db.execute("DROP TABLE steps")
                db.execute("ALTER TABLE steps_new RENAME TO steps")
                db.execute("CREATE INDEX IF NOT EXISTS steps_by_session ON steps(session_id, id)")
            elif "steps" in tables:
                for column in (POSE_COLUMN, "reasons"):
                    if column not in old:
                        db.execute(f"ALTER TABLE steps ADD COLUMN {column} TEXT")
            if "sessions" in tables:
                cols = [r[1] for r in db.execute("PRAGMA table_info(sessions)")]
                if "unjudged" not in cols:
                    db.execute(
                        "ALTER TABLE sessions ADD COLUMN unjudged INTEGER NOT NULL DEFAULT 0"
                    )
            if tables & {"steps", "sessions"}:
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    finally:
        db.execute("PRAGMA foreign_keys=ON")
