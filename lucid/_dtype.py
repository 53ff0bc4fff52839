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
