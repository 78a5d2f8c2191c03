"""Helpers for the store tests: store files as an older version of the schema left them."""

from __future__ import annotations

import sqlite3


def downgrade(path, column: str, version: int) -> None:
    """Make the store file at ``path`` a schema ``version`` file: the ``steps`` table without
    ``column`` (added by the next version) and the old ``user_version``, as that version shipped."""
    db = sqlite3.connect(path)
    db.execute(f"ALTER TABLE steps DROP COLUMN {column}")
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()


def schema_of(path) -> tuple[int, list[str]]:
    """The store file's ``user_version`` and its ``steps`` columns, read with plain sqlite3."""
    db = sqlite3.connect(path)
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        return version, [r[1] for r in db.execute("PRAGMA table_info(steps)")]
    finally:
        db.close()
