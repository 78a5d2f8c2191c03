"""One module per ``midstance`` subcommand: each has ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int`` (the exit code). Heavy imports stay inside ``run`` so ``--help`` is fast."""

import contextlib
import os
import tempfile
from collections.abc import Iterator
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


@contextlib.contextmanager
def atomic_output(out: str | os.PathLike, what: str) -> Iterator[Path]:
    """Yield a temporary path beside ``out`` to write; on success it replaces ``out`` in one
    rename, on any error it is removed. A reader (or a later run) therefore sees the old file or
    the whole new one, never half of it, and a failed or interrupted run leaves ``out`` as it was.
    ``what`` names the output in the one-line error raised when it cannot be written."""
    out = Path(out)
    try:
        # same folder: os.replace is atomic only within one file system
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent or ".")
    except OSError as exc:
        raise InputError(f"{out}: cannot write the {what} ({exc.strerror or exc})") from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, out)
    except OSError as exc:
        raise InputError(f"{out}: cannot write the {what} ({exc.strerror or exc})") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
