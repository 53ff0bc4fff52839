"""The double's ``ndarray``: NumPy memory behind a type that is not a NumPy array.

The wrapped NumPy array stands for device memory. Everything that would cross to the
host without an explicit ``get()`` raises as CuPy does; everything else runs NumPy on the
wrapped array and wraps what comes back.
"""

from __future__ import annotations

import numpy as _np

_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. "
             "Please use `.get()` to construct a NumPy array explicitly.")


def unsupported(obj):
    """The TypeError CuPy raises when host data reaches a device routine."""
    return TypeError(f"Unsupported type {type(obj)}")


def to_host_args(obj, accept_host=False, seen=None):
    """``obj`` with every device array replaced by its NumPy memory, recursing into
    lists, tuples and dicts; a NumPy array raises (unless ``accept_host``), as CuPy
    refuses to copy host arrays to the device behind the caller's back. ``seen`` (a
    dict) collects the device arrays met, by the id of their memory."""
    if type(obj) is ndarray:
        if seen is not None:
            seen[id(obj._a)] = obj
        return obj._a
    if isinstance(obj, _np.ndarray) and not accept_host:
        raise unsupported(obj)
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_host_args(o, accept_host, seen) for o in obj)
    if isinstance(obj, dict):
        return {k: to_host_args(v, accept_host, seen) for k, v in obj.items()}
    return obj


def to_device(obj, seen=None):
    """Wrap what NumPy returned: arrays and NumPy scalars become device arrays (CuPy
    returns 0-d arrays where NumPy returns scalars); tuples and lists are wrapped item by
    item; the memory of an argument (``seen``) comes back as that argument itself."""
    if isinstance(obj, _np.ndarray):
        if seen is not None and id(obj) in seen:
            return seen[id(obj)]
        return ndarray._wrap(obj)
    if isinstance(obj, _np.generic):
        return ndarray._wrap(_np.asarray(obj))
    if isinstance(obj, tuple):
        return tuple(to_device(o, seen) for o in obj)
    if isinstance(obj, list):
        return [to_device(o, seen) for o in obj]
    return obj


def call_numpy(fn, args, kwargs, accept_host=False):
    """``fn`` on the NumPy memory of device arguments, its results wrapped back (an
    argument returned as it is, as ``out=`` and no-op ``asarray`` do, is the same object).
    Floating-point errors pass silently: CuPy's kernels report none."""
    seen = {}
    with _np.errstate(all="ignore"):
        out = fn(*to_host_args(args, accept_host, seen), **to_host_args(kwargs, accept_host, seen))
    return to_device(out, seen)


class Flags:
    """``ndarray.flags``: attribute and item access, as CuPy's ``Flags``."""

    def __init__(self, a):
        self.c_contiguous = bool(a.flags.c_contiguous)
        self.f_contiguous = bool(a.flags.f_contiguous)
        self.owndata = bool(a.flags.owndata)

    def __getitem__(self, name):
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous,
                "OWNDATA": self.owndata}[name]


#: ``cupy.ndarray`` methods (CuPy's reference) that run as NumPy's on the device memory.
_METHODS = (
    "all", "any", "argmax", "argmin", "argpartition", "argsort", "choose", "clip", "compress", "conj",
    "conjugate", "copy", "cumprod", "cumsum", "diagonal", "dot", "max", "mean", "min", "nonzero",
    "partition", "prod", "ravel", "repeat", "reshape", "round", "searchsorted", "sort", "squeeze", "std",
    "sum", "swapaxes", "take", "trace", "transpose", "var", "view",
)

#: Operators, by the NumPy ufunc that implements each.
_BINARY = {
    "add": "add", "sub": "subtract", "mul": "multiply", "matmul": "matmul", "truediv": "true_divide",
    "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "lshift": "left_shift",
    "rshift": "right_shift", "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
}
_COMPARE = {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal", "eq": "equal",
            "ne": "not_equal"}


class ndarray:
    """A device array of the double (``cupy.ndarray``); not a ``numpy.ndarray``.

    Example:
        >>> import cupy, numpy
        >>> x = cupy.arange(3.0)
        >>> isinstance(x, numpy.ndarray), type(numpy.exp(x)).__name__, (x * 2).get().tolist()
        (False, 'ndarray', [0.0, 2.0, 4.0])
    """

    __slots__ = ("_a",)
    __array_priority__ = 100
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        if memptr is not None or strides is not None:
            raise NotImplementedError("the CuPy double has no device memory pointers (memptr, strides)")
        self._a = _np.empty(shape, dtype, order=order)

    @classmethod
    def _wrap(cls, a):
        obj = cls.__new__(cls)
        obj._a = a
        return obj

    # -- what the host may see only through get() -------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError(_IMPLICIT)

    def get(self, stream=None, order="C", out=None, blocking=True):
        """A NumPy copy of this array (the device-to-host transfer)."""
        host = _np.array(self._a, order=order)
        if out is None:
            return host
        out[...] = host
        return out

    def set(self, arr, stream=None):
        """Copy NumPy array ``arr`` (same shape) into this array (host-to-device)."""
        if not isinstance(arr, _np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, got {type(arr)}")
        if arr.shape != self._a.shape:
            raise ValueError(f"Shape mismatch. Old shape: {self._a.shape}, new shape: {arr.shape}")
        self._a[...] = arr

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def tobytes(self, order="C"):
        return self._a.tobytes(order)

    def __int__(self):
        return int(self._a)

    def __float__(self):
        return float(self._a)

    def __complex__(self):
        return complex(self._a)

    def __bool__(self):
        return bool(self._a)

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a, spec)

    def __reduce__(self):
        from . import array

        return array, (self.get(),)

    # -- attributes -------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: Flags(self._a))
    T = property(lambda self: ndarray._wrap(self._a.T))
    mT = property(lambda self: ndarray._wrap(_np.swapaxes(self._a, -1, -2)))
    real = property(lambda self: ndarray._wrap(self._a.real))
    imag = property(lambda self: ndarray._wrap(self._a.imag))

    @property
    def base(self):
        """The array this one is a view of, else None (a new wrapper each time: CuPy
        returns the same object, so compare with ``is None`` only)."""
        return None if self._a.base is None else ndarray._wrap(self._a.base)

    @property
    def device(self):
        from .cuda import Device

        return Device(0)

    # -- methods ----------------------------------------------------------------------
    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        out = self._a.astype(dtype, order=order, copy=copy)
        return self if out is self._a else ndarray._wrap(out)

    def fill(self, value):
        if isinstance(value, _np.ndarray) and value.shape != ():
            raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
        self._a.fill(to_host_args(value, accept_host=True))

    def flatten(self, order="C"):
        return ndarray._wrap(self._a.flatten(order))

    def put(self, indices, values, mode="wrap"):
        self._a.put(to_host_args(indices), to_host_args(values), mode=mode)

    def __copy__(self):
        return ndarray._wrap(self._a.copy())

    def __deepcopy__(self, memo):
        return ndarray._wrap(self._a.copy())

    # -- container --------------------------------------------------------------------
    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self._a.shape[0]))

    def __getitem__(self, key):
        # CuPy copies host index arrays (and lists) to the device; so does the double
        out = self._a[to_host_args(key, accept_host=True)]
        return self if out is self._a else to_device(out)

    def __setitem__(self, key, value):
        if isinstance(value, _np.ndarray) and value.shape != ():
            raise ValueError("non-scalar numpy.ndarray cannot be used for fill")  # CuPy refuses host values
        self._a[to_host_args(key, accept_host=True)] = to_host_args(value, accept_host=True)

    # -- NumPy interoperability: NumPy functions on device arrays run on the device --------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from . import _namespace

        fn = _namespace.ufunc_named(ufunc.__name__)
        if fn is None:
            return NotImplemented
        return fn(*inputs, **kwargs) if method == "__call__" else getattr(fn, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        from . import _namespace

        fn = _namespace.function_named(func)
        if fn is None:
            return NotImplemented
        return fn(*args, **kwargs)


def _method(name):
    def run(self, *args, **kwargs):
        seen = {id(self._a): self}
        with _np.errstate(all="ignore"):
            out = getattr(self._a, name)(*to_host_args(args, seen=seen), **to_host_args(kwargs, seen=seen))
        return to_device(out, seen)

    run.__name__ = name
    run.__doc__ = f"``cupy.ndarray.{name}``: NumPy's on the device memory."
    return run


def _operator(ufunc_name, reflected=False, inplace=False):
    def run(self, other):
        from . import _namespace

        if not (type(other) is ndarray or _np.isscalar(other) or isinstance(other, _np.ndarray)):
            return NotImplemented  # lists, tensors, ...: let the other operand decide
        fn = _namespace.ufunc_named(ufunc_name)
        if inplace:
            fn(self, other, out=self)
            return self
        return fn(other, self) if reflected else fn(self, other)

    return run


for _name in _METHODS:
    setattr(ndarray, _name, _method(_name))
for _op, _uf in _BINARY.items():
    setattr(ndarray, f"__{_op}__", _operator(_uf))
    setattr(ndarray, f"__r{_op}__", _operator(_uf, reflected=True))
    setattr(ndarray, f"__i{_op}__", _operator(_uf, inplace=True))
for _op, _uf in _COMPARE.items():
    setattr(ndarray, f"__{_op}__", _operator(_uf))
ndarray.__neg__ = lambda self: ndarray._wrap(-self._a)
ndarray.__pos__ = lambda self: ndarray._wrap(+self._a)
ndarray.__abs__ = lambda self: ndarray._wrap(abs(self._a))
ndarray.__invert__ = lambda self: ndarray._wrap(~self._a)
ndarray.__divmod__ = lambda self, other: _operator("divmod")(self, other)
ndarray.__module__ = "cupy"  # as CuPy's: type(x) prints as cupy.ndarray
