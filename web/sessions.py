"""Sessions: the history list, one session's summary and steps, CSV and JSON downloads."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

from flask import Blueprint, Response, abort, jsonify

from common.store import LIST_FIELDS, STEP_COLUMNS
from core import midstance
from web.args import flag_arg, int_arg
from web.jsonout import clean
from web.parts import get_store, parts

bp = Blueprint("sessions", __name__, url_prefix="/api/sessions")

#: Columns of the CSV download, in order (new step fields are appended to the store's list, so
#: existing columns keep their places).
CSV_FIELDS: tuple[str, ...] = ("step", "at", *STEP_COLUMNS)

#: Decimals each number of the CSV is rounded to: milliseconds for times, a millimetre-ish
#: 0.001 leg length (about 1 mm for a 90 cm leg, below the pose's noise), a tenth of a degree
#: and of a step per minute. The JSON keeps full precision.
CSV_DIGITS: dict[str, int] = {
    "at": 3, "contact_t": 3, "midstance_t": 3, "toe_off_t": 3, "contact_time_s": 3,
    "hip_ankle_offset": 3, "overstride": 3, "bounce": 3,
    "lean_deg": 1, "trunk_deg": 1, "hip_bend_deg": 1, "knee_flexion_ic_deg": 1,
    "cadence_spm": 1,
}  # fmt: skip

#: The unit of each number column of the CSV. Lengths stay in leg lengths (hip to ankle) in
#: the file: the kiosk never learns the runner's height (the page shows cm from a height kept
#: in the runner's own browser), and the column names are a contract, so the units are named
#: in the ``X-Midstance-Units`` header, the OpenAPI description and beside the download button.
CSV_UNITS: dict[str, str] = {
    "at": "unix seconds", "contact_t": "s", "midstance_t": "s", "toe_off_t": "s",
    "contact_time_s": "s", "hip_ankle_offset": "leg lengths", "overstride": "leg lengths",
    "bounce": "leg lengths", "lean_deg": "deg", "trunk_deg": "deg", "hip_bend_deg": "deg",
    "knee_flexion_ic_deg": "deg", "cadence_spm": "steps/min",
}  # fmt: skip

MAX_LIST = 200


def _session_or_404(session_id: int) -> dict[str, Any]:
    session = get_store().session(session_id) if 0 < session_id < 2**62 else None
    if session is None:
        abort(404, description=f"no session {session_id}")
    return session


def session_report(session_id: int, *, with_steps: bool = True) -> dict[str, Any]:
    """Everything about one session: the stored row, statistics, chart series and steps."""
    session = _session_or_404(session_id)
    duration_s = max((session["ended_at"] or time.time()) - session["started_at"], 0.0)
    summaries = parts().summaries
    summary, series = summaries.get(session, duration_s)
    report = {
        "session": session,
        "verdicts": {v: session[v] for v in ("good", "warn", "bad")},
        "summary": summary,
        "series": series,
    }
    if with_steps:
        report["steps"] = get_store().steps(session_id)
    return report


@bp.get("")
def list_sessions():
    """The newest sessions first; ``?limit=N&before=ID`` pages back through history."""
    limit = int_arg("limit", 50, 1, MAX_LIST)
    before = int_arg("before", None, 1, 2**62)
    sessions = get_store().sessions(limit=limit, before_id=before)
    next_before = sessions[-1]["id"] if len(sessions) == limit else None
    return jsonify(sessions=sessions, next_before=next_before)


@bp.get("/<int:session_id>")
def one_session(session_id: int):
    """Summary, verdict counts, chart series and (unless ``?steps=0``) every step."""
    with_steps = flag_arg("steps", True)
    return jsonify(session_report(session_id, with_steps=with_steps))


@bp.get("/<int:session_id>/midstance")
def session_midstance(session_id: int):
    """The session's midstance, to draw: the typical one beside the best and the worst step.

    Each is ``{"xy": [[x, y] | null] x 33, "vis": [v] x 33, "hip_ankle_offset", "lean_deg",
    "steps"}``, landmarks in leg lengths with the stance ankle at the origin, x forward, y up
    (:mod:`core.midstance`). Typical: the per-landmark median over the judged steps, with the
    medians of their offset and lean. Best: the judged step whose hip is furthest ahead of the
    ankle (the largest ``hip_ankle_offset``: sitting back, the hip behind the ankle, is the
    fault the figure shows); worst: the smallest. ``steps`` is how many steps each stands for.
    A session without judged steps (or stored before poses were kept) answers ``steps: 0``
    with every point null; best and worst are null then.
    """
    _session_or_404(session_id)
    rows = get_store().midstance_poses(session_id)
    if not rows:
        return jsonify(_figure(midstance.empty(), None, None, 0) | {"best": None, "worst": None})
    typical = _figure(
        midstance.typical(r["pose"] for r in rows),
        _median([r["hip_ankle_offset"] for r in rows]),
        _median([r["lean_deg"] for r in rows if r["lean_deg"] is not None]),
        len(rows),
    )
    best = max(rows, key=lambda r: r["hip_ankle_offset"])
    worst = min(rows, key=lambda r: r["hip_ankle_offset"])
    return jsonify(typical | {"best": _step_figure(best), "worst": _step_figure(worst)})


def _figure(pose: dict, offset: float | None, lean: float | None, steps: int) -> dict:
    return {
        "xy": pose["xy"],
        "vis": pose["vis"],
        "hip_ankle_offset": None if offset is None else round(offset, 4),
        "lean_deg": None if lean is None else round(lean, 2),
        "steps": steps,
    }


def _step_figure(row: dict) -> dict:
    """One step's figure, with which step it is (store id, leg, contact time, verdict)."""
    figure = _figure(row["pose"], row["hip_ankle_offset"], row["lean_deg"], 1)
    return figure | {k: row[k] for k in ("id", "leg", "contact_t", "verdict")}


def _median(values: list[float]) -> float | None:
    values = sorted(values)
    n = len(values)
    if not n:
        return None
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


@bp.get("/<int:session_id>.json")
def download_json(session_id: int):
    """The whole session as a JSON file to keep."""
    body = json.dumps(clean(session_report(session_id)), indent=1, allow_nan=False)
    return _download(body, f"midstance-session-{session_id}.json", "application/json")


@bp.get("/<int:session_id>.csv")
def download_csv(session_id: int):
    """The session's steps as CSV, one row per step (times in seconds from the start)."""
    _session_or_404(session_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for n, step in enumerate(get_store().steps(session_id), start=1):
        row = {"step": n, **step}
        for name in LIST_FIELDS:  # codes separated by spaces: one cell each
            row[name] = " ".join(step.get(name) or [])
        for name, digits in CSV_DIGITS.items():
            if isinstance(row.get(name), float):
                row[name] = f"{round(row[name], digits) + 0.0:.{digits}f}"  # + 0.0: no "-0.0"
        writer.writerow(["" if row.get(f) is None else row[f] for f in CSV_FIELDS])
    response = _download(out.getvalue(), f"midstance-session-{session_id}.csv", "text/csv")
    response.headers["X-Midstance-Units"] = "; ".join(f"{k}={v}" for k, v in CSV_UNITS.items())
    return response


def _download(body: str, filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
