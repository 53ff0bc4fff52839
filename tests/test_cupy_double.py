"""The CuPy test double (tests/cupy_double) behaves as CuPy's documentation says CuPy does,
where lucid's GPU paths depend on it. Runs only with the double installed
(``LUCID_TEST_CUPY_DOUBLE=1 python -m pytest -m gpu``)."""

from __future__ import annotations

import doctest
import os

import numpy as np
import pytest

import lucid
from lucid import _backend
from lucid.nn.kernels import cuda

cupy = pytest.importorskip("cupy")
pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not getattr(cupy, "IS_TEST_DOUBLE", False),
                                                  reason="tests of the CuPy double; run with LUCID_TEST_CUPY_DOUBLE=1")]
IMPLICIT = "Implicit conversion to a NumPy array is not allowed"


def test_device_arrays_are_not_numpy_arrays_and_numpy_calls_stay_on_the_device():
    x = cupy.arange(6, dtype=np.float32).reshape(2, 3)
    assert not isinstance(x, np.ndarray) and not issubclass(cupy.ndarray, np.ndarray)
    for y in (np.exp(x), np.concatenate([x, x]), np.where(x > 1, x, 0), np.matmul(x, x.T), x * 2, 1 - x, x[:, 1:]):
        assert type(y) is cupy.ndarray
    total = np.sum(x)
    assert type(total) is cupy.ndarray and total.ndim == 0 and float(total) == 15.0  # 0-d array, not a scalar
    assert np.add(x, 1, out=x) is x and cupy.asarray(x) is x and x.astype(np.float32, copy=False) is x
    assert (x.get() == np.arange(1, 7).reshape(2, 3)).all() and type(x.get()) is np.ndarray
    assert _backend.is_gpu_array(x) and _backend.device_of(x) == "gpu" and _backend.xp_of(x) is cupy


def test_implicit_conversion_to_numpy_raises_type_error():
    x = cupy.ones(3)
    for convert in (np.asarray, np.array, lambda a: a.__array__(), lambda a: np.testing.assert_allclose(a, 1)):
        with pytest.raises(TypeError, match=IMPLICIT):
            convert(x)


def test_host_arrays_are_refused_by_device_routines():
    x, host = cupy.ones(3), np.ones(3)
    for mix in (lambda: x + host, lambda: host + x, lambda: cupy.exp(host), lambda: cupy.maximum(x, host),
                lambda: cupy.concatenate([x, host]), lambda: cupy.ascontiguousarray(host)):
        with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
            mix()
    with pytest.raises(ValueError, match="non-scalar numpy.ndarray"):
        x[:] = host
    assert x[np.array([0, 2])].shape == (2,)  # host index arrays are copied, as CuPy does
    x[np.array([1])] = 5.0
    assert x.tolist() == [1.0, 5.0, 1.0]
    src = np.zeros(2)
    dev = cupy.asarray(src)  # the explicit host-to-device copy: not a view of the host memory
    src[0] = 7.0
    assert dev.tolist() == [0.0, 0.0] and cupy.asnumpy(dev).tolist() == [0.0, 0.0]


def test_names_cupy_lacks_are_missing():
    assert not hasattr(cupy, "errstate")
    gen = cupy.random.default_rng(0)
    for name in ("normal", "permutation", "shuffle", "choice"):
        assert not hasattr(gen, name), name
    with pytest.raises(TypeError):
        range(cupy.ones((), np.int64))  # no __index__ on CuPy arrays


def test_cuda_and_device():
    assert cupy.cuda.is_available() and cupy.cuda.runtime.getDeviceCount() == 1
    x = cupy.zeros(2)
    assert x.device == cupy.cuda.Device(0) and x.device.id == 0
    with cupy.cuda.Device(0):
        cupy.cuda.Device().synchronize()
    with pytest.raises(cupy.cuda.runtime.CUDARuntimeError, match="invalid device ordinal"):
        cupy.cuda.Device(1).use()


def test_random_generator_is_seeded_and_not_numpy_s_stream():
    a = cupy.random.default_rng(3).random(5, dtype=np.float32)
    b = cupy.random.default_rng(3).random(5, dtype=np.float32)
    assert type(a) is cupy.ndarray and a.dtype == np.float32 and (a.get() == b.get()).all()
    assert not np.allclose(a.get(), np.random.default_rng(3).random(5, dtype=np.float32))
    ints = cupy.random.default_rng(0).integers(0, 4, size=(100,))
    assert ints.dtype == np.int64 and set(ints.tolist()) == {0, 1, 2, 3}
    with pytest.raises(TypeError, match="float16"):
        cupy.random.default_rng(0).standard_normal(3, dtype=np.float16)


def test_kernels_refuse_to_launch_and_the_suite_runs_with_kernels_off():
    x = cupy.ones(4, np.float32)
    with pytest.raises(cupy.KernelNotAvailable, match="'lucid_probe'"):
        cupy.ElementwiseKernel("T x", "T y", "y = x", "lucid_probe")(x)
    with pytest.raises(cupy.KernelNotAvailable, match="'probe'"):
        cupy.RawKernel('extern "C" __global__ void probe() {}', "probe")((1,), (1,), ())
    assert not cuda.enabled() and not cuda.takes(x)  # the conftest switch; without it lucid would launch
    lucid.random.seed(0)
    y = lucid.nn.functional.gelu(lucid.Tensor(x, requires_grad=True))  # so the fused op takes its xp reference
    y.sum().backward()
    assert y.device == "gpu" and abs(y.numpy()[0] - 0.8413447) < 1e-6


def test_cupyx_pieces():
    import cupyx
    import cupyx.scipy.special

    a = cupy.zeros(3, np.float32)
    cupyx.scatter_add(a, cupy.asarray([0, 0, 2]), cupy.ones(3, np.float32))
    assert a.tolist() == [2.0, 0.0, 1.0]
    for dtype, out in ((np.float16, np.float64), (np.float32, np.float32), (np.float64, np.float64)):
        r = cupyx.scipy.special.erf(cupy.asarray(np.array([0.5], dtype)))
        assert type(r) is cupy.ndarray and r.dtype == out  # CuPy's table: e->d, f->f, d->d
    assert type(np.exp(cupy.ones(1))) is cupy.ndarray


def test_the_double_s_own_examples():
    result = doctest.testmod(cupy, optionflags=doctest.ELLIPSIS)  # the module's and cupy.ndarray's
    assert result.attempted >= 8 and not result.failed
    assert os.path.dirname(cupy.__file__).endswith(os.path.join("cupy_double", "cupy"))
