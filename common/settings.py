"""The staff settings: the thirteen values staff may change on the page, defined once.

The web shows and checks them; ``sense`` applies them. The value in force (the *effective*
value) is the staff override saved in the store, else the config file's value, else the
default here. Saving ``null`` for a key removes its override, so the config's value is back.

Plain data and checks only (no analysis imports): this module lives beside the store.
The threshold entries mirror ``core.verdict.Thresholds`` (a test keeps the two in step).

Example::

    base = from_config({"analysis": {"facing": "left"}})     # config file values
    now = effective({"led_brightness": 0.5}, base)
    now.values["facing"], now.sources["led_brightness"]      # ('left', 'saved')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from common.vocabulary import FACING_CHOICES
from core.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    """One staff setting: its limits, its words for the form and where the config file has it."""

    name: str
    default: float | str
    label: str
    help: str
    config: tuple[str, ...]  # path in the config file: (section, key) or (section, table, key)
    unit: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    #: (other setting, sign): this value must lie at or beyond the other one in the direction
    #: of ``sign`` (a "bad" threshold beyond its "warn" threshold).
    beyond: tuple[str, int] | None = None

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is wrong for this setting (one line), or None when it is fine."""
        if self.choices:
            if value in self.choices:
                return None
            return f"setting {self.name!r} must be one of {', '.join(self.choices)}, got {value!r}"
        if value == "" or value is None:
            return (
                f"setting {self.name!r} is empty: enter a number (null restores the config value)"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"setting {self.name!r} must be a number, got {value!r}"
        try:
            ok = math.isfinite(value) and self.min <= value <= self.max
        except OverflowError:  # an integer too large for a float
            ok = False
        if not ok:
            return f"setting {self.name!r} must be in {self.min:g}..{self.max:g}, got {value!r}"
        return None

    def describe(self) -> dict[str, Any]:
        """The form's description: default, unit, min, max, help, label, choices, config key."""
        out: dict[str, Any] = {"default": self.default, "label": self.label, "help": self.help,
                               "config_key": ".".join(self.config)}  # fmt: skip
        if self.choices:
            out["choices"] = list(self.choices)
        else:
            out.update(unit=self.unit, min=self.min, max=self.max)
        return out


def _threshold(name, default, unit, lo, hi, label, help_, beyond=None) -> Setting:
    return Setting(name, default, label, help_, ("analysis", "thresholds", name), unit, lo, hi,
                   beyond=beyond)  # fmt: skip


_LL, _DEG = "leg lengths", "deg"

#: Every staff setting by name, in the form's order.
SETTINGS: dict[str, Setting] = {s.name: s for s in (
    _threshold("offset_warn", -0.05, _LL, -1.0, 0.5, "Hip behind ankle: warn",
               "hip behind the ankle at midstance: warn below"),
    _threshold("offset_bad", -0.12, _LL, -1.0, 0.5, "Hip behind ankle: bad",
               "hip behind the ankle at midstance: bad below", ("offset_warn", -1)),
    _threshold("lean_back_deg", -3.0, _DEG, -30.0, 10.0, "Leaning back: warn",
               "leaning back at midstance: warn below"),
    _threshold("lean_warn_deg", 16.0, _DEG, 0.0, 45.0, "Leaning forward: warn",
               "leaning too far forward at midstance: warn above"),
    _threshold("lean_bad_deg", 22.0, _DEG, 0.0, 60.0, "Leaning forward: bad",
               "leaning too far forward at midstance: bad above", ("lean_warn_deg", 1)),
    _threshold("hip_bend_warn_deg", 15.0, _DEG, 0.0, 60.0, "Bending at the hips: warn",
               "bending at the hips, not the ankles: warn above"),
    _threshold("hip_bend_bad_deg", 25.0, _DEG, 0.0, 90.0, "Bending at the hips: bad",
               "bending at the hips, not the ankles: bad above", ("hip_bend_warn_deg", 1)),
    _threshold("overstride_warn", 0.30, _LL, 0.0, 1.5, "Overstride: warn",
               "foot landing ahead of the hip: warn above"),
    _threshold("overstride_bad", 0.40, _LL, 0.0, 2.0, "Overstride: bad",
               "foot landing ahead of the hip: bad above", ("overstride_warn", 1)),
    _threshold("cadence_low_spm", 140.0, "steps/min", 0.0, 250.0, "Low step rate: warn",
               "step rate too low: warn below (0 = off)"),
    _threshold("cadence_target_pct", 0.0, "%", 0.0, 15.0, "Step-rate target above the runner's own",
               "the target is the runner's settled step rate (median of their first 30 s of"
               " steady running) plus this many %: warn below it (0 = off; 5-10 % lowers knee"
               " load)"),
    Setting("facing", "auto", "Runner faces",
            "which way the runner faces in the image (auto = detect)", ("analysis", "facing"),
            choices=FACING_CHOICES),
    Setting("led_brightness", 0.8, "LED brightness",
            "brightness of the LED strip: 0.05 dim, 1 full", ("led", "brightness"),
            "share of full", 0.05, 1.0),
)}  # fmt: skip

#: The names of the step thresholds (``core.verdict.Thresholds`` fields).
THRESHOLDS = tuple(n for n, s in SETTINGS.items() if s.config[:2] == ("analysis", "thresholds"))


@dataclass
class Effective:
    """The settings in force: ``values`` by name, where each comes from (``sources``: "saved"
    or "config", the config file or its default), and the saved overrides left out because
    they are wrong."""

    values: dict[str, Any]
    sources: dict[str, str]
    ignored: list[str] = field(default_factory=list)


def describe() -> dict[str, dict[str, Any]]:
    """Every setting's description for a form: ``{name: {default, unit, min, max, ...}}``."""
    return {name: s.describe() for name, s in SETTINGS.items()}


def from_config(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The config file's value of every setting (its default when the file has none).

    ``cfg`` is the nested config (``{section: {key: value}}``, as ``device.config`` loads it).
    """
    out = {}
    for name, s in SETTINGS.items():
        node: Any = cfg
        for part in s.config:
            node = node.get(part) if isinstance(node, Mapping) else None
        out[name] = s.default if node is None else node
    return out


def order_problem(values: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(why, the pair's names)`` for the first bad threshold not beyond its warn one."""
    for name, s in SETTINGS.items():
        if s.beyond:
            other, sign = s.beyond
            if sign * (values[name] - values[other]) < 0:
                side = "below" if sign < 0 else "above"
                why = (f"setting {name!r} ({values[name]:g}) must be at or {side} "
                       f"{other!r} ({values[other]:g})")  # fmt: skip
                return why, (name, other)
    return None


def effective(saved: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> Effective:
    """The settings in force: ``saved`` overrides over ``base`` (see :func:`from_config`).

    A saved value that is unknown or wrong is left out (named in ``ignored``), as are the two
    overrides of a warn/bad pair that together break the order, so a config change never makes
    the saved settings unusable: the web and ``sense`` fall back to the same values.
    """
    base = dict(base) if base is not None else from_config({})
    values = {name: base.get(name, s.default) for name, s in SETTINGS.items()}
    sources = dict.fromkeys(SETTINGS, "config")
    ignored = []
    for name, value in saved.items():
        why = SETTINGS[name].problem(value) if name in SETTINGS else f"unknown setting {name!r}"
        if why:
            ignored.append(why)
        else:
            values[name], sources[name] = value, "saved"
    while bad := order_problem(values):
        why, pair = bad
        ignored.append(why)
        if not any(sources[n] == "saved" for n in pair):
            break  # the config itself is out of order (device.config refuses such a file)
        for n in pair:
            if sources[n] == "saved":
                values[n], sources[n] = base.get(n, SETTINGS[n].default), "config"
    return Effective(values, sources, ignored)


def plan_changes(
    changes: Mapping[str, Any], saved: Mapping[str, Any], base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What to write to the store for ``changes`` (``{name: value or None}``), or ConfigError.

    ``None`` removes an override (the config's value is back); a value equal to the one in
    force is no change and is not stored, so saving one field never pins the others. The
    result must be a valid whole: every value in limits, every bad threshold beyond its warn.
    """
    now = effective(saved, base)
    writes: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in SETTINGS:
            raise ConfigError(f"unknown setting {name!r} (known: {', '.join(SETTINGS)})")
        if value is None:
            if name in saved:
                writes[name] = None
            continue
        why = SETTINGS[name].problem(value)
        if why:
            raise ConfigError(why)
        if value != now.values[name]:
            writes[name] = value
    # The values in force are in order; only the changes can break it.
    base_values = effective({}, base).values
    after = now.values | {k: base_values[k] if v is None else v for k, v in writes.items()}
    bad = order_problem(after)
    if bad:
        raise ConfigError(bad[0])
    return writes
