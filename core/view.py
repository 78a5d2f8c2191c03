"""The view checks: can steps be judged from what the camera shows? (:mod:`core.capture` codes)

:class:`ViewChecks` looks at each frame's points (:mod:`core.body`) and at each finished stance,
and tells a :class:`core.capture.CaptureJudge` what it saw: the feet in the picture, the
runner's size, a side-on view, a still camera at a fitting height, stable left/right labels and
sharp feet. The judge weighs that evidence over time and says which problems are in force.

Example::

    checks = ViewChecks()
    checks.feet(judge, p, v, frame_size=(720, 1280))      # a few times a second
    checks.frame_rate(judge, dt)                           # (dt: seconds since the last frame)
    checks.body(judge, t, p, ok, leg_px, near_side="left", frame_size=(720, 1280))
    checks.count_swaps(p, ok, leg_px)                      # every frame
    checks.pelvis.append((t, hip_y))                       # every frame the gait sees
    checks.stance(judge, stance, leg_px)                   # every step
    checks.contact(judge, last_t, contact_t, same_leg, leg_px)  # every step after the first
    checks.stride(judge, last_contact_t, contact_t, leg_px)  # every step with a stride
    checks.level(judge, roll_deg)                          # at each roll measurement
"""

from __future__ import annotations

import math
from collections import deque

from core import capture
from core.body import BOTH, LEFT, RIGHT
from core.capture import CaptureJudge
from core.gait import Stance, stance_jitter

#: Pelvis x positions kept for the camera-movement check, seconds.
DRIFT_S = 2.0
#: Pelvis heights kept between strides (68 s at 30 fps, 8.5 s at 240 Hz: longer than a stride).
PELVIS_FRAMES = 2048
#: The longest span of three frames whose pelvis heights are averaged (24 frames a second).
_MEAN_SPAN_S = 2.0 / 24.0 + 1e-3
#: The longest time between frames that still gives :data:`core.capture.MIN_FPS`.
_MAX_DT = 1.0 / capture.MIN_FPS


class ViewChecks:
    """The view checks' memory of the recent frames and stances (see the module docstring)."""

    def __init__(self) -> None:
        self._swaps = 0  # left/right label swaps since the last step
        #: (t, hip y) of the frames since the last stride, appended by the analyzer (bounded:
        #: a person who never runs a stride must not grow it for hours)
        self.pelvis: deque[tuple[float, float]] = deque(maxlen=PELVIS_FRAMES)
        self.forget_runner()

    def forget_runner(self) -> None:
        """A new person may be in front of the camera: forget their position and speed."""
        self._hip_xs: deque[tuple[float, float]] = deque()
        self._prev_feet: tuple | None = None
        self._turned = False  # the last check saw the runner lying across the picture
        self._upright = False  # a check saw the runner upright in the picture
        self._turn_check = False  # this body check also looks at the picture's turn
        self.pelvis.clear()
        #: strides of this runner seen by :meth:`stride`
        self.strides = 0
        self._troughs: deque[float] = deque(maxlen=32)  # times of the pelvis's lowest points
        self._sinking = True  # the pelvis goes down (image y grows) toward its next trough
        self._pelvis_y = -math.inf  # lowest pelvis (largest y) of this trough, or highest
        self._pelvis_t = 0.0  # ... and when
        # the last two frames (t, y, t, y): each is read once its next neighbour is in
        self._held = (-math.inf, math.nan, -math.inf, math.nan)

    @property
    def turned(self) -> bool:
        """The last check saw the runner lying across the picture (``picture_turned``)."""
        return self._turned

    def feet(
        self, judge: CaptureJudge, p: list, v: list, frame_size: tuple[int, int] | None
    ) -> None:
        """Are the feet in the picture? (Needs no body size: with the feet cut off, the leg
        length is never measured.)"""
        size = frame_size
        # Feet: a foot is seen when its ankle and heel or toe are visible and inside the image.
        seen, where = False, ""
        for side in BOTH:
            pts = [side.ankle] + [i for i in (side.heel, side.toe) if v[i] >= capture.FOOT_VIS]
            inside = True
            for i in pts:
                x, y = p[i]
                if size and not (y < size[1] * (1 - capture.EDGE)):
                    inside, where = False, " at the bottom"
                elif size and not (size[0] * capture.EDGE < x < size[0] * (1 - capture.EDGE)):
                    inside = False
                    where = " on the left" if x <= size[0] / 2 else " on the right"
            if len(pts) > 1 and v[side.ankle] >= capture.FOOT_VIS and inside:
                seen = True
        # In a turned picture "the bottom" is not where the feet go: turning it comes first.
        judge.see("feet_out_of_frame", None if self._turned else not seen, where)

    def level(self, judge: CaptureJudge, roll_deg: float) -> None:
        """Is the camera level? ``roll_deg`` is its roll measured from the picture
        (:mod:`device.level`, + = turned clockwise). Only once the runner was seen upright: in
        a picture on its side the room's uprights lie across it, and turning it comes first."""
        if self._turned or not self._upright:
            judge.see("camera_not_level", None)
            return
        way = "clockwise" if roll_deg > 0 else "anticlockwise"
        where = f" (the picture is turned {abs(roll_deg):.0f} deg {way})"
        judge.see("camera_not_level", abs(roll_deg) > capture.LEVEL_DEG, where)

    def frame_rate(self, judge: CaptureJudge, dt: float | None) -> None:
        """Do enough frames a second arrive to time each step? ``dt`` is the time since the
        previous frame (None for the first). A phone's odd dropped frame is no problem; a
        steady rate under :data:`core.capture.MIN_FPS` (a slow Pi, a low-rate file) is."""
        if dt is None or not dt > 0:
            judge.see("frame_rate_too_low", None)
        elif dt > _MAX_DT:
            judge.see(
                "frame_rate_too_low", True, f" ({1.0 / dt:.0f}, judging needs {capture.MIN_FPS:g})"
            )
        else:
            judge.see("frame_rate_too_low", False)

    def body(
        self, judge: CaptureJudge, t: float, p: list, ok: list, leg_px: float,
        near_side: str | None, frame_size: tuple[int, int] | None,
    ) -> None:  # fmt: skip
        """The checks that need the body's size: the runner's size in the picture, the picture
        upright, a side-on view, a still camera and its height."""
        size = frame_size
        small = capture.MIN_LEG_PX
        if size:
            small = max(small, capture.MIN_LEG_SHARE * max(size))
        judge.see("runner_too_small", leg_px < small)
        self._turn_check = not self._turn_check
        if self._turn_check:  # a mounting fault, not a moment's: half the checks' rate will do
            turned, where = _turned(p, ok)
            judge.see("picture_turned", turned, where)
            self._turned = bool(turned)
            self._upright = self._upright or turned is False
        if self._turned:
            # Side-on, height and a still camera are read against the picture's up and across:
            # in a turned picture they would name the wrong fault.
            for code in ("not_side_on", "camera_moving", "camera_too_high", "camera_too_low"):
                judge.see(code, None)
            return
        # Side-on: seen from the side, the two shoulders (or hips) nearly line up in x.
        spread = None
        for i, j in ((LEFT.shoulder, RIGHT.shoulder), (LEFT.hip, RIGHT.hip)):
            if ok[i] and ok[j]:
                spread = abs(p[i][0] - p[j][0]) / leg_px
                break
        judge.see("not_side_on", None if spread is None else spread > capture.SIDE_SPREAD)
        # A fixed camera keeps the pelvis within a narrow band on a treadmill. (Not the stance
        # foot's speed from step to step: BlazePose's scatter and a belt changing speed move it
        # as much as a moving camera does; see docs/capture.md.)
        hip_x = [p[i][0] for i in (LEFT.hip, RIGHT.hip) if ok[i]]
        if hip_x:
            xs = self._hip_xs
            xs.append((t, sum(hip_x) / len(hip_x)))
            while t - xs[0][0] > DRIFT_S:
                xs.popleft()
            drift = None
            if t - xs[0][0] >= 0.5 * DRIFT_S:
                pos = [x for _, x in xs]
                drift = (max(pos) - min(pos)) / leg_px > capture.HIP_DRIFT
            judge.see("camera_moving", drift)
        # Camera height: from hip height the far hip hides behind the near one; from a lens
        # higher up it shows above it, from one lower down below it.
        if near_side is not None:
            near, far = (LEFT.hip, RIGHT.hip) if near_side == "left" else (RIGHT.hip, LEFT.hip)
            if ok[near] and ok[far]:
                drop = (p[far][1] - p[near][1]) / leg_px  # leg lengths; negative: above
                judge.see("camera_too_high", drop < -capture.FAR_HIP_SHIFT)
                judge.see("camera_too_low", drop > capture.FAR_HIP_SHIFT)

    def count_swaps(self, p: list, ok: list, leg_px: float) -> None:
        """Left/right label swaps: a frame where each foot is nearer the other's last position
        (every frame: a swap lasts one frame)."""
        a = p[LEFT.ankle] if ok[LEFT.ankle] else None
        b = p[RIGHT.ankle] if ok[RIGHT.ankle] else None
        prev, self._prev_feet = self._prev_feet, (a, b)
        if prev and a is not None and b is not None and None not in prev:
            pa, pb = prev
            same = math.dist(a, pa) + math.dist(b, pb)
            if same > 0.3 * leg_px and math.dist(a, pb) + math.dist(b, pa) < 0.5 * same:
                self._swaps += 1

    def contact(
        self, judge: CaptureJudge, since: float, until: float, same_leg: bool, leg_px: float
    ) -> bool:
        """A contact at ``until`` after the runner's previous one at ``since`` (seconds), of the
        same leg as the gait names them or not: does it keep time with the runner's bounce?

        The pelvis sinks once a step, so between two contacts it sinks once (the other leg's
        step follows) or twice (the same leg again: the other foot was hidden). No sink at all
        and the contact is no step of this runner's (another person's foot crossing theirs, a
        foot keypoint that jumped); a count that disagrees with the legs' names and a step was
        missed or named out of turn. Either way the strides and the rate are wrong. Returns
        True for such a contact."""
        self._find_troughs(leg_px)
        n = self._troughs_between(since, until)
        offbeat = n != (2 if same_leg else 1)
        judge.see("steps_out_of_rhythm", offbeat)
        return offbeat

    def stride(self, judge: CaptureJudge, since: float, until: float, leg_px: float) -> bool:
        """A stride of one leg, contact ``since`` to contact ``until`` (seconds): the pelvis
        sinks twice in a stride; four times or more and a contact of that leg was never found
        in between, so the stride (and the step rate made of such strides) is wrong. Returns
        True for such a stride."""
        self._find_troughs(leg_px)
        n = self._troughs_between(since, until)
        judge.see("steps_missed", None if n < 2 else n >= capture.MISSED_TROUGHS)
        self.strides += 1
        return n >= capture.MISSED_TROUGHS

    def _troughs_between(self, since: float, until: float) -> int:
        """How many of the pelvis's lowest points lie in ``since <= t < until``: from the
        newest back (they are in time order, and a step looks back a stride at most)."""
        n = 0
        for t in reversed(self._troughs):
            if t < since:
                break
            n += t < until
        return n

    def _find_troughs(self, leg_px: float) -> None:
        """Add the pelvis's lowest points among the frames' ``(t, y)`` the analyzer appended to
        :attr:`pelvis` since the last call (pixels, y down; only frames where a hip was seen).
        Found here, once a step, rather than every frame: the core's cost is per frame."""
        rise = capture.PELVIS_RISE * leg_px
        sinking, y0, t0, troughs = self._sinking, self._pelvis_y, self._pelvis_t, self._troughs
        # Each frame's height as a centred 1-2-1 mean with its two neighbours: the hips come
        # unfiltered (device.pose.smoothing) and scatter from frame to frame; centred, so no
        # trough is moved. Not where three frames span a good part of a step (under 24 frames a
        # second): the mean would flatten the sink itself. A frame is read once the next is in.
        span = _MEAN_SPAN_S
        t1, y1, t2, y2 = self._held
        for t3, y3 in self.pelvis:
            t, y = t2, (y1 + y2 + y2 + y3) * 0.25 if t3 - t1 <= span else y2
            t1, y1, t2, y2 = t2, y2, t3, y3
            if sinking:
                if y > y0:
                    y0, t0 = y, t
                elif y < y0 - rise:
                    troughs.append(t0)
                    sinking, y0 = False, y
            elif y < y0:
                y0 = y
            elif y > y0 + rise:
                sinking, y0, t0 = True, y, t
        self.pelvis.clear()
        self._held = (t1, y1, t2, y2)
        self._sinking, self._pelvis_y, self._pelvis_t = sinking, y0, t0

    def stance(self, judge: CaptureJudge, st: Stance, leg_px: float) -> None:
        """The checks of a step: the stance foot steady on the belt (not blurred), and the
        left/right labels steady since the last step."""
        jitter = stance_jitter(st, leg_px)
        judge.see("feet_blurred", None if jitter != jitter else jitter > capture.FOOT_JITTER)
        judge.see("labels_unstable", self._swaps > 0)
        self._swaps = 0


def _turned(p: list, ok: list) -> tuple[bool | None, str]:
    """Is the picture turned: ``(turned, where)``, None when no side's shoulder, hip and ankle
    are all seen.

    A runner's torso and legs point up the picture (a lean of 5-20 deg). Both further than
    :data:`core.capture.UPRIGHT_DEG` from it, and the runner lies across the picture or stands
    on their head: the legs alone turn when someone sits, the torso alone when they bend over.
    One side's points (the first seen whole): the core's cost per frame is on a budget, and
    a picture's turn shows as plainly on one side as on two.
    """
    for side in BOTH:
        if ok[side.shoulder] and ok[side.hip] and ok[side.ankle]:
            (sx, sy), (hx, hy), (ax, ay) = p[side.shoulder], p[side.hip], p[side.ankle]
            torso_up, legs_up = hy - sy, ay - hy  # image y grows down: positive = upright
            if torso_up > _UPRIGHT * abs(sx - hx) or legs_up > _UPRIGHT * abs(hx - ax):
                return False, ""
            return True, " on its side" if abs(sx - hx) > abs(torso_up) else " upside down"
    return None, ""


#: Upright: the rise over the run across beyond this (1 / tan of the limit angle).
_UPRIGHT = 1.0 / math.tan(math.radians(capture.UPRIGHT_DEG))
