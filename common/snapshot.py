"""The live snapshot: what ``sense`` is seeing right now, as one small JSON file.

``sense`` rewrites it several times a second in the runtime directory (a tmpfs on the Pi, so
the SD card is not worn); ``web`` reads it for ``/api/live``, the SSE stream and the setup
view. Writes are atomic (temporary file + ``os.replace``), so a reader never sees half a file.

Format ``midstance-live/1`` (all keys always present, values may be null)::

    {"format": "midstance-live/1", "written_at": unix_s, "seq": n,
     "session_id": int|null, "state": "running|idle|no_runner|not_judging|fault|starting",
     "led": "good|warn|bad|no_runner|not_judging|fault|off",
     "cadence_spm", "lean_deg", "hip_ankle_offset", "good_share", "steps", "duration_s",
     "fps": frames/s of the loop, "fault": str|null, "cue": str|null,
     "facing": "left|right"|null,
     "skeleton": {"width", "height", "xy": [[x, y]|null x33], "vis": [x33]}|null,
     "recent_steps": [{"leg", "t", "verdict", "lean_deg", "hip_ankle_offset", "problems",
                       "reasons"}, ...],
     "midstance": {"xy": [[x, y]|null x33], "vis": [x33], "hip_ankle_offset", "lean_deg",
                   "steps": 1, "leg", "t", "verdict"}|null,
     "capture": {"ok": bool, "problems": [{"code", "message", "share"}, ...]},
     "cadence_target": {"pct", "settled_spm": float|null}|null,
     "trend_cue": str|null}

A recent step's ``verdict`` is null when it was timed but not judged; its ``problems`` are the
capture problem codes (:mod:`core.capture`) then in force. ``capture`` holds the problems in
force now: while any is, the LED shows ``not_judging`` and the pages say what to change.
``midstance`` is the latest judged step's pose at midstance (:mod:`core.midstance`: leg
lengths, stance ankle at the origin, x forward, y up), null before the first.
``cadence_target`` is set while staff chose a target above the runner's own cadence
(:mod:`core.cadence`; ``settled_spm`` null until the runner settles); ``trend_cue`` names an
over-leaning pattern over the recent steps (:mod:`core.cues`), null when none holds.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

FORMAT = "midstance-live/1"
FILENAME = "live.json"

#: A snapshot older than this means ``sense`` is not running (or stuck).
STALE_AFTER_S = 3.0

FIELDS: tuple[str, ...] = (
    "session_id", "state", "led", "cadence_spm", "lean_deg", "hip_ankle_offset",
    "good_share", "steps", "duration_s", "fps", "fault", "cue", "facing", "skeleton",
    "recent_steps", "capture", "midstance", "cadence_target", "trend_cue",
)  # fmt: skip


def capture_ok() -> dict[str, Any]:
    """The ``capture`` field when no problem is in force (or nothing is known)."""
    return {"ok": True, "problems": []}


def blank(state: str = "starting", led: str = "off") -> dict[str, Any]:
    """Return a snapshot dict with every field present and nothing measured yet."""
    snap: dict[str, Any] = dict.fromkeys(FIELDS)
    snap.update(format=FORMAT, state=state, led=led, steps=0, recent_steps=[], capture=capture_ok())
    return snap


def write(run_dir: str | os.PathLike, snapshot: dict[str, Any]) -> None:
    """Atomically replace ``run_dir/live.json`` with ``snapshot`` (adds ``written_at``)."""
    run_dir = Path(run_dir)
    data = dict(snapshot, format=FORMAT, written_at=time.time())
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False).encode()
    fd, tmp = tempfile.mkstemp(prefix=".live-", dir=run_dir)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.replace(tmp, run_dir / FILENAME)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read(run_dir: str | os.PathLike, *, now: float | None = None) -> dict[str, Any]:
    """Read the snapshot; a missing, unreadable or stale one reads as state ``offline``.

    Never raises for a bad file: the page must keep working while ``sense`` restarts.
    """
    path = Path(run_dir) / FILENAME
    try:
        snap = json.loads(path.read_bytes())
        if not isinstance(snap, dict) or snap.get("format") != FORMAT:
            raise ValueError("not a midstance-live/1 snapshot")
    except (OSError, ValueError):
        return blank(state="offline", led="off") | {"written_at": None}
    now = time.time() if now is None else now
    if now - float(snap.get("written_at") or 0) > STALE_AFTER_S:
        # What a stopped sense last saw is not the view now.
        snap = snap | {"state": "offline", "led": "off", "capture": capture_ok()}
    for key in FIELDS:
        snap.setdefault(key, None)
    if not isinstance(snap["capture"], dict):  # a snapshot from before capture problems
        snap["capture"] = capture_ok()
    return snap
