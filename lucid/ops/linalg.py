"""Matrix multiplication."""

from __future__ import annotations

from .. import _autocast
from .._function import make_result
from ._util import binary_operands


def matmul(a, b):
    """Matrix product with NumPy's ``matmul`` rules (1-D operands, batch broadcasting).

    Example:
        >>> import lucid
        >>> a = lucid.ones(2, 3)
        >>> (a @ lucid.ones(3, 4)).shape
        (2, 4)
    """
    a, b = binary_operands(a, b)
    if _autocast.on(a.device):  # autocast: float16 GEMM
        a, b = _autocast.low(a, b)
    x, y = a.data, b.data
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError("matmul needs operands with at least one dimension; use * for scalars")
    if x.shape[-1] != y.shape[-2 if y.ndim > 1 else 0]:
        raise ValueError(f"matmul shape mismatch: {tuple(x.shape)} @ {tuple(y.shape)}")
    xp = a.xp
    out = xp.matmul(x, y)

    def backward(g):
        if x.ndim == 1 and y.ndim == 1:  # dot product: g is 0-d
            return (g * y if a.requires_grad else None, g * x if b.requires_grad else None)
        x2 = x[None, :] if x.ndim == 1 else x
        y2 = y[:, None] if y.ndim == 1 else y
        g2 = g
        if x.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if y.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        ga = gb = None
        if a.requires_grad:
            ga = g2 @ xp.swapaxes(y2, -1, -2)
            if x.ndim == 1:  # (..., 1, K): sum any batch axes the vector was broadcast over
                ga = ga.reshape(-1, x.shape[0]).sum(axis=0)
        if b.requires_grad:
            if y2.ndim == 2 and x2.ndim > 2:  # weight on the right: one (K, M*) @ (M*, N) GEMM
                gb = x2.reshape(-1, x2.shape[-1]).T @ g2.reshape(-1, g2.shape[-1])
            else:
                gb = xp.swapaxes(x2, -1, -2) @ g2
            if y.ndim == 1:  # (..., K, 1)
                gb = gb.reshape(-1, y.shape[0]).sum(axis=0)
        return ga, gb

    # each operand's array is read only for the other's gradient
    return make_result(out, (a, b), backward, "matmul", saved=(b,) * a.requires_grad + (a,) * b.requires_grad)
