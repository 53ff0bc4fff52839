"""Inverted dropout as one op: keep each element with probability ``1 - p`` and scale
kept ones by ``1 / (1 - p)``. The keep mask is saved as booleans (one byte an element).

On the CPU a large mask is drawn in blocks of :data:`DRAW_BLOCK` elements on the kernel
threads: block ``i`` takes its uniforms from the ``i``-th child of a ``SeedSequence`` whose
entropy is drawn from :func:`lucid.random.generator`. The blocks, not the threads, fix the
draws, so one seed gives the same masks with any number of threads (but not the masks of a
single ``generator().random`` call). Masks of at most one block come from the generator
directly.

CuPy float32/float16 data takes the fused kernel of :mod:`lucid.nn.kernels.cuda.dropout`
(one pass for mask and output); it gets the same uniform draws as the code here, so one
seed gives the same mask either way."""

from __future__ import annotations

import math

import numpy as np

from ... import random as _random
from ..._backend import xp_of
from ..._function import make_result, needs_grad
from . import _blocks
from . import cuda as _cuda

#: Uniforms per block of a CPU mask (a child generator costs ~30 us, ~5% of a block's draws).
DRAW_BLOCK = 1 << 17


def _uniforms(shape, device, like_dtype):
    """Uniform draws in [0, 1) from :func:`lucid.random.generator`, float32 (float64 for
    float64 data)."""
    udt = np.float64 if np.dtype(like_dtype) == np.float64 else np.float32
    return _random.generator(device).random(shape, dtype=udt)


def keep_mask(shape, p, device, like_dtype):
    """Boolean mask of ``shape`` on ``device``, each entry True with probability ``1 - p``.

    Uniform numbers come from :func:`lucid.random.generator` in float32 (float64 for
    float64 data), so one seed reproduces a run; large CPU masks are drawn in parallel
    blocks (see the module docstring).

    Example:
        >>> bool(keep_mask((2, 3), 0.0, "cpu", "float32").all())
        True
    """
    n = math.prod(shape)
    if device != "cpu" or n <= DRAW_BLOCK:
        return _uniforms(shape, device, like_dtype) >= p
    udt = np.float64 if np.dtype(like_dtype) == np.float64 else np.float32
    entropy = _random.generator("cpu").integers(0, 2**63, size=2).tolist()
    keep = np.empty(n, bool)

    def run(lo, hi, buf):
        u = buf[: hi - lo]
        child = np.random.SeedSequence(entropy, spawn_key=(lo // DRAW_BLOCK,))  # = spawn()'s child i
        np.random.default_rng(child).random(out=u, dtype=udt)
        np.greater_equal(u, p, out=keep[lo:hi])

    _blocks.row_blocks(n, 1, run, lambda rows: np.empty(rows, udt), block_elems=DRAW_BLOCK)
    return keep.reshape(shape)


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
