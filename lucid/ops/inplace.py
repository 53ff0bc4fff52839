"""In-place arithmetic: ``a += b``, ``a -= b``, ``a *= b``, ``a /= b`` change ``a``'s memory.

Each is :func:`lucid._function.modify` with the op's write and backward side by side. The
result dtype follows the out-of-place op's promotion and must fit ``a`` (no float into an
integer tensor, as in PyTorch); ``b`` must broadcast to ``a``'s shape. An operand that shares
``a``'s memory (``a *= a``) is copied first, so backward reads its values before the change.
"""

from __future__ import annotations

import numpy as np

from .._args import as_tensor, broadcasts_to
from .._backend import check_same_device
from .._dtype import can_cast, promote
from .._function import grad_enabled, modify
from .._tensor import Tensor


def _operand(a, b, name, division=False):
    """``b`` as a tensor on ``a``'s device, checked to fit an in-place update of ``a``, and its
    array (a copy when it shares ``a``'s memory)."""
    if not isinstance(b, Tensor):
        b = as_tensor(b, a)
    check_same_device(a, b)
    dt = promote(a.data, b.data)
    if division and dt.kind != "f":
        dt = np.dtype("float32")  # true division of integers gives floats
    if not can_cast(dt, a.dtype):
        raise TypeError(f"{name}: the result type {dt} cannot be written into a tensor of dtype {a.dtype}")
    if not broadcasts_to(b.shape, a.shape):
        raise ValueError(f"{name}: an operand of shape {b.shape} does not broadcast to the tensor's shape {a.shape}")
    bd = b.data
    if b._counter is a._counter:
        bd = bd.copy()
    return b, bd


def _wants(t):
    return grad_enabled() and t.requires_grad


def iadd(a, b):
    """``a += b`` in place (differentiable); returns ``a``.

    Example:
        >>> import lucid
        >>> t = lucid.zeros(2)
        >>> t += lucid.tensor([1.0, 2.0])
        >>> t.tolist()
        [1.0, 2.0]
    """
    b, bd = _operand(a, b, "iadd")
    return modify(a, "iadd", (b,), lambda arr: a.xp.add(arr, bd, out=arr), lambda g: (g, g))


def isub(a, b):
    """``a -= b`` in place (differentiable); returns ``a``.

    Example:
        >>> import lucid
        >>> t = lucid.ones(2)
        >>> t -= 0.5
        >>> t.tolist()
        [0.5, 0.5]
    """
    b, bd = _operand(a, b, "isub")
    return modify(a, "isub", (b,), lambda arr: a.xp.subtract(arr, bd, out=arr), lambda g: (g, -g))


def imul(a, b):
    """``a *= b`` in place (differentiable); returns ``a``.

    Example:
        >>> import lucid
        >>> t = lucid.tensor([1.0, 2.0])
        >>> t *= 3
        >>> t.tolist()
        [3.0, 6.0]
    """
    b, bd = _operand(a, b, "imul")
    old = a.data.copy() if _wants(b) else None  # b's gradient reads a's values before the change

    def backward(g):
        return g * bd, None if old is None else g * old

    saved = (b,) if _wants(a) and bd is b.data else ()
    return modify(a, "imul", (b,), lambda arr: a.xp.multiply(arr, bd, out=arr), backward, saved)


def idiv(a, b):
    """``a /= b`` in place (differentiable; an integer tensor cannot hold the quotient); returns ``a``.

    Example:
        >>> import lucid
        >>> t = lucid.tensor([1.0, 3.0])
        >>> t /= 2
        >>> t.tolist()
        [0.5, 1.5]
    """
    b, bd = _operand(a, b, "idiv", division=True)
    old = a.data.copy() if _wants(b) else None

    def backward(g):
        ga = g / bd
        return ga, None if old is None else -ga * old / bd

    saved = (b,) if (_wants(a) or _wants(b)) and bd is b.data else ()
    return modify(a, "idiv", (b,), lambda arr: a.xp.divide(arr, bd, out=arr), backward, saved)
