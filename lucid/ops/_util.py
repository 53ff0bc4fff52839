"""Argument handling shared by the ops: scalars to tensors, dtype promotion, device checks."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor

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


def float_data(a: Tensor):
    """``a``'s array, with integer and bool data cast to float32 (as PyTorch's float ops do).

    Example:
        >>> import lucid
        >>> float_data(lucid.tensor([1, 2])).dtype
        dtype('float32')
    """
    x = a.data
    return x if x.dtype.kind == "f" else x.astype(_F32)


def check_same_device(*tensors):
    """Raise ``RuntimeError`` naming both devices when tensors live on different devices.

    Example:
        >>> import lucid
        >>> check_same_device(lucid.ones(1), lucid.zeros(1))
    """
    first = tensors[0].device
    for t in tensors[1:]:
        if t.device != first:
            raise RuntimeError(
                f"expected all tensors on the same device, found devices '{first}' and '{t.device}'; "
                "move one with .to(device)"
            )


def as_tensor(x, like: Tensor | None = None) -> Tensor:
    """``x`` itself if it is a Tensor, else a constant tensor (on ``like``'s device).

    Example:
        >>> import lucid
        >>> as_tensor([1.0, 2.0]).shape
        (2,)
    """
    if isinstance(x, Tensor):
        return x
    if like is not None and (np.isscalar(x) or isinstance(x, np.generic)):
        return scalar_like(x, like)
    return Tensor(x, device=like.device if like is not None else None)


def result_dtype(*dtypes):
    """The common dtype of an op's tensor inputs, as PyTorch promotes them: floats win over
    integers and bools (``int64 + float32 -> float32``), otherwise NumPy's promotion.

    Example:
        >>> result_dtype(np.dtype("int64"), np.dtype("float32"))
        dtype('float32')
    """
    dtypes = [np.dtype(d) for d in dtypes]
    floats = [d for d in dtypes if d.kind == "f"]
    if floats and len(floats) < len(dtypes):
        return np.result_type(*floats)
    return np.result_type(*dtypes)


def binary_operands(a, b):
    """Both operands as tensors on one device with one promoted dtype (Python scalars
    take the tensor's dtype where the kinds agree)."""
    if not isinstance(a, Tensor):
        a = as_tensor(a, b) if isinstance(b, Tensor) else as_tensor(a)
    if not isinstance(b, Tensor):
        b = as_tensor(b, a)
    check_same_device(a, b)
    if a.data.dtype != b.data.dtype:
        dt = result_dtype(a.data.dtype, b.data.dtype)
        from .shape import astype

        a, b = astype(a, dt), astype(b, dt)
    return a, b


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
