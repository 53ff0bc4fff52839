"""Argument handling shared by the ops: scalars to tensors, dtype promotion, device checks."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor

_F32, _F64 = np.dtype("float32"), np.dtype("float64")


def scalar_like(value, other: Tensor) -> Tensor:
    """A 0-d tensor for Python scalar ``value`` on ``other``'s device, taking ``other``'s
    dtype where the kinds agree (so ``float32 * 2`` stays float32, as in PyTorch)."""
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


def check_same_device(*tensors):
    """Raise ``RuntimeError`` naming both devices when tensors live on different devices."""
    first = tensors[0].device
    for t in tensors[1:]:
        if t.device != first:
            raise RuntimeError(
                f"expected all tensors on the same device, found devices '{first}' and '{t.device}'; "
                "move one with .to(device)"
            )


def as_tensor(x, like: Tensor | None = None) -> Tensor:
    """``x`` itself if it is a Tensor, else a constant tensor (on ``like``'s device)."""
    if isinstance(x, Tensor):
        return x
    if like is not None and (np.isscalar(x) or isinstance(x, np.generic)):
        return scalar_like(x, like)
    return Tensor(x, device=like.device if like is not None else None)


def result_dtype(*dtypes):
    """NumPy promotion, except that mixing non-float64 inputs never yields float64."""
    dt = np.result_type(*dtypes)
    if dt == _F64 and all(d != _F64 for d in dtypes):
        return _F32
    return dt


def binary_operands(a, b):
    """Both operands as tensors on one device with one promoted dtype."""
    if not isinstance(a, Tensor):
        a = as_tensor(a, b)
    elif not isinstance(b, Tensor):
        b = as_tensor(b, a)
    check_same_device(a, b)
    if a.data.dtype != b.data.dtype:
        dt = result_dtype(a.data.dtype, b.data.dtype)
        from .shape import astype

        a, b = astype(a, dt), astype(b, dt)
    return a, b


def normalize_axis(axis, ndim):
    """Axis or tuple of axes as a tuple of non-negative ints (``None`` means all)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, Tensor):
        axis = axis.tolist()
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise IndexError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % max(ndim, 1))
    return tuple(out)
