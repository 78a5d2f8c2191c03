"""The camera's shake read from the room and taken off the landmarks (device/steady.py), on the
real clip: a still camera left alone, a shake at every footfall measured to a pixel while the
runner moves, a pan left in the landmarks, and the clip filmed by a camera jolted at every
footfall judged as the still one was."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.analysis import analyze_trace
from core.evaluate import score_item
from core.trace import read_trace
from corpus.items import clip_truth
from corpus.stress import clip_shake, shaken
from corpus.video import read_frames
from device.pose import PoseEstimator
from device.steady import Steadier, room_strip, steadied
from tests.conftest import midstance, shaken_clip, shared_data


@pytest.fixture(scope="module")
def frames(clip):
    """The real clip's first 90 frames (RGB): the runner moving, the room still."""
    return list(read_frames(clip, 90))


@pytest.fixture(scope="module")
def clip_xy(frames):
    """The runner's landmarks on those frames (BlazePose full, as the appliance runs it)."""
    estimator = PoseEstimator("full", threads=2)
    return [None if (r := estimator.process(f, i / 30.0)) is None else r.xy
            for i, f in enumerate(frames)]  # fmt: skip


def shakes(frames: list[np.ndarray], shifts: np.ndarray | None = None, xy=None) -> np.ndarray:
    """The shake a fresh Steadier reads from each frame (moved by ``shifts`` first, the runner's
    landmarks ``xy`` moved with it)."""
    if shifts is not None:
        frames = list(shaken(frames, shifts))
    steadier = Steadier()
    out = []
    for i, f in enumerate(frames):
        seen = None if xy is None or xy[i] is None else xy[i] + (0 if shifts is None else shifts[i])
        out.append(steadier.shake(i / 30.0, f, seen))
    return np.array(out)


def test_a_still_camera_is_left_alone(frames, clip_xy):
    # the clip as filmed (a phone on a stand): its landmarks must stay the pose model's own
    assert not shakes(frames, xy=clip_xy).any()


def test_a_shake_is_measured_to_a_pixel_while_the_runner_moves(frames, clip_xy):
    # the stress set's `shake` (up to 22 px at every footfall) on the clip's first 3 s
    applied = clip_shake(clip_truth(shared_data()), len(frames), "shake")
    read = shakes(frames, applied, clip_xy)
    # what is taken off is the quick part: the shift less its mean over the last second
    quick = applied - np.array(
        [applied[max(0, i - 29) : i + 1].mean(axis=0) for i in range(len(frames))]
    )
    after = slice(30, None)  # once the first second has given the mean
    residual = read[after] - quick[after]
    assert np.abs(quick[after]).max() > 10.0
    assert np.sqrt((residual**2).mean(axis=0)).max() < 1.0, residual
    assert np.abs(residual).max() < 3.0


def test_a_pan_is_left_in_the_landmarks(frames, clip_xy):
    # 2 px a frame to the left for 60 frames: the landmarks must still drift with the pan, so
    # the judge still names a moving camera (only the quick part is taken off)
    pan = np.zeros((len(frames), 2))
    pan[30:, 0] = -2.0 * np.arange(len(frames) - 30)
    left_in = pan[:, 0] - shakes(frames, pan, clip_xy)[:, 0]
    assert left_in[-1] < -80.0
    # once the pan has gone on a second, all of it stays: 2 px a frame, give or take the noise
    assert (left_in[-1] - left_in[60]) / 29 == pytest.approx(-2.0, abs=0.3)


def test_landmarks_are_steadied_by_the_shake_and_nobody_stays_nobody():
    xy = np.arange(66, dtype=float).reshape(33, 2)
    assert np.array_equal(steadied(xy, (1.5, -2.0)), xy - (1.5, -2.0))
    assert steadied(None, (1.5, -2.0)) is None


def test_a_frame_of_another_scene_starts_again(frames):
    steadier = Steadier()
    steadier.shake(0.0, frames[0])
    other = np.random.default_rng(0).integers(0, 256, frames[0].shape, dtype=np.uint8)
    assert steadier.shake(1 / 30, other) == (0.0, 0.0)
    smaller = np.ascontiguousarray(frames[1][:, :360])
    assert steadier.shake(2 / 30, smaller) == (0.0, 0.0)  # another picture size


def test_the_clip_from_a_jolted_camera_is_judged_as_the_still_one(tmp_path):
    # the stress set's `shake`: up to 22 px (0.08 L) at every footfall. Without the steadier the
    # pelvis seemed to sink with the camera and the view was refused, steps out of rhythm.
    video = shaken_clip(tmp_path / "shaken.mp4")
    out = tmp_path / "shaken.jsonl"
    r = midstance("pose", video, "--out", out, timeout=600)
    assert r.returncode == 0, r.stderr
    report = json.loads(json.dumps(analyze_trace(read_trace(out))))
    assert report["capture"]["ok"], report["capture"]
    scored = score_item(clip_truth(shared_data()), report)
    assert scored["near_recall"] >= 0.95 and scored["far_recall"] >= 0.8, scored
    assert abs(scored["cadence_error_spm"]) <= 1.5, scored
    verdicts = scored["verdicts"]
    assert verdicts["good"] >= 18 and verdicts["warn"] == verdicts["bad"] == 0, verdicts


@pytest.mark.parametrize(
    "box, strip",
    [
        ((130.0, -10.0, 200.0, 300.0), (0, 6, 120, 206)),  # the runner beyond the right edge
        ((-50.0, 20.0, -10.0, 100.0), (0, 6, 120, 206)),  # ... and the left one
        ((0.0, 0.0, 120.0, 213.0), None),  # the runner filling the picture: no room to read
        ((30.0, 120.0, 90.0, 213.0), (0, 0, 120, 120)),  # the room above a runner low down
    ],
)
def test_the_room_is_read_inside_the_picture_beside_the_runner(box, strip):
    assert room_strip((120, 213), box) == strip


def test_landmarks_far_outside_the_picture_do_not_break_the_reading(frames):
    steadier = Steadier()
    far = np.full((33, 2), 5000.0)
    for i, f in enumerate(frames[:10]):
        assert steadier.shake(i / 30.0, f, far) == (0.0, 0.0)  # a still camera
