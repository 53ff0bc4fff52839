"""The Tensor: an array on a device, an optional gradient and the graph behind it.

Memory, as in PyTorch: ``Tensor(data)`` copies ``data``; views (basic indexing, reshapes that
need no copy, transposes, ``expand``) and ``detach()`` share their source's memory and its
*version counter*, a one-element list that every in-place change lucid makes bumps. The graph
(:mod:`lucid._graph`) records the version of each tensor a backward reads and refuses to run
when one has changed since.
"""

from __future__ import annotations

import weakref

import numpy as np

from . import _backend
from ._dtype import is_floating, to_dtype
from ._graph import add_grad_hook, refresh_view, run_backward
from ._graph import queue_backward_callback, sum_to_shape  # noqa: F401  (re-exported)


def _as_array(data, dtype, device):
    """Turn tensor/array/scalar/list ``data`` into a new array on ``device`` with Lucid's dtype
    rules; the result never shares memory with ``data``."""
    source = None
    if isinstance(data, Tensor):
        arr = source = data.data
    elif _backend.is_array(data):
        arr = source = data
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
    if arr is source:  # no move or cast made a copy: make one (keeping the layout), as torch.tensor does
        arr = arr.copy(order="K")
    return arr


class Tensor:
    """An n-dimensional array on ``"cpu"`` (NumPy) or ``"gpu"`` (CuPy) with autograd.

    Args:
        data: a Python scalar, (nested) list, NumPy or CuPy array, or Tensor; always copied
            (:func:`lucid.from_numpy` and :func:`lucid.as_tensor` share memory instead).
        requires_grad: record operations on this tensor so ``backward()`` fills ``grad``
            (floating dtypes only).
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

    __slots__ = ("data", "_grad", "_requires_grad", "_keep_grad", "_node", "_counter", "_view", "__weakref__")
    __array_ufunc__ = None  # NumPy operators defer to Tensor's reflected ones (ndarray + Tensor -> Tensor)

    def __init__(self, data, requires_grad=False, keep_grad=False, dtype=None, device=None):
        self.data = _as_array(data, to_dtype(dtype), device)
        self._grad = None
        self._keep_grad = bool(keep_grad)
        self._node = None
        self._counter = [0]
        self._view = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, arr):
        """Fast path for ops: wrap an array that is already on its device (shared, not copied)."""
        if isinstance(arr, np.generic):  # NumPy turns 0-d results into scalars; keep arrays
            arr = np.asarray(arr)
        t = cls.__new__(cls)
        t.data = arr
        t._grad = None
        t._requires_grad = False
        t._keep_grad = False
        t._node = None
        t._counter = [0]
        t._view = None
        return t

    # ---- autograd state ---------------------------------------------------------------
    @property
    def requires_grad(self):
        """Whether ops on this tensor are recorded for ``backward()``. Settable on leaves;
        only floating tensors can require grad.

        Example:
            >>> import lucid
            >>> t = lucid.ones(2)
            >>> t.requires_grad = True
            >>> (t * 2).requires_grad
            True
        """
        if self._view is not None:
            refresh_view(self)
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(flag)

    def requires_grad_(self, flag=True):
        """Set ``requires_grad`` in place and return the tensor; only floating tensors can
        require gradients, and only a leaf can stop requiring them.

        Example:
            >>> import lucid
            >>> lucid.ones(2).requires_grad_().requires_grad
            True
        """
        if flag and not is_floating(self.data.dtype):
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.data.dtype}")
        if not flag and self._node is not None:
            raise RuntimeError(
                f"requires_grad can only be turned off on a leaf; this tensor is the output of "
                f"{self._node.name}: use .detach() for a copy of it without a graph"
            )
        self._requires_grad = bool(flag)
        return self

    @property
    def grad(self):
        """The accumulated gradient: an array of this tensor's shape on its device, or ``None``.

        It may be assigned an array or a Tensor (its array is stored) of the same shape,
        floating dtype and device, or ``None``.

        Example:
            >>> import lucid
            >>> w = lucid.ones(2, requires_grad=True)
            >>> w.grad = lucid.tensor([0.5, 1.0])
            >>> w.grad.tolist()
            [0.5, 1.0]
        """
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if isinstance(value, Tensor):
                value = value.data
            if not _backend.is_array(value):
                raise TypeError(f"a gradient must be an array, a Tensor or None, got {type(value).__name__}")
            if _backend.device_of(value) != self.device:
                raise RuntimeError(
                    f"assigned gradient is on device '{_backend.device_of(value)}', the tensor on '{self.device}'"
                )
            if tuple(value.shape) != self.shape:
                raise ValueError(f"assigned gradient has shape {tuple(value.shape)}, the tensor has shape {self.shape}")
            if value.dtype != self.data.dtype:
                raise TypeError(
                    f"assigned gradient has dtype {value.dtype}, the tensor has dtype {self.data.dtype}; "
                    f"cast it first (.astype)"
                )
        self._grad = value

    @property
    def keep_grad(self):
        """Whether a non-leaf tensor keeps its gradient in ``grad`` after ``backward()``
        (leaves always do).

        Example:
            >>> import lucid
            >>> x = lucid.ones(2, requires_grad=True)
            >>> h = x * 3
            >>> h.keep_grad = True
            >>> (h * h).sum().backward()
            >>> h.grad.tolist()
            [6.0, 6.0]
        """
        return self._keep_grad

    @keep_grad.setter
    def keep_grad(self, flag):
        self._keep_grad = bool(flag)
        if self._view is not None:
            refresh_view(self)
        if self._node is not None:
            self._node.retain = weakref.ref(self) if flag else None

    @property
    def _version(self):
        """How many in-place changes this tensor's memory has had (shared with its views).

        Example:
            >>> import lucid
            >>> t = lucid.zeros(2)
            >>> t[0] = 1.0
            >>> t._version
            1
        """
        return self._counter[0]

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
        if self._view is not None:
            refresh_view(self)
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
        return alias(self)

    def zero_grad(self):
        """Forget the accumulated gradient.

        Example:
            >>> import lucid
            >>> t = lucid.ones(1, requires_grad=True); t.sum().backward(); t.zero_grad()
            >>> t.grad is None
            True
        """
        self._grad = None

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
        run_backward(self, grad, retain_graph)

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
        return add_grad_hook(self, hook)


def alias(source, into=None):
    """A tensor on ``source``'s memory and version counter, with no graph and no gradient:
    what ``detach()``, ``Parameter(t)`` and ``state_dict()`` hand out. ``into`` is a tensor
    object to set up so (a Parameter being built), by default a new Tensor.

    Example:
        >>> import lucid
        >>> t = lucid.zeros(2)
        >>> a = alias(t)
        >>> a[0] = 5.0
        >>> t.tolist(), t._version
        ([5.0, 0.0], 1)
    """
    t = Tensor.__new__(Tensor) if into is None else into
    t.data = source.data
    t._grad = None
    t._requires_grad = False
    t._keep_grad = False
    t._node = None
    t._counter = source._counter
    t._view = None
    return t


def mark_modified(t):
    """Bump the version counter of tensor ``t`` whose memory lucid changed in place outside a
    recorded op (optimizer steps, ``nn.init``, ``load_state_dict``), so that a graph that
    saved it refuses to run backward with the new values.

    Example:
        >>> import lucid
        >>> t = lucid.zeros(1)
        >>> t.data[0] = 1.0; mark_modified(t)
        >>> t._version
        1
    """
    t._counter[0] += 1
