"""The camera's roll read from the room's upright edges (device/level.py), on frames of the real
clip: as filmed, turned either way (a camera rolled on its mount), mirrored, letterboxed and
with the corners an editor's turn leaves black."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from device.level import LevelMeter, roll_deg, runner_box
from device.video import VideoReader
from tests.conftest import camera_rolled

#: The clip as filmed: its room's uprights lean 1.6 deg (the picture turned anticlockwise).
AS_FILMED = -1.6


@pytest.fixture(scope="module")
def frames(clip):
    """Every 45th frame of the real clip (RGB) with the runner's box from nothing: 8 frames."""
    with VideoReader(clip) as video:
        return [rgb for i, (_, rgb) in enumerate(video.frames()) if i % 45 == 0]


def measured(rgb: np.ndarray) -> float | None:
    return LevelMeter().measure(0.0, rgb)


def test_the_clip_as_filmed_is_a_little_off_level(frames):
    rolls = [measured(f) for f in frames]
    assert all(r is not None and abs(r - AS_FILMED) < 0.3 for r in rolls), rolls


@pytest.mark.parametrize("degrees", [-5.0, -3.0, 2.0, 4.0])
def test_a_rolled_camera_is_measured_to_a_few_tenths(frames, degrees):
    rolls = [measured(camera_rolled(f, degrees)) for f in frames]
    assert all(r is not None and abs(r - (AS_FILMED + degrees)) < 0.3 for r in rolls), rolls


@pytest.mark.parametrize("degrees", [-5.0, 5.0])
def test_black_corners_left_by_an_editor_do_not_count(frames, degrees):
    # the corners' edges lean exactly as the turn: only the room's edges may give the answer,
    # so the same answer as the picture enlarged
    rolls = [measured(camera_rolled(f, degrees, enlarged=False)) for f in frames]
    assert all(r is not None and abs(r - (AS_FILMED + degrees)) < 0.3 for r in rolls), rolls


def test_a_mirrored_picture_leans_the_other_way(frames):
    rolls = [measured(np.ascontiguousarray(f[:, ::-1])) for f in frames]
    assert all(r is not None and abs(r + AS_FILMED) < 0.3 for r in rolls), rolls


def test_black_bars_of_a_letterboxed_file_are_no_uprights(frames):
    # a portrait picture in a landscape file, the camera rolled 4 deg: the bars are upright
    bars = [np.pad(camera_rolled(f, 4.0), ((0, 0), (400, 400), (0, 0))) for f in frames]
    rolls = [measured(f) for f in bars]
    assert all(r is not None and abs(r - (AS_FILMED + 4.0)) < 0.3 for r in rolls), rolls


def test_a_picture_without_uprights_gives_no_answer(frames):
    h, w = frames[0].shape[:2]
    plain = np.full((h, w, 3), 128, np.uint8)
    noise = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    blurred = cv2.GaussianBlur(frames[0], (0, 0), 25)
    assert measured(plain) is None and measured(noise) is None and measured(blurred) is None


def test_the_runners_limbs_are_left_out(frames):
    # a box over the whole picture leaves no edge to measure
    gray = cv2.cvtColor(frames[0], cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    assert roll_deg(gray) is not None
    assert roll_deg(gray, (0.0, 0.0, float(w), float(h))) is None


def test_the_runners_box_is_grown_and_kept_in_the_picture():
    xy = np.full((33, 2), np.nan)
    xy[0], xy[1] = (100, 200), (300, 1000)
    assert runner_box(xy, (720, 1280)) == pytest.approx((80, 120, 320, 1080))
    xy[1] = (715, 1279)
    assert runner_box(xy, (720, 1280))[2:] == (720, 1280)
    assert runner_box(None, (720, 1280)) is None
    assert runner_box(np.full((33, 2), np.nan), (720, 1280)) is None


def test_the_meter_measures_a_frame_a_second_then_one_in_five(frames):
    meter = LevelMeter()
    times = np.round(np.arange(0, 16.0, 1 / 30), 6)
    got = [meter.measure(t, frames[0]) for t in times]
    measured_at = [t for t, r in zip(times, got, strict=True) if r is not None]
    assert measured_at == pytest.approx([0.0, 1.0, 2.0, 3.0, 4.0, 9.0, 14.0], abs=0.02)
    meter.reset()
    assert meter.measure(16.5, frames[0]) is not None  # a new stream measures at once
    assert meter.measure(17.0, frames[0]) is None and meter.measure(17.5, frames[0]) is not None
