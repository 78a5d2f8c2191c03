"""`midstance pose` (not built yet)."""

HELP = "pose (not built yet)"


def add_arguments(parser):
    """Register this command's options."""


def run(args) -> int:
    """Run the command; returns the exit code."""
    print("midstance pose: not built yet")
    return 2
