"""Inverted dropout as one op: keep each element with probability ``1 - p`` and scale
kept ones by ``1 / (1 - p)``. The keep mask is saved as booleans (one byte an element)."""

from __future__ import annotations

import numpy as np

from ... import random as _random
from ..._function import make_result, needs_grad
from . import cuda as _cuda
from ._common import xp_of


def keep_mask(shape, p, device, like_dtype):
    """Boolean mask of ``shape`` on ``device``, each entry True with probability ``1 - p``.

    Uniform numbers come from :func:`lucid.random.generator` in float32 (float64 for
    float64 data), so one seed reproduces a run.
    """
    gen = _random.generator(device)
    udt = np.float64 if np.dtype(like_dtype) == np.float64 else np.float32
    u = gen.random(shape, dtype=udt)
    return u >= p


def apply_mask(x, keep, scale):
    """``x * keep * scale`` in two passes (new array)."""
    xp = xp_of(x)
    y = xp.multiply(x, keep, dtype=x.dtype)
    y *= scale
    return y


def dropout(a, p, device):
    """Dropout of tensor ``a`` with drop probability ``0 <= p <= 1`` (training mode)."""
    if _cuda.active(a.data):  # one fused CUDA kernel for mask and output
        return _cuda.dropout(a, p, device)
    x = a.data
    xp = a.xp
    if p >= 1.0:
        return make_result(xp.zeros_like(x), (a,), lambda g: (xp.zeros_like(g),), "dropout")
    keep = keep_mask(x.shape, p, device, x.dtype)
    scale = 1.0 / (1.0 - p)
    y = apply_mask(x, keep, scale)

    def backward(g):
        return (apply_mask(g, keep, scale),)

    return make_result(y, (a,), backward if needs_grad(a) else None, "dropout")
