"""The staff button: a hold resets, a bump does not."""

from __future__ import annotations

import threading
import time

from device.button import StaffButton


def test_hold_resets_and_a_short_press_does_not(pin_factory):
    resets = threading.Event()
    button = StaffButton(16, resets.set, hold_s=0.3, pin_factory=pin_factory)
    pin = pin_factory.pin(16)
    pin.drive_low()  # pressed (to ground)
    time.sleep(0.1)
    pin.drive_high()
    time.sleep(0.4)
    assert not resets.is_set() and button.presses == 0
    pin.drive_low()
    assert button.is_pressed
    assert resets.wait(2.0)
    time.sleep(0.5)  # holding on does not reset again
    pin.drive_high()
    assert button.presses == 1
    button.close()
