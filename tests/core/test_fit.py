"""Least-squares fits over one stance (core.fit), checked against numpy's polyfit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.fit import line_at, peak_time


def test_line_at_matches_polyfit_and_skips_nan():
    rng = np.random.default_rng(7)
    t = np.arange(9) / 30.0
    v = 0.3 - 2.6 * t + rng.normal(0, 0.01, len(t))
    expect = np.polyval(np.polyfit(t, v, 1), 0.123)
    assert line_at(t.tolist(), v.tolist(), 0.123) == pytest.approx(expect, abs=1e-12)
    v_gap = v.copy()
    v_gap[3] = np.nan
    keep = ~np.isnan(v_gap)
    expect = np.polyval(np.polyfit(t[keep], v_gap[keep], 1), 0.2)
    assert line_at(t, v_gap, 0.2) == pytest.approx(expect, abs=1e-12)


def test_line_at_degenerate_inputs():
    assert math.isnan(line_at([], [], 1.0))
    assert math.isnan(line_at([0.0, 0.1], [math.nan, math.nan], 0.0))
    assert line_at([0.5], [2.0], 9.0) == 2.0
    assert line_at([0.5, 0.5], [1.0, 3.0], 9.0) == 2.0


def test_peak_time_finds_the_vertex_between_frames():
    # A pelvis trough (image y is largest) at 0.137 s, sampled at 30 fps with jitter.
    rng = np.random.default_rng(3)
    t = np.arange(9) / 30.0
    y = 900.0 - 4000.0 * (t - 0.137) ** 2 + rng.normal(0, 0.3, len(t))
    a, b, _ = np.polyfit(t, y, 2)
    assert peak_time(t, y) == pytest.approx(-b / (2 * a), abs=1e-9)
    assert peak_time(t, y) == pytest.approx(0.137, abs=0.004)  # an eighth of a frame


def test_peak_time_falls_back_to_the_largest_sample():
    t = [0.0, 0.1, 0.2, 0.3]
    assert peak_time(t, [1.0, 2.0, 3.0, 4.0]) == 0.3  # rising: the vertex is outside
    assert peak_time(t, [4.0, 1.0, 1.0, 4.0]) == 0.0  # a valley, not a peak
    assert peak_time(t[:2], [1.0, 5.0]) == 0.1  # too few samples for a parabola
    assert peak_time([0.0, 0.1, 0.2], [1.0, math.nan, 2.0]) == 0.2
    assert math.isnan(peak_time([], []))
