"""Reductions over axes."""

from __future__ import annotations

from .._function import OUTPUT, make_result
from .._tensor import Tensor
from .._args import normalize_axis
from ._util import float_data


def _expand_back(g, shape, axes, keepdims, xp):
    """Reshape a reduced gradient so it broadcasts against the input's ``shape``."""
    if not keepdims:
        g = xp.reshape(g, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return g


def sum(a, axis=None, keepdims=False):
    """Sum over ``axis`` (all axes by default).

    Example:
        >>> import lucid
        >>> lucid.sum(lucid.ones(2, 3), axis=1).tolist()
        [3.0, 3.0]
    """
    axes = normalize_axis(axis, a.ndim)
    x = a.data
    xp = a.xp
    out = x.sum(axis=axes, keepdims=keepdims)

    def backward(g):
        return (xp.broadcast_to(_expand_back(g, x.shape, axes, keepdims, xp), x.shape),)

    return make_result(out, (a,), backward, "sum", saved=())


def _float_input(a, axis):
    """The reduced axes, the data as floats (integers give float32), the count reduced and xp."""
    axes = normalize_axis(axis, a.ndim)
    x = float_data(a)
    count = 1
    for i in axes:
        count *= x.shape[i]
    return axes, x, count, a.xp


def mean(a, axis=None, keepdims=False):
    """Arithmetic mean over ``axis`` (integers give float32).

    Example:
        >>> import lucid
        >>> lucid.mean(lucid.tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0).tolist()
        [2.0, 3.0]
    """
    axes, x, count, xp = _float_input(a, axis)
    out = x.mean(axis=axes, keepdims=keepdims)

    def backward(g):
        return (xp.broadcast_to(_expand_back(g, x.shape, axes, keepdims, xp) / count, x.shape),)

    return make_result(out, (a,), backward, "mean", saved=())


def var(a, axis=None, keepdims=False):
    """Population variance over ``axis`` (divides by N, as NumPy does; integers give float32).

    Example:
        >>> import lucid
        >>> lucid.var(lucid.tensor([1.0, 3.0])).item()
        1.0
    """
    axes, x, count, xp = _float_input(a, axis)
    centered = x - x.mean(axis=axes, keepdims=True)
    out = (centered * centered).mean(axis=axes, keepdims=keepdims)

    def backward(g):
        return (_expand_back(g, x.shape, axes, keepdims, xp) * (2.0 / count) * centered,)

    return make_result(out, (a,), backward, "var", saved=())  # reads its own centred copy


def _extreme(name, pick):
    def reduce(a, axis=None, keepdims=False):
        axes = normalize_axis(axis, a.ndim)
        x = a.data
        xp = a.xp
        if x.size == 0:
            raise ValueError(f"{name}() of an empty tensor")
        out = pick(x, axis=axes, keepdims=True)

        def backward(g):
            share = (x == out).astype(g.dtype)  # ties share the gradient equally
            share /= share.sum(axis=axes, keepdims=True)
            return (share * _expand_back(g, x.shape, axes, keepdims, xp),)

        res = out if keepdims else out.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))
        return make_result(res, (a,), backward, name, saved=(a, OUTPUT))

    reduce.__name__ = name
    reduce.__doc__ = f"""The {name}imum over ``axis`` (values only, as ``torch.amax``); ties share the gradient.

    Example:
        >>> import lucid
        >>> lucid.{name}(lucid.tensor([[1.0, 5.0], [3.0, 2.0]]), axis=1).tolist()
        {[5.0, 3.0] if name == "max" else [1.0, 2.0]}
    """
    return reduce


max = _extreme("max", lambda x, axis, keepdims: x.max(axis=axis, keepdims=keepdims))
min = _extreme("min", lambda x, axis, keepdims: x.min(axis=axis, keepdims=keepdims))


def _arg(name, pick):
    def arg(a, axis=None, keepdims=False):
        x = a.data
        if axis is None:
            out = pick(x.reshape(-1), axis=0)
            if keepdims:
                out = out.reshape((1,) * x.ndim)
        else:
            (axis,) = normalize_axis(axis, a.ndim)
            out = pick(x, axis=axis)
            if keepdims:
                out = a.xp.expand_dims(out, axis)
        return Tensor._wrap(out.astype("int64", copy=False))

    arg.__name__ = name
    arg.__doc__ = f"""Indices (int64) of the {name[3:]}imum over ``axis`` (the flat index when ``axis`` is None).

    Example:
        >>> import lucid
        >>> lucid.{name}(lucid.tensor([[1.0, 5.0], [3.0, 2.0]]), axis=1).tolist()
        {[1, 0] if name == "argmax" else [0, 1]}
    """
    return arg


argmax = _arg("argmax", lambda x, axis: x.argmax(axis=axis))
argmin = _arg("argmin", lambda x, axis: x.argmin(axis=axis))
