"""``x @ W.T + b`` as one op: one GEMM forward, bias added in place, and in backward
one GEMM per gradient with all leading dimensions folded into the GEMM's rows."""

from __future__ import annotations

from ..._function import make_result


def linear(a, weight, bias=None):
    """Linear map of tensor ``a`` (``(..., in)``) by ``weight`` (``(out, in)``) and optional ``bias``."""
    x, w = a.data, weight.data
    n_in = w.shape[1]
    x2 = x.reshape(-1, n_in)  # a view for contiguous inputs
    y2 = x2 @ w.T  # BLAS reads the transposed weight in place
    if bias is not None:
        y2 += bias.data
    out_shape = x.shape[:-1] + (w.shape[0],)
    parents = (a, weight) if bias is None else (a, weight, bias)

    def backward(g):
        g2 = g.reshape(-1, w.shape[0])
        gx = (g2 @ w).reshape(x.shape) if a.requires_grad else None
        gw = g2.T @ x2 if weight.requires_grad else None
        if bias is None:
            return gx, gw
        gb = g2.sum(axis=0) if bias.requires_grad else None
        return gx, gw, gb

    return make_result(y2.reshape(out_shape), parents, backward, "linear")
