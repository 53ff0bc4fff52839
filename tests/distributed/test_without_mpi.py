"""Without mpi4py: importing lucid.distributed works, starting a group says what to install."""

from __future__ import annotations

import sys

import pytest


def test_init_without_mpi4py_says_what_to_install(monkeypatch):
    import lucid.distributed as dist

    monkeypatch.setitem(sys.modules, "mpi4py", None)  # makes `from mpi4py import MPI` fail
    with pytest.raises(RuntimeError, match=r"needs mpi4py, which is not installed here: .*lucid\[distributed\]"):
        dist.init_process_group("mpi")
    assert not dist.is_initialized()


def test_before_a_job_starts_only_the_launchers_rank_0_reports(monkeypatch, capsys):
    """A bad argument is the same on every rank: one line for the user, exit status 2 on all."""
    from lucid.cli.parallel import fail

    monkeypatch.setenv("PMI_SIZE", "2")
    monkeypatch.setenv("PMI_RANK", "1")
    assert fail("lucid-bert: error: bad", 2) == 2
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("PMI_RANK", "0")
    assert fail("lucid-bert: error: bad", 2) == 2
    assert capsys.readouterr().err == "lucid-bert: error: bad\n"
