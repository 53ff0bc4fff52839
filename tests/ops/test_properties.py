"""Property tests (hypothesis) of the ops over random shapes, broadcasts and dtypes, in two families.

Against torch: float32 or float64 inputs, the forward against NumPy and the gradients against
``torch.autograd`` (elementwise binary and unary ops, reductions with argmax/argmin, matmul with
vector operands).

Against float64 NumPy alone: the forward runs in float16, float32 or float64 (or a mix: the result
takes the promoted dtype) and is compared with a float64 NumPy function of the same (rounded) input
values; each input's gradient is compared with central finite differences of
``sum(f(x) * cotangent)`` in float64. Tolerances follow the compute dtype. This family adds float16,
mixed dtypes, Python scalars, the nn.functional ops and a reference that owes nothing to another
autograd.

The two families share the value sampler and the op tables.
"""

import math

import numpy as np
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lucid
import lucid.nn.functional as F

TORCH_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FD_SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FLOATS = ["float16", "float32", "float64"]
TORCH_TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-11, atol=1e-12)}
# (forward rtol/atol, gradient rtol/atol) relative to the output / gradient magnitude
FD_TOL = {"float16": (4e-3, 4e-3, 2e-2, 2e-2), "float32": (2e-5, 2e-5, 2e-4, 2e-4),
          "float64": (1e-12, 1e-12, 1e-6, 1e-7)}
_erf = np.vectorize(math.erf)


def _values(rng, shape, domain, dtype="float64"):
    lo, hi = (0.5, 2.0) if domain == "pos" else (-2.0, 2.0)
    x = rng.uniform(lo, hi, size=shape)
    if domain == "nonzero":  # |x| >= 0.25: abs and division stay smooth in the finite differences
        x = np.sign(x + 1e-12) * (0.25 + np.abs(x) * 0.875)
    return np.asarray(x, dtype=dtype)  # an array even for shape (): NumPy scalars cannot be edited in place


# ---- the op tables (each function works on lucid and on torch tensors) -------------------------
def _where_max(a, b):
    return lucid.where(a > b, a, b) if isinstance(a, lucid.Tensor) else torch.where(a > b, a, b)


BINARY = {  # name: (function, NumPy reference)
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "pow": (lambda a, b: a**b, np.power),
    "where": (_where_max, lambda a, b: np.where(a > b, a, b)),
}

UNARY = {  # name: (function, NumPy reference, domain)
    "exp": (lambda a: a.exp(), np.exp, "any"),
    "log": (lambda a: a.log(), np.log, "pos"),
    "sqrt": (lambda a: a.sqrt(), np.sqrt, "pos"),
    "tanh": (lambda a: a.tanh(), np.tanh, "any"),
    "abs": (lambda a: abs(a), np.abs, "any"),
    "neg": (lambda a: -a, np.negative, "any"),
    "erf": (lambda a: a.erf() if isinstance(a, lucid.Tensor) else torch.erf(a), _erf, "any"),
    "square": (lambda a: a**2, np.square, "any"),
}

# torch differentiates a kink the way lucid does; finite differences need the inputs kept off it
TORCH_DOMAIN = {"div": "pos", "pow": "pos"}
FD_DOMAIN = {"div": "nonzero", "pow": "pos", "abs": "nonzero"}


def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_layer_norm(x, w, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * w + b


FUNCTIONAL = {  # name: (lucid function, NumPy reference, domain)
    "relu": (F.relu, lambda x: np.maximum(x, 0), "nonzero"),
    "gelu": (F.gelu, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), "any"),
    "softmax": (lambda t: F.softmax(t, axis=-1), lambda x: _np_softmax(x, -1), "any"),
    "log_softmax": (lambda t: F.log_softmax(t, axis=-1), lambda x: np.log(_np_softmax(x, -1)), "any"),
    "softmax-axis0": (lambda t: F.softmax(t, axis=0), lambda x: _np_softmax(x, 0), "any"),
}


@st.composite
def reduction_args(draw, max_dims=4, tuples=True):
    """(shape, axis, keepdims): axis None, an int (negative too) or, with ``tuples``, a tuple."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=max_dims, max_side=4))
    ndim = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"] if tuples else ["none", "int"]))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = draw(st.integers(-ndim, ndim - 1))
    else:
        axis = tuple(draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)))
    return shape, axis, draw(st.booleans())


# ==== against torch.autograd (float32, float64) =================================================
def _grads(fn, arrays, cot):
    lt = [lucid.tensor(a, requires_grad=True) for a in arrays]
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = fn(*lt), fn(*tt)
    out.backward(cot)
    tout.backward(torch.tensor(cot))
    return out, tout, lt, tt


@TORCH_SETTINGS
@given(
    name=st.sampled_from(sorted(BINARY)),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from(["float32", "float64"]),
)
def test_binary_broadcasting(name, shapes, seed, dtype):
    fn, ref = BINARY[name]
    domain = TORCH_DOMAIN.get(name, "any")
    a = _values(np.random.default_rng(seed), shapes.input_shapes[0], domain, dtype)
    b = _values(np.random.default_rng(seed + 1), shapes.input_shapes[1], domain, dtype)
    if name == "where":
        b = b + 0.01  # keep the two sides apart: a tie is a kink
    out_shape = shapes.result_shape
    cot = _values(np.random.default_rng(seed + 2), out_shape, "any", dtype)
    out, tout, (la, lb), (ta, tb) = _grads(fn, [a, b], cot)
    tol = TORCH_TOL[dtype]
    assert out.shape == out_shape and out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.numpy(), ref(a, b), **tol)
    for lucid_t, torch_t, x in ((la, ta, a), (lb, tb, b)):
        assert lucid_t.grad.shape == x.shape and lucid_t.grad.dtype == np.dtype(dtype)
        np.testing.assert_allclose(lucid_t.grad, torch_t.grad.numpy(), **tol)


@TORCH_SETTINGS
@given(
    name=st.sampled_from(sorted(UNARY)),
    shape=hnp.array_shapes(min_dims=0, max_dims=4, max_side=5),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from(["float32", "float64"]),
)
def test_unary_elementwise(name, shape, seed, dtype):
    fn, ref, domain = UNARY[name]
    a = _values(np.random.default_rng(seed), shape, domain, dtype)
    cot = _values(np.random.default_rng(seed + 1), shape, "any", dtype)
    out, tout, (la,), (ta,) = _grads(fn, [a], cot)
    tol = TORCH_TOL[dtype]
    assert out.shape == shape and out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.numpy(), ref(a), **tol)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), **tol)
    np.testing.assert_allclose(la.grad, ta.grad.numpy(), **tol)


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


@TORCH_SETTINGS
@given(
    name=st.sampled_from(["sum", "mean", "var", "max", "min"]),
    args=reduction_args(),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from(["float32", "float64"]),
)
def test_reductions(name, args, seed, dtype):
    shape, axis, keepdims = args
    a = _values(np.random.default_rng(seed), shape, "any", dtype)  # continuous values: no ties for max/min
    expect = getattr(np, name)(a, axis=axis, keepdims=keepdims)
    x = lucid.tensor(a, requires_grad=True)
    out = getattr(lucid, name)(x, axis=axis, keepdims=keepdims)
    tol = TORCH_TOL[dtype]
    assert out.shape == np.shape(expect) and out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.numpy(), expect, **tol)
    cot = _values(np.random.default_rng(seed + 1), out.shape, "any", dtype)
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


@TORCH_SETTINGS
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, max_side=4),
    seed=st.integers(0, 2**16),
)
def test_matmul_batch_broadcasting(shapes, seed):
    # build matmul-compatible shapes from two broadcastable batch shapes (a 1-D one is a vector)
    (sa, sb) = shapes.input_shapes
    k = 3
    a_shape = sa[:-1] + (2, k) if len(sa) > 1 else (k,)
    b_shape = sb[:-1] + (k, 2) if len(sb) > 1 else (k,)
    a = _values(np.random.default_rng(seed), a_shape, "any")
    b = _values(np.random.default_rng(seed + 1), b_shape, "any")
    expect = np.matmul(a, b)
    cot = _values(np.random.default_rng(seed + 2), expect.shape, "any")
    out, tout, (la, lb), (ta, tb) = _grads(lambda x, y: x @ y, [a, b], cot)
    np.testing.assert_allclose(out.numpy(), expect, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(la.grad, ta.grad.numpy(), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(lb.grad, tb.grad.numpy(), rtol=1e-11, atol=1e-12)


# ==== against float64 NumPy and finite differences (float16, float32, float64, mixed) ===========
def _fd_grads(f, arrays, cot, h=1e-6):
    """Central finite differences (float64) of ``sum(f(*arrays) * cot)`` for each array."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    grads = []
    for k, a in enumerate(arrays):
        g = np.zeros_like(a)
        flat = a.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            up = np.sum(f(*arrays) * cot)
            flat[i] = old - h
            down = np.sum(f(*arrays) * cot)
            flat[i] = old
            g.reshape(-1)[i] = (up - down) / (2 * h)
        grads.append(g)
    return grads


def _close(got, want, rtol, atol, what):
    got = np.asarray(got, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(want))) if np.size(want) else 1.0)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol * scale, err_msg=what)


def _check(lucid_fn, np_fn, arrays, seed, out_dtype):
    """Forward and gradients of ``lucid_fn`` on ``arrays`` (their own dtypes) against ``np_fn`` in float64."""
    rng = np.random.default_rng(seed + 7)
    want = np_fn(*[a.astype(np.float64) for a in arrays])
    ts = [lucid.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out = lucid_fn(*ts)
    assert out.dtype == np.dtype(out_dtype), (out.dtype, out_dtype)
    assert out.shape == np.shape(want)
    ftol, fatol = FD_TOL[out_dtype][:2]
    _close(out.numpy(), want, ftol, fatol, "forward")
    cot = rng.uniform(-1.0, 1.0, size=np.shape(want))
    out.backward(cot.astype(out_dtype))
    for t, a, g in zip(ts, arrays, _fd_grads(np_fn, arrays, cot)):
        if a.dtype.kind != "f":
            assert t.grad is None
            continue
        assert t.grad.shape == a.shape and t.grad.dtype == a.dtype  # summed back over broadcasts, own dtype
        # computed in the output's dtype, stored in the input's: the coarser of the two sets the tolerance
        coarse = min(np.dtype(out_dtype), a.dtype, key=lambda d: d.itemsize)
        _close(t.grad, g, *FD_TOL[str(coarse)][2:], "gradient")


DTYPE_PAIRS = [(d, d) for d in FLOATS] + [("float16", "float32"), ("float32", "float64"), ("float64", "float16"),
                                          ("int64", "float32"), ("float16", "int64")]


def _promoted(da, db, shapes=((1,), (1,))):
    """The result dtype, as torch promotes: beside an n-d operand a 0-d one only counts when it is
    of a higher kind (float over integer); otherwise floats win and NumPy promotes them."""
    (da, sa), (db, sb) = sorted(((np.dtype(da), len(shapes[0])), (np.dtype(db), len(shapes[1]))),
                                key=lambda d: d[1] == 0)
    if sa and not sb and (db.kind != "f" or da.kind == "f"):
        return str(da)
    floats = [d for d in (da, db) if d.kind == "f"]
    return str(np.result_type(*floats))


@FD_SETTINGS
@given(name=st.sampled_from(sorted(BINARY)),
       shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       dtypes=st.sampled_from(DTYPE_PAIRS), seed=st.integers(0, 2**16))
def test_binary_ops_broadcast_and_dtypes(name, shapes, dtypes, seed):
    fn, np_fn = BINARY[name]
    domain = FD_DOMAIN.get(name, "any")
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    a = _values(rng, sa, domain).astype(dtypes[0])
    b = _values(rng, sb, domain).astype(dtypes[1])
    if a.dtype.kind == "i":
        a = np.asarray(rng.integers(1, 4, size=sa), dtype=dtypes[0])
    if b.dtype.kind == "i":
        b = np.asarray(rng.integers(1, 4, size=sb), dtype=dtypes[1])
    if name == "where":  # a (near) tie is a kink of the max: finite differences do not apply there
        x, y = np.broadcast_arrays(a.astype(np.float64), b.astype(np.float64))
        assume(np.all(np.abs(x - y) > 1e-2))
    _check(fn, np_fn, [a, b], seed, _promoted(*dtypes, shapes.input_shapes))


@FD_SETTINGS
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), dtype=st.sampled_from(FLOATS),
       scalar=st.sampled_from([2, -3, 0.5, 1.75]), seed=st.integers(0, 2**16))
def test_python_scalars_keep_the_tensor_dtype(shape, dtype, scalar, seed):
    a = _values(np.random.default_rng(seed), shape, "pos", dtype)
    _check(lambda t: t * scalar + scalar - t / scalar, lambda x: x * scalar + scalar - x / scalar, [a], seed, dtype)
    _check(lambda t: t ** scalar, lambda x: x ** scalar, [a], seed, dtype)


@FD_SETTINGS
@given(name=st.sampled_from(sorted(UNARY) + sorted(FUNCTIONAL)),
       shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), dtype=st.sampled_from(FLOATS),
       seed=st.integers(0, 2**16))
def test_unary_and_functional_ops_over_dtypes(name, shape, dtype, seed):
    fn, np_fn, domain = UNARY[name] if name in UNARY else FUNCTIONAL[name]
    a = _values(np.random.default_rng(seed), shape, FD_DOMAIN.get(name, domain), dtype)
    _check(fn, np_fn, [a], seed, dtype)


@FD_SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=5), dtype=st.sampled_from(FLOATS),
       seed=st.integers(0, 2**16))
def test_layer_norm_over_dtypes(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    x = _values(rng, shape, "any", dtype)
    w = _values(rng, shape[-1:], "pos", dtype)
    b = _values(rng, shape[-1:], "any", dtype)
    _check(lambda t, wt, bt: F.layer_norm(t, shape[-1:], wt, bt, eps=1e-5), _np_layer_norm, [x, w, b], seed, dtype)


@FD_SETTINGS
@given(name=st.sampled_from(["sum", "mean", "var", "max"]), args=reduction_args(max_dims=3, tuples=False),
       dtype=st.sampled_from(FLOATS), seed=st.integers(0, 2**16))
def test_reductions_over_dtypes(name, args, dtype, seed):
    shape, axis, keepdims = args
    a = _values(np.random.default_rng(seed), shape, "any", dtype)
    if name == "max":  # ties are kinks: the gradient is split by convention, finite differences differ
        assume(np.all(np.diff(np.sort(a.astype(np.float64), axis=None)) > 1e-3))
    _check(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims),
           lambda x: getattr(np, name)(x, axis=axis, keepdims=keepdims), [a], seed, dtype)


@FD_SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3),
       dtypes=st.sampled_from([(d, d) for d in FLOATS] + [("float32", "float64")]), seed=st.integers(0, 2**16))
def test_matmul_batch_broadcast_over_dtypes(shapes, dtypes, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    a = _values(rng, sa + (2, 3), "any", dtypes[0])
    b = _values(rng, sb + (3, 4), "any", dtypes[1])
    _check(lambda x, y: x @ y, np.matmul, [a, b], seed, _promoted(*dtypes))


# ---- a composite expression: one graph mixing broadcasts, reuse and several op families ----------
@FD_SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=1, max_dims=3, max_side=3),
       dtype=st.sampled_from(FLOATS), seed=st.integers(0, 2**16))
def test_composite_graph_with_reuse(shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    a, b, c = (_values(rng, s, "any", dtype) for s in shapes.input_shapes)

    def lucid_fn(x, y, z):
        h = (x * y + z).tanh()
        return F.softmax(h * x - (z * z).exp() / (1 + y * y), axis=-1) + h.mean(axis=-1, keepdims=True)

    def np_fn(x, y, z):
        h = np.tanh(x * y + z)
        return _np_softmax(h * x - np.exp(z * z) / (1 + y * y), -1) + h.mean(axis=-1, keepdims=True)

    _check(lucid_fn, np_fn, [a, b, c], seed, dtype)
