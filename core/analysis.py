"""The live analysis: one landmark frame at a time in, judged running steps and the LED out.

:class:`RunAnalyzer` is the one object the appliance feeds from the camera and ``midstance
analyze`` feeds from a trace (:func:`analyze_trace`), so live and offline results are the same
by construction. Per frame it does a fixed, small amount of work (scalar arithmetic on the dozen
landmarks that matter, :mod:`core.body`) and keeps bounded state: rings of a few seconds for the
belt level and the leg length, and the current stance of each leg.

Pipeline per frame: feet untangled (:mod:`core.feet`) -> leg length and belt levels -> facing
vote (:mod:`core.facing`) -> view checks (:mod:`core.view`) -> gait events per leg
(:mod:`core.gait`) -> at each toe-off the step's metrics (:mod:`core.step`), its leg's name
(:mod:`core.legs`) and verdict (:mod:`core.verdict`) -> the LED state.

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
from collections import deque
from dataclasses import dataclass, replace

import numpy as np

from core import capture, landmarks
from core.body import BOTH, LEFT, LEFT_EAR, MIN_VIS, NOSE, POINTS, RIGHT, RIGHT_EAR, SIDES
from core.cadence import SettledCadence
from core.capture import CaptureJudge, Problem, problem
from core.facing import FACING_CHOICES, FacingVote, sign
from core.feet import FootTracker
from core.gait import (
    H_ON,
    Cadence,
    FootFrame,
    LegEvents,
    RollingLevels,
    Stance,
    cut_off,
)
from core.legs import LegNamer
from core.metrics import bounce, leg_length
from core.step import STEP_FIELDS, Step, measure, rounded
from core.verdict import LedSmoother, Thresholds, judge
from core.view import ViewChecks

__all__ = ["STEP_FIELDS", "RunAnalyzer", "Step", "Update", "analyze_trace"]

_POINTS = np.array(POINTS)  # for ndarray.take
#: Each side with where its heel and toe heights sit in the four feet heights (:func:`_feet_y`).
_FEET = ((LEFT, 0), (RIGHT, 2))

#: Contact time needs a few frames per stance (about 8 at 30 fps): below this it is None.
MIN_FPS_CONTACT = 25.0
#: "running" while a step came within this many seconds.
RUNNING_S = 2.5
#: After this long without a person the legs forget their stance; after ABSENT_RESET_S the
#: facing and body size are forgotten too (the next person may be someone else).
LOST_S = 0.5
ABSENT_RESET_S = 3.0
#: Frames are kept from a runner's first appearance until the body size, belt levels and facing
#: are known (about a second), then replayed: no step of the first strides is lost.
WARMUP_S = 6.0
WARMUP_WAIT_S = 3.0
#: A stance shorter than this share of the runner's typical contact time is not judged.
SHORT_STANCE = 0.6
#: A stance whose foot rode the belt less than this far (L) is not judged: running on a belt
#: carries the foot ~0.5-0.9 L per contact, so the track followed the wrong foot part-way.
MIN_JUDGED_TRAVEL = 0.3
#: A step whose hip-ankle offset at midstance lies further than this (L) from the runner's
#: recent median is not judged: a runner's steps spread by about 0.1 L either side, so its
#: stance foot's points are not where a stance puts them (someone else's foot, a garbled
#: frame); docs/capture.md.
ASTRAY_L = 0.2
#: A contact this share of a step time (or less) after the last one is the same stance.
TOO_SOON = 0.5
#: A stance shorter than this share of the typical contact is dropped (see _too_soon).
DROP_STANCE = 0.2
#: A person seen this long without a running step is "not running" (walking, standing).
NOT_RUNNING_S = 4.0
#: Why no running step was found (the ``not_running`` problem's ``where``): in a recording
#: too short to tell, its length says it, not a guess at walking.
WALKING = ": the runner is walking or standing"
TOO_SHORT = (
    ": the runner is seen for only {seen:.1f} s, too short to tell (record {need:g} s or more)"
)
#: How often the per-frame view checks run, per second.
CHECK_HZ = 10.0
#: Steps timed before a step rate may be called low (or slow motion): about three seconds.
SURE_STEPS = 8
#: Strides (both legs pooled) before a step rate is shown, live or in a recording's report:
#: from three, one contact timed a frame or two off, or two steps whose legs were named the
#: wrong way round early in a run, put the figure 4-50 % off; from six (three a leg, ~2 s of
#: running) it holds. A recording with fewer has lost most of its contacts, and its few
#: "strides" may each span a missed step (half the rate).
SHOWN_STRIDES = 6


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


class RunAnalyzer:
    """Streaming step detection and judgement (see the module docstring).

    ``fps`` is the nominal frame rate (None: estimated from the timestamps); ``facing`` is
    ``"auto"``, ``"left"`` or ``"right"``; ``frame_size`` the camera frames' (width, height)
    in pixels, for the edge checks. ``whole_run`` keeps every stride for
    :attr:`run_cadence_spm` (a recording's report); live, only the recent ones are kept.
    """

    def __init__(
        self,
        fps: float | None = None,
        facing: str = "auto",
        thresholds: Thresholds | None = None,
        frame_size: tuple[int, int] | None = None,
        whole_run: bool = False,
    ):
        if facing not in FACING_CHOICES:
            raise ValueError(f"facing must be auto, left or right: {facing!r}")
        self.fps_setting = fps
        self.facing_setting = facing
        self.thresholds = thresholds or Thresholds()
        self.whole_run = whole_run
        #: (width, height) of the camera frames in pixels, for the edge checks (None: unknown).
        self.frame_size = frame_size
        self.reset()

    # -- state ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything: a new session."""
        self.fps: float | None = self.fps_setting
        self._vote = FacingVote()
        self._legs = {leg: LegEvents(leg) for leg in landmarks.LEGS}
        self._cadence = Cadence()
        # Every stride of the run, for a recording's report only (live memory stays bounded).
        self._run_cadence = (
            Cadence(recent=None, min_strides=SHOWN_STRIDES) if self.whole_run else None
        )
        self.settled = SettledCadence()  # the runner's own rate, for a cadence target
        self._led = LedSmoother()
        self._levels: RollingLevels | None = None
        self._xy, self._vis = landmarks.empty_pose()
        self._last_t: float | None = None
        self._dt: float | None = None  # seconds since the previous frame
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
        self._check_every, self._check_n = 1, 0
        self._judge = CaptureJudge(self.fps or 30.0)
        self._judge_fps = self.fps
        self._feet = FootTracker()
        self._namer = LegNamer()
        self._last_ic: dict[str, float] = {}
        self._sure_ic: dict[str, float] = {}  # each leg's last contact of a whole stance
        self._last_contact: tuple[float, str] | None = None  # (t, leg) of the latest step
        self._contacts: deque[float] = deque(maxlen=9)
        self._travels: deque[float] = deque(maxlen=9)  # belt travel of the recent stances, L
        self._offsets: deque[float] = deque(maxlen=9)  # hip-ankle offset of the recent steps, L
        # ... and of each leg's own recent steps (a runner may sit back on one leg only)
        self._leg_offsets = {leg: deque(maxlen=5) for leg in landmarks.LEGS}
        self._track_strides: deque[float] = deque(maxlen=9)
        self._warmup: deque = deque()
        self._tracking = False  # the warm-up's frames replayed: the belt levels are the tracks'
        self._foot_prev: list[tuple[float, float, float] | None] = [None, None]
        self._view = ViewChecks()
        self._pelvis = self._view.pelvis  # (t, hip y) appended every frame (ViewChecks.stride)
        self._first_seen: float | None = None
        self._steps_seen = 0
        self._beats = self._offbeat = 0  # contacts checked against the bounce, out of time
        self._step_ics: deque[float] = deque(maxlen=13)  # contacts of the last steps, any leg
        if self.fps:
            self._setup(self.fps)

    def _setup(self, fps: float) -> None:
        self.fps = fps
        self._tracking = False
        size = int(min(max(4 * fps, 32), 1024))  # about 4 s of frames
        every = max(4, round(fps / 4))  # refresh levels about 4 times a second
        # Leg length (median) and the belt level of each heel and toe (85th percentile of y:
        # the foot is on the belt ~40 % of the time, so this is inside the stance values).
        self._levels = RollingLevels((50.0, 85.0, 85.0, 85.0, 85.0), size, every)
        # Shape alone decides the facing only when motion has not, for ~3 s.
        self._vote.shape_only_after = max(self._vote.min_frames, round(3.0 * fps))
        self._vote.min_motion = max(6, round(0.2 * fps))
        # The view changes slowly: its per-frame checks run CHECK_HZ times a second, which
        # is evidence enough and keeps the core's cost per frame flat at any frame rate.
        self._check_every = max(1, round(fps / CHECK_HZ))
        rate = fps / self._check_every
        if self._judge_fps != rate:  # the judge's windows are sized in checked frames
            self._judge, self._judge_fps = CaptureJudge(rate), rate

    @property
    def facing(self) -> str | None:
        """``"left"`` or ``"right"`` (the fixed setting, or the vote once decided), else None."""
        return self.facing_setting if self.facing_setting != "auto" else self._vote.facing

    @property
    def seen_facing(self) -> str | None:
        """The facing the runner's motion and shape showed (even with a fixed setting), else
        None: a report warns when it contradicts the setting."""
        return self._vote.facing

    @property
    def near_side(self) -> str | None:
        """The runner's side facing the camera: ``"left"``, ``"right"`` or None.

        The side whose shoulder and hip are seen better so far (the far side is partly hidden
        behind the body), when that is clear (a mean margin of 0.02 per landmark); else the
        geometry of an unmirrored camera: a runner facing image-left shows the left side. Only
        a mirrored image makes the two disagree. Not the legs' points: they follow the foot
        tracks, named by the labels tracking began with.
        """
        left, right = self._side_vis
        if abs(left - right) > 0.02 * 2 * self._side_frames and self._side_frames >= 10:
            return "left" if left > right else "right"
        return self.facing

    @property
    def cadence_spm(self) -> float | None:
        """Live cadence, steps/min, from the recent strides (None before :data:`SHOWN_STRIDES`
        of them, while a problem that makes the step times wrong is in force
        (:data:`core.capture.UNTIMED`), and while any of the last 8 steps was out of time with
        the runner's bounce: a stride made with a foot of someone else's, or across a step
        missed or named out of turn, puts the mean of a dozen strides up to 20 steps/min off
        long before the view is refused)."""
        spm = self._cadence.spm
        codes = self._judge.codes
        if spm is None or len(self._cadence.strides) < SHOWN_STRIDES:
            return None
        if codes and not capture.UNTIMED.isdisjoint(codes):
            return None
        if not self._judge.clear_of("steps_out_of_rhythm"):
            return None
        return round(spm, 1)

    @property
    def run_cadence_spm(self) -> float | None:
        """Cadence over every stride so far, steps/min, unrounded (None before
        :data:`SHOWN_STRIDES` strides, or without ``whole_run``). Strides run between contacts
        of whole stances: a contact whose stance was cut short is passed over (see
        :meth:`_step`). A recording's report withholds it when the run is :attr:`offbeat`."""
        return None if self._run_cadence is None else self._run_cadence.spm

    @property
    def offbeat(self) -> tuple[int, int] | None:
        """``(contacts out of time, contacts checked)`` when a share of :data:`capture.CLEARED`
        or more of the run's contacts so far did not keep time with the runner's bounce
        (:meth:`ViewChecks.contact`), else None. Such contacts were found with someone else's
        feet or named out of turn, and the strides around them are wrong; spread out they
        never put ``steps_out_of_rhythm`` in force (40 % of 8 steps), yet they move the run's
        rate by steps a minute. A good view: at most 2 in 8 (docs/capture.md)."""
        if self._offbeat and self._offbeat >= capture.CLEARED * self._beats:
            return self._offbeat, self._beats
        return None

    @property
    def run_strides(self) -> int:
        """Strides timed over the whole run so far (0 without ``whole_run``)."""
        return 0 if self._run_cadence is None else len(self._run_cadence.strides)

    @property
    def problems(self) -> tuple[Problem, ...]:
        """The capture problems in force now (:class:`core.capture.Problem`)."""
        return self._judge.in_force

    def capture_summary(self) -> dict:
        """The report's ``capture`` over everything pushed so far (:mod:`core.capture`)."""
        extra = ()
        explained = any(c != "not_running" for c in self._judge.frames_on)
        if self._steps_seen == 0 and self._judge.frames and not explained:
            seen = None
            if self._first_seen is not None and self._last_t is not None:
                seen = self._last_t - self._first_seen + (1.0 / self.fps if self.fps else 0.0)
            short = seen is not None and seen < NOT_RUNNING_S
            why = TOO_SHORT.format(seen=seen, need=NOT_RUNNING_S) if short else WALKING
            extra = (problem("not_running", 1.0, why),)
        return self._judge.run_summary(extra)

    @property
    def pose(self) -> tuple[np.ndarray, np.ndarray]:
        """The latest frame's landmarks ``(xy (33, 2), vis (33,))`` (all missing before one):
        the skeleton to show."""
        return self._xy, self._vis

    @property
    def leg_px(self) -> float | None:
        """The runner's leg length in pixels (None until measured)."""
        if self._levels is None:
            return None
        level = self._levels.levels[0]
        return level if math.isfinite(level) else None

    # -- per frame -------------------------------------------------------------------------

    def push(
        self, t: float, xy: np.ndarray | None, vis: np.ndarray | None,
        roll_deg: float | None = None,
    ) -> Update:  # fmt: skip
        """Feed one frame taken at ``t`` seconds; returns what it changed.

        ``xy`` (33, 2) pixels, NaN = missing; ``vis`` (33,) in 0..1; ``None, None`` when no
        person was found. The arrays are kept, not copied, until the steps they belong to
        end: hand over new ones each frame (the pose estimator does). ``roll_deg``: the
        camera's roll when it was measured from this frame's picture (:mod:`device.level`).
        """
        # To the microsecond, as its trace file keeps it (core.trace.to_microsecond, written
        # out: a call costs more than the sum, every frame).
        t = math.floor(float(t) * 1e6 + 0.5) / 1e6
        if roll_deg is not None and roll_deg == roll_deg:
            self._view.level(self._judge, float(roll_deg))
        self._dt = None if self._last_t is None else t - self._last_t
        if self._dt is not None and self.fps is None:
            if self._dt > 0:
                self._dts.append(self._dt)
            if len(self._dts) >= 5:
                self._setup(1.0 / float(np.median(self._dts)))
                self._dts = []
        self._last_t = t
        if xy is None or vis is None:
            return self._absent(t)
        if type(xy) is not np.ndarray or type(vis) is not np.ndarray:
            xy, vis = np.asarray(xy, dtype=float), np.asarray(vis, dtype=float)
        p = xy.take(_POINTS, axis=0).tolist()
        if p[0][0] != p[0][0] and all(x != x for x, _ in p):  # all NaN: nobody there
            return self._absent(t)
        if self._last_seen is not None and t - self._last_seen > ABSENT_RESET_S:
            self._forget_runner()
        if self._first_seen is None:
            self._first_seen = t
        self._last_seen = t
        # The whole pose rides along with each frame for the step's midstance figure, by
        # reference: callers hand over a new array per frame.
        self._xy, self._vis = xy, vis
        v = vis.take(_POINTS).tolist()
        steps = self._frame(t, p, v, xy, vis) if self._levels is not None else []
        # Reliable: the near hip, knee and ankle are seen (shoulders only add the lean), as a
        # moving average over ~0.5 s with hysteresis so one bad frame does not flash the LED.
        near = SIDES[self.near_side or "left"]
        seen = min(v[near.hip], v[near.knee], v[near.ankle]) >= MIN_VIS
        self._seen_avg += (seen - self._seen_avg) * min(1.0, 2.0 / (self.fps or 30.0))
        self._reliable = self._seen_avg >= (0.3 if self._reliable else 0.6)
        reliable = self._reliable
        running = self._last_step_t is not None and t - self._last_step_t <= RUNNING_S
        if self._levels is not None and self._check_n == 0:  # at the view checks' rate
            # No steps is "not running" only when no view problem explains it.
            others = [c for c in self._judge.codes if c != "not_running"]
            self._judge.see(
                "not_running",
                None
                if others
                else t - self._first_seen >= NOT_RUNNING_S
                and (self._last_step_t is None or t - self._last_step_t > NOT_RUNNING_S),
                WALKING,
            )
        if self._levels is not None:
            self._judge.tick()
        problems = self._judge.in_force
        for step in steps:
            self._led.step(step.verdict)
        led = self._led.frame(t, True, running, reliable and not problems)
        return Update(steps, led, True, running, reliable, problems)

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
        self._side_vis = [0.0, 0.0]
        self._side_frames = 0
        for legs in self._legs.values():
            legs.reset()
        self._warmup.clear()
        self._feet.reset()
        self._namer.reset()
        self._last_ic.clear()
        self._sure_ic.clear()
        self._last_contact = None
        self._contacts.clear()
        self._travels.clear()
        self._offsets.clear()
        for recent in self._leg_offsets.values():
            recent.clear()
        self._track_strides.clear()
        self._foot_prev = [None, None]
        self._view.forget_runner()
        self._step_ics.clear()
        self._first_seen = None
        if self.fps:
            self._setup(self.fps)

    def _frame(self, t: float, p: list, v: list, xy: np.ndarray, vis: np.ndarray) -> list[Step]:
        raw = (t, p, v, xy, vis)
        # While the frames are kept for the replay, the belt levels are learnt by the pose
        # model's labels: the tracks then know no foot on the belt, and one wrong swap of
        # theirs can last the whole warm-up, while the replay tracks the feet again from the
        # labels' names, and its tracks follow the labels far more often (see _measure).
        labelled = None if self._tracking else (p, v)
        on_belt = (self._legs["left"].contact is not None, self._legs["right"].contact is not None)
        p, v = self._feet.untangle(t, p, v, self.leg_px or _rough_leg(p, v), on_belt)
        level, leg_px, ok, feet = self._measure(t, p, v, labelled)
        s = sign(self.facing)
        learning = False
        if self._warmup and t - self._warmup[0][0] < WARMUP_WAIT_S:
            feet_known = all(
                level[1 + j] == level[1 + j] or level[2 + j] == level[2 + j] for j in (0, 2)
            )
            learning = not (feet_known and self._judge.checked)
        if leg_px is None or not s or learning:
            # Still learning the body, the belt, the facing and whether the view can be
            # trusted: keep the frames and replay them once known, so the first strides are
            # timed and judged like the rest. (A foot that stays hidden has no belt level:
            # then wait no longer than WARMUP_WAIT_S for it.)
            self._warmup.append(raw)
            while self._warmup and t - self._warmup[0][0] > WARMUP_S:
                self._warmup.popleft()
            return []
        if self._warmup:
            self._warmup.append(raw)
            return self._replay(level, leg_px, s)
        return self._events(t, p, v, ok, feet, xy, vis, level, leg_px, s)

    def _replay(self, level: list[float], leg_px: float, s: int) -> list[Step]:
        """The warm-up's frames (and the current one, last), now that the body and the belt
        are known. Their feet are told apart again on the way: while buffering, no stance
        was known, so the tracker could not use the foot on the belt to sort out a frame the
        pose model garbles, and a contact in the first seconds could be lost or mislabelled."""
        self._feet.reset()
        self._tracking = True
        steps: list[Step] = []
        while self._warmup:
            t, p, v, xy, vis = self._warmup.popleft()
            legs = self._legs
            on_belt = (legs["left"].contact is not None, legs["right"].contact is not None)
            p, v = self._feet.untangle(t, p, v, leg_px, on_belt)
            ok = [vi >= MIN_VIS for vi in v]
            steps += self._events(t, p, v, ok, _feet_y(p, ok), xy, vis, level, leg_px, s)
        return steps

    def _measure(
        self, t: float, p: list, v: list, labelled: tuple[list, list] | None = None
    ) -> tuple[list[float], float | None, list, tuple]:
        """Per-frame learning: leg length, belt levels, facing, near side and the view checks.
        Returns the levels, the leg length (px, None before it is known), which points are
        seen and the feet's heights (:func:`_feet_y`). ``labelled``: the frame's points as the
        pose model labelled them, to learn the belt levels by (the warm-up's frames: levels
        crossed between the replay's tracks lose the far foot's contacts, which never come
        down to the near foot's level, until they are learnt again ~3 s later; see
        docs/eval.md, stop 38)."""
        levels = self._levels
        assert levels is not None
        # Leg length from the better-seen side (the near leg, normally).
        left = min(v[LEFT.hip], v[LEFT.knee], v[LEFT.ankle])
        right = min(v[RIGHT.hip], v[RIGHT.knee], v[RIGHT.ankle])
        best, seen = (LEFT, left) if left >= right else (RIGHT, right)
        leg_len = math.nan
        if seen >= MIN_VIS:
            leg_len = leg_length(p[best.hip], p[best.knee], p[best.ankle])
        min_vis = MIN_VIS
        ok = [vi >= min_vis for vi in v]
        feet = _feet_y(p, ok)
        if labelled is not None:
            by_label, seen = labelled
            level = levels.add((leg_len, *_feet_y(by_label, [vi >= min_vis for vi in seen])))
        else:
            level = levels.add((leg_len, *feet))
        leg_px = level[0] if math.isfinite(level[0]) else None
        if self._vote.facing is None and not self._view.turned:
            # (in a picture on its side the belt runs up or down: no facing to read)
            self._vote_facing(t, p, v, ok, feet, level, leg_px)
        self._side_frames += 1
        # The torso only: the legs' points follow the foot tracks, whose names are the labels
        # tracking began with (the far foot's, when the pose model had them swapped then).
        self._side_vis[0] += v[LEFT.shoulder] + v[LEFT.hip]
        self._side_vis[1] += v[RIGHT.shoulder] + v[RIGHT.hip]
        if leg_px is not None:
            self._view.count_swaps(p, ok, leg_px)
        self._check_n += 1
        if self._check_n >= self._check_every:
            self._check_n = 0
            self._view.feet(self._judge, p, v, self.frame_size)
            self._view.frame_rate(self._judge, self._dt)
            if leg_px is not None:
                self._view.body(self._judge, t, p, ok, leg_px, self.near_side, self.frame_size)
        return level, leg_px, ok, feet

    def _vote_facing(self, t, p, v, ok, feet, level, leg_px) -> None:
        """Facing evidence of one frame. The strongest is motion: the belt carries the stance
        foot toward the runner's back. The toe ahead of the heel (or the nose ahead of the ears)
        adds weaker evidence: the pose model sometimes flips a foot. The vote runs even with a
        fixed facing, so a report can warn when the setting looks wrong."""
        vote = self._vote
        heights, speeds = [math.inf, math.inf], [math.nan, math.nan]
        for j, side in enumerate(BOTH):
            heel, ankle = side.heel, side.ankle
            x = p[heel][0] if ok[heel] else p[ankle][0] if ok[ankle] else math.nan
            low = math.nan
            if leg_px is not None:
                low = min(
                    (level[1 + 2 * j] - feet[2 * j]) / leg_px,
                    (level[2 + 2 * j] - feet[2 * j + 1]) / leg_px,
                )
            prev, self._foot_prev[j] = self._foot_prev[j], (t, x, low)
            if leg_px is None or x != x or prev is None or not t > prev[0]:
                continue
            # On the belt at both ends of the speed: at a low frame rate the frame before a
            # stance's first is still in the swing, moving the other way.
            if low == low and prev[2] == prev[2]:
                heights[j] = max(low, prev[2])
            speeds[j] = (x - prev[1]) / leg_px / (t - prev[0])  # L/s, +x
        # Only the lower foot, when it is on the belt: a landing foot still swings forward.
        j = 0 if heights[0] <= heights[1] else 1
        if heights[j] < H_ON / 2 and 1.0 < abs(speeds[j]) < 20.0:
            vote.add_motion(-math.copysign(1.0, speeds[j]))
        for side in BOTH:
            heel, toe = side.heel, side.toe
            if ok[heel] and ok[toe]:
                dx = p[toe][0] - p[heel][0]
                vote.add(math.copysign(1.0, dx), min(v[heel], v[toe]))
        if ok[NOSE]:
            ears = [p[i][0] for i in (LEFT_EAR, RIGHT_EAR) if ok[i]]
            if ears:
                dx = p[NOSE][0] - sum(ears) / len(ears)
                vote.add(math.copysign(1.0, dx), 0.5 * v[NOSE])

    def _events(
        self, t: float, p: list, v: list, ok: list, feet: tuple, xy: np.ndarray, vis: np.ndarray,
        level: list[float], leg_px: float, s: int,
    ) -> list[Step]:  # fmt: skip
        """Gait events of one frame, both legs; the steps that ended."""
        # Pelvis height for midstance and bounce: the hips seen, averaged.
        lh, rh = LEFT.hip, RIGHT.hip
        if ok[lh] and ok[rh]:
            hip_y = (p[lh][1] + p[rh][1]) / 2
        else:
            hip_y = p[lh][1] if ok[lh] else p[rh][1] if ok[rh] else math.nan
        if hip_y == hip_y:
            # (comparisons, not max() and min(): this runs every frame)
            if hip_y > self._hip_lo:
                self._hip_lo = hip_y
            if hip_y < self._hip_hi:
                self._hip_hi = hip_y
            self._pelvis.append((t, hip_y))
        steps = []
        pose = (p, v, xy, vis)  # what each stance frame keeps for the step (core.step.measure)
        for side, j in _FEET:
            heel_y, toe_y = feet[j], feet[j + 1]
            heel_level, toe_level = level[1 + j], level[2 + j]
            heel, ankle_ok = side.heel, ok[side.ankle]
            foot_x = p[heel][0] if ok[heel] else p[side.ankle][0] if ankle_ok else math.nan
            frame = FootFrame(
                t, heel_y, toe_y, foot_x, hip_y, ankle_ok and (ok[heel] or ok[side.toe]), pose
            )
            leg = side.name
            events = self._legs[leg]
            stance = events.push(frame, s, leg_px, heel_level, toe_level)
            if (
                stance is not None
                and not self._overlaps(leg, stance)
                and not self._too_soon(stance)
            ):
                self._stance_span[leg] = (stance.contact_t, stance.toe_off_t)
                steps.append(self._step(stance, s, leg_px, events.stride_s))
        return steps

    def finish(self) -> list[Step]:
        """Steps whose stance was still open when the recording ended: timed, not judged
        (``toe_off_t`` None, problem ``stance_cut_off``). Call once at the end of an input."""
        s, leg_px = sign(self.facing), self.leg_px
        steps = []
        if not s or leg_px is None:
            return steps
        if self._warmup and self._levels is not None:
            # The input ended while the view was still being checked (a clip of two or three
            # seconds): its steps are timed with what is known, as the view check would have
            # let them be, rather than dropped and the runner called not running.
            steps = self._replay(self._levels.levels, leg_px, s)
        open_ = []
        for leg, events in self._legs.items():
            # a toe-off waiting for its confirming frame ends here; else the stance is cut off
            stance = events.end(s, leg_px) or cut_off(events, s, leg_px)
            events.contact = None
            if stance is not None:
                open_.append((stance.contact_t, leg, stance, events.stride_s))
        for _, leg, stance, stride_s in sorted(open_):
            if not self._overlaps(leg, stance):
                if stance.complete:
                    self._stance_span[leg] = (stance.contact_t, stance.toe_off_t)
                steps.append(self._step(stance, s, leg_px, stride_s))
        return steps

    def _sure_cadence(self) -> float | None:
        """The step rate a low-cadence verdict may rest on: the higher of the stride cadence
        (which a swapped leg name lengthens) and the one from the intervals between successive
        contacts of any leg (which a missed step lengthens). Each error only lowers its own
        figure, so a rate is called low only when both say so. None before SURE_STEPS steps:
        the first strides of a run are where legs are named and steps missed most."""
        spm = self._cadence.spm
        ics = self._step_ics
        if len(ics) < SURE_STEPS:
            return None
        gaps = sorted(b - a for a, b in zip(ics, list(ics)[1:], strict=False) if b > a)
        if not gaps:
            return spm
        by_step = 60.0 / gaps[len(gaps) // 2]
        return by_step if spm is None else max(spm, by_step)

    def _too_soon(self, st: Stance) -> bool:
        """True when the stance began less than half a step time after the last step's contact:
        no runner lands that fast, so it is the rest of a stance the pose model broke in two
        (a foot keypoint that jumped), and counting it would invent a step."""
        spm = self._cadence.spm
        last = max(self._last_ic.values(), default=None)
        if spm and last is not None and 0 <= st.contact_t - last < TOO_SOON * 60.0 / spm:
            return True
        # A stance far shorter than the runner's others: a foot seen only at the end of its
        # stance (its landing hidden) or a keypoint that dipped for a frame. Its contact time
        # is wrong, so it is no step to count.
        typical = _typical(self._contacts)
        return typical is not None and st.toe_off_t - st.contact_t < DROP_STANCE * typical

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
        side = SIDES[st.leg]
        metrics = measure(st, side, SIDES[self.near_side or st.leg], s, leg_px)
        contact = st.toe_off_t - st.contact_t
        # The step time for naming comes from each foot track's own strides (a physical foot,
        # whatever the names), so a leg that stays hidden cannot halve it.
        if stride_s:
            self._track_strides.append(stride_s)
        strides = sorted(self._track_strides)
        step_s = strides[len(strides) // 2] / 2 if strides else None
        ankle, heel, toe = side.ankle, side.heel, side.toe
        foot_vis = [
            (fr.pose[1][ankle] + max(fr.pose[1][heel], fr.pose[1][toe])) / 2 for fr in st.frames
        ]
        leg = self._namer.name(
            st.contact_t, st.leg, sum(foot_vis) / len(foot_vis), step_s, self.facing
        )
        # Does this contact keep time with the runner's bounce since their previous one?
        previous, offbeat = self._last_contact, False
        if previous is None or previous[0] < st.contact_t:
            if previous is not None:
                since, same = previous[0], previous[1] == leg
                offbeat = self._view.contact(self._judge, since, st.contact_t, same, leg_px)
                self._beats += 1
                self._offbeat += offbeat
            self._last_contact = (st.contact_t, leg)
        # Strides between contacts of the same leg as the gait names it: a foot track that
        # swapped feet would give half or one and a half strides.
        last = self._last_ic.get(leg)
        self._last_ic[leg] = st.contact_t
        stride = st.contact_t - last if last is not None and st.contact_t > last else None
        # A leg found again after contacts of it were missed: its track was lost for steps, so
        # this step is timed but not judged on its own (the view may be judged again from the
        # next one), whether or not missed steps are in force yet.
        lost = stride is not None and self._view.stride(self._judge, last, st.contact_t, leg_px)
        self._cadence.add(stride)
        typical, typical_travel = _typical(self._contacts), _typical(self._travels)
        # A stance far shorter than the runner's others, or than a belt carries a foot: a foot
        # lost or mistaken mid-stance, so its contact time is as unsure as its midstance.
        short = st.complete and typical is not None and contact < SHORT_STANCE * typical
        short = short or (st.complete and st.travel < MIN_JUDGED_TRAVEL)
        if self._run_cadence is not None and not short:
            # The run's rate passes over such a contact as over a missed one: the stride from
            # the leg's last sure contact counts twice. A contact a frame or two off shortens
            # one stride and lengthens the next, which cancel; one that is not this runner's
            # (someone passing, a foot swapped for a moment) splits a stride in two uneven ones.
            last_sure = self._sure_ic.get(leg)
            self._sure_ic[leg] = st.contact_t
            if last_sure is not None and st.contact_t > last_sure:
                self._run_cadence.add(st.contact_t - last_sure)
        if st.complete:
            self._contacts.append(contact)
            self._travels.append(st.travel)
        step = Step(
            leg=leg,
            contact_t=round(st.contact_t, 4),
            midstance_t=round(st.midstance_t, 4),
            toe_off_t=round(st.toe_off_t, 4) if st.complete else None,
            bounce=rounded(bounce(self._hip_lo, self._hip_hi, leg_px), 4),
            contact_time_s=(
                round(contact, 4)
                if st.complete and self.fps and self.fps >= MIN_FPS_CONTACT
                else None
            ),
            cadence_spm=self.cadence_spm,
            stance_travel=rounded(st.travel, 3),
            **metrics,
        )
        # Per-step view checks, then the verdict only where the view and landmarks support it.
        judge_ = self._judge
        self._view.stance(judge_, st, leg_px)
        self._step_ics.append(st.contact_t)
        spm = self._sure_cadence()
        # Steps being missed lengthen the step times as slow motion would: no evidence then.
        unsure = spm is None or "steps_missed" in judge_.codes
        judge_.see("slow_motion", None if unsure else spm < capture.SLOW_SPM)
        problems = list(judge_.codes)
        if not st.complete:
            problems.append("stance_cut_off")
        offset, usual = step.hip_ankle_offset, _typical(self._offsets)
        astray = offset is not None and usual is not None and abs(offset - usual) > ASTRAY_L
        if offset is not None:
            self._offsets.append(offset)
            self._leg_offsets[leg].append(offset)
        if (offset is None or short or astray) and not problems:
            # Its own hip or ankle unseen, its stance short (above), or its stance foot far from
            # where this runner's stances put it: its midstance, and so its verdict, cannot be
            # trusted.
            problems = ["landmarks_unreliable"]
        if lost and not problems:
            problems = ["steps_missed"]
        if offbeat and not problems:
            # Its contact out of time with the runner's bounce: the far foot named near, a foot
            # of someone else's, or a step timed frames late; its verdict would rest on that.
            problems = ["steps_out_of_rhythm"]
        if self._view.strides < capture.CHECK_STRIDES and not problems:
            problems = ["view_unchecked"]
        if problems:
            step.verdict, step.reasons, step.problems = None, [], problems
        else:
            # The leg's usual hip, this step's among its recent ones (sitting back is a habit,
            # and may be one leg's); the runner's until the leg has 3 steps.
            hip_usual = _typical(self._leg_offsets[leg])
            hip_usual = _typical(self._offsets) if hip_usual is None else hip_usual
            step.verdict, step.reasons = judge(
                replace(step, cadence_spm=spm),
                self.thresholds,
                self.settled.spm,
                typical_travel,
                hip_usual,
            )
        self.settled.add(step)
        self._hip_lo, self._hip_hi = -math.inf, math.inf
        self._last_step_t = st.toe_off_t
        self._steps_seen += 1
        return step


def _typical(recent: deque[float]) -> float | None:
    """The median of the runner's recent values (upper median), once there are 3 or more."""
    if len(recent) < 3:
        return None
    return sorted(recent)[len(recent) // 2]


def _rough_leg(p: list, v: list) -> float:
    """A first guess of the leg length in pixels (hip to ankle), before it is measured."""
    for side in BOTH:
        if min(v[side.hip], v[side.ankle]) >= MIN_VIS:
            d = math.dist(p[side.hip], p[side.ankle])
            if d == d and d > 0:
                return d
    return 100.0


def _feet_y(p: list, ok: list) -> tuple[float, float, float, float]:
    """Image y of the left heel, left toe, right heel, right toe (NaN where not seen)."""
    nan = math.nan
    lh, lt, rh, rt = LEFT.heel, LEFT.toe, RIGHT.heel, RIGHT.toe
    return (
        p[lh][1] if ok[lh] else nan, p[lt][1] if ok[lt] else nan,
        p[rh][1] if ok[rh] else nan, p[rt][1] if ok[rt] else nan,
    )  # fmt: skip


def analyze_trace(trace, facing: str = "auto", thresholds: Thresholds | None = None) -> dict:
    """The ``midstance-report/1`` dict of a whole :class:`core.trace.Trace`.

    Feeds the same :class:`RunAnalyzer` the appliance uses, frame by frame, so the steps are
    exactly the ones a live run over the same frames would have produced.
    """
    from core.report import build_report

    analyzer = RunAnalyzer(
        fps=trace.fps,
        facing=facing,
        thresholds=thresholds,
        frame_size=(trace.width, trace.height) if trace.width and trace.height else None,
        whole_run=True,
    )
    steps: list[Step] = []
    for t, xy, vis, roll in zip(trace.t, trace.xy, trace.vis, trace.rolls(), strict=True):
        present = not np.isnan(xy).all()
        steps.extend(
            analyzer.push(t, xy if present else None, vis if present else None, roll).steps
        )
    steps.extend(analyzer.finish())
    capture_ = analyzer.capture_summary()
    offbeat = _offbeat_warning(analyzer, capture_)
    duration = float(trace.t[-1] - trace.t[0]) + 1.0 / trace.fps if len(trace.t) else 0.0
    return build_report(
        steps,
        facing=analyzer.facing,
        fps=trace.fps,
        duration_s=duration,
        cadence=None if offbeat else analyzer.run_cadence_spm,
        warnings=list(trace.warnings)
        + _facing_warning(analyzer)
        + _few_strides(analyzer, steps)
        + offbeat,
        thresholds=analyzer.thresholds,
        capture=capture_,
    )


def _few_strides(analyzer: RunAnalyzer, steps: list[Step]) -> list[str]:
    strides = analyzer.run_strides
    if not steps or strides >= SHOWN_STRIDES:
        return []
    return [
        f"step rate not given: only {len(steps)} steps and {strides} strides timed"
        f" ({SHOWN_STRIDES} strides needed)"
    ]


def _offbeat_warning(analyzer: RunAnalyzer, capture_: dict) -> list[str]:
    """Why the run's rate is withheld when too many of its contacts were out of time (else
    nothing: no rate to withhold, or a problem in force already withholds it and says why)."""
    offbeat = analyzer.offbeat
    if offbeat is None or analyzer.run_cadence_spm is None or capture.untimed(capture_["problems"]):
        return []
    words = capture.PROBLEMS["steps_out_of_rhythm"].format(where="")
    out = f"{offbeat[0]} of {offbeat[1]} out of time"
    return [f"step rate not given: the step times are wrong, {out} ({words})"]


def _facing_warning(analyzer: RunAnalyzer) -> list[str]:
    seen, setting = analyzer.seen_facing, analyzer.facing_setting
    if setting != "auto" and seen and seen != setting:
        return [
            f"facing is set to {setting} but the runner seems to face {seen}"
            " (toes point that way): steps are likely wrong"
        ]
    return []
