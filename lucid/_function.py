"""Graph bookkeeping shared by every op: grad mode, graph nodes and op results.

An op computes its output array, then hands ``make_result`` the input tensors and a
``backward(grad) -> tuple of input grads`` closure written right beside the forward.
When no input needs a gradient (or under ``no_grad``) the closure is dropped, so no
graph is built and nothing is kept alive for a backward pass.
"""

from __future__ import annotations

import functools
import threading

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

    Example:
        >>> import lucid
        >>> w = lucid.ones(2, requires_grad=True)
        >>> with lucid.no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False
    """

    def __enter__(self):
        self._prev = grad_enabled()
        _state.enabled = False
        return self

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)

        return wrapper


class enable_grad(no_grad):
    """Context manager and decorator that turns graph recording back on."""

    def __enter__(self):
        self._prev = grad_enabled()
        _state.enabled = True
        return self


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
    """Whether an op on ``tensors`` must record a graph node (grad on and any input needs grad)."""
    if not grad_enabled():
        return False
    for t in tensors:
        if t is not None and getattr(t, "requires_grad", False):
            return True
    return False


def make_result(data, parents=(), backward=None, name=None):
    """Wrap an op's output array in a Tensor, recording ``backward`` only when needed.

    ``backward(grad)`` returns one gradient array (or ``None``) per entry of
    ``parents``; gradients may keep broadcast axes and are summed back by the engine.
    """
    from ._tensor import Tensor

    out = Tensor._wrap(data)
    if backward is not None and needs_grad(*parents):
        out.requires_grad = True
        out._node = Node(parents, backward, name)
    return out
