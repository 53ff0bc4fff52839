"""Accuracy of lucid's erf (NumPy has none) against math.erf and torch.erf, on the CPU and (the
``device`` fixture) on the GPU."""

import math

import numpy as np
import pytest

import lucid
from lucid.ops.special import erf_array

torch = pytest.importorskip("torch")

GRID = np.concatenate([np.linspace(-6, 6, 120001), np.geomspace(1e-30, 6, 4000), -np.geomspace(1e-6, 6, 500)])
EXACT = np.array([math.erf(v) for v in GRID])


def test_float32_within_float32_rounding():
    x = GRID.astype(np.float32)
    exact = np.array([math.erf(float(v)) for v in x])
    got = erf_array(x)
    assert got.dtype == np.float32
    assert np.max(np.abs(got - exact)) < 6e-8  # float32 rounding alone is 3e-8 here
    tiny = (np.abs(x) < 1e-3) & (x != 0)
    rel = np.abs(got[tiny] - exact[tiny]) / np.abs(exact[tiny])
    assert np.max(rel) < 3e-7  # relative accuracy near zero too
    ref = torch.erf(torch.from_numpy(x)).numpy()
    assert np.max(np.abs(got - ref)) <= 6e-8


def test_float64_precise():
    got = erf_array(GRID)
    assert got.dtype == np.float64
    assert np.max(np.abs(got - EXACT)) < 1e-14


def test_float16_and_integer_inputs():
    assert erf_array(np.array([0.5], dtype=np.float16)).dtype == np.float16
    assert abs(float(erf_array(np.array([0.5], dtype=np.float16))[0]) - math.erf(0.5)) < 1e-3
    assert lucid.erf(lucid.tensor([0, 1])).dtype == np.float32


def test_special_values_and_shape():
    x = np.array([[np.inf, -np.inf], [0.0, np.nan]], dtype=np.float32)
    got = erf_array(x)
    assert got.shape == (2, 2)
    assert got[0, 0] == 1.0 and got[0, 1] == -1.0 and got[1, 0] == 0.0 and np.isnan(got[1, 1])
    y = np.random.default_rng(0).standard_normal(100_000).astype(np.float32)  # several chunks
    np.testing.assert_array_equal(erf_array(y), -erf_array(-y))
    np.testing.assert_array_equal(erf_array(y[::3]), erf_array(y)[::3])  # non-contiguous input


def test_erf_on_device_matches_exact_and_torch(device):
    xs = np.linspace(-5, 5, 2001)
    exact = np.array([math.erf(v) for v in xs])
    for dtype, tol in (("float32", 3e-7), ("float64", 1e-13)):
        x = xs.astype(dtype)
        got = lucid.erf(lucid.tensor(x, device=device))
        assert got.dtype == np.dtype(dtype) and got.device == device
        assert np.max(np.abs(got.numpy() - exact)) < tol
        assert np.max(np.abs(got.numpy() - torch.erf(torch.from_numpy(x)).numpy())) < 2 * tol


def test_erf_keeps_float16_on_device(device):
    """CuPy's erf maps float16 to float64 (its type table is e->d); lucid's keeps the input's
    dtype on every device (found by the CuPy double)."""
    x = np.linspace(-3, 3, 61).astype(np.float16)
    got = lucid.erf(lucid.tensor(x, device=device))
    assert got.dtype == np.float16 and got.device == device
    assert np.max(np.abs(got.numpy().astype(np.float64) - np.array([math.erf(v) for v in x.astype(np.float64)]))) < 1e-3
