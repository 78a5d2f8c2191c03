"""The live analysis: one landmark frame at a time in, judged running steps and the LED out.

:class:`RunAnalyzer` is the one object the appliance feeds from the camera and ``midstance
analyze`` feeds from a trace (:func:`analyze_trace`), so live and offline results are the same
by construction. Per frame it does a fixed, small amount of work (one filter update over the 33
landmarks, then scalar arithmetic on the dozen that matter) and keeps bounded state: rings of
a few seconds for the belt level and the leg length, and the current stance of each leg.

Pipeline per frame: one-euro filter (:mod:`core.filters`) -> facing vote (:mod:`core.facing`)
-> leg length and belt levels -> gait events per leg (:mod:`core.gait`) -> at each toe-off the
step's metrics (:mod:`core.metrics`) and verdict (:mod:`core.verdict`) -> the LED state.

Example::

    analyzer = RunAnalyzer(fps=30)
    for t, xy, vis in frames:
        update = analyzer.push(t, xy, vis)
        for step in update.steps:
            print(step.leg, step.verdict, step.cue)
        led.show(update.led)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from core import landmarks
from core.facing import FacingVote, sign
from core.filters import OneEuroFilter
from core.fit import line_at
from core.gait import Cadence, FootFrame, LegEvents, RollingLevels, Stance
from core.metrics import (
    hip_ankle_offset,
    hip_bend_deg,
    knee_flexion_deg,
    lean_deg,
    overstride,
    trunk_deg,
)
from core.verdict import LedSmoother, Thresholds, cue, judge

#: Landmarks read per frame: per side shoulder, hip, knee, ankle, heel, foot_index; then the
#: nose and ears (facing fallback).
_PARTS = ("shoulder", "hip", "knee", "ankle", "heel", "foot_index")
_IDX = np.array(
    [landmarks.INDEX[f"{side}_{part}"] for side in landmarks.LEGS for part in _PARTS]
    + [landmarks.INDEX[n] for n in ("nose", "left_ear", "right_ear")]
)
SH, HIP, KNEE, ANKLE, HEEL, TOE = range(6)
NOSE, LEAR, REAR = 12, 13, 14
_SIDE = {"left": 0, "right": 6}
_LEG_SLOTS = (("left", 0, 0), ("right", 6, 2))  # leg, offset in the points, offset in feet
_MISSING = (math.nan, math.nan)

#: Visibility below which a landmark is not used.
MIN_VIS = 0.3
#: Contact time needs a few frames per stance (about 8 at 30 fps): below this it is None.
MIN_FPS_CONTACT = 25.0
#: "running" while a step came within this many seconds.
RUNNING_S = 2.5
#: After this long without a person the legs forget their stance; after ABSENT_RESET_S the
#: facing and body size are forgotten too (the next person may be someone else).
LOST_S = 0.5
ABSENT_RESET_S = 3.0

STEP_FIELDS = (
    "leg", "contact_t", "midstance_t", "toe_off_t", "hip_ankle_offset", "lean_deg",
    "lean_to_deg", "trunk_deg", "hip_bend_deg", "overstride", "knee_flexion_ic_deg", "bounce",
    "contact_time_s", "cadence_spm", "verdict", "reasons",
)  # fmt: skip


@dataclass
class Step:
    """One judged step: events (seconds), metrics (ARCHITECTURE section 3), verdict.

    ``hip_ankle_offset``, ``overstride``, ``bounce`` in leg lengths; angles in degrees,
    positive = forward; ``lean_deg`` at midstance, ``lean_to_deg`` at toe-off;
    ``contact_time_s`` None below 25 fps; None for anything the landmarks did not allow.
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
    verdict: str = "good"
    reasons: list[str] = field(default_factory=list)

    @property
    def cue(self) -> str | None:
        """The runner's cue for this step (None when it was good)."""
        return cue(self.reasons)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able dict with the report's step field names (None for missing)."""
        return asdict(self)


@dataclass(slots=True)
class Update:
    """What one frame changed: steps decided now, the LED state and what is seen."""

    steps: list[Step]
    led: str
    runner: bool
    running: bool
    reliable: bool
    #: Capture problems now in force (:mod:`core.capture`); steps are not judged while any is.
    problems: tuple = ()


def _num(value: Any, digits: int) -> float | None:
    value = float(value)
    return round(value, digits) + 0.0 if math.isfinite(value) else None


class RunAnalyzer:
    """Streaming step detection and judgement (see the module docstring).

    ``fps`` is the nominal frame rate (None: estimated from the timestamps); ``facing`` is
    ``"auto"``, ``"left"`` or ``"right"``. ``smooth`` runs the one-euro filter
    (:mod:`core.filters`) for :attr:`smoothed`, the landmarks to show; steps never use it, so
    turn it off when the source smooths already (the pose estimator does) or nothing is shown.
    """

    def __init__(
        self,
        fps: float | None = None,
        facing: str = "auto",
        thresholds: Thresholds | None = None,
        smooth: bool = True,
    ):
        if facing not in ("auto", "left", "right"):
            raise ValueError(f"facing must be auto, left or right: {facing!r}")
        self.fps_setting = fps
        self.facing_setting = facing
        self.thresholds = thresholds or Thresholds()
        self.smooth = smooth
        self.reset()

    # -- state ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything: a new session."""
        self.fps: float | None = self.fps_setting
        self._filter = OneEuroFilter()
        self._vote = FacingVote()
        self._legs = {leg: LegEvents(leg) for leg in landmarks.LEGS}
        self._cadence = Cadence()
        # Every stride of the run, for analyze_trace's report only (live memory stays bounded).
        self._run_cadence: Cadence | None = None
        self._led = LedSmoother()
        self._levels: RollingLevels | None = None
        self._xy, self._vis = landmarks.empty_pose()
        self._last_t: float | None = None
        self._last_seen: float | None = None
        self._last_step_t: float | None = None
        self._hip_lo = -math.inf  # largest pelvis y (lowest point) since the last step
        self._hip_hi = math.inf
        self._dts: list[float] = []
        self._side_vis = [0.0, 0.0]
        self._side_frames = 0
        self._stance_span: dict[str, tuple[float, float]] = {}
        self._seen_avg = 0.0
        self._reliable = False
        if self.fps:
            self._setup(self.fps)

    def _setup(self, fps: float) -> None:
        self.fps = fps
        size = int(min(max(4 * fps, 32), 1024))  # about 4 s of frames
        every = max(4, round(fps / 4))  # refresh levels about 4 times a second
        # Leg length (median) and the belt level of each heel and toe (85th percentile of y:
        # the foot is on the belt ~40 % of the time, so this is inside the stance values).
        self._levels = RollingLevels((50.0, 85.0, 85.0, 85.0, 85.0), size, every)

    @property
    def facing(self) -> str | None:
        """``"left"`` or ``"right"`` (the fixed setting, or the vote once decided), else None."""
        return self.facing_setting if self.facing_setting != "auto" else self._vote.facing

    @property
    def near_side(self) -> str | None:
        """The runner's side facing the camera: ``"left"``, ``"right"`` or None.

        The side whose shoulder, hip, knee and ankle are seen better so far (the far side is
        partly hidden behind the body), when that is clear (a mean margin of 0.02 per
        landmark); else the geometry of an unmirrored camera: a runner facing image-left
        shows the left side. Only a mirrored image makes the two disagree.
        """
        left, right = self._side_vis
        if abs(left - right) > 0.02 * 4 * self._side_frames and self._side_frames >= 10:
            return "left" if left > right else "right"
        return self.facing

    @property
    def cadence_spm(self) -> float | None:
        """Live cadence, steps/min, from the recent strides (None before the first)."""
        spm = self._cadence.spm
        return None if spm is None else round(spm, 1)

    @property
    def problems(self) -> tuple:
        """The capture problems in force now (:class:`core.capture.Problem`), worst first."""
        return ()

    @property
    def smoothed(self) -> tuple[np.ndarray, np.ndarray]:
        """The latest filtered landmarks ``(xy (33, 2), vis (33,))``."""
        return self._xy, self._vis

    @property
    def leg_px(self) -> float | None:
        """The runner's leg length in pixels (None until measured)."""
        if self._levels is None:
            return None
        level = self._levels.levels[0]
        return level if math.isfinite(level) else None

    # -- per frame -------------------------------------------------------------------------

    def push(self, t: float, xy: np.ndarray | None, vis: np.ndarray | None) -> Update:
        """Feed one frame taken at ``t`` seconds; returns what it changed.

        ``xy`` (33, 2) pixels, NaN = missing; ``vis`` (33,) in 0..1; ``None, None`` when no
        person was found.
        """
        t = float(t)
        if self._last_t is not None and self.fps is None:
            dt = t - self._last_t
            if dt > 0:
                self._dts.append(dt)
            if len(self._dts) >= 5:
                self._setup(1.0 / float(np.median(self._dts)))
                self._dts = []
        self._last_t = t
        if xy is None or vis is None:
            return self._absent(t)
        if type(xy) is not np.ndarray or type(vis) is not np.ndarray:
            xy, vis = np.asarray(xy, dtype=float), np.asarray(vis, dtype=float)
        p = xy.take(_IDX, axis=0).tolist()
        if all(x != x for x, _ in p):  # every landmark we use is NaN: nobody there
            return self._absent(t)
        if self._last_seen is not None and t - self._last_seen > ABSENT_RESET_S:
            self._forget_runner()
        self._last_seen = t
        # Events and metrics use the raw landmarks: at 30 fps one frame of filter lag moves the
        # stance ankle ~0.09 leg lengths with the belt, as much as the hip-behind threshold.
        # The filtered landmarks are for showing (the setup view's skeleton).
        if self.smooth:
            self._filter.scale = self.leg_px or 1.0
            self._xy = self._filter(t, xy)
        else:
            self._xy = xy
        self._vis = vis
        v = vis.take(_IDX).tolist()
        steps = self._frame(t, p, v) if self._levels is not None else []
        # Reliable: the near hip, knee and ankle are seen (shoulders only add the lean), as a
        # moving average over ~0.5 s with hysteresis so one bad frame does not flash the LED.
        near = _SIDE[self.near_side or "left"]
        seen = min(v[near + HIP], v[near + KNEE], v[near + ANKLE]) >= MIN_VIS
        self._seen_avg += (seen - self._seen_avg) * min(1.0, 2.0 / (self.fps or 30.0))
        self._reliable = self._seen_avg >= (0.3 if self._reliable else 0.6)
        reliable = self._reliable
        running = self._last_step_t is not None and t - self._last_step_t <= RUNNING_S
        for step in steps:
            self._led.step(step.verdict)
        led = self._led.frame(t, True, running, reliable)
        return Update(steps, led, True, running, reliable)

    def _absent(self, t: float) -> Update:
        if self._last_seen is None or t - self._last_seen > LOST_S:
            for legs in self._legs.values():
                legs.reset()
        running = self._last_step_t is not None and t - self._last_step_t <= RUNNING_S
        led = self._led.frame(t, False, running, False)
        return Update([], led, False, running, False)

    def _forget_runner(self) -> None:
        """A new person may be in front of the camera: re-learn facing, size and belt level."""
        self._vote.reset()
        self._filter.reset()
        self._side_vis = [0.0, 0.0]
        self._side_frames = 0
        for legs in self._legs.values():
            legs.reset()
        if self.fps:
            self._setup(self.fps)

    def _frame(self, t: float, p: list, v: list) -> list[Step]:
        levels = self._levels
        assert levels is not None
        # Leg length from the better-seen side (the near leg, normally).
        best = (
            0 if min(v[HIP], v[KNEE], v[ANKLE]) >= min(v[6 + HIP], v[6 + KNEE], v[6 + ANKLE]) else 6
        )
        leg_len = math.nan
        if min(v[best + HIP], v[best + KNEE], v[best + ANKLE]) >= MIN_VIS:
            (hx, hy), (kx, ky), (ax, ay) = p[best + HIP], p[best + KNEE], p[best + ANKLE]
            leg_len = math.hypot(hx - kx, hy - ky) + math.hypot(kx - ax, ky - ay)
        ok = [vi >= MIN_VIS for vi in v]
        nan = math.nan
        feet = (
            p[HEEL][1] if ok[HEEL] else nan, p[TOE][1] if ok[TOE] else nan,
            p[6 + HEEL][1] if ok[6 + HEEL] else nan, p[6 + TOE][1] if ok[6 + TOE] else nan,
        )  # fmt: skip
        level = levels.add((leg_len, *feet))
        leg_px = level[0] if math.isfinite(level[0]) else None
        # Facing: toe ahead of heel (either foot), else nose ahead of the ears. The vote runs
        # even with a fixed facing, so a report can warn when the setting looks wrong.
        if self._vote.facing is None:
            votes = 0
            for o in (0, 6):
                if ok[o + HEEL] and ok[o + TOE]:
                    dx = p[o + TOE][0] - p[o + HEEL][0]
                    self._vote.add(math.copysign(1.0, dx), min(v[o + HEEL], v[o + TOE]))
                    votes += 1
            if not votes and ok[NOSE]:
                ears = [p[i][0] for i in (LEAR, REAR) if ok[i]]
                if ears:
                    dx = p[NOSE][0] - sum(ears) / len(ears)
                    self._vote.add(math.copysign(1.0, dx), v[NOSE])
        s = sign(self.facing)
        self._side_frames += 1
        self._side_vis[0] += v[SH] + v[HIP] + v[KNEE] + v[ANKLE]
        self._side_vis[1] += v[6 + SH] + v[6 + HIP] + v[6 + KNEE] + v[6 + ANKLE]
        # Pelvis height for midstance and bounce: the hips seen, averaged.
        if ok[HIP] and ok[6 + HIP]:
            hip_y = (p[HIP][1] + p[6 + HIP][1]) / 2
        else:
            hip_y = p[HIP][1] if ok[HIP] else p[6 + HIP][1] if ok[6 + HIP] else math.nan
        if hip_y == hip_y:
            self._hip_lo = max(self._hip_lo, hip_y)
            self._hip_hi = min(self._hip_hi, hip_y)
        steps = []
        for leg, o, j in _LEG_SLOTS:
            heel_y, toe_y = feet[j], feet[j + 1]
            heel_level, toe_level = level[1 + j], level[2 + j]
            ankle_ok = ok[o + ANKLE]
            foot_x = p[o + HEEL][0] if ok[o + HEEL] else p[o + ANKLE][0] if ankle_ok else math.nan
            frame = FootFrame(
                t, heel_y, toe_y, foot_x, hip_y, ankle_ok and (ok[o + HEEL] or ok[o + TOE]), (p, v)
            )
            events = self._legs[leg]
            if leg_px is None:
                events.push(frame, 0, 0.0, heel_level, toe_level)
                continue
            stance = events.push(frame, s, leg_px, heel_level, toe_level)
            if stance is not None and not self._overlaps(leg, stance):
                self._stance_span[leg] = (stance.contact_t, stance.toe_off_t)
                steps.append(self._step(stance, s, leg_px, events.stride_s))
        return steps

    def _overlaps(self, leg: str, st: Stance) -> bool:
        """True when the stance mostly overlaps the other foot's: running has no double
        support, so one of them is a pose-model mix-up of the feet (BlazePose swaps them now
        and then). The stance that ends second is dropped; the first is already out."""
        other = "right" if leg == "left" else "left"
        spans = [self._stance_span.get(other)]
        ongoing = self._legs[other].contact
        if ongoing:
            spans.append((ongoing[0].t, st.toe_off_t))
        own = st.toe_off_t - st.contact_t
        for span in spans:
            if span is not None:
                shared = min(span[1], st.toe_off_t) - max(span[0], st.contact_t)
                if shared > 0.5 * own and shared > 0:
                    return True
        return False

    # -- per step --------------------------------------------------------------------------

    def _step(self, st: Stance, s: int, leg_px: float, stride_s: float | None) -> Step:
        o = _SIDE[st.leg]
        near = _SIDE[self.near_side or st.leg]

        # Points are (x, y) tuples of floats, NaN when not seen: a step's metrics are a few
        # dozen scalar operations, where building numpy arrays would cost more than the maths.
        def point(pose, i: int) -> tuple[float, float]:
            p, v = pose
            return tuple(p[i]) if v[i] >= MIN_VIS else _MISSING

        def hip(pose) -> tuple[float, float]:
            # The near-side hip (ARCHITECTURE section 3); the other one if it is not seen.
            h = point(pose, near + HIP)
            return h if math.isfinite(h[0] + h[1]) else point(pose, 6 - near + HIP)

        def shoulders(pose) -> tuple[float, float]:
            p, v = pose
            seen = [p[k + SH] for k in (0, 6) if v[k + SH] >= MIN_VIS]
            seen = [q for q in seen if math.isfinite(q[0] + q[1])]
            if len(seen) == 2:
                return ((seen[0][0] + seen[1][0]) / 2, (seen[0][1] + seen[1][1]) / 2)
            return tuple(seen[0]) if seen else _MISSING

        ms = st.ms
        ms_hip, ms_ankle, ms_sh = hip(ms), point(ms, o + ANKLE), shoulders(ms)
        # The hip-over-ankle offset changes steadily through the stance (the ankle rides the
        # belt backward): read it at midstance off a straight line through every stance
        # frame's offset, rather than off the one nearest frame (see core.fit).
        offset_at_midstance = line_at(
            [fr.t for fr in st.frames],
            [
                float(hip_ankle_offset(hip(fr.pose), point(fr.pose, o + ANKLE), s, leg_px))
                for fr in st.frames
            ],
            st.midstance_t,
        )
        ic = st.ic
        self._cadence.add(stride_s)
        if self._run_cadence is not None:
            self._run_cadence.add(stride_s)
        contact = st.toe_off_t - st.contact_t
        step = Step(
            leg=st.leg,
            contact_t=round(st.contact_t, 4),
            midstance_t=round(st.midstance_t, 4),
            toe_off_t=round(st.toe_off_t, 4),
            hip_ankle_offset=_num(offset_at_midstance, 4),
            lean_deg=_num(lean_deg(ms_ankle, ms_sh, s), 2),
            lean_to_deg=_num(lean_deg(point(st.to, o + ANKLE), shoulders(st.to), s), 2),
            trunk_deg=_num(trunk_deg(ms_hip, ms_sh, s), 2),
            hip_bend_deg=_num(hip_bend_deg(ms_ankle, ms_hip, ms_sh, s), 2),
            overstride=_num(overstride(hip(ic), point(ic, o + ANKLE), s, leg_px), 4),
            knee_flexion_ic_deg=_num(
                knee_flexion_deg(point(ic, o + HIP), point(ic, o + KNEE), point(ic, o + ANKLE)), 2
            ),
            bounce=_num((self._hip_lo - self._hip_hi) / leg_px, 4),
            contact_time_s=(
                round(contact, 4) if self.fps and self.fps >= MIN_FPS_CONTACT else None
            ),
            cadence_spm=self.cadence_spm,
        )
        step.verdict, step.reasons = judge(step, self.thresholds)
        self._hip_lo, self._hip_hi = -math.inf, math.inf
        self._last_step_t = st.toe_off_t
        return step


def analyze_trace(trace, facing: str = "auto", thresholds: Thresholds | None = None) -> dict:
    """The ``midstance-report/1`` dict of a whole :class:`core.trace.Trace`.

    Feeds the same :class:`RunAnalyzer` the appliance uses, frame by frame, so the steps are
    exactly the ones a live run over the same frames would have produced.
    """
    from core.report import build_report

    analyzer = RunAnalyzer(fps=trace.fps, facing=facing, thresholds=thresholds, smooth=False)
    analyzer._run_cadence = Cadence(recent=None, min_strides=1)
    steps: list[Step] = []
    for t, xy, vis in zip(trace.t, trace.xy, trace.vis, strict=True):
        present = not np.isnan(xy).all()
        steps.extend(analyzer.push(t, xy if present else None, vis if present else None).steps)
    duration = float(trace.t[-1] - trace.t[0]) + 1.0 / trace.fps if len(trace.t) else 0.0
    return build_report(
        steps,
        facing=analyzer.facing,
        fps=trace.fps,
        duration_s=duration,
        cadence=analyzer._run_cadence.spm,
        warnings=list(trace.warnings) + _facing_warning(analyzer),
        thresholds=analyzer.thresholds,
    )


def _facing_warning(analyzer: RunAnalyzer) -> list[str]:
    seen = analyzer._vote.facing
    if analyzer.facing_setting != "auto" and seen and seen != analyzer.facing_setting:
        return [
            f"facing is set to {analyzer.facing_setting} but the runner seems to face {seen}"
            " (toes point that way): steps are likely wrong"
        ]
    return []
