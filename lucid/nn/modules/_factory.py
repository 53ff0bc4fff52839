"""Shared helpers for layer constructors: argument checks and empty parameters."""

from __future__ import annotations

import numpy as np

from ... import _backend
from ..._dtype import to_dtype
from ..parameter import Parameter


def check_int(name, value, minimum=0):
    """``value`` as an int, or ValueError naming ``name`` when it is not an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def empty_parameter(shape, device=None, dtype=None):
    """A float Parameter of ``shape`` whose values the layer's init will overwrite."""
    device = _backend.check_device("cpu" if device is None else device)
    dtype = to_dtype(dtype) or np.dtype("float32")
    if dtype.kind != "f":
        raise TypeError(f"layer parameters need a floating-point dtype, got {dtype}")
    return Parameter(_backend.get_xp(device).empty(shape, dtype=dtype))
