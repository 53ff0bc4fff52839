"""lucid.nn.functional against torch.nn.functional (float32, forward and gradients) and
against central finite differences in float64; softmax and cross-entropy stay finite on huge
logits and all-ignored targets."""

import numpy as np
import pytest
import torch

import lucid
import lucid.nn.functional as F
from lucid.nn.kernels import _blocks

TF = torch.nn.functional
RNG = np.random.default_rng(1234)

# Measured max abs errors vs PyTorch, filled by the parity tests (printed with -s).
ERRORS = {}


def randn(*shape, dtype=np.float32, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(dtype)


def parity(name, lucid_fn, torch_fn, arrays, fwd_tol=1e-5, grad_tol=1e-5, grad_mask=None):
    """Run both frameworks on copies of ``arrays`` (float32), compare outputs and the
    gradients of ``sum(out * r)`` for a random ``r``; return the max abs errors."""
    grad_mask = grad_mask or [True] * len(arrays)
    lt = [lucid.Tensor(a.copy(), requires_grad=m and a.dtype.kind == "f") for a, m in zip(arrays, grad_mask)]
    tt = [torch.tensor(a.copy(), requires_grad=m and a.dtype.kind == "f") for a, m in zip(arrays, grad_mask)]
    lo, to = lucid_fn(*lt), torch_fn(*tt)
    r = randn(*lo.shape)
    (lo * lucid.Tensor(r)).sum().backward()
    (to * torch.tensor(r)).sum().backward()
    assert lo.shape == tuple(to.shape)
    pairs = {"forward": (lo.numpy(), to.detach().numpy())}
    for i, (a, b) in enumerate(zip(lt, tt)):
        if b.grad is not None:
            assert a.grad is not None, f"{name}: input {i} got no gradient"
            pairs[f"grad{i}"] = (a.grad, b.grad.numpy())
    errs = {}
    for k, (mine, ref) in pairs.items():
        err = float(np.abs(mine - ref).max()) if ref.size else 0.0
        errs[k] = err
        ERRORS.setdefault(name, {})[k] = max(ERRORS.get(name, {}).get(k, 0.0), err)
        # tolerances are absolute for values of order 1 and relative to the largest value beyond
        bound = (fwd_tol if k == "forward" else grad_tol) * max(1.0, float(np.abs(ref).max()) if ref.size else 1.0)
        assert err <= bound, (name, k, errs)
    return errs


def finite_diff(fn, arrays, wrt=None, eps=1e-6, tol=1e-6):
    """Compare the analytic gradients of ``sum(fn(*ts) * r)`` with central differences (float64)."""
    wrt = range(len(arrays)) if wrt is None else wrt
    ts = [lucid.Tensor(a, requires_grad=i in wrt) for i, a in enumerate(arrays)]
    out = fn(*ts)
    r = RNG.standard_normal(out.shape)
    (out * lucid.Tensor(r)).sum().backward()
    for i in wrt:
        a = arrays[i]
        num = np.zeros_like(a)
        it = np.nditer(a, flags=["multi_index"])
        for _ in it:
            idx = it.multi_index
            old = a[idx]
            a[idx] = old + eps
            plus = float((fn(*[lucid.Tensor(b) for b in arrays]).numpy() * r).sum())
            a[idx] = old - eps
            minus = float((fn(*[lucid.Tensor(b) for b in arrays]).numpy() * r).sum())
            a[idx] = old
            num[idx] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(ts[i].grad, num, rtol=tol, atol=tol, err_msg=f"input {i}")


# ---- linear ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5,), (4, 6), (2, 3, 6)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_parity(shape, bias):
    n_in = shape[-1]
    arrays = [randn(*shape[:-1], n_in), randn(7, n_in)] + ([randn(7)] if bias else [])
    parity("linear", F.linear, TF.linear, arrays)


def test_linear_finite_diff():
    finite_diff(F.linear, [randn(2, 3, 4, dtype=np.float64), randn(5, 4, dtype=np.float64), randn(5, dtype=np.float64)])


def test_linear_input_only_grad():
    x = lucid.Tensor(randn(3, 4), requires_grad=True)
    w = lucid.Tensor(randn(2, 4))
    F.linear(x, w).sum().backward()
    np.testing.assert_allclose(x.grad, np.broadcast_to(w.numpy().sum(0), (3, 4)), rtol=1e-6)
    assert w.grad is None


# ---- gelu / relu / tanh ----------------------------------------------------------------------
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_parity(approximate, threads):
    x = randn(300, 700, scale=3.0)  # big enough for several blocks and both threads
    x[0, :6] = [0.0, -0.0, 10.0, -10.0, 40.0, -40.0]
    # torch's own tanh-GELU derivative is up to 1e-6 off the float64 value (ours 2.4e-7, see below),
    # times |upstream| up to ~4 here
    grad_tol = 2e-6 if approximate == "none" else 5e-6
    parity("gelu" if approximate == "none" else "gelu_tanh", lambda t: F.gelu(t, approximate),
           lambda t: TF.gelu(t, approximate=approximate), [x], fwd_tol=2e-6, grad_tol=grad_tol)


def test_gelu_of_huge_finite_inputs_matches_torch():
    x = np.array([3e38, -3e38, 1.7e38, -1.7e38, 1e30, -1e30], np.float32)
    with np.errstate(over="ignore"):  # x * x overflows inside the kernel; the output must not
        y = F.gelu(lucid.Tensor(x)).numpy()
    np.testing.assert_array_equal(y, TF.gelu(torch.tensor(x)).numpy())


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_finite_diff(approximate):
    finite_diff(lambda t: F.gelu(t, approximate), [randn(3, 5, dtype=np.float64, scale=2.0)])


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_fused_float32_matches_float64_reference(approximate):
    from lucid.nn.kernels import gelu as kg

    x = np.linspace(-12, 12, 400001).astype(np.float32)
    x[:3] = [0.0, 100.0, -100.0]
    y, d = kg.gelu_arrays(x, approximate, True)
    yr, dr = kg._reference(np, x.astype(np.float64), approximate, True)
    # float32 rounding of outputs up to 12 is 4.8e-7 (ulp 9.5e-7)
    assert np.abs(y - yr).max() < 6e-7
    assert np.abs(d - dr).max() < 4e-7


def test_gelu_float16_computes_in_float32():
    x = randn(50).astype(np.float16)
    y = F.gelu(lucid.Tensor(x))
    assert y.dtype == np.float16
    ref = TF.gelu(torch.tensor(x.astype(np.float32))).numpy()
    assert np.abs(y.numpy().astype(np.float32) - ref).max() < 2e-3


def test_relu_tanh_parity():
    x = randn(4, 9)
    parity("relu", F.relu, TF.relu, [x])
    parity("tanh", F.tanh, torch.tanh, [x], fwd_tol=1e-6, grad_tol=1e-6)


def test_relu_tanh_finite_diff():
    x = randn(3, 4, dtype=np.float64)
    x[np.abs(x) < 1e-3] = 0.5  # keep relu away from its kink
    finite_diff(F.relu, [x])
    finite_diff(F.tanh, [x])


# ---- layer_norm ------------------------------------------------------------------------------
@pytest.mark.parametrize("affine", [(True, True), (True, False), (False, True), (False, False)])
def test_layer_norm_parity(affine, threads):
    x = randn(4, 400, 96, scale=3.0) + 5.0  # several row blocks, on both threads
    arrays = [x] + ([randn(96)] if affine[0] else []) + ([randn(96)] if affine[1] else [])

    def lf(t, *wb):
        w = wb[0] if affine[0] else None
        b = wb[-1] if affine[1] else None
        return F.layer_norm(t, (96,), w, b, eps=1e-12)

    def tf(t, *wb):
        w = wb[0] if affine[0] else None
        b = wb[-1] if affine[1] else None
        return TF.layer_norm(t, (96,), w, b, eps=1e-12)

    parity("layer_norm", lf, tf, arrays, fwd_tol=2e-5, grad_tol=5e-5)


def test_layer_norm_multi_dim_shape():
    x, w, b = randn(3, 4, 5), randn(4, 5), randn(4, 5)
    parity("layer_norm", lambda *t: F.layer_norm(t[0], (4, 5), t[1], t[2]),
           lambda *t: TF.layer_norm(t[0], (4, 5), t[1], t[2]), [x, w, b], fwd_tol=2e-5, grad_tol=5e-5)


def test_layer_norm_finite_diff():
    arrays = [randn(2, 3, 6, dtype=np.float64), randn(6, dtype=np.float64), randn(6, dtype=np.float64)]
    finite_diff(lambda x, w, b: F.layer_norm(x, 6, w, b), arrays)


def test_layer_norm_no_grad_keeps_no_graph():
    x = lucid.Tensor(randn(2, 8), requires_grad=True)
    with lucid.no_grad():
        y = F.layer_norm(x, (8,))
    assert not y.requires_grad


# ---- softmax / log_softmax -------------------------------------------------------------------
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_parity(axis, threads):
    x = randn(40, 30, 200, scale=4.0)
    parity("softmax", lambda t: F.softmax(t, axis=axis), lambda t: TF.softmax(t, dim=axis), [x],
           fwd_tol=1e-6, grad_tol=2e-6)
    parity("log_softmax", lambda t: F.log_softmax(t, axis=axis), lambda t: TF.log_softmax(t, dim=axis), [x],
           fwd_tol=5e-6, grad_tol=5e-6)


def test_softmax_large_values_stay_finite():
    y = F.softmax(lucid.tensor([[1e30, -1e30, 0.0], [3e38, 3e38, 3e38]]))
    np.testing.assert_allclose(y.numpy(), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-7)


def test_softmax_finite_diff():
    finite_diff(lambda t: F.softmax(t, axis=1), [randn(2, 4, 3, dtype=np.float64)])
    finite_diff(lambda t: F.log_softmax(t, axis=-1), [randn(3, 5, dtype=np.float64)])


def test_softmax_dim_alias():
    x = randn(3, 4)
    np.testing.assert_allclose(F.softmax(lucid.Tensor(x), dim=0).numpy(), TF.softmax(torch.tensor(x), 0).numpy(),
                               atol=1e-7)


# ---- cross_entropy ---------------------------------------------------------------------------
CE_CASES = [
    dict(),
    dict(reduction="sum"),
    dict(reduction=None),
    dict(reduction="none"),
    dict(label_smoothing=0.1),
    dict(weight=True),
    dict(weight=True, label_smoothing=0.2),
    dict(weight=True, reduction="sum", label_smoothing=0.3),
    dict(weight=True, reduction=None, label_smoothing=0.3),
    dict(ignore_index=2),
]


@pytest.mark.parametrize("kw", CE_CASES, ids=[str(k) for k in CE_CASES])
@pytest.mark.parametrize("shape", [(9, 5), (4, 5, 3, 2), (5,)])
def test_cross_entropy_parity(kw, shape):
    kw = dict(kw)
    c = shape[1] if len(shape) > 1 else shape[0]
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    target = RNG.integers(0, c, size=tshape)
    ignore = kw.get("ignore_index", -100)
    if target.ndim:
        target.reshape(-1)[::3] = ignore  # some ignored targets
    arrays = [randn(*shape, scale=3.0)]
    if kw.pop("weight", False):
        arrays.append(RNG.uniform(0.5, 2.0, size=c).astype(np.float32))
    red = kw.pop("reduction", "mean")

    def lf(x, *w):
        return F.cross_entropy(x, lucid.tensor(target), weight=w[0] if w else None, reduction=red, **kw)

    def tf(x, *w):
        return TF.cross_entropy(x, torch.tensor(target), weight=w[0] if w else None,
                                reduction="none" if red is None else red, **kw)

    parity("cross_entropy", lf, tf, arrays, fwd_tol=5e-6, grad_tol=1e-6, grad_mask=[True, False])


def test_cross_entropy_all_ignored_is_zero_with_zero_grad():
    x = lucid.Tensor(randn(3, 4), requires_grad=True)
    loss = F.cross_entropy(x, lucid.tensor([-100, -100, -100]), label_smoothing=0.1)
    assert loss.item() == 0.0
    loss.backward()
    assert np.all(x.grad == 0) and np.all(np.isfinite(x.grad))
    w = lucid.tensor([1.0, 2.0, 3.0, 4.0])
    loss = F.cross_entropy(lucid.Tensor(randn(2, 4)), lucid.tensor([-100, -100]), weight=w)
    assert loss.item() == 0.0


def test_cross_entropy_finite_diff():
    target = np.array([1, 3, -100, 0])
    w = np.array([0.5, 1.0, 2.0, 1.5])
    for kw in (dict(), dict(label_smoothing=0.2), dict(reduction="sum", weight=lucid.Tensor(w))):
        finite_diff(lambda x: F.cross_entropy(x, lucid.tensor(target), **kw), [randn(4, 4, dtype=np.float64)])
    finite_diff(lambda x: F.cross_entropy(x, lucid.tensor(target), reduction=None, label_smoothing=0.1),
                [randn(4, 4, dtype=np.float64)])


def _finite(x):
    """No NaN or inf in a tensor or array of any float dtype."""
    x = x.numpy() if isinstance(x, lucid.Tensor) else np.asarray(x)
    return bool(np.isfinite(x.astype(np.float64)).all())


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_huge_logits_in_softmax_and_cross_entropy(dtype):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((5, 7)) * 1e4).astype(dtype)
    if dtype == "float16":
        x = np.clip(x, -6e4, 6e4).astype(dtype)
    target = np.array([0, 3, 6, 2, 1])
    ref = torch.tensor(x.astype(np.float64), requires_grad=True)
    ref_loss = torch.nn.functional.cross_entropy(ref, torch.tensor(target))
    ref_loss.backward()
    t = lucid.tensor(x, requires_grad=True)
    loss = F.cross_entropy(t, lucid.tensor(target))
    loss.backward()
    assert _finite(loss) and _finite(t.grad)
    np.testing.assert_allclose(float(loss.item()), ref_loss.item(), rtol=2e-3 if dtype == "float16" else 1e-6)
    np.testing.assert_allclose(t.grad.astype(np.float64), ref.grad.numpy(), atol=2e-3 if dtype == "float16" else 1e-6)
    p = F.softmax(lucid.tensor(x), axis=-1)
    lp = F.log_softmax(lucid.tensor(x), axis=-1)
    assert _finite(p) and _finite(lp)
    np.testing.assert_allclose(lp.numpy().astype(np.float64), torch.log_softmax(ref.detach(), -1).numpy(),
                               rtol=2e-3 if dtype == "float16" else 1e-6)


def test_cross_entropy_all_ignored_is_zero_not_nan():
    x = lucid.tensor(np.ones((3, 4), np.float32), requires_grad=True)
    loss = F.cross_entropy(x, lucid.tensor([-100, -100, -100]))
    loss.backward()
    assert float(loss.item()) == 0.0 and not np.any(x.grad) and np.isfinite(x.grad).all()


def test_cross_entropy_big_logits_finite():
    loss = F.cross_entropy(lucid.tensor([[1e4, -1e4, 0.0]]), lucid.tensor([1]))
    assert np.isclose(loss.item(), 2e4, rtol=1e-6)


# ---- embedding -------------------------------------------------------------------------------
def test_embedding_parity_and_padding():
    w = randn(10, 4)
    ids = np.array([[1, 2, 2, 0], [9, 2, 0, 0]])
    parity("embedding", lambda t: F.embedding(lucid.tensor(ids), t, padding_idx=0),
           lambda t: TF.embedding(torch.tensor(ids), t, padding_idx=0), [w], fwd_tol=0, grad_tol=1e-6)
    wt = lucid.Tensor(w, requires_grad=True)
    F.embedding(lucid.tensor(ids), wt, padding_idx=-1).sum().backward()  # -1 means row 9
    assert np.all(wt.grad[9] == 0) and np.all(wt.grad[2] == 3)


def test_embedding_finite_diff():
    ids = lucid.tensor([[3, 1], [1, 4]])
    finite_diff(lambda w: F.embedding(ids, w), [randn(5, 3, dtype=np.float64)])
    w = lucid.Tensor(randn(5, 3, dtype=np.float64), requires_grad=True)
    F.embedding(ids, w, padding_idx=3).sum().backward()  # the output depends on row 3, its gradient stays 0
    np.testing.assert_array_equal(w.grad, [[0] * 3, [2] * 3, [0] * 3, [0] * 3, [1] * 3])


# ---- dropout ---------------------------------------------------------------------------------
def test_dropout_statistics_and_grad():
    x = lucid.ones(200, 500, requires_grad=True)
    y = F.dropout(x, 0.3)
    vals = y.numpy()
    kept = vals != 0
    assert abs(kept.mean() - 0.7) < 0.005  # 100k samples: std ~0.0015
    np.testing.assert_allclose(vals[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, vals)  # gradient is the same mask times the scale


def test_dropout_eval_and_edge_probabilities():
    x = lucid.Tensor(randn(5, 5), requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    y = F.dropout(x, 1.0)
    assert np.all(y.numpy() == 0)
    y.sum().backward()
    assert np.all(x.grad == 0)


def test_dropout_reproducible_with_seed():
    lucid.random.seed(7)
    a = F.dropout(lucid.ones(50), 0.5).numpy()
    lucid.random.seed(7)
    b = F.dropout(lucid.ones(50), 0.5).numpy()
    np.testing.assert_array_equal(a, b)


# ---- scaled_dot_product_attention ------------------------------------------------------------
def _sdpa_case(mask_kind, L=5, S=6, E=8, Ev=7, batch=(2, 3)):
    q, k, v = randn(*batch, L, E), randn(*batch, S, E), randn(*batch, S, Ev)
    mask = None
    if mask_kind == "bool_pad":  # (N, 1, 1, S) padding mask, as BERT builds it
        m = np.ones((batch[0], 1, 1, S), bool)
        m[0, ..., -2:] = False
        mask = m
    elif mask_kind == "bool_full":
        mask = RNG.random((*batch, L, S)) > 0.3
        mask[..., 0] = True
    elif mask_kind == "float_pad":
        m = np.zeros((batch[0], 1, 1, S), np.float32)
        m[1, ..., 3:] = np.finfo(np.float32).min  # no row fully masked (see the test below for that)
        mask = m
    elif mask_kind == "float_bias":  # a general additive bias broadcast over the batch
        mask = randn(L, S)
    return q, k, v, mask


@pytest.mark.parametrize("mask_kind", [None, "bool_pad", "bool_full", "float_pad", "float_bias"])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("scale", [None, 0.3])
def test_sdpa_parity(mask_kind, causal, scale):
    q, k, v, mask = _sdpa_case(mask_kind)
    if causal and mask is not None:
        if mask.dtype == bool:  # torch forbids mask + is_causal: fold the causal part into the mask
            tmask = mask & np.tri(5, 6, dtype=bool)
        else:
            fmin = np.finfo(np.float32).min
            with np.errstate(over="ignore"):
                tmask = np.maximum(mask + np.where(np.tri(5, 6, dtype=bool), 0, fmin).astype(np.float32), fmin)
    else:
        tmask = mask

    def lf(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=None if mask is None else lucid.tensor(mask),
                                              is_causal=causal, scale=scale)

    def tf(q, k, v):
        return TF.scaled_dot_product_attention(q, k, v, attn_mask=None if tmask is None else torch.tensor(tmask),
                                               is_causal=causal and tmask is None, scale=scale)

    parity("scaled_dot_product_attention", lf, tf, [q, k, v], fwd_tol=2e-6, grad_tol=5e-6)


def test_sdpa_float_mask_gradient_and_broadcast_batch():
    q, k, v = randn(2, 4, 3), randn(4, 3), randn(4, 5)  # key/value broadcast over the batch
    bias = randn(4, 4) if False else randn(1, 4, 4)
    parity("scaled_dot_product_attention", lambda q, k, v, b: F.scaled_dot_product_attention(q, k, v, attn_mask=b),
           lambda q, k, v, b: TF.scaled_dot_product_attention(q, k, v, attn_mask=b), [q, k, v, bias],
           fwd_tol=2e-6, grad_tol=5e-6)


def test_sdpa_finite_diff():
    q, k, v = (randn(2, 3, 4, dtype=np.float64) for _ in range(3))
    bias = randn(3, 3, dtype=np.float64)
    finite_diff(lambda q, k, v, b: F.scaled_dot_product_attention(q, k, v, attn_mask=b, is_causal=True, scale=0.7),
                [q, k, v, bias])


def test_sdpa_fully_masked_row_stays_finite():
    q = lucid.Tensor(randn(1, 3, 4), requires_grad=True)
    k, v = lucid.Tensor(randn(1, 3, 4)), lucid.Tensor(randn(1, 3, 4))
    mask = lucid.tensor(np.array([[True, True, True], [False, False, False], [True, False, True]]))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert np.all(np.isfinite(out.numpy()))
    np.testing.assert_allclose(out.numpy()[0, 1], v.numpy()[0].mean(0), rtol=1e-5)  # uniform weights
    out.sum().backward()
    assert np.all(np.isfinite(q.grad))


def test_sdpa_dropout_train_only():
    q, k, v = (lucid.Tensor(randn(2, 64, 8)) for _ in range(3))
    ref = F.scaled_dot_product_attention(q, k, v).numpy()
    np.testing.assert_array_equal(F.scaled_dot_product_attention(q, k, v, dropout_p=0.0).numpy(), ref)
    lucid.random.seed(3)
    d1 = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy()
    assert not np.allclose(d1, ref)
    # dropout on probabilities: with v = ones, each output row is sum(kept p) / (1 - p), mean 1
    ones = lucid.ones(2, 64, 8)
    d2 = F.scaled_dot_product_attention(q, k, ones, dropout_p=0.5).numpy()
    assert abs(d2.mean() - 1.0) < 0.05 and d2.std() > 0.05


def test_sdpa_dropout_grad_matches_finite_diff():
    q, k, v = (randn(1, 4, 3, dtype=np.float64) for _ in range(3))

    def fn(q, k, v):
        lucid.random.seed(11)  # the same mask in every evaluation
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)

    finite_diff(fn, [q, k, v])
