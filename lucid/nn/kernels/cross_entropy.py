"""Cross-entropy on logits with class-index targets, as one op.

For each row ``i`` (a sample, or a position for ``(N, C, d1, ...)`` input) with target
``t`` and class weights ``w`` (all ones when none), the loss is
``-sum_c q_ic log p_ic`` with ``q_ic = (1 - s) w_t [c == t] + s w_c / C`` (``s`` the label
smoothing); ignored rows have ``q = 0``. Its gradient w.r.t. the logits is
``p_ic sum_c q_ic - q_ic``, computed during the forward into the buffer that held the
shifted logits, so backward is one multiply. Only ``log p`` at the targets and the
``w``-weighted row sums of ``log p`` are formed, never a full log-softmax array.
"""

from __future__ import annotations

import numpy as np

from ..._backend import xp_of
from ..._function import make_result, needs_grad
from . import _blocks
from . import cuda as _cuda
from ._common import compute_dtype


def cross_entropy_arrays(z, t, w, reduction, ignore_index, smoothing, want_grad):
    """Loss (and logits-gradient for a unit upstream gradient) for 2-D logits ``z`` (M, C)
    and 1-D integer targets ``t`` (M,), already range-checked.

    Returns ``(loss, dz or None)``; ``loss`` is 0-d for "mean"/"sum", else shape (M,).

    Example:
        >>> import numpy as np
        >>> loss, dz = cross_entropy_arrays(np.zeros((1, 2)), np.array([0]), None, "mean", -100, 0.0, True)
        >>> round(float(loss), 4), dz.tolist()
        (0.6931, [[-0.5, 0.5]])
    """
    if _cuda.takes(z):  # CUDA kernel; the code below stays the reference
        return _cuda.cross_entropy_arrays(z, t, w, reduction, ignore_index, smoothing, want_grad)
    xp = xp_of(z)
    m, c = z.shape
    ct = compute_dtype(z.dtype)
    buf = z.astype(ct, copy=True)  # shifted logits, then probabilities, then the gradient
    valid = t != ignore_index
    tt = xp.where(valid, t, 0)
    rows = xp.arange(m)
    wt = (w[tt] if w is not None else xp.ones(m, ct)) * valid  # weight of each row's target, 0 if ignored
    lse = xp.empty(m, ct)
    smooth = xp.empty(m, ct) if smoothing else None
    numpy = xp is np

    def run(lo, hi, _):
        b = buf[lo:hi]
        b -= b.max(axis=1, keepdims=True)
        if smoothing:  # sum_c w_c * shifted_c, taken before exp overwrites the buffer
            smooth[lo:hi] = b @ w if w is not None else b.sum(axis=1)
        zt_shift = b[xp.arange(hi - lo), tt[lo:hi]]  # shifted logit at the target
        xp.exp(b, out=b)
        tot = b.sum(axis=1)
        lse[lo:hi] = xp.log(tot)
        if want_grad:
            xp.divide(1.0, tot, out=tot)
            b *= tot[:, None]
        return zt_shift

    zt = xp.concatenate(_blocks.row_blocks(m, c, run, numpy=numpy)) if m else xp.empty(0, ct)
    logp_t = zt - lse  # log p at the targets
    wsum = w.sum() if w is not None else c
    loss = -(1.0 - smoothing) * wt * logp_t
    if smoothing:  # sum_c w_c log p_c = smooth - lse * sum(w)
        loss -= (smoothing / c) * (smooth - lse * wsum) * valid
    if reduction == "mean":
        denom = wt.sum()
        scale = 1.0 / denom if float(denom) != 0 else 0.0  # all ignored: loss 0, grads 0
    else:
        scale = 1.0
    dz = None
    if want_grad:
        # p * sum_c q_c - q, times the reduction's scale (per row for "none")
        qsum = (1.0 - smoothing) * wt + ((smoothing / c) * wsum) * valid
        buf *= (qsum * scale)[:, None]
        buf[rows, tt] -= (1.0 - smoothing) * wt * scale
        if smoothing:
            wrow = w if w is not None else xp.ones(c, ct)
            buf -= ((smoothing / c) * scale * valid)[:, None] * wrow[None, :]
        dz = buf
    if reduction in ("mean", "sum"):
        loss = loss.sum() * scale
    return loss.astype(z.dtype, copy=False), dz


def cross_entropy(a, target_ids, weight, reduction, ignore_index, smoothing):
    """Cross-entropy op on tensor ``a`` of logits with class axis 1 (or 0 for 1-D ``a``).

    ``target_ids`` is an integer array of the target shape, already validated.
    """
    x = a.data
    xp = a.xp
    if x.ndim == 1:  # unbatched: (C,) logits, 0-d target
        z, moved_shape = x.reshape(1, -1), None
    elif x.ndim == 2:
        z, moved_shape = x, None
    else:  # (N, C, d1, ...) -> (N * d1 * ..., C)
        moved = xp.moveaxis(x, 1, -1)
        moved_shape = moved.shape
        z = moved.reshape(-1, x.shape[1])
    t = target_ids.reshape(-1)
    w = None if weight is None else weight.data.astype(compute_dtype(x.dtype), copy=False)
    want = needs_grad(a)
    loss, dz = cross_entropy_arrays(z, t, w, reduction, ignore_index, smoothing, want)
    if reduction not in ("mean", "sum"):
        loss = loss.reshape(target_ids.shape)

    def backward(g):
        if reduction in ("mean", "sum"):
            gz = dz * g
        else:
            gz = dz * g.reshape(-1, 1)
        if moved_shape is not None:
            gz = xp.moveaxis(gz.reshape(moved_shape), -1, 1)
        return (gz.reshape(x.shape),)

    return make_result(loss, (a,), backward if want else None, "cross_entropy", saved=())
