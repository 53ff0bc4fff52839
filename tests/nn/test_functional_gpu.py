"""GPU (CuPy) results of lucid.nn.functional against the CPU results (the GPU tests are
skipped without a GPU): float32 and float16 through the CUDA kernels, float64 through the
kernels' own xp reference code on CuPy."""

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F

gpu = pytest.mark.gpu
RNG = np.random.default_rng(5)


def randn(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def run(fn, arrays, device, dtype=np.float32, grad=True):
    ts = [lucid.Tensor(a.astype(dtype) if a.dtype.kind == "f" else a, device=device) for a in arrays]
    for t in ts:
        if grad and t.dtype.kind == "f":
            t.requires_grad_()
    out = fn(*ts)
    if grad:
        r = lucid.Tensor(np.linspace(-1, 1, out.size).reshape(out.shape).astype(dtype), device=device)
        (out * r).sum().backward()
    grads = [None if t.grad is None else lucid.Tensor(t.grad).numpy() for t in ts]
    assert out.device == device
    return out.numpy(), grads


CASES = {
    "linear": (lambda x, w, b: F.linear(x, w, b), lambda: [randn(2, 3, 8), randn(5, 8), randn(5)]),
    "gelu": (F.gelu, lambda: [randn(40, 50) * 3]),
    "gelu_tanh": (lambda x: F.gelu(x, "tanh"), lambda: [randn(40, 50) * 3]),
    "relu": (F.relu, lambda: [randn(7, 5)]),
    "tanh": (F.tanh, lambda: [randn(7, 5)]),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, 16, w, b), lambda: [randn(3, 5, 16) + 2, randn(16), randn(16)]),
    "add_layer_norm": (lambda x, r, w, b: F.add_layer_norm(x, r, 16, w, b),
                       lambda: [randn(3, 5, 16) + 2, randn(3, 5, 16), randn(16), randn(16)]),
    "softmax": (lambda x: F.softmax(x, axis=1), lambda: [randn(4, 9, 6) * 3]),
    "log_softmax": (F.log_softmax, lambda: [randn(4, 9) * 3]),
    "cross_entropy": (
        lambda x, w: F.cross_entropy(x, lucid.tensor([1, -100, 3, 0], device=x.device), weight=w,
                                     label_smoothing=0.1),
        lambda: [randn(4, 5) * 2, np.abs(randn(5)) + 0.5],
    ),
    "embedding": (lambda w: F.embedding(lucid.tensor([[1, 0], [3, 1]], device=w.device), w, padding_idx=0),
                  lambda: [randn(4, 6)]),
    "sdpa": (
        lambda q, k, v: F.scaled_dot_product_attention(
            q, k, v, attn_mask=lucid.tensor(np.array([True, True, False, True]), device=q.device), is_causal=True),
        lambda: [randn(2, 3, 4, 8), randn(2, 3, 4, 8), randn(2, 3, 4, 8)],
    ),
}


@gpu
@pytest.mark.parametrize("name", sorted(CASES))
def test_gpu_matches_cpu_float32(name):
    fn, make = CASES[name]
    arrays = make()
    cpu_out, cpu_grads = run(fn, arrays, "cpu")
    gpu_out, gpu_grads = run(fn, arrays, "gpu")
    np.testing.assert_allclose(gpu_out, cpu_out, rtol=1e-5, atol=2e-6)
    for a, b in zip(gpu_grads, cpu_grads):
        if b is not None:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=2e-6)


@gpu
@pytest.mark.parametrize("name", sorted(CASES))
def test_gpu_float64_matches_cpu(name):
    """float64 takes no CUDA kernel: each op runs its own xp reference on the GPU."""
    fn, make = CASES[name]
    arrays = make()
    cpu_out, cpu_grads = run(fn, arrays, "cpu", dtype=np.float64)
    gpu_out, gpu_grads = run(fn, arrays, "gpu", dtype=np.float64)
    assert gpu_out.dtype == np.float64
    np.testing.assert_allclose(gpu_out, cpu_out, rtol=1e-10, atol=1e-12)
    for a, b in zip(gpu_grads, cpu_grads):
        if b is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@gpu
@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "layer_norm", "add_layer_norm", "softmax", "log_softmax", "sdpa", "linear"])
def test_gpu_float16_close_to_cpu_float32(name):
    fn, make = CASES[name]
    arrays = make()
    cpu_out, _ = run(fn, arrays, "cpu", grad=False)
    gpu_out, _ = run(fn, arrays, "gpu", dtype=np.float16, grad=False)
    np.testing.assert_allclose(gpu_out.astype(np.float32), cpu_out, rtol=1e-2, atol=1e-2)


def test_dropout_statistics_and_stays_on_device(device):
    x = lucid.ones(200, 500, device=device, requires_grad=True)
    y = F.dropout(x, 0.25)
    assert y.device == device
    kept = (y.numpy() != 0).mean()
    assert abs(kept - 0.75) < 0.005
    y.sum().backward()
    assert lucid.Tensor(x.grad).device == device
