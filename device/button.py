"""The staff button on the kiosk: hold it to reset the session (the page's reset, by hand).

Wiring: a momentary push button between a GPIO pin and ground; the Pi's internal pull-up holds
the pin high until the button is pressed::

    GPIO16 ----o  o---- GND          (no resistor needed: internal pull-up)

Holding it for ``hold_s`` seconds (3 s by default, so a bump does nothing) calls ``on_reset``
once, from gpiozero's background thread. :class:`device.runtime.Sense` wires ``on_reset`` to
its staff reset when the button is handed to it.
"""

from __future__ import annotations

from collections.abc import Callable

from core.errors import MidstanceError


class StaffButton:
    """A gpiozero ``Button`` to ground that calls ``on_reset`` when held for ``hold_s``.

    ``on_reset`` may be set later (None: a hold is only counted in :attr:`presses`).

    Example::

        button = StaffButton(16, on_reset=lambda: print("reset"), hold_s=3.0)
        ...                        # hold the button 3 s: "reset"
        button.close()
    """

    def __init__(
        self,
        pin: int,
        on_reset: Callable[[], None] | None = None,
        hold_s: float = 3.0,
        pin_factory=None,
    ):
        from gpiozero import Button, GPIOZeroError

        self.on_reset = on_reset
        self.presses = 0
        try:
            self.button = Button(
                pin, pull_up=True, hold_time=hold_s, bounce_time=None, pin_factory=pin_factory
            )
        except GPIOZeroError as exc:
            raise MidstanceError(f"button: cannot open GPIO{pin} ({exc})") from None
        self.button.when_held = self._held

    def _held(self) -> None:
        self.presses += 1
        if self.on_reset is not None:
            self.on_reset()

    @property
    def is_pressed(self) -> bool:
        """True while the button is down."""
        return bool(self.button.is_pressed)

    def close(self) -> None:
        """Release the pin."""
        self.button.close()
