"""``midstance sense``, ``doctor``, ``set-pin`` and ``demo`` as real processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from common import snapshot
from common.store import Store
from tests.conftest import REPO, command, free_port, wait_for
from tests.conftest import midstance as run


def open_session(state_dir, min_steps):
    path = Path(state_dir) / "midstance.sqlite3"
    if not path.exists():
        return None
    store = Store(path, readonly=True)
    try:
        session = store.open_session()
    except Exception:
        return None
    finally:
        store.close()
    return session if session and session["steps"] >= min_steps else None


def test_sigkill_mid_session_then_restart(tmp_path, clip, models_dir):
    state, rundir = tmp_path / "state", tmp_path / "run"
    args = ["sense", "--source", clip, "--loop", "--realtime", "--led", "mock",
            "--state-dir", state, "--run-dir", rundir]  # fmt: skip
    first = subprocess.Popen(command(*args), cwd=REPO, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: open_session(state, 8), 60, "a session with steps")
        killed_at = time.time()
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL

    # The restarted sense tells systemd it is ready and feeds the watchdog.
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(30)
    env = dict(os.environ, NOTIFY_SOCKET=str(tmp_path / "notify"), WATCHDOG_USEC="2000000")
    second = subprocess.Popen(command(*args), cwd=REPO, stderr=subprocess.PIPE, text=True,
                              env=env)  # fmt: skip
    try:
        messages = [notify.recv(256).decode()]
        messages.append(notify.recv(256).decode())
        wait_for(lambda: (s := open_session(state, 2)) and s["id"] == 2, 60, "a second session")
        second.send_signal(signal.SIGTERM)
        _, err = second.communicate(timeout=30)
    finally:
        if second.poll() is None:
            second.kill()
        notify.close()
    assert second.returncode == 0, err
    assert "Traceback" not in err
    assert messages[0].startswith("READY=1") and "WATCHDOG=1" in messages

    store = Store.in_dir(state)
    assert store.integrity_check() == "ok"
    old, new = store.session(1), store.session(2)
    assert old["end_reason"] == "interrupted"
    assert old["ended_at"] == old["last_step_at"]
    assert old["steps"] >= 8 and len(store.steps(1)) == old["steps"]
    # at most a few seconds of steps lost: the last stored one is recent
    assert killed_at - old["last_step_at"] <= 3.0
    assert new["started_at"] >= killed_at and new["end_reason"] == "shutdown"
    assert new["steps"] >= 2
    assert snapshot.read(rundir)["state"] in ("idle", "offline")


def test_missing_model_is_one_line_and_shows_a_fault(tmp_path, clip):
    empty = tmp_path / "models"
    empty.mkdir()
    proc = run("sense", "--source", clip, "--fast", "--led", "mock", "--models-dir", empty,
               "--state-dir", tmp_path / "s", "--run-dir", tmp_path / "r")  # fmt: skip
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("midstance sense: error: ")
    assert "pose_detection.tflite: missing" in lines[0]
    snap = json.loads((tmp_path / "r" / snapshot.FILENAME).read_text())
    assert snap["state"] == "fault" and snap["led"] == "fault"
    assert "pose_detection.tflite: missing" in snap["fault"]


def test_a_missing_video_is_one_line(tmp_path):
    proc = run("sense", "--source", tmp_path / "nope.mp4", "--led", "mock",
               "--state-dir", tmp_path / "s", "--run-dir", tmp_path / "r")  # fmt: skip
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == f"midstance sense: error: {tmp_path / 'nope.mp4'}: no such video file"
    )


def test_max_frames_must_be_positive(tmp_path):
    proc = run("sense", "--led", "mock", "--max-frames", "0",
               "--state-dir", tmp_path / "s", "--run-dir", tmp_path / "r")  # fmt: skip
    assert proc.returncode == 2 and "--max-frames must be positive" in proc.stderr


def test_fast_run_with_max_frames(tmp_path, clip, models_dir):
    proc = run("sense", "--source", clip, "--fast", "--led", "mock", "--max-frames", 90,
               "--state-dir", tmp_path / "s", "--run-dir", tmp_path / "r")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "midstance sense: 90 frames" in proc.stderr, proc.stderr


def test_set_pin_stores_only_a_hash(tmp_path):
    proc = run("set-pin", "--state-dir", tmp_path, input="4821\n")
    assert proc.returncode == 0, proc.stderr
    store = Store.in_dir(tmp_path)
    assert store.check_pin("4821") and not store.check_pin("4822")
    raw = (tmp_path / "midstance.sqlite3").read_bytes()
    assert b"4821" not in raw  # hashed, never in clear


def test_set_pin_refuses_a_bad_pin_and_keeps_the_old_one(tmp_path):
    assert run("set-pin", "--state-dir", tmp_path, input="4821\n").returncode == 0
    store = Store.in_dir(tmp_path)
    proc = run("set-pin", "--state-dir", tmp_path, input="12a\n")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "midstance set-pin: error: the staff PIN must be 4 to 12 digits; nothing changed"
    )
    assert store.check_pin("4821")


def test_doctor(tmp_path, clip, models_dir):
    (tmp_path / "s").mkdir()
    (tmp_path / "r").mkdir()
    Store.in_dir(tmp_path / "s").close()  # as after the first run of sense
    ok = run("doctor", "--led", "mock", "--source", clip, "--models-dir", models_dir,
             "--state-dir", tmp_path / "s", "--run-dir", tmp_path / "r")  # fmt: skip
    assert ok.returncode == 0, ok.stdout
    lines = ok.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "ok    config", "ok    models", "ok    camera", "ok    gpio", "ok    state dir",
        "ok    run dir", "ok    store", "info  view",
    ]  # fmt: skip
    assert "a 720x1280 frame" in ok.stdout and "no staff PIN yet" in ok.stdout
    assert "checked live on the /setup page" in ok.stdout  # no sense running
    assert "mistimes" not in ok.stdout
    # the lite model runs, but the installer is told it misses and mistimes steps
    (tmp_path / "lite.toml").write_text('[pose]\nmodel = "lite"\n')
    lite = run("doctor", "--led", "mock", "--source", clip, "--models-dir", models_dir,
               "--state-dir", tmp_path / "s", "--run-dir", tmp_path / "r",
               "--config", tmp_path / "lite.toml")  # fmt: skip
    assert lite.returncode == 0, lite.stdout
    assert "pose_landmark_lite verified" in lite.stdout
    assert 'lite misses and mistimes steps: set pose.model = "full" to judge form' in lite.stdout
    # on this machine there is neither a Pi camera nor GPIO, and the models dir is empty
    (tmp_path / "empty").mkdir()
    bad = run("doctor", "--models-dir", tmp_path / "empty",
              "--state-dir", tmp_path / "s", "--run-dir", tmp_path / "r")  # fmt: skip
    assert bad.returncode == 1
    out = bad.stdout
    assert "FAIL  models: " in out and "FAIL  camera: " in out and "FAIL  gpio: " in out
    assert "ok    store" in out and "check(s) failed" in out
    assert "Traceback" not in bad.stdout + bad.stderr
    # one line per failure: no gpiozero warnings about each pin library it tried
    assert bad.stderr == "" and "PinFactoryFallback" not in out


def test_doctor_changes_nothing(tmp_path, clip, models_dir):
    """A check must not change the system: missing directories are reported with what to do,
    not made, and no store is created."""
    state, rundir = tmp_path / "s", tmp_path / "r"
    out = run("doctor", "--led", "mock", "--source", clip, "--models-dir", models_dir,
              "--state-dir", state, "--run-dir", rundir)  # fmt: skip
    assert out.returncode == 1 and out.stderr == ""
    assert f"FAIL  state dir: {state}: missing" in out.stdout
    assert f"FAIL  run dir: {rundir}: missing" in out.stdout
    assert "`make install` makes it" in out.stdout
    assert "none yet" in out.stdout and "2 check(s) failed" in out.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    # and on an installed machine its store is opened read-only: not a byte of it changes
    state.mkdir()
    rundir.mkdir()
    Store.in_dir(state).close()
    db = state / "midstance.sqlite3"
    before = db.read_bytes()
    out = run("doctor", "--led", "mock", "--source", clip, "--models-dir", models_dir,
              "--state-dir", state, "--run-dir", rundir)  # fmt: skip
    assert out.returncode == 0, out.stdout
    assert db.read_bytes() == before  # (SQLite's own -shm index may appear beside it)
    assert list(rundir.iterdir()) == []


@pytest.mark.slow
def test_demo_serves_the_page_while_judging(tmp_path, models_dir):
    port = free_port()
    proc = subprocess.Popen(
        command("demo", "--port", port, "--duration", 10, "--state-dir", tmp_path / "s",
                  "--run-dir", tmp_path / "r"),
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = proc.stdout.readline()
        assert f"http://localhost:{port}/" in url

        def live():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/live", timeout=5) as r:
                    data = json.load(r)
            except OSError:  # a busy machine may refuse or reset a connection: ask again
                return None
            return data if data.get("led") in ("good", "warn", "bad") else None

        data = wait_for(live, 30, "the demo judging steps")
        assert data["state"] == "running" and data["session_id"] is not None
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert r.status == 200 and "text/html" in r.headers["Content-Type"]
        out, err = proc.communicate(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "LED " in out and "good step" in out  # the terminal LED
    store = Store.in_dir(tmp_path / "s")
    assert store.sessions()[0]["steps"] > 0


def test_no_camera_shows_a_fault_and_keeps_running(tmp_path, models_dir):
    rundir = tmp_path / "r"
    proc = subprocess.Popen(
        command("sense", "--source", "camera", "--led", "mock", "--duration", 20,
                  "--state-dir", tmp_path / "s", "--run-dir", rundir),
        cwd=REPO, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        snap = wait_for(lambda: (s := snapshot.read(rundir))["fault"] and s, 30, "a fault")
        assert snap["state"] == "fault" and snap["led"] == "fault"
        assert "picamera2 is not installed" in snap["fault"]
        time.sleep(1.0)
        assert proc.poll() is None  # retrying, not crashed
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert err.count("fault: camera: picamera2 is not installed") == 1  # said once, not per try
    assert "Traceback" not in err


def damaged_copy(clip: Path, out: Path) -> Path:
    """The sample clip with its index at the front (as phones write it) and its middle third
    overwritten with zeros: a file that opens and plays 118 frames (3.9 s), then cannot go on."""
    import av

    fast = out.with_suffix(".whole.mp4")
    faststart = {"movflags": "faststart"}
    with av.open(str(clip)) as src, av.open(str(fast), "w", options=faststart) as dst:
        stream = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                dst.mux(packet)
    data = fast.read_bytes()
    third = len(data) // 3
    out.write_bytes(data[:third] + bytes(third) + data[2 * third :])
    return out


def test_a_damaged_video_ends_the_run_and_is_not_replayed(tmp_path, clip, models_dir):
    """Without --loop a file source ends at an unrecoverable error: one line, exit 2, the steps
    of the 3.9 s before the damage stored once (replaying it stored 69 s of steps, forever)."""
    video = damaged_copy(clip, tmp_path / "damaged.mp4")
    proc = run("sense", "--source", video, "--fast", "--led", "mock",
               "--state-dir", tmp_path / "s", "--run-dir", tmp_path / "r", timeout=240)  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "damaged video, decoding stopped after frame 118" in errors[0]
    assert "midstance sense: 118 frames" in proc.stderr
    store = Store.in_dir(tmp_path / "s", readonly=True)
    try:
        sessions = store.sessions()
        steps = [s for session in sessions for s in store.steps(session["id"])]
    finally:
        store.close()
    # 169 steps/min: at most 11 steps in 3.9 s, all in one session
    assert len(sessions) == 1 and 0 < len(steps) <= 11


@pytest.mark.parametrize(
    "option, message",
    [
        (["--host", "999.1.1.1"], "--host 999.1.1.1: not an address of this machine"),
        (["--host", "no-such-host.invalid"], "--host no-such-host.invalid: not an address"),
        (["--host", "192.0.2.1"], "cannot listen on 192.0.2.1:0: Cannot assign requested address"),
        (["--threads", "0"], "--threads must be 1..1000, got 0"),
        (["--port", "70000"], "--port must be 0..65535, got 70000"),
    ],
)
def test_web_bad_listen_options_are_one_line(tmp_path, option, message):
    proc = run("web", "--state-dir", tmp_path / "s", "--run-dir", tmp_path / "r",
               "--port", "0", *option, timeout=30)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr
