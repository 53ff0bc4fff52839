"""Memory and in-place semantics (API.md, tensor core): copying constructors and sharing ones,
in-place operators, version counters shared by views and detached aliases and bumped by every
in-place change lucid makes, checked by backward; differentiable setitem and in-place changes
through views (against torch.autograd); float-only ``requires_grad``; ``.grad`` assignment."""

import numpy as np
import pytest
import torch

import lucid
import lucid.nn as nn

MODIFIED = "modified by an inplace operation"


def _t(a, device="cpu", rg=False):
    return lucid.tensor(np.array(a, dtype=np.float64), requires_grad=rg, device=device)


# ---- copying and sharing constructors ------------------------------------------------------
def test_tensor_copies_arrays_and_tensors(device):
    a = np.zeros(3, dtype=np.float32)
    t = lucid.tensor(a, device=device)
    a[0] = 5.0
    assert t.tolist() == [0.0, 0.0, 0.0]
    u = lucid.Tensor(t)
    v = lucid.tensor(t)
    t[1] = 7.0
    assert u.tolist() == [0.0, 0.0, 0.0] and v.tolist() == [0.0, 0.0, 0.0]
    assert u._version == 0 and t._version == 1


def test_tensor_copy_keeps_the_layout():
    a = np.ones((3, 4)).T
    assert lucid.tensor(a).data.flags.f_contiguous and not np.shares_memory(lucid.tensor(a).data, a)


def test_from_numpy_and_as_tensor_share_memory():
    a = np.zeros(3, dtype=np.float32)
    t = lucid.from_numpy(a)
    a[0] = 5.0
    assert t.tolist() == [5.0, 0.0, 0.0]
    t[1] = 2.0
    assert a.tolist() == [5.0, 2.0, 0.0]
    s = lucid.as_tensor(a)
    assert np.shares_memory(s.data, a)
    x = lucid.ones(2)
    assert lucid.as_tensor(x) is x
    converted = lucid.as_tensor(a, dtype=lucid.Float64)  # another dtype: a converted copy
    assert converted.dtype == np.float64 and not np.shares_memory(converted.data, a)
    assert lucid.as_tensor([1.0, 2.0]).dtype == np.float32


def test_from_numpy_errors_name_the_value():
    with pytest.raises(TypeError, match="list"):
        lucid.from_numpy([1.0])
    with pytest.raises(TypeError, match="complex128"):
        lucid.from_numpy(np.ones(2, dtype=complex))


def test_parameter_and_state_dict_share_memory_and_version():
    t = lucid.zeros(2)
    p = nn.Parameter(t)
    assert np.shares_memory(p.data, t.data)
    t[0] = 1.0
    assert p._version == 1 and p.tolist() == [1.0, 0.0]
    lin = nn.Linear(2, 2)
    sd = lin.state_dict()
    before = lin.weight._version
    with lucid.no_grad():
        lin.weight[0, 0] = 3.0
    assert sd["weight"]._version == lin.weight._version == before + 1


# ---- in-place operators ----------------------------------------------------------------------
def test_inplace_operators_change_the_tensor_itself(device):
    t = lucid.tensor([1.0, 2.0], device=device)
    alias, data = t, t.data
    t += 1
    t -= lucid.tensor([0.5, 0.5], device=device)
    t *= 4
    t /= 2
    assert t is alias and t.data is data and t.tolist() == [3.0, 5.0] and t._version == 4
    i = lucid.tensor([1, 2], device=device)
    i += 3
    i *= 2
    assert i.dtype == np.int64 and i.tolist() == [8, 10]
    f = lucid.ones(2, dtype=lucid.Float32, device=device)
    f += lucid.tensor(0.5, dtype=lucid.Float64, device=device)  # the result must fit the tensor
    assert f.dtype == np.float32 and f.tolist() == [1.5, 1.5]


def test_manual_sgd_under_no_grad_trains_like_torch():
    rng = np.random.default_rng(0)
    x0, y0 = rng.standard_normal((8, 3)), rng.standard_normal(8)
    w = lucid.tensor(np.zeros(3), requires_grad=True)
    tw = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    x, y, tx, ty = lucid.tensor(x0), lucid.tensor(y0), torch.tensor(x0), torch.tensor(y0)
    losses = []
    for _ in range(5):
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        with lucid.no_grad():
            w -= 0.1 * lucid.tensor(w.grad)
        w.zero_grad()
        tloss = ((tx @ tw - ty) ** 2).mean()
        tloss.backward()
        with torch.no_grad():
            tw -= 0.1 * tw.grad
        tw.grad = None
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-12)


def test_inplace_operator_errors_name_the_values():
    i = lucid.tensor([1, 2])
    with pytest.raises(TypeError, match="iadd: the result type float32.*int64"):
        i += 0.5
    with pytest.raises(TypeError, match="idiv: the result type float32.*int64"):
        i /= 2
    b = lucid.tensor([True, False])
    with pytest.raises(TypeError, match="int64.*bool"):
        b += lucid.tensor([1, 1])
    t = lucid.zeros(2)
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(2,\)"):
        t += lucid.ones(2, 2)
    e = lucid.ones(3, 1).expand(3, 4)
    with pytest.raises(RuntimeError, match=r"one memory location.*\(3, 4\)"):
        e += 1
    with pytest.raises(RuntimeError, match="one memory location"):
        e[0] = 2.0
    assert i.tolist() == [1, 2] and i._version == 0 and t._version == 0  # nothing changed


def test_read_only_numpy_memory_is_refused():
    a = np.zeros(2)
    a.flags.writeable = False
    with pytest.raises(RuntimeError, match="read-only"):
        lucid.from_numpy(a)[0] = 1.0


# ---- version counters ------------------------------------------------------------------------
def test_views_and_detached_aliases_share_the_counter(device):
    x = lucid.zeros(2, 3, device=device)
    views = [x[0], x[:, 1:], x[0, 1], x.reshape(6), x.T, x.swapaxes(0, 1), x.unsqueeze(0), x[None].squeeze(0),
             x.expand(4, 2, 3), x.detach(), x.flatten()]
    if device == "cpu":
        assert all(np.shares_memory(v.data, x.data) for v in views)
    x[0, 0] = 1.0
    assert [v._version for v in views] == [1] * len(views)
    views[0] += 1  # a change through a view shows in the tensor and bumps every alias
    assert x.tolist()[0] == [2.0, 1.0, 1.0] and x._version == 2 and views[3]._version == 2
    copies = [x[[0, 1]], x[x > 1], x.T.reshape(6), x * 1]  # advanced indexing and copying reshapes
    x[1, 1] = 5.0
    assert [c._version for c in copies] == [0, 0, 0, 0]


def test_library_in_place_changes_bump_the_counter():
    lin = nn.Linear(3, 2)
    w = lin.weight
    v0, b0 = w._version, lin.bias._version
    nn.init.normal(w)
    nn.init.constant(lin.bias, 0.5)
    nn.init.xavier_uniform(w)
    assert w._version == v0 + 2 and lin.bias._version == b0 + 1
    lin.load_state_dict(nn.Linear(3, 2).state_dict())
    assert w._version == v0 + 3
    opt = lucid.optim.SGD(lin.parameters(), lr=0.1)
    lin(lucid.ones(1, 3)).sum().backward()
    opt.step()
    assert w._version == v0 + 4
    opt.zero_grad()  # gradients are replaced, the weights untouched
    assert w._version == v0 + 4
    w.data[0, 0] = 9.0  # .data is the untracked escape hatch
    w.data = w.data.copy()
    assert w._version == v0 + 4


@pytest.mark.parametrize("case", ["setitem", "detach", "weight_under_no_grad", "iadd_output"])
def test_backward_refuses_changed_saved_tensors(case, device):
    x = _t([1.0, 2.0], device, rg=True)
    w = _t([3.0, 4.0], device, rg=True)
    if case == "setitem":  # issue 15: y = (x * w).sum(); w[0] = 100 gave x.grad == [100, 4]
        y = (x * w).sum()
        with lucid.no_grad():
            w[0] = 100.0
        where = r"\[float64 tensor of shape \(2,\)\], which is a leaf, is at version 1; expected version 0"
    elif case == "detach":
        h = x.exp()
        y = h.sum()
        h.detach()[0] = 0.0
        where = r"which is output of exp, is at version 1; expected version 0.*backward of exp"
    elif case == "weight_under_no_grad":
        y = (x * w).sum()
        with lucid.no_grad():
            w *= 2
        where = r"which is a leaf, is at version 1; expected version 0.*backward of mul"
    else:
        h = x.tanh()
        y = (h * 1.0).sum()
        h += 1.0  # h is not a leaf: the change itself is fine, the saved output is not
        where = r"output of tanh"
    with pytest.raises(RuntimeError, match=MODIFIED + ".*" + where):
        y.backward()


def test_optimizer_step_between_two_backwards_is_refused():
    lin = nn.Linear(3, 2)
    opt = lucid.optim.SGD(lin.parameters(), lr=0.1)
    x = lucid.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = lin(x).sum()
    y.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match=MODIFIED + ".*backward of linear"):
        y.backward()


def test_changes_backward_does_not_read_are_allowed():
    x = _t([1.0, 2.0], rg=True)
    w = _t([3.0, 4.0])
    y = (x + w).sum() + (x * 2).sum()  # add reads nothing, x * 2 reads only the scalar
    with lucid.no_grad():
        w[0] = 100.0
        x += 1
    y.backward()
    assert x.grad.tolist() == [3.0, 3.0]
    h = x * 1
    z = (h * w).sum()  # mul reads w for h's gradient, h only for w's (which needs none)
    h[0] = 7.0
    z.backward()
    assert x.grad.tolist() == [3.0 + 100.0, 3.0 + 4.0]  # z was computed before h changed


# ---- leaves, views of leaves, grad mode --------------------------------------------------------
def test_leaf_that_requires_grad_changes_only_under_no_grad(device):
    w = _t([1.0, 2.0], device, rg=True)
    with pytest.raises(RuntimeError, match="iadd: a leaf tensor that requires grad"):
        w += 1
    with pytest.raises(RuntimeError, match="setitem: a leaf tensor that requires grad"):
        w[0] = 3.0
    with pytest.raises(RuntimeError, match="a view of a leaf tensor that requires grad"):
        w[0:1] *= 2
    with lucid.no_grad():
        v, h = w[0:1], w * 1
        u = h[0:1]
    with pytest.raises(RuntimeError, match="a view of a leaf tensor that requires grad"):
        v += 1
    h = w * 1
    with lucid.no_grad():
        u = h[0:1]
    with pytest.raises(RuntimeError, match="made under no_grad"):
        u += 1
    assert w.tolist() == [1.0, 2.0] and w._version == 0
    with lucid.no_grad():
        w += 1
        w[0] = 5.0
        w[1:] *= 2
    assert w.tolist() == [5.0, 6.0] and w.is_leaf and w.requires_grad


# ---- differentiable in-place changes, against torch ------------------------------------------
def _both(fn):
    """``fn(lib, T)`` run with lucid and with torch (float64); the leaves' gradients of each."""
    out = []
    for lib in (lucid, torch):
        def T(a, rg=False):
            arr = np.array(a, dtype=np.float64)
            return lucid.tensor(arr, requires_grad=rg) if lib is lucid else torch.tensor(arr, requires_grad=rg)
        leaves = fn(lib, T)
        out.append([np.asarray(leaf.grad if lib is lucid else leaf.grad.numpy()) for leaf in leaves])
    return out


def _buffer_gets_grad(lib, T):  # issue 15: buf[0] = (x * x).sum() dropped the gradient path
    x = T([1.0, 2.0], True)
    buf = lib.zeros(3, dtype=lib.float64) if lib is torch else lucid.zeros(3, dtype=lucid.Float64)
    buf[0] = (x * x).sum()
    buf[1:] = x * 3
    (buf * buf).sum().backward()
    return [x]


def _view_changed(lib, T):
    x = T([1.0, 2.0, 3.0, 4.0], True)
    h = x * 1
    v = h[1:3]
    v *= 2
    (h * h).sum().backward()
    return [x]


def _sibling_view_sees_the_change(lib, T):
    x = T([1.0, 2.0, 3.0, 4.0], True)
    h = x * 1
    a, b = h[0:2], h[1:3]
    b *= 3
    (a * a).sum().backward()
    return [x]


def _view_made_before_a_setitem(lib, T):
    x = T([1.0, 2.0], True)
    buf = T([0.0, 0.0, 0.0])
    v = buf[0:2]
    buf[0] = (x * x).sum()
    (v * 2).sum().backward()
    return [x]


def _index_add(lib, T):
    x = T([1.0, 2.0, 3.0], True)
    w = T([0.5, -1.0], True)
    h = x * 1
    h[1:] += x[:2] * w
    h[[0, 0]] = w  # advanced setitem: the repeated index keeps one write
    (h * h).sum().backward()
    return [x, w]


def _transpose_and_reshape_views(lib, T):
    x = T([[1.0, 2.0], [3.0, 4.0]], True)
    h = x * 1
    h.T[0] *= 3
    r = h.reshape(4)
    r[1:3] /= r[0:2] * 1 + 1
    (h * x).sum().backward()
    return [x]


def _scalar_element_view(lib, T):
    x = T([1.0, 2.0], True)
    h = x * 1
    e = h[1]
    e *= 5  # h[1] is a view, as in torch
    (h * h).sum().backward()
    return [x]


def _division_and_product(lib, T):
    x = T([1.0, 2.0], True)
    w = T([3.0, 5.0], True)
    h = x * 1
    h /= w
    h *= w * w
    h -= x
    (h * h).sum().backward()
    return [x, w]


@pytest.mark.parametrize("program", [
    _buffer_gets_grad, _view_changed, _sibling_view_sees_the_change, _view_made_before_a_setitem, _index_add,
    _transpose_and_reshape_views, _scalar_element_view, _division_and_product,
], ids=lambda f: f.__name__.strip("_"))
def test_inplace_gradients_equal_torch(program):
    ours, theirs = _both(program)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_setitem_gradient_on_device(device):
    x = _t([1.0, 2.0], device, rg=True)
    buf = lucid.zeros(3, dtype=lucid.Float64, device=device)
    buf[0] = (x * x).sum()
    assert not buf.is_leaf and buf.requires_grad
    (buf * 2).sum().backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_self_product_in_place_uses_the_old_values():
    x = _t([1.0, 2.0], rg=True)
    h = x * 1
    h *= h  # torch refuses this one; lucid copies the operand and gives d(x^2)/dx
    h.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_keep_grad_follows_an_in_place_change():
    x = _t([1.0, 2.0], rg=True)
    h = x * 1
    h.keep_grad = True
    h *= 3
    (h * h).sum().backward()
    assert h.grad.tolist() == [6.0, 12.0] and x.grad.tolist() == [18.0, 36.0]


def test_integer_target_keeps_no_graph():
    x = _t([1.5, 2.0], rg=True)
    buf = lucid.zeros(2, dtype=lucid.Int64)
    buf[0] = x.sum()
    assert buf.tolist() == [3, 0] and not buf.requires_grad


# ---- requires_grad and .grad ---------------------------------------------------------------
def test_only_floating_tensors_require_grad():
    t = lucid.tensor([1, 2])
    with pytest.raises(TypeError, match="int64"):
        t.requires_grad = True
    with pytest.raises(TypeError, match="bool"):
        lucid.tensor([True]).requires_grad_()
    with pytest.raises(TypeError, match="int64"):
        lucid.tensor([1], requires_grad=True)
    assert not t.requires_grad
    f = lucid.ones(2)
    f.requires_grad = True
    assert (f * 2).requires_grad
    y = f * 2
    with pytest.raises(RuntimeError, match="output of mul.*detach"):
        y.requires_grad = False


def test_grad_may_be_assigned_a_tensor_or_an_array(device):
    p = nn.Parameter(lucid.zeros(2, device=device))
    p.grad = lucid.ones(2, device=device)  # issue 15: step() then failed inside NumPy
    opt = lucid.optim.SGD([p], lr=0.5)
    opt.step()
    assert p.tolist() == [-0.5, -0.5]
    p.grad = p.xp.full(2, 2.0, dtype=np.float32)
    opt.step()
    assert p.tolist() == [-1.5, -1.5]
    p.grad = None
    opt.step()
    assert p.tolist() == [-1.5, -1.5]


def test_grad_assignment_errors_name_the_value():
    p = nn.Parameter(lucid.zeros(2))
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        p.grad = lucid.ones(3)
    with pytest.raises(TypeError, match="float64.*float32"):
        p.grad = np.ones(2)
    with pytest.raises(TypeError, match="list"):
        p.grad = [1.0, 1.0]
    assert p.grad is None


@pytest.mark.gpu
def test_grad_on_another_device_is_refused():
    p = nn.Parameter(lucid.zeros(2))
    with pytest.raises(RuntimeError, match="'gpu'.*'cpu'"):
        p.grad = lucid.ones(2, device="gpu")
