"""Samplers: the order in which a :class:`~lucid.data.DataLoader` visits a dataset's indices.

Any object with ``__iter__`` (yielding indices) and ``__len__`` serves as a sampler; the two
here are PyTorch's defaults. :class:`RandomSampler` draws from :func:`lucid.random.generator`,
so :func:`lucid.random.seed` reproduces its orders, epoch after epoch.
"""

from __future__ import annotations

import numpy as np

from .. import random

__all__ = ["RandomSampler", "Sampler", "SequentialSampler"]


class Sampler:
    """The base of the samplers: ``iter(sampler)`` yields dataset indices, ``len(sampler)``
    says how many.

    Example:
        >>> from lucid.data import Sampler
        >>> class Evens(Sampler):
        ...     def __init__(self, n):
        ...         self.n = n
        ...     def __iter__(self):
        ...         return iter(range(0, self.n, 2))
        ...     def __len__(self):
        ...         return (self.n + 1) // 2
        >>> list(Evens(5)), len(Evens(5))
        ([0, 2, 4], 3)
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order.

    Example:
        >>> from lucid.data import SequentialSampler
        >>> list(SequentialSampler("abc"))
        [0, 1, 2]
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A new random order at every iteration: a permutation of the indices, or with
    ``replacement=True`` ``num_samples`` independent draws. Without replacement,
    ``num_samples`` larger than the dataset chains permutations (as PyTorch does).

    Raises:
        ValueError: ``num_samples`` that is not a positive int.

    Example:
        >>> import lucid
        >>> from lucid.data import RandomSampler
        >>> sampler = RandomSampler(range(5))
        >>> lucid.random.seed(0); first = list(sampler)
        >>> lucid.random.seed(0); first == list(sampler), sorted(first)
        (True, [0, 1, 2, 3, 4])
    """

    def __init__(self, data_source, replacement=False, num_samples=None):
        if num_samples is not None and (isinstance(num_samples, bool) or not isinstance(num_samples, int)
                                        or num_samples < 1):
            raise ValueError(f"num_samples must be a positive int, got {num_samples!r}")
        self.data_source = data_source
        self.replacement = bool(replacement)
        self._num_samples = num_samples

    @property
    def num_samples(self) -> int:
        """How many indices one iteration yields (default: the dataset's length)."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, gen = len(self.data_source), random.generator("cpu")
        if n == 0:
            return iter(())
        if self.replacement:
            return iter(gen.integers(0, n, size=self.num_samples).tolist())
        rounds = -(-self.num_samples // n)
        return iter(np.concatenate([gen.permutation(n) for _ in range(rounds)])[:self.num_samples].tolist())

    def __len__(self) -> int:
        return self.num_samples
