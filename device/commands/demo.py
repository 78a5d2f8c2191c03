"""`midstance demo` (not built yet)."""

HELP = "demo (not built yet)"


def add_arguments(parser):
    """Register this command's options."""


def run(args) -> int:
    """Run the command; returns the exit code."""
    print("midstance demo: not built yet")
    return 2
