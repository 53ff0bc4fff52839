"""Process groups: the ranks of a job started by an MPI launcher, and the default group.

A group holds one MPI communicator (a duplicate of ``COMM_WORLD``, so lucid's messages never
mix with the application's own) for CPU tensors and, with the ``"nccl"`` backend, one NCCL
communicator for GPU tensors. Rank and size come from MPI, that is from the launcher
(``mpiexec``, ``mpirun``, ``srun``); there is no rendezvous address to configure.
"""

from __future__ import annotations

import sys
import time

from . import _mpi

__all__ = ["ProcessGroup", "destroy_process_group", "get_default_group", "get_rank", "get_world_size",
           "init_process_group", "is_available", "is_initialized", "launched_rank", "launched_world_size"]

BACKENDS = ("mpi", "nccl")
_default = None
_previous_excepthook = None


class ProcessGroup:
    """The ranks that communicate together: an MPI communicator (``comm``, an mpi4py
    communicator of its own, which the application may use too) and, for ``backend="nccl"``,
    an NCCL communicator over the same ranks. Made by :func:`init_process_group`.

    Example:
        >>> import lucid.distributed as dist
        >>> dist.init_process_group("mpi")
        >>> group = dist.get_default_group()
        >>> group.backend, group.rank(), group.size()
        ('mpi', 0, 1)
        >>> dist.destroy_process_group()
    """

    def __init__(self, backend, comm, MPI):
        self.backend = backend
        self.MPI = MPI
        self.comm = comm
        self._rank, self._size = comm.Get_rank(), comm.Get_size()
        self.nccl = None
        if backend == "nccl":
            from ._nccl import NcclComm

            self.nccl = NcclComm(comm, MPI)

    def rank(self) -> int:
        """This process's rank in the group (0 to ``size() - 1``)."""
        return self._rank

    def size(self) -> int:
        """The number of processes in the group."""
        return self._size

    def abort(self, errorcode: int = 1) -> None:
        """End every process of the job now, with exit status ``errorcode`` (``MPI_Abort``):
        what a rank that cannot go on must do, since the others would wait for it forever."""
        sys.stdout.flush()
        sys.stderr.flush()
        self.MPI.COMM_WORLD.Abort(errorcode)

    def __repr__(self):
        return f"ProcessGroup(backend={self.backend!r}, rank={self._rank}, size={self._size})"


def is_available() -> bool:
    """Whether ``lucid.distributed`` can run here: mpi4py is installed (``lucid[distributed]``).

    Example:
        >>> import lucid.distributed as dist
        >>> isinstance(dist.is_available(), bool)
        True
    """
    return _mpi.available()


def launched_world_size() -> int:
    """The number of processes the launcher (``mpiexec``, ``mpirun``, ``srun``) started this
    job with, read from its environment without starting MPI; 1 for a plain ``python``.

    Lets a program decide whether to call :func:`init_process_group`.

    Example:
        >>> import lucid.distributed as dist
        >>> dist.launched_world_size() >= 1
        True
    """
    return _mpi.launcher_size()


def launched_rank() -> int:
    """This process's rank as the launcher announced it in the environment, read without
    starting MPI; 0 for a plain ``python``. After :func:`init_process_group`, prefer
    :func:`get_rank`.

    Example:
        >>> import lucid.distributed as dist
        >>> dist.launched_rank() >= 0
        True
    """
    return _mpi.launcher_rank()


def is_initialized() -> bool:
    """Whether :func:`init_process_group` has made the default group (and it was not destroyed).

    Example:
        >>> import lucid.distributed as dist
        >>> dist.is_initialized()
        False
    """
    return _default is not None


def _abort_on_uncaught(exc_type, exc, tb):
    """``sys.excepthook`` of a multi-process job: print the traceback, then end every rank
    with ``MPI_Abort`` (the others would otherwise wait forever in their next collective)."""
    (_previous_excepthook or sys.__excepthook__)(exc_type, exc, tb)
    group = _default
    if group is not None:
        sys.stderr.write(f"lucid.distributed: rank {group.rank()} of {group.size()} raised "
                         f"{exc_type.__name__}; aborting all ranks\n")
        sys.stderr.flush()
        time.sleep(0.5)  # the launcher forwards this rank's output asynchronously; an abort drops what is pending
        group.abort(1)


def init_process_group(backend: str = "mpi", init_method=None, *, world_size: int = -1, rank: int = -1) -> None:
    """Make the default process group of the processes an MPI launcher started.

    ``backend="mpi"`` communicates CPU tensors through MPI; ``"nccl"`` adds an NCCL
    communicator for GPU tensors (CPU tensors still go through MPI) and makes each process
    use GPU ``node-local rank % GPUs on the node``. Rank and size are MPI's; ``world_size``
    and ``rank``, when given, must agree with them. In a job of several processes an
    uncaught exception on any rank then ends the whole job (``MPI_Abort``) instead of
    leaving the other ranks waiting.

    Run as ``mpiexec -n 4 python train.py`` (or ``srun``). A plain ``python train.py`` is a
    job of one process.

    Example:
        >>> import lucid.distributed as dist
        >>> dist.init_process_group("mpi")
        >>> dist.get_rank(), dist.get_world_size()
        (0, 1)
        >>> dist.destroy_process_group()
    """
    global _default, _previous_excepthook
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: expected 'mpi' or 'nccl'")
    if init_method is not None:
        raise ValueError(f"init_method={init_method!r}: lucid takes rank and size from the MPI launcher "
                         "(mpiexec, srun), so init_method must be None")
    if _default is not None:
        raise RuntimeError("init_process_group() was already called; call destroy_process_group() first")
    MPI = _mpi.load()
    world = MPI.COMM_WORLD
    announced = _mpi.launcher_size()
    if world.Get_size() == 1 and announced > 1:
        raise RuntimeError(
            f"the launcher started {announced} processes but MPI sees a world of 1: the mpiexec that started "
            "this job belongs to a different MPI library than mpi4py's (use the mpiexec installed with it)")
    for name, given, actual in (("world_size", world_size, world.Get_size()), ("rank", rank, world.Get_rank())):
        if given != -1 and given != actual:
            raise ValueError(f"{name}={given} disagrees with the MPI launcher's {name} {actual}")
    comm = world.Dup()
    try:
        group = ProcessGroup(backend, comm, MPI)
    except BaseException:
        comm.Free()
        raise
    _default = group
    if group.size() > 1 and sys.excepthook is not _abort_on_uncaught:
        _previous_excepthook, sys.excepthook = sys.excepthook, _abort_on_uncaught


def destroy_process_group() -> None:
    """Free the default group's communicators and restore ``sys.excepthook``; a new
    :func:`init_process_group` may follow. Does nothing when no group exists.

    Example:
        >>> import lucid.distributed as dist
        >>> dist.init_process_group("mpi"); dist.destroy_process_group()
        >>> dist.is_initialized()
        False
    """
    global _default, _previous_excepthook
    group, _default = _default, None
    if group is None:
        return
    if sys.excepthook is _abort_on_uncaught:
        sys.excepthook = _previous_excepthook or sys.__excepthook__
        _previous_excepthook = None
    if group.nccl is not None:
        group.nccl.destroy()
    group.comm.Free()


def get_default_group() -> ProcessGroup:
    """The group :func:`init_process_group` made; RuntimeError before it.

    Example:
        >>> import lucid.distributed as dist
        >>> dist.get_default_group()
        Traceback (most recent call last):
        ...
        RuntimeError: the default process group is not initialized: call lucid.distributed.init_process_group() first
    """
    if _default is None:
        raise RuntimeError("the default process group is not initialized: call "
                           "lucid.distributed.init_process_group() first")
    return _default


def resolve(group) -> ProcessGroup:
    """``group``, or the default group for None."""
    if group is None:
        return get_default_group()
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup or None, got {type(group).__name__}")
    return group


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (default: the default group).

    Example:
        >>> import lucid.distributed as dist
        >>> dist.init_process_group("mpi")
        >>> dist.get_rank()
        0
        >>> dist.destroy_process_group()
    """
    return resolve(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of processes in ``group`` (default: the default group).

    Example:
        >>> import lucid.distributed as dist
        >>> dist.init_process_group("mpi")
        >>> dist.get_world_size()
        1
        >>> dist.destroy_process_group()
    """
    return resolve(group).size()
