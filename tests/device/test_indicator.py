"""The LED: gpiozero mock PWM pins follow each state; nothing changes without a state change."""

from __future__ import annotations

import io
import itertools
import time

import pytest

from device.config import defaults
from device.indicator import (
    BarIndicator,
    RGBIndicator,
    TerminalIndicator,
    make_indicator,
)


def pins(factory, *numbers):
    return tuple(round(float(factory.pin(n).state), 3) for n in numbers)


def test_rgb_colours_and_brightness(pin_factory):
    led = RGBIndicator(17, 27, 22, brightness=0.5, pin_factory=pin_factory)
    assert pins(pin_factory, 17, 27, 22) == (0, 0, 0)
    led.state = "good"
    assert pins(pin_factory, 17, 27, 22) == (0, 0.5, 0)
    led.state = "warn"
    assert pins(pin_factory, 17, 27, 22) == (0.5, 0.225, 0)
    led.state = "bad"
    assert pins(pin_factory, 17, 27, 22) == (0.5, 0, 0)
    led.brightness = 1.0
    assert pins(pin_factory, 17, 27, 22) == (1, 0, 0)
    led.state = "no_runner"
    assert pins(pin_factory, 17, 27, 22) == (0, 0, 0)
    led.close()


def test_active_low_strip(pin_factory):
    led = RGBIndicator(17, 27, 22, active_high=False, pin_factory=pin_factory)
    led.state = "good"
    assert pins(pin_factory, 17, 27, 22) == (1, 0, 1)  # inverted duty cycles
    led.close()


def test_no_flicker_only_changes_count(pin_factory):
    led = RGBIndicator(pin_factory=pin_factory)
    for state in ["good"] * 10 + ["warn"] * 5 + ["good"]:
        led.state = state
    assert led.changes == 3
    first = led.changed_at
    led.state = "good"
    assert led.changed_at == first
    with pytest.raises(ValueError):
        led.state = "purple"
    led.close()


def _samples(factory, pin, seconds=0.8, every=0.01):
    values = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        values.append(float(factory.pin(pin).state))
        time.sleep(every)
    return values


def test_fault_blinks_red_fast(pin_factory):
    led = RGBIndicator(17, 27, 22, pin_factory=pin_factory)
    led.state = "fault"
    red = _samples(pin_factory, 17)
    assert max(red) == 1.0 and min(red) == 0.0
    # 0.15 s on / off: several transitions within 0.8 s
    transitions = sum(1 for a, b in itertools.pairwise(red) if (a > 0.5) != (b > 0.5))
    assert transitions >= 3
    assert pin_factory.pin(27).state == 0 and pin_factory.pin(22).state == 0
    led.close()


def test_not_judging_pulses_blue(pin_factory):
    led = RGBIndicator(17, 27, 22, pin_factory=pin_factory)
    led.state = "not_judging"
    blue = _samples(pin_factory, 22, seconds=1.2)
    assert max(blue) - min(blue) > 0.5  # it fades, not a steady colour
    assert max(_samples(pin_factory, 17, seconds=0.2)) == 0  # never red
    led.state = "good"  # a pattern stops on the next state
    time.sleep(0.1)
    assert pins(pin_factory, 17, 27, 22) == (0, 1, 0)
    led.close()


def test_bar_graph(pin_factory):
    bar = BarIndicator([5, 6, 13, 19, 26], pin_factory=pin_factory)
    bar.state = "good"
    assert pins(pin_factory, 5, 6, 13, 19, 26) == (1, 1, 1, 1, 1)
    bar.state = "warn"
    assert pins(pin_factory, 5, 6, 13, 19, 26) == (1, 1, 1, 0, 0)
    bar.state = "bad"
    assert pins(pin_factory, 5, 6, 13, 19, 26) == (1, 0, 0, 0, 0)
    bar.state = "off"
    assert pins(pin_factory, 5, 6, 13, 19, 26) == (0, 0, 0, 0, 0)
    bar.close()


def test_terminal_indicator_prints_each_change_once():
    out = io.StringIO()
    led = TerminalIndicator(out)
    for state in ("good", "good", "bad", "fault"):
        led.state = state
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert "good" in lines[0] and "bad" in lines[1] and "FAULT" in lines[2]


def test_make_indicator_from_config(pin_factory):
    cfg = defaults()["led"]
    led = make_indicator("mock", cfg, pin_factory=pin_factory)
    assert isinstance(led, RGBIndicator)
    led.state = "good"
    assert led.value == (0, 0.8, 0)
    led.close()
    bar = make_indicator("mock", dict(cfg, kind="bar"), pin_factory=pin_factory)
    assert isinstance(bar, BarIndicator)
    bar.close()
