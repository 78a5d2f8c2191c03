"""The stress set's transforms of the real clip and motion capture (corpus/stress.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.trace import read_trace
from corpus.__main__ import main
from corpus.items import default_data
from corpus.stress import defocus, dim, half, landscape, retime_events, roll, rolled, zoom
from corpus.video import read_frames

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
