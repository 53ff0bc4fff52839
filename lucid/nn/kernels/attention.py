"""Scaled dot-product attention as one op.

Forward: ``s = (q * scale) @ k^T`` (one batched GEMM; ``k^T`` is a strided view BLAS
reads in place), the mask added in place, the softmax in place (``softmax_rows_``),
optional dropout on the probabilities, then ``out = p @ v``. Saved: the scaled query,
``k``, ``v``, the probabilities and the boolean dropout mask. Backward runs the four
GEMMs and the softmax backward in place on the ``(..., L, S)`` buffer.

Masks are additive in the compute dtype; a boolean mask (True = attend) becomes 0 or
the dtype's most negative finite value, never ``-inf``, so a fully masked row gives a
uniform distribution instead of NaN.

NumPy float32/float64 inputs with equal batch shapes (BERT's ``(batch, heads, L, E)``
views of the projections) take a blocked path instead: a few heads at a time, so a
block's scores stay in the L2 cache from the GEMM through mask, softmax and dropout to
the second GEMM, with the blocks spread over the kernel threads and OpenBLAS held at
one thread (96 tiny GEMMs each synchronising OpenBLAS's threads stall badly). Its outputs
take the layout of the query (the output of BERT's head split is then already in
``(batch, L, heads, E)`` order, so merging the heads is free), and no-grad calls keep
no ``(L, S)`` buffer beyond a block. The plain ``xp`` code (``_attention_reference``) stays
the reference, and the path for CuPy, float16, broadcast batches and masks that need a
gradient.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..._function import make_result, needs_grad
from . import _blocks
from ._common import compute_dtype, most_negative, rowdot
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


#: Most scores per block of heads (elements): up to 8 heads of 128 x 128. Fewer, larger
#: blocks beat cache-sized ones here: each block's dozen NumPy calls hand the GIL around.
BLOCK_SCORES = 131072


def _blocked_ok(q, k, v, ct, mask_parent):
    return (isinstance(q, np.ndarray) and isinstance(k, np.ndarray) and isinstance(v, np.ndarray)
            and q.dtype == ct and k.dtype == ct and v.dtype == ct and q.ndim >= 3
            and q.shape[:-2] == k.shape[:-2] == v.shape[:-2] and q.size > 0 and k.shape[-2] > 0
            and (mask_parent is None or not mask_parent.requires_grad))


def head_blocks(heads, L, S):
    """``(blocks, heads per block)`` for ``heads`` heads of ``(L, S)`` scores: as few blocks
    as keep each within :data:`BLOCK_SCORES`, cut equally (12 heads as 6 + 6, not 8 + 4)."""
    most = max(1, min(heads, BLOCK_SCORES // max(L * S, 1)))
    blocks = -(-heads // most)
    return blocks, -(-heads // blocks)


class _Plan:
    """The blocks of the batch dims: an outer index over all batch dims but the last, and
    ``hb`` entries of the last (the heads) per block."""

    def __init__(self, lead, L, S):
        self.lead = lead
        self.H = lead[-1]
        self.per_outer, self.hb = head_blocks(self.H, L, S)
        self.outer = list(np.ndindex(*lead[:-1]))
        self.n = len(self.outer) * self.per_outer

    def index(self, u):
        o, j = divmod(u, self.per_outer)
        h0 = j * self.hb
        h1 = min(self.H, h0 + self.hb)
        return self.outer[o] + (slice(h0, h1),), h1 - h0


def _run(plan, fn, scratch):
    """``fn(index, n, buffers)`` for every block, blocks handed out one at a time to the
    kernel threads (a thread slowed by other load just takes fewer), BLAS single-threaded."""
    counter = itertools.count()

    def work(lo, hi, buf):
        while True:
            u = next(counter)  # atomic under the GIL
            if u >= plan.n:
                return
            idx, n = plan.index(u)
            fn(idx, n, buf)

    with _blocks.single_threaded_blas():
        _blocks.run_tasks(max(1, min(plan.n, _blocks.get_num_threads())), work, scratch)


def _softmax_block(rows, mbuf):
    """Softmax over the last axis of contiguous 2-D ``rows``, in place."""
    m = mbuf[: rows.shape[0]]
    np.max(rows, axis=1, keepdims=True, out=m)
    rows -= m
    np.exp(rows, out=rows)
    np.sum(rows, axis=1, keepdims=True, out=m)
    np.divide(1.0, m, out=m)
    rows *= m


def forward_block(qb, kb, vb, outb, s, bias, keep, inv_keep, sc, qs, pd, mbuf):
    """One block of heads, ``(n, L, E)`` views: ``outb = dropout(softmax(qb kb^T sc + bias)) vb``.
    ``s`` (contiguous ``(n, L, S)``) ends up holding the probabilities before dropout; ``qs``,
    ``pd`` (when ``keep`` is given) and ``mbuf`` are scratch of the block's shapes."""
    np.multiply(qb, sc, out=qs)  # scaling (L, E) is cheaper than (L, S); contiguous for the GEMM
    np.matmul(qs, np.swapaxes(kb, -1, -2), out=s)
    if bias is not None:
        s += bias
    _softmax_block(s.reshape(-1, s.shape[-1]), mbuf)
    if keep is not None:
        np.multiply(s, keep, out=pd)
        pd *= inv_keep
    else:
        pd = s
    np.matmul(pd, vb, out=outb)


def backward_block(gb, qb, kb, vb, p, keep, inv_keep, sc, gq, gk, gv, ga, pd, qs):
    """Gradients of one block of heads into the views ``gq``/``gk``/``gv`` (None: not
    wanted), from the output gradient ``gb`` and the saved probabilities ``p``; ``ga``, ``pd``
    (with ``keep``) and ``qs`` are scratch of the block's shapes."""
    if gv is not None:
        if keep is not None:
            np.multiply(p, keep, out=pd)
            pd *= inv_keep
        else:
            pd = p
        np.matmul(np.swapaxes(pd, -1, -2), gb, out=gv)
    if gq is None and gk is None:
        return
    np.matmul(gb, np.swapaxes(vb, -1, -2), out=ga)  # gradient w.r.t. the kept probabilities
    if keep is not None:
        ga *= keep
        ga *= inv_keep
    S = p.shape[-1]
    rows, prow = ga.reshape(-1, S), p.reshape(-1, S)
    dot = rowdot(np, rows, prow)
    rows -= dot[:, None]
    rows *= prow  # now the gradient w.r.t. the (scaled, masked) scores
    if gq is not None:
        np.matmul(ga, kb, out=gq)
        gq *= sc
    if gk is not None:
        np.multiply(qb, sc, out=qs)
        np.matmul(np.swapaxes(ga, -1, -2), qs, out=gk)


def _blocked_forward(q, k, v, bias, keep, inv_keep, scale, save):
    """Attention over blocks of heads; returns ``(out, p or None)`` (``p``: the
    probabilities before dropout, kept only when ``save``)."""
    lead, L, E = q.shape[:-2], q.shape[-2], q.shape[-1]
    S, Ev = k.shape[-2], v.shape[-1]
    ct = q.dtype
    plan = _Plan(lead, L, S)
    out = np.empty_like(q, shape=lead + (L, Ev))  # the query's layout (order "K")
    p_all = np.empty(lead + (L, S), ct) if save else None
    biasb = None if bias is None else np.broadcast_to(bias, lead + (L, S))
    hb = plan.hb
    sc = ct.type(scale)

    def scratch():
        return (np.empty((hb, L, E), ct), np.empty((hb, L, S), ct), np.empty((hb, L, S), ct),
                np.empty((hb * L, 1), ct))

    def block(idx, n, buf):
        qs, sbuf, dbuf, mbuf = buf
        s = p_all[idx] if save else sbuf[:n]
        forward_block(q[idx], k[idx], v[idx], out[idx], s, None if biasb is None else biasb[idx],
                      None if keep is None else keep[idx], inv_keep, sc, qs[:n], dbuf[:n], mbuf[: n * L])

    _run(plan, block, scratch)
    return out, p_all


def _blocked_backward(g, q, k, v, p_all, keep, inv_keep, scale, want_q, want_k, want_v):
    lead, L, E = q.shape[:-2], q.shape[-2], q.shape[-1]
    S = k.shape[-2]
    ct = q.dtype
    plan = _Plan(lead, L, S)
    gq = np.empty_like(q) if want_q else None
    gk = np.empty_like(k) if want_k else None
    gv = np.empty_like(v) if want_v else None
    hb = plan.hb
    sc = ct.type(scale)

    def scratch():
        return np.empty((hb, L, S), ct), np.empty((hb, L, S), ct), np.empty((hb, L, E), ct)

    def block(idx, n, buf):
        abuf, dbuf, qbuf = buf
        backward_block(g[idx], q[idx], k[idx], v[idx], p_all[idx], None if keep is None else keep[idx], inv_keep,
                       sc, None if gq is None else gq[idx], None if gk is None else gk[idx],
                       None if gv is None else gv[idx], abuf[:n], dbuf[:n], qbuf[:n])

    _run(plan, block, scratch)
    return gq, gk, gv


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
    if S == 0:
        return _attention_no_keys(query, key, value, mask)
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
    parents = (query, key, value) if mask_parent is None else (query, key, value, mask_parent)
    want = needs_grad(*parents)
    if _blocked_ok(q, k, v, ct, mask_parent):
        return _attention_blocked(query, key, value, parents, bias, dropout_p, scale, device, want)
    return _attention_reference(query, key, value, parents, mask_parent, bias, dropout_p, scale, device, want)


def _attention_no_keys(query, key, value, mask):
    """Attention over zero keys, as torch: each query's weighted sum of no values is 0, and no
    input changes it (zero gradients; the key, value and mask gradients are empty)."""
    xp = query.xp
    parents = tuple(t for t in (query, key, value, mask) if t is not None and t.data.dtype.kind == "f")
    batch = np.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    out = xp.zeros(batch + (query.shape[-2], value.shape[-1]), dtype=query.dtype)

    def backward(g):
        return tuple(xp.zeros(t.shape, dtype=t.dtype) for t in parents)

    return make_result(out, parents, backward, "scaled_dot_product_attention", saved=())


def _attention_blocked(query, key, value, parents, bias, dropout_p, scale, device, want):
    q, k, v = query.data, key.data, value.data
    keep, inv_keep = None, 1.0
    if dropout_p > 0.0:
        keep = keep_mask(q.shape[:-1] + (k.shape[-2],), dropout_p, device, q.dtype)
        inv_keep = 1.0 / (1.0 - dropout_p) if dropout_p < 1.0 else 0.0
    out, p_all = _blocked_forward(q, k, v, bias, keep, inv_keep, scale, want)
    if not want:
        return make_result(out, parents, None, "scaled_dot_product_attention")

    def backward(g):
        g = g.astype(q.dtype, copy=False)
        return _blocked_backward(g, q, k, v, p_all, keep, inv_keep, scale,
                                 query.requires_grad, key.requires_grad, value.requires_grad)

    return make_result(out, parents, backward, "scaled_dot_product_attention", saved=(query, key, value))


def _attention_reference(query, key, value, parents, mask_parent, bias, dropout_p, scale, device, want):
    """The plain ``xp`` attention (any device, dtype and broadcast batch shapes)."""
    xp = query.xp
    q, k, v = query.data, key.data, value.data
    ct = compute_dtype(q.dtype)
    S = k.shape[-2]
    if q.dtype == ct:
        qs = q * ct.type(scale)  # scaling the (L, E) query is cheaper than the (L, S) scores
    else:
        qs = q.astype(ct)
        qs *= scale
    kc = k.astype(ct, copy=False)
    vc = v.astype(ct, copy=False)
    s = qs @ xp.swapaxes(kc, -1, -2)  # (..., L, S), a fresh buffer we own
    if bias is not None:
        s += bias
    p = s
    softmax_rows_(s.reshape(-1, S))  # in place: s is a fresh contiguous product, so this is a view
    keep = None
    if dropout_p > 0.0:
        keep = keep_mask(p.shape, dropout_p, device, ct)
        inv_keep = 1.0 / (1.0 - dropout_p) if dropout_p < 1.0 else 0.0
        pd = xp.multiply(p, keep, dtype=ct)
        pd *= inv_keep
    else:
        pd = p
    out = (pd @ vc).astype(q.dtype, copy=False)
    if not want:
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

    return make_result(out, parents, backward, "scaled_dot_product_attention", saved=(query, key, value))
