"""Fixtures for the analysis core's tests: the shared real data as traces."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.analysis import RunAnalyzer
from core.trace import Trace
from tests.conftest import shared_data
from tests.core.convert import fukuchi_trace, rtmpose_trace

CLIP_NAME = "treadmill_side_30fps"  # the real clip's files in the shared data: NAME.*


@pytest.fixture(scope="session")
def rtm() -> Trace:
    """RTMPose keypoints of the real treadmill clip as a trace (30 fps, faces image-left)."""
    return rtmpose_trace(shared_data() / f"{CLIP_NAME}.rtmpose26.json")


@pytest.fixture(scope="session")
def contacts() -> dict:
    """The hand annotation of the clip's gait events."""
    return json.loads((shared_data() / f"{CLIP_NAME}.contacts.json").read_text())


@pytest.fixture(scope="session")
def fukuchi() -> Trace:
    """Fukuchi 2017 RBDS001 treadmill run at 2.5 m/s, 150 Hz, projected to a side view."""
    return fukuchi_trace(shared_data() / "fukuchi2017" / "RBDS001runT25markers.txt")


def run_live(trace: Trace, analyzer: RunAnalyzer | None = None, **kw) -> tuple[list, list[str]]:
    """The trace pushed frame by frame through a live analyzer, as ``sense`` does (a frame
    without a pose as None, the camera's roll where it was measured): the steps (as dicts)
    and the LED state at every frame. ``kw`` go to a new :class:`RunAnalyzer` when none is
    given."""
    analyzer = analyzer or RunAnalyzer(fps=trace.fps, **kw)
    steps, leds = [], []
    for t, xy, vis, roll in zip(trace.t, trace.xy, trace.vis, trace.rolls(), strict=True):
        present = not np.isnan(xy).all()
        update = analyzer.push(t, xy if present else None, vis if present else None, roll)
        steps += [s.as_dict() for s in update.steps]
        leds.append(update.led)
    return steps, leds


def resample(trace: Trace, fps: float) -> Trace:
    """The trace at another frame rate (linear interpolation per landmark coordinate)."""
    t = np.arange(0.0, trace.t[-1], 1.0 / fps)
    xy = np.empty((len(t), *trace.xy.shape[1:]))
    for i in range(trace.xy.shape[1]):
        for c in range(2):
            xy[:, i, c] = np.interp(t, trace.t, trace.xy[:, i, c])
    vis = np.stack([np.interp(t, trace.t, trace.vis[:, i]) for i in range(trace.vis.shape[1])], 1)
    return Trace(fps, trace.width, trace.height, trace.source, t, xy, vis)


def transform(trace: Trace, mirror: bool = False, scale: float = 1.0) -> Trace:
    """The trace mirrored left-right and/or scaled (a different camera side or image size)."""
    xy = trace.xy.copy()
    width = trace.width
    if mirror:
        xy[..., 0] = width - xy[..., 0]
    xy *= scale
    return Trace(
        trace.fps, round(width * scale), round(trace.height * scale), trace.source,
        trace.t.copy(), xy, trace.vis.copy(),
    )  # fmt: skip
