"""The Tensor: an array on a device, an optional gradient and the graph behind it."""

from __future__ import annotations

import weakref

import numpy as np

from . import _backend
from ._dtype import is_floating, to_dtype


def _as_array(data, dtype, device):
    """Turn tensor/array/scalar/list ``data`` into an array on ``device`` with Lucid's dtype rules."""
    if isinstance(data, Tensor):
        arr = data.data
    elif _backend.is_array(data):
        arr = data
    elif isinstance(data, np.generic):
        arr = np.asarray(data)  # NumPy scalars keep their dtype, as arrays do
    else:
        try:
            arr = np.asarray(data)
        except ValueError as err:
            raise ValueError(f"cannot build a tensor from ragged or invalid data: {err}") from err
        if arr.dtype == object:
            raise TypeError(f"cannot build a tensor from data of type {type(data).__name__}")
        if dtype is None:
            if arr.dtype.kind == "f":
                dtype = np.float32  # Python floats become float32
            elif arr.dtype.kind in "iu":
                dtype = np.int64
    if dtype is None and arr.dtype.kind not in "fiub":
        raise TypeError(f"unsupported data dtype {arr.dtype} for a tensor")
    device = _backend.device_of(arr) if device is None else _backend.check_device(device)
    arr = _backend.to_device(arr, device)
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    return arr


class Tensor:
    """An n-dimensional array on ``"cpu"`` (NumPy) or ``"gpu"`` (CuPy) with autograd.

    Args:
        data: a Python scalar, (nested) list, NumPy or CuPy array, or Tensor.
        requires_grad: record operations on this tensor so ``backward()`` fills ``grad``.
        keep_grad: keep ``grad`` on this tensor even when it is not a leaf.
        dtype: the dtype to cast to; by default Python floats become float32,
            ints int64, and arrays keep their dtype.
        device: ``"cpu"`` or ``"gpu"``; by default where ``data`` already is (``"cpu"``
            for Python data).

    Example:
        >>> import lucid
        >>> x = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> y = (x * x).sum()
        >>> y.backward()
        >>> x.grad
        array([[2., 4.],
               [6., 8.]], dtype=float32)
    """

    __slots__ = ("data", "grad", "requires_grad", "keep_grad", "_node", "__weakref__")
    __array_ufunc__ = None  # NumPy operators defer to Tensor's reflected ones (ndarray + Tensor -> Tensor)

    def __init__(self, data, requires_grad=False, keep_grad=False, dtype=None, device=None):
        self.data = _as_array(data, to_dtype(dtype), device)
        self.grad = None
        self.keep_grad = bool(keep_grad)
        self._node = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, arr):
        """Fast path for ops: wrap an array that is already on its device."""
        if isinstance(arr, np.generic):  # NumPy turns 0-d results into scalars; keep arrays
            arr = np.asarray(arr)
        t = cls.__new__(cls)
        t.data = arr
        t.grad = None
        t.requires_grad = False
        t.keep_grad = False
        t._node = None
        return t

    def requires_grad_(self, flag=True):
        """Set ``requires_grad`` in place; only floating tensors can require gradients.

        Example:
            >>> import lucid
            >>> lucid.ones(2).requires_grad_().requires_grad
            True
        """
        if flag and not is_floating(self.data.dtype):
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.data.dtype}")
        self.requires_grad = bool(flag)
        return self

    # ---- properties -------------------------------------------------------------------
    @property
    def shape(self):
        """The shape tuple.

        Example:
            >>> import lucid
            >>> lucid.ones(2, 3).shape
            (2, 3)
        """
        return tuple(self.data.shape)

    @property
    def ndim(self):
        """The number of dimensions.

        Example:
            >>> import lucid
            >>> lucid.ones(2, 3).ndim
            2
        """
        return self.data.ndim

    @property
    def size(self):
        """The number of elements.

        Example:
            >>> import lucid
            >>> lucid.ones(2, 3).size
            6
        """
        return int(self.data.size)

    @property
    def dtype(self):
        """The dtype (a NumPy dtype object such as ``lucid.Float32``).

        Example:
            >>> import lucid
            >>> lucid.tensor([1.0]).dtype
            dtype('float32')
        """
        return self.data.dtype

    @property
    def device(self):
        """``"cpu"`` or ``"gpu"``.

        Example:
            >>> import lucid
            >>> lucid.ones(1).device
            'cpu'
        """
        return _backend.device_of(self.data)

    @property
    def is_leaf(self):
        """True for tensors not produced by a recorded op (user-made tensors, parameters).

        Example:
            >>> import lucid
            >>> (lucid.ones(1, requires_grad=True) * 2).is_leaf
            False
        """
        return self._node is None

    @property
    def xp(self):
        """The array module of this tensor's device (``numpy`` or ``cupy``).

        Example:
            >>> import lucid
            >>> lucid.ones(1).xp.__name__
            'numpy'
        """
        return _backend.xp_of(self.data)

    # ---- conversion -------------------------------------------------------------------
    def item(self):
        """The single value as a Python number.

        Example:
            >>> import lucid
            >>> lucid.tensor([[2.5]]).item()
            2.5
        """
        if self.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self):
        """The data as (nested) Python lists.

        Example:
            >>> import lucid
            >>> lucid.tensor([[1, 2]]).tolist()
            [[1, 2]]
        """
        return _backend.to_numpy(self.data).tolist()

    def numpy(self):
        """The data as a NumPy array (copied from the GPU when needed).

        Example:
            >>> import lucid
            >>> lucid.tensor([1.0]).numpy()
            array([1.], dtype=float32)
        """
        return _backend.to_numpy(self.data)

    def detach(self):
        """A tensor sharing this data with no graph and no gradient.

        Example:
            >>> import lucid
            >>> (lucid.ones(1, requires_grad=True) * 2).detach().requires_grad
            False
        """
        return Tensor._wrap(self.data)

    def zero_grad(self):
        """Forget the accumulated gradient.

        Example:
            >>> import lucid
            >>> t = lucid.ones(1, requires_grad=True); t.sum().backward(); t.zero_grad()
            >>> t.grad is None
            True
        """
        self.grad = None

    def is_cpu(self):
        """Whether the tensor lives on the CPU.

        Example:
            >>> import lucid
            >>> lucid.ones(1).is_cpu()
            True
        """
        return self.device == "cpu"

    def is_gpu(self):
        """Whether the tensor lives on the GPU.

        Example:
            >>> import lucid
            >>> lucid.ones(1).is_gpu()
            False
        """
        return self.device == "gpu"

    def __array__(self, dtype=None, copy=None):
        if not isinstance(self.data, np.ndarray):
            raise TypeError("cannot turn a GPU tensor into a NumPy array implicitly; call .numpy() to copy it")
        arr = self.data if dtype is None else self.data.astype(dtype, copy=False)
        return arr.copy() if copy else arr

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self):
        if self.size != 1:
            raise ValueError(f"the truth value of a tensor with shape {self.shape} is ambiguous")
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iu" or self.size != 1:
            raise TypeError("only single-element integer tensors can be used as an index")
        return int(self.item())

    __hash__ = object.__hash__

    def __repr__(self):
        body = np.array2string(_backend.to_numpy(self.data), separator=", ", prefix="Tensor(")
        extra = [f"dtype={self.dtype}"]
        if self.device != "cpu":
            extra.append(f"device={self.device!r}")
        if self.requires_grad:
            extra.append("grad_fn=" + self._node.name if self._node is not None and self._node.name else "requires_grad=True")
        return f"Tensor({body}, {', '.join(extra)})"

    # ---- autograd ---------------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into ``grad`` of every leaf that requires grad.

        Runs over the recorded graph in reverse topological order. Without
        ``retain_graph`` the graph's saved arrays are released afterwards, and a second
        ``backward()`` through it raises ``RuntimeError``.

        Args:
            grad: the gradient of some scalar with respect to this tensor (array or
                Tensor of this shape); may be omitted only when this tensor has one element.
            retain_graph: keep the graph so ``backward`` can run through it again.

        Example:
            >>> import lucid
            >>> x = lucid.tensor([1.0, 2.0], requires_grad=True)
            >>> (x * 3).backward(lucid.tensor([1.0, 0.5]))
            >>> x.grad.tolist()
            [3.0, 1.5]
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad (no graph was recorded)")
        xp = self.xp
        if grad is None:
            if self.size != 1:
                raise ValueError(
                    f"backward() without a gradient needs a single-element tensor, got shape {self.shape}; "
                    "pass grad= (e.g. lucid.ones_like(t)) or reduce to a scalar first"
                )
            grad = xp.ones_like(self.data)
        else:
            if isinstance(grad, Tensor):
                if grad.device != self.device:
                    raise RuntimeError(
                        f"gradient on device '{grad.device}' for a tensor on device '{self.device}'"
                    )
                grad = grad.data
            # a private copy: the engine may hand this very array to a leaf's .grad
            grad = xp.array(grad, dtype=self.dtype)
            if grad.shape != self.data.shape:
                raise ValueError(f"gradient of shape {tuple(grad.shape)} for a tensor of shape {self.shape}")
        try:
            _run_backward(self, grad, retain_graph)
        finally:
            _run_end_of_backward()

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` each time a ``backward()`` has accumulated this tensor's final
        gradient (once per backward, after every contribution, while the backward goes on),
        as PyTorch's hook of that name; returns a handle whose ``remove()`` takes it off.

        ``DistributedDataParallel`` starts its gradient all-reduces from these hooks.

        Example:
            >>> import lucid
            >>> w = lucid.tensor([1.0, 2.0], requires_grad=True)
            >>> handle = w.register_post_accumulate_grad_hook(lambda t: print("final:", t.grad.tolist()))
            >>> (w * 3).sum().backward()
            final: [3.0, 3.0]
            >>> handle.remove()
        """
        if not callable(hook):
            raise TypeError(f"hook must be callable, got {type(hook).__name__}")
        key = id(self)
        if key not in _grad_hooks:  # dropped with the tensor, so ids are never mixed up
            _grad_hooks[key] = (weakref.ref(self, lambda _: _grad_hooks.pop(key, None)), [])
        return _HookHandle(_grad_hooks[key][1], hook)


def _topological_order(root):
    """Tensors reachable from ``root`` through grad-requiring edges, every tensor after
    all the tensors it was computed from (iterative post-order DFS)."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if id(t) in visited:
            continue
        visited.add(id(t))
        stack.append((t, True))
        node = t._node
        if node is not None:
            # first parent explored first, so a weight (a later parent: x @ w, x + b) comes right
            # after its consumer in reverse order: its gradient, and its post-accumulate-grad
            # hook, are final early in the backward rather than all at its very end
            for p in reversed(node.parents):
                if p.requires_grad and id(p) not in visited:
                    stack.append((p, False))
    return order


def sum_to_shape(g, shape):
    """Sum a broadcast gradient ``g`` back to ``shape``.

    Example:
        >>> sum_to_shape(np.ones((2, 3)), (3,)).tolist()
        [2.0, 2.0, 2.0]
    """
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _owned(g, stored):
    """``g`` as an array that no other ``.grad`` or graph array shares, so that users
    and optimizers may update ``.grad`` in place."""
    if isinstance(g, np.generic):
        return np.asarray(g)
    if g.base is not None or id(g) in stored:  # a view (e.g. broadcast, reshape) or handed out already
        return g.copy()
    return g


def _run_backward(root, grad, retain_graph):
    grads = {id(root): grad}
    stored = set()  # ids of arrays handed to a .grad
    for t in reversed(_topological_order(root)):
        g = grads.pop(id(t), None)
        if g is None:
            continue
        node = t._node
        if node is None or t.keep_grad:
            if t.grad is None:
                g_own = _owned(g, stored)
                stored.add(id(g_own))
                t.grad = g_own
            else:
                t.grad = t.grad + g
            if _grad_hooks and id(t) in _grad_hooks:
                for hook in tuple(_grad_hooks[id(t)][1]):
                    hook(t)
        if node is None:
            continue
        backward = node.backward
        if backward is None:
            raise RuntimeError(
                "backward() through a graph that was already freed: pass retain_graph=True "
                "to the first backward() to run it twice"
            )
        parent_grads = backward(g)
        parents = node.parents
        if not retain_graph:
            # drop the closure (and the arrays it saved) and the edges, so intermediate
            # tensors can be freed while the output is still referenced
            node.backward = None
            node.parents = ()
        for p, pg in zip(parents, parent_grads):
            if pg is None or not p.requires_grad:
                continue
            if pg.shape != p.data.shape:
                pg = sum_to_shape(pg, p.data.shape)
            if pg.dtype != p.data.dtype:
                pg = pg.astype(p.data.dtype)
            prev = grads.get(id(p))
            grads[id(p)] = pg if prev is None else prev + pg


# ---- hooks for gradient synchronisation (DistributedDataParallel) ---------------------
# Kept apart from the engine above: per-tensor hooks, by id (a weak-keyed dict would compare
# tensors with ==, which is elementwise), and the callbacks to run once the backward ends.
_grad_hooks = {}
_end_of_backward = []


class _HookHandle:
    """Returned by ``register_post_accumulate_grad_hook``; ``remove()`` takes the hook off."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks, hook):
        hooks.append(hook)
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def queue_backward_callback(fn):
    """Run ``fn()`` once, when the ``backward()`` now running ends (a hook's way to act after
    every gradient is final, as PyTorch's ``queue_callback``). Callbacks also run when the
    backward raises, so work that a hook started is always completed.

    Example:
        >>> import lucid
        >>> w = lucid.tensor([1.0], requires_grad=True)
        >>> _ = w.register_post_accumulate_grad_hook(
        ...     lambda t: queue_backward_callback(lambda: print("backward done")))
        >>> (w * 2).sum().backward()
        backward done
    """
    _end_of_backward.append(fn)


def _run_end_of_backward():
    while _end_of_backward:
        _end_of_backward.pop(0)()
