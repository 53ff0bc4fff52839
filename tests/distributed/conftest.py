"""Shared by the distributed tests: a world of one process in the test process itself.

The modules that need MPI skip where mpi4py (``pip install "lucid[distributed]"``) is missing;
the sampler's tests need neither MPI nor mpi4py.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def dist_world():
    """``lucid.distributed`` with its default group started in this process: a world of one."""
    pytest.importorskip("mpi4py", reason="lucid[distributed] (mpi4py) is not installed")
    import lucid.distributed as dist

    dist.init_process_group("mpi")
    yield dist
    dist.destroy_process_group()
