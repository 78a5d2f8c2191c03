"""`midstance set-pin`: set the staff PIN (read from standard input, stored hashed).

Every staff session ends with it: a cookie saved under the old PIN no longer works.
"""

from __future__ import annotations

import getpass
import sys

from common.store import Store, StoreError, check_pin_format
from core.errors import InputError, MidstanceError

HELP = (
    "set the staff PIN (4-12 digits, read from standard input; stored hashed);"
    " logs every staff session out"
)


def add_arguments(parser):
    """Register this command's options."""
    parser.add_argument("--state-dir", required=True, help="where the session store lives")


def read_pin(stdin=None) -> str:
    """The PIN from a terminal (typed twice, no echo) or the first line of piped input."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        pin = getpass.getpass("Staff PIN (4-12 digits): ")
        if getpass.getpass("Again: ") != pin:
            raise InputError("the two PINs differ; nothing changed")
        return pin
    return stdin.readline().strip()


def run(args) -> int:
    """Store the PIN; returns the exit code."""
    pin = read_pin()
    try:
        check_pin_format(pin)
    except ValueError as exc:
        raise InputError(f"{exc}; nothing changed") from None
    try:
        store = Store.in_dir(args.state_dir)
        ended = store.set_pin(pin)
        store.close()
    except StoreError as exc:
        raise MidstanceError(str(exc)) from None
    print(f"midstance set-pin: staff PIN saved in {store.path}; {ended} staff session(s) ended")
    return 0
