"""The CUDA kernels of lucid.nn.kernels.cuda against the plain xp reference code on GPU arrays
(forward and backward, float32 and float16), plus the CPU-side checks that need no GPU:
CuPy stays unimported, the fused bias+GELU op on the CPU, the kernel source builder, the
per-thread enable switch, and the dispatch of every op through ``cuda.takes`` (with a NumPy
double of the kernels)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

import lucid
import lucid.nn.functional as F
from lucid.nn.kernels import cross_entropy as ref_ce
from lucid.nn.kernels import cuda
from lucid.nn.kernels import dropout as ref_do
from lucid.nn.kernels import gelu as ref_gelu
from lucid.nn.kernels import layer_norm as ref_ln
from lucid.nn.kernels import softmax as ref_sm
from lucid.nn.kernels.cuda import _build

gpu = pytest.mark.gpu
#: kernel against reference: one code path under the CuPy double, so skipped there
real_gpu = pytest.mark.real_gpu
DTYPES = [np.float32, np.float16]
TOL = {np.dtype(np.float32): dict(rtol=2e-5, atol=2e-6), np.dtype(np.float16): dict(rtol=2e-3, atol=2e-3)}


# ---- no GPU needed --------------------------------------------------------------------------
def test_importing_and_running_lucid_on_cpu_never_imports_cupy():
    code = (
        "import sys, lucid, lucid.nn.functional as F\n"
        "from lucid.nn.kernels import cuda\n"
        "x = lucid.ones(2, 4, requires_grad=True)\n"
        "y = F.layer_norm(F.gelu(F.dropout(x, 0.1)), (4,))\n"
        "F.cross_entropy(F.softmax(y), lucid.tensor([0, 1])).backward()\n"
        "from lucid.nn.kernels.gelu import bias_gelu\n"
        "bias_gelu(x, lucid.ones(4)).sum().backward()\n"
        "assert 'cupy' not in sys.modules, 'cupy was imported'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_bias_gelu_on_cpu_matches_torch(approximate):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 5))
    b = rng.standard_normal(5)
    xl, bl = lucid.tensor(x, requires_grad=True), lucid.tensor(b, requires_grad=True)
    xt, bt = torch.tensor(x, requires_grad=True), torch.tensor(b, requires_grad=True)
    g = rng.standard_normal((3, 4, 5))
    y = ref_gelu.bias_gelu(xl, bl, approximate)
    y.backward(lucid.tensor(g))
    yt = torch.nn.functional.gelu(xt + bt, approximate=approximate)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(xl.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bl.grad, bt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_bias_gelu_errors_name_the_value():
    x = lucid.ones(2, 3)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        ref_gelu.bias_gelu(x, lucid.ones(2))
    with pytest.raises(ValueError, match="'erf'"):
        ref_gelu.bias_gelu(x, lucid.ones(3), approximate="erf")


def test_kernel_sources_are_built_per_dtype_and_reject_others():
    src32 = _build.raw_source("void k_$S($T* x) {}", np.float32)
    src16 = _build.raw_source("void k_$S($T* x) {}", np.float16)
    assert "void k_f32(float* x)" in src32 and "void k_f16(__half* x)" in src16
    with pytest.raises(TypeError, match="float64"):
        _build.c_type(np.float64)
    assert not cuda.takes(np.zeros(1, np.float32)) and cuda.enabled()


def test_disabled_holds_on_its_own_thread_only():
    entered, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with cuda.disabled():
            seen["inside"] = cuda.enabled()
            entered.set()
            release.wait(10)
        seen["after"] = cuda.enabled()

    def enabled_on_a_new_thread():
        out = []
        t = threading.Thread(target=lambda: out.append(cuda.enabled()))
        t.start()
        t.join(10)
        return out

    t = threading.Thread(target=worker)
    t.start()
    assert entered.wait(10)
    seen["here"] = cuda.enabled()  # while the worker is inside its block
    seen["new"] = enabled_on_a_new_thread()
    release.set()
    t.join(10)
    assert seen == {"inside": False, "here": True, "new": [True], "after": True}
    with cuda.disabled():  # and the other way round; nesting restores the outer state
        assert enabled_on_a_new_thread() == [True]
        with cuda.disabled():
            pass
        assert not cuda.enabled()
    assert cuda.enabled()


# ---- dispatch: each op asks cuda.takes once, then runs the kernel or its own reference -----
_DOUBLES = {  # a NumPy double of each CUDA entry point's contract
    "cross_entropy_arrays": ref_ce.cross_entropy_arrays,
    "layer_norm_arrays": ref_ln.layer_norm_arrays,
    "layer_norm_backward_arrays": ref_ln.layer_norm_backward_arrays,
    "softmax_rows_": ref_sm.softmax_rows_,
    "softmax_backward_rows_": ref_sm.softmax_backward_rows_,
    "gelu_arrays": lambda x, approximate, want_grad, bias=None: ref_gelu.gelu_arrays(
        x if bias is None else (x + bias).astype(x.dtype, copy=False), approximate, want_grad),
    "dropout_forward": lambda x, u, p, scale: (ref_do.apply_mask(x, u >= p, scale), u >= p),
    "dropout_backward": ref_do.apply_mask,
}


@contextlib.contextmanager
def _kernel_double():
    """``cuda.takes`` says yes (NumPy arrays included) and each CUDA entry point becomes its
    NumPy double, which runs with ``takes`` saying no; yields the list of questions and calls."""
    events, depth = [], [0]

    def takes(arr, ndim=None):
        if depth[0]:
            return False
        events.append("takes")
        return ndim is None or arr.ndim == ndim

    def double(name, fn):
        def run(*args, **kwargs):
            events.append(name)
            depth[0] += 1
            try:
                return fn(*args, **kwargs)
            finally:
                depth[0] -= 1

        return run

    with pytest.MonkeyPatch.context() as m:
        m.setattr(cuda, "takes", takes)
        for name, fn in _DOUBLES.items():
            m.setattr(cuda, name, double(name, fn))
        yield events


_W, _B = np.linspace(0.5, 1.5, 8, dtype=np.float32), np.linspace(-1, 1, 8, dtype=np.float32)
_DISPATCH = {  # op on a (2, 3, 4, 8) tensor -> the questions and kernel calls of forward + backward
    "gelu": (F.gelu, ["takes", "gelu_arrays"]),
    "gelu_tanh": (lambda x: F.gelu(x, "tanh"), ["takes", "gelu_arrays"]),
    "bias_gelu": (lambda x: ref_gelu.bias_gelu(x, lucid.tensor(_B, requires_grad=True)), ["takes", "gelu_arrays"]),
    "layer_norm": (lambda x: F.layer_norm(x, (8,), lucid.tensor(_W, requires_grad=True), lucid.tensor(_B)),
                   ["takes", "layer_norm_arrays", "takes", "layer_norm_backward_arrays"]),
    "softmax": (lambda x: F.softmax(x, axis=1), ["takes", "softmax_rows_", "takes", "softmax_backward_rows_"]),
    "cross_entropy": (lambda x: F.cross_entropy(x.reshape(24, 8), lucid.tensor(np.arange(24) % 8)),
                      ["takes", "cross_entropy_arrays"]),
    "dropout": (lambda x: F.dropout(x, 0.3), ["takes", "dropout_forward", "dropout_backward"]),
    # a broadcast batch takes the reference attention, whose softmax rows dispatch
    "attention": (lambda x: F.scaled_dot_product_attention(x, x[:1], x[:1]),
                  ["takes", "softmax_rows_", "takes", "softmax_backward_rows_"]),
}


@pytest.mark.parametrize("name", sorted(_DISPATCH))
def test_each_op_asks_takes_once_and_calls_the_kernel_it_names(name):
    fn, expect = _DISPATCH[name]
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 8)).astype(np.float32)

    def run():
        lucid.random.seed(5)
        xt = lucid.tensor(x, requires_grad=True)
        y = fn(xt)
        y.backward(lucid.tensor(np.linspace(-1, 1, y.size).reshape(y.shape).astype(np.float32)))
        return y.numpy(), xt.grad

    plain = run()
    with _kernel_double() as events:
        doubled = run()
    assert events == expect
    for a, b in zip(plain, doubled):  # same arguments reached the kernel: same results, bit for bit
        np.testing.assert_array_equal(a, b)


# ---- GPU: each kernel against the reference on the same GPU arrays --------------------------
def _cp():
    return lucid._backend.get_xp("gpu")


def _arr(shape, dtype, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return _cp().asarray((rng.standard_normal(shape) * scale).astype(dtype))


def _close(a, b, dtype, factor=1.0):
    tol = {k: v * factor for k, v in TOL[np.dtype(dtype)].items()}
    np.testing.assert_allclose(_cp().asnumpy(a).astype(np.float64), _cp().asnumpy(b).astype(np.float64), **tol)


@gpu
@real_gpu
def test_takes_answers_for_gpu_arrays():
    x = _cp().zeros((2, 3), np.float32)
    assert cuda.takes(x) and cuda.takes(x, ndim=2) and cuda.takes(x.astype(np.float16))
    assert not cuda.takes(x, ndim=3) and not cuda.takes(x.astype(np.float64))
    with cuda.disabled():
        assert not cuda.takes(x)
        other = []
        t = threading.Thread(target=lambda: other.append(cuda.takes(x)))
        t.start()
        t.join(10)
        assert other == [True]


@gpu
@real_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("want_grad", [False, True])
def test_gelu_kernel_matches_reference(dtype, approximate, want_grad):
    x = _arr((7, 33), dtype, scale=3.0)
    y, d = cuda.gelu_arrays(x, approximate, want_grad)
    ry, rd = ref_gelu._reference(_cp(), x, approximate, want_grad)
    assert y.dtype == dtype
    _close(y, ry, dtype)
    if want_grad:
        assert d.dtype == dtype
        _close(d, rd, dtype)
    else:
        assert d is None


@gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_bias_gelu_kernel_matches_cpu_op(dtype, approximate):
    x, b = np.random.default_rng(1).standard_normal((2, 5, 24)).astype(dtype), np.linspace(-1, 1, 24, dtype=np.float32)
    g = np.random.default_rng(2).standard_normal((2, 5, 24)).astype(dtype)
    outs = []
    for dev in ("cpu", "gpu"):
        xt, bt = lucid.tensor(x, device=dev, requires_grad=True), lucid.tensor(b, device=dev, requires_grad=True)
        y = ref_gelu.bias_gelu(xt, bt, approximate)
        y.backward(lucid.tensor(g, device=dev))
        outs.append([y.numpy(), lucid._backend.to_numpy(xt.grad), lucid._backend.to_numpy(bt.grad)])
    for a, c in zip(*outs):
        np.testing.assert_allclose(a.astype(np.float64), c.astype(np.float64), **{k: 5 * v for k, v in TOL[np.dtype(dtype)].items()})


@gpu
@real_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("affine", [(True, True), (True, False), (False, False)])
@pytest.mark.parametrize("shape", [(9, 768), (5, 7), (0, 4)])
def test_layer_norm_kernels_match_reference(dtype, affine, shape):
    cp = _cp()
    x = _arr(shape, dtype, scale=2.0) + 3  # an offset mean exercises the two-pass variance
    n = shape[1]
    w = _arr((n,), np.float32, seed=1) if affine[0] else None
    b = _arr((n,), np.float32, seed=2) if affine[1] else None
    y, xhat, rstd = cuda.layer_norm_arrays(x, w, b, 1e-5, True)
    with cuda.disabled():
        xr = x.astype(np.float32)
        ry, rxhat, rrstd = ref_ln.layer_norm_arrays(xr, w, b, 1e-5, True)
    assert y.dtype == dtype
    _close(y, ry, dtype, factor=5)
    _close(xhat, rxhat, np.float32, factor=5)
    _close(rstd, rrstd, np.float32)
    g = _arr(shape, dtype, seed=3)
    gx, gw, gb = cuda.layer_norm_backward_arrays(g, xhat, rstd, w, True, w is not None, b is not None)
    with cuda.disabled():
        rgx, rgw, rgb = ref_ln.layer_norm_backward_arrays(
            g.astype(np.float32), rxhat, rrstd, w, True, w is not None, b is not None)
    assert gx.dtype == dtype
    _close(gx, rgx, dtype, factor=10)
    if w is not None:
        _close(gw, rgw, np.float32, factor=50)
    if b is not None:
        _close(gb, rgb, np.float32, factor=50)
    y2, none1, none2 = cuda.layer_norm_arrays(x, w, b, 1e-5, False)
    assert none1 is None and none2 is None
    _close(y2, y, dtype)
    del cp


@gpu
@real_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(6, 1), (5, 31), (40, 128), (3, 3000)])
def test_softmax_kernels_match_reference(dtype, shape):
    x = _arr(shape, dtype, scale=4.0)
    p = cuda.softmax_rows_(x.copy())
    with cuda.disabled():
        rp = ref_sm.softmax_rows_(x.astype(np.float32))
    _close(p, rp, dtype)
    g = _arr(shape, dtype, seed=5)
    gx = cuda.softmax_backward_rows_(g.copy(), p)
    with cuda.disabled():
        rgx = ref_sm.softmax_backward_rows_(g.astype(np.float32), rp)
    _close(gx, rgx, dtype, factor=5)


@gpu
@real_gpu
def test_softmax_kernel_handles_masked_and_strided_rows():
    cp = _cp()
    x = _arr((4, 10), np.float32)
    x[1, :] = np.finfo(np.float32).min  # fully masked row: uniform, as the reference
    x[2, 3:] = np.finfo(np.float32).min
    p = cuda.softmax_rows_(x.copy())
    np.testing.assert_allclose(cp.asnumpy(p[1]), np.full(10, 0.1), rtol=1e-6)
    assert float(cp.abs(p[2, 3:]).max()) == 0.0
    wide = _arr((4, 20), np.float32)
    view = wide[:, ::2]  # not contiguous: computed on a copy and written back
    expect = cuda.softmax_rows_(cp.ascontiguousarray(view))
    cuda.softmax_rows_(view)
    _close(wide[:, ::2], expect, np.float32)


@gpu
@real_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", None])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_kernel_matches_reference(dtype, reduction, smoothing, weighted):
    cp = _cp()
    m, c = 37, 70
    z = _arr((m, c), dtype, scale=3.0)
    t = cp.asarray(np.random.default_rng(7).integers(0, c, m))
    t[[3, 8]] = -100
    w = cp.asarray(np.random.default_rng(8).random(c).astype(np.float32) + 0.5) if weighted else None
    loss, dz = cuda.cross_entropy_arrays(z, t, w, reduction, -100, smoothing, True)
    with cuda.disabled():
        rloss, rdz = ref_ce.cross_entropy_arrays(z.astype(np.float32), t, w, reduction, -100, smoothing, True)
    assert loss.dtype == dtype and dz.dtype == dtype
    _close(loss, rloss, dtype, factor=10)
    _close(dz, rdz, dtype, factor=5)
    loss2, none = cuda.cross_entropy_arrays(z, t, w, reduction, -100, smoothing, False)
    assert none is None
    _close(loss2, loss, dtype)


@gpu
@real_gpu
def test_cross_entropy_kernel_all_ignored_gives_zero_loss_and_grads():
    cp = _cp()
    z = _arr((4, 5), np.float32)
    loss, dz = cuda.cross_entropy_arrays(z, cp.full(4, -100), None, "mean", -100, 0.0, True)
    assert float(loss) == 0.0 and float(cp.abs(dz).max()) == 0.0


@gpu
@real_gpu
@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout_kernel_matches_reference_for_the_same_seed(dtype):
    x = lucid.tensor(np.random.default_rng(0).standard_normal((64, 33)).astype(dtype), device="gpu", requires_grad=True)
    g = lucid.tensor(np.random.default_rng(1).standard_normal((64, 33)).astype(dtype), device="gpu")
    outs = []
    for on in (True, False):
        lucid.random.seed(3)
        x.grad = None
        if on:
            y = F.dropout(x, 0.3)
        else:
            with cuda.disabled():
                y = F.dropout(x, 0.3)
        y.backward(g)
        outs.append((y.numpy(), lucid._backend.to_numpy(x.grad)))
    (y1, g1), (y2, g2) = outs
    np.testing.assert_array_equal(y1 == 0, y2 == 0)
    np.testing.assert_allclose(y1.astype(np.float64), y2.astype(np.float64), **TOL[np.dtype(dtype)])
    np.testing.assert_allclose(g1.astype(np.float64), g2.astype(np.float64), **TOL[np.dtype(dtype)])
    assert 0.6 < (y1 != 0).mean() < 0.8


@gpu
@real_gpu
@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_ops_with_kernels_equal_the_reference_path(dtype):
    """The whole op (hooks, casts, backward) with kernels on against kernels off."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6, 32)).astype(dtype)
    w, b = rng.standard_normal(32).astype(dtype), rng.standard_normal(32).astype(dtype)
    t = rng.integers(0, 32, 24)
    results = []
    for on in (True, False):
        xs = lucid.tensor(x, device="gpu", requires_grad=True)
        ws, bs = lucid.tensor(w, device="gpu", requires_grad=True), lucid.tensor(b, device="gpu", requires_grad=True)
        q = lucid.tensor(x.reshape(4, 2, 3, 32), device="gpu", requires_grad=True)
        with (cuda.disabled() if not on else _null()):
            h = F.layer_norm(F.gelu(xs), (32,), ws, bs)
            a = F.scaled_dot_product_attention(q, q, q)
            loss = F.cross_entropy(h.reshape(24, 32), lucid.tensor(t, device="gpu")) + F.softmax(h).sum() * 0 \
                + (a.float() ** 2).mean()
            loss.backward()
        results.append([loss.numpy()] + [lucid._backend.to_numpy(v.grad) for v in (xs, ws, bs, q)])
    for a, c in zip(*results):
        np.testing.assert_allclose(a.astype(np.float64), c.astype(np.float64),
                                   **{k: 20 * v for k, v in TOL[np.dtype(dtype)].items()})


def _null():
    return contextlib.nullcontext()
