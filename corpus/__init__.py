"""The evaluation corpus: real inputs (videos, landmark traces) each with a truth file.

``python -m corpus OUTDIR`` builds it from the shared real data (the items: ``corpus.items``);
``midstance eval OUTDIR`` scores the analysis against it.

This module holds the truth itself: gait events known in *time* (from a force plate, from
markers or from a frame-by-frame annotation) turned into 0-based frame indices of one input,
in the ``<stem>.contacts.json`` format (ARCHITECTURE section 5):

- ic = the first frame at or after the contact began: ``ceil(t_on * fps)``;
- to = the last frame at or before it ended: ``floor(t_off * fps)``;
- ms = the frame of the lowest pelvis between them (only for a whole stance in the input).

Contacts cut by either end of the input keep whichever event falls inside it. An unevenly
timed input (a phone clip that dropped frames) is read by its own frame times instead of
``k / fps``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np

from core.evaluate import exact_ic_times, truth_cadence_spm

# Frame times are k / fps; a contact time that is a whole frame up to rounding must not
# slip to the next frame.
_EPS = 1e-6


def contact_frames(
    t_on: float | None,
    t_off: float | None,
    fps: float,
    n: int,
    times: np.ndarray | None = None,
):
    """``(ic, to)`` frames of one contact in an input of ``n`` frames at ``fps`` (None = outside).

    ``t_on``/``t_off`` are seconds from the input's first frame, None when unknown (the contact
    was already going at the start, or still going at the end, of the recording). ``times``:
    the input's own frame times (seconds from its first frame) for an unevenly timed input,
    such as a phone clip that dropped frames; frame ``k`` is at ``k / fps`` without them.
    """
    ic = to = None
    if times is not None:
        eps = _EPS / fps
        if t_on is not None and t_on >= -eps:
            k = int(np.searchsorted(times, t_on - eps, side="left"))
            ic = k if k <= n - 1 else None
        if t_off is not None and t_off <= times[n - 1] + eps:
            k = int(np.searchsorted(times, t_off + eps, side="right")) - 1
            to = k if k >= 0 else None
        return ic, to
    if t_on is not None and t_on >= -_EPS:
        k = math.ceil(t_on * fps - _EPS)
        ic = k if k <= n - 1 else None
    if t_off is not None and t_off <= (n - 1) / fps + _EPS:
        k = math.floor(t_off * fps + _EPS)
        to = k if k >= 0 else None
    return ic, to


def stance_events(
    contacts: dict[str, Sequence[tuple[float | None, float | None]]],
    near: str,
    fps: float,
    n: int,
    pelvis_height: Callable[[np.ndarray], np.ndarray],
    times: np.ndarray | None = None,
) -> list[dict]:
    """Truth events for one input from contacts in seconds, sorted by frame.

    ``contacts`` maps the anatomical leg ("left"/"right") to its ``(t_on, t_off)`` intervals;
    ``near`` is the leg nearer the camera; ``pelvis_height(times)`` gives the pelvis height
    (any unit, up positive) at the given times, for the midstance frame; ``times``: the
    input's own frame times when uneven (:func:`contact_frames`).
    """
    at = np.arange(n) / fps if times is None else np.asarray(times, dtype=float)
    events = []
    for leg, intervals in contacts.items():
        role = "near" if leg == near else "far"
        for t_on, t_off in intervals:
            ic, to = contact_frames(t_on, t_off, fps, n, times)
            # "t": the force plate's own time, which the frame rounds (to 33 ms at 30 fps)
            if ic is not None:
                events.append({"leg": role, "type": "ic", "frame": ic, "t": round(t_on, 4)})
            if to is not None:
                events.append({"leg": role, "type": "to", "frame": to, "t": round(t_off, 4)})
            if ic is not None and to is not None and to >= ic:
                frames = np.arange(ic, to + 1)
                ms = int(frames[np.argmin(pelvis_height(at[frames]))])
                events.append({"leg": role, "type": "ms", "frame": ms})
    order = {"ic": 0, "ms": 1, "to": 2}
    return sorted(events, key=lambda e: (e["frame"], order[e["type"]], e["leg"]))


def cadence_spm(events: Sequence[dict], fps: float) -> float | None:
    """Steps per minute from the ICs of both legs, as ``midstance eval`` scores it
    (:func:`core.evaluate.truth_cadence_spm`: a contact left out, say one hidden from the
    camera, does not lower it); None without a stride."""
    frames = {
        leg: np.sort([e["frame"] / fps for e in events if e["type"] == "ic" and e["leg"] == leg])
        for leg in ("near", "far")
    }
    return truth_cadence_spm(exact_ic_times({"events": events}) or frames)


def contact_times(events: Sequence[dict], fps: float) -> list[float]:
    """Contact times in seconds (``(to - ic + 1) / fps``) of every whole stance, both legs."""
    out = []
    for leg in ("near", "far"):
        evs = sorted(
            (e["frame"], e["type"]) for e in events if e["leg"] == leg and e["type"] != "ms"
        )
        for (f0, a), (f1, b) in itertools.pairwise(evs):
            if a == "ic" and b == "to":
                out.append((f1 - f0 + 1) / fps)
    return out


def truth(fps: float, facing: str, near_leg: str, events: list[dict], source: str, **extra) -> dict:
    """A truth document (``<stem>.contacts.json``) with its summary figures."""
    doc = {"fps": fps, "facing": facing, "near_leg": near_leg, "events": events}
    doc.update(extra)
    rate = float(extra.get("capture_fps", fps))
    cadence = cadence_spm(events, rate)
    doc["cadence_spm"] = None if cadence is None else round(cadence, 2)
    doc["source"] = source
    return doc
