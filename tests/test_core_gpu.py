"""The core on device="gpu" (CuPy), compared with the same computation on the CPU.

Every test here carries the ``gpu`` marker; tests/conftest.py skips them with a reason
on machines without CuPy and a CUDA device.
"""

import numpy as np
import pytest

import lucid

pytestmark = pytest.mark.gpu


def test_construction_and_transfer():
    g = lucid.tensor([[1.0, 2.0]], device="gpu")
    assert g.device == "gpu" and g.is_gpu() and not g.is_cpu() and g.dtype == np.float32
    assert type(g.data).__module__.startswith("cupy") and g.xp.__name__ == "cupy"
    assert isinstance(g.numpy(), np.ndarray) and g.tolist() == [[1.0, 2.0]]
    assert lucid.tensor([1, 2], device="gpu").dtype == np.int64
    c = g.cpu()
    assert c.device == "cpu" and c.tolist() == [[1.0, 2.0]]
    assert c.gpu().device == "gpu" and c.to("gpu").device == "gpu"
    assert lucid.tensor(g.data).device == "gpu"  # a CuPy array stays where it is
    assert lucid.tensor(g.data, device="cpu").device == "cpu"
    assert "device='gpu'" in repr(g)
    assert g.sum().item() == 3.0
    for make in (lucid.zeros, lucid.ones):
        assert make(2, 3, device="gpu").device == "gpu"
    assert lucid.full((2,), 3, device="gpu").tolist() == [3, 3]
    assert lucid.arange(4, device="gpu").tolist() == [0, 1, 2, 3]
    assert lucid.zeros_like(g).device == "gpu" and lucid.ones_like(g, device="cpu").device == "cpu"
    for ctor in (lucid.LongTensor, lucid.FloatTensor, lucid.HalfTensor, lucid.BoolTensor):
        assert ctor([1, 0], device="gpu").device == "gpu"
    with pytest.raises(TypeError, match=r"\.numpy\(\)"):
        np.asarray(g)


def test_transfer_is_differentiable():
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    y = (x.to("gpu") * 3).sum()
    y.backward()
    assert isinstance(x.grad, np.ndarray) and x.grad.tolist() == [3.0, 3.0]
    w = lucid.tensor([1.0, 2.0], requires_grad=True, device="gpu")
    (w.cpu() ** 2).sum().backward()
    assert lucid._backend.device_of(w.grad) == "gpu" and w.grad.tolist() == [2.0, 4.0]


def test_mixing_devices_names_both():
    c, g = lucid.ones(2), lucid.ones(2, device="gpu")
    for op in (lambda: c + g, lambda: g @ c, lambda: lucid.concatenate([c, g]), lambda: c[lucid.tensor([0], device="gpu")]):
        with pytest.raises(RuntimeError) as info:
            op()
        assert "'cpu'" in str(info.value) and "'gpu'" in str(info.value)


def test_indexing_and_scatter_accumulation_on_gpu():
    a = np.arange(12.0).reshape(3, 4)
    for device in ("cpu", "gpu"):
        x = lucid.tensor(a, requires_grad=True, device=device)
        idx = lucid.tensor([2, 0, 2, 2], device=device)
        mask = lucid.tensor([True, False, True], device=device)
        y = x[idx].sum() + (x[mask] * 2).sum() + x[1:, [0, 0]].sum() + (x[x > 5.5] * 0.5).sum()
        y.backward()
        if device == "cpu":
            cpu_out, cpu_grad = y.item(), x.grad
        else:
            assert y.item() == cpu_out
            np.testing.assert_array_equal(x.grad.get(), cpu_grad)
    t = lucid.zeros(3, device="gpu")
    t[lucid.tensor([0, 2], device="gpu")] = 5.0
    t[t < 1] = lucid.tensor(-1.0, device="gpu")
    assert t.tolist() == [5.0, -1.0, 5.0]


def test_where_and_gather_on_gpu():
    a = np.random.default_rng(0).standard_normal((3, 4))
    idx = np.array([[0, 3, 3], [1, 0, 2]])
    results = {}
    for device in ("cpu", "gpu"):
        x = lucid.tensor(a, requires_grad=True, device=device)
        y = lucid.where(x > 0, x, x * 0.1) + 1.0
        z = lucid.gather(y, 1, lucid.tensor(idx, device=device))
        z.sum().backward()
        results[device] = (z.numpy(), lucid._backend.to_numpy(x.grad))
    np.testing.assert_allclose(results["gpu"][0], results["cpu"][0], rtol=1e-12)
    np.testing.assert_allclose(results["gpu"][1], results["cpu"][1], rtol=1e-12)


def test_erf_gpu_matches_cpu_and_exact():
    import math

    xs = np.linspace(-5, 5, 2001)
    exact = np.array([math.erf(v) for v in xs])
    for dtype, tol in (("float32", 3e-7), ("float64", 1e-13)):
        g = lucid.erf(lucid.tensor(xs.astype(dtype), device="gpu"))
        c = lucid.erf(lucid.tensor(xs.astype(dtype)))
        assert g.dtype == np.dtype(dtype)
        assert np.max(np.abs(g.numpy() - exact)) < tol
        assert np.max(np.abs(g.numpy() - c.numpy())) < 2 * tol


def test_random_on_gpu_is_seeded():
    lucid.random.seed(11)
    a = [lucid.random.rand(3, device="gpu").tolist(), lucid.random.randn((2, 2), device="gpu").tolist(),
         lucid.random.randint(0, 9, (4,), device="gpu").tolist()]
    lucid.random.seed(11)
    b = [lucid.random.rand(3, device="gpu").tolist(), lucid.random.randn((2, 2), device="gpu").tolist(),
         lucid.random.randint(0, 9, (4,), device="gpu").tolist()]
    assert a == b
    t = lucid.random.randn(1000, device="gpu")
    assert t.device == "gpu" and t.dtype == np.float32 and abs(float(t.mean().item())) < 0.15
    r = lucid.random.randint(0, 3, 50, device="gpu")
    assert r.dtype == np.int64 and set(r.tolist()) <= {0, 1, 2}


def test_autograd_engine_on_gpu():
    x = lucid.tensor([1.0, 2.0], requires_grad=True, device="gpu")
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
    with lucid.no_grad():
        assert (x * 2)._node is None
    with pytest.raises(ValueError, match=r"\(2,\)"):
        (x * 2).backward()
    b = lucid.tensor(2.0, requires_grad=True, device="gpu")
    (b * (b * 3)).backward()
    assert b.grad.item() == 12.0


def test_float16_on_gpu():
    a = np.random.default_rng(1).standard_normal((4, 8)).astype(np.float16)
    g = lucid.tensor(a, device="gpu", requires_grad=True)
    c = lucid.tensor(a, requires_grad=True)
    for t in (g, c):
        ((t @ t.T).tanh().sum() + t.exp().mean()).backward()
    assert g.grad.dtype == np.float16
    np.testing.assert_allclose(g.grad.get().astype(np.float32), c.grad.astype(np.float32), rtol=2e-2, atol=2e-2)


def test_save_load_gpu(tmp_path):
    path = tmp_path / "g.safetensors"
    t = lucid.random.randn(3, 2, device="gpu")
    lucid.save({"t": t, "s": t.sum()}, path)
    back = lucid.load(path)
    assert back["t"].device == "cpu" and back["s"].shape == ()
    np.testing.assert_array_equal(back["t"].numpy(), t.numpy())
    assert lucid.load(path, device="gpu")["t"].device == "gpu"


def test_gpu_available_true():
    assert lucid.gpu_available()
