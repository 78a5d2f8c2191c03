"""Streaming gait events of one leg on a treadmill: initial contact, midstance, toe-off.

On a treadmill the stance foot sits on the belt (its lowest position in the image) and travels
backward with it; the swing foot is off the belt and comes forward. So, per leg, from the heel
and toe (``foot_index``) positions in leg lengths ``L`` (image y down):

- height ``h`` of a foot point = (its belt level - its y) / L, the belt level being a high
  percentile of that point's recent y (:class:`RollingLevels`, per leg and point, because the
  far foot stands higher in a perspective image);
- **initial contact (IC)** at frame j: the foot is low (``min(h_heel, h_toe) < H_ON``, 0.08 L:
  at a heel strike the heel keypoint is still ~0.06 L above its flat-foot level) and it moves
  backward between j and j+1 faster than ``BELT_SHARE`` (0.6) of the belt speed learnt from
  the last stances (at least ``V_ON``, 0.8 L/s). That is the annotators' "first frame the heel
  moves rearward at belt speed"; swing-foot retraction before landing is slower than the belt;
- **toe-off (TO)** at frame j: the last frame the toe is within ``H_BACK`` (0.015 L) of its
  lowest point in this stance, once it has risen ``H_OFF`` (0.03 L) above it;
- **midstance (MS)**: the lowest pelvis (largest hip y) between IC and TO (ARCHITECTURE
  section 3), placed between frames by a least-squares parabola through the stance's pelvis
  heights (:func:`core.fit.peak_time`; the lowest frame when the fit is not a clear trough).

Decisions about frame j are taken when frame j+1 arrives; a step is known when its toe has
risen ``H_OFF``: 1-2 frames after its toe-off at 30 fps, ~30 ms at 150 Hz. A stance is dropped,
never guessed, when the foot is lost during it (for longer than ``GAP_S``, 0.15 s between the
frames it is seen in: a shorter gap is bridged), when it began before a swing was seen (the
foot coming ``MIN_SWING``, 0.3 L, forward of where its last stance left it: a foot that
appears mid-stance, or a keypoint that jumps for a frame, starts no step), when it lasts
longer than ``MAX_CONTACT_S`` or more than ``MAX_DUTY`` of the stride (walking has double
support, running a flight phase), or when the foot hardly moved backward (``MIN_TRAVEL``:
standing). A foot on the belt only rides backward: when it comes ``FORWARD`` (0.15 L) forward
of the rearmost point it reached in the contact before its toe lifts, it left the belt there
if it had ridden it a stance's worth (``MIN_TRAVEL`` in ``MIN_CONTACT_S``: seen from above hip
height a toe leaving the belt toward the camera need not rise in the image); else the contact
is void and the foot still in its swing (the "landing" was a frame the pose model garbled: the
swing foot's points put on the stance foot).

Tuned by sweeping two thresholds (H_ON, H_BACK) against the treadmill clip's hand annotation and
the 150 Hz motion capture's marker events together: see the README's core section for figures.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.fit import peak_time

#: Defaults (leg lengths, L/s, seconds); see the module docstring.
H_ON = 0.08
H_OFF = 0.03
H_BACK = 0.015
BELT_SHARE = 0.6
V_ON = 0.8
MIN_TRAVEL = 0.10
MIN_SWING = 0.3
#: A foot in contact that comes this far (leg lengths) forward of the rearmost point it reached
#: in the contact, its toe not yet lifting, is in the air: the "landing" was a garbled frame.
FORWARD = 0.15
MIN_CONTACT_S = 0.12
#: A stance is closed (and dropped) after this long without a toe-off. Generous on purpose: a
#: slow-motion file stretches a 0.25 s contact to 2 s at 8x, and its steps must still be timed
#: (then flagged ``slow_motion``), never silently dropped. Walking is told apart by the duty
#: factor instead (MAX_DUTY), which holds at any time base.
MAX_CONTACT_S = 2.5
#: A foot lost for no longer than this (seconds between the frames it is seen in) is bridged.
GAP_S = 0.15
MAX_DUTY = 0.56
MAX_STRIDE_S = 12.0
#: A leg's first stance lasting longer than this waits for the leg's next contact, which gives
#: the stride its duty factor is judged by (running or walking); shorter ones are running at
#: any ordinary speed and are out at once.
SURE_RUNNING_S = 0.4


class RollingLevels:
    """Percentiles of a few signals over their recent samples (e.g. the belt level of each foot
    point as a high percentile of its y; the leg length as a median).

    Bounded memory: one ring of ``size`` samples per signal (NaN = not seen). The levels are
    recomputed every ``every`` samples, so samples are only collected in between and go into
    the ring together at the refresh: per frame that is one list append, and per refresh one
    write, one sort of every ring at once and a nearest-rank pick per signal.
    """

    def __init__(self, qs: tuple[float, ...], size: int = 256, every: int = 16):
        self.buf = np.full((size, len(qs)), np.nan)  # row = sample, column = signal
        self.qs, self.size, self.every = qs, size, every
        self.i = 0  # samples written into the ring so far
        self._new: list[tuple[float, ...]] = []
        self.levels = [math.nan] * len(qs)

    def add(self, values: tuple[float, ...]) -> list[float]:
        """Add one sample of every signal; returns the current levels (NaN until known)."""
        self._new.append(values)
        if len(self._new) < self.every:
            return self.levels
        start = self.i % self.size
        head = min(len(self._new), self.size - start)  # the rest wraps to the ring's start
        self.buf[start : start + head] = self._new[:head]
        if head < len(self._new):
            self.buf[: len(self._new) - head] = self._new[head:]
        self.i += len(self._new)
        self._new.clear()
        ranked = np.sort(self.buf, axis=0)  # NaN sorts last
        counts = np.isnan(self.buf).sum(axis=0).tolist()
        enough = min(2 * self.every, self.size)  # a stride or so before a level means much
        for j, (q, missing) in enumerate(zip(self.qs, counts, strict=True)):
            n = self.size - missing
            if n >= enough:
                self.levels[j] = ranked.item(round(q / 100.0 * (n - 1)), j)  # nearest rank
        return self.levels


@dataclass(slots=True)
class FootFrame:
    """One frame of one leg as the event detector sees it (pixels, seconds)."""

    t: float
    heel_y: float
    toe_y: float
    foot_x: float
    hip_y: float
    ok: bool
    pose: Any = None  # what the caller wants back at the events (e.g. the landmark points)


@dataclass
class Stance:
    """A finished stance: its frames from IC to TO and the midstance time between them.

    ``midstance_t`` is the lowest point of the pelvis, between frames (see :meth:`LegEvents.push`);
    :attr:`ic`, :attr:`ms` and :attr:`to` are the poses of the contact frame, the frame nearest
    to midstance and the toe-off frame.
    """

    leg: str
    frames: tuple[FootFrame, ...]  # IC to TO
    midstance_t: float
    travel: float  # backward travel of the foot during contact, leg lengths
    complete: bool = True  # False: the recording ended before the toe-off

    @property
    def contact_t(self) -> float:
        """Time of initial contact, seconds."""
        return self.frames[0].t

    @property
    def toe_off_t(self) -> float:
        """Time of toe-off, seconds (of the last frame seen, for a stance cut off)."""
        return self.frames[-1].t

    @property
    def ic(self) -> Any:
        """The pose at initial contact."""
        return self.frames[0].pose

    @property
    def ms(self) -> Any:
        """The pose of the frame nearest to midstance."""
        return min(self.frames, key=lambda fr: abs(fr.t - self.midstance_t)).pose

    @property
    def to(self) -> Any:
        """The pose at toe-off."""
        return self.frames[-1].pose


class LegEvents:
    """Streaming IC/MS/TO detection for one leg (see the module docstring).

    Call :meth:`push` once per frame with a :class:`FootFrame`; it returns a :class:`Stance`
    when one ends (one frame after its toe-off), else None.
    """

    def __init__(self, leg: str):
        self.leg = leg
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new runner or a gap)."""
        self.prev: FootFrame | None = None
        self.last_seen: FootFrame | None = None  # the foot's last frame before it was lost
        self.contact: list[FootFrame] | None = None  # the frames of the current stance
        self.levels = (math.nan, math.nan)  # the belt levels (heel, toe) of the current stance
        self.lifting = False  # the toe rose last frame: a toe-off if it is still up now
        self.toe_min = math.inf
        self.last_ic_t: float | None = None
        self.stride_s: float | None = None
        self.strides: deque[float] = deque(maxlen=5)  # recent strides, for the duty check
        self.swung = False  # a stance already under way when we start is not a whole step
        self.rear = -math.inf  # rearmost foot position since (and in) the last stance, L
        self.belt: deque[float] = deque(maxlen=5)  # recent belt speeds, L/s
        self.pending: Stance | None = None  # a long first stance waiting for its stride
        self.reappearing = False  # the foot was just hidden: its first frames start no stance
        self.contact_rear = -math.inf  # rearmost foot position in the current contact, L
        self.rear_at = 0  # the contact's frame at that position
        self._before_ic: tuple = (None, None, ())  # stride state to restore if a contact is void

    @property
    def v_on(self) -> float:
        """Backward foot speed (L/s) that marks a contact: a share of the belt's speed."""
        if not self.belt:
            return V_ON
        return max(V_ON, BELT_SHARE * sorted(self.belt)[len(self.belt) // 2])

    def push(
        self, f: FootFrame, s: int, leg_px: float, heel_level: float, toe_level: float
    ) -> Stance | None:
        """Feed the next frame; ``s`` = facing sign, ``leg_px`` = L in pixels."""
        prev, self.prev = self.prev, f
        if prev is None or not (s and leg_px > 0) or f.t <= prev.t:
            self.contact = None
            return None
        bridged = False
        if not (prev.ok and f.ok):
            if not f.ok:
                if prev.ok:
                    self.last_seen = prev
                if self.last_seen is None or f.t - self.last_seen.t > GAP_S:
                    self._lose()
                return None
            seen, self.last_seen = self.last_seen, None
            if seen is None or f.t - seen.t > GAP_S:
                self._lose()
                return None
            # Lost for a moment (a keypoint's flicker, the far foot behind the near leg): the
            # frames either side of the gap are read as consecutive.
            prev, bridged = seen, True
        speed = -s * (f.foot_x - prev.foot_x) / leg_px / (f.t - prev.t)  # backward, L/s
        frames = self.contact
        if frames is not None:
            # Heights within a stance are against the belt levels at its contact: a level that
            # moves mid-stance (the rolling estimate catching up) would shift every height and
            # fake a toe-off.
            heel_level, toe_level = self.levels
        released = None
        if frames is None:
            # A new stance needs a swing first: the foot came MIN_SWING forward of the rearmost
            # point it reached since the last stance. A toe that wobbles, or a foot keypoint
            # that jumps for a frame or two (BlazePose swaps the feet now and then), must not
            # split one contact into two steps.
            back_pos = -s * prev.foot_x / leg_px
            self.rear = max(self.rear, back_pos)
            # The first contact of a recording may follow a swing that began before it: a
            # sixth of the usual forward travel is enough then.
            swing = MIN_SWING if self.last_ic_t is not None else MIN_SWING / 6
            if self.rear - back_pos >= swing:
                self.swung = True
            landing = _low(prev, heel_level, toe_level, leg_px) < H_ON and speed > self.v_on
            if self.reappearing:
                # A foot that comes back into view already on the belt and riding it backward
                # is mid-stance (its landing was hidden): no contact to time.
                self.reappearing = False
                if landing:
                    self.swung = False
                    self.rear = back_pos
                    return None
            if not (self.swung and landing):
                if bridged:
                    # Back in view without a landing across the gap: it may have landed
                    # unseen, so the next frame is read as a foot reappearing.
                    self.reappearing = True
                return None
            self.swung = False
            self.rear = -math.inf
            self.contact = frames = [prev]
            self.contact_rear = back_pos
            self.rear_at = 0
            self.levels = (heel_level, toe_level)
            self.lifting = False
            self.toe_min = math.inf
            self._before_ic = (self.last_ic_t, self.stride_s, tuple(self.strides))
            if self.last_ic_t is not None:
                gap = prev.t - self.last_ic_t
                self.stride_s = gap if gap < MAX_STRIDE_S else None
                if self.stride_s is not None:
                    self.strides.append(self.stride_s)
            self.last_ic_t = prev.t
            if self.pending is not None:
                # The stride after a long first stance is known now: running (a flight phase)
                # releases it; walking drops it.
                held, self.pending = self.pending, None
                contact_held = held.toe_off_t - held.contact_t
                if self.stride_s is not None and contact_held <= MAX_DUTY * self.stride_s:
                    released = held
        else:
            frames.append(prev)
            back = -s * prev.foot_x / leg_px
            if back >= self.contact_rear:
                self.contact_rear, self.rear_at = back, len(frames) - 1
        # Toe-off: the toe rises H_OFF above the lowest it was in this stance. Measured from
        # the stance's own lowest point, not the belt level, because a runner drifting toward
        # or away from the camera moves the belt in the image faster than the level follows;
        # and a heel striker lands toe-up, so only a toe that has come down can lift.
        self.toe_min = min(self.toe_min, _toe(prev, heel_level, toe_level, leg_px))
        toe = _toe(f, heel_level, toe_level, leg_px)
        lifted = (self.toe_min < H_ON and toe - self.toe_min > H_OFF) or (
            _low(f, heel_level, toe_level, leg_px) > 2 * H_ON
        )
        if lifted and prev.t - frames[0].t < MIN_CONTACT_S:
            # Too soon after the contact for a toe-off: a foot keypoint that jumped for a frame
            # (BlazePose does this now and then). Ending the stance here would cut its
            # midstance short and judge the step from the wrong frame.
            lifted = False
        if lifted and not self.lifting:
            # A toe that really leaves the belt keeps rising; one frame off it and back is a
            # keypoint that jumped. Confirm the lift on the next frame (one frame later).
            self.lifting = True
            lifted = False
        elif not lifted:
            self.lifting = False
            if self.contact_rear + s * f.foot_x / leg_px > FORWARD:
                rode = frames[: self.rear_at + 1]
                if _rode_belt(rode, s, leg_px):
                    # A whole stance, then the foot swung forward without its toe rising
                    # in the image: seen from above hip height, a toe that leaves the belt
                    # moving toward the camera can even seem to sink. It left the belt by
                    # the rearmost point it rode to.
                    return self._close(rode, s, leg_px, heel_level, toe_level)
                self._void(-s * f.foot_x / leg_px)
                return released
        if not lifted and prev.t - frames[0].t <= MAX_CONTACT_S:
            return released
        return self._close(frames, s, leg_px, heel_level, toe_level)

    def _lose(self) -> None:
        """The foot is lost for longer than ``GAP_S``. During a stance: drop it rather than
        guess, and wait for a swing before the next one (a foot that reappears mid-stance is no
        contact). During a swing (the far foot passing behind the near leg): keep what the
        swing showed."""
        if self.contact is not None:
            self.contact = None
            self.swung = False
            self.rear = -math.inf
        self.reappearing = True
        self.last_seen = None

    def _void(self, back_pos: float) -> None:
        """Undo the current contact: its foot came forward without lifting its toe, so it
        never rode the belt (a garbled frame looked like a landing). The foot is swinging:
        its real landing, still to come, must start a stance, and the stride is as before."""
        self.contact = None
        self.swung = False
        self.rear = max(self.contact_rear, back_pos)
        self.last_ic_t, self.stride_s, strides = self._before_ic
        self.strides.clear()
        self.strides.extend(strides)

    def end(self, s: int, leg_px: float) -> Stance | None:
        """At the end of a recording: the stance whose toe-off was waiting for its confirming
        frame ends there (the recording has no next frame to confirm it); else None. A foot
        lost when the recording ends is lost for good: its open stance is dropped."""
        if self.prev is not None and not self.prev.ok:
            self._lose()
            return None
        if not (self.lifting and self.contact and self.prev is not None and s and leg_px > 0):
            return None
        frames = [*self.contact, self.prev]
        return self._close(frames, s, leg_px, *self.levels)

    def _close(
        self, frames: list[FootFrame], s: int, leg_px: float, heel_level: float, toe_level: float
    ) -> Stance | None:
        """End the stance of ``frames`` (up to the first lifted frame): its toe-off, checks
        and midstance; the :class:`Stance`, or None when it is no running contact."""
        self.contact = None
        self.lifting = False
        # The swing starts from where the stance left the foot: a far foot hidden behind the
        # near leg right after its toe-off shows only the end of its swing.
        self.rear = max(self.rear, self.contact_rear)
        # The toe was last on the belt at the last frame within H_BACK of its lowest point:
        # H_OFF only makes the lift certain, the toe-off itself came before it.
        end = len(frames) - 1
        while end > 0 and _toe(frames[end], heel_level, toe_level, leg_px) > self.toe_min + H_BACK:
            end -= 1
        ic, to = frames[0], frames[end]
        contact_s = to.t - ic.t
        travel = -s * (to.foot_x - ic.foot_x) / leg_px
        if len(self.belt) < 3 and contact_s > 0 and travel > 0:
            # The belt's speed was not known yet when this contact began, so a swing foot
            # drawn back just before landing could pass for one: the contact starts where the
            # foot first rode back at BELT_SHARE of this stance's own belt speed.
            v_on = BELT_SHARE * travel / contact_s
            start = 0
            while start < end // 2 and _speed(frames[start], frames[start + 1], s, leg_px) < v_on:
                start += 1
            if start:
                frames, end = frames[start:], end - start
                ic = frames[0]
                contact_s = to.t - ic.t
                travel = -s * (to.foot_x - ic.foot_x) / leg_px
        if contact_s > MAX_CONTACT_S or travel < MIN_TRAVEL:
            return None
        if self.stride_s is not None and contact_s > MAX_DUTY * self._typical_stride():
            return None  # no flight phase: walking
        if contact_s > 0:
            self.belt.append(travel / contact_s)
        # Midstance: the lowest pelvis (largest image y). A parabola through the whole stance
        # places it between frames and is not thrown by one frame's jitter, which matters
        # because the stance ankle moves ~0.09 leg lengths per frame at 30 fps.
        stance = tuple(frames[: end + 1])
        ms_t = peak_time([fr.t for fr in stance], [fr.hip_y for fr in stance])
        if ms_t != ms_t:  # the pelvis was never seen: the middle of the stance
            ms_t = stance[len(stance) // 2].t
        done = Stance(self.leg, stance, ms_t, travel)
        if self.stride_s is None and contact_s > SURE_RUNNING_S:
            self.pending = done
            return None
        return done

    def _typical_stride(self) -> float:
        # The longer of this stride and the recent median: when the foot track swapped feet
        # (BlazePose swaps labels), one "stride" is a step, and a running stance would look
        # like walking against it.
        recent = sorted(self.strides)
        return max(self.stride_s or 0.0, recent[len(recent) // 2] if recent else 0.0)


def cut_off(events: LegEvents, s: int, leg_px: float) -> Stance | None:
    """The stance still open on ``events`` when a recording ends, as an incomplete
    :class:`Stance` (no toe-off), if it lasted long enough to be a contact; else None. Asked
    after :meth:`LegEvents.end`, which has dropped the stance of a foot lost at the end."""
    frames = events.contact
    if not frames or not (s and leg_px > 0):
        return None
    if events.prev is not None and events.prev is not frames[-1]:
        frames = [*frames, events.prev]
    # The landing itself was already checked (foot down, riding the belt back): a contact in
    # the last frames of a recording is a real step even though its stance is cut short.
    if len(frames) < 2:
        return None
    travel = -s * (frames[-1].foot_x - frames[0].foot_x) / leg_px
    if travel <= 0:
        return None
    ms_t = peak_time([f.t for f in frames], [f.hip_y for f in frames])
    if ms_t != ms_t:
        ms_t = frames[len(frames) // 2].t
    return Stance(events.leg, tuple(frames), ms_t, travel, complete=False)


def stance_jitter(stance: Stance, leg_px: float) -> float:
    """How much the stance foot's keypoints scatter, leg lengths (RMS; NaN if too few frames).

    On the belt the foot moves at a steady speed and stays at one height, so the heel's x
    about a straight line through the stance and the toe's (else the heel's) y about its
    median should scatter by little more than a pixel or two; a blurred or mis-tracked foot
    scatters far more.
    """
    frames = [f for f in stance.frames if f.foot_x == f.foot_x]
    n = len(frames)
    if n < 4 or not leg_px > 0:
        return math.nan
    t = [f.t for f in frames]
    x = [f.foot_x for f in frames]
    y = [f.toe_y if f.toe_y == f.toe_y else f.heel_y for f in frames]
    tm, xm = sum(t) / n, sum(x) / n
    stt = sum((a - tm) ** 2 for a in t) or 1.0
    slope = sum((a - tm) * (b - xm) for a, b in zip(t, x, strict=True)) / stt
    rx = [b - (xm + slope * (a - tm)) for a, b in zip(t, x, strict=True)]
    ys = sorted(v for v in y if v == v)
    ry = [v - ys[len(ys) // 2] for v in y if v == v] if ys else []
    sq = [r * r for r in rx + ry]
    return math.sqrt(sum(sq) / len(sq)) / leg_px


def _rode_belt(frames: list[FootFrame], s: int, leg_px: float) -> bool:
    """Whether ``frames`` of a contact are a stance: the foot rode the belt back
    ``MIN_TRAVEL`` for at least ``MIN_CONTACT_S``, which a garbled frame never does."""
    travel = -s * (frames[-1].foot_x - frames[0].foot_x) / leg_px
    return frames[-1].t - frames[0].t >= MIN_CONTACT_S and travel >= MIN_TRAVEL


def _speed(a: FootFrame, b: FootFrame, s: int, leg_px: float) -> float:
    """Backward foot speed from frame ``a`` to ``b``, leg lengths per second."""
    return -s * (b.foot_x - a.foot_x) / leg_px / (b.t - a.t) if b.t > a.t else 0.0


def _low(f: FootFrame, heel_level: float, toe_level: float, leg_px: float) -> float:
    """Height of the lower foot point above its belt level, leg lengths (inf if unknown)."""
    h = math.inf
    if f.heel_y == f.heel_y and heel_level == heel_level:
        h = (heel_level - f.heel_y) / leg_px
    if f.toe_y == f.toe_y and toe_level == toe_level:
        h = min(h, (toe_level - f.toe_y) / leg_px)
    return h


def _toe(f: FootFrame, heel_level: float, toe_level: float, leg_px: float) -> float:
    """Height of the toe above the belt (the heel's if the toe is not tracked), leg lengths."""
    if f.toe_y == f.toe_y and toe_level == toe_level:
        return (toe_level - f.toe_y) / leg_px
    if f.heel_y == f.heel_y and heel_level == heel_level:
        return (heel_level - f.heel_y) / leg_px
    return math.inf


class Cadence:
    """Steps per minute from stride times (IC to IC of the same leg), both legs pooled.

    Strides, not steps, because the far leg may be hidden: each stride is two steps. The value
    is the mean of the recent strides within 20 % of their median (robust to a missed step,
    and the mean keeps the precision a median loses to frame quantisation at low fps). It is
    None until ``min_strides`` strides are in: with one or two, a single missed contact (a
    "stride" of two) would halve it and warn a runner of a slow step rate they do not have.
    """

    def __init__(self, recent: int | None = 12, min_strides: int = 3):
        self.strides: deque[float] = deque(maxlen=recent)
        self.min_strides = min_strides

    def reset(self) -> None:
        """Forget the strides."""
        self.strides.clear()

    def add(self, stride_s: float | None) -> None:
        """Add one stride time in seconds (None is ignored)."""
        if stride_s and 0.2 < stride_s < MAX_STRIDE_S:
            self.strides.append(stride_s)

    @property
    def spm(self) -> float | None:
        """The cadence in steps/min (None before ``min_strides`` strides)."""
        return cadence_spm(self.strides) if len(self.strides) >= self.min_strides else None


def cadence_spm(strides_s) -> float | None:
    """Steps per minute from stride times in seconds (robust mean, see :class:`Cadence`).

    Plain Python on purpose: it runs at every live step over a dozen strides, where numpy's
    per-call overhead would cost more than the arithmetic.
    """
    strides = sorted(float(s) for s in strides_s)
    n = len(strides)
    if not n:
        return None
    med = strides[n // 2] if n % 2 else (strides[n // 2 - 1] + strides[n // 2]) / 2
    near = [s for s in strides if abs(s - med) <= 0.2 * med]
    # A stride twice the usual is two strides with the contact between them missed: its time
    # still counts, so a missed step does not drop a stretch of the run from the mean.
    double = [s for s in strides if abs(s - 2 * med) <= 0.2 * med]
    if not near:
        return 120.0 / med
    return 120.0 / ((math.fsum(near) + math.fsum(double)) / (len(near) + 2 * len(double)))
