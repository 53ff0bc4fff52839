"""Small helpers shared by the fused kernels."""

from __future__ import annotations

import numpy as np


def compute_dtype(dtype):
    """The dtype a kernel computes in: float16 (and other sub-float32 floats) widen to float32."""
    dtype = np.dtype(dtype)
    return np.dtype(np.float32) if dtype.itemsize < 4 else dtype


def most_negative(dtype):
    """The most negative finite value of a float dtype (used instead of -inf for masking)."""
    return float(np.finfo(dtype).min)


def rows_of(x, axis=-1):
    """``x`` with ``axis`` moved last, as a 2-D (rows, n) array (a view when possible), and the moved shape."""
    axis = axis % x.ndim if x.ndim else 0
    moved = x if axis == x.ndim - 1 or x.ndim == 0 else x.swapaxes(axis, -1)
    n = moved.shape[-1] if moved.ndim else 1
    return moved.reshape(-1, n), moved.shape


def unrows(r, shape, axis, ndim):
    """Inverse of :func:`rows_of`."""
    out = r.reshape(shape)
    if ndim == 0 or axis % ndim == ndim - 1:
        return out
    return out.swapaxes(axis, -1)


def rowdot(xp, a, b):
    """Row-wise dot products of 2-D ``a`` and ``b`` (2-D, or 1-D: the same row for every row of
    ``a``); ``np.vecdot`` where it exists: ~2x einsum."""
    vecdot = getattr(xp, "vecdot", None)
    if vecdot is not None:
        return vecdot(a, b)
    return xp.einsum("ij,ij->i" if b.ndim == 2 else "ij,j->i", a, b)
