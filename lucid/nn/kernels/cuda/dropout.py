"""Inverted dropout with ``ElementwiseKernel`` s: from the uniform draws and ``x``, one
pass writes the output and the boolean keep mask (the reference compares, multiplies and
scales in three). :mod:`lucid.nn.kernels.dropout` draws the uniforms with the same
generator call as its reference, so one seed gives the same mask either way."""

from __future__ import annotations

import numpy as np

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


def dropout_forward(x, u, p, scale):
    """``(y, keep)`` for CuPy ``x`` (float32/float16) and uniforms ``u`` of its shape:
    ``keep = u >= p`` and ``y = x * keep * scale``, in ``x``'s dtype."""
    return _forward()(x, u, np.float32(p), np.float32(scale))


def dropout_backward(g, keep, scale):
    """The input gradient ``g * keep * scale`` for CuPy ``g`` and the forward's ``keep``."""
    return _backward()(g, keep, np.float32(scale))
