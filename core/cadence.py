"""The runner's settled cadence, and a cadence target a few per cent above it.

Staff may set the step-rate goal from the runner's own rate instead of (on top of) the fixed
``cadence_low_spm``: target = settled cadence x (1 + ``cadence_target_pct`` / 100). Raising the
step rate by 5-10 % lowers the load at the hip and knee (Heiderscheit et al. 2011, Med Sci
Sports Exerc 43:296), hence a per-runner target rather than one number for everyone.

*Settled cadence*: the median step rate of the first ``SETTLE_S`` (30) seconds of steady
running in a session. Only judged steps count (the view allowed a verdict) and the window is
steady when its step rates lie within ``STEADY_SPREAD`` of their median (10th to 90th
percentile), so the belt speeding up at the start is waited out. Once settled it stays fixed
for the session: a runner who speeds up towards the target must not move the target away.
A gap of ``GAP_S`` with no step at all means the runner left: the next run settles afresh.

Example::

    settled = SettledCadence()
    for step in steps:                       # dicts or Steps: contact_t, cadence_spm, verdict
        settled.add(step)
    settled.spm, target_spm(settled.spm, 7.5)   # (166.0, 178.45)
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Iterable
from typing import Any

from core.fields import finite, step_field

#: Seconds of steady running the settled cadence is the median of.
SETTLE_S = 30.0
#: Fewest judged steps in that window (a 30 s run is 70-90 steps; the view may lose some).
MIN_STEPS = 30
#: The window is steady when its 10th..90th percentile step rates span at most this share of
#: the median (the live cadence of a steady runner varies by 1-3 %; a belt speeding up by more).
STEADY_SPREAD = 0.06
#: Seconds without any step after which the runner is taken to have left (a session ends
#: after 20 s with nobody running; ``device.lifecycle``).
GAP_S = 15.0
#: A step is below the target only when more than this share under it: the live cadence
#: wobbles by about 1 %, and a runner right on the target must not flicker warn/good.
TOLERANCE = 0.01


def target_spm(settled: float | None, pct: float) -> float | None:
    """The cadence target for a settled cadence and ``pct`` per cent (None: no target)."""
    if settled is None or not pct or pct <= 0:
        return None
    return settled * (1.0 + pct / 100.0)


def below_target(cadence: float | None, target: float | None) -> bool:
    """True when ``cadence`` is clearly under ``target`` (beyond :data:`TOLERANCE`)."""
    return cadence is not None and target is not None and cadence < target * (1.0 - TOLERANCE)


class SettledCadence:
    """The settled cadence of one session, from its steps in order (see the module docstring).

    Feed every step (judged or not) with :meth:`add`; :attr:`spm` is None until the runner has
    run steadily for ``settle_s`` seconds, then fixed until :meth:`reset` or a gap of
    ``gap_s`` seconds without steps.
    """

    def __init__(
        self,
        settle_s: float = SETTLE_S,
        min_steps: int = MIN_STEPS,
        spread: float = STEADY_SPREAD,
        gap_s: float = GAP_S,
    ):
        self.settle_s, self.min_steps, self.spread, self.gap_s = settle_s, min_steps, spread, gap_s
        self.reset()

    def reset(self) -> None:
        """Forget the runner (a new session)."""
        #: The settled cadence, steps/min (None until settled).
        self.spm: float | None = None
        #: The contact time of the step it settled at (None until settled).
        self.settled_t: float | None = None
        self._window: deque[tuple[float, float]] = deque()
        self._last_t: float | None = None

    def add(self, step: Any) -> float | None:
        """Add one step (a Step or a dict with ``contact_t``, ``cadence_spm``, ``verdict``);
        returns the settled cadence (None before it settles)."""
        t = finite(step_field(step, "contact_t"))
        if t is None:
            return self.spm
        if self._last_t is not None and t - self._last_t > self.gap_s:
            self.reset()  # the runner left: whoever runs next settles afresh
        self._last_t = t
        spm = finite(step_field(step, "cadence_spm"))
        if self.spm is not None or step_field(step, "verdict") is None or spm is None or spm <= 0:
            return self.spm
        window = self._window
        window.append((t, spm))
        # Keep the oldest step that still makes the window span settle_s, no older.
        while len(window) > 1 and t - window[1][0] >= self.settle_s:
            window.popleft()
        if t - window[0][0] < self.settle_s or len(window) < self.min_steps:
            return None
        rates = sorted(r for _, r in window)
        cuts = statistics.quantiles(rates, n=10)
        median = statistics.median(rates)
        if cuts[-1] - cuts[0] <= self.spread * median:
            self.spm, self.settled_t = round(median, 1), t
        return self.spm


def settled_cadence(steps: Iterable[Any]) -> tuple[float | None, float | None]:
    """``(settled cadence, contact time it settled at)`` of a session's steps, in order."""
    settled = SettledCadence()
    for step in steps:
        settled.add(step)
    return settled.spm, settled.settled_t


def snapshot_field(pct: float, settled: float | None) -> dict[str, float | None] | None:
    """The live snapshot's ``cadence_target``: ``{"pct", "settled_spm"}``, None when off."""
    if not pct or pct <= 0:
        return None
    return {"pct": float(pct), "settled_spm": None if settled is None else round(settled, 1)}


def target_view(field: Any, cadence: float | None) -> dict[str, Any] | None:
    """What the live page shows of the target, from the snapshot's ``cadence_target`` and the
    live cadence: ``{"pct", "settled_spm", "target_spm", "distance_spm", "below"}``
    (``distance_spm`` = cadence minus target, negative = under it). None when off or damaged;
    before the runner settles only ``pct`` is set."""
    if not isinstance(field, dict):
        return None
    pct, settled = finite(field.get("pct")), finite(field.get("settled_spm"))
    if pct is None or not 0 < pct <= 100 or (settled is not None and settled <= 0):
        return None
    target = target_spm(settled, pct)
    cadence = finite(cadence)
    distance = None if target is None or cadence is None else round(cadence - target, 1)
    return {
        "pct": pct,
        "settled_spm": settled,
        "target_spm": None if target is None else round(target, 1),
        "distance_spm": distance,
        "below": below_target(cadence, target),
    }
