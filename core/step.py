"""One running step: its record (:class:`Step`) and the measurement of its form from a stance.

:func:`measure` reads a finished :class:`core.gait.Stance` (its frames from contact to toe-off,
each carrying the frame's points as the analyzer read them) and returns the step's form
metrics (:mod:`core.metrics`) and its midstance pose (:mod:`core.midstance`). The analyzer adds
what needs the run around the step (its leg's name, cadence, bounce, verdict).

Example::

    metrics = measure(stance, side=body.LEFT, near=body.LEFT, s=-1, leg_px=230.0)
    step = Step(leg="left", contact_t=..., midstance_t=..., toe_off_t=..., **metrics)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from core import midstance
from core.body import LEFT, LEG_POINTS, MIN_VIS, RIGHT, Side
from core.fit import line_at
from core.gait import Stance
from core.metrics import (
    hip_ankle_offset,
    hip_bend_deg,
    knee_flexion_deg,
    lean_deg,
    overstride,
    trunk_deg,
)
from core.verdict import cue

_MISSING = (math.nan, math.nan)

STEP_FIELDS = (
    "leg", "contact_t", "midstance_t", "toe_off_t", "hip_ankle_offset", "lean_deg",
    "lean_to_deg", "trunk_deg", "hip_bend_deg", "overstride", "knee_flexion_ic_deg", "bounce",
    "contact_time_s", "cadence_spm", "stance_travel", "verdict", "reasons", "problems",
    "midstance_pose",
)  # fmt: skip


@dataclass
class Step:
    """One judged step: events (seconds), metrics (ARCHITECTURE section 3), verdict.

    ``hip_ankle_offset``, ``overstride``, ``bounce`` in leg lengths; angles in degrees,
    positive = forward; ``lean_deg`` at midstance, ``lean_to_deg`` at toe-off;
    ``contact_time_s`` None below 25 fps; ``stance_travel`` the belt travel of the stance foot
    from contact to toe-off (leg lengths); None for anything the landmarks did not allow.
    ``verdict`` is None when the step was timed but not judged: ``problems`` then names why
    (:mod:`core.capture` codes, or ``landmarks_unreliable`` when the step's own hip or ankle
    was not seen). ``midstance_pose`` is the runner's 33 landmarks at midstance, normalised
    (:mod:`core.midstance`: leg lengths, stance ankle at the origin, x forward, y up).
    """

    leg: str
    contact_t: float
    midstance_t: float
    toe_off_t: float | None
    hip_ankle_offset: float | None = None
    lean_deg: float | None = None
    lean_to_deg: float | None = None
    trunk_deg: float | None = None
    hip_bend_deg: float | None = None
    overstride: float | None = None
    knee_flexion_ic_deg: float | None = None
    bounce: float | None = None
    contact_time_s: float | None = None
    cadence_spm: float | None = None
    stance_travel: float | None = None
    verdict: str | None = "good"
    reasons: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    midstance_pose: dict | None = None

    @property
    def cue(self) -> str | None:
        """The runner's cue for this step (None when it was good)."""
        return cue(self.reasons)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able dict with the report's step field names (None for missing)."""
        return asdict(self)


def rounded(value: Any, digits: int) -> float | None:
    """``value`` rounded to ``digits`` decimals (no negative zero), None when not finite."""
    value = float(value)
    return round(value, digits) + 0.0 if math.isfinite(value) else None


def measure(st: Stance, side: Side, near: Side, s: int, leg_px: float) -> dict[str, Any]:
    """The form metrics of the stance of ``side``'s foot, as :class:`Step` fields.

    Each stance frame's ``pose`` is ``(p, v, xy, vis)``: the analyzer's points and their
    visibilities (:mod:`core.body`, feet as the tracker untangled them) and the frame's 33
    landmarks. ``near`` is the side facing the camera, whose hip is the one measured from
    (ARCHITECTURE section 3; the other hip when it is not seen); ``s`` the facing sign;
    ``leg_px`` the leg length in pixels.
    """
    ankle_i = side.ankle

    # Points are (x, y) tuples of floats, NaN when not seen: a step's metrics are a few
    # dozen scalar operations, where building numpy arrays would cost more than the maths.
    def point(pose, i: int) -> tuple[float, float]:
        return tuple(pose[0][i]) if pose[1][i] >= MIN_VIS else _MISSING

    def hip(pose) -> tuple[float, float]:
        h = point(pose, near.hip)
        return h if math.isfinite(h[0] + h[1]) else point(pose, near.other.hip)

    def shoulders(pose) -> tuple[float, float]:
        # The midpoint of the shoulders seen, or the one seen.
        a, b = point(pose, LEFT.shoulder), point(pose, RIGHT.shoulder)
        a_seen, b_seen = math.isfinite(a[0] + a[1]), math.isfinite(b[0] + b[1])
        if a_seen and b_seen:
            return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        return a if a_seen else b if b_seen else _MISSING

    # Anything measured from the stance ankle changes steadily through the stance (the ankle
    # rides the belt backward, ~3 deg of lean per frame at 30 fps): read it at midstance off
    # a straight line through every stance frame (see core.fit). The points of each frame
    # are read once for the three metrics.
    times, offsets, leans, bends = [], [], [], []
    for fr in st.frames:
        q = fr.pose
        ankle, hip_q, sh = point(q, ankle_i), hip(q), shoulders(q)
        times.append(fr.t)
        offsets.append(hip_ankle_offset(hip_q, ankle, s, leg_px))
        leans.append(lean_deg(ankle, sh, s))
        bends.append(hip_bend_deg(ankle, hip_q, sh, s))
    t_ms = st.midstance_t
    ms, ic, to = st.ms, st.ic, st.to
    return {
        "hip_ankle_offset": rounded(line_at(times, offsets, t_ms), 4),
        "lean_deg": rounded(line_at(times, leans, t_ms), 2),
        "lean_to_deg": rounded(lean_deg(point(to, ankle_i), shoulders(to), s), 2),
        "trunk_deg": rounded(trunk_deg(hip(ms), shoulders(ms), s), 2),
        "hip_bend_deg": rounded(line_at(times, bends, t_ms), 2),
        "overstride": rounded(overstride(hip(ic), point(ic, ankle_i), s, leg_px), 4),
        "knee_flexion_ic_deg": rounded(
            knee_flexion_deg(point(ic, side.hip), point(ic, side.knee), point(ic, ankle_i)), 2
        ),
        "midstance_pose": midstance_pose(ms, side, s, leg_px),
    }


def midstance_pose(pose: tuple, side: Side, s: int, leg_px: float) -> dict | None:
    """The step's 33 landmarks at midstance, normalised (:func:`core.midstance.normalise`).

    The feet as the tracker untangled them (the stance foot is the one the metrics used)
    replace the pose model's labels, so the origin is the stance ankle of this step.
    """
    p, v, xy, vis = pose
    xy, vis = xy.tolist(), vis.tolist()
    for k, i in enumerate(LEG_POINTS):
        xy[i], vis[i] = p[k], v[k]
    ankle = p[side.ankle] if v[side.ankle] >= MIN_VIS else _MISSING
    return midstance.normalise(xy, vis, ankle, s, leg_px)
