"""One module per ``midstance`` subcommand: each has ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int`` (the exit code). Heavy imports stay inside ``run`` so ``--help`` is fast."""

import os
from pathlib import Path

from core.errors import InputError


def refuse_input_as_output(out: str | os.PathLike, source: str | os.PathLike, option: str) -> None:
    """Raise InputError when the output path ``out`` is the input ``source`` (the same file,
    through any link): writing it would destroy the input before it is read."""
    same = Path(out).resolve() == Path(source).resolve()
    if not same:
        try:
            same = os.path.samefile(out, source)
        except OSError:  # one of them does not exist yet: not the same file
            same = False
    if same:
        raise InputError(f"{out}: is the input itself; give {option} another path")
