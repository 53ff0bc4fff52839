"""The ``cupyx`` of the CuPy test double: ``scatter_add`` / ``scatter_max`` / ``scatter_min``
and :mod:`cupyx.scipy.special` (``erf`` and its family). See ``cupy``'s docstring."""

from __future__ import annotations

import numpy as _np

from cupy._array import to_host_args

from . import scipy  # noqa: F401  (``import cupyx`` makes ``cupyx.scipy`` available, as CuPy's does)


def _scatter(np_ufunc):
    def scatter(a, slices, value):
        np_ufunc.at(to_host_args(a), to_host_args(slices, accept_host=True), to_host_args(value))

    return scatter


scatter_add = _scatter(_np.add)
scatter_max = _scatter(_np.maximum)
scatter_min = _scatter(_np.minimum)
scatter_add.__doc__ = "``cupyx.scatter_add(a, slices, value)``: ``numpy.add.at`` on the device memory."
scatter_max.__doc__ = "``cupyx.scatter_max``: ``numpy.maximum.at`` on the device memory."
scatter_min.__doc__ = "``cupyx.scatter_min``: ``numpy.minimum.at`` on the device memory."
