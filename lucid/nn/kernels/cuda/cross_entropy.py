"""Cross-entropy on logits with class-index targets as one-warp-per-row ``RawKernel``:
one read of each row for its max, sum of exponentials and (with label smoothing) weighted
sum, one more read to write the logits-gradient. Same interface and results as
:func:`lucid.nn.kernels.cross_entropy.cross_entropy_arrays`, without its host syncs."""

from __future__ import annotations

import numpy as np

from ...._backend import xp_of
from . import _build

_KERNEL = r"""
extern "C" __global__ void lucid_xent_$S(
        const $T* __restrict__ z, const long long* __restrict__ t, const float* __restrict__ w,
        const float* __restrict__ scale_p, float* __restrict__ loss, $T* __restrict__ dz,
        int rows, int C, long long ignore, float smoothing, int has_w, int want) {
    const int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (row >= rows) return;
    const long long off = (long long)row * C;
    const $T* zr = z + off;
    const long long ti = t[row];
    const float valid = ti != ignore ? 1.0f : 0.0f;
    const long long tt = ti != ignore ? ti : 0;
    const float wt = valid * (has_w ? w[tt] : 1.0f);
    // online per lane: max m, sum of exp(z - m), and (smoothing) sum of w_c (z_c - m) with its weight total
    float m = NEG_INF, s = 0.0f, sw = 0.0f, ws = 0.0f;
    for (int j = lane; j < C; j += 32) {
        const float v = ld(zr[j]);
        const float wc = has_w ? w[j] : 1.0f;
        if (v > m) {
            s = s * expf(m - v) + 1.0f;
            if (smoothing != 0.0f && ws != 0.0f) sw += (m - v) * ws;
            m = v;
        } else {
            s += expf(v - m);
            if (smoothing != 0.0f) sw += wc * (v - m);
        }
        ws += wc;
    }
    const float mx = warp_max(m);
    const bool seen = m != NEG_INF;
    const float tot = warp_sum(seen ? s * expf(m - mx) : 0.0f);
    const float lse = logf(tot);  // log-sum-exp of the shifted logits
    const float logp_t = (ld(zr[tt]) - mx) - lse;
    const float wsum = warp_sum(ws);
    float l = -(1.0f - smoothing) * wt * logp_t;
    if (smoothing != 0.0f) {
        const float smooth = warp_sum(seen ? sw + (m - mx) * ws : 0.0f);  // sum_c w_c (z_c - max)
        l -= (smoothing / C) * (smooth - lse * wsum) * valid;
    }
    if (lane == 0) loss[row] = l;
    if (!want) return;
    const float scale = *scale_p;
    const float qsum = ((1.0f - smoothing) * wt + (smoothing / C) * wsum * valid) * scale;
    const float inv = 1.0f / tot;
    const float sm = (smoothing / C) * scale * valid;
    for (int j = lane; j < C; j += 32) {
        float v = expf(ld(zr[j]) - mx) * inv * qsum;
        if (j == tt) v -= (1.0f - smoothing) * wt * scale;
        if (smoothing != 0.0f) v -= sm * (has_w ? w[j] : 1.0f);
        st(dz + off + j, v);
    }
}
"""


def cross_entropy_arrays(z, t, w, reduction, ignore_index, smoothing, want_grad):
    """Loss and logits-gradient (for a unit upstream gradient) for 2-D CuPy float32/float16
    logits ``z`` (M, C) and 1-D integer targets ``t`` (M,), already range-checked.

    Returns ``(loss, dz or None)``: ``loss`` 0-d for "mean"/"sum", else (M,), in ``z``'s
    dtype; ``dz`` in ``z``'s dtype (float16 logits get a float16 gradient, computed in float32).
    """
    cp = xp_of(z)
    z = cp.ascontiguousarray(z)
    m, c = z.shape
    t = cp.ascontiguousarray(t, dtype=np.int64)
    wa = cp.empty(1, np.float32) if w is None else cp.ascontiguousarray(w, dtype=np.float32)
    if reduction == "mean":  # the weight of the non-ignored targets; 0 when all are ignored (loss 0, grads 0)
        valid = t != ignore_index
        if w is None:
            denom = valid.sum(dtype=np.float32)
        else:
            denom = (wa[cp.where(valid, t, 0)] * valid).sum(dtype=np.float32)
        scale = cp.where(denom != 0, 1.0 / cp.maximum(denom, np.float32(1e-38)), 0.0).astype(np.float32).reshape(1)
    else:
        scale = cp.ones(1, np.float32)
    loss = cp.empty(m, np.float32)
    dz = cp.empty_like(z) if want_grad else cp.empty(1, z.dtype)
    if m:
        grid, block = _build.row_grid(m)
        _build.raw_kernel("lucid_xent", _KERNEL, z.dtype)(
            grid, block,
            (z, t, wa, scale, loss, dz, _build.i32(m), _build.i32(c), np.int64(ignore_index), _build.f32(smoothing),
             _build.i32(w is not None), _build.i32(bool(want_grad))),
        )
    if reduction in ("mean", "sum"):
        loss = loss.sum() * scale[0]
    return loss.astype(z.dtype, copy=False), (dz if want_grad else None)
