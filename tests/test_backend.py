"""The "cpu"/"gpu" device switch and its errors (CuPy or CUDA missing is simulated, and so is
a tensor on "gpu" where none is present; the ``gpu``-marked tests use a real one)."""

import sys
import types

import numpy as np
import pytest

import lucid
from lucid import _backend
from lucid._tensor import Tensor


@pytest.fixture
def no_cupy(monkeypatch):
    """Make ``import cupy`` fail, whatever this machine has."""
    monkeypatch.setattr(_backend, "_cupy", None)
    monkeypatch.setitem(sys.modules, "cupy", None)


@pytest.fixture
def cupy_without_cuda(monkeypatch):
    """A CuPy whose CUDA runtime reports no device."""

    def no_device():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    fake = types.ModuleType("cupy")
    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=no_device))
    monkeypatch.setattr(_backend, "_cupy", None)
    monkeypatch.setitem(sys.modules, "cupy", fake)


GPU_REQUESTS = [
    lambda: lucid.tensor([1.0], device="gpu"),
    lambda: lucid.Tensor([1.0], device="gpu"),
    lambda: lucid.FloatTensor([1.0], device="gpu"),
    lambda: lucid.zeros(2, device="gpu"),
    lambda: lucid.ones((2,), device="gpu"),
    lambda: lucid.full((2,), 1.0, device="gpu"),
    lambda: lucid.arange(3, device="gpu"),
    lambda: lucid.ones(2).gpu(),
    lambda: lucid.ones(2).to("gpu"),
    lambda: lucid.zeros_like(lucid.ones(2), device="gpu"),
    lambda: lucid.random.rand(2, device="gpu"),
    lambda: lucid.random.randn(2, device="gpu"),
    lambda: lucid.random.randint(0, 3, (2,), device="gpu"),
]


@pytest.mark.parametrize("request_gpu", GPU_REQUESTS)
def test_gpu_without_cupy_says_cupy_missing_and_how_to_install(no_cupy, request_gpu):
    with pytest.raises(RuntimeError) as info:
        request_gpu()
    msg = str(info.value)
    assert "CuPy" in msg and "not installed" in msg and "pip install" in msg


@pytest.mark.parametrize("request_gpu", GPU_REQUESTS[:4])
def test_gpu_without_cuda_says_cuda_missing(cupy_without_cuda, request_gpu):
    with pytest.raises(RuntimeError) as info:
        request_gpu()
    msg = str(info.value)
    assert "CUDA" in msg and "no CUDA device" in msg and "pip install" in msg
    assert "not installed" not in msg


def test_gpu_available_false_without_cupy_or_cuda(no_cupy):
    assert lucid.gpu_available() is False


def test_gpu_available_false_without_cuda(cupy_without_cuda):
    assert lucid.gpu_available() is False


UNKNOWN_DEVICE = [
    lambda d: lucid.tensor([1.0], device=d),
    lambda d: lucid.LongTensor([1], device=d),
    lambda d: lucid.zeros(2, device=d),
    lambda d: lucid.full((1,), 0, device=d),
    lambda d: lucid.arange(2, device=d),
    lambda d: lucid.ones(2).to(d),
    lambda d: lucid.random.rand(2, device=d),
    lambda d: lucid.random.randint(0, 2, 3, device=d),
    lambda d: _backend.get_xp(d),
]


@pytest.mark.parametrize("make", UNKNOWN_DEVICE)
@pytest.mark.parametrize("device", ["cuda", "GPU", "cuda:0"])
def test_unknown_device_is_named(make, device):
    with pytest.raises(ValueError, match=f"unknown device '{device}'"):
        make(device)


def test_device_helpers_on_cpu():
    a = np.zeros(2)
    assert _backend.device_of(a) == "cpu" and _backend.to_device(a, "cpu") is a
    assert _backend.get_xp("cpu") is np and _backend.to_numpy(a) is a
    assert _backend.check_device("gpu") == "gpu"
    with pytest.raises(ValueError, match="0"):
        _backend.check_device(0)


def test_cupy_not_imported_at_import_time():
    import subprocess

    code = "import sys, lucid; lucid.ones(2).sum(); print('cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.fixture
def fake_gpu(monkeypatch):
    """Tensors whose id is in the returned set report device "gpu" (no GPU needed)."""
    on_gpu = set()
    real = Tensor.device
    monkeypatch.setattr(Tensor, "device", property(lambda t: "gpu" if id(t) in on_gpu else real.fget(t)))
    return on_gpu


MIXED = [
    lambda c, g: c + g,
    lambda c, g: g * c,
    lambda c, g: c.reshape(1, 3) @ g,
    lambda c, g: lucid.where(c > 0, c, g),
    lambda c, g: lucid.concatenate([c, g]),
    lambda c, g: lucid.stack([g, c]),
    lambda c, g: c ** g,
    lambda c, g: c == g,
]


@pytest.mark.parametrize("op", MIXED)
def test_mixing_devices_names_both(fake_gpu, op):
    c, g = lucid.ones(3), lucid.ones(3)
    fake_gpu.add(id(g))
    with pytest.raises(RuntimeError) as info:
        op(c, g)
    assert "'cpu'" in str(info.value) and "'gpu'" in str(info.value)


def test_mixing_devices_in_index_gather_setitem(fake_gpu):
    c = lucid.ones(3, 2)
    idx = lucid.tensor([[0], [1], [0]])
    fake_gpu.add(id(idx))
    for call in (lambda: c[idx], lambda: lucid.gather(c, 1, idx), lambda: c.__setitem__(idx, 1.0)):
        with pytest.raises(RuntimeError) as info:
            call()
        assert "'cpu'" in str(info.value) and "'gpu'" in str(info.value)
    v = lucid.ones(2)
    fake_gpu.add(id(v))
    with pytest.raises(RuntimeError, match="'cpu'.*'gpu'"):
        c[0] = v


@pytest.mark.gpu
def test_mixing_real_devices_names_both():
    c, g = lucid.ones(2), lucid.ones(2, device="gpu")
    ops = (lambda: c + g, lambda: g @ c, lambda: lucid.concatenate([c, g]), lambda: c[lucid.tensor([0], device="gpu")])
    for op in ops:
        with pytest.raises(RuntimeError) as info:
            op()
        assert "'cpu'" in str(info.value) and "'gpu'" in str(info.value)


@pytest.mark.gpu
def test_gpu_available_true():
    assert lucid.gpu_available()
