"""Argument handling shared across the packages: Python data to tensors, shapes and axes.

Each check names the offending value, so every layer that takes these arguments raises the
same error. Device checks live in :mod:`lucid._backend`.

Example:
    >>> normalize_axis(-1, 2), shape_args((3, 4))
    ((1,), (3, 4))
"""

from __future__ import annotations

import numpy as np

from ._backend import device_of, is_array
from ._tensor import Tensor

_F32 = np.dtype("float32")


def scalar_like(value, other: Tensor) -> Tensor:
    """A 0-d tensor for Python scalar ``value`` on ``other``'s device, taking ``other``'s
    dtype where the kinds agree (so ``float32 * 2`` stays float32, as in PyTorch).

    Example:
        >>> import lucid
        >>> scalar_like(2, lucid.ones(1)).dtype
        dtype('float32')
    """
    kind = other.data.dtype.kind
    if isinstance(value, (bool, np.bool_)):
        dt = other.data.dtype if kind != "b" else np.bool_
    elif isinstance(value, (int, np.integer)):
        dt = other.data.dtype if kind in "iuf" else np.int64
    elif isinstance(value, (float, np.floating)):
        dt = other.data.dtype if kind == "f" else _F32
    else:
        raise TypeError(f"unsupported operand of type {type(value).__name__} for a tensor op")
    return Tensor._wrap(other.xp.asarray(value, dtype=dt))


def as_tensor(x, like: Tensor | None = None) -> Tensor:
    """``x`` itself if it is a Tensor, else a constant operand tensor (on ``like``'s device);
    an array already there is used as it is, not copied (the operand is never handed out).

    Example:
        >>> import lucid
        >>> as_tensor([1.0, 2.0]).shape
        (2,)
    """
    if isinstance(x, Tensor):
        return x
    if like is not None and (np.isscalar(x) or isinstance(x, np.generic)):
        return scalar_like(x, like)
    device = like.device if like is not None else None
    if is_array(x) and x.dtype.kind in "fiub" and device in (None, device_of(x)):
        return Tensor._wrap(x)
    return Tensor(x, device=device)


def shape_args(shape):
    """A shape passed as separate ints or as one tuple/list, as a tuple of ints.

    Example:
        >>> shape_args(((2, 3),)), shape_args((2, 3))
        ((2, 3), (2, 3))
    """
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def normalize_axis(axis, ndim):
    """Axis or tuple of axes as a tuple of non-negative ints (``None`` means all).

    Example:
        >>> normalize_axis(-1, 3)
        (2,)
    """
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, Tensor):
        axis = axis.tolist()
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):  # a 0-d tensor accepts axis 0 or -1, as in PyTorch
            raise IndexError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        if ndim:
            out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis!r}")
    return tuple(out)


def broadcasts_to(shape, target) -> bool:
    """Whether an array of ``shape`` broadcasts to exactly ``target`` (an in-place operand must).

    Example:
        >>> broadcasts_to((3,), (2, 3)), broadcasts_to((2, 3), (3,))
        (True, False)
    """
    try:
        return np.broadcast_shapes(tuple(shape), tuple(target)) == tuple(target)
    except ValueError:
        return False
