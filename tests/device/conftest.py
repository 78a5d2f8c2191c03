"""Helpers for the appliance tests (the clip, models and mock pins are in ``tests/conftest.py``)."""

from __future__ import annotations

import json

from tests.conftest import shared_data


def ground_truth_steps() -> int:
    """Initial contacts of both feet in the clip (frame-by-frame annotation): 34."""
    contacts = json.loads((shared_data() / "treadmill_side_30fps.contacts.json").read_text())
    return sum(1 for e in contacts["events"] if e["type"] == "ic")
