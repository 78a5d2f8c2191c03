"""`midstance models` (not built yet: `fetch` is a no-op until the pose issue lands)."""

HELP = "fetch or verify the pose model files"


def add_arguments(parser):
    """Register this command's options."""
    parser.add_argument("action", choices=["fetch", "verify"])
    parser.add_argument("--dir", default=None)


def run(args) -> int:
    """Run the command; returns the exit code."""
    print("midstance models: nothing to provision yet")
    return 0
