"""TEST DOUBLE of lgpio, for `make check-arm64` only: a machine with no GPIO chip.

Stands in for python3-lgpio where Debian has none (the version is below any real package, so
a real one wins where the release has it). gpiozero's lgpio pin factory imports it and opens
the chip, which fails here as lgpio fails on a machine without /dev/gpiochip*. The LED and
button themselves are checked on gpiozero's mock pins. Never ships.
"""

TEST_DOUBLE = True


class error(Exception):  # lgpio's own name
    """lgpio's exception."""


def gpiochip_open(gpiochip: int) -> int:
    """Open a GPIO chip: there is none here."""
    raise error("can not open gpiochip")
