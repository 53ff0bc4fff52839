"""Shared by the ``lucid-bert`` tests: one demo run whose folders the other tests use, a way
to call ``main`` in-process, and the check that an error is one line with exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lucid import cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    """One full default demo run (in a subprocess, as a user runs it), shared by the CLI tests."""
    out = tmp_path_factory.mktemp("demo")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "lucid.cli", "demo", "--output-dir", str(out), "--seed", "0"],
                          capture_output=True, text=True, timeout=300, env=env, cwd=str(out))
    return out, proc


@pytest.fixture
def run(capsys):
    """``run(argv)`` calls ``main(argv)`` and returns (status, stdout, stderr)."""

    def call(argv):
        status = cli.main(argv)
        out, err = capsys.readouterr()
        return status, out, err

    return call


def _assert_one_line_error(status, err, *words):
    assert status == 2
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("lucid-bert: note:")]
    assert len(lines) == 1, err
    assert lines[0].startswith("lucid-bert: error: ")
    assert "Traceback" not in err
    for w in words:
        assert w in lines[0], (w, lines[0])


@pytest.fixture
def one_line_error():
    """``one_line_error(status, err, *words)``: exit status 2, one ``lucid-bert: error:`` line
    (notes aside) holding every word, no traceback."""
    return _assert_one_line_error
