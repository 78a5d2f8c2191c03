"""Judging a step: thresholds, the per-step verdict, the runner's cue and the LED state.

A step is ``good`` when the runner leans from the ankles and lands with the hip over the foot,
``warn`` or ``bad`` when a metric crosses its threshold (the worst reason wins). The LED does not
show raw verdicts (a single odd step must not flash the strip): :class:`LedSmoother` shows the
majority of the last few steps with hysteresis, and the states "no runner" and "not judging".

Why the defaults (units in :meth:`Thresholds.describe`):

- ``hip_ankle_offset`` (leg lengths, negative = hip behind the stance ankle at midstance):
  the running-form sources want the hip right over the ankle; -0.05 L (4-5 cm for a 90 cm
  leg) behind it warns, -0.12 (a hand's width) is bad. One step's hip lands 0.01-0.07 L either
  side of the runner's own mean (motion capture; more through a pose model), so a warn needs
  the leg's usual hip (the median of its recent steps) at least halfway to the limit too,
  where one step past the bad limit is bad on its own.
- ``lean_deg`` (ankle to shoulder line from vertical at midstance): 5-10 deg is the ordinary
  running lean; up to 0 is fine (an upright runner with the hips over the ankles is good);
  leaning back (< -3 deg) or past 16 deg (warn) / 22 deg (bad) is not.
- ``hip_bend_deg`` (trunk angle minus the ankle-to-hip angle): bending at the hips rather than
  the ankles; Teng & Powers 2015 measured 3.6 +/- 2.8 deg (low lean) and 10.8 +/- 2.2 deg
  (high lean) trunk flexion, so > 15 deg warns when the leg's usual hip lands behind the ankle
  (halfway to the limit, as above), and > 25 deg is bad whatever the hip.
- ``overstride`` (leg lengths the foot lands ahead of the hip): Lieberman et al. 2015 show
  landing distance falling as step rate rises; beyond 0.30 L warns, beyond 0.40 L is bad, or
  beyond 0.55 / 0.70 of the stance's belt travel when that is more (fast running; the longer
  of the stance's own travel and the runner's usual one, see :func:`judge`).
- ``cadence_spm``: below 140 steps/min warns (the sources aim at about 170 or more, but
  motion capture shows good runners at 148 steps/min at 2 m/s; a slow jog is no fault).
  ``cadence_target_pct`` (0 = off) adds the runner's own target, their settled cadence plus
  that many per cent (5-10 % lowers knee load, Heiderscheit et al. 2011; :mod:`core.cadence`).
"""

from __future__ import annotations

import dataclasses
import math
from collections import deque
from dataclasses import dataclass
from typing import Any

from core.cadence import below_target, target_spm
from core.errors import ConfigError

VERDICTS = ("good", "warn", "bad")

#: What the LED can show. ``fault`` and ``off`` are set by the appliance, never by the core.
LED_STATES = ("good", "warn", "bad", "no_runner", "not_judging", "fault", "off")

_META: dict[str, tuple[str, float, float, str]] = {
    # name: (unit, min, max, help)
    "offset_warn": ("leg lengths", -1.0, 0.5, "hip behind the ankle at midstance: warn below"),
    "offset_bad": ("leg lengths", -1.0, 0.5, "hip behind the ankle at midstance: bad below"),
    "lean_back_deg": ("deg", -30.0, 10.0, "leaning back at midstance: warn below"),
    "lean_warn_deg": ("deg", 0.0, 45.0, "leaning too far forward at midstance: warn above"),
    "lean_bad_deg": ("deg", 0.0, 60.0, "leaning too far forward at midstance: bad above"),
    "hip_bend_warn_deg": ("deg", 0.0, 60.0, "bending at the hips, not the ankles: warn above"),
    "hip_bend_bad_deg": ("deg", 0.0, 90.0, "bending at the hips, not the ankles: bad above"),
    "overstride_warn": ("leg lengths", 0.0, 1.5, "foot landing ahead of the hip: warn above"),
    "overstride_bad": ("leg lengths", 0.0, 2.0, "foot landing ahead of the hip: bad above"),
    "cadence_low_spm": ("steps/min", 0.0, 250.0, "step rate too low: warn below (0 = off)"),
    "cadence_target_pct": ("%", 0.0, 15.0,
                           "the target is the runner's settled step rate (median of their first"
                           " 30 s of steady running) plus this many %: warn below it (0 = off;"
                           " 5-10 % lowers knee load)"),
}  # fmt: skip


@dataclass(frozen=True)
class Thresholds:
    """The limits a step is judged by (see the module docstring for why these defaults)."""

    offset_warn: float = -0.05
    offset_bad: float = -0.12
    lean_back_deg: float = -3.0
    lean_warn_deg: float = 16.0
    lean_bad_deg: float = 22.0
    hip_bend_warn_deg: float = 15.0
    hip_bend_bad_deg: float = 25.0
    overstride_warn: float = 0.30
    overstride_bad: float = 0.40
    cadence_low_spm: float = 140.0
    #: 0 = off; else the runner's own target: settled cadence + this % (:mod:`core.cadence`).
    cadence_target_pct: float = 0.0

    def __post_init__(self) -> None:
        for name, (_, lo, hi, _) in _META.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"threshold {name!r} must be a number, got {value!r}")
            if not (math.isfinite(value) and lo <= value <= hi):
                raise ConfigError(f"threshold {name!r} must be in {lo}..{hi}, got {value!r}")
        for warn, bad, sign in (
            ("offset_warn", "offset_bad", -1),
            ("lean_warn_deg", "lean_bad_deg", 1),
            ("hip_bend_warn_deg", "hip_bend_bad_deg", 1),
            ("overstride_warn", "overstride_bad", 1),
        ):
            if sign * (getattr(self, bad) - getattr(self, warn)) < 0:
                raise ConfigError(f"threshold {bad!r} must be beyond {warn!r}")

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Thresholds:
        """Defaults overridden by ``d``; ConfigError names an unknown key or a bad value."""
        d = dict(d or {})
        known = {f.name for f in dataclasses.fields(cls)}
        for key in d:
            if key not in known:
                raise ConfigError(f"unknown threshold {key!r} (known: {', '.join(sorted(known))})")
        for key, value in d.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"threshold {key!r} must be a number, got {value!r}")
        return cls(**{k: float(v) for k, v in d.items()})

    def as_dict(self) -> dict[str, float]:
        """All thresholds as a plain dict (JSON-able)."""
        return dataclasses.asdict(self)

    @classmethod
    def describe(cls) -> dict[str, dict[str, Any]]:
        """For a settings form: ``{name: {"default", "unit", "min", "max", "help"}}``."""
        defaults = cls()
        return {
            name: {"default": getattr(defaults, name), "unit": unit, "min": lo, "max": hi,
                   "help": help_}
            for name, (unit, lo, hi, help_) in _META.items()
        }  # fmt: skip


#: Reasons, most important first (the cue names the first one).
#: Overstride limits (warn, bad) as shares of the stance's belt travel (see :func:`judge`).
OVERSTRIDE_PER_TRAVEL = (0.55, 0.7)

REASONS = (
    "hip_behind", "hip_bend", "overstride", "lean_forward", "lean_back", "low_cadence",
    "below_cadence_target",
)  # fmt: skip

_CUES = {
    "hip_behind": "Hip behind the foot at midstance: lean from the ankles",
    "hip_bend": "Bending at the hips: stand tall, lean from the ankles",
    "overstride": "Foot landing far ahead: shorter, quicker steps",
    "lean_forward": "Leaning too far forward: come up a little",
    "lean_back": "Leaning back: tip forward from the ankles",
    "low_cadence": "Slow step rate: quicker, lighter steps",
    "below_cadence_target": "Under your step-rate target: quicker, lighter steps",
}


def _get(step: Any, name: str) -> float | None:
    value = step.get(name) if isinstance(step, dict) else getattr(step, name, None)
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def judge(
    step: Any,
    thresholds: Thresholds | None = None,
    settled_spm: float | None = None,
    typical_travel: float | None = None,
    usual_offset: float | None = None,
) -> tuple[str, list[str]]:
    """Judge one step (a Step or a dict of step metrics): ``(verdict, reasons)``.

    ``settled_spm`` is the runner's settled cadence (:class:`core.cadence.SettledCadence`):
    with ``cadence_target_pct`` set, a step clearly under that target warns
    (``below_cadence_target``); before the runner has settled only the fixed limit applies.
    ``typical_travel`` is the belt travel of the runner's recent stances (leg lengths, the
    median): the overstride limits grow with it when it is more than the step's own.
    ``usual_offset`` is the hip-ankle offset of the leg's recent steps (the median, this one
    among them): a ``hip_behind`` or ``hip_bend`` warn needs it below half ``offset_warn``
    (the step's own offset stands in without it); their bad levels do not.
    Missing metrics (None) are not judged. ``reasons`` are names from :data:`REASONS`, in that
    order; the verdict is the worst of the reasons' levels.
    """
    th = thresholds or Thresholds()
    level: dict[str, int] = {}

    def check(reason: str, value: float | None, warn: float, bad: float, above: bool) -> None:
        if value is None:
            return
        if above:
            lvl = 2 if value > bad else 1 if value > warn else 0
        else:
            lvl = 2 if value < bad else 1 if value < warn else 0
        if lvl:
            level[reason] = max(level.get(reason, 0), lvl)

    offset = _get(step, "hip_ankle_offset")
    lean = _get(step, "lean_deg")
    bend = _get(step, "hip_bend_deg")
    # Whether the hip sits back is a habit, not one step's: a step's hip scatters about the
    # runner's own mean (module docstring), so one step past the limit, or one step's sign for
    # a bend, would warn a runner whose hip lands over the foot. The usual hip must be at least
    # halfway to the warn limit: a median of a few such steps is itself uncertain by about
    # that much. Past the bad limits a step counts on its own.
    usual = usual_offset if usual_offset is not None else offset
    back = usual is None or usual < th.offset_warn / 2
    if offset is not None and (back or offset < th.offset_bad):
        check("hip_behind", offset, th.offset_warn, th.offset_bad, above=False)
    if bend is not None and (back or bend > th.hip_bend_bad_deg):
        check("hip_bend", bend, th.hip_bend_warn_deg, th.hip_bend_bad_deg, above=True)
    # Faster running carries the stance foot further on the belt, and a good runner lands about
    # a third of that travel ahead of the hip (0.24-0.39 in the motion capture of 2-5 m/s
    # runners): the limits grow with the travel so speed is not read as overstriding. A toe-off
    # read early (a frame dropped at the lift, a belt line bowed by a wide lens) shortens one
    # stance's travel, not the belt's speed: the runner's typical travel counts when longer.
    travel = max(_get(step, "stance_travel") or 0.0, typical_travel or 0.0)
    check(
        "overstride",
        _get(step, "overstride"),
        max(th.overstride_warn, OVERSTRIDE_PER_TRAVEL[0] * travel),
        max(th.overstride_bad, OVERSTRIDE_PER_TRAVEL[1] * travel),
        True,
    )
    check("lean_forward", lean, th.lean_warn_deg, th.lean_bad_deg, above=True)
    check("lean_back", lean, th.lean_back_deg, -90.0, above=False)
    cadence = _get(step, "cadence_spm")
    if th.cadence_low_spm > 0:
        check("low_cadence", cadence, th.cadence_low_spm, -1.0, above=False)
    target = target_spm(settled_spm, th.cadence_target_pct)
    if "low_cadence" not in level and below_target(cadence, target):
        level["below_cadence_target"] = 1
    reasons = [r for r in REASONS if r in level]
    worst = max(level.values(), default=0)
    return VERDICTS[worst], reasons


def cue(reasons: list[str] | tuple[str, ...]) -> str | None:
    """A short plain-language cue for the most important reason, or None when all is well."""
    for reason in REASONS:
        if reason in reasons:
            return _CUES[reason]
    return None


class LedSmoother:
    """The LED state: a smoothed step verdict, or why there is none.

    Each :meth:`step` adds a verdict; the shown verdict is the majority of the last ``window``
    steps (ties go to the one shown, then to the worse), and it changes only after the new
    majority has held for ``hold`` steps in a row, so one odd step never flickers the strip.
    :meth:`frame` gives the state to show at every frame: ``no_runner`` when nobody is seen
    (after ``absent_s`` without a person), ``not_judging`` when a person is seen but the
    landmarks are unreliable or no steps came for ``idle_s`` (standing, walking off), else the
    smoothed verdict. Pure function of its inputs (times are the caller's), so deterministic.

    Example::

        led = LedSmoother()
        led.step("good"); led.frame(t, runner=True, running=True, reliable=True)  # "good"
    """

    def __init__(self, window: int = 5, hold: int = 2, absent_s: float = 1.0, idle_s: float = 2.5):
        self.window, self.hold, self.absent_s, self.idle_s = window, hold, absent_s, idle_s
        self.reset()

    def reset(self) -> None:
        """Forget every verdict (a new session)."""
        self._recent: deque[str] = deque(maxlen=self.window)
        self._shown: str | None = None
        self._pending: str | None = None
        self._pending_n = 0
        self._last_seen: float | None = None
        self.state = "no_runner"

    @property
    def verdict(self) -> str | None:
        """The smoothed step verdict (None before the first step)."""
        return self._shown

    def step(self, verdict: str | None) -> str | None:
        """Add one step's verdict; returns the smoothed verdict.

        ``None`` (a step timed but not judged) changes nothing: it is no evidence of form.
        """
        if verdict is None:
            return self._shown
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}: {verdict!r}")
        self._recent.append(verdict)
        counts = {v: self._recent.count(v) for v in VERDICTS}
        top = max(counts.values())
        tied = [v for v in VERDICTS if counts[v] == top]
        majority = self._shown if self._shown in tied else tied[-1]
        if self._shown is None:
            self._shown = majority
        elif majority == self._shown:
            self._pending, self._pending_n = None, 0
        else:
            if majority == self._pending:
                self._pending_n += 1
            else:
                self._pending, self._pending_n = majority, 1
            if self._pending_n >= self.hold:
                self._shown, self._pending, self._pending_n = majority, None, 0
        return self._shown

    def frame(self, t: float, runner: bool, running: bool, reliable: bool) -> str:
        """The state to show at time ``t`` (seconds) given what the frame shows."""
        if runner:
            self._last_seen = t
        if self._last_seen is None or t - self._last_seen > self.absent_s:
            state = "no_runner"
        elif not (reliable and running) or self._shown is None:
            state = "not_judging"
        else:
            state = self._shown
        if state in ("no_runner", "not_judging") and not running:
            # A new run starts from fresh evidence, not from the last runner's verdicts.
            self._recent.clear()
            self._shown, self._pending, self._pending_n = None, None, 0
        self.state = state
        return state
