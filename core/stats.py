"""Session statistics in bounded memory: counts, medians, histograms and a chart series.

An 8-hour session at 3 steps/s is 86,400 steps; nothing here grows with it. Medians and
quartiles come from fine fixed-bin histograms (exact to half a bin: 0.1 deg, 0.005 leg
lengths, 0.5 steps/min); the time series is at most ``max_points`` buckets of equal duration
that merge pairwise (and double their width) whenever they would overflow.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.fields import finite, step_field
from core.verdict import REASONS, VERDICTS


class _Quantiles:
    """A fine histogram over ``lo..hi`` for medians and quartiles (values clipped to range)."""

    def __init__(self, lo: float, hi: float, width: float):
        self.lo, self.width = lo, width
        self.counts = np.zeros(round((hi - lo) / width), dtype=np.int64)
        self.n = 0

    def add(self, value: float) -> None:
        i = min(max(int((value - self.lo) // self.width), 0), len(self.counts) - 1)
        self.counts[i] += 1
        self.n += 1

    def quantile(self, q: float) -> float | None:
        if not self.n:
            return None
        cum = np.cumsum(self.counts)
        i = int(np.searchsorted(cum, q * self.n, side="left"))
        # Interpolate inside the bin so a median of few values is not stuck on a bin edge.
        before = cum[i - 1] if i else 0
        frac = (q * self.n - before) / self.counts[i] if self.counts[i] else 0.5
        return round(float(self.lo + (i + min(max(float(frac), 0.0), 1.0)) * self.width), 6)


#: Fixed histogram bins shown on the page (edges); values outside go to the end bins.
LEAN_BINS = tuple(float(x) for x in np.arange(-10.0, 30.01, 2.5))
OFFSET_BINS = tuple(round(float(x), 3) for x in np.arange(-0.4, 0.401, 0.05))

_SERIES_KEYS = ("lean_deg", "hip_ankle_offset", "cadence_spm")


def _histogram(values: _Quantiles, edges: tuple[float, ...]) -> dict[str, list]:
    """Re-bin a fine histogram onto the page's coarse edges (end bins catch the outliers)."""
    centres = values.lo + (np.arange(len(values.counts)) + 0.5) * values.width
    idx = np.clip(np.searchsorted(edges, centres, side="right") - 1, 0, len(edges) - 2)
    counts = np.bincount(idx, weights=values.counts, minlength=len(edges) - 1)
    return {"edges": list(edges), "counts": [int(c) for c in counts]}


class SessionStats:
    """Running aggregates of one session's steps (bounded memory, any session length).

    Example::

        stats = SessionStats()
        for step in steps:
            stats.add(step)          # a Step or a dict with the store's STEP_FIELDS
        stats.summary()["good_share"], stats.series()["t"]
    """

    def __init__(self, max_points: int = 300, bucket_s: float = 1.0):
        self.max_points = max(int(max_points), 2)
        self._bucket_s0 = bucket_s
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new session)."""
        self.steps = 0  # every timed step, judged or not
        self.counts = dict.fromkeys(VERDICTS, 0)
        self.unjudged = 0  # steps timed but not judged (verdict None)
        self.unjudged_problems: dict[str, int] = {}  # capture problem code -> unjudged steps
        self.reasons: dict[str, int] = {}  # verdict reason -> judged steps it warned
        self.first_t: float | None = None
        self.last_t: float | None = None
        self._lean = _Quantiles(-45.0, 45.0, 0.1)
        self._offset = _Quantiles(-1.0, 1.0, 0.005)
        self._cadence = _Quantiles(60.0, 260.0, 0.5)
        self._bucket_s = self._bucket_s0
        # Bucket index -> [t_sum, n, good, judged, lean_sum, lean_n, off_sum, off_n, cad_sum,
        # cad_n]
        self._buckets: dict[int, list[float]] = {}

    def add(self, step: Any) -> None:
        """Add one step (a :class:`core.analysis.Step` or a dict of step fields).

        A step with ``verdict`` None was timed but not judged (the view did not support a
        verdict): it counts as a step and in the cadence, but not in the shares of good, warn
        and bad nor in the lean and hip-ankle figures, which the view made unreliable. Any other
        verdict outside good/warn/bad is ignored.
        """
        verdict = step_field(step, "verdict")
        judged = verdict in self.counts
        if not judged and verdict is not None:
            return
        t = finite(step_field(step, "contact_t"))
        if t is None:
            t = finite(step_field(step, "midstance_t")) or (self.last_t or 0.0)
        self.steps += 1
        if judged:
            self.counts[verdict] += 1
            for reason in step_field(step, "reasons") or ():
                self.reasons[reason] = self.reasons.get(reason, 0) + 1
        else:
            self.unjudged += 1
            for code in step_field(step, "problems") or ():
                self.unjudged_problems[code] = self.unjudged_problems.get(code, 0) + 1
        self.first_t = t if self.first_t is None else min(self.first_t, t)
        self.last_t = t if self.last_t is None else max(self.last_t, t)
        values = [finite(step_field(step, k)) for k in _SERIES_KEYS]
        if not judged:
            values = [None] * (len(values) - 1) + values[-1:]  # cadence only
        for q, v in zip((self._lean, self._offset, self._cadence), values, strict=True):
            if v is not None:
                q.add(v)
        key = int(max(t, 0.0) // self._bucket_s)
        while key >= self.max_points:
            self._merge()
            key = int(max(t, 0.0) // self._bucket_s)
        b = self._buckets.setdefault(key, [0.0] * 10)
        b[0] += t
        b[1] += 1
        b[2] += verdict == "good"
        b[3] += judged
        for j, v in enumerate(values):
            if v is not None:
                b[4 + 2 * j] += v
                b[5 + 2 * j] += 1

    def _merge(self) -> None:
        """Halve the resolution: bucket pairs merge, so the count stays under max_points."""
        merged: dict[int, list[float]] = {}
        for key, b in self._buckets.items():
            into = merged.setdefault(key // 2, [0.0] * 10)
            for j, v in enumerate(b):
                into[j] += v
        self._buckets = merged
        self._bucket_s *= 2

    def summary(self, duration_s: float | None = None) -> dict[str, Any]:
        """Counts, shares, medians and IQRs, histograms and the session duration.

        ``steps`` counts every timed step, ``unjudged`` those not judged (with
        ``unjudged_problems``, how many steps each capture problem stopped); the shares are over
        the judged steps (None when none was judged). ``reasons`` counts the judged steps each
        verdict reason warned, most frequent first (ties in :data:`core.verdict.REASONS` order).
        """
        n = sum(self.counts.values())  # judged steps

        def spread(q: _Quantiles, digits: int) -> dict[str, float | None]:
            vals = [q.quantile(p) for p in (0.25, 0.5, 0.75)]
            r = [None if v is None else round(v, digits) for v in vals]
            return {"median": r[1], "q1": r[0], "q3": r[2],
                    "iqr": None if r[0] is None else round(r[2] - r[0], digits)}  # fmt: skip

        if duration_s is None:
            duration_s = 0.0 if self.last_t is None else self.last_t - min(self.first_t, 0.0)
        lean, offset = spread(self._lean, 2), spread(self._offset, 4)
        cadence = self._cadence.quantile(0.5)
        return {
            "steps": self.steps,
            "good": self.counts["good"],
            "warn": self.counts["warn"],
            "bad": self.counts["bad"],
            "good_share": round(self.counts["good"] / n, 4) if n else None,
            "warn_share": round(self.counts["warn"] / n, 4) if n else None,
            "bad_share": round(self.counts["bad"] / n, 4) if n else None,
            "unjudged": self.unjudged,
            "unjudged_problems": dict(
                sorted(self.unjudged_problems.items(), key=lambda kv: (-kv[1], kv[0]))
            ),
            "reasons": {r: self.reasons[r] for r in sorted(self.reasons, key=self._reason_order)},
            "cadence_spm": None if cadence is None else round(cadence, 1),
            "lean_deg": lean,
            "hip_ankle_offset": offset,
            "lean_histogram": _histogram(self._lean, LEAN_BINS),
            "offset_histogram": _histogram(self._offset, OFFSET_BINS),
            "duration_s": round(float(duration_s), 3),
        }

    def _reason_order(self, reason: str) -> tuple[int, int, str]:
        known = REASONS.index(reason) if reason in REASONS else len(REASONS)
        return (-self.reasons[reason], known, reason)

    def series(self) -> dict[str, list]:
        """A time series for a chart: per bucket the mean time and values, at most max_points.

        ``{"t", "lean_deg", "hip_ankle_offset", "cadence_spm", "good_share"}``, lists of equal
        length, None where a bucket had no value (``good_share`` over the judged steps, None
        when a bucket had none).
        """
        out: dict[str, list] = {k: [] for k in ("t", *_SERIES_KEYS, "good_share")}
        digits = {"lean_deg": 2, "hip_ankle_offset": 4, "cadence_spm": 1}
        for key in sorted(self._buckets):
            b = self._buckets[key]
            out["t"].append(round(b[0] / b[1], 3))
            for j, name in enumerate(_SERIES_KEYS):
                n = b[5 + 2 * j]
                out[name].append(round(b[4 + 2 * j] / n, digits[name]) if n else None)
            out["good_share"].append(round(b[2] / b[3], 4) if b[3] else None)
        return out
