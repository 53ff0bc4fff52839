"""Rows in and out of a packed layout: the ops that move a padded batch's real tokens into
one ``(tokens, ...)`` array and back. ``index`` holds distinct row numbers, so each backward
is a plain assignment (no accumulation)."""

from __future__ import annotations

from ..._function import make_result


def take_rows(a, index):
    """Rows ``index`` (a 1-D int array of distinct rows, on ``a``'s device) of tensor ``a``.

    Example:
        >>> import numpy as np, lucid
        >>> take_rows(lucid.arange(6).reshape(3, 2), np.array([2, 0])).tolist()
        [[4, 5], [0, 1]]
    """
    x, xp = a.data, a.xp

    def backward(g):
        gx = xp.zeros(x.shape, dtype=g.dtype)
        gx[index] = g
        return (gx,)

    return make_result(x[index], (a,), backward, "take_rows", saved=())


def put_rows(a, index, n):
    """An ``(n, ...)`` tensor of zeros holding the rows of ``a`` at rows ``index`` (distinct).

    Example:
        >>> import numpy as np, lucid
        >>> put_rows(lucid.ones(2, 2), np.array([2, 0]), 3).tolist()
        [[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]]
    """
    x, xp = a.data, a.xp
    out = xp.zeros((n,) + x.shape[1:], dtype=x.dtype)
    out[index] = x
    return make_result(out, (a,), lambda g: (g[index],), "put_rows", saved=())
