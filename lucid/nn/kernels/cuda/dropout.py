"""Inverted dropout with an ``ElementwiseKernel``: from the uniform draws and ``x``, one
pass writes the output and the boolean keep mask (the reference compares, multiplies and
scales in three). The uniforms come from the same generator call as
:func:`lucid.nn.kernels.dropout.keep_mask`, so one seed gives the same mask either way."""

from __future__ import annotations

import numpy as np

from ...._function import make_result, needs_grad
from .... import random as _random
from . import _build


def _forward():
    return _build.elementwise(
        "lucid_dropout_fwd", "T x, U u, float32 p, float32 scale", "T y, bool keep",
        "keep = u >= p; y = keep ? (T)((float)x * scale) : (T)0;",
    )


def _backward():
    return _build.elementwise(
        "lucid_dropout_bwd", "T g, bool keep, float32 scale", "T gx",
        "gx = keep ? (T)((float)g * scale) : (T)0;",
    )


def dropout(a, p, device):
    """Dropout of GPU tensor ``a`` with drop probability ``0 <= p <= 1`` (training mode),
    as :func:`lucid.nn.kernels.dropout.dropout`."""
    x = a.data
    if p >= 1.0 or x.dtype == np.float64:
        from .. import dropout as ref
        from . import disabled

        with disabled():
            return ref.dropout(a, p, device)
    udt = np.float32
    u = _random.generator(device).random(x.shape, dtype=udt)
    scale = np.float32(1.0 / (1.0 - p))
    y, keep = _forward()(x, u, np.float32(p), scale)
    del u

    def backward(g):
        return (_backward()(g, keep, scale),)

    return make_result(y, (a,), backward if needs_grad(a) else None, "dropout")
