"""What only the ops share: float data for float ops, binary operands.

Argument handling shared across packages lives in :mod:`lucid._args`, device checks in
:mod:`lucid._backend`.
"""

from __future__ import annotations

import numpy as np

from .._args import as_tensor
from .._backend import check_same_device
from .._dtype import promote
from .._tensor import Tensor
from .shape import astype

_F32 = np.dtype("float32")


def float_data(a: Tensor):
    """``a``'s array, with integer and bool data cast to float32 (as PyTorch's float ops do).

    Example:
        >>> import lucid
        >>> float_data(lucid.tensor([1, 2])).dtype
        dtype('float32')
    """
    x = a.data
    return x if x.dtype.kind == "f" else x.astype(_F32)


def binary_operands(a, b):
    """Both operands as tensors on one device with one promoted dtype (Python scalars
    take the tensor's dtype where the kinds agree; 0-d tensors are weak beside n-d ones,
    see :func:`lucid._dtype.promote`)."""
    if not isinstance(a, Tensor):
        a = as_tensor(a, b) if isinstance(b, Tensor) else as_tensor(a)
    if not isinstance(b, Tensor):
        b = as_tensor(b, a)
    check_same_device(a, b)
    if a.data.dtype != b.data.dtype:
        dt = promote(a.data, b.data)
        a, b = astype(a, dt), astype(b, dt)
    return a, b
