"""Bad input on the command line: malformed traces, videos, configs and model files are each
rejected with one clear line (``midstance CMD: error: ...`` naming the file), exit status 2,
no traceback, and no half-written output file.

The broken inputs are made from the real data: a trace of the real clip (RTMPose keypoints of
the shared data, as tests/core does) cut or corrupted, the real clip truncated, real model
files truncated or swapped.
"""

from __future__ import annotations

import json
import shutil

import pytest

from core.trace import write_trace
from tests.conftest import midstance as run_cli
from tests.conftest import shared_data
from tests.core.convert import rtmpose_trace


@pytest.fixture(scope="module")
def real_trace(tmp_path_factory):
    """A valid trace of the real clip (and proof that it is accepted)."""
    path = tmp_path_factory.mktemp("trace") / "run.jsonl"
    write_trace(path, rtmpose_trace(shared_data() / "treadmill_side_30fps.rtmpose26.json"))
    return path


def assert_one_line_error(done, command: str, names: str) -> str:
    out = done.stdout + done.stderr
    assert done.returncode == 2, (done.returncode, out[-2000:])
    assert "Traceback" not in out, out[-3000:]
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("midstance")]
    assert len(lines) == 1, done.stderr
    line = lines[0]
    assert line.startswith(f"midstance {command}: error: "), line
    assert names in line, (names, line)
    assert len(line) < 400
    return line


def test_the_real_trace_is_accepted(real_trace, tmp_path):
    out = tmp_path / "report.json"
    done = run_cli("analyze", real_trace, "--json", out)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert report["format"] == "midstance-report/1" and len(report["steps"]) > 10


def _lines(path):
    return path.read_text().splitlines()


TRACE_DAMAGE = {
    "empty": lambda lines: [],
    "binary garbage": None,
    "wrong format name": lambda lines: (
        [lines[0].replace("midstance-trace/1", "other/9"), *lines[1:]]
    ),
    "header not json": lambda lines: ["{format: midstance-trace/1", *lines[1:]],
    "truncated mid-line": lambda lines: [*lines[:50], lines[50][: len(lines[50]) // 2]],
    "32 landmarks": lambda lines: [
        lines[0],
        *(
            json.dumps({**(d := json.loads(ln)), "xy": (d["xy"] or [None] * 33)[:32]})
            for ln in lines[1:]
        ),
    ],
    "time going back": lambda lines: [lines[0], *reversed(lines[1:])],
    "text in a coordinate": lambda lines: [
        *lines[:10],
        lines[10].replace("[", '["x", ', 2).replace('["x", ', "[", 1),
        *lines[11:],
    ],
    "negative fps": lambda lines: [lines[0].replace('"fps":30.0', '"fps":-30.0'), *lines[1:]],
}


@pytest.mark.parametrize("damage", list(TRACE_DAMAGE))
def test_malformed_trace_is_rejected(real_trace, tmp_path, damage):
    bad = tmp_path / "bad.jsonl"
    fn = TRACE_DAMAGE[damage]
    if fn is None:
        bad.write_bytes(bytes(range(256)) * 40)
    else:
        lines = fn(_lines(real_trace))
        assert damage == "empty" or lines != _lines(real_trace)
        bad.write_text("\n".join(lines) + ("\n" if lines else ""))
    out = tmp_path / "report.json"
    done = run_cli("analyze", bad, "--json", out)
    assert_one_line_error(done, "analyze", bad.name)
    assert not out.exists()  # nothing half-written


VIDEO_DAMAGE = {
    "empty": lambda clip: b"",
    "random bytes": lambda clip: bytes(range(256)) * 4000,
    "first 20 KB of the clip": lambda clip: clip[:20_000],
    "clip without its first 100 KB": lambda clip: clip[100_000:],
    "a text file": lambda clip: b"this is not a video\n" * 100,
}


@pytest.mark.parametrize("damage", list(VIDEO_DAMAGE))
def test_malformed_video_is_rejected(clip, tmp_path, models_dir, damage):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(VIDEO_DAMAGE[damage](clip.read_bytes()))
    out = tmp_path / "out.jsonl"
    done = run_cli("pose", bad, "--out", out, "--model", "lite", "--models-dir", models_dir)
    assert_one_line_error(done, "pose", bad.name)
    assert not out.exists()


def test_malformed_video_is_rejected_by_analyze(clip, tmp_path, models_dir):
    bad = tmp_path / "cut.mp4"
    bad.write_bytes(clip.read_bytes()[:20_000])
    done = run_cli("analyze", bad, "--model", "lite", "--models-dir", models_dir)
    assert_one_line_error(done, "analyze", bad.name)


CONFIGS = {
    "not toml": ("[camera\nfps = 60\n", "TOML"),
    "binary": (bytes(range(256)).decode("latin-1"), "config.toml"),
    "unknown section": ("[kamera]\nfps = 60\n", "kamera"),
    "unknown key": ("[camera]\nfsp = 60\n", "fsp"),
    "wrong type": ("[led]\nred_pin = 'seventeen'\n", "led.red_pin"),
    "out of range": ("[session]\ntimeout_s = -5\n", "session.timeout_s"),
    "bad threshold": ("[analysis.thresholds]\nnonsense = 3\n", "thresholds"),
}


@pytest.mark.parametrize("case", list(CONFIGS))
def test_malformed_config_is_rejected(clip, tmp_path, models_dir, case):
    text, names = CONFIGS[case]
    cfg = tmp_path / "config.toml"
    cfg.write_bytes(text.encode("latin-1"))
    done = run_cli(
        "sense", "--config", cfg, "--source", clip, "--state-dir", tmp_path / "state",
        "--run-dir", tmp_path / "run", "--led", "mock", "--model", "lite", "--models-dir",
        models_dir, "--max-frames", "5",
    )  # fmt: skip
    line = assert_one_line_error(done, "sense", names)
    assert "config.toml" in line


def test_missing_config_is_rejected(tmp_path, clip):
    done = run_cli("sense", "--config", tmp_path / "nope.toml", "--source", clip, "--led", "mock")
    assert_one_line_error(done, "sense", "nope.toml")


MODEL_DAMAGE = {
    "missing": None,
    "empty": lambda data: b"",
    "truncated": lambda data: data[: len(data) // 2],
    "one byte flipped": lambda data: data[:1000] + bytes([data[1000] ^ 0xFF]) + data[1001:],
    "another model under its name": "pose_detection",
}


@pytest.mark.parametrize("damage", list(MODEL_DAMAGE))
def test_broken_model_file_is_rejected(clip, tmp_path, models_dir, real_trace, damage):
    bad_dir = tmp_path / "models"
    bad_dir.mkdir()
    for f in models_dir.iterdir():
        if f.suffix == ".tflite":
            shutil.copy(f, bad_dir / f.name)
    target = bad_dir / "pose_landmark_lite.tflite"
    how = MODEL_DAMAGE[damage]
    if how is None:
        target.unlink()
    elif isinstance(how, str):
        shutil.copy(models_dir / f"{how}.tflite", target)
    else:
        target.write_bytes(how(target.read_bytes()))
    done = run_cli(
        "sense", "--source", clip, "--state-dir", tmp_path / "state", "--run-dir",
        tmp_path / "run", "--led", "mock", "--model", "lite", "--models-dir", bad_dir,
        "--max-frames", "5",
    )  # fmt: skip
    assert_one_line_error(done, "sense", "pose_landmark_lite")
    verify = run_cli("models", "verify", "--dir", bad_dir)
    assert verify.returncode != 0 and "Traceback" not in verify.stdout + verify.stderr
    assert "pose_landmark_lite" in verify.stdout + verify.stderr
