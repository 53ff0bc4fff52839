"""``x @ W.T + b`` as one op: one GEMM forward, bias added in place, and in backward
one GEMM per gradient with all leading dimensions folded into the GEMM's rows.

On NumPy the GEMMs run through :func:`._blocks.matmul` (pieces on the kernel threads,
OpenBLAS at one thread), so the bias is added to each piece while it is still in cache,
and the bias gradient's column sums ride along with the weight gradient's pieces.
"""

from __future__ import annotations

from ..._function import make_result
from . import _blocks


def linear(a, weight, bias=None):
    """Linear map of tensor ``a`` (``(..., in)``) by ``weight`` (``(out, in)``) and optional ``bias``."""
    x, w = a.data, weight.data
    n_in = w.shape[1]
    x2 = x.reshape(-1, n_in)  # a view for contiguous inputs
    b = None if bias is None else bias.data

    def add_bias(piece, rows, cols):
        piece += b[cols]

    y2 = _blocks.matmul(x2, w.T, epilogue=None if b is None else add_bias)  # BLAS reads w.T in place
    out_shape = x.shape[:-1] + (w.shape[0],)
    parents = (a, weight) if bias is None else (a, weight, bias)

    def backward(g):
        g2 = g.reshape(-1, w.shape[0])
        gx = _blocks.matmul(g2, w).reshape(x.shape) if a.requires_grad else None
        want_b = bias is not None and bias.requires_grad
        gw = gb = None
        if weight.requires_grad:
            epilogue = None
            if want_b:
                gb = _blocks.xp_empty_like_row(g2)
                split_rows = []

                def epilogue(piece, rows, cols):  # rows of gw are columns of g2
                    if rows != slice(None):
                        g2[:, rows].sum(axis=0, out=gb[rows])
                        split_rows.append(rows)

            gw = _blocks.matmul(g2.T, x2, epilogue=epilogue)
            if want_b and not split_rows:  # not split along gw's rows: one column sum
                g2.sum(axis=0, out=gb)
        elif want_b:
            gb = g2.sum(axis=0)
        if bias is None:
            return gx, gw
        return gx, gw, gb

    saved = (weight,) * a.requires_grad + (a,) * weight.requires_grad  # gx reads w, gw reads x
    return make_result(y2.reshape(out_shape), parents, backward, "linear", saved=saved)
