"""A CuPy test double: lucid's ``"gpu"`` code paths run on a machine without a GPU.

The test suite puts this folder's parent first on ``sys.path`` (``tests/conftest.py``, when
``LUCID_TEST_CUPY_DOUBLE=1`` and no real CuPy with a CUDA device is there), so ``import
cupy`` and ``import cupyx`` find it. The library never imports it.

What it models, following CuPy's documented API:

- ``cupy.ndarray`` is *not* a NumPy array (no subclass): its memory is a hidden NumPy
  array standing for device memory. NumPy functions and ufuncs called on it dispatch
  through ``__array_function__`` / ``__array_ufunc__`` and return device arrays;
  reductions return 0-d device arrays, not scalars.
- Implicit conversion to NumPy raises ``TypeError`` as CuPy does: ``np.asarray(x)``,
  ``x.__array__()``, any NumPy routine that needs host memory. Host NumPy arrays mixed into
  device routines or operators raise ``TypeError`` ("Unsupported type"), and assigning one
  into a device array raises ``ValueError``, as in CuPy. ``x.get()``, ``cupy.asnumpy`` and
  ``cupy.array`` / ``cupy.asarray`` (which copy host data) are the explicit transfers;
  ``float(x)``, ``int(x)``, ``bool(x)``, ``x.item()``, ``x.tolist()`` work (CuPy syncs).
- The top-level routines are the names CuPy exports that NumPy also has; a NumPy name CuPy
  lacks (``errstate``, say) is missing here too. Floating-point errors (overflow, 0/0)
  never warn, as CuPy's kernels report none.
- ``x.device``, ``cupy.cuda.Device``, ``cupy.cuda.runtime.getDeviceCount()`` (one device),
  ``cupy.cuda.is_available()``, ``cupy.random.default_rng`` / ``Generator`` (CuPy's method
  set; a stream other than NumPy's for the same seed), ``cupyx.scatter_add`` and
  ``cupyx.scipy.special.erf`` (CuPy's type table: float16 in, float64 out).
- ``RawKernel``, ``RawModule``, ``ElementwiseKernel``, ``ReductionKernel`` and ``fuse``
  can be built but raise ``KernelNotAvailable`` when launched: no CUDA code runs here.

What it does not model: kernel numerics and compilation (the compile test does that with
``nvcc``), performance, memory (pools, pinned memory, out-of-memory, ``x.data`` pointers),
streams and asynchrony, more than one device, peer access, NCCL, cuBLAS/cuDNN, DLPack,
``cupy.linalg`` / ``cupy.fft`` / ``cupyx`` beyond the above, CuPy's own dtype promotion
where it differs from NumPy's, the wrap-around of out-of-bounds integer indices, and the
routines where CuPy silently copies a host argument (here only ``array`` / ``asarray``
and indexing take host data, so the double is stricter there). The identity of ``x.base``
is not kept (compare it with ``None`` only).

Example:
    >>> import cupy, numpy
    >>> x = cupy.asarray(numpy.arange(3, dtype=numpy.float32))
    >>> y = numpy.exp(x)                                 # dispatches, stays on the device
    >>> type(y) is cupy.ndarray, isinstance(y, numpy.ndarray)
    (True, False)
    >>> numpy.asarray(y)
    Traceback (most recent call last):
    ...
    TypeError: Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a NumPy array explicitly.
    >>> cupy.asnumpy(x + 1).tolist()
    [1.0, 2.0, 3.0]
"""

from __future__ import annotations

import numpy as _np

from . import cuda, random
from ._array import ndarray
from ._kernels import ElementwiseKernel, KernelNotAvailable, RawKernel, RawModule, ReductionKernel, fuse
from ._namespace import NAMES as _NAMES
from ._namespace import asnumpy, get_array_module, ufunc

__version__ = "13.0.0+lucid.testdouble"
IS_TEST_DOUBLE = True  # real CuPy has no such name: lets the suite tell the two apart

globals().update({k: v for k, v in _NAMES.items() if k not in ("array", "asarray", "asanyarray")})


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    """``cupy.array``: a new device array from host data or device arrays (a copy)."""
    src = obj._a if type(obj) is ndarray else _host_data(obj)
    return ndarray._wrap(_np.array(src, dtype=dtype, copy=True if copy is not False else None, order=order,
                                   ndmin=ndmin))


def asarray(a, dtype=None, order=None, *, blocking=False):
    """``cupy.asarray``: ``a`` itself when it is a device array of ``dtype``, else a copy on
    the device."""
    if type(a) is ndarray:
        out = _np.asarray(a._a, dtype=dtype, order=order)
        return a if out is a._a else ndarray._wrap(out)
    return ndarray._wrap(_np.array(_host_data(a), dtype=dtype, order=order or "K", copy=True))


asanyarray = asarray


def _host_data(obj):
    """Host data for :func:`array`; lists may hold device arrays (CuPy stacks them)."""
    if isinstance(obj, (list, tuple)):
        return [_host_data(o) for o in obj]
    return obj._a if type(obj) is ndarray else obj


def is_available():
    """Whether CuPy can use a CUDA device: the double pretends so."""
    return True


__all__ = ["ElementwiseKernel", "KernelNotAvailable", "RawKernel", "RawModule", "ReductionKernel", "array",
           "asanyarray", "asarray", "asnumpy", "cuda", "fuse", "get_array_module", "is_available", "ndarray",
           "random", "ufunc"]
