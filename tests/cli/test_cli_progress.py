"""The tqdm progress bar: its line (bar, count, elapsed<ETA, rate, statistics), one line off a
terminal, redraws in place on one."""

from __future__ import annotations

import io

from lucid.cli import Progress


def test_progress_bar_rate_and_eta():
    out = io.StringIO()
    bar = Progress(10, "train", file=out, unit="batch")
    bar.n = 4
    # 4 steps in 2 s -> 2.00 batch/s, 6 left -> 3 s (tqdm's own formatter, at a fixed elapsed time)
    line = bar.format_meter(**{**bar.format_dict, "elapsed": 2.0})
    assert "4/10" in line and "2.00batch/s" in line and "[00:02<00:03," in line
    assert "|#########...............|" in line  # 24 wide, 40% filled (tqdm floors partial cells)
    assert out.getvalue() == ""  # off a terminal nothing is drawn before close
    bar.close()
    assert out.getvalue().endswith("\n") and "\r" not in out.getvalue()
    assert out.getvalue().count("\n") == 1 and "train |" in out.getvalue()


def test_progress_bar_redraws_in_place_on_a_terminal():
    class TTY(io.StringIO):
        def isatty(self):
            return True

    out = TTY()
    with Progress(3, "x", file=out, mininterval=0.0) as bar:
        for _ in range(3):
            bar.step(loss=1.25)
    text = out.getvalue()
    assert text.count("\r") >= 3 and text.endswith("\n") and "loss=1.2500" in text and "3/3" in text
