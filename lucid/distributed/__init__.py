"""Data-parallel training across processes and machines: process groups and collectives over
MPI (through mpi4py) for CPU tensors and NCCL (through CuPy) for GPU tensors.

The names are ``torch.distributed``'s. A job is started by an MPI launcher, which gives each
process its rank and the job's size; there is no address or port to set::

    mpiexec -n 4 python train.py           # one machine, or several with -hosts / -f hostfile
    srun -n 64 python train.py             # a Slurm cluster

Inside ``train.py``: ``init_process_group("mpi")`` (CPU) or ``init_process_group("nccl")``
(GPU), then :class:`lucid.nn.parallel.DistributedDataParallel` around the model and a
:class:`lucid.data.DistributedSampler` over the data. mpi4py and CuPy are imported only when a
group is started: ``pip install "lucid[distributed]"`` brings mpi4py and an MPI library.

Example:
    >>> import lucid, lucid.distributed as dist
    >>> dist.init_process_group("mpi")  # a plain `python`: a world of one process
    >>> t = lucid.tensor([1.0, 2.0])
    >>> dist.all_reduce(t, op="sum")
    >>> t.tolist(), dist.get_rank(), dist.get_world_size()
    ([1.0, 2.0], 0, 1)
    >>> dist.destroy_process_group()
"""

from .collectives import ReduceOp, Work, all_gather, all_reduce, barrier, broadcast
from .group import (
    ProcessGroup, destroy_process_group, get_default_group, get_rank, get_world_size, init_process_group,
    is_available, is_initialized, launched_rank, launched_world_size,
)
from ..data import distributed as _sampler

__all__ = [
    "ProcessGroup", "ReduceOp", "Work", "all_gather", "all_reduce", "barrier", "broadcast", "destroy_process_group",
    "get_default_group", "get_rank", "get_world_size", "init_process_group", "is_available", "is_initialized",
    "launched_rank", "launched_world_size",
]

# lucid.data sits below this package, so its DistributedSampler cannot ask for the default
# group itself: it is told here where rank and world size come from.
_sampler.set_replica_source(lambda: (get_world_size(), get_rank()))
