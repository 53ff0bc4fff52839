"""F.add_layer_norm (layer_norm(x + residual) as one op) against torch's
layer_norm(x + residual): values and gradients for both summands and the affine parameters,
float32 and float64, finite differences in float64, the error paths, and the device path."""

import numpy as np
import pytest
import torch

import lucid
import lucid.nn.functional as F

from test_functional_ops import finite_diff, parity, randn

TF = torch.nn.functional


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(4, 50, 96), (37, 96)])  # (batch, seq, hidden) and packed (tokens, hidden)
def test_matches_torch_float32(affine, shape, threads):
    x, r = randn(*shape, scale=3.0) + 5.0, randn(*shape)
    arrays = [x, r] + ([randn(96), randn(96)] if affine else [])

    def lf(x, r, *wb):
        return F.add_layer_norm(x, r, (96,), *wb, eps=1e-12)

    def tf(x, r, *wb):
        return TF.layer_norm(x + r, (96,), *wb, eps=1e-12)

    parity("add_layer_norm", lf, tf, arrays, fwd_tol=2e-5, grad_tol=5e-5)


def test_matches_torch_float64():
    x, r = randn(3, 7, 24, dtype=np.float64), randn(3, 7, 24, dtype=np.float64)
    w, b = randn(24, dtype=np.float64), randn(24, dtype=np.float64)
    lt = [lucid.Tensor(a, requires_grad=True) for a in (x, r, w, b)]
    tt = [torch.tensor(a, requires_grad=True) for a in (x, r, w, b)]
    lo = F.add_layer_norm(lt[0], lt[1], 24, lt[2], lt[3], eps=1e-5)
    to = TF.layer_norm(tt[0] + tt[1], (24,), tt[2], tt[3], eps=1e-5)
    g = randn(3, 7, 24, dtype=np.float64)
    (lo * lucid.Tensor(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    assert lo.dtype == np.float64
    np.testing.assert_allclose(lo.numpy(), to.detach().numpy(), rtol=0, atol=1e-12)
    for a, b in zip(lt, tt):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=0, atol=1e-11)


def test_finite_diff():
    arrays = [randn(2, 3, 6, dtype=np.float64) for _ in range(2)] + [randn(6, dtype=np.float64) for _ in range(2)]
    finite_diff(lambda x, r, w, b: F.add_layer_norm(x, r, 6, w, b), arrays)


def test_only_the_residual_needs_grad():
    x = lucid.Tensor(randn(2, 8))
    r = lucid.Tensor(randn(2, 8), requires_grad=True)
    F.add_layer_norm(x, r, 8).sum().backward()
    tr = torch.tensor(r.numpy(), requires_grad=True)
    TF.layer_norm(torch.tensor(x.numpy()) + tr, (8,)).sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(r.grad, tr.grad.numpy(), atol=1e-6)


def test_no_grad_keeps_no_graph():
    x = lucid.Tensor(randn(2, 8), requires_grad=True)
    with lucid.no_grad():
        y = F.add_layer_norm(x, x, (8,))
    assert not y.requires_grad


def test_inputs_are_not_changed_and_values_equal_the_unfused_op():
    x, r = randn(5, 8), randn(5, 8)
    xs, rs = x.copy(), r.copy()
    for wb in ((lucid.Tensor(randn(8)),), ()):  # with an affine, and without (y doubles as xhat)
        for grad in (False, True):
            xt = lucid.Tensor(x, requires_grad=grad)
            y = F.add_layer_norm(xt, lucid.Tensor(r), 8, *wb)
            np.testing.assert_array_equal(x, xs)
            np.testing.assert_array_equal(r, rs)
            np.testing.assert_array_equal(y.numpy(), F.layer_norm(lucid.Tensor(x + r), 8, *wb).numpy())


def test_mixed_dtypes_give_the_common_dtype():
    x, r = randn(3, 8), randn(3, 8, dtype=np.float64)
    y = F.add_layer_norm(lucid.Tensor(x), lucid.Tensor(r), 8)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.numpy(), TF.layer_norm(torch.tensor(x + r), (8,)).numpy(), atol=1e-12)


def test_errors():
    x = lucid.Tensor(randn(2, 3))
    with pytest.raises(ValueError, match=r"residual must have the input's shape \(2, 3\), got \(3,\)"):
        F.add_layer_norm(x, lucid.Tensor(randn(3)), 3)
    with pytest.raises(TypeError, match="residual must be a Tensor, got None"):
        F.add_layer_norm(x, None, 3)
    with pytest.raises(TypeError, match="residual must be a floating-point tensor, got dtype int64"):
        F.add_layer_norm(x, lucid.tensor([[1, 2, 3], [4, 5, 6]]), 3)
    with pytest.raises(ValueError, match=r"normalized_shape \(4,\)"):
        F.add_layer_norm(x, x, 4)
    with pytest.raises(ValueError, match="eps must be >= 0, got -1"):
        F.add_layer_norm(x, x, 3, eps=-1)


def test_device(device):
    x, r, w, b = randn(6, 16) + 2, randn(6, 16), randn(16), randn(16)
    ts = [lucid.Tensor(a, device=device, requires_grad=True) for a in (x, r, w, b)]
    y = F.add_layer_norm(*ts[:2], 16, *ts[2:])
    assert y.device == device
    y.sum().backward()
    tt = [torch.tensor(a, requires_grad=True) for a in (x, r, w, b)]
    TF.layer_norm(tt[0] + tt[1], (16,), tt[2], tt[3]).sum().backward()
    np.testing.assert_allclose(y.numpy(), TF.layer_norm(torch.tensor(x + r), (16,), torch.tensor(w),
                                                        torch.tensor(b)).numpy(), atol=2e-5)
    for a, t in zip(ts, tt):
        np.testing.assert_allclose(lucid.Tensor(a.grad).numpy(), t.grad.numpy(), atol=5e-5)
