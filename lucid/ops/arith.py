"""Elementwise arithmetic and math functions, each forward beside its backward."""

from __future__ import annotations

import contextlib
import math

import numpy as np

from .._function import OUTPUT, make_result
from .._tensor import Tensor
from .._args import as_tensor
from .._backend import check_same_device
from ._util import binary_operands, float_data
from .special import erf_array


def add(a, b):
    """``a + b`` with broadcasting.

    Example:
        >>> import lucid
        >>> lucid.add(lucid.tensor([1.0, 2.0]), 1.0).tolist()
        [2.0, 3.0]
    """
    a, b = binary_operands(a, b)
    return make_result(a.data + b.data, (a, b), lambda g: (g, g), "add", saved=())


def sub(a, b):
    """``a - b`` with broadcasting.

    Example:
        >>> import lucid
        >>> lucid.sub(lucid.tensor([3.0]), 1).tolist()
        [2.0]
    """
    a, b = binary_operands(a, b)
    return make_result(a.data - b.data, (a, b), lambda g: (g, -g), "sub", saved=())


def mul(a, b):
    """``a * b`` with broadcasting.

    Example:
        >>> import lucid
        >>> lucid.mul(lucid.tensor([1.0, 2.0]), lucid.tensor([[3.0], [4.0]])).tolist()
        [[3.0, 6.0], [4.0, 8.0]]
    """
    a, b = binary_operands(a, b)
    x, y = a.data, b.data

    def backward(g):
        return (g * y if a.requires_grad else None, g * x if b.requires_grad else None)

    # each input's array is read only for the other's gradient (what torch saves, too)
    saved = (b,) * a.requires_grad + (a,) * b.requires_grad
    return make_result(x * y, (a, b), backward, "mul", saved=saved)


def div(a, b):
    """``a / b``; integer inputs give float32 (true division).

    Example:
        >>> import lucid
        >>> lucid.div(lucid.tensor([1, 2]), 2).tolist()
        [0.5, 1.0]
    """
    a, b = binary_operands(a, b)
    if a.data.dtype.kind != "f":
        from .shape import astype

        a, b = astype(a, "float32"), astype(b, "float32")
    x, y = a.data, b.data

    def backward(g):
        gx = g / y
        return (gx if a.requires_grad else None, -gx * x / y if b.requires_grad else None)

    return make_result(x / y, (a, b), backward, "div", saved=(b,) + (a,) * b.requires_grad)


def neg(a):
    """``-a``.

    Example:
        >>> import lucid
        >>> (-lucid.tensor([1.0])).tolist()
        [-1.0]
    """
    return make_result(-a.data, (a,), lambda g: (-g,), "neg", saved=())


def pow(a, b):
    """``a ** b`` for a tensor or scalar exponent. As torch: the gradient is 0 where the
    exponent is 0 (even at ``a = 0``), and the exponent's gradient is 0 where ``a = 0`` and
    ``b >= 0`` (NaN for a negative base, whose log is undefined).

    Example:
        >>> import lucid
        >>> (lucid.tensor([2.0, 3.0]) ** 2).tolist()
        [4.0, 9.0]
    """
    if isinstance(b, np.generic):
        b = b.item()  # a NumPy scalar exponent must not promote float32 to float64
    if not isinstance(a, Tensor):
        a = as_tensor(a, b)
    if isinstance(b, Tensor):
        a, b = binary_operands(a, b)
        x, y = a.data, b.data
        out = x**y
        xp = a.xp

        def backward(g):
            with _quiet(xp):
                zero = xp.zeros((), dtype=g.dtype)
                ga = xp.where(y == 0, zero, g * y * x ** (y - 1)) if a.requires_grad else None
                gb = g * xp.where((x == 0) & (y >= 0), zero, out * xp.log(x)) if b.requires_grad else None
            return ga, gb

        return make_result(out, (a, b), backward, "pow", saved=(a, b) + (OUTPUT,) * b.requires_grad)
    x = a.data
    if x.dtype.kind != "f" and isinstance(b, float):
        x = x.astype("float32")
    out = x**b
    if b == 0:
        return make_result(out, (a,), lambda g: (a.xp.zeros_like(g),), "pow", saved=())
    return make_result(out, (a,), lambda g: (g * (b * x ** (b - 1)),), "pow", saved=(a,))


def _quiet(xp):
    """No NumPy warnings for the inf/NaN a power's gradient may meet on the way (CuPy warns never)."""
    return np.errstate(all="ignore") if xp is np else contextlib.nullcontext()


def exp(a):
    """Elementwise ``e ** a`` (integer input gives float32).

    Example:
        >>> import lucid
        >>> lucid.exp(lucid.tensor([0.0])).tolist()
        [1.0]
    """
    out = a.xp.exp(float_data(a))
    return make_result(out, (a,), lambda g: (g * out,), "exp", saved=(OUTPUT,))


def log(a):
    """Elementwise natural logarithm.

    Example:
        >>> import lucid
        >>> lucid.log(lucid.tensor([1.0])).tolist()
        [0.0]
    """
    x = float_data(a)
    return make_result(a.xp.log(x), (a,), lambda g: (g / x,), "log", saved=(a,))


def sqrt(a):
    """Elementwise square root.

    Example:
        >>> import lucid
        >>> lucid.sqrt(lucid.tensor([4.0])).tolist()
        [2.0]
    """
    out = a.xp.sqrt(float_data(a))
    return make_result(out, (a,), lambda g: (g / (2 * out),), "sqrt", saved=(OUTPUT,))


def tanh(a):
    """Elementwise hyperbolic tangent.

    Example:
        >>> import lucid
        >>> lucid.tanh(lucid.tensor([0.0])).tolist()
        [0.0]
    """
    out = a.xp.tanh(float_data(a))
    return make_result(out, (a,), lambda g: (g * (1 - out * out),), "tanh", saved=(OUTPUT,))


def abs(a):
    """Elementwise absolute value (gradient ``sign(a)``, 0 at 0).

    Example:
        >>> import lucid
        >>> lucid.abs(lucid.tensor([-2, 3])).tolist()
        [2, 3]
    """
    x = a.data
    return make_result(a.xp.abs(x), (a,), lambda g: (g * a.xp.sign(x),), "abs", saved=(a,))


def erf(a):
    """Elementwise error function.

    Example:
        >>> import lucid
        >>> round(lucid.erf(lucid.tensor(1.0)).item(), 4)
        0.8427
    """
    x = float_data(a)
    scale = 2.0 / math.sqrt(math.pi)
    return make_result(erf_array(x), (a,), lambda g: (g * (scale * a.xp.exp(-x * x)),), "erf", saved=(a,))


def where(cond, x, y):
    """Elements of ``x`` where ``cond`` is true, else of ``y`` (scalars allowed).

    Example:
        >>> import lucid
        >>> c = lucid.tensor([True, False])
        >>> lucid.where(c, lucid.tensor([1.0, 2.0]), 0.0).tolist()
        [1.0, 0.0]
    """
    like = x if isinstance(x, Tensor) else y if isinstance(y, Tensor) else None
    cond = as_tensor(cond, like)
    if like is None:
        x, y = as_tensor(x, cond), as_tensor(y, cond)
    x, y = binary_operands(x, y)
    check_same_device(cond, x)
    c = cond.data.astype(bool, copy=False)
    xp = x.xp

    def backward(g):
        zero = xp.zeros((), dtype=g.dtype)
        return (xp.where(c, g, zero) if x.requires_grad else None, xp.where(c, zero, g) if y.requires_grad else None)

    return make_result(xp.where(c, x.data, y.data), (x, y), backward, "where", saved=(cond,))


def _compare(op, name):
    def compare(a, b):
        try:
            a, b = binary_operands(a, b)
        except TypeError:
            return NotImplemented  # e.g. ``t == None``: let Python fall back to identity
        return Tensor._wrap(op(a.data, b.data))

    compare.__name__ = name
    compare.__doc__ = f"""Elementwise ``{name}`` (comparisons give bool tensors; ``& | ^`` are logical
    on bools and bitwise on integers); never differentiable.

    Example:
        >>> import lucid
        >>> lucid.ops.arith.{name}(lucid.tensor([1, 2]), 2).tolist()
        {[op(1, 2), op(2, 2)]}
    """
    return compare


eq = _compare(lambda x, y: x == y, "eq")
ne = _compare(lambda x, y: x != y, "ne")
lt = _compare(lambda x, y: x < y, "lt")
le = _compare(lambda x, y: x <= y, "le")
gt = _compare(lambda x, y: x > y, "gt")
ge = _compare(lambda x, y: x >= y, "ge")
logical_and = _compare(lambda x, y: x & y, "logical_and")
logical_or = _compare(lambda x, y: x | y, "logical_or")
logical_xor = _compare(lambda x, y: x ^ y, "logical_xor")


def invert(a):
    """``~a``: logical not for bool tensors, bitwise not for integers.

    Example:
        >>> import lucid
        >>> (~lucid.tensor([True, False])).tolist()
        [False, True]
    """
    return Tensor._wrap(~a.data)


__all__ = [
    "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "tanh", "abs", "erf", "where",
    "eq", "ne", "lt", "le", "gt", "ge",
]
