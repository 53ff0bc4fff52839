"""Shape, layout, dtype and device changes, joining and splitting."""

from __future__ import annotations

import math

import numpy as np

from .. import _backend
from .._dtype import result_dtype, to_dtype
from .._function import make_result, make_view
from .._tensor import Tensor
from .._args import normalize_axis, shape_args
from .._backend import check_same_device


def _view(out, a, forward, backward, name):
    """A view op's result when ``out`` kept ``a``'s memory (a reshape may have to copy)."""
    if a.xp.may_share_memory(out, a.data):
        return make_view(out, a, forward, backward, name)
    return make_result(out, (a,), backward, name, saved=())


def reshape(a, *shape):
    """The same data in a new shape (one size may be -1).

    Example:
        >>> import lucid
        >>> lucid.arange(6).reshape(2, 3).shape
        (2, 3)
    """
    shape = shape_args(shape)
    x = a.data
    try:
        out = x.reshape(shape)
    except ValueError as err:
        raise ValueError(f"cannot reshape a tensor of shape {tuple(x.shape)} into {shape}") from err
    new, old = out.shape, x.shape
    return _view(out, a, lambda arr: arr.reshape(new), lambda g: (g.reshape(old),), "reshape")


def swapaxes(a, axis1, axis2):
    """Swap two axes.

    Example:
        >>> import lucid
        >>> lucid.ones(2, 3).swapaxes(0, 1).shape
        (3, 2)
    """
    xp = a.xp
    out = xp.swapaxes(a.data, axis1, axis2)
    swap = lambda arr: xp.swapaxes(arr, axis1, axis2)  # noqa: E731  (its own inverse)
    return make_view(out, a, swap, lambda g: (swap(g),), "swapaxes")


def transpose(a, *axes):
    """Permute axes (reverse them when none are given).

    Example:
        >>> import lucid
        >>> lucid.ones(2, 3, 4).transpose(2, 0, 1).shape
        (4, 2, 3)
    """
    axes = shape_args(axes) if axes else tuple(range(a.ndim - 1, -1, -1))
    if len(axes) != a.ndim or sorted(ax % max(a.ndim, 1) for ax in axes) != list(range(a.ndim)):
        raise ValueError(f"transpose axes {axes} do not permute the {a.ndim} axes of the tensor")
    inverse = tuple(np.argsort([ax % a.ndim for ax in axes]))
    out = a.data.transpose(axes)
    return make_view(out, a, lambda arr: arr.transpose(axes), lambda g: (g.transpose(inverse),), "transpose")


def expand(a, *shape):
    """Broadcast to a larger ``shape`` without copying; ``-1`` keeps a size.

    Example:
        >>> import lucid
        >>> lucid.ones(3, 1).expand(2, -1, 4).shape
        (2, 3, 4)
    """
    shape = shape_args(shape)
    lead = len(shape) - a.ndim
    if lead < 0:
        raise ValueError(f"expand to {shape} has fewer dimensions than the tensor's shape {a.shape}")
    if any(n == -1 for n in shape[:lead]):
        raise ValueError(f"expand to {shape}: -1 is not allowed for the new leading dimensions")
    full = tuple(a.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
    try:
        out = a.xp.broadcast_to(a.data, full)
    except ValueError as err:
        raise ValueError(f"cannot expand a tensor of shape {a.shape} to {shape}") from err
    # the engine sums the gradient back over the broadcast axes
    return make_view(out, a, lambda arr: a.xp.broadcast_to(arr, full), lambda g: (g,), "expand")


def squeeze(a, axis=None):
    """Drop axes of size one (all of them, or those named).

    Example:
        >>> import lucid
        >>> lucid.ones(1, 3, 1).squeeze(0).shape
        (3, 1)
    """
    x = a.data
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        axes = normalize_axis(axis, a.ndim)
        for i in axes:
            if x.shape[i] != 1:
                raise ValueError(f"cannot squeeze axis {i} of size {x.shape[i]}")
    out = x.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))
    new, old = out.shape, x.shape
    return make_view(out, a, lambda arr: arr.reshape(new), lambda g: (g.reshape(old),), "squeeze")


def unsqueeze(a, axis):
    """Insert an axis of size one at ``axis``.

    Example:
        >>> import lucid
        >>> lucid.ones(3).unsqueeze(0).shape
        (1, 3)
    """
    x = a.data
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise IndexError(f"axis {axis} is out of range for unsqueeze of a {x.ndim}-d tensor")
    out = a.xp.expand_dims(x, axis)
    new, old = out.shape, x.shape
    return make_view(out, a, lambda arr: arr.reshape(new), lambda g: (g.reshape(old),), "unsqueeze")


def flatten(a, start_axis=0, end_axis=-1):
    """Merge axes ``start_axis..end_axis`` into one.

    Example:
        >>> import lucid
        >>> lucid.ones(2, 3, 4).flatten(1).shape
        (2, 12)
    """
    if a.ndim == 0:
        return reshape(a, (1,))  # as torch: a 0-d tensor flattens to one element
    # each axis on its own: a joint tuple would reject start == end as a repeated axis
    (s,), (e,) = normalize_axis(start_axis, a.ndim), normalize_axis(end_axis, a.ndim)
    if s > e:
        raise ValueError(f"flatten start_axis {start_axis} comes after end_axis {end_axis}")
    shape = a.shape
    return reshape(a, shape[:s] + (math.prod(shape[s : e + 1]),) + shape[e + 1 :])


def astype(a, dtype):
    """A copy cast to ``dtype`` (differentiable between floating dtypes).

    Example:
        >>> import lucid
        >>> lucid.tensor([1.5]).astype(lucid.Int64).tolist()
        [1]
    """
    dtype = to_dtype(dtype)
    x = a.data
    if x.dtype == dtype:
        return a
    out = x.astype(dtype)
    backward = (lambda g: (g.astype(x.dtype),)) if dtype.kind == "f" else None
    return make_result(out, (a,), backward, "astype", saved=())


def to(a, *args, device=None, dtype=None):
    """Move to a device and/or cast: ``to("gpu")``, ``to(lucid.Float16)``, ``to("cpu", "float64")``.

    Example:
        >>> import lucid
        >>> lucid.tensor([1, 2]).to("cpu", lucid.Float64).dtype
        dtype('float64')
    """
    for arg in args:
        if isinstance(arg, str) and arg in _backend.DEVICES:
            device = arg
        elif isinstance(arg, str) and arg not in np.sctypeDict:
            _backend.check_device(arg)
        else:
            dtype = arg
    out = a
    if device is not None and _backend.check_device(device) != a.device:
        src = a.device
        moved = _backend.to_device(a.data, device)
        out = make_result(moved, (a,), lambda g: (_backend.to_device(g, src),), "to", saved=())
    if dtype is not None:
        out = astype(out, dtype)
    return out


def _join(tensors, axis, stack):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("need at least one tensor to " + ("stack" if stack else "concatenate"))
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    check_same_device(*tensors)
    dt = result_dtype(*[t.dtype for t in tensors])
    tensors = [astype(t, dt) for t in tensors]
    xp = tensors[0].xp
    arrays = [t.data for t in tensors]
    try:
        out = xp.stack(arrays, axis=axis) if stack else xp.concatenate(arrays, axis=axis)
    except ValueError as err:
        shapes = [tuple(t.shape) for t in tensors]
        raise ValueError(f"cannot {'stack' if stack else 'concatenate'} shapes {shapes} on axis {axis}: {err}") from err
    ax = axis % out.ndim

    def backward(g):
        if stack:
            return tuple(xp.take(g, i, axis=ax) for i in range(len(arrays)))
        bounds = np.cumsum([arr.shape[ax] for arr in arrays])[:-1]
        return tuple(xp.split(g, bounds.tolist(), axis=ax))

    return make_result(out, tuple(tensors), backward, "stack" if stack else "concatenate", saved=())


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis.

    Example:
        >>> import lucid
        >>> lucid.concatenate([lucid.ones(2), lucid.zeros(1)]).tolist()
        [1.0, 1.0, 0.0]
    """
    return _join(tensors, axis, stack=False)


def stack(tensors, axis=0):
    """Join tensors along a new axis.

    Example:
        >>> import lucid
        >>> lucid.stack([lucid.ones(2), lucid.zeros(2)], axis=1).tolist()
        [[1.0, 0.0], [1.0, 0.0]]
    """
    return _join(tensors, axis, stack=True)
