"""``main``: parse the command line, run the subcommand, turn a user's mistake into one line.

A :class:`~lucid.cli.errors.CLIError`, or the ``OSError``/``ValueError``/``RuntimeError``/
``KeyError`` the library raises for a missing or malformed checkpoint, tokenizer or data
file, prints ``lucid-bert: error: ...`` and returns 2. Anything else is a bug in lucid: one
``lucid-bert: internal error: ...`` line, status 1. ``--debug`` (or ``LUCID_DEBUG=1``) shows
the traceback instead. A closed output pipe (``lucid-bert classify ... | head``) ends the
run quietly with status 141, as for a program stopped by ``SIGPIPE``.
"""

from __future__ import annotations

import os
import sys

from . import classify, demo, embed, fill_mask, finetune, ner, qa
from .errors import PROG, CLIError
from .parallel import fail
from .parser import SUBCOMMANDS, build_parser

__all__ = ["COMMANDS", "main"]

COMMANDS = {"demo": demo.run_single_threaded, "fill-mask": fill_mask.run, "classify": classify.run,
            "finetune": finetune.run, "embed": embed.run, "qa": qa.run, "ner": ner.run}

#: The exit status of a run whose reader closed the pipe (128 + SIGPIPE, what a shell reports).
BROKEN_PIPE_STATUS = 141


def _first_line(err) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _command_line(argv: list[str]) -> list[str]:
    """``argv`` with the default subcommand made explicit: no subcommand (only options, or
    nothing at all) means the demo; ``--debug`` may also come before the subcommand."""
    if argv[:1] == ["--debug"] and argv[1:2] and argv[1] in SUBCOMMANDS:
        return [argv[1], "--debug", *argv[2:]]
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        return ["demo", *argv]
    return argv


def _silence_stdout() -> None:
    """Point standard output at the null device, so that the final flush at exit cannot fail again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # no real file descriptor (e.g. a captured stream)
        pass


def main(argv=None) -> int:
    """Entry point of ``lucid-bert``; returns the exit status (0 ok, 1 internal error, 2 user
    error, 130 interrupted, 141 output pipe closed).

    Example:
        >>> import contextlib, io
        >>> err = io.StringIO()
        >>> with contextlib.redirect_stderr(err):
        ...     status = main(["classify", "--top-k", "3"])
        >>> status, err.getvalue().startswith("lucid-bert: error:")
        (2, True)
    """
    argv = _command_line(list(sys.argv[1:] if argv is None else argv))
    debug = "--debug" in argv or bool(os.environ.get("LUCID_DEBUG"))
    try:
        args = build_parser().parse_args(argv)
        status = COMMANDS[args.command](args)
        sys.stdout.flush()  # inside the try: a reader that went away is noticed here
        return status
    except BrokenPipeError:
        _silence_stdout()
        return BROKEN_PIPE_STATUS
    # fail() prints the line; under mpiexec it also ends every rank (lucid.cli.parallel)
    except KeyboardInterrupt:
        return fail(f"{PROG}: interrupted", 130)
    except (CLIError, OSError, ValueError, RuntimeError, KeyError) as err:
        # A bad argument, or a malformed checkpoint, tokenizer or data file from the library.
        if debug:
            raise
        return fail(f"{PROG}: error: {_first_line(err)}", 2)
    except Exception as err:
        if debug:
            raise
        return fail(f"{PROG}: internal error: {type(err).__name__}: {_first_line(err)} (run again with --debug "
                    "for the traceback)", 1)
