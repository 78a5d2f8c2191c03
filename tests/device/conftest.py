"""Fixtures for the appliance tests: the real sample clip, real model files, mock GPIO pins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLIP = REPO / "device" / "sample" / "treadmill_side_30fps.mp4"


def shared_data() -> Path:
    """The team's shared data folder, beside the repository root."""
    return Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def ground_truth_steps() -> int:
    """Initial contacts of both feet in the clip (frame-by-frame annotation): 34."""
    contacts = json.loads((shared_data() / "treadmill_side_30fps.contacts.json").read_text())
    return sum(1 for e in contacts["events"] if e["type"] == "ic")


@pytest.fixture(scope="session")
def clip() -> Path:
    """The committed sample clip (a copy of the shared one)."""
    assert CLIP.is_file(), f"{CLIP} missing"
    return CLIP


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The provisioned model files (``make models``); fails loudly when they are missing."""
    from device.pose import models

    directory = models.models_dir()
    problems = [
        p for n in ("pose_detection", "pose_landmark_full") if (p := models.check(directory, n))
    ]
    assert not problems, f"model files not provisioned (run `make models`): {problems}"
    return directory


@pytest.fixture
def pin_factory():
    """gpiozero mock pins with PWM."""
    from device.indicator import mock_pin_factory

    factory = mock_pin_factory()
    yield factory
    factory.reset()
