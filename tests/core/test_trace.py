"""The trace format: round trip, partial landmarks, and a clear error for every bad input."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from core import landmarks
from core.analysis import RunAnalyzer
from core.errors import InputError
from core.trace import (
    FORMAT,
    TraceWriter,
    header_dict,
    read_trace,
    to_microsecond,
    write_trace,
)


def test_round_trip_keeps_frames_gaps_and_missing_landmarks(rtm, tmp_path):
    path = tmp_path / "run.jsonl"
    xy = rtm.xy[:50].copy()
    xy[10] = np.nan  # a frame with nobody
    sub = type(rtm)(rtm.fps, rtm.width, rtm.height, "test", rtm.t[:50], xy, rtm.vis[:50])
    write_trace(path, sub)
    back = read_trace(path)
    assert back.fps == 30.0 and (back.width, back.height) == (720, 1280)
    assert back.landmarks == landmarks.NAMES and len(back) == 50
    np.testing.assert_allclose(back.t, sub.t, atol=1e-6)
    same = ~np.isnan(sub.xy)
    assert np.array_equal(np.isnan(back.xy), ~same)
    np.testing.assert_allclose(back.xy[same], sub.xy[same], atol=1e-3)
    assert np.all(back.vis[10] == 0)
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["format"] == FORMAT
    assert json.loads(lines[11]) == {"t": pytest.approx(10 / 30), "xy": None, "vis": None}


def test_a_file_keeps_each_time_as_the_analysis_reads_it_live(tmp_path):
    # a camera's frame times, i/30 s over an hour: the file gives back the very floats the
    # analysis reads them as live (core.trace.to_microsecond), so a tie on whole frames (a stance
    # of 3 frames against 0.6 of 5) falls the same way from the recording as it did live
    # (tests/device/test_runtime.py: the jolted clip, live and offline)
    path = tmp_path / "hour.jsonl"
    t = np.arange(108_000)[::997] / 30.0
    with TraceWriter(path, 30.0, 720, 1280, "test") as w:
        for ti in t:
            w.write(ti, None, None)
    assert read_trace(path).t.tolist() == [to_microsecond(ti) for ti in t.tolist()]
    assert [to_microsecond(ti) for ti in t.tolist()] == [round(ti, 6) for ti in t.tolist()]
    # and RunAnalyzer.push, which writes the rounding out (a call there costs more than the
    # sum, every frame), reads each time just so: the phone-clock times too
    odd = np.random.default_rng(0).uniform(0.0, 3600.0, 2000)
    for ti in [*t.tolist(), *odd.tolist()]:
        analyzer = RunAnalyzer(fps=30.0)
        analyzer.push(ti, None, None)
        assert analyzer._last_t == to_microsecond(ti)


def test_writer_to_text_file_and_none_frames():
    buf = io.StringIO()
    with TraceWriter(buf, 60, 640, 480, "cam") as w:
        w.write(0.0, None, None)
        xy, vis = landmarks.empty_pose()
        xy[0] = (1.5, 2.25)
        vis[0] = 0.9
        w.write(1 / 60, xy, vis)
        with pytest.raises(ValueError):
            w.write(0.0, None, None)
    rows = [json.loads(x) for x in buf.getvalue().splitlines()]
    assert rows[1]["xy"] is None and rows[2]["xy"][0] == [1.5, 2.25]
    assert rows[2]["xy"][1] is None and rows[2]["vis"][1] == 0


def test_the_cameras_roll_rides_on_the_frames_it_was_measured_on(rtm, tmp_path):
    path = tmp_path / "run.jsonl"
    roll = np.full(30, np.nan)
    roll[0], roll[15] = -1.6, 3.45
    sub = type(rtm)(rtm.fps, rtm.width, rtm.height, "test", rtm.t[:30], rtm.xy[:30].copy(),
                    rtm.vis[:30], roll=roll)  # fmt: skip
    sub.xy[15] = np.nan  # measured on a frame with nobody in it, too
    write_trace(path, sub)
    rows = [json.loads(x) for x in path.read_text().splitlines()[1:]]
    assert [r.get("roll_deg") for r in rows if "roll_deg" in r] == [-1.6, 3.45]
    assert rows[15]["xy"] is None and "roll_deg" not in rows[1]
    back = read_trace(path)
    np.testing.assert_array_equal(np.isnan(back.roll), np.isnan(roll))
    assert back.roll[0] == -1.6 and back.roll[15] == 3.45
    # a trace made from landmarks alone has no roll at all
    plain = tmp_path / "plain.jsonl"
    write_trace(plain, type(rtm)(rtm.fps, rtm.width, rtm.height, "x", rtm.t[:5], rtm.xy[:5],
                                 rtm.vis[:5]))  # fmt: skip
    assert read_trace(plain).roll is None and "roll_deg" not in plain.read_text()


def _write(tmp_path, lines, end="\n"):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + end)
    return path


HEAD = json.dumps(header_dict(30, 720, 1280, "x"))
FRAME = json.dumps({"t": 0.0, "xy": [[1, 2]] * 33, "vis": [1] * 33})


@pytest.mark.parametrize(
    ("lines", "where", "what"),
    [
        ([HEAD, FRAME, '{"t": 0.1, "xy": [[1,2]'], ":3:", "malformed JSON"),
        ([HEAD.replace("trace/1", "trace/9")], ":1:", "unknown trace format"),
        ([json.dumps({**json.loads(HEAD), "landmarks": ["nose"] * 17})], ":1:", "33 landmark"),
        ([HEAD, json.dumps({"t": 0, "xy": [[1, 2]] * 32, "vis": [1] * 32})], ":2:", "33 entries"),
        ([HEAD, FRAME.replace("[1, 2]", "[NaN, 2]", 1)], ":2:", "NaN is not allowed"),
        ([HEAD, FRAME, FRAME.replace('"t": 0.0', '"t": -1')], ":3:", "time goes backwards"),
        ([HEAD, FRAME, ""], ":3:", "empty line"),
        ([HEAD, FRAME.replace("[1, 2]", "[1]", 1)], ":2:", "[x, y] or null"),
        ([HEAD, FRAME.replace('"vis": [1', '"vis": [7', 1)], ":2:", "0..1"),
        ([HEAD, FRAME.replace("}", ', "roll_deg": 91}')], ":2:", "roll_deg"),
        ([HEAD, FRAME.replace("}", ', "roll_deg": "level"}')], ":2:", "roll_deg"),
        ([HEAD, FRAME.replace("}", ', "roll_deg": true}')], ":2:", "roll_deg"),
        (["not json"], ":1:", "not a midstance trace"),
        ([], ":1:", "empty file"),
    ],
)
def test_bad_traces_name_file_and_line(tmp_path, lines, where, what):
    path = _write(tmp_path, lines)
    with pytest.raises(InputError) as err:
        read_trace(path)
    msg = str(err.value)
    assert msg.startswith(str(path) + where) and what in msg and "\n" not in msg


def test_partial_last_line_is_a_warning_not_an_error(tmp_path):
    path = _write(tmp_path, [HEAD, FRAME, FRAME[:40]], end="")
    trace = read_trace(path)
    assert len(trace) == 1 and "partial last line" in trace.warnings[0]
