"""`midstance analyze` through the real entry point: summary, report file, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.report import validate_report
from core.trace import write_trace

MIDSTANCE = Path(sys.executable).parent / "midstance"


def analyze(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(MIDSTANCE), "analyze", *map(str, args)],
        capture_output=True, text=True, timeout=120, cwd=cwd,
    )  # fmt: skip


@pytest.fixture(scope="module")
def clip_trace(rtm, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "clip.jsonl"
    write_trace(path, rtm)
    return path


def test_analyze_prints_a_summary_and_writes_the_report(clip_trace, tmp_path):
    out = tmp_path / "report.json"
    r = analyze(clip_trace, "--json", out)
    assert r.returncode == 0, r.stderr
    assert "cadence        168." in r.stdout or "cadence        169." in r.stdout
    for word in ("steps", "good steps", "lean", "hip vs ankle", "main cue"):
        assert word in r.stdout
    report = validate_report(json.loads(out.read_text()))
    assert report["facing"] == "left" and len(report["steps"]) >= 28


def test_fixed_facing_option(clip_trace):
    r = analyze(clip_trace, "--facing", "right")
    assert r.returncode == 0 and "warning: facing is set to right" in r.stdout


def _lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("make", "expect"),
    [
        (lambda p: _lines(p, ["hello"]), "not a midstance trace"),
        (lambda p: p.parent / "missing.jsonl", "cannot read"),
        (lambda p: p.parent, "is a directory"),
        (lambda p: (p.write_bytes(b"\xff\xfe\x00"), p)[1], "not a midstance trace"),
    ],
)
def test_unusable_input_is_one_line_exit_2(tmp_path, make, expect):
    path = make(tmp_path / "in.jsonl")
    r = analyze(path)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1
    assert r.stderr.startswith("midstance analyze: error: ") and expect in r.stderr


def test_bad_trace_lines_name_file_and_line(clip_trace, tmp_path):
    lines = clip_trace.read_text().splitlines()
    head, frames = lines[0], lines[1:]
    cases = {
        "truncated": ([head, *frames[:4], frames[4][:50], *frames[5:9]], ":6: malformed JSON"),
        "version": ([head.replace("trace/1", "trace/2"), *frames[:4]], ":1: unknown trace"),
        "backwards": ([head, *frames[:4], frames[1], *frames[5:8]], ":6: time goes backwards"),
        "nan": ([head, *frames[:2], frames[2].replace("]", ",NaN]", 1), *frames[3:5]], ":4:"),
        "count": ([head, frames[0], frames[1].replace('"vis":[', '"vis":[0.5,', 1)], ":3: 'vis'"),
    }
    for name, (content, expect) in cases.items():
        path = _lines(tmp_path / f"{name}.jsonl", content)
        r = analyze(path, "--json", tmp_path / f"{name}.json")
        assert r.returncode == 2, (name, r.stdout)
        assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr
        assert f"{path}{expect}" in r.stderr, (name, r.stderr)
        assert not (tmp_path / f"{name}.json").exists()  # no half-written report


def test_unwritable_report_is_one_line(clip_trace, tmp_path):
    r = analyze(clip_trace, "--json", tmp_path / "no" / "such" / "dir" / "r.json")
    assert r.returncode == 2 and "cannot write the report" in r.stderr
    assert "Traceback" not in r.stderr
