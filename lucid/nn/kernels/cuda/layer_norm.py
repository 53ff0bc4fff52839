"""Layer norm forward and backward as one-warp-per-row ``RawKernel`` s, and the weight
gradient as a ``ReductionKernel``.

Forward reads each row three times from cache (mean, variance about the mean, output) and
writes ``y``, plus ``xhat`` and ``rstd`` when a backward pass will need them. Backward
reads ``g`` and ``xhat`` twice (the two row means, then ``gx``). Same interface and
results as :mod:`lucid.nn.kernels.layer_norm`.
"""

from __future__ import annotations

import numpy as np

from ...._backend import xp_of
from . import _build

_FORWARD = r"""
extern "C" __global__ void lucid_ln_fwd_$S(
        const $T* __restrict__ x, const float* __restrict__ w, const float* __restrict__ b,
        $T* __restrict__ y, float* __restrict__ xhat, float* __restrict__ rstd,
        int rows, int n, float eps, int has_w, int has_b, int want) {
    const int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (row >= rows) return;  // the whole warp leaves together
    const long long off = (long long)row * n;
    const $T* xr = x + off;
    float s = 0.0f;
    for (int j = lane; j < n; j += 32) s += ld(xr[j]);
    const float mean = warp_sum(s) / n;
    float q = 0.0f;
    for (int j = lane; j < n; j += 32) { const float c = ld(xr[j]) - mean; q += c * c; }
    const float r = 1.0f / sqrtf(warp_sum(q) / n + eps);
    for (int j = lane; j < n; j += 32) {
        const float h = (ld(xr[j]) - mean) * r;
        if (want) xhat[off + j] = h;
        float v = h;
        if (has_w) v *= w[j];
        if (has_b) v += b[j];
        st(y + off + j, v);
    }
    if (want && lane == 0) rstd[row] = r;
}
"""

_BACKWARD = r"""
extern "C" __global__ void lucid_ln_bwd_$S(
        const $T* __restrict__ g, const float* __restrict__ xhat, const float* __restrict__ rstd,
        const float* __restrict__ w, $T* __restrict__ gx, int rows, int n, int has_w) {
    const int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (row >= rows) return;
    const long long off = (long long)row * n;
    float a = 0.0f, c = 0.0f;
    for (int j = lane; j < n; j += 32) {
        float gw = ld(g[off + j]);
        if (has_w) gw *= w[j];
        a += gw;
        c += gw * xhat[off + j];
    }
    a = warp_sum(a) / n;
    c = warp_sum(c) / n;
    const float r = rstd[row];
    for (int j = lane; j < n; j += 32) {
        float gw = ld(g[off + j]);
        if (has_w) gw *= w[j];
        st(gx + off + j, r * (gw - a - xhat[off + j] * c));
    }
}
"""


def _affine(cp, v, n):
    """``v`` as a contiguous float32 array and its flag (a dummy array and 0 for None)."""
    if v is None:
        return cp.empty(1, np.float32), _build.i32(0)
    return cp.ascontiguousarray(v.reshape(n), dtype=np.float32), _build.i32(1)


def layer_norm_arrays(x2, w, b, eps, want_grad):
    """Normalize the rows of 2-D CuPy ``x2`` (float32 or float16; ``w``/``b`` 1-D or None).

    Returns ``(y, xhat or None, rstd or None)``: ``y`` in ``x2``'s dtype, ``xhat`` and
    ``rstd`` in float32.
    """
    cp = xp_of(x2)
    x2 = cp.ascontiguousarray(x2)
    rows, n = x2.shape
    y = cp.empty_like(x2)
    xhat = cp.empty((rows, n), np.float32) if want_grad else cp.empty(1, np.float32)
    rstd = cp.empty(rows, np.float32) if want_grad else cp.empty(1, np.float32)
    wa, has_w = _affine(cp, w, n)
    ba, has_b = _affine(cp, b, n)
    if rows:
        grid, block = _build.row_grid(rows)
        _build.raw_kernel("lucid_ln_fwd", _FORWARD, x2.dtype)(
            grid, block,
            (x2, wa, ba, y, xhat, rstd, _build.i32(rows), _build.i32(n), _build.f32(eps), has_w, has_b,
             _build.i32(bool(want_grad))),
        )
    return y, (xhat if want_grad else None), (rstd if want_grad else None)


def layer_norm_backward_arrays(g2, xhat, rstd, w, want_x, want_w, want_b):
    """Gradients ``(gx, gw, gb)`` (None where not wanted) for 2-D CuPy ``g2`` (float32 or
    float16) and the forward's float32 ``xhat`` and ``rstd``; ``gx`` has ``g2``'s dtype,
    ``gw``/``gb`` are float32."""
    cp = xp_of(g2)
    g2 = cp.ascontiguousarray(g2)
    xhat = cp.ascontiguousarray(xhat, dtype=np.float32)
    rows, n = g2.shape
    gx = gw = gb = None
    if want_x:
        gx = cp.empty_like(g2)
        if rows:
            wa, has_w = _affine(cp, w, n)
            grid, block = _build.row_grid(rows)
            _build.raw_kernel("lucid_ln_bwd", _BACKWARD, g2.dtype)(
                grid, block,
                (g2, xhat, cp.ascontiguousarray(rstd, dtype=np.float32), wa, gx, _build.i32(rows), _build.i32(n),
                 has_w),
            )
    if want_w:
        gw = _build.reduction(
            "lucid_ln_gw", "T g, float32 h", "float32 out", "(float)g * h", "a + b", "out = a", "0",
        )(g2, xhat, axis=0)
    if want_b:
        gb = g2.sum(axis=0, dtype=np.float32)
    return gx, gw, gb
