"""Layer normalization over the trailing dimensions, as one op.

Forward saves the normalized input ``xhat`` and ``rstd = 1/sqrt(var + eps)`` per row;
backward is ``rstd * (g w - mean(g w) - xhat mean(g w xhat))`` with the two row means
done as matrix-vector products, plus the column sums for the weight and bias.
Rows are processed in cache-sized blocks over a few threads on NumPy; CuPy runs the
same code once over all rows. Float16 is computed in float32.

``layer_norm(x, ..., residual=r)`` is the norm of ``x + r`` (a transformer block's closing
residual, :func:`lucid.nn.functional.add_layer_norm`): the sum is formed block by block in the output's buffer, so it never exists as a
separate full array, and backward hands the one input gradient to both summands.
"""

from __future__ import annotations

import numpy as np

from ..._backend import xp_of
from ..._function import make_result, needs_grad
from . import _blocks
from . import cuda as _cuda
from ._common import compute_dtype, rowdot


def layer_norm_arrays(x2, w, b, eps, want_grad, r2=None):
    """Normalize the rows of 2-D ``x2`` (of ``x2 + r2`` when ``r2`` is given); returns
    ``(y, xhat or None, rstd or None)``.

    ``w``/``b`` are 1-D arrays or ``None``; everything is in the compute dtype.

    Example:
        >>> import numpy as np
        >>> y, xhat, rstd = layer_norm_arrays(np.array([[1.0, 3.0]]), None, None, 0.0, True)
        >>> y.tolist(), rstd.tolist()
        ([[-1.0, 1.0]], [1.0])
    """
    if _cuda.takes(x2):  # CUDA kernel; the code below stays the reference
        return _cuda.layer_norm_arrays(x2 if r2 is None else x2 + r2, w, b, eps, want_grad)
    xp = xp_of(x2)
    rows, n = x2.shape
    y = xp.empty_like(x2)
    # xhat needs its own buffer only when an affine transform follows it
    xhat = xp.empty_like(x2) if want_grad and (w is not None or b is not None) else y
    rstd = xp.empty(rows, x2.dtype)
    inv_n = 1.0 / n
    # row means as dot products with a vector of 1/n: NumPy's vecdot is ~2x sum(axis=1) on
    # rows this short
    means_of = xp.full(n, inv_n, x2.dtype)

    def run(lo, hi, _):
        xb, hb, yb = x2[lo:hi], xhat[lo:hi], y[lo:hi]
        if r2 is not None:  # the block's sum, in place of its normalised values
            xb = xp.add(xb, r2[lo:hi], out=hb)
        mean = rowdot(xp, xb, means_of)
        xp.subtract(xb, mean[:, None], out=hb)
        var = rowdot(xp, hb, hb)
        var *= inv_n
        var += eps
        r = rstd[lo:hi]
        xp.sqrt(var, out=r)
        xp.divide(1.0, r, out=r)
        hb *= r[:, None]
        if w is not None:
            xp.multiply(hb, w, out=yb)
        elif yb is not hb:
            yb[...] = hb
        if b is not None:
            yb += b

    _blocks.row_blocks(rows, n, run, numpy=xp is np)
    return y, (xhat if want_grad else None), (rstd if want_grad else None)


def layer_norm_backward_arrays(g2, xhat, rstd, w, want_x, want_w, want_b):
    """Gradients ``(gx, gw, gb)`` (``None`` where not wanted) for 2-D ``g2``.

    Example:
        >>> import numpy as np
        >>> xhat, rstd = np.array([[-1.0, 1.0]]), np.array([1.0])
        >>> gx, gw, gb = layer_norm_backward_arrays(np.ones((1, 2)), xhat, rstd, None, True, True, True)
        >>> gx.tolist(), gw.tolist(), gb.tolist()
        ([[0.0, 0.0]], [-1.0, 1.0], [1.0, 1.0])
    """
    if _cuda.takes(g2):
        return _cuda.layer_norm_backward_arrays(g2, xhat, rstd, w, want_x, want_w, want_b)
    xp = xp_of(g2)
    rows, n = g2.shape
    gx = xp.empty_like(g2) if want_x else None
    inv_n = 1.0 / n

    def scratch(r):
        return xp.empty((r, n), g2.dtype)

    def run(lo, hi, buf):
        g, h = g2[lo:hi], xhat[lo:hi]
        p = buf[: hi - lo] if buf is not None else xp.empty_like(g)
        xp.multiply(g, h, out=p)
        gw_part = p.sum(axis=0) if want_w else None
        gb_part = g.sum(axis=0) if want_b else None
        if want_x:
            if w is not None:
                a = g @ w
                c = p @ w
                out = gx[lo:hi]
                xp.multiply(g, w, out=out)
            else:
                a = g.sum(axis=1)
                c = p.sum(axis=1)
                out = gx[lo:hi]
                out[...] = g
            a *= inv_n
            c *= inv_n
            xp.multiply(h, c[:, None], out=p)
            out -= p
            out -= a[:, None]
            out *= rstd[lo:hi, None]
        return gw_part, gb_part

    parts = _blocks.row_blocks(rows, n, run, scratch, numpy=xp is np)
    gw = sum(p[0] for p in parts) if want_w else None
    gb = sum(p[1] for p in parts) if want_b else None
    return gx, gw, gb


def layer_norm(a, normalized_shape, weight=None, bias=None, eps=1e-5, residual=None):
    """Layer norm of tensor ``a`` (of ``a + residual``, same shape, when given) over its
    trailing ``normalized_shape`` dims as one op."""
    x = a.data
    xp = a.xp
    n = 1
    for s in normalized_shape:
        n *= s
    dtype = x.dtype if residual is None else np.result_type(x.dtype, residual.dtype)
    ct = compute_dtype(dtype)

    def rows(arr):  # a C-contiguous (rows, n) array of dtype ct; no copy when it is one already
        return xp.ascontiguousarray(arr.reshape(-1, n) if arr.ndim else arr.reshape(1, 1), dtype=ct)

    w = None if weight is None else weight.data.reshape(n).astype(ct, copy=False)
    b = None if bias is None else bias.data.reshape(n).astype(ct, copy=False)
    summands = (a,) if residual is None else (a, residual)
    parents = summands + tuple(t for t in (weight, bias) if t is not None)
    want = needs_grad(*parents)
    y, xhat, rstd = layer_norm_arrays(rows(x), w, b, eps, want, None if residual is None else rows(residual.data))
    y = y.reshape(x.shape).astype(dtype, copy=False)

    def backward(g):
        gx, gw, gb = layer_norm_backward_arrays(
            rows(g), xhat, rstd, w, any(t.requires_grad for t in summands),
            weight is not None and weight.requires_grad, bias is not None and bias.requires_grad,
        )
        gx = None if gx is None else gx.reshape(x.shape)
        grads = [gx] * len(summands)  # d(x + residual)/dx = d(x + residual)/dresidual = 1
        if weight is not None:
            grads.append(None if gw is None else gw.reshape(weight.shape))
        if bias is not None:
            grads.append(None if gb is None else gb.reshape(bias.shape))
        return tuple(grads)

    saved = () if weight is None else (weight,)  # x enters backward as its normalised copy
    name = "layer_norm" if residual is None else "add_layer_norm"
    return make_result(y, parents, backward if want else None, name, saved=saved)
