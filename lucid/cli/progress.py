"""What ``lucid-bert`` reports on standard error: tqdm progress bars and log lines.

On a terminal a bar redraws in place; into a pipe or a log file it writes one final line
when it closes, so logs stay readable (no carriage-return redraws).
"""

from __future__ import annotations

import math
import os
import sys

from tqdm import tqdm

__all__ = ["Progress", "log", "show_progress"]

# The bar is 24 cells of '#' on '.'; the rate is always per second (tqdm would switch to
# seconds per step for slow loops), then the statistics given to ``step``.
BAR_FORMAT = "{desc} |{bar:24}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_noinv_fmt}{postfix}]"


def log(msg: str = "") -> None:
    """Print one line to standard error at once (progress notes, not results).

    Example:
        >>> import contextlib, io
        >>> err = io.StringIO()
        >>> with contextlib.redirect_stderr(err):
        ...     log("[1/5] data")
        >>> err.getvalue()
        '[1/5] data\\n'
    """
    print(msg, file=sys.stderr, flush=True)


def show_progress(args, n_texts) -> bool:
    """Whether a batched prediction command draws its bar: with ``--progress``, or on a
    terminal when the texts fill more than one ``--batch-size`` batch.

    Example:
        >>> import argparse
        >>> show_progress(argparse.Namespace(progress=True, batch_size=32), 3)
        True
    """
    return bool(args.progress) or (n_texts > args.batch_size and _is_terminal(sys.stderr))


def _is_terminal(stream) -> bool:
    """A terminal with a width: tqdm draws nothing on a zero-column pty (some containers give
    one), so that counts as a log."""
    isatty = getattr(stream, "isatty", None)
    if not (isatty and isatty()):
        return False
    try:
        return os.get_terminal_size(stream.fileno()).columns > 0
    except (AttributeError, OSError, ValueError):
        return True


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:.4g}"
    return str(value)


class Progress(tqdm):
    """A tqdm bar with rate and ETA on ``file`` (standard error by default).

    ``step(**stats)`` advances one step and shows the statistics (``loss=...``) after the rate.
    On anything but a terminal nothing is drawn until :meth:`close`, which writes the
    final state as one line.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> with Progress(4, "train", file=out) as bar:
        ...     for _ in range(4):
        ...         bar.step(loss=0.5)
        >>> line = out.getvalue()
        >>> "train |####" in line and "4/4" in line and "batch/s" in line and "loss=0.5000" in line
        True
    """

    monitor_interval = 0  # no monitor thread: every bar is drawn from the loop that owns it

    def __init__(self, total: int, desc: str = "", unit: str = "batch", file=None, mininterval: float = 0.1):
        file = sys.stderr if file is None else file
        self._live = _is_terminal(file)
        # An infinite delay keeps tqdm from drawing at all off a terminal; close() writes the line.
        super().__init__(total=max(int(total), 0), desc=desc, unit=unit, file=file, ascii=".#",
                         bar_format=BAR_FORMAT, mininterval=mininterval, delay=0 if self._live else math.inf)

    def step(self, **stats) -> None:
        """Advance one step, showing ``stats`` (floats with four decimals) after the rate."""
        self.set_postfix_str(" ".join(f"{k}={_fmt(v)}" for k, v in stats.items()), refresh=False)
        self.update(1)

    def close(self) -> None:
        """Draw the final state and end the line (off a terminal: write the one line)."""
        if not getattr(self, "disable", True) and not self._live:
            # untrimmed: a log line is not bound to a terminal's width
            self.fp.write(self.format_meter(**{**self.format_dict, "ncols": None}) + "\n")
            self.fp.flush()
        super().close()
