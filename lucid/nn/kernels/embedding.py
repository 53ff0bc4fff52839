"""Embedding lookup as one op: a row gather forward, a scatter-add of rows backward.

On NumPy the backward sorts the ids once and sums each id's gradient rows with one
``add.reduceat`` (``add.at`` on 2-D rows runs an element at a time: ~40x slower for a
BERT batch); the plain ``scatter_add`` stays the reference and the CuPy path.
"""

from __future__ import annotations

import numpy as np

from ..._function import make_result
from ...ops.index import scatter_add


def rows_scatter_add(target, ids, rows):
    """``target[ids] += rows`` for 1-D integer ``ids`` and 2-D ``rows`` (NumPy), repeated ids summed."""
    if ids.size == 0:
        return target
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_ids[1:] != sorted_ids[:-1])))
    target[sorted_ids[starts]] += np.add.reduceat(rows[order], starts, axis=0)
    return target


def embedding(input, weight, padding_idx=None):
    """Rows of ``weight`` at the integer tensor ``input``'s ids (already range-checked);
    ``padding_idx`` (non-negative or ``None``) gets no gradient. Backward reads the ids, so an
    in-place change of ``input`` before it raises."""
    xp = weight.xp
    w, ids = weight.data, input.data
    out = xp.take(w, ids, axis=0)

    def backward(g):
        gw = xp.zeros(w.shape, dtype=g.dtype)
        flat_ids, rows = ids.reshape(-1), g.reshape(-1, w.shape[1])
        if isinstance(gw, np.ndarray):
            rows_scatter_add(gw, flat_ids, rows)
        else:
            scatter_add(xp, gw, flat_ids, rows)
        if padding_idx is not None:
            gw[padding_idx] = 0
        return (gw,)

    return make_result(out, (weight,), backward, "embedding", saved=(input,))
