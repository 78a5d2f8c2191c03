"""The appliance assembled from the config: one pin factory for the LED and the button, the
button handed to the loop, no pins (and no button) without GPIO."""

from __future__ import annotations

import io

import pytest

from core.errors import MidstanceError
from device import appliance
from device.config import load_config
from device.indicator import RGBIndicator, TerminalIndicator


def config(tmp_path, clip, **over):
    return load_config(
        None,
        {
            "camera": {"source": str(clip)},
            "paths": {"state_dir": str(tmp_path / "state"), "run_dir": str(tmp_path / "run")},
            **over,
        },
    )


def test_mock_led_and_button_share_one_pin_factory(tmp_path, clip, models_dir):
    sense = appliance.build(config(tmp_path, clip, pose={"models_dir": str(models_dir)}), "mock")
    try:
        assert isinstance(sense.indicator, RGBIndicator)
        factory = sense.indicator.led.pin_factory
        assert sense.button.button.pin_factory is factory
        # the button is wired to the loop's staff reset, not patched on afterwards
        assert sense.button.on_reset == sense.request_reset
        assert sense.button.button.pin is factory.pin(16)
    finally:
        sense.close()


def test_terminal_led_has_no_pins_and_no_button(tmp_path, clip, models_dir):
    cfg = config(tmp_path, clip, pose={"models_dir": str(models_dir)})
    sense = appliance.build(cfg, "terminal", stream=io.StringIO())
    try:
        assert isinstance(sense.indicator, TerminalIndicator)
        assert sense.button is None
    finally:
        sense.close()


def test_button_switched_off_in_the_config(tmp_path, clip, models_dir):
    cfg = config(tmp_path, clip, pose={"models_dir": str(models_dir)}, button={"pin": -1})
    sense = appliance.build(cfg, "mock")
    try:
        assert sense.button is None
    finally:
        sense.close()


def test_a_missing_video_file_is_one_clear_error_and_a_fault_on_the_page(tmp_path, clip):
    from common import snapshot

    cfg = config(tmp_path, tmp_path / "nope.mp4")
    with pytest.raises(MidstanceError, match=r"nope\.mp4: no such video file"):
        appliance.build(cfg, "mock")
    snap = snapshot.read(tmp_path / "run")
    assert snap["state"] == "fault" and "nope.mp4: no such file" in snap["fault"]
