"""The blocked, threaded NumPy paths of lucid.nn.kernels against their plain xp reference
code (and NumPy/PyTorch): attention over blocks of heads, GEMMs split over the kernel
threads with OpenBLAS held at one thread, the linear layer's fused bias and bias gradient."""

import numpy as np
import pytest
import torch

import lucid
import lucid.nn.functional as F
from lucid.nn.kernels import _blocks, single_threaded_blas
from lucid.nn.kernels import attention as katt

RNG = np.random.default_rng(77)


def _heads_view(b, s, h, d, dtype):
    """A (b, h, s, d) view of a (b, s, h * d) projection, as BERT's head split makes."""
    x = RNG.standard_normal((b, s, h * d)).astype(dtype)
    return x.reshape(b, s, h, d).transpose(0, 2, 1, 3)


def _assert_matches_torch(lo, to, lt, tt, out_tol, grad_tol):
    """Backpropagate one random upstream gradient through the lucid output ``lo`` and the
    torch output ``to``; compare the outputs (rtol = atol = ``out_tol``) and the gradients of
    the inputs ``lt`` / ``tt`` (``grad_tol`` = (rtol, atol))."""
    g = RNG.standard_normal(lo.shape).astype(np.float32)
    (lo * lucid.Tensor(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(lo.numpy(), to.detach().numpy(), rtol=out_tol, atol=out_tol)
    for a, t in zip(lt, tt):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=grad_tol[0], atol=grad_tol[1])


def _run_attention(q, k, v, mask, reference, monkeypatch, **kw):
    with monkeypatch.context() as m:
        if reference:
            m.setattr(katt, "_blocked_ok", lambda *a: False)
        ts = [lucid.Tensor(a.copy(order="K"), requires_grad=True) for a in (q, k, v)]
        out = F.scaled_dot_product_attention(*ts, attn_mask=None if mask is None else lucid.Tensor(mask), **kw)
        g = np.random.default_rng(5).standard_normal(out.shape).astype(q.dtype)
        (out * lucid.Tensor(g)).sum().backward()
    return [out.numpy()] + [t.grad for t in ts], out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mask_kind", [None, "pad_float", "pad_bool", "full_bool"])
@pytest.mark.parametrize("dropout_p", [0.0, 0.3])
@pytest.mark.parametrize("causal", [False, True])
def test_blocked_attention_equals_reference(dtype, mask_kind, dropout_p, causal, threads, monkeypatch):
    b, s, h, d = 3, 9, 5, 4
    q, k, v = (_heads_view(b, s, h, d, dtype) for _ in range(3))
    mask = None
    if mask_kind == "pad_float":
        mask = np.zeros((b, 1, 1, s), dtype)
        mask[0, ..., 5:] = np.finfo(dtype).min
    elif mask_kind == "pad_bool":
        mask = np.ones((b, 1, 1, s), bool)
        mask[1, ..., 3:] = False
    elif mask_kind == "full_bool":
        mask = RNG.random((b, h, s, s)) > 0.4
    monkeypatch.setattr(katt, "BLOCK_SCORES", 2 * s * s)  # blocks of 2 heads: 5 heads as 2 + 2 + 1
    lucid.random.seed(21)
    fast, out = _run_attention(q, k, v, mask, False, monkeypatch, dropout_p=dropout_p, is_causal=causal)
    lucid.random.seed(21)
    ref, _ = _run_attention(q, k, v, mask, True, monkeypatch, dropout_p=dropout_p, is_causal=causal)
    tol = 2e-6 if dtype == np.float32 else 1e-12
    for name, a, r in zip(("out", "gq", "gk", "gv"), fast, ref):
        np.testing.assert_allclose(a, r, rtol=tol, atol=tol, err_msg=name)
    # the output has the query's (b, s, h, d) layout, so merging the heads back is free
    assert out.data.transpose(0, 2, 1, 3).flags["C_CONTIGUOUS"]


def test_blocked_attention_matches_torch_in_bert_layout(threads):
    b, s, h, d = 2, 16, 4, 8
    q, k, v = (_heads_view(b, s, h, d, np.float32) for _ in range(3))
    mask = np.zeros((b, 1, 1, s), np.float32)
    mask[1, ..., 10:] = np.finfo(np.float32).min
    lt = [lucid.Tensor(a, requires_grad=True) for a in (q, k, v)]
    tt = [torch.tensor(np.ascontiguousarray(a), requires_grad=True) for a in (q, k, v)]
    lo = F.scaled_dot_product_attention(*lt, attn_mask=lucid.Tensor(mask))
    to = torch.nn.functional.scaled_dot_product_attention(*tt, attn_mask=torch.tensor(mask))
    _assert_matches_torch(lo, to, lt, tt, out_tol=2e-6, grad_tol=(5e-6, 5e-6))


def test_blocked_attention_no_grad_keeps_no_graph():
    q, k, v = (lucid.Tensor(_heads_view(2, 6, 3, 4, np.float32), requires_grad=True) for _ in range(3))
    with lucid.no_grad():
        out = F.scaled_dot_product_attention(q, k, v)
    assert not out.requires_grad and out._node is None


def test_blocked_attention_grad_for_value_only():
    q, k = (lucid.Tensor(_heads_view(2, 6, 3, 4, np.float32)) for _ in range(2))
    v = lucid.Tensor(_heads_view(2, 6, 3, 4, np.float32), requires_grad=True)
    F.scaled_dot_product_attention(q, k, v).sum().backward()
    p = torch.softmax(torch.tensor(q.numpy() @ k.numpy().swapaxes(-1, -2) / 2.0), -1).numpy()
    np.testing.assert_allclose(v.grad, p.swapaxes(-1, -2) @ np.ones((2, 3, 6, 4), np.float32), rtol=2e-6)
    assert q.grad is None and k.grad is None


# ---- GEMMs on the kernel threads ---------------------------------------------------------------
@pytest.mark.parametrize("m,k,n", [(64, 48, 200), (300, 40, 64), (7, 5, 3), (256, 256, 256)])
@pytest.mark.parametrize("transposed", [False, True])
def test_blocks_matmul_equals_numpy(m, k, n, transposed, threads, monkeypatch):
    monkeypatch.setattr(_blocks, "GEMM_SPLIT_MIN", 1)
    monkeypatch.setattr(_blocks, "GEMM_MIN_PIECE", 16)
    monkeypatch.setattr(_blocks, "GEMM_PIECES_PER_THREAD", 4)  # pieces handed out beyond one a thread
    a = RNG.standard_normal((k, m) if transposed else (m, k)).astype(np.float32)
    a = a.T if transposed else a
    b = RNG.standard_normal((k, n)).astype(np.float32)
    seen = []
    out = _blocks.matmul(a, b, epilogue=lambda piece, rows, cols: seen.append((rows, cols)))
    ref = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6 * np.abs(ref).max())
    covered = np.zeros((m, n), int)
    for rows, cols in seen:
        covered[rows, cols] += 1
    assert (covered == 1).all()  # every output entry in exactly one piece


@pytest.mark.parametrize("shape", [(2, 40, 24, 96), (2, 48, 96, 24)])  # split along out or in features
def test_linear_split_bias_and_grads_match_torch(shape, threads, monkeypatch):
    monkeypatch.setattr(_blocks, "GEMM_SPLIT_MIN", 1)
    monkeypatch.setattr(_blocks, "GEMM_MIN_PIECE", 8)
    monkeypatch.setattr(_blocks, "GEMM_PIECES_PER_THREAD", 4)
    b, s, n_in, n_out = shape
    x, w, bias = (RNG.standard_normal(sh).astype(np.float32) for sh in ((b, s, n_in), (n_out, n_in), (n_out,)))
    lt = [lucid.Tensor(a, requires_grad=True) for a in (x, w, bias)]
    tt = [torch.tensor(a, requires_grad=True) for a in (x, w, bias)]
    lo, to = F.linear(*lt), torch.nn.functional.linear(*tt)
    _assert_matches_torch(lo, to, lt, tt, out_tol=1e-5, grad_tol=(1e-5, 1e-4))


def test_single_threaded_blas_restores_and_nests():
    if not _blocks.blas_control_available():
        pytest.skip("NumPy's BLAS is not an OpenBLAS lucid can control")
    _set, get = _blocks._blas
    before = get()
    with single_threaded_blas():  # the public name (the CLI holds OpenBLAS through it)
        assert get() == 1
        with single_threaded_blas():
            assert get() == 1
        assert get() == 1
    assert get() == before


def test_run_tasks_covers_every_task_once(threads):
    hits = []
    _blocks.run_tasks(7, lambda lo, hi, buf: hits.extend(range(lo, hi)))
    assert sorted(hits) == list(range(7))
    assert _blocks.run_tasks(0, lambda lo, hi, buf: 1) == []


# ---- embedding backward --------------------------------------------------------------------------
@pytest.mark.parametrize("ids", [[3, 1, 3, 3, 0, 7, 1], [5], []])
def test_rows_scatter_add_equals_add_at(ids):
    from lucid.nn.kernels.embedding import rows_scatter_add

    ids = np.array(ids, dtype=np.int64)
    rows = RNG.standard_normal((ids.size, 4)).astype(np.float32)
    target = RNG.standard_normal((9, 4)).astype(np.float32)
    expected = target.copy()
    np.add.at(expected, ids, rows)
    np.testing.assert_allclose(rows_scatter_add(target, ids, rows), expected, rtol=1e-6, atol=1e-6)


# ---- GELU forward-only path ----------------------------------------------------------------------
def test_gelu_forward_only_path_matches_float64_reference(threads):
    from lucid.nn.kernels import gelu as kg

    x = np.linspace(-12, 12, 400001).astype(np.float32)
    x[:5] = [0.0, -0.0, 100.0, -100.0, np.float32(1e-30)]
    y, d = kg.gelu_arrays(x, "none", False)
    yr, _ = kg._reference(np, x.astype(np.float64), "none", False)
    assert d is None
    assert np.abs(y - yr).max() < 6e-7  # as for the path that also returns the derivative
    y_grad_path, _ = kg.gelu_arrays(x, "none", True)
    assert np.abs(y - y_grad_path).max() < 6e-7
    with lucid.no_grad():  # the functional op takes this path under no-grad
        np.testing.assert_array_equal(F.gelu(lucid.Tensor(x)).numpy(), y)


# ---- dropout masks drawn in blocks ---------------------------------------------------------------
def test_large_dropout_masks_do_not_depend_on_the_thread_count():
    from lucid.nn import kernels
    from lucid.nn.kernels import dropout as kd

    shape = (3, kd.DRAW_BLOCK + 1000)  # several blocks, the last one partial
    old = kernels.get_num_threads()
    masks = []
    try:
        for n in (1, 2, 3):
            kernels.set_num_threads(n)
            lucid.random.seed(7)
            masks.append([kd.keep_mask(shape, 0.3, "cpu", "float32") for _ in range(2)])
    finally:
        kernels.set_num_threads(old)
    for other in masks[1:]:
        for a, b in zip(masks[0], other):
            np.testing.assert_array_equal(a, b)
    first, second = masks[0]
    assert first.shape == shape and first.dtype == bool
    assert not np.array_equal(first, second)  # the generator moved on between calls
    flat = first.reshape(-1)
    blocks = [flat[i * kd.DRAW_BLOCK:(i + 1) * kd.DRAW_BLOCK] for i in range(3)]
    for blk in blocks:  # each block keeps ~70% (binomial sd ~0.0013)
        assert abs(blk.mean() - 0.7) < 0.01
    assert (blocks[0] == blocks[1]).mean() < 0.62  # independent blocks agree ~0.58 of the time


def test_large_float64_dropout_mask_and_op():
    from lucid.nn.kernels import dropout as kd

    lucid.random.seed(1)
    x = lucid.Tensor(np.ones(kd.DRAW_BLOCK * 2 + 3), requires_grad=True)
    y = F.dropout(x, 0.25)
    y.sum().backward()
    kept = y.numpy() != 0
    assert y.dtype == np.float64 and abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_array_equal(y.numpy()[kept], 1 / 0.75)
    np.testing.assert_array_equal(x.grad, np.where(kept, 1 / 0.75, 0.0))
    lucid.random.seed(1)
    np.testing.assert_array_equal(F.dropout(lucid.Tensor(np.ones(kd.DRAW_BLOCK * 2 + 3)), 0.25).numpy(), y.numpy())
