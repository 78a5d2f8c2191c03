"""The one-euro landmark filter: NaN handling, gaps, steadiness and its documented lag."""

from __future__ import annotations

import math

import numpy as np

from core.filters import OneEuroFilter


def test_missing_landmarks_stay_missing_and_restart_after_a_gap():
    f = OneEuroFilter()
    x = np.array([[10.0, 20.0], [np.nan, np.nan]])
    out = f(0.0, x)
    assert np.array_equal(np.isnan(out), np.isnan(x))
    out = f(1 / 30, np.array([[12.0, 20.0], [5.0, 5.0]]))
    assert out[1].tolist() == [5.0, 5.0]  # first sighting passes through
    assert 10.0 < out[0, 0] < 12.0  # smoothed
    f(2 / 30, np.array([[12.0, 20.0], [np.nan, np.nan]]))
    out = f(1.5, np.array([[12.0, 20.0], [100.0, 100.0]]))  # back after > 0.5 s
    assert out[1].tolist() == [100.0, 100.0]


def test_fast_path_equals_masked_path_on_real_landmarks(rtm):
    fast, masked = OneEuroFilter(), OneEuroFilter()
    for t, xy in zip(rtm.t[:200], rtm.xy[:200], strict=True):
        a = fast(t, xy).copy()
        masked._nan = None  # force the general path every frame
        b = masked(t, xy)
        assert np.array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=0, atol=1e-9)


def test_steadies_jitter_and_lags_as_documented():
    rng = np.random.default_rng(0)
    fps = 30.0
    t = np.arange(300) / fps
    f = OneEuroFilter()
    f.scale = 300.0  # the analyzer sets the leg length in pixels
    still = [f(ti, np.array([[100.0 + rng.normal(0, 2.0), 0.0]]))[0, 0] for ti in t]
    assert np.std(still[30:]) < 0.6 * 2.0  # jitter of a still landmark about halved (EMA: 0.49)
    # A slow ramp (0.2 leg lengths/s, scale 1): lag ~ 1 / (2 pi min_cutoff) = 53 ms.
    f = OneEuroFilter()
    speed = 20.0  # px/s with scale 100 px
    f.scale = 100.0
    out = np.array([f(ti, np.array([[speed * ti, 0.0]]))[0, 0] for ti in t])
    lag_s = (speed * t[-1] - out[-1]) / speed
    assert 0.03 < lag_s < 0.06
    assert math.isclose(lag_s, 1 / (2 * math.pi * (3.0 + 0.5 * 0.2)), rel_tol=0.25)
