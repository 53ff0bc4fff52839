"""Scaled dot-product attention as one op.

Forward: ``s = (q * scale) @ k^T`` (one batched GEMM; ``k^T`` is a strided view BLAS
reads in place), the mask added in place, the softmax in place (``softmax_rows_``),
optional dropout on the probabilities, then ``out = p @ v``. Saved: the scaled query,
``k``, ``v``, the probabilities and the boolean dropout mask. Backward runs the four
GEMMs and the softmax backward in place on the ``(..., L, S)`` buffer.

Masks are additive in the compute dtype; a boolean mask (True = attend) becomes 0 or
the dtype's most negative finite value, never ``-inf``, so a fully masked row gives a
uniform distribution instead of NaN.
"""

from __future__ import annotations

from ..._function import make_result, needs_grad
from ._common import compute_dtype, most_negative
from .dropout import keep_mask
from .softmax import softmax_backward_rows_, softmax_rows_


def _errstate(xp):
    import contextlib

    return xp.errstate(over="ignore") if hasattr(xp, "errstate") else contextlib.nullcontext()


def additive_mask(xp, mask, dtype):
    """A boolean mask (True = attend) as an additive 0 / most-negative array of ``dtype``."""
    return xp.where(mask, dtype.type(0), dtype.type(most_negative(dtype))).astype(dtype, copy=False)


def causal_mask(xp, L, S, dtype):
    """Additive lower-triangular mask (query ``i`` attends keys ``j <= i``), top-left aligned."""
    return additive_mask(xp, xp.tri(L, S, dtype=bool), dtype)


def attention(query, key, value, mask=None, dropout_p=0.0, is_causal=False, scale=None, device="cpu"):
    """The attention op on tensors; ``mask`` is ``None``, a bool tensor or a float tensor
    (already checked for device and broadcastability)."""
    xp = query.xp
    q, k, v = query.data, key.data, value.data
    ct = compute_dtype(q.dtype)
    E = q.shape[-1]
    L, S = q.shape[-2], k.shape[-2]
    if scale is None:
        scale = 1.0 / float(E) ** 0.5
    if q.dtype == ct:
        qs = q * ct.type(scale)  # scaling the (L, E) query is cheaper than the (L, S) scores
    else:
        qs = q.astype(ct)
        qs *= scale
    kc = k.astype(ct, copy=False)
    vc = v.astype(ct, copy=False)
    s = qs @ xp.swapaxes(kc, -1, -2)  # (..., L, S), a fresh buffer we own
    mask_parent = None
    bias = None
    if mask is not None:
        if mask.data.dtype == bool:
            bias = additive_mask(xp, mask.data, ct)
        else:
            bias = mask.data.astype(ct, copy=False)
            mask_parent = mask
    if is_causal:
        causal = causal_mask(xp, L, S, ct)
        if bias is None:
            bias = causal
        else:  # two most-negative values must not add up to -inf: clamp the (small) combined mask
            with _errstate(xp):
                bias = bias + causal
            xp.maximum(bias, ct.type(most_negative(ct)), out=bias)
    if bias is not None:
        s += bias
    if s.ndim == 2:
        p = softmax_rows_(s)
    else:
        p = s
        softmax_rows_(s.reshape(-1, S))
    keep = None
    if dropout_p > 0.0:
        keep = keep_mask(p.shape, dropout_p, device, ct)
        inv_keep = 1.0 / (1.0 - dropout_p) if dropout_p < 1.0 else 0.0
        pd = xp.multiply(p, keep, dtype=ct)
        pd *= inv_keep
    else:
        pd = p
    out = (pd @ vc).astype(q.dtype, copy=False)
    parents = (query, key, value) if mask_parent is None else (query, key, value, mask_parent)
    if not needs_grad(*parents):
        return make_result(out, parents, None, "scaled_dot_product_attention")

    def backward(g):
        g = g.astype(ct, copy=False)
        gv = xp.swapaxes(pd, -1, -2) @ g if value.requires_grad else None
        gp = g @ xp.swapaxes(vc, -1, -2)  # (..., L, S), fresh
        if keep is not None:
            gp *= keep
            gp *= inv_keep
        softmax_backward_rows_(gp.reshape(-1, S), p.reshape(-1, S))
        gq = gk = None
        if query.requires_grad:
            gq = gp @ kc
            gq *= scale
        if key.requires_grad:
            gk = xp.swapaxes(gp, -1, -2) @ qs
        grads = (gq, gk, gv)
        if mask_parent is not None:
            grads += (gp if mask_parent.requires_grad else None,)
        return grads

    return make_result(out, parents, backward, "scaled_dot_product_attention")
