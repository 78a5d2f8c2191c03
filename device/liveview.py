"""The live view: what the loop shows the page, as the ``common.snapshot`` file.

Written at most ``hz`` times a second (and at once when a step is decided), so the page and
``doctor`` follow the runner without the loop waiting on the disk. The snapshot carries the
state, the LED, the session's figures and latest steps, the skeleton of the latest frame
(landmarks only: never an image), the capture problems in force and the latest judged
midstance figure.

Example::

    view = LiveView("/run/midstance", hz=4)
    view.write(sense, force=True)      # sense: the running device.runtime.Sense
    view.clear()                       # the appliance stopped: idle, LED off
"""

from __future__ import annotations

import contextlib
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from common import snapshot
from common.jsonsafe import clean
from common.vocabulary import VERDICTS
from core import cadence, cues

#: Recent steps the snapshot lists (the page's dots); the trend cue looks further back.
SHOWN_STEPS = 12


class LiveView:
    """Builds the snapshot from a running loop and writes it into ``run_dir``.

    :attr:`error` says why the last write failed (None when it went); :attr:`seq` counts the
    snapshots written.
    """

    def __init__(self, run_dir: str | Path, hz: float):
        self.run_dir = Path(run_dir)
        self.hz = hz
        self.seq = 0
        self.error: str | None = None
        self._last = 0.0

    def write(self, sense: Any, force: bool = False) -> None:
        """Write the snapshot of ``sense`` if one is due (or ``force``)."""
        now = time.monotonic()
        if not force and now - self._last < 1.0 / self.hz:
            return
        self._last = now
        self.seq += 1
        try:
            snapshot.write(self.run_dir, self.build(sense))
            self.error = None
        except OSError as exc:
            self.error = str(exc)

    def clear(self) -> None:
        """The appliance stopped: an idle snapshot with the LED off (a failure is ignored)."""
        with contextlib.suppress(OSError):
            snapshot.write(self.run_dir, snapshot.blank(state="idle", led="off"))

    def build(self, sense: Any) -> dict[str, Any]:
        """The snapshot dict of ``sense`` (``common.snapshot`` format, every field filled)."""
        sessions, analyzer = sense.sessions, sense.analyzer
        active = sessions.active
        snap = snapshot.blank()
        recent = list(sessions.recent)[-5:]
        t0 = sessions.t0
        duration = (sense.t - t0) if active and t0 is not None else None
        # Over the judged steps only: a step the view could not judge is no evidence of form.
        counts = sessions.stats.counts
        judged = sum(counts.values())
        good_share = counts["good"] / judged if judged else None
        last = sessions.recent[-1] if sessions.recent else None
        capture = capture_view(sense.problems)
        cue = None
        if capture["problems"]:
            # The installer's words: what to change so the kiosk can judge again.
            cue = "Not judging: " + "; ".join(p["message"] for p in capture["problems"])
        elif last is not None and active:
            from core.verdict import cue as make_cue

            cue = make_cue(last.get("reasons") or [])
        snap.update(
            session_id=sessions.session_id,
            state=state(sense),
            led=sense.indicator.state,
            cadence_spm=_round(getattr(analyzer, "cadence_spm", None), 1),
            lean_deg=_round(_median([s.get("lean_deg") for s in recent]), 2),
            hip_ankle_offset=_round(_median([s.get("hip_ankle_offset") for s in recent]), 3),
            good_share=_round(good_share, 3),
            steps=sessions.stats.steps if active else 0,
            duration_s=_round(duration, 2),
            fps=_round(sense.fps, 1),
            fault=sense.fault,
            cue=cue,
            facing=getattr(analyzer, "facing", None),
            skeleton=skeleton(analyzer, sense.frame_size),
            recent_steps=[
                {
                    "leg": s.get("leg"),
                    "t": _round(s.get("contact_t"), 3),
                    "verdict": s.get("verdict"),
                    "lean_deg": _round(s.get("lean_deg"), 2),
                    "hip_ankle_offset": _round(s.get("hip_ankle_offset"), 3),
                    "problems": list(s.get("problems") or []),
                    "reasons": list(s.get("reasons") or []),
                }
                for s in list(sessions.recent)[-SHOWN_STEPS:]
            ],
            capture=capture,
            midstance=latest_midstance(sessions.recent) if active else None,
            cadence_target=(
                cadence.snapshot_field(sense.thresholds.cadence_target_pct, analyzer.settled.spm)
                if active
                else None
            ),
            trend_cue=cues.trend_cue(sessions.recent) if active else None,
        )
        snap["seq"] = self.seq
        return snap


def state(sense: Any) -> str:
    """The live state (``common.vocabulary``): fault, running, not_judging, no_runner, idle
    or starting."""
    led = sense.indicator.state
    if sense.fault:
        return "fault"
    if led in VERDICTS:
        return "running"
    if led == "not_judging":
        return "not_judging"
    if sense.sessions.active:
        return "no_runner"
    return "idle" if sense.frames else "starting"


def latest_midstance(recent) -> dict[str, Any] | None:
    """The snapshot's ``midstance``: the latest judged step's figure, None before one."""
    for s in reversed(recent):
        pose = s.get("midstance_pose")
        if s.get("verdict") is not None and pose and s.get("hip_ankle_offset") is not None:
            return {
                "xy": pose["xy"],
                "vis": pose["vis"],
                "hip_ankle_offset": _round(s.get("hip_ankle_offset"), 4),
                "lean_deg": _round(s.get("lean_deg"), 2),
                "steps": 1,
                "leg": s.get("leg"),
                "t": _round(s.get("contact_t"), 3),
                "verdict": s.get("verdict"),
            }
    return None


def capture_view(problems) -> dict[str, Any]:
    """The snapshot's ``capture``: the problems in force at the latest frame."""
    problems = [p.as_dict() if hasattr(p, "as_dict") else dict(p) for p in problems]
    return {"ok": not problems, "problems": clean(problems)}


def skeleton(analyzer: Any, frame_size: tuple[int, int] | None) -> dict | None:
    """The snapshot's ``skeleton``: the analyzer's smoothed landmarks of the latest frame, in
    pixels of a ``frame_size`` (width, height) frame; None before one."""
    if frame_size is None:
        return None
    try:
        xy, vis = analyzer.pose
    except Exception:
        return None
    if xy is None:
        return None
    xy = np.asarray(xy, dtype=float)
    vis = np.zeros(len(xy)) if vis is None else np.asarray(vis, dtype=float)
    return {
        "width": frame_size[0],
        "height": frame_size[1],
        "xy": [
            [round(float(x), 1), round(float(y), 1)] if math.isfinite(x + y) else None
            for x, y in xy
        ],
        "vis": [round(float(v), 3) if math.isfinite(v) else 0.0 for v in vis],
    }


def _round(value: Any, digits: int = 3) -> float | None:
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def _median(values: list) -> float | None:
    values = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.median(values)) if values else None
