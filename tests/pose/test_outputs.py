"""Outputs never destroy inputs or earlier results: an output that is an input is refused before
anything is written, and every output is written whole or not at all (issue 12, item 6)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess

import pytest

from tests.conftest import CLIP, REPO, command, midstance, shared_data, wait_for


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(done, what: str) -> bool:
    return (
        done.returncode == 2
        and done.stderr.count("\n") == 1
        and "Traceback" not in done.stderr
        and "is the input itself" in done.stderr
        and what in done.stderr
    )


@pytest.fixture
def video(tmp_path):
    """A copy of the sample clip (the tests must be able to lose it without harm)."""
    path = tmp_path / "clip.mp4"
    path.write_bytes(CLIP.read_bytes())
    return path


@pytest.fixture
def trace(tmp_path, video, models_dir):
    path = tmp_path / "clip.jsonl"
    done = midstance("pose", str(video), "--out", str(path), "--model", "lite")
    assert done.returncode == 0, done.stderr
    return path


def test_pose_out_same_as_the_video_is_refused(video, models_dir):
    before = digest(video)
    done = midstance("pose", str(video), "--out", str(video), timeout=120)
    assert refused(done, "--out"), done.stderr
    assert digest(video) == before


def test_pose_out_through_a_link_to_the_video_is_refused(video, tmp_path, models_dir):
    link = tmp_path / "link.jsonl"
    os.symlink(video, link)
    before = digest(video)
    done = midstance("pose", str(video), "--out", str(link), timeout=120)
    assert refused(done, "--out"), done.stderr
    assert digest(video) == before and link.is_symlink()


@pytest.mark.slow
def test_analyze_json_same_as_the_trace_is_refused(trace):
    before = digest(trace)
    done = midstance("analyze", str(trace), "--json", str(trace))
    assert refused(done, "--json"), done.stderr
    assert digest(trace) == before


@pytest.mark.slow
def test_analyze_json_spelled_differently_is_still_the_input(trace, tmp_path):
    before = digest(trace)
    odd = f"{tmp_path}/./sub/../{trace.name}"
    (tmp_path / "sub").mkdir()
    done = midstance("analyze", str(trace), "--json", odd)
    assert refused(done, "--json"), done.stderr
    assert digest(trace) == before


def test_a_failed_pose_run_leaves_the_earlier_trace_whole(tmp_path, models_dir):
    """A video that cannot be read fails the run; the trace from an earlier run at --out is the
    old file, byte for byte, and no temporary file is left behind."""
    out = tmp_path / "run.jsonl"
    out.write_text('{"format": "midstance-trace/1", "earlier": true}\n')
    before = digest(out)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x01garbage" * 100)
    done = midstance("pose", str(bad), "--out", str(out), timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp4", "run.jsonl"]


@pytest.mark.slow
def test_pose_replaces_the_trace_in_one_rename(video, tmp_path, models_dir):
    """The new trace appears under its name only when whole: the file at --out keeps its inode
    until the end, then is a different file holding every frame."""
    out = tmp_path / "run.jsonl"
    out.write_text("old\n")
    inode = out.stat().st_ino
    done = midstance("pose", str(video), "--out", str(out), "--model", "lite")
    assert done.returncode == 0, done.stderr
    assert out.stat().st_ino != inode
    lines = out.read_text().splitlines()
    assert json.loads(lines[0])["format"] == "midstance-trace/1" and len(lines) == 361
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_unwritable_output_folder_is_one_line(video, tmp_path, models_dir):
    done = midstance("pose", str(video), "--out", str(tmp_path / "no" / "t.jsonl"), timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "cannot write the trace" in done.stderr


@pytest.mark.slow
def test_eval_json_that_is_an_item_is_refused(trace, tmp_path):
    """`eval DIR --json DIR/item.trace.jsonl` would replace an item of the corpus."""
    item = tmp_path / "clip.trace.jsonl"
    trace.rename(item)
    truth = shared_data() / "treadmill_side_30fps.contacts.json"
    (tmp_path / "clip.contacts.json").write_bytes(truth.read_bytes())
    before = digest(item)
    done = midstance("eval", str(tmp_path), "--json", str(item))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert digest(item) == before


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_pose_run_leaves_the_earlier_trace_whole(video, tmp_path, models_dir, sig):
    """Stopped half-way (Ctrl-C, or `kill`), the trace from an earlier run at --out is still the
    old file, byte for byte, and the half-written one is cleaned up."""
    out = tmp_path / "run.jsonl"
    out.write_text('{"format": "midstance-trace/1", "earlier": true}\n')
    before = digest(out)
    # Ctrl-C as a terminal delivers it: run under a background job of a script (CI), the
    # child would inherit SIGINT ignored and rightly run on to the end, as under nohup
    proc = subprocess.Popen(
        command("pose", video, "--out", out, "--model", "lite"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        # wait until frames are being written: 30 lines of the new trace somewhere
        writing = lambda: any(part_lines(p) > 30 for p in tmp_path.glob(".run.jsonl.*"))  # noqa: E731
        wait_for(writing, 120, "frames written")
        assert digest(out) == before
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "run.jsonl"]


def part_lines(path) -> int:
    try:
        return path.read_text().count("\n")
    except OSError:
        return 0
