"""Tensor constructors."""

from __future__ import annotations

import numpy as np

from .. import _backend
from .._dtype import Bool, Float32, Int64, to_dtype
from .._tensor import Tensor
from .._args import shape_args


def tensor(data, requires_grad=False, keep_grad=False, dtype=None, device=None):
    """Build a tensor; same arguments as :class:`lucid.Tensor`. The data is always copied, from
    an array or a Tensor too (:func:`from_numpy` and :func:`as_tensor` share it instead).

    Example:
        >>> import lucid, numpy as np
        >>> a = np.zeros(2)
        >>> t = lucid.tensor(a)
        >>> a[0] = 5.0
        >>> t.tolist()
        [0.0, 0.0]
    """
    return Tensor(data, requires_grad=requires_grad, keep_grad=keep_grad, dtype=dtype, device=device)


def from_numpy(a):
    """A CPU tensor on NumPy array ``a``'s memory (no copy): writing to one shows in the other,
    as ``torch.from_numpy``. Changes made through ``a`` are not tracked by autograd.

    Example:
        >>> import lucid, numpy as np
        >>> a = np.zeros(2, dtype=np.float32)
        >>> t = lucid.from_numpy(a)
        >>> a[0] = 5.0
        >>> t.tolist()
        [5.0, 0.0]
    """
    if not isinstance(a, np.ndarray):
        raise TypeError(f"from_numpy expects a NumPy array, got {type(a).__name__}")
    if a.dtype.kind not in "fiub":
        raise TypeError(f"from_numpy: unsupported dtype {a.dtype} (lucid holds bool, integer and float tensors)")
    return Tensor._wrap(a)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing its memory when it already is one (or a NumPy/CuPy array)
    of the requested dtype and device, as ``torch.as_tensor``; otherwise a converted copy (a
    Tensor is converted with :meth:`Tensor.to`, which is differentiable).

    Example:
        >>> import lucid, numpy as np
        >>> a = np.ones(2)
        >>> lucid.as_tensor(a).data is a, lucid.as_tensor(a, dtype=lucid.Float32).dtype
        (True, dtype('float32'))
    """
    dtype = to_dtype(dtype)
    if device is not None:
        device = _backend.check_device(device)
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    if _backend.is_array(data) and data.dtype.kind in "fiub" and (dtype is None or dtype == data.dtype) \
            and device in (None, _backend.device_of(data)):
        return Tensor._wrap(data)
    return Tensor(data, dtype=dtype, device=device)


def _typed(name, dtype):
    def make(data, requires_grad=False, keep_grad=False, device=None):
        return Tensor(data, requires_grad=requires_grad, keep_grad=keep_grad, dtype=dtype, device=device)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"""A tensor of dtype {dtype}.

    Example:
        >>> import lucid
        >>> lucid.{name}([1, 0]).dtype
        dtype('{dtype}')
    """
    return make


LongTensor = _typed("LongTensor", "int64")
IntTensor = _typed("IntTensor", "int32")
FloatTensor = _typed("FloatTensor", "float32")
DoubleTensor = _typed("DoubleTensor", "float64")
HalfTensor = _typed("HalfTensor", "float16")
BoolTensor = _typed("BoolTensor", "bool")


def _shape_of(shape):
    shape = shape_args(shape)
    for n in shape:
        if n < 0:
            raise ValueError(f"negative dimension {n} in shape {shape}")
    return shape


def _filled(fill, shape, dtype, device, requires_grad):
    xp = _backend.get_xp(device)
    arr = xp.full(_shape_of(shape), fill, dtype=to_dtype(dtype) or Float32)
    return Tensor._wrap(arr).requires_grad_(requires_grad)


def zeros(*shape, dtype=None, device="cpu", requires_grad=False):
    """A tensor of zeros; ``shape`` as separate ints or one tuple (float32 by default).

    Example:
        >>> import lucid
        >>> lucid.zeros(2, 3).shape
        (2, 3)
    """
    return _filled(0, shape, dtype, device, requires_grad)


def ones(*shape, dtype=None, device="cpu", requires_grad=False):
    """A tensor of ones; ``shape`` as separate ints or one tuple (float32 by default).

    Example:
        >>> import lucid
        >>> lucid.ones((2,), dtype=lucid.Int64).tolist()
        [1, 1]
    """
    return _filled(1, shape, dtype, device, requires_grad)


def full(shape, fill_value, dtype=None, device="cpu", requires_grad=False):
    """A tensor filled with ``fill_value`` (its dtype follows the value unless given).

    Example:
        >>> import lucid
        >>> lucid.full((2,), 7).tolist()
        [7, 7]
    """
    if dtype is None:  # bool is an int subclass, so it is tested first
        dtype = (Bool if isinstance(fill_value, (bool, np.bool_)) else
                 Int64 if isinstance(fill_value, (int, np.integer)) else Float32)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _filled(fill_value, shape, dtype, device, requires_grad)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    """Zeros with the shape (and by default dtype and device) of ``t``.

    Example:
        >>> import lucid
        >>> lucid.zeros_like(lucid.tensor([1, 2])).tolist()
        [0, 0]
    """
    return _filled(0, t.shape, dtype or t.dtype, device or t.device, requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    """Ones with the shape (and by default dtype and device) of ``t``.

    Example:
        >>> import lucid
        >>> lucid.ones_like(lucid.zeros(2, 1)).tolist()
        [[1.0], [1.0]]
    """
    return _filled(1, t.shape, dtype or t.dtype, device or t.device, requires_grad)


def arange(start, stop=None, step=1, dtype=None, device="cpu"):
    """Evenly spaced values in ``[start, stop)``; int64 for ints, float32 for floats.

    Example:
        >>> import lucid
        >>> lucid.arange(3).tolist()
        [0, 1, 2]
    """
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        dtype = Int64 if all(isinstance(v, int) for v in (start, stop, step)) else Float32
    xp = _backend.get_xp(device)
    return Tensor._wrap(xp.arange(start, stop, step, dtype=to_dtype(dtype)))
