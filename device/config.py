"""The appliance's configuration: one TOML file, documented defaults, every value checked.

The file is ``/etc/midstance/config.toml`` on the Pi (``--config FILE`` elsewhere); every key is
optional and ``config.example.toml`` documents each one with its default. Staff settings saved
from the page (thresholds, facing, LED brightness) override the file at run time.

A wrong value is a :class:`~core.errors.ConfigError` naming the file and the key, e.g.
``config.toml: led.red_pin must be a GPIO number 0-27, got 'x'``.

Example::

    cfg = load_config("/etc/midstance/config.toml", {"session": {"timeout_s": 5}})
    cfg["led"]["red_pin"]          # 17
    cfg.thresholds()               # core.verdict.Thresholds
"""

from __future__ import annotations

import copy
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from common import settings
from core.errors import ConfigError

DEFAULT_PATH = Path("/etc/midstance/config.toml")

Check = Callable[[Any], str | None]  # returns why the value is wrong, or None


def _gpio(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 27
    return None if ok else "must be a GPIO number 0-27"


def _gpio_or_off(value: Any) -> str | None:
    return None if value == -1 else (_gpio(value) and "must be a GPIO number 0-27 (-1 = none)")


def _gpio_list(value: Any) -> str | None:
    if not isinstance(value, list) or not 1 <= len(value) <= 16 or any(_gpio(v) for v in value):
        return "must be a list of 1-16 GPIO numbers 0-27"
    return None if len(set(value)) == len(value) else "must not repeat a pin"


def _number(lo: float, hi: float) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and math.isfinite(value) and lo <= value <= hi:
            return None
        return f"must be a number {lo:g}-{hi:g}"

    return check


def _integer(lo: int, hi: int) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
        return None if ok else f"must be a whole number {lo}-{hi}"

    return check


def _choice(*options: Any) -> Check:
    def check(value: Any) -> str | None:
        return None if value in options else "must be one of " + ", ".join(map(repr, options))

    return check


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else "must be a string"


def _setting(name: str) -> tuple[Any, Check]:
    """A staff setting's (default, check) from :mod:`common.settings`, so the file and the page
    agree on its default and limits."""
    s = settings.SETTINGS[name]

    def check(value: Any) -> str | None:
        why = s.problem(value)
        if why is None:
            return None
        return (
            f"must be one of {', '.join(s.choices)}"
            if s.choices
            else f"must be a number {s.min:g}-{s.max:g}"
        )

    return s.default, check


def _thresholds(value: Any) -> str | None:
    from core.verdict import Thresholds

    if not isinstance(value, dict):
        return "must be a table of threshold values"
    try:
        Thresholds.from_dict(value)
    except ConfigError as exc:
        return f"is wrong: {exc}"
    return None


#: section -> key -> (default, check). The single source of the defaults; config.example.toml
#: mirrors it (a test keeps the two in step).
SCHEMA: dict[str, dict[str, tuple[Any, Check]]] = {
    "camera": {
        "source": ("camera", _text),  # "camera" or a video file path
        "index": (0, _integer(0, 7)),
        "width": (480, _integer(64, 1920)),  # lores stream (what the model sees), after rotation
        "height": (640, _integer(64, 1920)),
        "fps": (60.0, _number(1, 240)),
        "exposure_us": (1500, _integer(100, 33000)),
        "analogue_gain": (4.0, _number(1, 16)),
        "rotate": (90, _choice(0, 90, 180, 270)),  # degrees clockwise, for a portrait mount
        "sensor_width": (0, _integer(0, 9600)),  # 0 = let libcamera pick the sensor mode
        "sensor_height": (0, _integer(0, 7200)),
        "stall_s": (2.0, _number(0.2, 60)),
    },
    "led": {
        "kind": ("rgb", _choice("rgb", "bar", "none")),
        "red_pin": (17, _gpio),
        "green_pin": (27, _gpio),
        "blue_pin": (22, _gpio),
        "bar_pins": ([5, 6, 13, 19, 26], _gpio_list),
        "active_high": (True, _boolean),
        "brightness": _setting("led_brightness"),
        "no_runner": ("off", _choice("off", "breathe")),
    },
    "button": {
        "pin": (16, _gpio_or_off),
        "hold_s": (3.0, _number(0.5, 30)),
    },
    "session": {
        "timeout_s": (20.0, _number(1, 3600)),
        "batch_s": (1.0, _number(0.05, 30)),
        "snapshot_hz": (5.0, _number(0.5, 30)),
        "command_poll_s": (0.2, _number(0.05, 5)),
        # Retention: a finished session is deleted once it is older than keep_days AND not
        # among the newest keep_sessions; and the oldest go first, whatever their age, while
        # the store holds more than keep_mb MiB (~210 bytes a step: 1 GiB is about two
        # months of a treadmill running 8 hours a day), so the SD card never fills.
        "keep_days": (90.0, _number(1, 36500)),
        "keep_sessions": (1000, _integer(1, 10_000_000)),
        "keep_mb": (1024.0, _number(1, 1_000_000)),
    },
    "pose": {
        "model": ("full", _choice("lite", "full", "heavy")),
        "models_dir": ("", _text),  # "" = $MIDSTANCE_MODELS_DIR or the default cache
        "threads": (2, _integer(1, 8)),
    },
    "analysis": {
        "facing": _setting("facing"),
        "thresholds": ({}, _thresholds),
    },
    "paths": {
        "state_dir": ("/var/lib/midstance", _text),
        "run_dir": ("/run/midstance", _text),
    },
}


class Config(dict):
    """A checked configuration: ``cfg[section][key]``, with every key present."""

    def thresholds(self):
        """The step thresholds (``core.verdict.Thresholds``)."""
        from core.verdict import Thresholds

        return Thresholds.from_dict(self["analysis"]["thresholds"])


def defaults() -> Config:
    """Every default value."""
    return Config(
        {s: {k: copy.deepcopy(d) for k, (d, _) in keys.items()} for s, keys in SCHEMA.items()}
    )


def merge(cfg: Config, values: Mapping[str, Any], origin: str = "config") -> Config:
    """Return ``cfg`` with ``values`` ({section: {key: value}}) checked and laid over it."""
    out = Config(copy.deepcopy(dict(cfg)))
    if not isinstance(values, Mapping):
        raise ConfigError(f"{origin}: must be a table of sections")
    for section, table in values.items():
        if section not in SCHEMA:
            known = ", ".join(SCHEMA)
            raise ConfigError(f"{origin}: unknown section [{section}] (known: {known})")
        if not isinstance(table, Mapping):
            raise ConfigError(f"{origin}: [{section}] must be a table")
        for key, value in table.items():
            if key not in SCHEMA[section]:
                known = ", ".join(SCHEMA[section])
                raise ConfigError(f"{origin}: unknown key {section}.{key} (known: {known})")
            why = SCHEMA[section][key][1](value)
            if why:
                raise ConfigError(f"{origin}: {section}.{key} {why}, got {value!r}")
            out[section][key] = copy.deepcopy(value)
    return out


def load_config(
    path: str | os.PathLike | None = None, overrides: Mapping[str, Any] | None = None
) -> Config:
    """Defaults, then the TOML file at ``path`` (if given), then ``overrides``.

    ``path=None`` reads :data:`DEFAULT_PATH` when it exists. A missing explicit file, a TOML
    syntax error or a wrong value raises ConfigError naming the file and the key.
    """
    cfg = defaults()
    if path is None and DEFAULT_PATH.exists():
        path = DEFAULT_PATH
    if path is not None:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such config file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        cfg = merge(cfg, data, origin=path.name)
    if overrides:
        cfg = merge(cfg, overrides, origin="override")
    return cfg
