"""Embedding lookup as one op: a row gather forward, a scatter-add of rows backward."""

from __future__ import annotations

from ..._function import make_result
from ...ops.index import scatter_add


def embedding(ids, weight, padding_idx=None):
    """Rows of ``weight`` at integer array ``ids`` (already range-checked); ``padding_idx``
    (non-negative or ``None``) gets no gradient."""
    xp = weight.xp
    w = weight.data
    out = xp.take(w, ids, axis=0)

    def backward(g):
        gw = xp.zeros(w.shape, dtype=g.dtype)
        scatter_add(xp, gw, ids.reshape(-1), g.reshape(-1, w.shape[1]))
        if padding_idx is not None:
            gw[padding_idx] = 0
        return (gw,)

    return make_result(out, (weight,), backward, "embedding")
