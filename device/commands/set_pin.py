"""`midstance set-pin` (not built yet)."""

HELP = "set-pin (not built yet)"


def add_arguments(parser):
    """Register this command's options."""


def run(args) -> int:
    """Run the command; returns the exit code."""
    print("midstance set-pin: not built yet")
    return 2
