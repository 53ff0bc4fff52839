"""``main``: parse the command line, run the subcommand, turn a user's mistake into one line.

A :class:`~lucid.cli.errors.CLIError`, or the ``OSError``/``ValueError``/``RuntimeError``/
``KeyError`` the library raises for a missing or malformed checkpoint, tokenizer or data
file, prints ``lucid-bert: error: ...`` and returns 2 (``LUCID_DEBUG=1`` re-raises it).
"""

from __future__ import annotations

import os
import sys

from . import classify, demo, fill_mask, finetune, ner, qa
from .errors import PROG, CLIError
from .parser import build_parser

__all__ = ["COMMANDS", "main"]

COMMANDS = {"demo": demo.run_single_threaded, "fill-mask": fill_mask.run, "classify": classify.run,
            "finetune": finetune.run, "qa": qa.run, "ner": ner.run}


def _first_line(err) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def main(argv=None) -> int:
    """Entry point of ``lucid-bert``; returns the exit status (0 ok, 2 user error, 130 interrupted).

    Example:
        >>> import contextlib, io
        >>> err = io.StringIO()
        >>> with contextlib.redirect_stderr(err):
        ...     status = main(["classify", "--top-k", "3"])
        >>> status, err.getvalue().startswith("lucid-bert: error:")
        (2, True)
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    # No subcommand (only options, or nothing at all) means the demo.
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["demo"] + argv
    debug = bool(os.environ.get("LUCID_DEBUG"))
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except CLIError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        if debug:
            raise
        return 2
    except (OSError, ValueError, RuntimeError, KeyError) as err:
        # A malformed checkpoint, tokenizer or data file surfaces from the library as one of these.
        if debug:
            raise
        print(f"{PROG}: error: {_first_line(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
