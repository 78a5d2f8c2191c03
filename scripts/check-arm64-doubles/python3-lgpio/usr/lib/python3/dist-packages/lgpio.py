"""TEST DOUBLE of lgpio, for `make check-arm64` only: a machine with no GPIO chip.

Stands in for python3-lgpio where Debian has none (the version is below any real package, so
a real one wins where the release has it). gpiozero's lgpio pin factory imports it and opens
the chip, which fails here as lgpio fails on a machine without /dev/gpiochip*. The LED and
button themselves are checked on gpiozero's mock pins. Never ships.
"""

TEST_DOUBLE = True

# lgpio's constants that gpiozero reads when it loads its lgpio pin factory (lgpio's values)
SET_PULL_NONE = SET_BIAS_DISABLE = 128
SET_PULL_DOWN = SET_BIAS_PULL_DOWN = 64
SET_PULL_UP = SET_BIAS_PULL_UP = 32
RISING_EDGE, FALLING_EDGE, BOTH_EDGES = 1, 2, 3


class error(Exception):  # lgpio's own name
    """lgpio's exception."""


def gpiochip_open(gpiochip: int) -> int:
    """Open a GPIO chip: there is none here."""
    raise error("can not open gpiochip")
