"""``DistributedSampler``: each rank's share of a dataset's indices, reshuffled every epoch.

The same sampler (same ``seed`` and epoch) on every rank draws the same permutation, and
each rank keeps every ``num_replicas``-th index of it starting at its ``rank``, so the shares
are disjoint and together cover the dataset. As in PyTorch, the shares are made equal by
repeating the first indices (``drop_last=False``) or dropping the tail (``drop_last=True``).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["DistributedSampler", "set_replica_source"]

_replica_source = None


def set_replica_source(source) -> None:
    """Where samplers made without ``num_replicas``/``rank`` get them: ``source()`` returns
    ``(world size, rank)``. ``lucid.distributed`` sets it to its default process group.

    Example:
        >>> import lucid.distributed as dist  # sets the source
        >>> dist.init_process_group("mpi")
        >>> DistributedSampler(range(3), shuffle=False).num_replicas
        1
        >>> dist.destroy_process_group()
    """
    global _replica_source
    _replica_source = source


def _count(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


class DistributedSampler:
    """The indices of ``dataset`` that this rank should use, as PyTorch's sampler of that name.

    Args:
        dataset: anything with ``len()``.
        num_replicas: the number of ranks sharing the data (default: the world size of
            ``lucid.distributed``'s default group).
        rank: this rank (default: its rank in that group).
        shuffle: draw a new permutation every epoch (seeded by ``seed + epoch``; call
            :meth:`set_epoch` before each epoch), else keep the dataset's order.
        seed: the same on every rank.
        drop_last: drop the tail that does not divide evenly instead of repeating indices
            from the start to make every share ``ceil(len / num_replicas)`` long.

    The permutation is NumPy's (``default_rng(seed + epoch)``), not PyTorch's: the same
    seed gives other shares than ``torch.utils.data.DistributedSampler``.

    Example:
        >>> s = DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False)
        >>> list(s), len(s)
        ([1, 3, 0], 3)
        >>> a = DistributedSampler(range(6), num_replicas=2, rank=0, seed=1)
        >>> b = DistributedSampler(range(6), num_replicas=2, rank=1, seed=1)
        >>> sorted(list(a) + list(b))
        [0, 1, 2, 3, 4, 5]
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if not hasattr(dataset, "__len__"):
            raise TypeError(f"DistributedSampler needs a dataset with len(), got {type(dataset).__name__}")
        if num_replicas is None or rank is None:
            if _replica_source is None:
                raise RuntimeError("DistributedSampler without num_replicas and rank needs "
                                   "lucid.distributed.init_process_group() first")
            world, me = _replica_source()
            num_replicas = world if num_replicas is None else num_replicas
            rank = me if rank is None else rank
        self.num_replicas = _count("num_replicas", num_replicas, 1)
        if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 0 <= rank < num_replicas:
            raise ValueError(f"rank {rank!r} is not in [0, {num_replicas - 1}] (num_replicas={num_replicas})")
        self.rank = int(rank)
        self.dataset, self.shuffle, self.drop_last = dataset, bool(shuffle), bool(drop_last)
        self.seed = _count("seed", seed, 0)
        self.epoch = 0
        n = len(dataset)
        self.num_samples = n // self.num_replicas if drop_last else math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self):
        n = len(self.dataset)
        order = np.random.default_rng(self.seed + self.epoch).permutation(n) if self.shuffle else np.arange(n)
        if n and self.total_size > n:  # repeat from the start (several times for tiny datasets)
            order = np.resize(order, self.total_size)
        order = order[:self.total_size]
        return iter(order[self.rank::self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s permutation next (the same on every rank).

        Example:
            >>> s = DistributedSampler(range(8), num_replicas=2, rank=0, seed=3)
            >>> first = list(s); s.set_epoch(1)
            >>> list(s) != first, sorted(set(list(s))) == sorted(list(s))
            (True, True)
        """
        self.epoch = _count("epoch", epoch, 0)
