"""What the runner sees right now: ``GET /api/live`` and its Server-Sent Events stream.

Both read the live snapshot that ``sense`` rewrites several times a second (common.snapshot);
neither touches the store, so a phone watching the run costs a file read, not a query.
"""

from __future__ import annotations

import json
import math
import threading
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import ServiceUnavailable, TooManyRequests

from common import snapshot
from core import cadence, midstance
from web import security
from web.args import flag_arg
from web.parts import parts

bp = Blueprint("live", __name__)

#: The fields of ``GET /api/live``: the snapshot's (the first nine are the API contract), the
#: landmarks left to ``?skeleton=1``, and when the snapshot was written.
LIVE_FIELDS: tuple[str, ...] = (
    *(key for key in snapshot.FIELDS if key != "skeleton"),
    "written_at",
)

#: Plain-language cues by LED state, for when ``sense`` gives none.
DEFAULT_CUES = {
    "good": "Nice: hip over the foot at midstance, lean from the ankles.",
    "warn": "Almost: bring the hip over the foot as it lands.",
    "bad": "Hip behind the foot at midstance: lean from the ankles, not the hips.",
    "no_runner": "Step onto the belt and start running.",
    "not_judging": "Can't see your legs clearly: stay in the middle of the belt.",
    "fault": "The kiosk has a problem: please tell the staff.",
    "off": "The kiosk is starting.",
}
OFFLINE_CUE = "The kiosk is not sensing right now."

#: What anyone sees of a fault (``sense`` words it for the installer: staff get it in full
#: as ``fault_detail``, and ``midstance doctor`` says how to fix it).
PUBLIC_FAULTS = {
    "camera": "The camera is not working right now: please tell the staff.",
    "store": "The kiosk cannot save sessions right now: please tell the staff.",
}
PUBLIC_FAULT = "The kiosk has a problem: please tell the staff."
FIRST_STEPS_CUE = "Judging your first steps…"
#: While a runner's first strides are timed but the view is still being checked
#: (``view_unchecked``): the legs are seen, so "can't see your legs" would be wrong.
CHECKING_CUE = "Checking the view over your first strides: keep running."

#: Seconds a client refused a stream is told to wait (``Retry-After``).
RETRY_AFTER_S = 5


def live_payload(run_dir: str, *, skeleton: bool = False, staff: bool = False) -> dict[str, Any]:
    """The live state as the API shows it; with ``skeleton``, the landmarks for the setup view;
    with ``staff``, ``fault_detail``: the fault in ``sense``'s own words."""
    snap = snapshot.read(run_dir)
    live = {key: snap.get(key) for key in LIVE_FIELDS}
    live["recent_steps"] = [
        dict(step, problems=_codes(step.get("problems")), reasons=_codes(step.get("reasons")))
        for step in live["recent_steps"] or []
        if isinstance(step, dict)
    ]
    live["steps"] = live["steps"] or 0
    live["fault"] = public_fault(live["fault"])
    live["capture"] = capture_of(snap)
    live["midstance"] = live["midstance"] if midstance_ok(live["midstance"]) else None
    # The runner's own step-rate target (core.cadence) and the trend cue (core.cues): what
    # sense wrote, checked, with the distance to the target worked out here.
    live["cadence_target"] = cadence.target_view(live["cadence_target"], live["cadence_spm"])
    trend = live["trend_cue"]
    running = live["state"] == "running" and not live["capture"]["problems"]
    live["trend_cue"] = trend if running and isinstance(trend, str) and trend else None
    if not live["cue"]:
        offline = live["state"] == "offline"
        problems = live["capture"]["problems"]
        if offline:
            live["cue"] = OFFLINE_CUE
        elif problems:
            live["cue"] = not_judging_cue(problems)
        elif live["led"] in ("good", "warn", "bad") and not live["steps"]:
            live["cue"] = FIRST_STEPS_CUE  # no step counted yet: nothing to praise or correct
        elif live["led"] == "not_judging" and _checking(live["recent_steps"]):
            live["cue"] = CHECKING_CUE
        else:
            live["cue"] = DEFAULT_CUES.get(live["led"], "")
    if skeleton:
        live["skeleton"] = snap.get("skeleton")
    if staff:
        live["fault_detail"] = str(snap["fault"]) if snap.get("fault") else None
    return live


def _checking(recent: list[dict]) -> bool:
    """The latest step was left unjudged only because the view is still being checked."""
    return bool(recent) and recent[-1].get("problems") == ["view_unchecked"]


def _codes(value: Any) -> list[str]:
    """A recent step's list of codes (``problems``, ``reasons``); a damaged one reads empty."""
    if not isinstance(value, list):
        return []
    return [code for code in value if isinstance(code, str)]


def public_fault(detail: Any) -> str | None:
    """The runners' words for a fault ``sense`` reported (None when there is none): which
    part failed, never the internal message (module names, commands, paths)."""
    if not detail:
        return None
    parts = {p.split(":", 1)[0].strip() for p in str(detail).split(";")}
    return PUBLIC_FAULTS.get(parts.pop(), PUBLIC_FAULT) if len(parts) == 1 else PUBLIC_FAULT


def midstance_ok(figure: Any) -> bool:
    """True for a latest-step figure the page can draw (a damaged snapshot gives none)."""
    return isinstance(figure, dict) and midstance.is_pose(figure)


def capture_of(snap: dict[str, Any]) -> dict[str, Any]:
    """The snapshot's ``capture`` as the API shows it: ``{"ok", "problems": [{"code",
    "message", "share"}]}``, whatever an older or damaged snapshot holds."""
    raw = snap.get("capture")
    raw = raw if isinstance(raw, dict) else {}
    problems = []
    for p in raw.get("problems") or []:
        if isinstance(p, dict) and isinstance(p.get("code"), str):
            share = p.get("share")
            problems.append({
                "code": p["code"],
                "message": str(p.get("message") or p["code"].replace("_", " ")),
                "share": share if isinstance(share, int | float) and math.isfinite(share) else None,
            })  # fmt: skip
    return {"ok": not problems, "problems": problems}


def not_judging_cue(problems: list[dict[str, Any]]) -> str:
    """The cue while capture problems are in force: what to change, in words."""
    return "Not judging: " + "; ".join(p["message"] for p in problems)


class StreamSlots:
    """The open live streams: at most ``total``, and at most ``per_client`` from one address,
    so one device holding many streams cannot lock every phone out."""

    def __init__(self, total: int, per_client: int):
        self.total = total
        self.per_client = per_client
        self._lock = threading.Lock()
        self._open: dict[str, int] = {}

    def acquire(self, client: str) -> str | None:
        """Take a slot for ``client``: None, or why not (``"client"`` or ``"total"``)."""
        with self._lock:
            if self._open.get(client, 0) >= self.per_client:
                return "client"
            if sum(self._open.values()) >= self.total:
                return "total"
            self._open[client] = self._open.get(client, 0) + 1
            return None

    def release(self, client: str) -> None:
        """Give back a slot taken by :meth:`acquire`."""
        with self._lock:
            left = self._open.get(client, 0) - 1
            if left > 0:
                self._open[client] = left
            else:
                self._open.pop(client, None)

    def count(self) -> int:
        """Streams open now."""
        with self._lock:
            return sum(self._open.values())


class LiveFeed:
    """The live state shared by every open stream: the snapshot is read and encoded at most
    once per ``interval`` however many phones watch (fifty streams cost one file read)."""

    def __init__(self, run_dir: str, interval: float):
        self.run_dir = run_dir
        self.interval = interval
        self._lock = threading.Lock()
        # skeleton flag -> [checked_at, version, what is shown, event text]
        self._cache: dict[bool, list] = {}

    def event(self, skeleton: bool = False) -> tuple[int, str]:
        """``(version, event text)`` of the live state; the version grows with each change."""
        with self._lock:
            entry = self._cache.setdefault(skeleton, [-math.inf, 0, None, ""])
            now = time.monotonic()
            if now - entry[0] >= self.interval:
                live = live_payload(self.run_dir, skeleton=skeleton)
                # written_at ticks on every write; only a change of what is shown is news.
                shown = {k: v for k, v in live.items() if k != "written_at"}
                if shown != entry[2]:
                    data = json.dumps(live, separators=(",", ":"))
                    entry[1:] = [entry[1] + 1, shown, f"event: live\ndata: {data}\n\n"]
                entry[0] = now
            return entry[1], entry[3]


@bp.get("/api/live")
def live():
    """The live numbers, one JSON object; for a staff session also ``fault_detail``."""
    skeleton = flag_arg("skeleton", False)
    run_dir = current_app.config["RUN_DIR"]
    return jsonify(live_payload(run_dir, skeleton=skeleton, staff=security.is_staff()))


@bp.get("/api/live/stream")
def stream():
    """Server-Sent Events: a ``live`` event whenever the numbers change, at most ~4 per second.

    A comment line every few seconds keeps proxies from timing out and lets the server notice
    gone clients. The stream ends after ``SSE_MAX_AGE_S``; EventSource then reconnects by
    itself (``retry`` tells it how soon), so no client holds a worker thread for ever.
    """
    ext = parts()
    client = security.client_id()
    refused = ext.streams.acquire(client)
    # The page falls back to polling /api/live and retries the stream with backoff.
    if refused == "client":
        raise TooManyRequests(
            description="too many live streams from this device: close some tabs",
            retry_after=RETRY_AFTER_S,
        )
    if refused:
        raise ServiceUnavailable(
            description="too many live streams, try again shortly", retry_after=RETRY_AFTER_S
        )
    cfg = current_app.config
    skeleton = flag_arg("skeleton", False)
    feed, stopping, metrics = ext.feed, ext.stopping, ext.metrics
    interval, keepalive, max_age = (
        cfg["SSE_INTERVAL_S"], cfg["SSE_KEEPALIVE_S"], cfg["SSE_MAX_AGE_S"]
    )  # fmt: skip

    # waitress tells when the client has gone (other servers: notice at the next write).
    gone = request.environ.get("waitress.client_disconnected", lambda: False)

    def events():
        yield "retry: 1000\n\n"
        started = last_sent = time.monotonic()
        seen = 0
        while not stopping.is_set() and not gone() and time.monotonic() - started < max_age:
            version, text = feed.event(skeleton)
            now = time.monotonic()
            if version != seen:
                seen, last_sent = version, now
                yield text
            elif now - last_sent >= keepalive:
                last_sent = now
                yield ": keepalive\n\n"
            stopping.wait(interval)

    def release():
        metrics.streams.dec()
        ext.streams.release(client)

    metrics.streams.inc()
    response = Response(events(), mimetype="text/event-stream")
    # Called by the WSGI server however the stream ends, even if it never started.
    response.call_on_close(release)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # in case a proxy is put in front
    return response
