"""GELU, exact (erf) and tanh-approximated, as one op.

The forward pass also computes the derivative ``gelu'(x)`` while ``x`` and the erf
pieces are in cache, and saves only that: backward is then a single multiply, and the
saved array takes the place of ``x`` (which PyTorch saves), so memory matches.

Two implementations of the forward:

* ``_reference``: plain ``xp`` code through :func:`lucid.ops.special.erf_array`; any dtype,
  NumPy or CuPy. It is the oracle for the tests.
* ``_fused_f32``: NumPy float32, blocked and threaded (see ``_blocks``), with the
  Abramowitz-Stegun 7.1.26 erfc written out so that its ``exp(-x^2/2)`` term is reused for
  the derivative.

CuPy float32/float16 arrays take the fused kernel in :mod:`lucid.nn.kernels.cuda.gelu`.
:func:`bias_gelu` adds a bias first (inside that kernel on the GPU).
"""

from __future__ import annotations

import math

import numpy as np

from ..._backend import check_same_device, xp_of
from ..._function import make_result, needs_grad
from ...ops.special import erf_array
from . import _blocks
from . import cuda as _cuda
from ._common import compute_dtype

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)
_K = math.sqrt(2.0 / math.pi)  # tanh form: 0.5 x (1 + tanh(_K (x + 0.044715 x^3)))
_C3 = 0.044715

# Abramowitz & Stegun 7.1.26: erfc(z) ~= (a1 t + ... + a5 t^5) exp(-z^2), t = 1 / (1 + p z),
# z >= 0, |error| <= 1.5e-7.
_P = 0.3275911
_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
# Used for Phi(x) = 1 - q for x >= 0 and q for x < 0, with q = 0.5 erfc(|x|/sqrt2):
# q = poly(t) t exp(-x^2/2) with t = 1 / (1 + P |x| / sqrt2); the 0.5 is folded in.
_TP = _P * _INV_SQRT2
_HA = tuple(0.5 * a for a in _A)
_SIGN = np.int32(-(2**31))

#: Elements per block (up to 4 float32 scratch buffers of 512 KiB; ~20 NumPy calls a block make the
#: per-call cost count: 1024 x 3072, 2 threads, 10.2 ms at 64K, 9.3 ms here).
BLOCK_ELEMS = 131072


def _reference(xp, x, approximate, want_grad):
    """gelu(x) and, when asked, gelu'(x), in plain xp code (float16 computed in float32)."""
    ct = compute_dtype(x.dtype)
    xf = x.astype(ct, copy=False)
    d = None
    if approximate == "tanh":
        x2 = xf * xf
        u = x2 * _C3
        u += 1.0
        u *= _K
        u *= xf  # u = K (x + c x^3)
        th = xp.tanh(u)
        half = th + 1.0
        half *= 0.5  # 0.5 (1 + tanh u)
        y = xf * half
        if want_grad:  # 0.5 (1 + th) + 0.5 x (1 - th^2) K (1 + 3 c x^2)
            du = x2 * (3.0 * _C3)
            du += 1.0
            du *= _K
            sech2 = th * th
            sech2 -= 1.0
            sech2 *= -0.5
            d = xf * sech2
            d *= du
            d += half
    else:
        cdf = erf_array(xf * _INV_SQRT2)
        cdf += 1.0
        cdf *= 0.5
        y = xf * cdf
        if want_grad:
            d = xf * xf
            d *= -0.5
            d = xp.exp(d)
            d *= _INV_SQRT2PI
            d *= xf
            d += cdf
    y = y.astype(x.dtype, copy=False)
    return y, (None if d is None else d.astype(x.dtype, copy=False))


def _half_erfc(absx, t, e, q):
    """``q = 0.5 erfc(|x| / sqrt2)`` (in [0, 0.5]) from ``absx = |x|`` and ``e = -x^2 / 2``, which
    it leaves as ``exp(-x^2 / 2)``."""
    np.multiply(absx, _TP, out=t)
    t += 1.0
    np.divide(1.0, t, out=t)
    np.exp(e, out=e)
    np.multiply(t, _HA[4], out=q)
    q += _HA[3]
    for a in _HA[2::-1]:
        q *= t
        q += a
    q *= t
    q *= e


def _erf_block(x, y, d, buf):
    t, e, q = buf
    n = x.shape[0]
    t, e, q = t[:n], e[:n], q[:n]
    np.abs(x, out=y)  # y holds |x| until the output is written
    np.multiply(x, x, out=e)
    e *= -0.5
    _half_erfc(y, t, e, q)
    np.subtract(0.5, q, out=q)
    qi = q.view(np.int32)  # give (0.5 - q) the sign of x with two integer passes (copysign is slower)
    np.bitwise_and(x.view(np.int32), _SIGN, out=t.view(np.int32))
    np.bitwise_or(qi, t.view(np.int32), out=qi)
    q += 0.5  # Phi(x)
    np.multiply(x, q, out=y)
    if d is not None:  # Phi(x) + x phi(x)
        np.multiply(x, e, out=d)
        d *= _INV_SQRT2PI
        d += q


def _erf_block_forward(x, y, buf):
    """Forward only: ``gelu(x) = max(x, 0) - |x| q`` with ``q = 0.5 erfc(|x| / sqrt2)`` (for
    x < 0 that is x q, for x >= 0 x (1 - q)): two passes fewer than building Phi(x) with its
    sign. ``max(x, 0)`` is formed exactly as ``|x| / 2 - h`` with ``h = -x / 2``, which also
    gives the exponent's ``-x^2 / 2`` (halves first, so that no finite x overflows): NumPy's
    NaN-aware ``maximum`` costs four plain passes. ``y`` holds |x| until the last three passes."""
    t, e, q, h = buf
    n = x.shape[0]
    t, e, q, h = t[:n], e[:n], q[:n], h[:n]
    np.abs(x, out=y)
    np.multiply(x, -0.5, out=h)
    np.multiply(h, x, out=e)  # -x^2 / 2, rounded once as (x x) / 2 would be
    _half_erfc(y, t, e, q)
    q *= y
    y *= 0.5
    y -= h
    y -= q


def _tanh_block(x, y, d, buf):
    # 0.5 (1 + tanh u) = sigmoid(2u) = 1 / (1 + E), E = exp(-2u): one exp instead of a slower tanh,
    # and 1 - s = E s without cancellation for the derivative.
    t, e, s = buf
    n = x.shape[0]
    t, e, s = t[:n], e[:n], s[:n]
    np.multiply(x, x, out=t)
    t *= _C3
    t += 1.0
    np.multiply(t, x, out=e)
    e *= -2.0 * _K  # -2u
    np.clip(e, -1e30, 80.0, out=e)  # keep E finite (s then ~1e-35, i.e. 0 for the output)
    np.exp(e, out=e)
    np.add(e, 1.0, out=s)
    np.divide(1.0, s, out=s)  # s = sigmoid(2u)
    np.multiply(x, s, out=y)
    if d is not None:  # s + x s (1 - s) 2 u'(x), u' = K (1 + 3 c x^2) = K (3 t - 2)
        t *= 3.0
        t -= 2.0
        t *= 2.0 * _K
        e *= s
        e *= s  # s (1 - s)
        e *= t
        np.multiply(x, e, out=d)
        d += s


def _fused_f32(x, approximate, want_grad):
    """Blocked, threaded NumPy float32 forward (and derivative)."""
    flat = np.ascontiguousarray(x).reshape(-1)
    y = np.empty_like(flat)
    d = np.empty_like(flat) if want_grad else None
    block = _erf_block if approximate == "none" else _tanh_block

    forward_only = approximate == "none" and d is None

    def scratch(n):  # the forward-only erf block takes a fourth
        return tuple(np.empty(n, np.float32) for _ in range(4 if forward_only else 3))

    if forward_only:
        def run(lo, hi, buf):
            _erf_block_forward(flat[lo:hi], y[lo:hi], buf)
    else:
        def run(lo, hi, buf):
            block(flat[lo:hi], y[lo:hi], None if d is None else d[lo:hi], buf)

    _blocks.row_blocks(flat.size, 1, run, scratch, block_elems=BLOCK_ELEMS)
    return y.reshape(x.shape), (None if d is None else d.reshape(x.shape))


def gelu_arrays(x, approximate="none", want_grad=False):
    """``(gelu(x), gelu'(x) or None)`` for a NumPy or CuPy array, picking the fastest path.

    Example:
        >>> import numpy as np
        >>> y, d = gelu_arrays(np.array([0.0, 1.0], np.float32), want_grad=True)
        >>> [round(float(v), 4) for v in y], [round(float(v), 4) for v in d]
        ([0.0, 0.8413], [0.5, 1.0833])
    """
    if _cuda.takes(x):  # fused CUDA kernel; this module's code stays the reference
        return _cuda.gelu_arrays(x, approximate, want_grad)
    return _xp_gelu(x, approximate, want_grad)


def _xp_gelu(x, approximate, want_grad):
    """The paths off the CUDA kernel: NumPy float32 blocked, everything else the reference."""
    xp = xp_of(x)
    if xp is np and x.dtype == np.float32:
        return _fused_f32(x, approximate, want_grad)
    return _reference(xp, x, approximate, want_grad)


def gelu(a, approximate="none"):
    """GELU of tensor ``a`` as one graph op (see :func:`lucid.nn.functional.gelu`)."""
    want = needs_grad(a)
    y, d = gelu_arrays(a.data, approximate, want)

    def backward(g):
        return (g * d,)

    return make_result(y, (a,), backward if want else None, "gelu", saved=())


def bias_gelu(a, bias, approximate="none"):
    """``gelu(a + bias)`` as one op (``bias`` a 1-D tensor over the last axis of ``a``); the
    output has ``a``'s dtype.

    On the GPU the bias add rides in the GELU kernel (one pass fewer than adding the bias to
    a linear layer's output first); elsewhere the bias is added first and the NumPy or xp
    GELU runs. Backward is one multiply for ``a`` and a column sum for ``bias``.

    Example:
        >>> import lucid
        >>> from lucid.nn.kernels.gelu import bias_gelu
        >>> y = bias_gelu(lucid.tensor([[0.0, -1.0]]), lucid.tensor([1.0, 1.0]))
        >>> [round(v, 4) for v in y.tolist()[0]]
        [0.8413, 0.0]
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu approximate must be 'none' or 'tanh', got {approximate!r}")
    check_same_device(a, bias)
    n = a.shape[-1] if a.ndim else 1
    if bias.shape != (n,):
        raise ValueError(f"bias_gelu bias must have shape ({n},) to match input of shape {a.shape}, got {bias.shape}")
    x, b = a.data, bias.data
    want = needs_grad(a, bias)
    if _cuda.takes(x):
        y, d = _cuda.gelu_arrays(x, approximate, want, b)
    else:
        y, d = _xp_gelu((x + b).astype(x.dtype, copy=False), approximate, want)

    def backward(g):
        gd = g * d
        gb = gd.reshape(-1, n).sum(axis=0, dtype=compute_dtype(gd.dtype)) if bias.requires_grad else None
        return gd, gb

    return make_result(y, (a, bias), backward if want else None, "bias_gelu", saved=())
