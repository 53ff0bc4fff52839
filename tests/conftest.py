import contextlib
import os
import sys

import pytest

#: ``LUCID_TEST_CUPY_DOUBLE=1`` runs the ``gpu`` tests against tests/cupy_double where no
#: real CuPy with a CUDA device is present (on a GPU machine the real one is used).
_DOUBLE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cupy_double")


def _real_gpu():
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no CuPy, or no driver/device
        return False


def _install_cupy_double():
    """Make ``import cupy`` / ``import cupyx`` find the double, here and in subprocesses."""
    for name in [n for n in sys.modules if n.split(".")[0] in ("cupy", "cupyx", "cupy_backends")]:
        del sys.modules[name]
    sys.path.insert(0, _DOUBLE_DIR)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_DOUBLE_DIR, os.environ.get("PYTHONPATH")) if p)
    import cupy

    assert getattr(cupy, "IS_TEST_DOUBLE", False), cupy.__file__


CUPY_DOUBLE = os.environ.get("LUCID_TEST_CUPY_DOUBLE") == "1" and not _real_gpu()
if CUPY_DOUBLE:
    _install_cupy_double()

import lucid  # noqa: E402  (after the double is in place)
from lucid.nn.kernels import cuda  # noqa: E402


def pytest_report_header(config):
    if CUPY_DOUBLE:
        return "gpu tests: against the CuPy test double (tests/cupy_double); no CUDA code runs"
    return None


def pytest_collection_modifyitems(config, items):
    if CUPY_DOUBLE:
        skip = pytest.mark.skip(reason="needs a real GPU: under the CuPy double the kernels and the "
                                       "reference are one code path, so the check would pass vacuously")
        cpu_only = pytest.mark.skip(reason="not a gpu test: the CuPy double is for `-m gpu` runs")
        for item in items:
            if item.get_closest_marker("real_gpu") is not None:
                item.add_marker(skip)
            elif item.get_closest_marker("gpu") is None:
                item.add_marker(cpu_only)
        return
    if lucid.gpu_available():
        return
    skip = pytest.mark.skip(reason="no CUDA GPU with CuPy on this machine")
    for item in items:
        # the marker itself, not item.keywords: a parameter id such as "gpu" is a keyword too
        if item.get_closest_marker("gpu") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seed():
    lucid.random.seed(0)


@pytest.fixture(autouse=True)
def _kernels_off_under_the_double():
    """Under the double the CUDA kernels cannot run, so each test runs with them off
    (``cuda.disabled()``: ``cuda.takes`` says no and every fused op takes its xp reference,
    the path it takes for float64 on a real GPU). The switch is per thread: a GPU array
    reaching a kernel on another thread meets the double's ``KernelNotAvailable``, loudly."""
    with cuda.disabled() if CUPY_DOUBLE else contextlib.nullcontext():
        yield


@pytest.fixture(params=["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def device(request):
    """Each test that takes ``device`` runs once on ``"cpu"`` and once on ``"gpu"`` (the
    latter carries the ``gpu`` marker, so it is skipped where no CUDA GPU is present)."""
    return request.param
