"""What every test folder shares: the repository, the real data, the sample clip, the real model
files, gpiozero's mock pins, a free port, polling with a deadline, the ``midstance`` command and
a picture as a camera rolled on its mount takes it.

Folder conftests keep only what is theirs (traces for the core, the reference MediaPipe run for
the pose tests, servers and a browser for the web tests, subprocess rigs for reliability).
"""

from __future__ import annotations

import math
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO / "device" / "sample" / "treadmill_side_30fps.mp4"
# The command line as the tests run it: this interpreter, so the venv's packages are the ones used.
MIDSTANCE = [sys.executable, "-m", "midstance"]


def shared_data() -> Path:
    """The team's read-only real data (``shared/data`` beside the repository root)."""
    return REPO / ".." / "shared" / "data"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], object], timeout: float, what: str, every: float = 0.05):
    """Poll ``condition`` until it returns something truthy (returned); fail after ``timeout``.

    Waits on a condition, never a fixed time, so a slow machine only makes a test slower.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def command(*args) -> list[str]:
    """``midstance ARGS...`` as an argument list for :mod:`subprocess` (paths, numbers as text)."""
    return [*MIDSTANCE, *map(str, args)]


def midstance(*args, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    """Run ``midstance ARGS...`` to the end in the repository (text output captured; a timeout
    so it never hangs a test). Keyword arguments go to :func:`subprocess.run`."""
    return subprocess.run(
        command(*args),
        capture_output=True, text=True, timeout=timeout, cwd=REPO, **kw,
    )  # fmt: skip


@pytest.fixture(scope="session")
def clip() -> Path:
    """The committed sample clip (720x1280, 30 fps, 360 frames, runner facing image-left), checked
    to be the very bytes of the shared real one."""
    assert CLIP.is_file(), f"{CLIP} missing"
    shared = shared_data() / CLIP.name
    assert shared.read_bytes() == CLIP.read_bytes(), "sample clip differs from the shared data"
    return CLIP


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The provisioned model files (``make models``: ``MIDSTANCE_MODELS_DIR`` or
    ~/.cache/midstance/models), every one checked against its pinned SHA-256; fails loudly when
    any is missing."""
    from device.pose import models

    directory = models.models_dir()
    problems = models.verify(directory)
    if problems:
        pytest.fail("model files not provisioned (run `make models`): " + "; ".join(problems))
    return directory


@pytest.fixture
def pin_factory():
    """gpiozero's mock pins with PWM, fresh for each test."""
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    factory = MockFactory(pin_class=MockPWMPin)
    yield factory
    factory.reset()


def session_stats(steps, max_points: int = 300):
    """A :class:`core.stats.SessionStats` of step dicts at once: the reference the page's
    step-by-step statistics are held against."""
    from core.stats import SessionStats

    stats = SessionStats(max_points=max_points)
    for step in steps:
        stats.add(step)
    return stats


def camera_rolled(rgb: np.ndarray, degrees: float, enlarged: bool = True) -> np.ndarray:
    """``rgb`` as a camera rolled the other way on its mount takes it: turned ``degrees``
    clockwise about its centre and enlarged until no corner is empty (``enlarged=False``: with
    the black corners an editor's turn leaves)."""
    import cv2

    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -degrees, 1.0)
    if enlarged:
        a = math.radians(abs(degrees))
        m[:, :2] *= math.cos(a) + max(w, h) / min(w, h) * math.sin(a)
        m[:, 2] = np.array([w / 2, h / 2]) - m[:, :2] @ np.array([w / 2, h / 2])
    return cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR)


def shaken_clip(path: Path, kind: str = "shake") -> Path:
    """The real clip as a camera jolted at every footfall films it (the stress set's ``kind``,
    :data:`corpus.stress.SHAKES`: a swing started at each of the truth's contacts), written to
    ``path`` (.mp4) as ``make stress`` builds it."""
    from corpus.items import clip_truth
    from corpus.stress import clip_shake, shaken
    from corpus.video import read_frames, write_video

    frames = list(read_frames(CLIP))
    shifts = clip_shake(clip_truth(shared_data()), len(frames), kind)
    write_video(path, shaken(frames, shifts), 30.0)
    return path
