"""Graph bookkeeping shared by every op: grad mode, op results, views and in-place changes.

An op computes its output array, then hands ``make_result`` the input tensors, a
``backward(grad) -> tuple of input grads`` closure written right beside the forward, and
``saved``: every tensor whose array that closure reads (``OUTPUT`` for the op's own result).
``make_result`` records the version of each, and ``backward()`` refuses to run the closure
when one was changed in place since; leaving ``saved`` out means "the inputs and the output",
which is never wrong, only stricter than needed. When no input needs a gradient (or under
``no_grad``) the closure is dropped, so no graph is built and nothing is kept alive.

A view op uses ``make_view`` (its result shares the input's memory and version counter); an
in-place op uses ``modify``, which bumps the counter and, when a gradient is involved, gives
the changed tensor (or the root of the view it is) a new node.
"""

from __future__ import annotations

import functools
import threading

import numpy as np

from ._dtype import is_floating
from ._graph import Node, View, edge, refresh_view, set_node
from ._tensor import Tensor

class _State(threading.local):
    enabled = True  # a class default: each thread starts with grad mode on, read without a miss


_state = _State()


def grad_enabled() -> bool:
    """Whether operations currently record a graph for ``backward()``.

    Example:
        >>> import lucid
        >>> with lucid.no_grad():
        ...     lucid.grad_enabled()
        False
    """
    return _state.enabled


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


class _Output:
    def __repr__(self):
        return "OUTPUT"


#: In ``saved``: the op's own result (exp, tanh and softmax read their output in backward).
OUTPUT = _Output()


def needs_grad(*tensors) -> bool:
    """Whether an op on ``tensors`` must record a graph node (grad on and any input needs grad).

    Example:
        >>> import lucid
        >>> needs_grad(lucid.ones(1), lucid.ones(1, requires_grad=True))
        True
    """
    if not _state.enabled:
        return False
    for t in tensors:
        if t is not None and getattr(t, "requires_grad", False):
            return True
    return False


def _saved(saved, parents, out):
    """``(tensor or None, its node, counter, version)`` for each tensor in ``saved``."""
    if saved is None:
        saved = parents + (OUTPUT,)
    entries = []
    for t in saved:
        if t is OUTPUT:
            entries.append((None, None, out._counter, out._counter[0]))
        elif t is not None:
            entries.append((t, t._node, t._counter, t._counter[0]))
    return tuple(entries)


def make_result(data, parents=(), backward=None, name=None, saved=None):
    """Wrap an op's output array in a Tensor, recording ``backward`` only when needed.

    ``backward(grad)`` returns one gradient array (or ``None``) per entry of ``parents``;
    gradients may keep broadcast axes and are summed back by the engine. ``saved`` names the
    tensors (or ``OUTPUT``) whose arrays ``backward`` reads; ``None`` means all parents and
    the output.

    Example:
        >>> import lucid, numpy as np
        >>> def double(a):
        ...     return make_result(a.data * 2, (a,), lambda g: (g * 2,), "double", saved=())
        >>> x = lucid.tensor([1.0, 3.0], requires_grad=True)
        >>> double(x).sum().backward()
        >>> x.grad.tolist()
        [2.0, 2.0]
    """
    out = Tensor._wrap(data)
    if backward is None or not _state.enabled:
        return out
    edges, recorded = [], False
    for p in parents:  # edge(p), inlined: this runs for every op
        if p._view is not None:
            refresh_view(p)
        if p._requires_grad:
            edges.append(p if p._node is None else p._node)
            recorded = True
        else:
            edges.append(None)
    if recorded:
        out._requires_grad = True
        out._node = Node(tuple(edges), backward, name, _saved(saved, tuple(parents), out), data)
    return out


def make_view(data, base, forward, backward, name):
    """The result of a view op: ``data`` is ``forward(base.data)`` and shares its memory, so
    the result shares ``base``'s version counter and remembers how to read its root again
    (``forward``) and carry a gradient back (``backward``, the op's closure).

    Example:
        >>> import lucid
        >>> x = lucid.zeros(4)
        >>> v = make_view(x.data[1:3], x, lambda a: a[1:3], lambda g: (g,), "slice")
        >>> v[0] = 7.0
        >>> x.tolist(), x._version
        ([0.0, 7.0, 0.0, 0.0], 1)
    """
    out = make_result(data, (base,), backward, name, saved=())
    out._counter = base._counter
    info = base._view
    root, steps = (base, ()) if info is None else (info.root, info.steps)
    out._view = View(root, steps + ((forward, backward, name, base.shape),), root._node)
    return out


def _check_writable(t, name):
    arr = t.data
    if any(st == 0 and n > 1 for st, n in zip(arr.strides, arr.shape)):
        raise RuntimeError(
            f"{name}: more than one element of the tensor refers to one memory location (an expanded "
            f"tensor of shape {t.shape}); change a copy instead"
        )
    if isinstance(arr, np.ndarray) and not arr.flags.writeable:
        raise RuntimeError(f"{name}: the tensor's memory is read-only (a read-only NumPy array); change a copy")


def modify(target, name, others, write, backward, saved=(), region=None):
    """Change ``target`` in place: ``write(target.data)`` changes the array (all of it, or
    ``target[region]``), then the version counter is bumped.

    With grad mode on and a gradient involved (``target`` or one of the tensors ``others``
    requires grad), ``backward(g)`` maps the gradient of the new values (of the region) to
    ``(gradient of the old values or None, one per ``others``)``, and the changed tensor, or
    the root when ``target`` is a view, gets a new node. Changing a leaf that requires grad
    (or a view of one) with grad mode on raises ``RuntimeError``; under ``no_grad`` it is how
    a manual update is written. Returns ``target``.

    Example:
        >>> import lucid
        >>> x = lucid.tensor([1.0, 2.0], requires_grad=True)
        >>> y = x * 1.0
        >>> _ = modify(y, "double_", (), lambda a: a.__imul__(2), lambda g: (g * 2,))
        >>> y.sum().backward()
        >>> x.grad.tolist()
        [2.0, 2.0]
    """
    grad_on = grad_enabled()
    info = target._view
    if info is not None:
        refresh_view(target)
    root = target if info is None else info.root
    if grad_on and root._requires_grad:
        if root._node is None:
            what = "a leaf tensor" if info is None else "a view of a leaf tensor"
            raise RuntimeError(
                f"{name}: {what} that requires grad cannot be changed in place with grad mode on; write the "
                "update under lucid.no_grad() (as an optimizer step does), or change a copy"
            )
        if not target._requires_grad:
            raise RuntimeError(f"{name}: this view was made under no_grad from a tensor that requires grad; "
                               "it cannot be changed in place with grad mode on")
    diff = grad_on and is_floating(target.data.dtype) and (
        target._requires_grad or any(o.requires_grad for o in others))
    _check_writable(target, name)
    if diff:
        edges = (edge(root),) + tuple(edge(o) for o in others)
        entries = _saved(saved, (), None)
    write(target.data)
    target._counter[0] += 1
    if diff:
        steps = () if info is None else info.steps
        if steps or region is not None:
            backward = _copy_slices(info, region, backward)
        set_node(root, Node(edges, backward, name, entries, root.data))
        if info is not None:
            refresh_view(target)
    return target


def _copy_slices(info, region, backward):
    """The backward of an in-place change of the region ``region`` (None: all) of a view with
    View ``info`` (None: the root itself), as a node of the root: the gradient of the root's
    old value is the root's gradient with the changed region's part replaced by what
    ``backward`` gives for the old values there."""
    steps = () if info is None else info.steps

    def node_backward(g):
        gv = g
        for forward, _, _, _ in steps:
            gv = forward(gv)
        grads = backward(gv if region is None else gv[region])
        g_self = grads[0]
        if region is None:
            new = g_self
        else:
            new = gv.copy()
            new[region] = 0 if g_self is None else g_self
        if not steps:
            g_old = new
        else:  # view steps read each root element at most once, so the change carries back exactly
            g_old = g + info.to_root(-gv if new is None else new - gv)
        return (g_old,) + tuple(grads[1:])

    return node_backward
