"""Parameter and Buffer: tensors that a :class:`~lucid.nn.Module` registers when assigned."""

from __future__ import annotations

from .._tensor import Tensor, alias


def _init_state(t, data, dtype, device):
    """Fill a new Parameter or Buffer ``t``: a Tensor given as it is (no dtype or device change)
    becomes an alias sharing its data and version counter, anything else is copied."""
    if data is None:
        data = []
    if isinstance(data, Tensor) and dtype is None and device is None:
        alias(data, t)
    else:
        Tensor.__init__(t, data, dtype=dtype, device=device)


class Parameter(Tensor):
    """A tensor that is a learnable weight of a module: it requires grad by default and
    is listed by ``Module.parameters()`` once assigned as a module attribute.

    Args:
        data: anything :class:`lucid.Tensor` accepts; a Tensor's memory (and version counter)
            is shared, not copied, as ``torch.nn.Parameter(t)`` shares ``t``'s storage; other
            data is copied. Python floats become float32.
        requires_grad: whether the optimizer should train it (default True).

    Example:
        >>> import lucid
        >>> w = lucid.nn.Parameter([1.0, 2.0])
        >>> w.requires_grad, w.dtype
        (True, dtype('float32'))
    """

    def __init__(self, data=None, requires_grad=True, dtype=None, device=None):
        _init_state(self, data, dtype, device)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """A tensor that is module state but not a learnable weight (running statistics,
    fixed position ids). Assigning one to a module attribute registers it as a buffer.

    Args:
        data: anything :class:`lucid.Tensor` accepts; a Tensor's memory is shared, other data copied.
        persistent: whether ``state_dict()`` includes it (default True).

    Example:
        >>> import lucid
        >>> m = lucid.nn.Module()
        >>> m.ids = lucid.nn.Buffer(lucid.arange(3))
        >>> [name for name, _ in m.named_buffers()]
        ['ids']
    """

    def __init__(self, data=None, persistent=True, dtype=None, device=None):
        _init_state(self, data, dtype, device)
        self.persistent = bool(persistent)
