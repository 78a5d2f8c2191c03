"""The stress set's transforms of the real clip and motion capture (corpus/stress.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.trace import read_trace
from corpus import contact_frames
from corpus.__main__ import main
from corpus.items import default_data
from corpus.stress import (
    HIDDEN_SHARE,
    PHONE_DROP,
    defocus,
    dim,
    half,
    in_between,
    landscape,
    passing,
    phone_clock,
    retime_events,
    roll,
    rolled,
    unhidden_events,
    zoom,
)
from corpus.video import read_frames, write_video
from device.video import VideoReader

DATA = default_data()
pytestmark = pytest.mark.skipif(not DATA.exists(), reason="shared data not present")


def test_retiming_maps_each_event_to_the_frames_kept():
    source = [0, 1, 2, 4, 5, 6, 7, 9]  # 30 fps frames kept, as at 24 fps
    events = [
        {"leg": "near", "type": "ic", "frame": 3},  # not kept: the next kept frame (4) is new 3
        {"leg": "near", "type": "ms", "frame": 5},
        {"leg": "near", "type": "to", "frame": 8},  # not kept: the last kept before (7) is new 6
        {"leg": "far", "type": "ic", "frame": 10},  # after the last frame: dropped
    ]
    out = [(e["type"], e["frame"]) for e in retime_events(events, source)]
    assert out == [("ic", 3), ("ms", 4), ("to", 6)]
    # at twice the rate, a frame made between each pair: every event on the frame it was
    # filmed in (the made frames fall between and are nobody's first or last in contact)
    doubled = retime_events(events, np.arange(21) / 2.0)
    assert [(e["type"], e["frame"]) for e in doubled] == [
        ("ic", 6),
        ("ms", 10),
        ("to", 16),
        ("ic", 20),
    ]


def test_a_rolled_frame_and_rolled_landmarks_turn_the_same_way():
    frame = np.zeros((480, 320, 3), np.uint8)
    frame[99:102, 239:242] = 255  # a dot at x=240, y=100
    for degrees in (5.0, -5.0):
        out = roll(degrees)(frame)
        y, x = np.unravel_index(np.argmax(out[..., 0]), out.shape[:2])
        want = rolled(np.array([[[240.0, 100.0]]]), degrees, 320, 480)[0, 0]
        assert abs(x - want[0]) <= 1.5 and abs(y - want[1]) <= 1.5
    assert np.array_equal(roll(0.0)(frame), frame)


def test_frame_changes_on_a_real_frame():
    frame = next(iter(read_frames(DATA / "treadmill_side_30fps.mp4")))  # 720 x 1280 portrait
    assert half(frame).shape == (640, 360, 3)
    assert landscape(frame).shape == (640, 1138, 3)
    assert zoom(frame).shape == (760, 720, 3)
    assert dim(frame).mean() < 0.7 * frame.mean()
    # out of focus: far less detail from pixel to pixel, the same light
    detail = lambda f: np.abs(np.diff(f.astype(float), axis=1)).mean()  # noqa: E731
    assert detail(defocus(frame)) < 0.6 * detail(frame)
    assert abs(defocus(frame).mean() - frame.mean()) < 2


def test_a_rolled_mocap_item_keeps_its_truth(tmp_path, capsys):
    name = "stress_hamner_s01_run3_roll+4"
    assert main([str(tmp_path), "--set", "stress", "--only", name]) == 0
    assert main([str(tmp_path), "--only", "hamner_s01_run3_right"]) == 0
    rolled_trace = read_trace(tmp_path / f"{name}.trace.jsonl")
    level = read_trace(tmp_path / "hamner_s01_run3_right.trace.jsonl")
    assert rolled_trace.fps == level.fps and len(rolled_trace) == len(level)
    assert np.allclose(rolled(level.xy, 4.0, level.width, level.height), rolled_trace.xy,
                       equal_nan=True)  # fmt: skip
    truth = json.loads((tmp_path / f"{name}.contacts.json").read_text())
    same = json.loads((tmp_path / "hamner_s01_run3_right.contacts.json").read_text())
    assert truth["events"] == same["events"] and truth["group"] == "mocap"


def test_a_phones_clock_drops_a_tenth_of_the_frames_and_stays_in_order():
    kept, times = phone_clock(3000, 30.0, seed=7)
    assert kept[0] == 0 and times[0] == 0.0 and np.all(np.diff(times) > 0)
    assert abs(1 - len(kept) / 3000 - PHONE_DROP) < 0.02
    assert np.abs(times - kept / 30.0).max() <= 0.3 / 30 + 1e-12  # jitter: under a third
    again = phone_clock(3000, 30.0, seed=7)
    assert np.array_equal(kept, again[0]) and np.array_equal(times, again[1])  # same each build


def test_a_variable_rate_video_keeps_each_frames_own_time(tmp_path):
    frames = list(read_frames(DATA / "treadmill_side_30fps.mp4", 30))
    kept, times = phone_clock(len(frames), 30.0, seed=3)
    assert len(kept) < len(frames)  # a gap to keep
    n = write_video(tmp_path / "vfr.mp4", (frames[i] for i in kept), 30.0, times)
    read = [t for t, _ in VideoReader(tmp_path / "vfr.mp4").frames()]
    assert n == len(kept) == len(read) and np.allclose(read, times, atol=1e-4)


def test_contact_frames_by_an_inputs_own_times():
    times = np.r_[0:10, 15:40] / 30.0  # frames 10-14 dropped
    # a contact from 11/30 to 16.5/30 s: its first frame is the first kept after the gap (input
    # frame 10, filmed at 15/30), its last the one filmed at 16/30 (input frame 11)
    assert contact_frames(11 / 30, 16.5 / 30, 30.0, len(times), times) == (10, 11)
    # evenly timed, the same call gives what k/fps gives
    even = np.arange(40) / 30.0
    for t_on, t_off in ((0.301, 0.559), (1 / 3, 2 / 3), (None, 0.1), (1.29, 1.4)):
        assert contact_frames(t_on, t_off, 30.0, 40, even) == contact_frames(t_on, t_off, 30.0, 40)


@pytest.mark.parametrize("run, spm", [(2, 140), (5, 220)])
def test_a_retimed_runner_keeps_the_gait_in_scaled_time(tmp_path, run, spm):
    name = f"stress_hamner_s02_run{run}_spm{spm}"
    assert main([str(tmp_path), "--set", "stress", "--only", name]) == 0
    truth = json.loads((tmp_path / f"{name}.contacts.json").read_text())
    ics = sorted(e["t"] for e in truth["events"] if e["type"] == "ic")
    assert 60 * (len(ics) - 1) / (ics[-1] - ics[0]) == pytest.approx(spm, abs=0.5)
    trace = read_trace(tmp_path / f"{name}.trace.jsonl")
    assert trace.fps == 30.0 and trace.t[-1] == pytest.approx(ics[-1], abs=2.0)


def test_a_frame_made_between_two_is_nearer_the_one_filmed_there():
    # the clip's frames k and k + 2 as a 15 fps camera saw them: the frame made between them
    # from their optical flow is nearer the real frame k + 1 than a blend of the two or either
    # one (below the hips, where the legs move)
    frames = list(read_frames(DATA / "treadmill_side_30fps.mp4", 140))
    for k in (60, 100, 130):
        a, filmed, b = frames[k : k + 3]
        made = list(in_between([a, b]))
        assert len(made) == 3 and made[0] is a and made[2] is b
        off = [np.abs(f.astype(float) - filmed)[800:].mean() for f in (*made, (a + 0.0 + b) / 2)]
        assert off[1] < 0.95 * min(off[0], off[2], off[3])


def test_someone_passing_covers_the_runner_only_while_crossing():
    frames = list(read_frames(DATA / "treadmill_side_30fps.mp4", 40))
    h, w = frames[0].shape[:2]
    runner = np.zeros((h, w), np.float32)
    runner[700:1200, 250:400] = 1.0  # a silhouette about the clip's runner, hips at row 890
    made = list(passing(frames, [runner] * len(frames), 1.3, 60, 10, 20, 0))
    hidden = [share for _, share in made]
    assert all(np.array_equal(f, frames[i]) for i, (f, _) in enumerate(made) if i < 6)
    assert hidden[:6] == [0.0] * 6 and hidden[-10:] == [0.0] * 10  # before and after
    assert max(hidden) > 0.9  # the passer's legs in front of the runner's at mid-crossing
    assert 0 < sum(s > 0 for s in hidden) < 20


def test_the_contacts_a_passer_hides_leave_the_truth_whole_stances():
    events = [
        {"leg": "near", "type": "ic", "frame": 2},
        {"leg": "far", "type": "ic", "frame": 4},
        {"leg": "near", "type": "ms", "frame": 5},
        {"leg": "near", "type": "to", "frame": 8},
        {"leg": "far", "type": "to", "frame": 10},
        {"leg": "near", "type": "ic", "frame": 12},
    ]
    hidden = [0.0] * 20
    hidden[2] = HIDDEN_SHARE  # the near contact at frame 2 hidden; the far one is not
    hidden[10] = 1.0  # a toe-off hidden, its contact seen: the stance stays
    kept = [(e["leg"], e["type"], e["frame"]) for e in unhidden_events(events, hidden)]
    assert kept == [("far", "ic", 4), ("far", "to", 10), ("near", "ic", 12)]
