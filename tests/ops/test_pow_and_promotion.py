"""Two corners PyTorch gets right and lucid got wrong: the gradient of ``x ** 0`` at ``x = 0``
(and of a tensor exponent where base or exponent is 0), and 0-d tensors being weak in type
promotion (``float32 * float64 0-d`` stays float32)."""

import numpy as np
import pytest
import torch

import lucid


def _grads(fn, x, y=None, device="cpu"):
    """Gradients of ``fn(x, y).sum()`` for lucid (on ``device``) and torch, float64."""
    out = []
    for lib in ("lucid", "torch"):
        def T(v):
            if v is None or np.isscalar(v):
                return v
            a = np.array(v, dtype=np.float64)
            return lucid.tensor(a, requires_grad=True, device=device) if lib == "lucid" else \
                torch.tensor(a, requires_grad=True)
        tx, ty = T(x), T(y)
        fn(tx, ty).sum().backward()
        to_np = (lambda t: np.asarray(lucid.Tensor(t.grad).numpy())) if lib == "lucid" else \
            (lambda t: t.grad.numpy())
        out.append([to_np(t) for t in (tx, ty) if t is not None and not np.isscalar(t)])
    return out


def test_scalar_exponent_zero_has_zero_gradient_at_zero(device):
    ours, theirs = _grads(lambda x, _: x ** 0, [0.0, 2.0, -1.0], device=device)
    np.testing.assert_array_equal(ours[0], [0.0, 0.0, 0.0])  # was NaN at x = 0 (0 * 0 ** -1)
    np.testing.assert_array_equal(ours[0], theirs[0])
    ours, theirs = _grads(lambda x, _: x ** 0.0, [0.0], device=device)
    np.testing.assert_array_equal(ours[0], theirs[0])


def test_tensor_exponent_gradients_equal_torch_at_the_corners(device):
    x, y = [0.0, 0.0, 2.0, 0.0, 3.0, -1.0], [0.0, 2.0, 0.0, 0.5, 1.5, 2.0]
    ours, theirs = _grads(lambda a, b: a ** b, x, y, device=device)
    for o, t in zip(ours, theirs):  # NaN where torch has NaN (log of a negative base)
        np.testing.assert_allclose(o, t, rtol=1e-12, equal_nan=True)
    assert ours[0][0] == 0.0 and ours[1][0] == 0.0 and ours[1][1] == 0.0


@pytest.mark.parametrize("dims, zero_d, want", [
    ("float32", "float64", "float32"), ("float16", "float64", "float16"), ("int64", "float64", "float64"),
    ("int32", "int64", "int32"), ("bool", "int16", "int16"), ("float64", "float32", "float64"),
])
def test_zero_d_tensors_are_weak_in_promotion(dims, zero_d, want):
    a = np.ones(2, dtype=dims)
    s = np.array(2, dtype=zero_d)
    for op in (lambda p, q: p * q, lambda p, q: q + p, lambda p, q: lucid.where(p > 0, p, q) if
               isinstance(p, lucid.Tensor) else torch.where(p > 0, p, q)):
        ours = op(lucid.tensor(a), lucid.tensor(s)).dtype
        theirs = op(torch.tensor(a), torch.tensor(s)).dtype
        assert str(ours) == want == str(theirs).replace("torch.", ""), (dims, zero_d)
    # two 0-d tensors, or two n-d ones, promote as usual
    assert (lucid.tensor(np.float32(1)) * lucid.tensor(np.float64(2))).dtype == np.float64
    assert (lucid.ones(2) * lucid.ones(2, dtype=lucid.Float64)).dtype == np.float64


def test_weak_zero_d_operand_keeps_gradients_in_the_tensor_dtype():
    x = lucid.ones(3, requires_grad=True)
    s = lucid.tensor(np.float64(0.5), requires_grad=True)
    (x * s).sum().backward()
    assert x.grad.dtype == np.float32 and s.grad.dtype == np.float64 and s.grad.item() == 3.0
