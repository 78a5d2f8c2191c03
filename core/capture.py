"""Capture quality: does the camera view support a verdict? (ARCHITECTURE section 3)

A verdict is only as good as the view. The capture judge watches named problems; while one of
them makes verdicts unreliable, steps are still timed but not judged (``verdict: None``), and
while one makes the timing itself wrong (:data:`UNTIMED`) no step rate is given; the LED shows
``not_judging`` and the page, ``/setup`` and ``doctor`` say what to change, in words an
installer can act on.

Problem codes (a contract: reports, ``/api/live`` and the page use them):

========================  =====================================================================
``feet_out_of_frame``     the feet leave the image (bottom or sides)
``not_side_on``           the camera does not see the runner from the side
``camera_too_low``        the lens is well below hip height (the far hip shows below the near)
``camera_too_high``       the lens is well above hip height (the far hip shows above the near)
``runner_too_small``      the runner is too few pixels tall for reliable landmarks
``feet_blurred``          the foot landmarks jitter from frame to frame (motion blur)
``labels_unstable``       the pose model keeps swapping left and right
``slow_motion``           the timing looks like a slow-motion file: give ``--capture-fps``
``not_running``           the motion is not running (walking, standing)
``camera_moving``         the whole runner moves in the image: a panning camera, or the pose
                          model following someone who passes in front of it
``frame_rate_too_low``    too few frames a second reach the analysis to time each step
``steps_missed``          the pelvis sank more often than steps were found: the feet are lost
                          between contacts (blurred, hidden), so strides and the rate are wrong;
                          also a step's own, when it ends a stride of its leg that spans
                          contacts never found (its track was lost for steps before it)
``steps_out_of_rhythm``   contacts do not keep time with the pelvis's bounce (no sink between
                          two, or a count the legs' names deny): someone else's feet in view,
                          or steps missed or named out of turn, so strides and the rate are wrong;
                          also a step's own, when its contact is out of time
``picture_turned``        the runner lies across the picture or stands on their head (a camera
                          mounted sideways without ``camera.rotate``, a file read as stored)
``camera_not_level``      the camera is rolled on its mount: the room's upright edges lean in the
                          picture (:mod:`device.level`), so lean and overstride would be read
                          against a tilted upright
``landmarks_unreliable``  (a step's own) the stance hip or ankle was not seen at that step
``stance_cut_off``        (a step's own) the recording ended before its toe-off
``view_unchecked``        (a step's own) one of a runner's first strides, before the checks made
                          once a step (above: blur, labels, steps missed) could have spoken
========================  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

#: Every problem code and the installer's words for it (``{side}`` filled in where known).
PROBLEMS: dict[str, str] = {
    "feet_out_of_frame": "feet leave the frame{where}: move the camera back or tilt it down",
    "not_side_on": "the runner is not seen from the side: put the camera square to the belt",
    "camera_too_low": "the camera is too low: raise the lens to about hip height",
    "camera_too_high": "the camera is too high: lower the lens to about hip height",
    "runner_too_small": "the runner is too small in the image: move the camera closer",
    "feet_blurred": "the feet are blurred: add light or shorten the exposure",
    "labels_unstable": "left and right legs keep swapping: make sure the side view is clear",
    "slow_motion": (
        "this looks like a slow-motion file: give the rate it was filmed at with --capture-fps"
    ),
    "not_running": "no running steps found{where}",
    "camera_moving": (
        "the camera moved, or someone passed in front of it: fix it firmly to a stand and keep"
        " the space between it and the treadmill clear"
    ),
    "frame_rate_too_low": (
        "too few frames a second{where}: steps are missed and the step rate may be wrong; film"
        " at 25 frames a second or more (a Pi 5 with the full model), or give a slow-motion"
        " file's real rate with --capture-fps"
    ),
    "steps_missed": (
        "steps are being missed (the feet are lost between contacts): mend any other problem"
        " shown first, then light the feet better or shorten the exposure"
    ),
    "steps_out_of_rhythm": (
        "the steps found do not keep time with the runner's bounce: someone else's legs may be"
        " in view; keep the space behind the runner clear"
    ),
    "picture_turned": (
        "the picture is turned{where}: turn it so the runner stands upright"
        " (on the appliance: camera.rotate)"
    ),
    "camera_not_level": (
        "the camera is not level{where}: level it on its mount (a spirit level on top of it)"
    ),
    # Step-level: this step's own hip or ankle was not seen, whatever the view.
    "landmarks_unreliable": "the hip or ankle was hidden at this step: clear the view of the legs",
    "stance_cut_off": "the recording ended during this step",
    "view_unchecked": "the view is still being checked over the runner's first strides",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One capture problem: its code, the installer's message and its share of the frames."""

    code: str
    message: str
    share: float

    def as_dict(self) -> dict:
        """The report's ``{"code", "message", "share"}``."""
        return {"code": self.code, "message": self.message, "share": round(self.share, 3)}


def problem(code: str, share: float, where: str = "") -> Problem:
    """A :class:`Problem` with its standard message (``where`` e.g. ``" at the bottom"``)."""
    return Problem(code, PROBLEMS[code].format(where=where), float(share))


#: Problems under which the step times themselves are wrong, so no step rate is given (live,
#: per step or for the run): too few frames a second to time a step, a clock that is not the
#: runner's (a slow-motion file), or strides that span steps never found. The others spoil
#: verdicts, not the rate: steps missed where the feet leave the frame now and then leave the
#: strides between the steps found (docs/capture.md).
UNTIMED = frozenset({"frame_rate_too_low", "slow_motion", "steps_missed", "steps_out_of_rhythm"})

#: Share of recent frames (or steps) a problem must hold in to be in force.
IN_FORCE = 0.4
#: A problem in force is cleared again only below this share (hysteresis: no flicker).
CLEARED = 0.2


def untimed(problems: list[dict]) -> list[dict]:
    """The problems of a report's ``capture`` under which its step times are wrong for the
    run: an :data:`UNTIMED` code in force for :data:`CLEARED` of it or more."""
    return [p for p in problems if p["code"] in UNTIMED and p["share"] >= CLEARED]


#: Thresholds of the view checks (leg lengths L unless said; see docs/capture.md for why).
FOOT_VIS = 0.5  # a foot landmark less visible than this is not seen
EDGE = 0.01  # a landmark within 1 % of the image border is at the edge
MIN_LEG_PX = 60.0  # fewer pixels of leg than this: the landmark model has too little to see
MIN_LEG_SHARE = 0.08  # ... or less than this share of the image's longer side
SIDE_SPREAD = 0.25  # left-right shoulder (or hip) spread in x beyond this: not side-on
FOOT_JITTER = 0.12  # RMS scatter of the stance foot about its belt line beyond this: blurred
HIP_DRIFT = 0.5  # range of the pelvis x over 2 s beyond this: the camera moves
FAR_HIP_SHIFT = 0.06  # the far hip shows this far above (below) the near one: camera too high (low)
UPRIGHT_DEG = 45.0  # torso and legs both further than this from the picture's up: turned
# The camera's roll (degrees, measured from the picture) beyond which lean and overstride are
# not judged: good runners filmed 3 deg off level already get the odd warn (docs/capture.md).
LEVEL_DEG = 2.5
# Roll measurements (a second apart at first, then 5 s) the level check weighs, and the
# fewest it acts on.
LEVEL_WINDOW = 3
LEVEL_MIN = 2
SLOW_SPM = 115.0  # running with flight phases but a step rate below this: slow motion
# The pelvis sinks once a step (lowest at midstance) and rises 0.07-0.11 L between; a trough
# ends once it has risen this much (BlazePose's hips, unfiltered, scatter ~0.015 L from frame to
# frame; the view checks take each height as a centred mean with its neighbours, core.view).
PELVIS_RISE = 0.02
# A stride (contact to the same leg's next) holds two pelvis troughs; one that spans a contact
# of that leg never found holds four or more (three: the legs' names mixed up for a step).
MISSED_TROUGHS = 4
# Strides of a runner before a step may be judged: the checks made once a step act on 4
# observations (CaptureJudge), so until then a view that loses the feet or blurs them would
# be judged unchecked.
CHECK_STRIDES = 4
# Frames a second below which steps cannot be timed: a step at 195 steps/min then spans under
# 4 frames, the fewest that show a landing, the foot riding the belt and its lift.
MIN_FPS = 13.0


class ShareWindow:
    """The share of the last ``size`` observations that were True (None = no observation)."""

    def __init__(self, size: int):
        self.size = max(1, int(size))
        self.reset()

    def reset(self) -> None:
        """Forget the observations."""
        self._ring: list[bool] = []
        self._i = 0
        self.true = 0

    def add(self, flag: bool | None) -> int:
        """Add one observation; None is skipped (no evidence either way). Returns how many
        observations the window holds (:attr:`count`)."""
        ring = self._ring
        if flag is None:
            return len(ring)
        flag = bool(flag)
        if len(ring) < self.size:
            ring.append(flag)
        else:
            self.true -= ring[self._i]
            ring[self._i] = flag
            self._i = (self._i + 1) % self.size
        self.true += flag
        return len(ring)

    @property
    def count(self) -> int:
        """How many observations the window holds."""
        return len(self._ring)

    @property
    def share(self) -> float:
        """Share of True observations (0 when empty)."""
        return self.true / len(self._ring) if self._ring else 0.0


class CaptureJudge:
    """Which capture problems are in force, from per-frame and per-step observations.

    The analyzer reports, for each check, whether this frame (or this step) shows the problem
    (:meth:`see`); a problem comes into force when it holds in at least :data:`IN_FORCE` of the
    recent observations (``window_s`` of frames, or ``window_steps`` steps) and leaves only
    below :data:`CLEARED`, so the LED does not flicker between judging and not. Over the whole
    run it counts the frames each problem was in force, for the report's ``capture``.

    Example::

        judge = CaptureJudge(fps=30)
        judge.see("runner_too_small", leg_px < 60)
        judge.tick()                      # once per frame, after the frame's observations
        judge.in_force                    # (Problem(...), ...)
    """

    #: Checks observed once per step rather than per frame.
    PER_STEP = frozenset(
        {"feet_blurred", "labels_unstable", "slow_motion", "steps_missed", "steps_out_of_rhythm"}
    )

    def __init__(self, fps: float = 30.0, window_s: float = 3.0, window_steps: int = 8):
        frames = max(8, round(window_s * fps))
        self._windows = {
            code: ShareWindow(window_steps if code in self.PER_STEP else frames)
            for code in PROBLEMS
        }
        #: Fewest observations before a check may put its problem in force.
        self._min = {
            code: (4 if code in self.PER_STEP else max(4, frames // 3)) for code in PROBLEMS
        }
        # The roll is measured a second apart at first, then 5 s, not every frame (device.level).
        self._windows["camera_not_level"] = ShareWindow(LEVEL_WINDOW)
        self._min["camera_not_level"] = LEVEL_MIN
        # The step rate is already a robust figure over several strides: act on it at once,
        # before a slow-motion file's "slow" steps are judged.
        self._min["slow_motion"] = 1
        # The legs' names settle over a runner's first strides (core.legs): a good view may
        # count a step out of turn twice in its first four, never in four of a whole window.
        self._min["steps_out_of_rhythm"] = window_steps
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new runner or session)."""
        for window in self._windows.values():
            window.reset()
        self._on: dict[str, str] = {}  # code -> where
        self._where: dict[str, str] = {}
        self.frames = 0
        self.frames_on: dict[str, int] = {}
        self.where_seen: dict[str, str] = {}

    def see(self, code: str, flag: bool | None, where: str = "") -> None:
        """One observation of check ``code``: True = the problem shows; None = cannot tell."""
        window = self._windows[code]
        n = window.add(flag)
        if flag:
            self._where[code] = where
        if n < self._min[code]:
            return
        share = window.true / n  # window.share, without a second call: a few times a frame
        if code in self._on:
            if share < CLEARED:
                del self._on[code]
        elif share >= IN_FORCE:
            self._on[code] = self._where.get(code, "")

    @property
    def checked(self) -> bool:
        """True once the per-frame view checks have seen enough frames to decide (about a
        second): verdicts wait for it, so the first steps are not judged on an unchecked view."""
        # observed on every frame with a body size (the drift once a second of pelvis is in)
        codes = ("runner_too_small", "camera_moving")
        return all(self._windows[c].count >= self._min[c] for c in codes)

    def clear_of(self, code: str) -> bool:
        """True when none of the check's recent observations showed the problem (in force or
        not): a figure made of those steps holds no step the check doubted."""
        return self._windows[code].true == 0

    def clear(self, code: str) -> None:
        """Forget one check's observations (e.g. a step-rate check after a new runner)."""
        self._windows[code].reset()
        self._on.pop(code, None)

    def tick(self) -> None:
        """Count one frame for the run totals (call once per frame with a person)."""
        self.frames += 1
        for code, where in self._on.items():
            self.frames_on[code] = self.frames_on.get(code, 0) + 1
            self.where_seen.setdefault(code, where)

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes in force now, in :data:`PROBLEMS` order."""
        if not self._on:  # the usual case, asked every frame
            return ()
        return tuple(code for code in PROBLEMS if code in self._on)

    @property
    def in_force(self) -> tuple[Problem, ...]:
        """The problems in force now, with their share of the recent observations."""
        if not self._on:  # the usual case, asked every frame
            return ()
        return tuple(
            problem(code, self._windows[code].share, self._on[code]) for code in self.codes
        )

    def run_summary(self, extra: tuple[Problem, ...] = ()) -> dict:
        """The report's ``{"ok", "problems"}`` over the whole run.

        ``share`` is the share of the frames with a person during which the problem was in
        force. The capture is ``ok`` when no problem was in force for :data:`CLEARED` of them.
        ``extra`` adds problems only the whole run shows (e.g. ``not_running``).
        """
        found = [
            problem(code, self.frames_on[code] / self.frames, self.where_seen.get(code, ""))
            for code in PROBLEMS
            if self.frames and self.frames_on.get(code)
        ]
        found = [p for p in found if p.code not in {e.code for e in extra}] + list(extra)
        found.sort(key=lambda p: -p.share)
        return {
            "ok": all(p.share < CLEARED for p in found),
            "problems": [p.as_dict() for p in found],
        }
