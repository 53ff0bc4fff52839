"""The one kind of failure ``lucid-bert`` reports as the user's mistake, and the program's name."""

from __future__ import annotations

PROG = "lucid-bert"

__all__ = ["PROG", "CLIError"]


class CLIError(Exception):
    """A user error (bad argument, missing or malformed file): reported as one line, exit status 2.

    Example:
        >>> str(CLIError("no texts given"))
        'no texts given'
    """
