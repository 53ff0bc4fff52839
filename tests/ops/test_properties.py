"""Property tests (hypothesis) over random shapes and broadcasts: elementwise and reduction
families against NumPy (forward) and torch.autograd (backward)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lucid

torch = pytest.importorskip("torch")

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "pow": (lambda a, b: a**b, np.power),
    "where": (lambda a, b: lucid.where(a > b, a, b) if isinstance(a, lucid.Tensor) else torch.where(a > b, a, b),
              lambda a, b: np.where(a > b, a, b)),
}

UNARY = {
    "exp": (lambda a: a.exp(), np.exp, "any"),
    "log": (lambda a: a.log(), np.log, "pos"),
    "sqrt": (lambda a: a.sqrt(), np.sqrt, "pos"),
    "tanh": (lambda a: a.tanh(), np.tanh, "any"),
    "abs": (lambda a: abs(a), np.abs, "any"),
    "neg": (lambda a: -a, np.negative, "any"),
    "erf": (lambda a: a.erf() if isinstance(a, lucid.Tensor) else torch.erf(a), None, "any"),
    "square": (lambda a: a**2, np.square, "any"),
}


def _values(shape, seed, domain):
    rng = np.random.default_rng(seed)
    if domain == "pos":
        return rng.uniform(0.5, 2.0, size=shape)
    return rng.uniform(-2.0, 2.0, size=shape)


def _grads(fn, arrays, cot):
    lt = [lucid.tensor(a, requires_grad=True) for a in arrays]
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = fn(*lt), fn(*tt)
    out.backward(cot)
    tout.backward(torch.tensor(cot))
    return out, tout, lt, tt


@SETTINGS
@given(
    name=st.sampled_from(sorted(BINARY)),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from(["float32", "float64"]),
)
def test_binary_broadcasting(name, shapes, seed, dtype):
    fn, ref = BINARY[name]
    domain = "pos" if name in ("div", "pow") else "any"
    a = _values(shapes.input_shapes[0], seed, domain).astype(dtype)
    b = _values(shapes.input_shapes[1], seed + 1, domain).astype(dtype)
    if name == "where":
        b = b + 0.01  # keep the two sides apart: a tie is a kink
    out_shape = shapes.result_shape
    cot = _values(out_shape, seed + 2, "any").astype(dtype)
    out, tout, (la, lb), (ta, tb) = _grads(fn, [a, b], cot)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-11, atol=1e-12)
    assert out.shape == out_shape and out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.numpy(), ref(a, b), **tol)
    for lucid_t, torch_t, x in ((la, ta, a), (lb, tb, b)):
        assert lucid_t.grad.shape == x.shape and lucid_t.grad.dtype == np.dtype(dtype)
        np.testing.assert_allclose(lucid_t.grad, torch_t.grad.numpy(), **tol)


@SETTINGS
@given(
    name=st.sampled_from(sorted(UNARY)),
    shape=hnp.array_shapes(min_dims=0, max_dims=4, max_side=5),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from(["float32", "float64"]),
)
def test_unary_elementwise(name, shape, seed, dtype):
    fn, ref, domain = UNARY[name]
    a = _values(shape, seed, domain).astype(dtype)
    cot = _values(shape, seed + 1, "any").astype(dtype)
    out, tout, (la,), (ta,) = _grads(fn, [a], cot)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-11, atol=1e-12)
    assert out.shape == shape and out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.numpy(), ref(a) if ref else tout.detach().numpy(), **tol)
    np.testing.assert_allclose(la.grad, ta.grad.numpy(), **tol)


@st.composite
def reduction_args(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, max_side=4))
    ndim = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = draw(st.integers(-ndim, ndim - 1))
    else:
        axis = tuple(draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)))
    return shape, axis, draw(st.booleans())


def _torch_reduce(name, t, axis, keepdims):
    dims = list(range(t.ndim)) if axis is None else ([axis] if isinstance(axis, int) else list(axis))
    if name == "sum":
        return t.sum(dim=dims, keepdim=keepdims)
    if name == "mean":
        return t.mean(dim=dims, keepdim=keepdims)
    if name == "var":
        return t.var(dim=dims, keepdim=keepdims, correction=0)
    if name == "max":
        return t.amax(dim=dims, keepdim=keepdims)
    return t.amin(dim=dims, keepdim=keepdims)


@SETTINGS
@given(
    name=st.sampled_from(["sum", "mean", "var", "max", "min"]),
    args=reduction_args(),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from(["float32", "float64"]),
)
def test_reductions(name, args, seed, dtype):
    shape, axis, keepdims = args
    a = _values(shape, seed, "any").astype(dtype)  # continuous values: no ties for max/min
    expect = getattr(np, name)(a, axis=axis, keepdims=keepdims)
    x = lucid.tensor(a, requires_grad=True)
    out = getattr(lucid, name)(x, axis=axis, keepdims=keepdims)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-11, atol=1e-12)
    assert out.shape == np.shape(expect) and out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.numpy(), expect, **tol)
    cot = _values(out.shape, seed + 1, "any").astype(dtype)
    out.backward(cot)
    tx = torch.tensor(a, requires_grad=True)
    _torch_reduce(name, tx, axis, keepdims).backward(torch.tensor(cot))
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), **tol)
    # argmax/argmin on the same axes family (single axis or all)
    if axis is None or isinstance(axis, int):
        arg = "argmax" if name != "min" else "argmin"
        got = getattr(x, arg)(axis=axis, keepdims=keepdims)
        want = getattr(np, arg)(a, axis=axis, keepdims=keepdims)
        np.testing.assert_array_equal(got.numpy(), want)


@SETTINGS
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, max_side=4),
    seed=st.integers(0, 2**16),
)
def test_matmul_batch_broadcasting(shapes, seed):
    # build matmul-compatible shapes from two broadcastable batch shapes
    (sa, sb) = shapes.input_shapes
    k = 3
    a_shape = sa[:-1] + (2, k) if len(sa) > 1 else (k,)
    b_shape = sb[:-1] + (k, 2) if len(sb) > 1 else (k,)
    a = _values(a_shape, seed, "any")
    b = _values(b_shape, seed + 1, "any")
    expect = np.matmul(a, b)
    cot = _values(expect.shape, seed + 2, "any")
    out, tout, (la, lb), (ta, tb) = _grads(lambda x, y: x @ y, [a, b], cot)
    np.testing.assert_allclose(out.numpy(), expect, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(la.grad, ta.grad.numpy(), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(lb.grad, tb.grad.numpy(), rtol=1e-11, atol=1e-12)
