"""Map-style datasets, as in the original Lucid and PyTorch: an item per index and a length.

:class:`Dataset` is the base (``a + b`` concatenates, iteration walks the items in order);
:class:`TensorDataset` pairs up tensors along their first axis; :class:`Subset` and
:class:`ConcatDataset` select and join; :func:`random_split` shuffles into parts.
"""

from __future__ import annotations

import bisect
import math
import operator
from abc import ABC, abstractmethod

import numpy as np

from .. import random
from .._tensor import Tensor

__all__ = ["ConcatDataset", "Dataset", "Subset", "TensorDataset", "random_split"]


def _index(idx, n: int, owner: str) -> int:
    """``idx`` as an index into ``range(n)`` (negative counts from the end), else IndexError."""
    try:
        i = operator.index(idx)
    except TypeError:
        raise TypeError(f"{owner} indices must be integers, got {type(idx).__name__}") from None
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of range for {owner} of length {n}")
    return i + n if i < 0 else i


class Dataset(ABC):
    """The base of a map-style dataset: ``dataset[i]`` is the ``i``-th example and ``len(dataset)``
    the number of examples. A subclass defines both.

    Example:
        >>> from lucid.data import Dataset
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return i * i
        >>> list(Squares()), len(Squares() + Squares())
        ([0, 1, 4, 9], 8)
    """

    @abstractmethod
    def __getitem__(self, idx):
        raise NotImplementedError

    @abstractmethod
    def __len__(self) -> int:
        raise NotImplementedError

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n={len(self)})"


class TensorDataset(Dataset):
    """Examples made of the rows of one or more tensors of the same length: item ``i`` is the
    tuple of each tensor's row ``i``. Arrays and lists become tensors (copied).

    Raises:
        ValueError: no tensor, a 0-d tensor, or tensors of different lengths (the message names
            the position and both lengths).

    Example:
        >>> import lucid
        >>> from lucid.data import TensorDataset
        >>> ds = TensorDataset(lucid.arange(6).reshape(3, 2), lucid.tensor([0, 1, 0]))
        >>> len(ds), [t.tolist() for t in ds[1]]
        (3, [[2, 3], 1])
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        n = None
        for k, t in enumerate(self.tensors):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {k} is 0-d; every tensor needs a first axis to index")
            if n is None:
                n = t.shape[0]
            elif t.shape[0] != n:
                raise ValueError(f"TensorDataset: tensor {k} has {t.shape[0]} rows, tensor 0 has {n}")

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, idx):
        return tuple(t[idx] for t in self.tensors)

    def to(self, device: str) -> TensorDataset:
        """Move every tensor to ``device`` and return the dataset (the original Lucid's method).

        Example:
            >>> import lucid
            >>> from lucid.data import TensorDataset
            >>> TensorDataset(lucid.ones(2)).to("cpu").tensors[0].device
            'cpu'
        """
        self.tensors = tuple(t.to(device) for t in self.tensors)
        return self


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order.

    Example:
        >>> from lucid.data import Subset, TensorDataset
        >>> ds = Subset(TensorDataset([10, 11, 12, 13]), [3, 0])
        >>> [int(x) for (x,) in ds]
        [13, 10]
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = list(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, idx):
        return self.dataset[self.indices[_index(idx, len(self.indices), "Subset")]]


class ConcatDataset(Dataset):
    """The examples of several datasets, one after the other.

    Example:
        >>> from lucid.data import ConcatDataset, TensorDataset
        >>> ds = ConcatDataset([TensorDataset([1, 2]), TensorDataset([3])])
        >>> len(ds), int(ds[2][0]), int(ds[-3][0])
        (3, 3, 1)
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1] if self.cumulative_sizes else 0

    def __getitem__(self, idx):
        i = _index(idx, len(self), "ConcatDataset")
        part = bisect.bisect_right(self.cumulative_sizes, i)
        start = self.cumulative_sizes[part - 1] if part else 0
        return self.datasets[part][i - start]


def random_split(dataset, lengths, seed=None) -> tuple[Subset, ...]:
    """Shuffle ``dataset`` and cut it into :class:`Subset` parts of the given ``lengths``: ints
    summing to ``len(dataset)``, or fractions summing to 1 (floors, then one more example
    for the first parts until all are used, as PyTorch does).

    The order comes from :func:`lucid.random.generator` (so :func:`lucid.random.seed` fixes it),
    or from ``seed`` alone when one is given.

    Raises:
        ValueError: lengths that are negative, of mixed kinds, or that do not add up.

    Example:
        >>> from lucid.data import TensorDataset, random_split
        >>> train, test = random_split(TensorDataset(list(range(10))), [0.8, 0.2], seed=0)
        >>> len(train), len(test), sorted(int(x) for (x,) in [*train, *test]) == list(range(10))
        (8, 2, True)
    """
    n = len(dataset)
    lengths = list(lengths)
    if not lengths or any(isinstance(k, bool) or not isinstance(k, (int, float)) or k < 0 for k in lengths):
        raise ValueError(f"lengths must be non-negative ints or fractions, got {lengths!r}")
    if all(isinstance(k, int) for k in lengths):
        sizes = lengths
        if sum(sizes) != n:
            raise ValueError(f"lengths {lengths!r} add up to {sum(sizes)}, but the dataset has {n} examples")
    else:
        if not math.isclose(sum(lengths), 1.0, abs_tol=1e-6):
            raise ValueError(f"fractions {lengths!r} add up to {sum(lengths)}, not 1")
        sizes = [int(math.floor(n * f)) for f in lengths]
        for k in range(n - sum(sizes)):
            sizes[k % len(sizes)] += 1
    gen = random.generator("cpu") if seed is None else np.random.default_rng(seed)
    order = gen.permutation(n).tolist()
    ends = np.cumsum(sizes).tolist()
    return tuple(Subset(dataset, order[end - size:end]) for size, end in zip(sizes, ends))
