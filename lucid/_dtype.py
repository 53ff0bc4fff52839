"""Dtypes are NumPy dtype objects, shared by NumPy and CuPy arrays."""

from __future__ import annotations

import numpy as np

Float16 = np.dtype("float16")
Float32 = np.dtype("float32")
Float64 = np.dtype("float64")
Int8 = np.dtype("int8")
Int16 = np.dtype("int16")
Int32 = np.dtype("int32")
Int64 = np.dtype("int64")
Bool = np.dtype("bool")

Half, Double, Char, Short, Long = Float16, Float64, Int8, Int16, Int64
Float, Int = Float32, Int64

_PYTHON_TYPES = {float: Float32, int: Int64, bool: Bool}


def to_dtype(dtype):
    """Normalise a lucid dtype, NumPy dtype, string or Python type to a NumPy dtype.

    Example:
        >>> to_dtype(float)
        dtype('float32')
    """
    if dtype is None:
        return None
    if dtype in _PYTHON_TYPES:
        return _PYTHON_TYPES[dtype]
    try:
        return np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"unknown dtype {dtype!r}") from err


def is_floating(dtype) -> bool:
    """Whether ``dtype`` is a floating-point dtype (only those can carry gradients)."""
    return np.dtype(dtype).kind == "f"


def _category(dtype) -> int:
    """0 for bool, 1 for integers, 2 for floats: the order in which PyTorch lets one kind win."""
    return 2 if dtype.kind == "f" else 0 if dtype.kind == "b" else 1


def promote(x, y):
    """The dtype of a binary op on arrays ``x`` and ``y``, as PyTorch promotes: a 0-d operand
    beside an n-d one is weak (as a Python scalar is) and only decides the dtype when it is of
    a higher kind (``float32 n-d * float64 0-d -> float32``, ``int64 n-d * float64 0-d ->
    float64``); otherwise :func:`result_dtype`.

    Example:
        >>> promote(np.ones(2, np.float32), np.array(1.0)), promote(np.ones(2, np.int64), np.array(1.0))
        (dtype('float32'), dtype('float64'))
    """
    dx, dy = x.dtype, y.dtype
    if dx == dy:
        return dx
    if (x.ndim == 0) != (y.ndim == 0):
        strong, weak = (dy, dx) if x.ndim == 0 else (dx, dy)
        return strong if _category(weak) <= _category(strong) else weak
    return result_dtype(dx, dy)


def can_cast(src, dst) -> bool:
    """Whether an in-place op may write a ``src`` result into a ``dst`` tensor: never to a
    lower kind (float into an integer tensor, an integer into a bool one), as PyTorch.

    Example:
        >>> can_cast(np.dtype("float64"), np.dtype("float32")), can_cast(np.dtype("float32"), np.dtype("int64"))
        (True, False)
    """
    return _category(np.dtype(src)) <= _category(np.dtype(dst))


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
