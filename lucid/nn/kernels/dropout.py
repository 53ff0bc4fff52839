"""Inverted dropout as one op: keep each element with probability ``1 - p`` and scale
kept ones by ``1 / (1 - p)``. The keep mask is saved as booleans (one byte an element).

CuPy float32/float16 data takes the fused kernel of :mod:`lucid.nn.kernels.cuda.dropout`
(one pass for mask and output); it gets the same uniform draws as the code here, so one
seed gives the same mask either way."""

from __future__ import annotations

import numpy as np

from ... import random as _random
from ..._backend import xp_of
from ..._function import make_result, needs_grad
from . import cuda as _cuda


def _uniforms(shape, device, like_dtype):
    """Uniform draws in [0, 1) from :func:`lucid.random.generator`, float32 (float64 for
    float64 data)."""
    udt = np.float64 if np.dtype(like_dtype) == np.float64 else np.float32
    return _random.generator(device).random(shape, dtype=udt)


def keep_mask(shape, p, device, like_dtype):
    """Boolean mask of ``shape`` on ``device``, each entry True with probability ``1 - p``.

    Uniform numbers come from :func:`lucid.random.generator` in float32 (float64 for
    float64 data), so one seed reproduces a run.

    Example:
        >>> bool(keep_mask((2, 3), 0.0, "cpu", "float32").all())
        True
    """
    return _uniforms(shape, device, like_dtype) >= p


def apply_mask(x, keep, scale):
    """``x * keep * scale`` in two passes (new array)."""
    xp = xp_of(x)
    y = xp.multiply(x, keep, dtype=x.dtype)
    y *= scale
    return y


def dropout(a, p, device):
    """Dropout of tensor ``a`` with drop probability ``0 <= p <= 1`` (training mode).

    Example:
        >>> import lucid
        >>> sorted(set(dropout(lucid.ones(100), 0.5, "cpu").tolist()))
        [0.0, 2.0]
    """
    x = a.data
    xp = a.xp
    if p >= 1.0:
        return make_result(xp.zeros_like(x), (a,), lambda g: (xp.zeros_like(g),), "dropout", saved=())
    scale = 1.0 / (1.0 - p)
    if _cuda.takes(x):
        y, keep = _cuda.dropout_forward(x, _uniforms(x.shape, device, x.dtype), p, scale)
        mask = _cuda.dropout_backward
    else:
        keep = keep_mask(x.shape, p, device, x.dtype)
        y = apply_mask(x, keep, scale)
        mask = apply_mask

    def backward(g):
        return (mask(g, keep, scale),)

    return make_result(y, (a,), backward if needs_grad(a) else None, "dropout", saved=())
