"""The autograd engine: order, accumulation, broadcasting, grad modes, freeing the graph; on
each device of the ``device`` fixture, and differentiable transfers between devices."""

import gc
import weakref

import numpy as np
import pytest
import torch

import lucid
from lucid._backend import device_of, to_numpy
from lucid._function import make_result


def test_topological_order_when_a_parent_is_also_a_grandparent():
    # r = b * (3 b): b is reached directly and through a; b must wait for a's gradient
    for order in ("ba", "ab"):
        b = lucid.tensor(2.0, requires_grad=True)
        a = b * 3
        r = b * a if order == "ba" else a * b
        r.backward()
        assert b.grad.item() == 12.0, order


def test_diamond_and_deep_chain():
    x = lucid.tensor(1.5, requires_grad=True)
    h = x * x
    y = h.exp() + h.tanh() * h  # two paths from h
    y.backward()
    hv = 2.25
    expect = (np.exp(hv) + (1 - np.tanh(hv) ** 2) * hv + np.tanh(hv)) * 2 * 1.5
    assert np.isclose(x.grad.item(), expect, rtol=1e-6)
    z = lucid.tensor(1.0, requires_grad=True)
    w = z
    for _ in range(3000):  # deep graphs must not hit the recursion limit
        w = w * 1.0
    w.backward()
    assert z.grad.item() == 1.0


def test_accumulation_across_reuse_and_calls():
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    (x + x + x).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_broadcast_gradients_summed_to_input_shape():
    a = lucid.ones(2, 3, requires_grad=True)
    b = lucid.ones(3, requires_grad=True)
    c = lucid.ones(2, 1, requires_grad=True)
    s = lucid.tensor(2.0, requires_grad=True)
    (a * b + c * s).sum().backward()
    assert b.grad.shape == (3,) and b.grad.tolist() == [2.0, 2.0, 2.0]
    assert c.grad.shape == (2, 1) and c.grad.tolist() == [[6.0], [6.0]]
    assert s.grad.shape == () and s.grad.item() == 6.0
    assert a.grad.shape == (2, 3)


def test_leaf_grads_are_writable_and_not_shared():
    a = lucid.ones(3, requires_grad=True)
    b = lucid.ones(3, requires_grad=True)
    c = lucid.ones(1, 3, requires_grad=True)
    (a + b + c.reshape(3)).sum().backward()
    for t in (a, b, c):
        assert t.grad.flags.writeable
    assert not np.shares_memory(a.grad, b.grad) and not np.shares_memory(a.grad, c.grad)
    a.grad *= 2  # in-place updates, as optimizers do, touch one gradient only
    assert b.grad.tolist() == [1.0, 1.0, 1.0] and c.grad.tolist() == [[1.0, 1.0, 1.0]]


def test_backward_with_explicit_gradient_copies_it():
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    g = np.array([1.0, 1.0], dtype=np.float32)
    x.backward(g)
    g[0] = 100.0
    assert x.grad.tolist() == [1.0, 1.0]
    y = x * 2
    y.backward(lucid.tensor([0.5, 1.0]))
    assert x.grad.tolist() == [2.0, 3.0]


def test_non_scalar_backward_needs_gradient():
    y = lucid.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"\(3,\)"):
        y.backward(np.ones(3))
    lucid.ones(1, 1, requires_grad=True).sum(axis=0).backward()  # one element is fine


def test_backward_without_graph_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        lucid.ones(2).sum().backward()


def test_second_backward_needs_retain_graph():
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    # a new graph on the same leaves works
    (x * 1.0).sum().backward()
    assert x.grad.tolist() == [5.0, 9.0]


def test_saved_arrays_released_after_backward():
    x = lucid.tensor(np.ones(4), requires_grad=True)
    h = x.exp()  # exp saves its output array for backward
    saved = weakref.ref(h.data)
    y = h.sum()
    node = y._node
    del h
    gc.collect()
    assert saved() is not None  # the graph keeps it alive until backward
    y.backward()
    gc.collect()
    assert saved() is None
    assert node.backward is None and node.inputs == () and node.saved == ()


def test_retain_graph_keeps_saved_arrays():
    x = lucid.tensor(np.ones(4), requires_grad=True)
    h = x.exp()
    saved = weakref.ref(h.data)
    y = h.sum()
    del h
    y.backward(retain_graph=True)
    gc.collect()
    assert saved() is not None and y._node.backward is not None


def test_no_grad_builds_no_graph():
    w = lucid.ones(3, requires_grad=True)
    with lucid.no_grad():
        assert not lucid.grad_enabled()
        y = (w * 2).exp().sum()
    assert lucid.grad_enabled()
    assert not y.requires_grad and y._node is None and y.is_leaf


def test_no_grad_as_decorator_with_and_without_parentheses():
    w = lucid.ones(2, requires_grad=True)

    @lucid.no_grad()
    def f(t):
        """doc kept"""
        return t * 2

    @lucid.no_grad
    def g(t):
        return t * 2

    assert not f(w).requires_grad and not g(w).requires_grad
    assert f.__doc__ == "doc kept" and lucid.grad_enabled()


def test_no_grad_restores_state_on_error_and_nesting():
    ctx = lucid.no_grad()
    with pytest.raises(KeyError):
        with ctx:
            with ctx:  # the same object re-entered
                raise KeyError("x")
    assert lucid.grad_enabled()
    with lucid.no_grad():
        with lucid.enable_grad():
            assert lucid.grad_enabled()
            assert (lucid.ones(1, requires_grad=True) * 2).requires_grad
        assert not lucid.grad_enabled()

    @lucid.enable_grad()
    def on(t):
        return t * 2

    with lucid.no_grad():
        assert on(lucid.ones(1, requires_grad=True)).requires_grad


def test_requires_grad_propagates_only_from_grad_inputs():
    a = lucid.ones(2, requires_grad=True)
    b = lucid.ones(2)
    assert (a + b).requires_grad and not (b + b).requires_grad
    assert (b * 2)._node is None
    assert not (a > 0).requires_grad  # comparisons are not differentiable
    assert not a.argmax().requires_grad


def test_only_requested_inputs_get_gradients():
    a = lucid.ones(2, requires_grad=True)
    b = lucid.ones(2)
    (a * b).sum().backward()
    assert a.grad is not None and b.grad is None


def test_keep_grad_on_intermediate():
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.keep_grad = True
    (h * h).sum().backward()
    assert h.grad.tolist() == [6.0, 12.0] and x.grad.tolist() == [18.0, 36.0]
    m = x * 2
    (m * 1.0).sum().backward()
    assert m.grad is None  # non-leaves drop their gradient by default


def test_detach_stops_gradient():
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    y = x * x.detach()
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 2.0]


def test_custom_op_through_make_result():
    calls = []

    def square(a):
        x = a.data

        def backward(g):
            calls.append(1)
            return (2 * x * g,)

        return make_result(x * x, (a,), backward, "square")

    v = lucid.tensor([3.0], requires_grad=True)
    square(v).sum().backward()
    assert v.grad.tolist() == [6.0] and calls == [1]
    with lucid.no_grad():
        assert square(v)._node is None


def test_gradient_dtype_follows_input():
    x = lucid.tensor([1.0, 2.0], dtype=lucid.Float16, requires_grad=True)
    (x.astype(lucid.Float32) * 3).sum().backward()
    assert x.grad.dtype == np.float16 and x.grad.tolist() == [3.0, 3.0]


def test_integer_index_gradient_with_mask_and_setitem_guard():
    x = lucid.tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
    x[x > 0].sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0], [1.0, 0.0]]


def test_engine_on_device(device):
    x = lucid.tensor([1.0, 2.0], requires_grad=True, device=device)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert device_of(x.grad) == device and x.grad.tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
    with lucid.no_grad():
        assert (x * 2)._node is None
    with pytest.raises(ValueError, match=r"\(2,\)"):
        (x * 2).backward()
    b = lucid.tensor(2.0, requires_grad=True, device=device)
    (b * (b * 3)).backward()
    assert b.grad.item() == 12.0


def test_float16_gradients_on_device(device):
    a = np.random.default_rng(1).standard_normal((4, 8)).astype(np.float16)
    t = lucid.tensor(a, device=device, requires_grad=True)
    ((t @ t.T).tanh().sum() + t.exp().mean()).backward()
    assert t.grad.dtype == np.float16 and device_of(t.grad) == device
    ref = torch.tensor(a.astype(np.float64), requires_grad=True)  # the same values, computed in float64
    ((ref @ ref.T).tanh().sum() + ref.exp().mean()).backward()
    np.testing.assert_allclose(to_numpy(t.grad).astype(np.float32), ref.grad.numpy(), rtol=2e-2, atol=2e-2)


@pytest.mark.gpu
def test_transfer_is_differentiable():
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    y = (x.to("gpu") * 3).sum()
    y.backward()
    assert isinstance(x.grad, np.ndarray) and x.grad.tolist() == [3.0, 3.0]
    w = lucid.tensor([1.0, 2.0], requires_grad=True, device="gpu")
    (w.cpu() ** 2).sum().backward()
    assert device_of(w.grad) == "gpu" and w.grad.tolist() == [2.0, 4.0]
