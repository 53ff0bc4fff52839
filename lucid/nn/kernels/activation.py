"""ReLU and tanh as single ops (cheap elementwise; no blocking needed)."""

from __future__ import annotations

from ..._function import OUTPUT, make_result, needs_grad


def relu(a):
    """``max(a, 0)``; backward passes the gradient where ``a > 0``."""
    x = a.data
    xp = a.xp
    y = xp.maximum(x, 0)
    if not needs_grad(a):
        return make_result(y, (a,), None, "relu")
    keep = x > 0  # one byte per element instead of keeping x

    def backward(g):
        return (g * keep,)

    return make_result(y, (a,), backward, "relu", saved=())


def tanh(a):
    """``tanh(a)``; backward uses the saved output: ``g (1 - y^2)``."""
    xp = a.xp
    y = xp.tanh(a.data)

    def backward(g):
        d = y * y
        xp.subtract(1, d, out=d)
        d *= g
        return (d,)

    return make_result(y, (a,), backward, "tanh", saved=(OUTPUT,))
