"""Attention over packed sequences: the tokens of several sequences of different lengths
stored one after another, ``(tokens, heads, E)``, each sequence attending only to itself.

``offsets`` (``batch + 1`` non-decreasing ints from 0 to ``tokens``) marks where each
sequence starts; sequence ``i`` is rows ``offsets[i]:offsets[i + 1]``. This is what a padded
batch with a padding mask computes at its real positions, without the padded queries and
keys: no mask, no wasted ``(L, S)`` scores.

NumPy float32/float64 runs the blocked kernel of :mod:`.attention` on each sequence (its
heads cut into cache-sized blocks, the blocks of all sequences handed out to the kernel
threads, longest first); the probabilities are saved per sequence for backward. Other
arrays (CuPy, float16) run each sequence through the ordinary attention op and concatenate
the results, so the packed op is never a second implementation of the math.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..._function import make_result, needs_grad
from ...ops.shape import concatenate
from . import _blocks
from .attention import attention, backward_block, forward_block, head_blocks
from ._common import compute_dtype
from .dropout import keep_mask


class _Sequences:
    """The blocks of a packed batch: ``(rows, heads)`` slices, longest sequences first, and
    each sequence's place in the flat buffers of ``(heads, n, n)`` scores."""

    def __init__(self, offsets, heads):
        lengths = np.diff(offsets)
        self.spans = []  # (row slice, score offset, n) per non-empty sequence
        start = 0
        for i in np.argsort(-lengths, kind="stable"):
            n = int(lengths[i])
            if n:
                self.spans.append((slice(int(offsets[i]), int(offsets[i + 1])), start, n))
                start += heads * n * n
        self.scores = start  # elements of all sequences' (heads, n, n) scores
        self.blocks = []
        for j, (_, _, n) in enumerate(self.spans):
            _, hb = head_blocks(heads, n, n)
            self.blocks += [(j, slice(h, min(heads, h + hb))) for h in range(0, heads, hb)]
        self.longest = self.spans[0][2] if self.spans else 0
        self.widest = max((h.stop - h.start for _, h in self.blocks), default=0)

    def view(self, flat, j, heads):
        """Sequence ``j``'s ``(heads, n, n)`` piece of a flat scores buffer."""
        _, start, n = self.spans[j]
        return flat[start:start + heads * n * n].reshape(heads, n, n)


def _run(seqs, fn, scratch):
    counter = itertools.count()

    def work(lo, hi, buf):
        while True:
            u = next(counter)  # atomic under the GIL: blocks handed out one at a time
            if u >= len(seqs.blocks):
                return
            fn(*seqs.blocks[u], buf)

    with _blocks.single_threaded_blas():
        _blocks.run_tasks(max(1, min(len(seqs.blocks), _blocks.get_num_threads())), work, scratch)


def _heads_first(a, rows, heads):
    """``a[rows, heads]`` of a ``(tokens, heads, E)`` array as an ``(heads, n, E)`` view."""
    return a[rows, heads].transpose(1, 0, 2)


def _forward(q, k, v, offsets, dropout_p, scale, device, want):
    """Packed attention of ``(tokens, heads, E)`` arrays of the compute dtype; returns the
    output and what :func:`_backward` needs (None without ``want``)."""
    ct, heads = q.dtype, q.shape[1]
    seqs = _Sequences(offsets, heads)
    keep, inv_keep = None, 1.0
    if dropout_p > 0.0:
        keep = keep_mask((seqs.scores,), dropout_p, device, ct)
        inv_keep = 1.0 / (1.0 - dropout_p) if dropout_p < 1.0 else 0.0
    out = np.empty(q.shape[:2] + (v.shape[-1],), ct)  # the offsets cover every row
    p_flat = np.empty(seqs.scores, ct) if want else None
    sc = ct.type(scale)
    hb, n_max, E = seqs.widest, seqs.longest, q.shape[-1]

    def scratch():
        return (np.empty(hb * n_max * E, ct), np.empty(hb * n_max * n_max, ct), np.empty(hb * n_max * n_max, ct),
                np.empty((hb * n_max, 1), ct))

    def block(j, hs, buf):
        qs, sbuf, dbuf, mbuf = buf
        rows, _, n = seqs.spans[j]
        m = hs.stop - hs.start
        s = seqs.view(p_flat, j, heads)[hs] if want else sbuf[: m * n * n].reshape(m, n, n)
        kb = None if keep is None else seqs.view(keep, j, heads)[hs]
        forward_block(_heads_first(q, rows, hs), _heads_first(k, rows, hs), _heads_first(v, rows, hs),
                      _heads_first(out, rows, hs), s, None, kb, inv_keep, sc,
                      qs[: m * n * E].reshape(m, n, E), dbuf[: m * n * n].reshape(m, n, n), mbuf)

    _run(seqs, block, scratch)
    return out, ((seqs, p_flat, keep, inv_keep, sc) if want else None)


def _backward(g, q, k, v, state, gq, gk, gv):
    """Write the gradients into the ``(tokens, heads, E)`` arrays ``gq``/``gk``/``gv`` (None:
    not wanted) from the output gradient ``g``."""
    seqs, p_flat, keep, inv_keep, sc = state
    ct, heads = q.dtype, q.shape[1]
    hb, n_max, E = seqs.widest, seqs.longest, q.shape[-1]

    def scratch():
        return np.empty(hb * n_max * n_max, ct), np.empty(hb * n_max * n_max, ct), np.empty(hb * n_max * E, ct)

    def block(j, hs, buf):
        abuf, dbuf, qbuf = buf
        rows, _, n = seqs.spans[j]
        m = hs.stop - hs.start

        def part(a):
            return None if a is None else _heads_first(a, rows, hs)

        backward_block(part(g), part(q), part(k), part(v), seqs.view(p_flat, j, heads)[hs],
                       None if keep is None else seqs.view(keep, j, heads)[hs], inv_keep, sc,
                       part(gq), part(gk), part(gv), abuf[: m * n * n].reshape(m, n, n),
                       dbuf[: m * n * n].reshape(m, n, n), qbuf[: m * n * E].reshape(m, n, E))

    _run(seqs, block, scratch)


def _fast(*arrays):
    ct = compute_dtype(arrays[0].dtype)
    return all(isinstance(a, np.ndarray) and a.dtype == ct for a in arrays)


def packed_attention(query, key, value, offsets, dropout_p=0.0, scale=None, device="cpu"):
    """The packed attention op on ``(tokens, heads, E)`` tensors; ``offsets`` is a checked
    1-D NumPy int array (see the module docstring)."""
    q, k, v = query.data, key.data, value.data
    if scale is None:
        scale = 1.0 / float(q.shape[-1]) ** 0.5
    parents = (query, key, value)
    if not _fast(q, k, v):
        return _packed_reference(query, key, value, offsets, dropout_p, scale, device)
    want = needs_grad(*parents)
    out, state = _forward(q, k, v, offsets, dropout_p, scale, device, want)
    if not want:
        return make_result(out, parents, None, "packed_attention")

    def backward(g):
        grads = [np.empty_like(a) if t.requires_grad else None for a, t in zip((q, k, v), parents)]
        _backward(np.ascontiguousarray(g, dtype=q.dtype), q, k, v, state, *grads)
        return tuple(grads)

    return make_result(out, parents, backward, "packed_attention", saved=parents)


def packed_self_attention(qkv, heads, offsets, dropout_p=0.0, scale=None, device="cpu"):
    """Packed attention of one ``(tokens, 3 * heads * E)`` tensor holding each token's query,
    key and value side by side (one projection GEMM makes all three); returns
    ``(tokens, heads, E)``, and its backward one gradient array for ``qkv``, written in place
    by the blocks (no per-part gradients to add up)."""
    t = qkv.shape[0]
    parts = qkv.data.reshape(t, 3, heads, -1)
    q, k, v = parts[:, 0], parts[:, 1], parts[:, 2]
    if scale is None:
        scale = 1.0 / float(q.shape[-1]) ** 0.5
    if not _fast(parts):
        split = qkv.reshape(t, 3, heads, q.shape[-1])
        return _packed_reference(split[:, 0], split[:, 1], split[:, 2], offsets, dropout_p, scale, device)
    want = needs_grad(qkv)
    out, state = _forward(q, k, v, offsets, dropout_p, scale, device, want)
    if not want:
        return make_result(out, (qkv,), None, "packed_attention")

    def backward(g):
        grad = np.empty(parts.shape, parts.dtype)
        _backward(np.ascontiguousarray(g, dtype=parts.dtype), q, k, v, state, grad[:, 0], grad[:, 1], grad[:, 2])
        return (grad.reshape(qkv.shape),)

    return make_result(out, (qkv,), backward, "packed_attention", saved=(qkv,))


def _packed_reference(query, key, value, offsets, dropout_p, scale, device):
    """Each sequence through the ordinary attention op (any device and dtype), concatenated."""
    outs = []
    for lo, hi in zip(offsets[:-1].tolist(), offsets[1:].tolist()):
        if hi > lo:
            q, k, v = (t[lo:hi].transpose(1, 0, 2) for t in (query, key, value))
            outs.append(attention(q, k, v, None, dropout_p, False, scale, device).transpose(1, 0, 2))
    return concatenate(outs, axis=0)
