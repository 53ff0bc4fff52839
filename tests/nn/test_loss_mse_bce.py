"""F.mse_loss and F.binary_cross_entropy_with_logits: against torch (forward and both
gradients, float32 and float64, every reduction, weight/pos_weight broadcasting), against
central finite differences in float64, at extreme logits, and their error messages."""

from __future__ import annotations

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
RNG = np.random.default_rng(7)
REDUCTIONS = ["mean", "sum", "none"]
TOL = {np.float32: 2e-6, np.float64: 1e-12}


def _run(fn, arrays, device, grad=(0, 1)):
    """``fn`` on lucid tensors of ``arrays`` (gradients for the indices in ``grad``), its output
    and the gradients of ``sum(out * r)``, as NumPy arrays; ``r`` is fixed by the output's shape."""
    ts = [None if a is None else lucid.tensor(a, device=device, requires_grad=i in grad)
          for i, a in enumerate(arrays)]
    out = fn(*ts)
    r = np.random.default_rng(0).standard_normal(out.shape).astype(arrays[0].dtype)
    (out * lucid.tensor(r, device=device)).sum().backward()
    return out, r, [None if t is None or i not in grad else lucid.Tensor(t.grad).numpy() for i, t in enumerate(ts)]


def _torch(fn, arrays, r, grad=(0, 1)):
    ts = [None if a is None else torch.tensor(a, requires_grad=i in grad) for i, a in enumerate(arrays)]
    out = fn(*ts)
    (out * torch.tensor(r)).sum().backward()
    return out.detach().numpy(), [None if t is None or i not in grad else t.grad.numpy() for i, t in enumerate(ts)]


def _compare(ours, theirs, tol):
    out, _, grads = ours
    ref_out, ref_grads = theirs
    assert out.shape == ref_out.shape and out.dtype == ref_out.dtype
    scale = max(1.0, float(np.abs(ref_out).max()))
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=tol, atol=tol * scale)
    for i, (g, ref) in enumerate(zip(grads, ref_grads)):
        if ref is not None:
            np.testing.assert_allclose(g, ref, rtol=tol, atol=tol, err_msg=f"gradient of argument {i}")


# ---- binary cross-entropy on logits ----------------------------------------------------------
# (weight shape, pos_weight shape) for an input of shape (4, 3): none, per class, per row, both
WEIGHTS = [(None, None), ((3,), None), ((4, 1), None), (None, (3,)), ((4, 3), (3,)), ((1, 3), (4, 1))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("w_shape, pw_shape", WEIGHTS, ids=[f"w{w}-pw{p}" for w, p in WEIGHTS])
def test_bce_with_logits_matches_torch(device, dtype, reduction, w_shape, pw_shape):
    x = (RNG.standard_normal((4, 3)) * 4).astype(dtype)
    y = RNG.random((4, 3)).astype(dtype)
    y[0] = [0.0, 1.0, 1.0]  # hard targets too
    w = None if w_shape is None else RNG.random(w_shape).astype(dtype) + 0.5
    pw = None if pw_shape is None else RNG.random(pw_shape).astype(dtype) * 3
    ours = _run(lambda a, b, c, d: F.binary_cross_entropy_with_logits(a, b, weight=c, reduction=reduction,
                                                                       pos_weight=d), [x, y, w, pw], device)
    assert ours[0].device == device
    theirs = _torch(lambda a, b, c, d: TF.binary_cross_entropy_with_logits(a, b, weight=c, reduction=reduction,
                                                                           pos_weight=d), [x, y, w, pw], ours[1])
    _compare(ours, theirs, TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_bce_with_logits_stays_finite_at_huge_logits(device, dtype):
    x = np.array([1e4, -1e4, 1e4, -1e4, 80.0, -80.0], dtype=dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.0, 1.0], dtype=dtype)
    out, r, grads = _run(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none"), [x, y], device)
    ref, ref_grads = _torch(lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction="none"), [x, y], r)
    assert np.all(np.isfinite(out.numpy())) and np.all(np.isfinite(grads[0])) and np.all(np.isfinite(grads[1]))
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6)
    np.testing.assert_allclose(out.numpy()[:4], [1e4, 1e4, 0.0, 0.0])
    np.testing.assert_allclose(grads[0], ref_grads[0], rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(grads[0] / r, [1.0, -1.0, 0.0, 0.0, 1.0, -1.0], atol=1e-30)


def test_bce_with_logits_gradient_at_zero_is_sigmoid_minus_target(device):
    y = np.array([0.0, 0.25, 0.5, 1.0], dtype=np.float32)
    x = lucid.zeros(4, device=device, requires_grad=True)
    F.binary_cross_entropy_with_logits(x, lucid.tensor(y, device=device), reduction="sum").backward()
    assert lucid.Tensor(x.grad).numpy().tolist() == (0.5 - y).tolist()  # exact: sigmoid(0) = 0.5


def test_bce_with_logits_finite_differences():
    x = RNG.standard_normal((3, 4)) * 3
    y = RNG.random((3, 4))
    w, pw = RNG.random(4) + 0.5, RNG.random((3, 1)) * 2 + 0.1
    for reduction in REDUCTIONS:
        _finite_diff(lambda a, b: F.binary_cross_entropy_with_logits(
            a, b, weight=lucid.tensor(w), reduction=reduction, pos_weight=lucid.tensor(pw)), [x, y])


def test_bce_with_logits_float16_and_autocast():
    x = lucid.tensor([[0.5, -2.0]], dtype=lucid.Float16)
    y = lucid.tensor([[1.0, 0.0]], dtype=lucid.Float16)
    plain = F.binary_cross_entropy_with_logits(x, y)
    assert plain.dtype == np.float16  # computed in float32, returned in the input's dtype
    want = TF.binary_cross_entropy_with_logits(torch.tensor([[0.5, -2.0]]), torch.tensor([[1.0, 0.0]])).item()
    assert abs(plain.item() - want) < 1e-3
    with lucid.amp.autocast(device="cpu"):
        cast = F.binary_cross_entropy_with_logits(x, y)
    assert cast.dtype == np.float32 and abs(cast.item() - want) < 1e-6


def test_bce_with_logits_targets_from_lists_and_no_graph_without_grad():
    x = lucid.tensor([[0.0, 1.0]])
    out = F.binary_cross_entropy_with_logits(x, [[1, 0]])  # integer targets are computed in x's dtype
    want = TF.binary_cross_entropy_with_logits(torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 0.0]])).item()
    assert abs(out.item() - want) < 1e-6 and not out.requires_grad and out._node is None


def test_bce_with_logits_errors_name_the_value():
    x = lucid.zeros(4, 3)
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or None, got 'avg'"):
        F.binary_cross_entropy_with_logits(x, lucid.zeros(4, 3), reduction="avg")
    with pytest.raises(ValueError, match=r"target of shape \(4,\) must have the input's shape \(4, 3\)"):
        F.binary_cross_entropy_with_logits(x, lucid.zeros(4))
    with pytest.raises(ValueError, match=r"weight of shape \(4,\) does not broadcast to the input's shape \(4, 3\)"):
        F.binary_cross_entropy_with_logits(x, lucid.zeros(4, 3), weight=lucid.ones(4))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(2, 4, 3\) does not broadcast"):
        F.binary_cross_entropy_with_logits(x, lucid.zeros(4, 3), pos_weight=lucid.ones(2, 4, 3))
    with pytest.raises(TypeError, match="input must be a floating-point tensor, got dtype int64"):
        F.binary_cross_entropy_with_logits(lucid.tensor([1, 2]), lucid.zeros(2))
    with pytest.raises(TypeError, match="dtype <U1"):
        F.binary_cross_entropy_with_logits(lucid.zeros(2), np.array(["a", "b"]))


# ---- mean squared error ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_matches_torch(device, dtype, reduction):
    x, y = RNG.standard_normal((5, 3)).astype(dtype), RNG.standard_normal((5, 3)).astype(dtype)
    ours = _run(lambda a, b: F.mse_loss(a, b, reduction=reduction), [x, y], device)
    assert ours[0].device == device
    _compare(ours, _torch(lambda a, b: TF.mse_loss(a, b, reduction=reduction), [x, y], ours[1]), TOL[dtype])


@pytest.mark.filterwarnings("ignore:Using a target size")  # torch's own broadcast warning
@pytest.mark.parametrize("x_shape, y_shape", [((3, 4), (4,)), ((4,), (3, 4)), ((3, 1), (3,))])
def test_mse_loss_broadcasts_with_a_warning_as_torch(x_shape, y_shape):
    x, y = RNG.standard_normal(x_shape), RNG.standard_normal(y_shape)
    for reduction in REDUCTIONS:
        with pytest.warns(UserWarning, match=rf"target of shape \({y_shape[0]},.*differs from input of shape"):
            ours = _run(lambda a, b: F.mse_loss(a, b, reduction=reduction), [x, y], "cpu")
        _compare(ours, _torch(lambda a, b: TF.mse_loss(a, b, reduction=reduction), [x, y], ours[1]), 1e-12)


def test_mse_loss_finite_differences():
    x, y = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    for reduction in REDUCTIONS:
        _finite_diff(lambda a, b: F.mse_loss(a, b, reduction=reduction), [x, y])


def test_mse_loss_float16_autocast_and_integer_target():
    x = lucid.tensor([1.5, -0.5], dtype=lucid.Float16)
    with lucid.amp.autocast(device="cpu"):
        assert F.mse_loss(x, lucid.tensor([1.0, 0.0], dtype=lucid.Float16)).dtype == np.float32
    out = F.mse_loss(lucid.tensor([1.5, -0.5]), [1, 0])
    assert out.dtype == np.float32 and out.item() == 0.25


def test_mse_loss_errors_name_the_value():
    with pytest.raises(ValueError, match="mse_loss reduction must be 'mean', 'sum' or None, got 'avg'"):
        F.mse_loss(lucid.zeros(3), lucid.zeros(3), reduction="avg")
    with pytest.raises(ValueError, match=r"target of shape \(4,\) does not broadcast with input of shape \(3,\)"):
        F.mse_loss(lucid.zeros(3), lucid.zeros(4))
    with pytest.raises(TypeError, match="mse_loss input must be a floating-point tensor, got dtype int64"):
        F.mse_loss(lucid.tensor([1, 2]), lucid.zeros(2))


def _finite_diff(fn, arrays, eps=1e-6, tol=1e-7):
    """The analytic gradients of ``sum(fn(*ts) * r)`` against central differences (float64)."""
    out, r, grads = _run(fn, arrays, "cpu")
    for i, a in enumerate(arrays):
        num = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            vals = []
            for step in (eps, -eps):
                a[idx] = old + step
                vals.append(float((fn(*[lucid.tensor(b) for b in arrays]).numpy() * r).sum()))
            a[idx] = old
            num[idx] = (vals[0] - vals[1]) / (2 * eps)
        np.testing.assert_allclose(grads[i], num, rtol=tol, atol=tol, err_msg=f"argument {i}")
