"""`midstance models fetch|verify [--dir DIR]`: provision or check the pose model files.

``fetch`` is the only step that downloads anything (MediaPipe's model host, else the PyPI
wheel, else the npm package); files are pinned by SHA-256 in ``device/models.toml`` and a
second run finds them verified and does nothing. ``verify`` only reads.
"""

from __future__ import annotations

import sys

from device.pose import models

HELP = "fetch or verify the pose model files (pinned SHA-256)"


def add_arguments(parser) -> None:
    """Register this command's options."""
    parser.add_argument("action", choices=["fetch", "verify"])
    parser.add_argument(
        "--dir", default=None,
        help="models directory (default: $MIDSTANCE_MODELS_DIR or ~/.cache/midstance/models)",
    )  # fmt: skip


def run(args) -> int:
    """Run the command; returns the exit code (2 when a file is missing or wrong)."""
    directory = models.models_dir(args.dir)
    if args.action == "fetch":
        models.fetch(directory)
    problems = models.verify(directory)
    for problem in problems:
        print(f"midstance models: error: {problem}", file=sys.stderr)
    if problems:
        return 2
    print(f"midstance models: {len(models.manifest())} files verified in {directory}")
    return 0
