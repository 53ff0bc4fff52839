"""The double's top-level names: CuPy's NumPy-compatible routines, each NumPy's own run on
the device memory, and nothing CuPy lacks (``cupy.errstate`` does not exist, so neither does
it here)."""

from __future__ import annotations

import types

import numpy as _np

from ._array import call_numpy, ndarray, to_device, to_host_args

#: The names ``cupy`` exports that NumPy also has (read off CuPy 13/14's ``cupy/__init__.py``).
CUPY_NAMES = frozenset("""
abs absolute acos acosh add all allclose amax amin angle any append apply_along_axis apply_over_axes arange
arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin argpartition argsort argwhere around array
array2string array_equal array_equiv array_repr array_split array_str asanyarray asarray asarray_chkfinite
ascontiguousarray asfortranarray asin asinh astype atan atan2 atanh atleast_1d atleast_2d atleast_3d average
bartlett base_repr binary_repr bincount bitwise_and bitwise_count bitwise_invert bitwise_left_shift bitwise_not
bitwise_or bitwise_right_shift bitwise_xor blackman bool bool_ broadcast broadcast_arrays broadcast_shapes
broadcast_to byte c_ can_cast cbrt cdouble ceil choose clip column_stack common_type complex128 complex64
complexfloating compress concat concatenate conj conjugate convolve copy copysign copyto corrcoef correlate cos
cosh count_nonzero cov cross csingle cumprod cumsum cumulative_prod cumulative_sum deg2rad degrees delete diag
diag_indices diag_indices_from diagflat diagonal diff digitize divide divmod dot double dsplit dstack dtype e
ediff1d einsum empty empty_like equal euler_gamma exp exp2 expand_dims expm1 extract eye fabs fill_diagonal
finfo fix flatnonzero flip fliplr flipud float16 float32 float64 float_power floating floor floor_divide fmax
fmin fmod format_float_positional format_float_scientific frexp from_dlpack frombuffer fromfile fromfunction
fromiter fromstring full full_like gcd generic genfromtxt gradient greater greater_equal half hamming hanning
heaviside histogram histogram2d histogramdd hsplit hstack hypot i0 identity iinfo imag index_exp indices inexact
inf inner int16 int32 int64 int8 int_ intc integer interp intersect1d intp invert isclose iscomplex iscomplexobj
isdtype isfinite isfortran isin isinf isnan isneginf isposinf isreal isrealobj isscalar issubdtype iterable ix_
kaiser kron lcm ldexp left_shift less less_equal lexsort linspace load loadtxt log log10 log1p log2 logaddexp
logaddexp2 logical_and logical_not logical_or logical_xor logspace long longlong mask_indices matmul
matrix_transpose max maximum may_share_memory mean median meshgrid mgrid min min_scalar_type minimum
mintypecode mod modf moveaxis multiply nan nan_to_num nanargmax nanargmin nancumprod nancumsum nanmax nanmean
nanmedian nanmin nanprod nanstd nansum nanvar ndim ndindex negative newaxis nextafter nonzero not_equal number
ogrid ones ones_like outer packbits pad partition percentile permute_dims pi piecewise place poly poly1d polyadd
polyfit polymul polysub polyval positive pow power prod promote_types ptp put put_along_axis putmask quantile
r_ rad2deg radians ravel ravel_multi_index real real_if_close reciprocal remainder repeat require reshape
resize result_type right_shift rint roll rollaxis roots rot90 round row_stack s_ save savetxt savez
savez_compressed searchsorted select setdiff1d setxor1d shape shares_memory short sign signbit signedinteger sin
sinc single sinh size sort sort_complex split sqrt square squeeze stack std subtract sum swapaxes take
take_along_axis tan tanh tensordot tile trace transpose trapezoid tri tril tril_indices tril_indices_from
trim_zeros triu triu_indices triu_indices_from true_divide trunc typename ubyte ufunc uint uint16 uint32 uint64
uint8 uintc uintp ulong ulonglong union1d unique unique_all unique_counts unique_inverse unique_values
unpackbits unravel_index unsignedinteger unwrap ushort vander var vdot vectorize vsplit vstack where zeros
zeros_like
""".split())

#: Names whose NumPy objects CuPy re-exports as they are (dtypes, constants, dtype queries).
_AS_IS = frozenset("""
bool bool_ byte c_ can_cast cdouble complex128 complex64 complexfloating csingle double dtype e euler_gamma
finfo float16 float32 float64 floating generic half iinfo index_exp inexact inf int16 int32 int64 int8 int_
intc integer intp isdtype issubdtype long longlong min_scalar_type mintypecode nan newaxis number pi
promote_types s_ short signedinteger single typename ubyte uint uint16 uint32 uint64 uint8 uintc uintp ulong
ulonglong unsignedinteger ushort
""".split())

#: Routines that take host data on purpose: the explicit host-to-device copies.
_FROM_HOST = frozenset({"array", "asarray", "asanyarray"})


class ufunc:
    """``cupy.ufunc``: a NumPy ufunc on the device memory, refusing host arrays."""

    def __init__(self, np_ufunc):
        self._u = np_ufunc
        self.__name__ = np_ufunc.__name__
        self.nin, self.nout, self.nargs, self.types = np_ufunc.nin, np_ufunc.nout, np_ufunc.nargs, np_ufunc.types

    def __repr__(self):
        return f"<ufunc '{self.__name__}'>"

    def __call__(self, *args, **kwargs):
        return call_numpy(self._u, args, kwargs)

    def reduce(self, *args, **kwargs):
        return call_numpy(self._u.reduce, args, kwargs)

    def accumulate(self, *args, **kwargs):
        return call_numpy(self._u.accumulate, args, kwargs)

    def reduceat(self, *args, **kwargs):
        return call_numpy(self._u.reduceat, args, kwargs)

    def outer(self, *args, **kwargs):
        return call_numpy(self._u.outer, args, kwargs)

    def at(self, a, indices, b=None):
        self._u.at(to_host_args(a), to_host_args(indices, accept_host=True), *(() if b is None else (to_host_args(b),)))


def _routine(name, fn):
    accept_host = name in _FROM_HOST

    def run(*args, **kwargs):
        return call_numpy(fn, args, kwargs, accept_host)

    run.__name__ = run.__qualname__ = name
    run.__doc__ = f"``cupy.{name}``: ``numpy.{name}`` on device arrays."
    return run


def _build():
    names = {}
    for name in sorted(CUPY_NAMES):
        obj = getattr(_np, name, None)
        if obj is None or isinstance(obj, types.ModuleType):
            continue
        if name in _AS_IS or isinstance(obj, type) and name != "ufunc":
            names[name] = obj
        elif isinstance(obj, _np.ufunc):
            names[name] = ufunc(obj)
        elif callable(obj):
            names[name] = _routine(name, obj)
        else:
            names[name] = obj  # index helpers (mgrid, r_, ...) and other objects
    names["ufunc"] = ufunc
    names["ndarray"] = ndarray
    return names


NAMES = _build()


def ufunc_named(name):
    """The double's ufunc ``name`` (None where CuPy has none, e.g. ``erf``: that is
    ``cupyx.scipy.special.erf``)."""
    fn = NAMES.get(name)
    if isinstance(fn, ufunc):
        return fn
    from cupyx.scipy import special

    fn = getattr(special, name, None)
    return fn if isinstance(fn, ufunc) else None


def function_named(np_func):
    """The double's routine for NumPy function ``np_func`` (``__array_function__``), or None."""
    if getattr(np_func, "__module__", None) != "numpy":
        return None
    fn = NAMES.get(np_func.__name__)
    return fn if callable(fn) and fn is not np_func else None


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    """``cupy.asnumpy``: a NumPy copy of device array ``a``; other data through ``numpy.asarray``."""
    if type(a) is ndarray:
        return a.get(order=order, out=out)
    host = _np.asarray(a, order=order)
    if out is not None:
        out[...] = host
        return out
    return host


def get_array_module(*args):
    """``cupy`` if any argument is a device array, else ``numpy``."""
    import cupy

    return cupy if any(type(a) is ndarray for a in args) else _np


__all__ = ["NAMES", "asnumpy", "get_array_module", "to_device", "ufunc"]
