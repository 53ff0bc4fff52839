"""The autograd graph: nodes, their edges, views of a root, the saved-tensor check and the
backward engine. Tensors are used by their attributes only, so this module sits below
:mod:`lucid._tensor`.

A :class:`Node` holds, per op input, the input's node at the time of the op (or the input
itself for a leaf that requires grad, or ``None``). An in-place change gives the changed
tensor a new node, so ops recorded earlier keep pointing at the old value's history. A view
remembers its root and the view steps from it; when the root gets a new node, the view's own
node is rebuilt from it the next time it is used (:func:`refresh_view`). Each node records
the version of every tensor its backward reads; :func:`check_saved` compares them before the
node's backward runs.
"""

from __future__ import annotations

import weakref

import numpy as np


class Node:
    """One recorded op.

    ``inputs`` holds one edge per op input: the input's node when the op ran, the input
    itself for a leaf that requires grad, or ``None``. ``backward(grad)`` maps the output's
    gradient to one gradient (or ``None``) per input. ``saved`` lists what backward reads as
    ``(tensor or None for the op's own output, that tensor's node then, counter, version)``.
    ``shape``/``dtype`` are the output's, ``retain`` a weak reference to a tensor that keeps
    its gradient (``keep_grad``). ``backward`` is set to ``None`` once used, which frees the
    arrays it saved.
    """

    __slots__ = ("inputs", "backward", "name", "saved", "shape", "dtype", "retain")

    def __init__(self, inputs, backward, name, saved, out):
        self.inputs = inputs
        self.backward = backward
        self.name = name
        self.saved = saved
        self.shape = out.shape
        self.dtype = out.dtype
        self.retain = None


def edge(t):
    """What a node records for input ``t``: its node, ``t`` itself for a leaf that requires
    grad, or ``None`` when no gradient flows to it."""
    if t._view is not None:
        refresh_view(t)
    if not t._requires_grad:
        return None
    return t if t._node is None else t._node


class View:
    """How a view reads its root's memory: ``steps`` are ``(forward, backward, name,
    input shape)`` of each view op from the root, ``seen`` the root's node when the view's
    own node was made."""

    __slots__ = ("root", "steps", "seen")

    def __init__(self, root, steps, seen):
        self.root = root
        self.steps = steps
        self.seen = seen

    def to_root(self, g):
        """A gradient of the view's shape carried back to the root's shape."""
        for _, backward, _, shape in reversed(self.steps):
            g = backward(g)[0]
            if g.shape != shape:
                g = sum_to_shape(g, shape)
        return g


def refresh_view(t):
    """Rebuild view ``t``'s node when its root got a new one (an in-place change since)."""
    info = t._view
    root = info.root
    if root._node is info.seen:
        return
    info.seen = root._node
    if root._requires_grad:
        set_node(t, Node((edge(root),), lambda g: (info.to_root(g),), info.steps[-1][2], (), t.data))


def set_node(t, node):
    """Make ``node`` the history of tensor ``t`` (after an in-place change, or a view's rebuild);
    a gradient ``t`` keeps (``keep_grad``) is then its new value's."""
    if t._keep_grad:
        node.retain = weakref.ref(t)
        if t._node is not None:
            t._node.retain = None
    t._node = node
    t._requires_grad = True


def _describe(t, node):
    """``[float32 tensor of shape (2,)], which is output of exp`` and the like."""
    shape, dtype = (node.shape, node.dtype) if t is None else (t.shape, t.dtype)
    what = f"[{dtype} tensor of shape {tuple(shape)}]"
    if node is not None:
        return f"{what}, which is output of {node.name}"
    if t is not None and t._requires_grad:
        return f"{what}, which is a leaf"
    return f"{what}, which does not require grad"


def check_saved(node):
    """Raise ``RuntimeError`` when a tensor ``node``'s backward reads changed after the op."""
    for t, producer, counter, version in node.saved:
        if counter[0] != version:
            where = _describe(t, node if t is None else producer)
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: {where}, is at version {counter[0]}; expected version {version} instead "
                f"(it is needed by the backward of {node.name}). Change a copy instead, or make the "
                "in-place change before the op that reads it"
            )


def _topological_order(root):
    """Nodes reachable from node ``root``, every node after all the nodes of its inputs
    (iterative post-order DFS)."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        # first input explored first, so a weight (a later input: x @ w, x + b) comes right after
        # its consumer in reverse order: its gradient, and its post-accumulate-grad hooks, are
        # final early in the backward rather than all at its very end (DistributedDataParallel)
        for e in reversed(node.inputs):
            if isinstance(e, Node) and id(e) not in visited:
                stack.append((e, False))
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


def _store(t, g, stored):
    """Add gradient ``g`` to ``t.grad``."""
    if t._grad is None:
        g = _owned(g, stored)
        stored.add(id(g))
        t._grad = g
    else:
        t._grad = t._grad + g


def run_backward(root, grad, retain_graph):
    """Accumulate ``grad`` (d something / d ``root``) into the ``grad`` of every leaf behind
    ``root`` and of every tensor that keeps its gradient; each leaf's gradient is stored (and
    its post-accumulate-grad hooks run) as soon as no node left can add to it. Callbacks
    queued during the backward run at its end, also when it raises."""
    try:
        _run_backward(root, grad, retain_graph)
    finally:
        while _end_of_backward:
            _end_of_backward.pop(0)()


def _final(leaf, g, stored):
    _store(leaf, g, stored)
    if _grad_hooks and id(leaf) in _grad_hooks:
        for hook in tuple(_grad_hooks[id(leaf)][1]):
            hook(leaf)


def _run_backward(root, grad, retain_graph):
    stored = set()  # ids of arrays handed to a .grad
    if root._node is None:  # a leaf
        _final(root, grad, stored)
        return
    order = list(reversed(_topological_order(root._node)))
    pending = {}  # id(leaf) -> edges from nodes not yet run
    for node in order:
        for e in node.inputs:
            if e is not None and not isinstance(e, Node) and e._requires_grad:
                pending[id(e)] = pending.get(id(e), 0) + 1
    grads = {id(root._node): grad}  # id(node) -> its gradient so far
    leaves, leaf_grads = {}, {}  # id(leaf) -> the leaf, its gradient so far
    for node in order:
        g = grads.pop(id(node), None)
        if g is None:
            _release(node.inputs, pending, leaves, leaf_grads, stored)
            continue
        if node.retain is not None:
            kept = node.retain()
            if kept is not None:
                _store(kept, g, stored)
        backward = node.backward
        if backward is None:
            raise RuntimeError(
                "backward() through a graph that was already freed: pass retain_graph=True "
                "to the first backward() to run it twice"
            )
        check_saved(node)
        input_grads = backward(g)
        inputs = node.inputs
        if not retain_graph:
            # drop the closure (and the arrays it saved) and the edges, so intermediate
            # tensors can be freed while the output is still referenced
            node.backward = None
            node.inputs = node.saved = ()
        for e, ig in zip(inputs, input_grads):
            if ig is None or e is None:
                continue
            if isinstance(e, Node):
                shape, dtype, acc = e.shape, e.dtype, grads
            elif e._requires_grad:
                shape, dtype, acc = e.data.shape, e.data.dtype, leaf_grads
                leaves[id(e)] = e
            else:
                continue
            if ig.shape != shape:
                ig = sum_to_shape(ig, shape)
            if ig.dtype != dtype:
                ig = ig.astype(dtype)
            prev = acc.get(id(e))
            acc[id(e)] = ig if prev is None else prev + ig
        _release(inputs, pending, leaves, leaf_grads, stored)


def _release(inputs, pending, leaves, leaf_grads, stored):
    """Count down the leaf edges of a node that has run; a leaf none of whose consumers is
    left gets its final gradient."""
    for e in inputs:
        if e is None or isinstance(e, Node) or not e._requires_grad:
            continue
        pending[id(e)] -= 1
        if pending[id(e)] == 0 and id(e) in leaf_grads:
            _final(leaves.pop(id(e)), leaf_grads.pop(id(e)), stored)


# ---- hooks for gradient synchronisation (DistributedDataParallel) ---------------------
# Per-tensor hooks by id (a weak-keyed dict would compare tensors with ==, which is
# elementwise), and the callbacks to run once the backward ends.
_grad_hooks = {}
_end_of_backward = []


class HookHandle:
    """Returned by ``register_post_accumulate_grad_hook``; ``remove()`` takes the hook off."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks, hook):
        hooks.append(hook)
        self._hooks, self._hook = hooks, hook

    def remove(self):
        """Take the hook off (again: nothing)."""
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def add_grad_hook(t, hook):
    """Register ``hook(t)`` to run each time a backward has stored leaf ``t``'s final gradient."""
    key = id(t)
    if key not in _grad_hooks:  # dropped with the tensor, so ids are never mixed up
        _grad_hooks[key] = (weakref.ref(t, lambda _: _grad_hooks.pop(key, None)), [])
    return HookHandle(_grad_hooks[key][1], hook)


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
