"""The error function on NumPy (which has none) and CuPy arrays."""

from __future__ import annotations

import math

import numpy as np

from .._backend import is_gpu_array

# Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, at float32 rounding level.
_P = 0.3275911
_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _erf_fast(x):
    z = np.abs(x)
    t = 1.0 / (1.0 + _P * z)
    poly = _A[4]
    for a in _A[3::-1]:
        poly = poly * t + a
    y = 1.0 - poly * t * np.exp(-z * z)
    return np.copysign(y, x).astype(x.dtype, copy=False)


def _erf_precise(x):
    """Float64 erf to about 1e-14: Maclaurin series near 0, continued fraction for erfc beyond."""
    z = np.abs(x)
    small = z < 2.5
    zs = np.where(small, z, 0.0)
    term, total, z2 = zs.copy(), zs.copy(), zs * zs
    for n in range(1, 60):
        term = term * (-z2) / n
        total = total + term / (2 * n + 1)
    series = total * (2.0 / math.sqrt(math.pi))
    zl = np.where(small, 3.0, z)
    frac = zl
    for k in range(80, 0, -1):  # erfc(z) = exp(-z^2)/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...))))
        frac = zl + (k / 2.0) / frac
    tail = 1.0 - np.exp(-zl * zl) / (math.sqrt(math.pi) * frac)
    return np.copysign(np.where(small, series, tail), x)


def erf_array(x):
    """Elementwise erf of a NumPy or CuPy floating array, in its own dtype.

    On CuPy it calls ``cupyx.scipy.special.erf``; on NumPy, float64 uses a series and
    continued fraction accurate to about 1e-14 and lower precisions use a rational
    approximation accurate to float32 rounding (max error 1.5e-7).
    """
    if is_gpu_array(x):
        from cupyx.scipy.special import erf

        return erf(x)
    x = np.asarray(x)
    if x.dtype == np.float64:
        return _erf_precise(x)
    return _erf_fast(x.astype(np.float32, copy=False)).astype(x.dtype, copy=False)
