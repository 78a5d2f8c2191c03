"""Least-squares fits over the handful of frames of one stance: sequences in, numbers out.

At 30 frames per second a stance lasts about eight frames, and the stance ankle moves about
0.09 leg lengths per frame with the belt: reading a metric off the single frame nearest an
event quantises it by that much and keeps every keypoint's jitter. Fitting a simple curve
through all the stance's frames and reading it at the event's time averages the jitter out and
removes the quantisation. Plain Python, because the inputs are a dozen numbers, where numpy's
per-call overhead would cost more than the arithmetic (this runs once per live step).

NaN samples are skipped; too few samples give NaN (or the fallback documented per function).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _finite(t: Sequence[float], v: Sequence[float]) -> tuple[list[float], list[float]]:
    pairs = [(a, b) for a, b in zip(t, v, strict=True) if math.isfinite(a) and math.isfinite(b)]
    return [a for a, _ in pairs], [b for _, b in pairs]


def line_at(t: Sequence[float], v: Sequence[float], at: float) -> float:
    """The least-squares straight line through ``(t, v)``, evaluated at ``at``.

    One sample gives that sample's value; none gives NaN.
    """
    t, v = _finite(t, v)
    n = len(t)
    if n == 0:
        return math.nan
    tm, vm = sum(t) / n, sum(v) / n
    stt = sum((a - tm) ** 2 for a in t)
    if stt == 0.0:
        return vm
    slope = sum((a - tm) * (b - vm) for a, b in zip(t, v, strict=True)) / stt
    return vm + slope * (at - tm)


def peak_time(t: Sequence[float], v: Sequence[float]) -> float:
    """Time of the maximum of ``v``, refined by a least-squares parabola through all samples.

    The parabola's vertex when it opens downward and lies within the samples' time span;
    otherwise (fewer than three samples, a curve that is not a peak, a vertex outside) the time
    of the largest sample. NaN when there is no sample.
    """
    t, v = _finite(t, v)
    n = len(t)
    if n == 0:
        return math.nan
    best = t[max(range(n), key=v.__getitem__)]
    if n < 3:
        return best
    # Centre and scale time for a well-conditioned 3x3 system: v = a x^2 + b x + c.
    tm = sum(t) / n
    span = max(abs(a - tm) for a in t) or 1.0
    x = [(a - tm) / span for a in t]
    s1, s2 = sum(x), sum(a * a for a in x)
    s3, s4 = sum(a**3 for a in x), sum(a**4 for a in x)
    y0 = sum(v)
    y1 = sum(a * b for a, b in zip(x, v, strict=True))
    y2 = sum(a * a * b for a, b in zip(x, v, strict=True))
    det = _det3(s4, s3, s2, s3, s2, s1, s2, s1, n)
    if det == 0.0:
        return best
    a = _det3(y2, s3, s2, y1, s2, s1, y0, s1, n) / det
    b = _det3(s4, y2, s2, s3, y1, s1, s2, y0, n) / det
    if a >= 0.0:
        return best
    vertex = tm + span * (-b / (2 * a))
    return vertex if t[0] <= vertex <= t[-1] else best


def _det3(a, b, c, d, e, f, g, h, i) -> float:
    """Determinant of the 3x3 matrix [[a, b, c], [d, e, f], [g, h, i]]."""
    return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
