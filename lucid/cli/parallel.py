"""``lucid-bert finetune`` under ``mpiexec -n N`` (or ``srun``): one training job over N ranks.

Every rank reads the same files and draws the same shuffled batches (same ``--seed``); each
takes its contiguous share of every batch, so ``--batch-size`` stays the number of examples
per optimizer step, and the result equals a one-process run with the same arguments (to
float rounding, when the model has no dropout: each rank draws its own dropout masks).
A rank's loss is weighted by its share of the batch, so uneven shares (a short last batch)
still average to the batch's mean; a rank with no example in a batch still joins the
gradient all-reduce, with a weight of zero. Rank 0 alone evaluates, logs and saves.

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
from lucid.nn.parallel import DistributedDataParallel

__all__ = ["Job", "fail", "start_job"]

# How long a rank other than 0 waits before reporting an error: when every rank hits the
# same mistake, rank 0's abort ends it first and the user reads the message once.
_LATE_REPORT_S = 1.0


class Job:
    """This process's place in a job of several ranks, and its share of each batch.

    Example:
        >>> job = Job(rank=1, size=2)
        >>> job([10, 11, 12, 13, 14])  # rank 1 of 2 takes the last two, weight 2 * 2 / 5
        ([13, 14], 0.8)
        >>> Job(rank=1, size=2)([10])  # nothing left: the first example, with weight 0
        ([10], 0.0)
    """

    def __init__(self, rank: int, size: int):
        self.rank, self.size = rank, size

    @property
    def is_root(self) -> bool:
        return self.rank == 0

    def __call__(self, idx):
        """This rank's examples of batch ``idx`` and the weight of their mean loss: DDP
        averages over ranks, so ``weight = size * share / batch``."""
        mine = np.array_split(np.asarray(idx), self.size)[self.rank]
        if len(mine) == 0:
            return np.asarray(idx[:1]).tolist(), 0.0
        return mine.tolist(), self.size * len(mine) / len(idx)

    def mean(self, total: float, seen: int) -> float:
        """The mean loss per example over every rank's ``(total, seen)``."""
        sums = lucid.tensor([total, float(seen)], dtype=lucid.Float64)
        dist.all_reduce(sums)
        total, seen = sums.tolist()
        return total / max(seen, 1.0)

    def replicate(self, model, seed: int):
        """Wrap ``model`` in DistributedDataParallel (rank 0's weights everywhere) and give
        each rank its own dropout stream."""
        self.ddp = DistributedDataParallel(model)
        lucid.random.seed(seed + self.rank)

    def quiet(self):
        """Ranks other than 0 print nothing (no progress bars, no log lines)."""
        if self.is_root:
            return contextlib.nullcontext()
        return contextlib.redirect_stderr(open(os.devnull, "w"))


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
