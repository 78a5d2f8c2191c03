"""The ``midstance`` command line: one entry point, one subcommand per job.

Errors the user can fix (a bad file, a wrong setting, a missing model) print one line and exit
with code 2; there is never a traceback for them.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys

from core.errors import MidstanceError

#: subcommand -> module in midstance.commands (ARCHITECTURE section 5; names are a contract)
COMMANDS = {
    "demo": "demo",
    "sense": "sense",
    "web": "web",
    "analyze": "analyze",
    "pose": "pose",
    "eval": "eval",
    "models": "models",
    "doctor": "doctor",
    "set-pin": "set_pin",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="midstance",
        description="Running-form appliance: judges every treadmill step from a side camera.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"midstance.commands.{module_name}")
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def _stop(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = build_parser().parse_args(argv)
    # `kill` stops an offline command as Ctrl-C does, so its half-written outputs are cleaned
    # up; `sense` and `demo` install their own handler that ends the session
    signal.signal(signal.SIGTERM, _stop)
    try:
        return int(args.run(args) or 0)
    except MidstanceError as exc:
        print(f"midstance {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
