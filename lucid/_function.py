"""Graph bookkeeping shared by every op: grad mode, graph nodes and op results.

An op computes its output array, then hands ``make_result`` the input tensors and a
``backward(grad) -> tuple of input grads`` closure written right beside the forward.
When no input needs a gradient (or under ``no_grad``) the closure is dropped, so no
graph is built and nothing is kept alive for a backward pass.
"""

from __future__ import annotations

import functools
import threading

from ._tensor import Tensor

_state = threading.local()


def grad_enabled() -> bool:
    """Whether operations currently record a graph for ``backward()``.

    Example:
        >>> import lucid
        >>> with lucid.no_grad():
        ...     lucid.grad_enabled()
        False
    """
    return getattr(_state, "enabled", True)


class no_grad:
    """Context manager and decorator that turns graph recording off.

    Use it as ``with lucid.no_grad():``, ``@lucid.no_grad()`` or ``@lucid.no_grad``.

    Example:
        >>> import lucid
        >>> w = lucid.ones(2, requires_grad=True)
        >>> with lucid.no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False
        >>> @lucid.no_grad
        ... def double(t):
        ...     return t * 2
        >>> double(w).requires_grad
        False
    """

    _mode = False

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        if fn is None:
            return self
        return self(fn)  # bare decorator: @no_grad

    def __init__(self, fn=None):
        self._prev = []

    def __enter__(self):
        self._prev.append(grad_enabled())
        _state.enabled = self._mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self._prev.pop()
        return False

    def __call__(self, fn):
        mode = type(self)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with mode():
                return fn(*args, **kwargs)

        return wrapper


class enable_grad(no_grad):
    """Context manager and decorator that turns graph recording back on (inside ``no_grad``).

    Example:
        >>> import lucid
        >>> w = lucid.ones(2, requires_grad=True)
        >>> with lucid.no_grad():
        ...     with lucid.enable_grad():
        ...         y = w * 2
        >>> y.requires_grad
        True
    """

    _mode = True


class Node:
    """One recorded op: the input tensors and the closure that maps the output's
    gradient to theirs. ``backward`` is set to ``None`` once used, which frees the
    arrays it saved."""

    __slots__ = ("parents", "backward", "name")

    def __init__(self, parents, backward, name):
        self.parents = parents
        self.backward = backward
        self.name = name


def needs_grad(*tensors) -> bool:
    """Whether an op on ``tensors`` must record a graph node (grad on and any input needs grad).

    Example:
        >>> import lucid
        >>> needs_grad(lucid.ones(1), lucid.ones(1, requires_grad=True))
        True
    """
    for t in tensors:
        if t is not None and getattr(t, "requires_grad", False):
            return getattr(_state, "enabled", True)
    return False


def make_result(data, parents=(), backward=None, name=None):
    """Wrap an op's output array in a Tensor, recording ``backward`` only when needed.

    ``backward(grad)`` returns one gradient array (or ``None``) per entry of
    ``parents``; gradients may keep broadcast axes and are summed back by the engine.

    Example:
        >>> import lucid, numpy as np
        >>> def double(a):
        ...     return make_result(a.data * 2, (a,), lambda g: (g * 2,), "double")
        >>> x = lucid.tensor([1.0, 3.0], requires_grad=True)
        >>> double(x).sum().backward()
        >>> x.grad.tolist()
        [2.0, 2.0]
    """
    out = Tensor._wrap(data)
    if backward is not None and needs_grad(*parents):
        out.requires_grad = True
        out._node = Node(parents, backward, name)
    return out
