"""Errors a user can fix, reported as one clear line (the command line exits with code 2)."""


class MidstanceError(Exception):
    """Base of every error that is the input's or the setup's fault, not a bug.

    The message is one line, names the file (and line) at fault and says what is wrong.
    """


class InputError(MidstanceError):
    """A trace, report, video or request that cannot be used as it is."""


class ConfigError(MidstanceError):
    """A configuration value that is missing or wrong (the message names the key)."""
