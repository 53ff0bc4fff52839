""":class:`DataLoader`: batches of a dataset's examples, in a sampler's order, through a
collate function (:func:`default_collate`, or a collator from :mod:`lucid.data.collators`)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import ops
from .._tensor import Tensor
from .samplers import RandomSampler, SequentialSampler

__all__ = ["DataLoader", "default_collate"]


def _same_shapes(shapes, what):
    if len(set(shapes)) > 1:
        raise ValueError(f"cannot stack {what} of different shapes {shapes[0]} and "
                         f"{next(s for s in shapes if s != shapes[0])} into one batch: pad them first "
                         "(e.g. collate_fn=DataCollatorWithPadding(tokenizer))")


def default_collate(batch):
    """Stack a list of examples into one batch, item by item: tensors and NumPy arrays into a
    tensor with a new first axis (on the tensors' device), Python and NumPy numbers into a
    1-D tensor (Python ints int64 and floats float32; NumPy scalars keep
    their dtype), dicts key by key, tuples and lists position by
    position (a tuple comes back); strings and anything else stay a list.

    Raises:
        ValueError: tensors (or sequences) of different shapes (lengths), which need padding.

    Example:
        >>> import lucid
        >>> from lucid.data import default_collate
        >>> out = default_collate([(lucid.tensor([1.0, 2.0]), 0), (lucid.tensor([3.0, 4.0]), 1)])
        >>> out[0].shape, out[1].tolist()
        ((2, 2), [0, 1])
        >>> default_collate([{"text": "a", "label": 1}, {"text": "b", "label": 0}])["text"]
        ['a', 'b']
    """
    first = batch[0]
    if isinstance(first, Tensor):
        _same_shapes([t.shape for t in batch], "tensors")
        return ops.stack(list(batch), axis=0)
    if isinstance(first, np.ndarray):
        _same_shapes([a.shape for a in batch], "arrays")
        return Tensor(np.stack(batch))
    if isinstance(first, np.generic):
        return Tensor(np.asarray(batch))
    if isinstance(first, (bool, int, float)):
        return Tensor(list(batch))  # lucid's rule: Python ints int64, floats float32
    if isinstance(first, Mapping):
        return {key: default_collate([example[key] for example in batch]) for key in first}
    if isinstance(first, (tuple, list)):
        _same_shapes([(len(example),) for example in batch], "sequences")
        return tuple(default_collate(list(items)) for items in zip(*batch))
    return list(batch)


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` examples, each made into one
    batch by ``collate_fn`` (default :func:`default_collate`).

    Args:
        dataset: anything with ``__getitem__`` and ``__len__`` (a :class:`~lucid.data.Dataset`,
            a list, ...).
        batch_size: examples per batch; the last batch may be smaller unless ``drop_last``.
        shuffle: a new random order every epoch (:class:`~lucid.data.RandomSampler`, drawn
            from :func:`lucid.random.generator`, so :func:`lucid.random.seed` reproduces it).
        sampler: any object with ``__iter__`` (indices) and ``__len__``, e.g. a distributed
            sampler (call its ``set_epoch`` yourself before each epoch); excludes ``shuffle``.
        collate_fn: turns a list of examples into a batch.
        drop_last: drop the last, incomplete batch.

    The parameters come in this order (PyTorch's, without the worker options); the original
    Lucid's fourth positional parameter was ``collate_fn``, so pass it by name. Batches are
    made in the calling process, on the examples' device.

    Raises:
        ValueError: a ``batch_size`` that is not a positive int, or ``shuffle`` with a ``sampler``.
        TypeError: a ``sampler`` without ``__iter__``/``__len__`` or a ``collate_fn`` that
            cannot be called.

    Example:
        >>> import lucid
        >>> from lucid.data import DataLoader, TensorDataset
        >>> ds = TensorDataset(lucid.arange(10).reshape(5, 2), lucid.tensor([0, 1, 0, 1, 1]))
        >>> [(x.shape, y.tolist()) for x, y in DataLoader(ds, batch_size=2)]
        [((2, 2), [0, 1]), ((2, 2), [0, 1]), ((1, 2), [1])]
        >>> len(DataLoader(ds, batch_size=2, drop_last=True))
        2
    """

    default_collate = staticmethod(default_collate)  # the original Lucid's spelling

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, collate_fn=None, drop_last=False):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if sampler is not None:
            if shuffle:
                raise ValueError("sampler and shuffle=True exclude each other: the sampler decides the order")
            if not (hasattr(sampler, "__iter__") and hasattr(sampler, "__len__")):
                raise TypeError(f"sampler must have __iter__ and __len__, got {type(sampler).__name__}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"collate_fn must be callable, got {type(collate_fn).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.drop_last = bool(drop_last)
        self.sampler = sampler if sampler is not None else (
            RandomSampler(dataset) if shuffle else SequentialSampler(dataset))
        self.collate_fn = collate_fn if collate_fn is not None else default_collate

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(self.dataset[idx])
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
