"""Softmax over the rows of a 2-D array, forward and backward, in place, as
one-warp-per-row ``RawKernel`` s (online max and sum in one read, then one write).
Used by :mod:`lucid.nn.kernels.softmax` and, through it, by attention."""

from __future__ import annotations

from ...._backend import xp_of
from . import _build

_FORWARD = r"""
extern "C" __global__ void lucid_softmax_fwd_$S($T* __restrict__ r, int rows, int n) {
    const int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (row >= rows) return;
    $T* p = r + (long long)row * n;
    float m = NEG_INF, s = 0.0f;
    for (int j = lane; j < n; j += 32) {
        const float v = ld(p[j]);
        if (v > m) { s = s * expf(m - v) + 1.0f; m = v; } else { s += expf(v - m); }
    }
    const float mx = warp_max(m);
    s = (m == NEG_INF) ? 0.0f : s * expf(m - mx);  // lanes that saw nothing add 0
    const float inv = 1.0f / warp_sum(s);
    for (int j = lane; j < n; j += 32) st(p + j, expf(ld(p[j]) - mx) * inv);
}
"""

_BACKWARD = r"""
extern "C" __global__ void lucid_softmax_bwd_$S($T* __restrict__ g, const $T* __restrict__ p, int rows, int n) {
    const int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (row >= rows) return;
    const long long off = (long long)row * n;
    float dot = 0.0f;
    for (int j = lane; j < n; j += 32) dot += ld(g[off + j]) * ld(p[off + j]);
    dot = warp_sum(dot);
    for (int j = lane; j < n; j += 32) st(g + off + j, ld(p[off + j]) * (ld(g[off + j]) - dot));
}
"""


def _in_place(r, run):
    """Run ``run`` on ``r`` if it is C-contiguous, else on a contiguous copy written back."""
    if r.flags.c_contiguous:
        run(r)
    else:
        tmp = xp_of(r).ascontiguousarray(r)
        run(tmp)
        r[...] = tmp
    return r


def softmax_rows_(r):
    """Softmax over the last axis of 2-D CuPy ``r`` (float32/float16), in place; returns ``r``."""
    rows, n = r.shape

    def run(a):
        if rows and n:
            grid, block = _build.row_grid(rows)
            _build.raw_kernel("lucid_softmax_fwd", _FORWARD, a.dtype)(
                grid, block, (a, _build.i32(rows), _build.i32(n)))

    return _in_place(r, run)


def softmax_backward_rows_(gp, p):
    """Turn 2-D CuPy ``gp`` (float32/float16) in place into ``p * (gp - sum(gp * p))`` (the
    gradient through the softmax whose output is ``p``); returns ``gp``."""
    rows, n = gp.shape
    pc = xp_of(gp).ascontiguousarray(p, dtype=gp.dtype)

    def run(a):
        if rows and n:
            grid, block = _build.row_grid(rows)
            _build.raw_kernel("lucid_softmax_bwd", _BACKWARD, a.dtype)(
                grid, block, (a, pc, _build.i32(rows), _build.i32(n)))

    return _in_place(gp, run)
