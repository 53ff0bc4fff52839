"""Indexing: getitem (basic, integer-array, boolean), setitem and gather."""

from __future__ import annotations

from .. import _backend
from .._function import make_result, make_view, modify
from .._tensor import Tensor
from .._args import as_tensor
from .._backend import check_same_device


def scatter_add(xp, target, index, values):
    """``target[index] += values`` with repeated indices accumulating, on NumPy or CuPy."""
    if xp.__name__ == "numpy":
        xp.add.at(target, index, values)
    else:
        import cupyx

        cupyx.scatter_add(target, index, values)
    return target


def _is_advanced(item):
    return not (item is None or item is Ellipsis or isinstance(item, (int, slice)))


def _convert_index(index, device):
    """Tensors (and lists) inside an index become arrays on ``device``."""
    xp = _backend.get_xp(device)

    def one(item):
        if isinstance(item, Tensor):
            if item.device != device:
                raise RuntimeError(
                    f"expected all tensors on the same device, found devices '{device}' and '{item.device}' "
                    "(the index tensor)"
                )
            return item.data
        if isinstance(item, list) or hasattr(item, "__array__"):  # lists, NumPy/CuPy arrays and scalars
            return xp.asarray(item)
        return item

    if isinstance(index, tuple):
        return tuple(one(i) for i in index)
    return one(index)


def _prepare(index, device):
    """``(index as arrays, whether it is advanced)``; a basic index ends in ``...`` so that it
    always selects a view (NumPy gives a scalar copy for ``x[0]`` on 1-D, a 0-d view for ``x[0, ...]``)."""
    idx = _convert_index(index, device)
    items = idx if isinstance(idx, tuple) else (idx,)
    advanced = any(_is_advanced(i) for i in items)
    if not advanced and not any(i is Ellipsis for i in items):
        idx = items + (Ellipsis,)
    return idx, advanced


def _index_tensors(index):
    """The tensors inside an index (an advanced index's arrays, which backward reads)."""
    items = index if isinstance(index, tuple) else (index,)
    return tuple(i for i in items if isinstance(i, Tensor))


def getitem(a, index):
    """``a[index]``; differentiable, and repeated integer indices accumulate gradient. Basic
    indexing (ints, slices, ``None``, ``...``) gives a view that shares ``a``'s memory, as in
    PyTorch (so ``a[0] += 1`` changes ``a``); integer-array and boolean indexing copy.

    Example:
        >>> import lucid
        >>> x = lucid.arange(6).reshape(2, 3)
        >>> x[1, [0, 2]].tolist()
        [3, 5]
    """
    idx, advanced = _prepare(index, a.device)
    x = a.data
    try:
        out = x[idx]
    except IndexError as err:
        raise IndexError(f"index {index!r} is out of range for a tensor of shape {tuple(x.shape)}: {err}") from err
    xp = a.xp

    def backward(g):
        gx = xp.zeros(x.shape, dtype=g.dtype)
        if advanced:
            scatter_add(xp, gx, idx, g)
        else:
            gx[idx] = g
        return (gx,)

    if advanced:
        return make_result(out, (a,), backward, "getitem", saved=_index_tensors(index))
    return make_view(out, a, lambda arr: arr[idx], backward, "getitem")


def setitem(a, index, value):
    """``a[index] = value`` in place. Differentiable: when ``value`` requires grad, ``a``
    becomes part of the graph (``buf = lucid.zeros(3); buf[0] = (x * x).sum()`` gives ``x``
    its gradient through ``buf[0]``). A leaf that requires grad can only be written under
    :func:`lucid.no_grad`.

    Example:
        >>> import lucid
        >>> x = lucid.tensor([1.0, 2.0], requires_grad=True)
        >>> buf = lucid.zeros(3)
        >>> buf[0] = (x * x).sum()
        >>> (buf * 2).sum().backward()
        >>> x.grad.tolist()
        [4.0, 8.0]
    """
    idx, _ = _prepare(index, a.device)
    others = ()
    if isinstance(value, Tensor):
        check_same_device(a, value)
        others = (value,)
        value = value.data

    def write(arr):
        try:
            arr[idx] = value
        except IndexError as err:
            raise IndexError(f"index {index!r} is out of range for a tensor of shape {a.shape}: {err}") from err

    # the region's old values are overwritten (no gradient); the value gets the region's gradient
    modify(a, "setitem", others, write, lambda g: (None,) + (g,) * len(others), _index_tensors(index), region=idx)


def gather(x, dim, index):
    """Pick values along ``dim`` at ``index`` (same rank as ``x``), as ``torch.gather``.

    Example:
        >>> import lucid
        >>> x = lucid.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> lucid.gather(x, 1, lucid.tensor([[1], [0]])).tolist()
        [[2.0], [3.0]]
    """
    index = as_tensor(index, x)
    check_same_device(x, index)
    if index.ndim != x.ndim:
        raise ValueError(f"gather index has {index.ndim} dimensions, the input {x.ndim}")
    if index.data.dtype.kind not in "iu":
        raise TypeError(f"gather index must be an integer tensor, got dtype {index.dtype}")
    xp = x.xp
    if not -x.ndim <= dim < x.ndim:
        raise IndexError(f"gather dim {dim} is out of range for a tensor with {x.ndim} dimensions")
    dim = dim % x.ndim
    n = x.shape[dim]
    for i, (s_i, s_x) in enumerate(zip(index.shape, x.shape)):
        if i != dim and s_i > s_x:
            raise ValueError(f"gather index shape {index.shape} exceeds the input shape {x.shape} on axis {i}")
    ids = index.data
    if ids.size and (int(ids.min()) < -n or int(ids.max()) >= n):
        raise IndexError(f"gather index out of range for axis {dim} of size {n}")
    # Index only the region the index covers along the other axes, as torch does.
    region = tuple(slice(0, s) if i != dim else slice(None) for i, s in enumerate(ids.shape))
    out = xp.take_along_axis(x.data[region], ids, axis=dim)

    def backward(g):
        gx = xp.zeros(x.shape, dtype=g.dtype)
        grid = list(xp.meshgrid(*[xp.arange(s) for s in ids.shape], indexing="ij"))
        grid[dim] = ids % n
        scatter_add(xp, gx, tuple(grid), g)
        return (gx,)

    return make_result(out, (x,), backward, "gather", saved=(index,))
