"""Tensor.register_post_accumulate_grad_hook and queue_backward_callback, the autograd engine's
two hooks for gradient synchronisation, and the order in which backward finishes leaves."""

from __future__ import annotations

import numpy as np
import pytest

import lucid
from lucid import nn
from lucid._tensor import queue_backward_callback


def test_the_hook_sees_the_final_gradient_once_per_backward():
    w = lucid.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (w * 3 + w * w).sum().backward()  # two uses: the hook runs once, after both contributions
    assert seen == [[5.0, 7.0]]
    (w * 2).sum().backward()  # accumulates into .grad: the hook sees the sum
    assert seen == [[5.0, 7.0], [7.0, 9.0]]


def test_hooks_run_in_order_and_remove():
    w = lucid.tensor([1.0], requires_grad=True)
    calls = []
    first = w.register_post_accumulate_grad_hook(lambda t: calls.append("first"))
    w.register_post_accumulate_grad_hook(lambda t: calls.append("second"))
    w.sum().backward()
    first.remove()
    first.remove()  # twice is harmless
    w.sum().backward()
    assert calls == ["first", "second", "second"]


def test_a_hook_must_be_callable():
    with pytest.raises(TypeError, match="hook must be callable, got int"):
        lucid.ones(1, requires_grad=True).register_post_accumulate_grad_hook(3)


def test_hooks_do_not_keep_a_tensor_alive():
    import gc
    import weakref

    from lucid import _tensor

    w = lucid.ones(2, requires_grad=True)
    w.register_post_accumulate_grad_hook(lambda t: None)
    ref, key = weakref.ref(w), id(w)
    del w
    gc.collect()
    assert ref() is None and key not in _tensor._grad_hooks


def test_callbacks_run_once_when_backward_ends_even_after_an_error():
    w = lucid.tensor([1.0], requires_grad=True)
    log = []
    w.register_post_accumulate_grad_hook(lambda t: queue_backward_callback(lambda: log.append("end")))
    (w * 2).sum().backward()
    assert log == ["end"]

    def fail(t):
        queue_backward_callback(lambda: log.append("end after error"))
        raise ValueError("hook failed")

    v = lucid.tensor([1.0], requires_grad=True)
    v.register_post_accumulate_grad_hook(fail)
    with pytest.raises(ValueError, match="hook failed"):
        (v * 2).sum().backward()
    assert log == ["end", "end after error"]
    (w * 2).sum().backward()
    assert log == ["end", "end after error", "end"]  # nothing left over from the failed backward


def test_weights_are_final_early_in_backward():
    """Each layer's parameters are final before the backward moves on to the layers below
    (not all at its very end): the order in which a bucketed all-reduce can start early."""
    lucid.random.seed(0)
    layers = [nn.Linear(3, 4), nn.Linear(4, 4), nn.Linear(4, 2)]
    order = []
    for i, layer in enumerate(layers):
        for name, p in layer.named_parameters():
            p.register_post_accumulate_grad_hook(lambda t, tag=f"{i}.{name}": order.append(tag))
    h = lucid.random.randn(5, 3)
    for i, layer in enumerate(layers):
        h = layer(h).tanh()
        if i == 0:  # the first layer's output: its gradient is final once layers 1 and 2 are done
            h.keep_grad = True
            h.register_post_accumulate_grad_hook(lambda t: order.append("h0"))
    h.sum().backward()
    assert set(order[:4]) == {"2.weight", "2.bias", "1.weight", "1.bias"}, order
    assert order[4] == "h0" and set(order[5:]) == {"0.weight", "0.bias"}, order


def test_gradients_do_not_depend_on_the_walk_order():
    """The walk order changes only when gradients become final, never their values
    (checked against finite differences in float64)."""
    rng = np.random.default_rng(1)
    a = lucid.tensor(rng.normal(size=(3, 3)), requires_grad=True)
    b = lucid.tensor(rng.normal(size=(3,)), requires_grad=True)

    def f(a_arr, b_arr):
        return float(np.sum(np.tanh(a_arr @ a_arr + b_arr) * (a_arr + b_arr)))

    ((a @ a + b).tanh() * (a + b)).sum().backward()
    eps = 1e-6
    for t, arr, other in ((a, a.data, b.data), (b, b.data, a.data)):
        num = np.zeros_like(arr)
        for i in np.ndindex(arr.shape):
            up, dn = arr.copy(), arr.copy()
            up[i] += eps
            dn[i] -= eps
            num[i] = ((f(up, other) - f(dn, other)) if t is a else (f(other, up) - f(other, dn))) / (2 * eps)
        np.testing.assert_allclose(t.grad, num, rtol=1e-6, atol=1e-8)
