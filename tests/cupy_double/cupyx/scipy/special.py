"""``cupyx.scipy.special``: ``erf``, ``erfc`` as CuPy ufuncs with CuPy's type table
(``e->d``, ``f->f``, ``d->d``: float16 input gives float64, as CuPy's does)."""

from __future__ import annotations

import math

import numpy as _np

from cupy._array import ndarray, unsupported
from cupy._namespace import ufunc


def _typed(name, scalar_fn):
    vec = _np.vectorize(scalar_fn, otypes=[_np.float64])

    def compute(x, out=None):
        arr = _np.asarray(x)
        dtype = _np.float32 if arr.dtype == _np.float32 else _np.float64  # CuPy's 'e->d', 'f->f', 'd->d'
        res = vec(arr.astype(_np.float64)).astype(dtype)
        if out is not None:
            out[...] = res
            return out
        return res

    compute.__name__ = name
    return compute


class _SpecialUfunc(ufunc):
    def __init__(self, name, scalar_fn):
        self._u = _typed(name, scalar_fn)
        self.__name__ = name
        self.nin, self.nout, self.nargs, self.types = 1, 1, 2, ["e->d", "f->f", "d->d"]

    def __call__(self, x, out=None):
        if isinstance(x, _np.ndarray):
            raise unsupported(x)
        res = self._u(x._a if type(x) is ndarray else x, None if out is None else out._a)
        return out if out is not None else ndarray._wrap(_np.asarray(res))


erf = _SpecialUfunc("erf", math.erf)
erfc = _SpecialUfunc("erfc", math.erfc)
