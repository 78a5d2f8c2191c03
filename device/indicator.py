"""The LED the runner glances at: one colour or pattern per state, changed only on a change.

States (``core.verdict.LED_STATES``) and what they look like:

==============  ======================================  ========================
state           RGB strip                               LED bar
==============  ======================================  ========================
good            green                                   all lit
warn            amber                                   half lit
bad             red                                     first LED only
no_runner       off (or a dim white breathing)          off (or first LED dim)
not_judging     slow blue pulse (1 s in, 1 s out)       first LED pulsing
fault           fast red blink (0.15 s on / off)        all blinking fast
off             off                                     off
==============  ======================================  ========================

Setting :attr:`Indicator.state` to the state it already shows does nothing, so a pattern is
never restarted and a colour never flickers. Patterns run in gpiozero's background threads.

Wiring (RGB strip, 12 V analog, common anode) through three logic-level N-MOSFETs::

    GPIO17 --[220R]--> gate  MOSFET R   drain -> strip R-   source -> GND
    GPIO27 --[220R]--> gate  MOSFET G   drain -> strip G-   source -> GND
    GPIO22 --[220R]--> gate  MOSFET B   drain -> strip B-   source -> GND
    12 V supply + -> strip +12V;  supply GND -> Pi GND (common ground)
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import ClassVar, TextIO

from core.errors import MidstanceError
from core.verdict import LED_STATES

#: (red, green, blue) at full brightness for the steady states.
COLOURS = {
    "good": (0.0, 1.0, 0.0),
    "warn": (1.0, 0.45, 0.0),
    "bad": (1.0, 0.0, 0.0),
}


def mock_pin_factory():
    """gpiozero's mock pins with PWM, so ``--led mock`` and the tests run on any machine."""
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    return MockFactory(pin_class=MockPWMPin)


class Indicator:
    """Base of every LED indicator: the shown state as the :attr:`state` property.

    Subclasses implement :meth:`_show`. :attr:`changed_at` is the ``time.perf_counter()`` of
    the last change, :attr:`changes` counts changes.
    """

    def __init__(self, brightness: float = 1.0, no_runner: str = "off"):
        self._state = "off"
        self._brightness = float(brightness)
        self.no_runner = no_runner
        self.changed_at: float | None = None
        self.changes = 0
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        """The state shown (one of ``LED_STATES``); assigning a new one changes the light."""
        return self._state

    @state.setter
    def state(self, value: str) -> None:
        if value not in LED_STATES:
            raise ValueError(f"LED state must be one of {LED_STATES}: {value!r}")
        with self._lock:
            if value == self._state:
                return
            self._state = value
            self._show(value)
            self.changed_at = time.perf_counter()
            self.changes += 1

    @property
    def brightness(self) -> float:
        """Brightness 0-1 (scales every colour); setting it redraws the current state."""
        return self._brightness

    @brightness.setter
    def brightness(self, value: float) -> None:
        value = min(1.0, max(0.0, float(value)))
        with self._lock:
            if value != self._brightness:
                self._brightness = value
                self._show(self._state)

    def _show(self, state: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        """Switch off and release the pins."""
        self.state = "off"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class RGBIndicator(Indicator):
    """An analog RGB strip on three PWM pins through MOSFETs (gpiozero ``RGBLED``).

    Example::

        led = RGBIndicator(17, 27, 22, brightness=0.8)
        led.state = "good"        # green
        led.state = "fault"       # fast red blink
    """

    def __init__(
        self,
        red: int = 17,
        green: int = 27,
        blue: int = 22,
        *,
        active_high: bool = True,
        brightness: float = 1.0,
        no_runner: str = "off",
        pin_factory=None,
    ):
        from gpiozero import RGBLED

        super().__init__(brightness, no_runner)
        self.led = RGBLED(
            red, green, blue, active_high=active_high, pwm=True, pin_factory=pin_factory
        )

    def _scaled(self, rgb: tuple[float, float, float], k: float = 1.0):
        return tuple(c * self._brightness * k for c in rgb)

    def _show(self, state: str) -> None:
        led = self.led
        if state in COLOURS:
            led.color = self._scaled(COLOURS[state])
        elif state == "not_judging":
            led.pulse(1.0, 1.0, on_color=self._scaled((0.0, 0.3, 1.0)), off_color=(0, 0, 0))
        elif state == "fault":
            led.blink(0.15, 0.15, on_color=self._scaled((1.0, 0.0, 0.0)))
        elif state == "no_runner" and self.no_runner == "breathe":
            led.pulse(2.0, 2.0, on_color=self._scaled((1.0, 1.0, 1.0), 0.15))
        else:
            led.off()

    @property
    def value(self) -> tuple[float, float, float]:
        """The (red, green, blue) duty cycles right now (they move during patterns)."""
        return tuple(self.led.value)

    def close(self) -> None:
        """Switch off and release the pins."""
        super().close()
        self.led.close()


class BarIndicator(Indicator):
    """A row of LEDs (gpiozero ``LEDBarGraph``, PWM): more lit = better steps.

    Example::

        bar = BarIndicator([5, 6, 13, 19, 26])
        bar.state = "warn"        # the first half lit
    """

    def __init__(
        self,
        pins: list[int],
        *,
        active_high: bool = True,
        brightness: float = 1.0,
        no_runner: str = "off",
        pin_factory=None,
    ):
        from gpiozero import LEDBarGraph

        super().__init__(brightness, no_runner)
        self.bar = LEDBarGraph(*pins, pwm=True, active_high=active_high, pin_factory=pin_factory)

    def _show(self, state: str) -> None:
        b, leds = self._brightness, self.bar.leds
        for led in leds:
            led.off()
        lit = {"good": len(leds), "warn": (len(leds) + 1) // 2, "bad": 1}.get(state)
        if lit is not None:
            for led in leds[:lit]:
                led.value = b
        elif state == "not_judging":
            leds[0].pulse(1.0, 1.0)
        elif state == "fault":
            for led in leds:
                led.blink(0.15, 0.15)
        elif state == "no_runner" and self.no_runner == "breathe":
            leds[0].value = 0.15 * b

    @property
    def value(self) -> tuple[float, ...]:
        """Each LED's duty cycle right now."""
        return tuple(led.value for led in self.bar.leds)

    def close(self) -> None:
        """Switch off and release the pins."""
        super().close()
        self.bar.close()


class TerminalIndicator(Indicator):
    """The simulated LED of the demo: one coloured block line per change on a terminal.

    Example::

        led = TerminalIndicator()
        led.state = "good"        # prints a green block and "good"
    """

    _ANSI: ClassVar[dict[str, str]] = {
        "good": "42",
        "warn": "43",
        "bad": "41",
        "not_judging": "44",
        "fault": "5;41",
    }
    _LABEL: ClassVar[dict[str, str]] = {
        "good": "good step",
        "warn": "watch your form",
        "bad": "fix your form",
        "no_runner": "no runner",
        "not_judging": "not judging (landmarks unreliable)",
        "fault": "FAULT",
        "off": "off",
    }

    def __init__(self, stream: TextIO | None = None, brightness: float = 1.0, **_):
        super().__init__(brightness)
        self.stream = stream or sys.stdout
        self.colour = bool(getattr(self.stream, "isatty", lambda: False)())

    def _show(self, state: str) -> None:
        block = "        "
        if self.colour and state in self._ANSI:
            block = f"\x1b[{self._ANSI[state]}m{block}\x1b[0m"
        elif not self.colour:
            block = f"[{state:^11}]"
        # A closed terminal must not stop the appliance.
        with contextlib.suppress(OSError, ValueError):
            print(f"LED {block} {self._LABEL[state]}", file=self.stream, flush=True)


class NullIndicator(Indicator):
    """No LED at all (``led.kind = "none"``): the state is kept for the snapshot only."""

    def _show(self, state: str) -> None:
        pass


def make_indicator(
    kind: str, led_cfg: dict, stream: TextIO | None = None, pin_factory=None
) -> Indicator:
    """The indicator for ``--led gpio|mock|terminal|none`` with the ``[led]`` config section.

    ``gpio`` and ``mock`` both drive gpiozero pins from ``pin_factory``, which the caller
    chooses (:func:`device.appliance.pin_factory`: mock pins for ``mock``; None is gpiozero's
    default, the Pi's GPIO).
    """
    if kind == "terminal":
        return TerminalIndicator(stream, brightness=led_cfg["brightness"])
    if kind == "none" or led_cfg["kind"] == "none":
        return NullIndicator(led_cfg["brightness"])
    from gpiozero import GPIOZeroError

    common = dict(
        active_high=led_cfg["active_high"],
        brightness=led_cfg["brightness"],
        no_runner=led_cfg["no_runner"],
        pin_factory=pin_factory,
    )
    try:
        if led_cfg["kind"] == "bar":
            return BarIndicator(led_cfg["bar_pins"], **common)
        return RGBIndicator(led_cfg["red_pin"], led_cfg["green_pin"], led_cfg["blue_pin"], **common)
    except GPIOZeroError as exc:
        raise MidstanceError(
            f"LED: cannot open the GPIO pins ({exc}); use --led mock or --led terminal"
            " on a machine without GPIO"
        ) from None
