"""Packed attention (``F.packed_attention``) against the padded computation it replaces
(``scaled_dot_product_attention`` with a padding mask), PyTorch, finite differences, and
between its blocked NumPy kernel and its per-sequence reference path."""

import numpy as np
import pytest
import torch

import lucid
import lucid.nn.functional as F
from lucid.nn.kernels import attention as katt
from lucid.nn.kernels import packed_attention as kpack

RNG = np.random.default_rng(91)
LENGTHS = [5, 1, 9, 3]  # unequal, a one-token sequence, the longest not first


def _packed(lengths, heads, d, dtype):
    """q, k, v as (tokens, heads, d) views of (tokens, heads * d) projections, and the offsets."""
    t = sum(lengths)
    qkv = [RNG.standard_normal((t, heads * d)).astype(dtype).reshape(t, heads, d) for _ in range(3)]
    return qkv, np.concatenate([[0], np.cumsum(lengths)])


def _padded(a, lengths):
    """(tokens, heads, d) -> (batch, heads, longest, d), zeros after each sequence's end."""
    out = np.zeros((len(lengths), a.shape[1], max(lengths), a.shape[2]), a.dtype)
    start = 0
    for i, n in enumerate(lengths):
        out[i, :, :n] = a[start:start + n].transpose(1, 0, 2)
        start += n
    return out


def _unpad(a, lengths):
    return np.concatenate([a[i, :, :n].transpose(1, 0, 2) for i, n in enumerate(lengths)])


def _grads(out, inputs, seed=3):
    g = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
    (out * lucid.Tensor(g)).sum().backward()
    return [t.grad for t in inputs], g


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_equals_the_padded_computation_at_real_positions(dtype, threads):
    (q, k, v), offsets = _packed(LENGTHS, 4, 6, dtype)
    pt = [lucid.Tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.packed_attention(*pt, offsets)
    grads, g = _grads(out, pt)
    dt = [lucid.Tensor(_padded(a, LENGTHS), requires_grad=True) for a in (q, k, v)]
    keep = np.zeros((len(LENGTHS), 1, 1, max(LENGTHS)), bool)
    for i, n in enumerate(LENGTHS):
        keep[i, ..., :n] = True
    dense = F.scaled_dot_product_attention(*dt, attn_mask=lucid.Tensor(keep))
    (dense * lucid.Tensor(_padded(g, LENGTHS))).sum().backward()
    tol = 2e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out.numpy(), _unpad(dense.numpy(), LENGTHS), rtol=tol, atol=tol)
    for name, a, t in zip("qkv", grads, dt):
        np.testing.assert_allclose(a, _unpad(t.grad, LENGTHS), rtol=tol, atol=tol, err_msg=name)


def test_matches_torch_per_sequence(threads):
    (q, k, v), offsets = _packed(LENGTHS, 3, 8, np.float32)
    pt = [lucid.Tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.packed_attention(*pt, offsets, scale=0.3)
    grads, g = _grads(out, pt)
    tt = [torch.tensor(np.ascontiguousarray(a), requires_grad=True) for a in (q, k, v)]
    parts = [torch.nn.functional.scaled_dot_product_attention(*(t[lo:hi].transpose(0, 1) for t in tt), scale=0.3)
             .transpose(0, 1) for lo, hi in zip(offsets[:-1], offsets[1:])]
    ref = torch.cat(parts)
    (ref * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=2e-6, atol=2e-6)
    for a, t in zip(grads, tt):
        np.testing.assert_allclose(a, t.grad.numpy(), rtol=5e-6, atol=5e-6)


def test_gradients_against_finite_differences():
    (q, k, v), offsets = _packed([3, 2], 2, 3, np.float64)
    w = RNG.standard_normal((5, 2, 3))

    def loss(qa, ka, va):
        return float((F.packed_attention(lucid.Tensor(qa), lucid.Tensor(ka), lucid.Tensor(va), offsets).numpy()
                      * w).sum())

    pt = [lucid.Tensor(a.copy(), requires_grad=True) for a in (q, k, v)]
    (F.packed_attention(*pt, offsets) * lucid.Tensor(w)).sum().backward()
    eps = 1e-6
    for i, base in enumerate((q, k, v)):
        num = np.zeros(base.shape)
        for idx in np.ndindex(base.shape):
            args = [a.copy() for a in (q, k, v)]
            args[i][idx] += eps
            up = loss(*args)
            args[i][idx] -= 2 * eps
            num[idx] = (up - loss(*args)) / (2 * eps)
        np.testing.assert_allclose(pt[i].grad, num, rtol=1e-6, atol=1e-8)


def test_blocked_kernel_equals_the_reference_path(threads, monkeypatch):
    (q, k, v), offsets = _packed(LENGTHS, 5, 4, np.float32)
    monkeypatch.setattr(katt, "BLOCK_SCORES", 2 * 9 * 9)  # the longest sequence's 5 heads as 2 + 2 + 1

    def run(reference):
        with monkeypatch.context() as m:
            if reference:  # a compute dtype unlike the data's: each sequence through the ordinary op
                m.setattr(kpack, "compute_dtype", lambda dt: np.dtype(np.float64))
            pt = [lucid.Tensor(a, requires_grad=True) for a in (q, k, v)]
            out = F.packed_attention(*pt, offsets)
            return [out.numpy()] + _grads(out, pt)[0]

    fast, ref = run(False), run(True)
    for name, a, r in zip(("out", "gq", "gk", "gv"), fast, ref):
        np.testing.assert_allclose(a, r, rtol=2e-6, atol=2e-6, err_msg=name)


def test_dropout_drops_probabilities_and_backward_uses_the_same_mask(threads):
    (q, k, v), offsets = _packed([40, 25], 2, 4, np.float64)
    # each sequence's first 4 values are unit vectors: out[i, h, j] = dropped p[i, j] / (1 - 0.5)
    v = np.zeros((65, 2, 4))
    v[np.arange(4), :, np.arange(4)] = v[40 + np.arange(4), :, np.arange(4)] = 1.0
    pt = [lucid.Tensor(a, requires_grad=True) for a in (q, k, v)]
    lucid.random.seed(5)
    out = F.packed_attention(*pt, offsets, dropout_p=0.5)
    grads, g = _grads(out, pt)
    lucid.random.seed(5)
    again = F.packed_attention(*(lucid.Tensor(a) for a in (q, k, v)), offsets, dropout_p=0.5)
    np.testing.assert_array_equal(out.numpy(), again.numpy())  # one seed, one mask
    # the value gradient is (dropped probabilities)^T g: finite differences through the same seed
    eps = 1e-6
    for idx in [(0, 0, 0), (30, 1, 2), (50, 0, 3)]:
        vp, vm = v.copy(), v.copy()
        vp[idx] += eps
        vm[idx] -= eps
        vals = []
        for va in (vp, vm):
            lucid.random.seed(5)
            vals.append(float((F.packed_attention(lucid.Tensor(q), lucid.Tensor(k), lucid.Tensor(va), offsets,
                                                  dropout_p=0.5).numpy() * g).sum()))
        np.testing.assert_allclose(grads[2][idx], (vals[0] - vals[1]) / (2 * eps), rtol=1e-6, atol=1e-9)
    zero = (out.numpy() == 0).mean()  # 520 weights, each dropped with probability 0.5
    assert 0.4 < zero < 0.6


def test_empty_sequences_take_no_rows(threads):
    (q, k, v), offsets = _packed([3, 2], 2, 4, np.float32)
    with_empty = np.array([0, 0, 3, 3, 5])
    a = F.packed_attention(lucid.Tensor(q), lucid.Tensor(k), lucid.Tensor(v), offsets)
    b = F.packed_attention(lucid.Tensor(q), lucid.Tensor(k), lucid.Tensor(v), with_empty)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_no_grad_keeps_no_graph():
    (q, k, v), offsets = _packed(LENGTHS, 2, 4, np.float32)
    pt = [lucid.Tensor(a, requires_grad=True) for a in (q, k, v)]
    with lucid.no_grad():
        out = F.packed_attention(*pt, offsets)
    assert not out.requires_grad and out._node is None


@pytest.mark.parametrize("offsets,match", [
    ([0, 3, 4], "from 0 to the 5 tokens"), ([1, 5], "from 0"), ([0, 4, 3, 5], "non-decreasing"),
    ([[0, 5]], "1-D"), ([0.0, 5.0], "ints"),
])
def test_bad_offsets_are_named(offsets, match):
    q = lucid.ones(5, 2, 4)
    with pytest.raises(ValueError, match=match) as err:
        F.packed_attention(q, q, q, offsets)
    assert str(offsets[-1]) in str(err.value) or match in str(err.value)


def test_bad_shapes_raise():
    q = lucid.ones(5, 2, 4)
    with pytest.raises(ValueError, match="3-D"):
        F.packed_attention(lucid.ones(5, 8), q, q, [0, 5])
    with pytest.raises(ValueError, match="share"):
        F.packed_attention(q, lucid.ones(4, 2, 4), q, [0, 5])
    with pytest.raises(TypeError, match="dtype"):
        F.packed_attention(q, q.astype(lucid.Float64), q, [0, 5])


def test_gpu_path_equals_cpu(device):
    (q, k, v), offsets = _packed(LENGTHS, 3, 4, np.float32)
    cpu = F.packed_attention(*(lucid.Tensor(a) for a in (q, k, v)), offsets).numpy()
    dev = F.packed_attention(*(lucid.Tensor(a, device=device) for a in (q, k, v)), offsets)
    np.testing.assert_allclose(dev.numpy(), cpu, rtol=2e-6, atol=2e-6)
