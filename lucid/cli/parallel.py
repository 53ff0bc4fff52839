"""``lucid-bert finetune`` under ``mpiexec -n N`` (or ``srun``): one training job over N ranks.

Every rank reads the same files and collates the same batches: rank 0 draws each epoch's
shuffled order and sends it to the others. Each rank trains on its contiguous rows of every
collated batch, so ``--batch-size`` stays the number of examples per optimizer step, and the
result equals a one-process run with the same arguments (to float rounding, when the model
has no dropout: each rank draws its own dropout masks). Rank 0's random stream is the one a
one-process run has, so its orders are that run's. A rank's loss is weighted by its share of
the batch, so uneven shares (a short last batch) still average to the batch's mean; a rank
with no example in a batch still joins the gradient all-reduce, with a weight of zero. The
losses each step reports are the whole batch's. Rank 0 alone evaluates, logs and saves.

A user's mistake ends every rank: the message is printed once (by rank 0 when every rank
hits it) and the job ends with ``MPI_Abort`` and exit status 2, since a rank that simply
returned would leave the others waiting forever in their next collective.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

import numpy as np

import lucid
import lucid.distributed as dist
from lucid.data import Sampler
from lucid.nn.parallel import DistributedDataParallel

__all__ = ["Job", "fail", "start_job"]

# How long a rank other than 0 waits before reporting an error: when every rank hits the
# same mistake, rank 0's abort ends it first and the user reads the message once.
_LATE_REPORT_S = 1.0


class Job:
    """This process's place in a job of several ranks, and its share of each batch.

    Example:
        >>> import lucid
        >>> job = Job(rank=1, size=2)
        >>> rows, weight = job({"input_ids": lucid.arange(5)})  # rank 1 of 2 takes the last two
        >>> rows["input_ids"].tolist(), weight  # weight 2 * 2 / 5
        ([3, 4], 0.8)
        >>> rows, weight = job({"input_ids": lucid.arange(1)})  # nothing left: the first row, weight 0
        >>> rows["input_ids"].tolist(), weight
        ([0], 0.0)
    """

    def __init__(self, rank: int, size: int):
        self.rank, self.size = rank, size

    @property
    def is_root(self) -> bool:
        return self.rank == 0

    def __call__(self, batch: dict):
        """This rank's rows of the collated ``batch`` and the weight of their mean loss: DDP
        averages over ranks, so ``weight = size * rows / batch``."""
        n = batch["input_ids"].shape[0]
        mine = np.array_split(np.arange(n), self.size)[self.rank]
        if len(mine) == 0:
            return {key: value[:1] for key, value in batch.items()}, 0.0
        lo, hi = int(mine[0]), int(mine[-1]) + 1
        return {key: value[lo:hi] for key, value in batch.items()}, self.size * len(mine) / n

    def combine(self, total: float, count: int) -> tuple[float, int]:
        """Every rank's ``(loss total, examples)`` summed."""
        sums = lucid.tensor([total, float(count)], dtype=lucid.Float64)
        dist.all_reduce(sums)
        total, count = sums.tolist()
        return total, int(count)

    def ordered(self, sampler) -> Sampler:
        """``sampler`` drawn by rank 0 alone and sent to every rank, so all collate the same batches."""
        return _RootOrder(sampler, self.is_root)

    def replicate(self, model, seed: int):
        """Wrap ``model`` in DistributedDataParallel (rank 0's weights everywhere) and give
        each other rank its own dropout stream; rank 0 keeps a one-process run's."""
        self.ddp = DistributedDataParallel(model)
        if not self.is_root:
            lucid.random.seed(seed + self.rank)

    def quiet(self):
        """Ranks other than 0 print nothing (no progress bars, no log lines)."""
        if self.is_root:
            return contextlib.nullcontext()
        return contextlib.redirect_stderr(open(os.devnull, "w"))


class _RootOrder(Sampler):
    """Rank 0's iteration of ``sampler`` on every rank (one broadcast per epoch)."""

    def __init__(self, sampler, is_root: bool):
        self.sampler, self.is_root = sampler, is_root

    def __iter__(self):
        order = lucid.tensor(list(self.sampler) if self.is_root else [0] * len(self.sampler), dtype=lucid.Int64)
        dist.broadcast(order, src=0)
        return iter(order.tolist())

    def __len__(self) -> int:
        return len(self.sampler)


_job = None


def start_job(device: str) -> Job | None:
    """Start the process group when a launcher started several ranks (NCCL for
    ``--device gpu``, else MPI); None for a plain single-process run.

    Example:
        >>> start_job("cpu") is None  # a plain `python`, no launcher
        True
    """
    global _job
    if dist.launched_world_size() <= 1:
        return None
    dist.init_process_group("nccl" if device == "gpu" else "mpi")
    _job = Job(dist.get_rank(), dist.get_world_size())
    return _job


def fail(message: str, status: int) -> int:
    """Print ``message`` for the user and return ``status``; in a job of several ranks, end
    them all with ``status``. Before a job starts (a bad argument, the same on every rank),
    only the launcher's rank 0 prints.

    Example:
        >>> import contextlib, io
        >>> err = io.StringIO()
        >>> with contextlib.redirect_stderr(err):
        ...     fail("lucid-bert: error: no texts given", 2)
        2
        >>> err.getvalue()
        'lucid-bert: error: no texts given\\n'
    """
    job = _job if dist.is_initialized() else None
    if job is None:
        if dist.launched_world_size() <= 1 or dist.launched_rank() == 0:
            print(message, file=sys.stderr, flush=True)
        return status
    if not job.is_root:
        time.sleep(_LATE_REPORT_S)
    print(message, file=sys.__stderr__, flush=True)
    dist.get_default_group().abort(status)
    return status  # not reached
