"""A causal one-euro filter for landmark frames: arrays in, arrays out, NaN-aware.

The one-euro filter (Casiez, Roussel, Vogel, CHI 2012) is a low-pass filter whose cutoff rises
with speed: still landmarks are steadied hard, fast ones (a foot in swing) follow with little
lag. Per coordinate::

    fc = min_cutoff + beta * |dx/dt| / scale        (Hz; speed in scales per second)
    alpha = 1 / (1 + 1 / (2 pi fc dt))
    x_hat = x_hat_prev + alpha * (x - x_hat_prev)

Lag: a first-order low-pass delays a slow signal by ``tau = 1 / (2 pi fc)``: with the defaults
(``min_cutoff`` 3 Hz) that is 53 ms for a landmark at rest and it falls with speed; at a
treadmill foot speed of about 3 leg lengths/s, ``fc`` = 3 + 0.5 * 3 = 4.5 Hz, 35 ms (about one
frame at 30 fps). ``scale`` (e.g. the leg length in pixels) makes ``beta`` independent of
image size.

Missing landmarks (NaN) come out as NaN and leave the filter's state as it was; a landmark that
comes back after more than ``reset_after_s`` starts afresh from its new position rather than
gliding from where it was lost.
"""

from __future__ import annotations

import math

import numpy as np


class OneEuroFilter:
    """One-euro filter over arrays of any fixed shape (e.g. ``(33, 2)`` landmark positions).

    Example::

        f = OneEuroFilter()
        smooth_xy = f(t, xy)            # xy (33, 2) pixels, NaN = missing; t in seconds
    """

    def __init__(
        self,
        min_cutoff: float = 3.0,
        beta: float = 0.5,
        d_cutoff: float = 1.0,
        reset_after_s: float = 0.5,
    ):
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.reset_after_s = reset_after_s
        self.scale = 1.0
        self.reset()

    def reset(self) -> None:
        """Forget the state: the next frame passes through unchanged."""
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._seen: np.ndarray | None = None  # last time each coordinate was finite
        self._t: float | None = None
        self._nan: bytes | None = None  # NaN pattern of the last input (see __call__)

    def __call__(self, t: float, x: np.ndarray) -> np.ndarray:
        """Filter one frame taken at ``t`` seconds; returns a new array (NaN where x is NaN).

        The returned array is the filter's state: read it, do not modify it.
        """
        x = np.asarray(x, dtype=float)
        if self._x is None or self._t is None or t <= self._t:
            if self._x is not None and self._t is not None and t <= self._t:
                return np.where(np.isnan(x), np.nan, self._x)
            self._x = x.copy()
            self._dx = np.zeros_like(x)
            self._seen = np.where(np.isnan(x), -math.inf, t)
            self._t = t
            self._nan = np.isnan(x).tobytes()
            return x.copy()
        dt = t - self._t
        self._t = t
        a_d = 1.0 / (1.0 + 1.0 / (2 * math.pi * self.d_cutoff * dt))
        nan = np.isnan(x)
        if self._nan is not None and nan.tobytes() == self._nan:
            # Fast path: the same landmarks as last frame are missing (and the state is NaN
            # exactly there), so plain arithmetic propagates NaN correctly; no masks needed.
            np.copyto(self._seen, t, where=~nan)
            step = x - self._x
            dx_hat = step / dt
            dx_hat -= self._dx
            dx_hat *= a_d
            dx_hat += self._dx
            # alpha = 1 / (1 + 1 / (2 pi dt fc)) = k / (1 + k), k = 2 pi dt fc; in place.
            k = np.abs(dx_hat)
            k *= 2 * math.pi * dt * self.beta / self.scale
            k += 2 * math.pi * dt * self.min_cutoff
            step *= k
            k += 1.0
            step /= k
            self._x = self._x + step
            self._dx = dx_hat
            return self._x
        ok = ~nan
        fresh = ok & (t - self._seen > self.reset_after_s)
        self._seen[ok] = t
        with np.errstate(invalid="ignore"):
            dx = (x - self._x) / dt
            dx_hat = self._dx + a_d * (dx - self._dx)
            cutoff = self.min_cutoff + (self.beta / self.scale) * np.abs(dx_hat)
            alpha = 1.0 / (1.0 + 1.0 / (2 * math.pi * dt * cutoff))
            x_hat = self._x + alpha * (x - self._x)
        # Coordinates that are missing keep their state; ones back after a gap start afresh.
        x_hat = np.where(fresh | np.isnan(self._x), x, x_hat)
        dx_hat = np.where(fresh | np.isnan(self._x), 0.0, dx_hat)
        self._x = np.where(ok, x_hat, self._x)
        self._dx = np.where(ok, dx_hat, self._dx)
        # The fast path is valid next frame only if the state is NaN exactly where x was.
        self._nan = nan.tobytes() if np.array_equal(np.isnan(self._x), nan) else None
        return np.where(ok, x_hat, np.nan)
