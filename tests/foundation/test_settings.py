"""The staff settings schema (common.settings): one definition for page, config and sense."""

from __future__ import annotations

import pytest

from common import settings
from core.errors import ConfigError
from core.verdict import Thresholds
from device.config import SCHEMA, load_config

#: A config file's settings: thresholds, facing and brightness away from the defaults.
CONFIG = {
    "analysis": {"facing": "left", "thresholds": {"offset_warn": -0.07, "offset_bad": -0.15,
                                                  "lean_warn_deg": 14.0}},
    "led": {"brightness": 0.6},
}  # fmt: skip


def test_thresholds_mirror_the_core():
    described = Thresholds.describe()
    assert set(settings.THRESHOLDS) == set(described) == set(Thresholds().as_dict())
    for name, meta in described.items():
        mine = settings.SETTINGS[name].describe()
        for key in ("default", "unit", "min", "max", "help"):
            assert mine[key] == meta[key], (name, key)
    # Every bad threshold lies beyond its warn one in the core too.
    for name in settings.THRESHOLDS:
        s = settings.SETTINGS[name]
        if s.beyond:
            other, sign = s.beyond
            values = Thresholds().as_dict()
            values[name] = values[other] - sign * 0.01
            with pytest.raises(ConfigError, match=name):
                Thresholds.from_dict(values)


def test_the_config_file_uses_the_same_defaults_and_limits():
    assert SCHEMA["led"]["brightness"][0] == settings.SETTINGS["led_brightness"].default == 0.8
    assert SCHEMA["analysis"]["facing"][0] == settings.SETTINGS["facing"].default == "auto"
    assert settings.from_config(load_config(None)) == {
        name: s.default for name, s in settings.SETTINGS.items()
    }
    with pytest.raises(ConfigError, match=r"led\.brightness must be a number 0\.05-1"):
        load_config(None, {"led": {"brightness": 0.0}})


def test_effective_is_saved_over_config_over_default():
    base = settings.from_config(load_config(None, CONFIG))
    assert base["offset_warn"] == -0.07 and base["facing"] == "left"
    assert base["led_brightness"] == 0.6 and base["lean_bad_deg"] == 22.0
    now = settings.effective({"lean_bad_deg": 30.0}, base)
    assert now.values == base | {"lean_bad_deg": 30.0}
    assert now.sources["lean_bad_deg"] == "saved" and now.sources["offset_warn"] == "config"
    assert now.ignored == []


def test_wrong_saved_values_are_ignored_alike_for_everyone():
    base = settings.from_config(load_config(None, CONFIG))
    now = settings.effective(
        {"led_brightness": 0, "facing": "up", "nope": 1, "cadence_low_spm": 150.0}, base
    )
    assert now.values == base | {"cadence_low_spm": 150.0}
    assert len(now.ignored) == 3
    # A saved bad threshold that the config's warn threshold now passes is left out with it.
    now = settings.effective({"offset_bad": -0.06}, base)
    assert now.values["offset_bad"] == -0.15 and now.sources["offset_bad"] == "config"
    assert "'offset_bad'" in now.ignored[0]
    Thresholds.from_dict({k: now.values[k] for k in settings.THRESHOLDS})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"offset_warn": ""}, "setting 'offset_warn' is empty"),
        ({"offset_warn": "0.1"}, "setting 'offset_warn' must be a number, got '0.1'"),
        ({"offset_warn": True}, "must be a number, got True"),
        ({"offset_warn": float("nan")}, "must be in -1..0.5"),
        ({"offset_warn": 10**400}, "must be in -1..0.5"),
        ({"led_brightness": 0}, "'led_brightness' must be in 0.05..1, got 0"),
        ({"facing": "Left"}, "must be one of auto, left, right, got 'Left'"),
        ({"facing": ""}, "must be one of auto, left, right"),
        ({"offest_warn": 1}, "unknown setting 'offest_warn'"),
        # config: warn -0.07, bad -0.15; a warn below the config's bad breaks the pair
        ({"offset_warn": -0.2}, "'offset_bad' (-0.15) must be at or below 'offset_warn' (-0.2)"),
    ],
)
def test_bad_changes_are_one_line_errors(change, message):
    base = settings.from_config(load_config(None, CONFIG))
    with pytest.raises(ConfigError) as err:
        settings.plan_changes(change, {}, base)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_only_changes_are_written_and_null_removes():
    base = settings.from_config(load_config(None, CONFIG))
    # The whole form as it was shown, with one field changed: one key to store.
    shown = settings.effective({}, base).values
    assert settings.plan_changes(shown | {"lean_bad_deg": 25.0}, {}, base) == {"lean_bad_deg": 25.0}
    assert settings.plan_changes({"facing": "left"}, {}, base) == {}  # the config's already
    assert settings.plan_changes({"facing": None}, {}, base) == {}  # nothing to remove
    assert settings.plan_changes({"facing": None}, {"facing": "right"}, base) == {"facing": None}
    # Two changes that are only valid together.
    both = {"offset_warn": -0.2, "offset_bad": -0.3}
    assert settings.plan_changes(both, {}, base) == both
