"""Softmax and log-softmax along one axis, each one op with an analytic backward.

Rows (the chosen axis, moved last) are processed in cache-sized blocks over a few
threads on NumPy (``_blocks``); on CuPy the same code runs once over the whole array.
Float16 is computed in float32. The row functions work in place on arrays nothing
else sees, so attention and cross-entropy reuse them on their own buffers.
"""

from __future__ import annotations

import numpy as np

from ..._backend import xp_of
from ..._function import OUTPUT, make_result
from . import _blocks
from . import cuda as _cuda
from ._common import compute_dtype, rowdot, rows_of, unrows


def softmax_rows_(r):
    """Softmax over the last axis of 2-D ``r``, in place; returns ``r``.

    Example:
        >>> import numpy as np
        >>> softmax_rows_(np.zeros((1, 4))).tolist()
        [[0.25, 0.25, 0.25, 0.25]]
    """
    if _cuda.takes(r, ndim=2):  # CUDA kernel; the code below stays the reference
        return _cuda.softmax_rows_(r)
    xp = xp_of(r)

    def run(lo, hi, _):
        b = r[lo:hi]
        b -= b.max(axis=1, keepdims=True)
        xp.exp(b, out=b)
        tot = b.sum(axis=1, keepdims=True)
        xp.divide(1.0, tot, out=tot)
        b *= tot

    _blocks.row_blocks(r.shape[0], r.shape[1], run, numpy=xp is np)
    return r


def softmax_backward_rows_(gp, p):
    """Turn ``gp`` (2-D, the gradient w.r.t. probabilities ``p``) in place into the
    gradient w.r.t. the softmax input: ``p * (gp - sum(gp * p))``; returns ``gp``.

    Example:
        >>> import numpy as np
        >>> softmax_backward_rows_(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]])).tolist()
        [[0.25, -0.25]]
    """
    if _cuda.takes(gp, ndim=2):
        return _cuda.softmax_backward_rows_(gp, p)
    xp = xp_of(gp)

    def run(lo, hi, _):
        g, y = gp[lo:hi], p[lo:hi]
        dot = rowdot(xp, g, y)[:, None]
        g -= dot
        g *= y

    _blocks.row_blocks(gp.shape[0], gp.shape[1], run, numpy=xp is np)
    return gp


def log_softmax_rows_(r):
    """Log-softmax over the last axis of 2-D ``r``, in place; returns ``r``."""
    xp = xp_of(r)
    n = r.shape[1]

    def run(lo, hi, buf):
        b = r[lo:hi]
        b -= b.max(axis=1, keepdims=True)
        e = xp.exp(b, out=None if buf is None else buf[: hi - lo])
        b -= xp.log(e.sum(axis=1, keepdims=True))

    scratch = (lambda rows: np.empty((rows, n), r.dtype)) if xp is np else None
    _blocks.row_blocks(r.shape[0], n, run, scratch, numpy=xp is np)
    return r


def softmax(a, axis=-1):
    """Softmax of tensor ``a`` along ``axis`` (see :func:`lucid.nn.functional.softmax`)."""
    x = a.data
    r, shape = rows_of(x, axis)
    p = softmax_rows_(r.astype(compute_dtype(x.dtype), copy=True))
    y = unrows(p, shape, axis, x.ndim).astype(x.dtype, copy=False)

    def backward(g):
        gr, _ = rows_of(g, axis)
        gr = softmax_backward_rows_(gr.astype(p.dtype, copy=True), p)
        return (unrows(gr, shape, axis, x.ndim),)

    return make_result(y, (a,), backward, "softmax", saved=(OUTPUT,))


def log_softmax(a, axis=-1):
    """Log-softmax of tensor ``a`` along ``axis``; saves only its output."""
    x = a.data
    xp = a.xp
    r, shape = rows_of(x, axis)
    ct = compute_dtype(x.dtype)
    out = log_softmax_rows_(r.astype(ct, copy=True))
    y = unrows(out, shape, axis, x.ndim).astype(x.dtype, copy=False)
    n = out.shape[1]

    def backward(g):  # g - exp(y) * sum(g)
        gr, _ = rows_of(g, axis)
        gr = gr.astype(ct, copy=True)

        def run(lo, hi, buf):
            gb = gr[lo:hi]
            tot = gb.sum(axis=1, keepdims=True)
            e = xp.exp(out[lo:hi], out=None if buf is None else buf[: hi - lo])
            e *= tot
            gb -= e

        scratch = (lambda rows: np.empty((rows, n), ct)) if xp is np else None
        _blocks.row_blocks(gr.shape[0], n, run, scratch, numpy=xp is np)
        return (unrows(gr, shape, axis, x.ndim),)

    return make_result(y, (a,), backward, "log_softmax", saved=(OUTPUT,))
