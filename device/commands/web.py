"""`midstance web` (not built yet)."""

HELP = "web (not built yet)"


def add_arguments(parser):
    """Register this command's options."""


def run(args) -> int:
    """Run the command; returns the exit code."""
    print("midstance web: not built yet")
    return 2
