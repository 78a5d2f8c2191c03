"""The config: defaults, the documented example file, and one clear line for every bad value."""

from __future__ import annotations

import tomllib

import pytest

from core.errors import ConfigError
from core.verdict import Thresholds
from device.config import SCHEMA, defaults, load_config
from tests.conftest import REPO, midstance


def test_example_file_documents_every_default():
    example = tomllib.loads((REPO / "config.example.toml").read_text())
    for section, keys in SCHEMA.items():
        for key, (default, _) in keys.items():
            if key == "thresholds":
                continue
            assert example[section][key] == default, f"{section}.{key}"
    # The thresholds are commented out in the example, with the core's defaults.
    text = (REPO / "config.example.toml").read_text()
    for name, value in Thresholds().as_dict().items():
        assert f"# {name} = {value}" in text
    assert load_config(REPO / "config.example.toml") == defaults()


def test_overrides_and_thresholds(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[led]\nred_pin = 5\n[analysis.thresholds]\nlean_warn_deg = 12.0\n")
    cfg = load_config(path, {"session": {"timeout_s": 5}})
    assert cfg["led"]["red_pin"] == 5 and cfg["led"]["green_pin"] == 27
    assert cfg["session"]["timeout_s"] == 5
    assert cfg.thresholds().lean_warn_deg == 12.0


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[led]\nred_pin = "x"\n', "config.toml: led.red_pin must be a GPIO number 0-27, got 'x'"),
        ("[led]\nred_pin = 40\n", "led.red_pin must be a GPIO number 0-27, got 40"),
        ("[led]\nbrightness = 2\n", "led.brightness must be a number 0.05-1, got 2"),
        ('[led]\nkind = "ws2812"\n', "led.kind must be one of 'rgb', 'bar', 'none'"),
        ("[led]\nbar_pins = [5, 5]\n", "led.bar_pins must not repeat a pin"),
        ("[camera]\nrotate = 45\n", "camera.rotate must be one of 0, 90, 180, 270, got 45"),
        ("[session]\ntimeout_s = true\n", "session.timeout_s must be a number"),
        ("[led]\nred = 5\n", "unknown key led.red"),
        ("[leds]\n", "unknown section [leds]"),
        ("[analysis.thresholds]\nlean_warn_deg = 80\n", "analysis.thresholds is wrong"),
        ("[led\nred_pin = 1\n", "config.toml: not valid TOML"),
    ],
)
def test_bad_values_name_the_key(tmp_path, toml, message):
    path = tmp_path / "config.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")


def test_cli_reports_a_bad_config_in_one_line(tmp_path, clip):
    path = tmp_path / "config.toml"
    path.write_text('[led]\nred_pin = "x"\n')
    proc = midstance(
        "sense", "--config", path, "--source", clip, "--state-dir", tmp_path / "s",
        "--run-dir", tmp_path / "r", "--led", "mock", timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "midstance sense: error: config.toml: led.red_pin must be a GPIO number 0-27, got 'x'"
    )
    assert not (tmp_path / "s").exists()  # nothing was touched
