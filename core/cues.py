"""Cues from the trend of the recent steps, not from one step: the pattern the sources describe.

The running-form sources say over-leaning (tipping forward from the hips as a run goes on,
usually with fatigue) shows as three things together: the lean rising, the step rate falling
and the hip drifting back behind the ankle at midstance. One step says little (pose noise is a
few degrees and a few per cent of leg length per step), so :func:`over_leaning` fits a line
through each of the three metrics over the last ``WINDOW`` judged steps and calls the pattern
only when all three move the wrong way, each by more than its noise floor across the window
and each clearly (its slope at least ``MIN_T`` standard errors from zero).

Example::

    trend = over_leaning(recent_steps)   # dicts or Steps, oldest first
    trend_cue(recent_steps)              # "You are leaning more and slowing down: ..." or None
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.fields import finite, step_field

#: How many judged steps the trend is fitted over (about 7-8 s of running).
WINDOW = 20
#: Fewest judged steps with all three metrics in the window for a trend at all.
MIN_STEPS = 14
#: Noise floors: the change across the window (slope x (steps - 1)) each metric must exceed.
#: Per-step pose noise at 30 fps is about 1-2 deg of lean, 1-2 % of leg length of hip offset
#: and 1-2 steps/min of live cadence; these are about twice that.
LEAN_RISE_DEG = 2.0
CADENCE_FALL_PCT = 2.5  # % of the window's mean cadence
OFFSET_FALL = 0.03  # leg lengths
#: How many standard errors from zero each slope must be (about p < 0.05 over 20 steps).
MIN_T = 2.0

#: What the runner is told when the pattern holds.
OVER_LEANING_CUE = "You are leaning more and slowing down: run tall, quick light steps"


@dataclass(frozen=True)
class Trend:
    """The fitted change of each metric across the window (its slope x (steps - 1))."""

    steps: int
    lean_deg: float
    cadence_pct: float
    hip_ankle_offset: float

    def as_dict(self) -> dict[str, float | int]:
        """JSON-able."""
        return {"steps": self.steps, "lean_deg": round(self.lean_deg, 2),
                "cadence_pct": round(self.cadence_pct, 2),
                "hip_ankle_offset": round(self.hip_ankle_offset, 4)}  # fmt: skip


def _slope(ys: list[float]) -> tuple[float, float]:
    """Least-squares slope of ``ys`` over 0, 1, 2, ... and its t statistic (inf when exact)."""
    n = len(ys)
    mx, my = (n - 1) / 2.0, sum(ys) / n
    sxx = sum((i - mx) ** 2 for i in range(n))
    b = sum((i - mx) * (y - my) for i, y in enumerate(ys)) / sxx
    resid = sum((y - my - b * (i - mx)) ** 2 for i, y in enumerate(ys))
    se = math.sqrt(resid / (n - 2) / sxx)
    return b, (math.copysign(math.inf, b) if b and se == 0 else b / se if se else 0.0)


def trend(steps: Iterable[Any], window: int = WINDOW) -> tuple[Trend, dict[str, float]] | None:
    """The fitted trend of the last ``window`` judged steps and each slope's t statistic, or
    None when too few of them have lean, cadence and hip offset."""
    judged = [s for s in steps if step_field(s, "verdict")]
    rows = []
    for s in judged[-window:]:
        values = [finite(step_field(s, k)) for k in ("lean_deg", "cadence_spm", "hip_ankle_offset")]
        if None not in values and values[1] > 0:
            rows.append(values)
    if len(rows) < MIN_STEPS:
        return None
    span = len(rows) - 1
    (lean, t_lean), (cad, t_cad), (off, t_off) = (_slope([r[k] for r in rows]) for k in range(3))
    mean_cadence = sum(r[1] for r in rows) / len(rows)
    fitted = Trend(len(rows), lean * span, 100.0 * cad * span / mean_cadence, off * span)
    return fitted, {"lean_deg": t_lean, "cadence_pct": t_cad, "hip_ankle_offset": t_off}


def over_leaning(steps: Iterable[Any], window: int = WINDOW) -> Trend | None:
    """The trend when the last ``window`` judged steps show over-leaning (lean rising, cadence
    falling, hip drifting behind the ankle, each beyond its floor and clearly), else None."""
    fitted = trend(steps, window)
    if fitted is None:
        return None
    tr, t = fitted
    if (
        tr.lean_deg > LEAN_RISE_DEG and t["lean_deg"] >= MIN_T
        and tr.cadence_pct < -CADENCE_FALL_PCT and t["cadence_pct"] <= -MIN_T
        and tr.hip_ankle_offset < -OFFSET_FALL and t["hip_ankle_offset"] <= -MIN_T
    ):  # fmt: skip
        return tr
    return None


def trend_cue(steps: Iterable[Any], window: int = WINDOW) -> str | None:
    """The sentence for the runner when the recent steps show over-leaning, else None."""
    return OVER_LEANING_CUE if over_leaning(steps, window) else None
