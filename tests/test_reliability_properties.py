"""Property tests (hypothesis) over random shapes, broadcasts and dtypes against NumPy float64.

For each op, the forward runs in float16, float32 or float64 (or a mix: the result takes the
promoted dtype) and the backward gives a gradient per input. The reference is a float64 NumPy
function of the same (rounded) input values; its gradient is central finite differences of
``sum(f(x) * cotangent)`` in float64. Tolerances follow the compute dtype. tests/test_ops_properties.py
compares float32/float64 with torch; this file adds float16, mixed dtypes, the nn.functional ops
and a float64 reference that owes nothing to another autograd."""

import math

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lucid
import lucid.nn.functional as F

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FLOATS = ["float16", "float32", "float64"]
# (forward rtol/atol, gradient rtol/atol) relative to the output / gradient magnitude
TOL = {"float16": (4e-3, 4e-3, 2e-2, 2e-2), "float32": (2e-5, 2e-5, 2e-4, 2e-4),
       "float64": (1e-12, 1e-12, 1e-6, 1e-7)}
_erf = np.vectorize(math.erf)


def _values(rng, shape, domain, dtype):
    lo, hi = (0.5, 2.0) if domain == "pos" else (-2.0, 2.0)
    x = rng.uniform(lo, hi, size=shape)
    if domain == "nonzero":  # |x| >= 0.25: abs and division stay smooth in the finite differences
        x = np.sign(x + 1e-12) * (0.25 + np.abs(x) * 0.875)
    return np.asarray(x, dtype=dtype)  # an array even for shape (): NumPy scalars cannot be edited in place


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
    ftol, fatol = TOL[out_dtype][:2]
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
        _close(t.grad, g, *TOL[str(coarse)][2:], "gradient")


# ---- elementwise binary ops over broadcast shapes and (mixed) dtypes --------------------------
BINARY = {
    "add": (lambda a, b: a + b, np.add, "any"),
    "sub": (lambda a, b: a - b, np.subtract, "any"),
    "mul": (lambda a, b: a * b, np.multiply, "any"),
    "div": (lambda a, b: a / b, np.divide, "nonzero"),
    "pow": (lambda a, b: a ** b, np.power, "pos"),
    "max-where": (lambda a, b: lucid.where(a > b, a, b), np.maximum, "any"),
}
DTYPE_PAIRS = [(d, d) for d in FLOATS] + [("float16", "float32"), ("float32", "float64"), ("float64", "float16"),
                                          ("int64", "float32"), ("float16", "int64")]


def _promoted(da, db):
    floats = [np.dtype(d) for d in (da, db) if np.dtype(d).kind == "f"]
    return str(np.result_type(*floats))


@SETTINGS
@given(name=st.sampled_from(sorted(BINARY)),
       shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       dtypes=st.sampled_from(DTYPE_PAIRS), seed=st.integers(0, 2**16))
def test_binary_ops_broadcast_and_dtypes(name, shapes, dtypes, seed):
    fn, np_fn, domain = BINARY[name]
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    a = _values(rng, sa, domain, "float64")
    b = _values(rng, sb, "pos" if domain == "pos" else domain, "float64")
    a, b = a.astype(dtypes[0]), b.astype(dtypes[1])
    if a.dtype.kind == "i":
        a = np.asarray(rng.integers(1, 4, size=sa), dtype=dtypes[0])
    if b.dtype.kind == "i":
        b = np.asarray(rng.integers(1, 4, size=sb), dtype=dtypes[1])
    if name == "max-where":  # a (near) tie is a kink of the max: finite differences do not apply there
        x, y = np.broadcast_arrays(a.astype(np.float64), b.astype(np.float64))
        assume(np.all(np.abs(x - y) > 1e-2))
    _check(fn, np_fn, [a, b], seed, _promoted(*dtypes))


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), dtype=st.sampled_from(FLOATS),
       scalar=st.sampled_from([2, -3, 0.5, 1.75]), seed=st.integers(0, 2**16))
def test_python_scalars_keep_the_tensor_dtype(shape, dtype, scalar, seed):
    a = _values(np.random.default_rng(seed), shape, "pos", dtype)
    _check(lambda t: t * scalar + scalar - t / scalar, lambda x: x * scalar + scalar - x / scalar, [a], seed, dtype)
    _check(lambda t: t ** scalar, lambda x: x ** scalar, [a], seed, dtype)


# ---- unary and nn.functional ops ---------------------------------------------------------------
def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_layer_norm(x, w, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * w + b


UNARY = {
    "exp": (lambda t: t.exp(), np.exp, "any"),
    "log": (lambda t: t.log(), np.log, "pos"),
    "sqrt": (lambda t: t.sqrt(), np.sqrt, "pos"),
    "tanh": (lambda t: t.tanh(), np.tanh, "any"),
    "abs": (lambda t: abs(t), np.abs, "nonzero"),
    "erf": (lambda t: t.erf(), _erf, "any"),
    "relu": (F.relu, lambda x: np.maximum(x, 0), "nonzero"),
    "gelu": (F.gelu, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), "any"),
    "softmax": (lambda t: F.softmax(t, axis=-1), lambda x: _np_softmax(x, -1), "any"),
    "log_softmax": (lambda t: F.log_softmax(t, axis=-1), lambda x: np.log(_np_softmax(x, -1)), "any"),
    "softmax-axis0": (lambda t: F.softmax(t, axis=0), lambda x: _np_softmax(x, 0), "any"),
}


@SETTINGS
@given(name=st.sampled_from(sorted(UNARY)), shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
       dtype=st.sampled_from(FLOATS), seed=st.integers(0, 2**16))
def test_unary_and_functional_ops_over_dtypes(name, shape, dtype, seed):
    fn, np_fn, domain = UNARY[name]
    a = _values(np.random.default_rng(seed), shape, domain, dtype)
    _check(fn, np_fn, [a], seed, dtype)


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=5), dtype=st.sampled_from(FLOATS),
       seed=st.integers(0, 2**16))
def test_layer_norm_over_dtypes(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    x = _values(rng, shape, "any", dtype)
    w = _values(rng, shape[-1:], "pos", dtype)
    b = _values(rng, shape[-1:], "any", dtype)
    _check(lambda t, wt, bt: F.layer_norm(t, shape[-1:], wt, bt, eps=1e-5), _np_layer_norm, [x, w, b], seed, dtype)


# ---- reductions and matmul ---------------------------------------------------------------------
@st.composite
def _reduction(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    return shape, axis, draw(st.booleans())


@SETTINGS
@given(name=st.sampled_from(["sum", "mean", "var", "max"]), args=_reduction(), dtype=st.sampled_from(FLOATS),
       seed=st.integers(0, 2**16))
def test_reductions_over_dtypes(name, args, dtype, seed):
    shape, axis, keepdims = args
    a = _values(np.random.default_rng(seed), shape, "any", dtype)
    if name == "max":  # ties are kinks: the gradient is split by convention, finite differences differ
        assume(np.all(np.diff(np.sort(a.astype(np.float64), axis=None)) > 1e-3))
    _check(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims),
           lambda x: getattr(np, name)(x, axis=axis, keepdims=keepdims), [a], seed, dtype)


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3),
       dtypes=st.sampled_from([(d, d) for d in FLOATS] + [("float32", "float64")]), seed=st.integers(0, 2**16))
def test_matmul_batch_broadcast_over_dtypes(shapes, dtypes, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    a = _values(rng, sa + (2, 3), "any", dtypes[0])
    b = _values(rng, sb + (3, 4), "any", dtypes[1])
    _check(lambda x, y: x @ y, np.matmul, [a, b], seed, _promoted(*dtypes))


# ---- a composite expression: one graph mixing broadcasts, reuse and several op families ----------
@SETTINGS
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
