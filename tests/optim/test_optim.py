"""Optimizers against torch.optim over several steps (also on each device of the ``device``
fixture, under a warmup schedule), plus state_dict and argument checks."""

import numpy as np
import pytest
import torch

import lucid
from lucid._backend import device_of
from lucid.nn import Parameter
from lucid.optim import SGD, Adam, AdamW, lr_scheduler

SHAPES = [(4, 3), (3,), (70000,)]  # the last is larger than one CPU piece of the update


def _setup(seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    ours = [Parameter(a.copy()) for a in init]
    theirs = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in init]
    return rng, ours, theirs


def _set_grads(rng, ours, theirs, skip=()):
    for i, (p, q) in enumerate(zip(ours, theirs)):
        if i in skip:
            p.grad, q.grad = None, None
            continue
        g = rng.standard_normal(p.shape).astype(np.float32)
        p.grad = g
        q.grad = torch.from_numpy(g.copy())


def _run(make_ours, make_theirs, steps=5, groups=None, skip_at=None):
    rng, ours, theirs = _setup()
    if groups is None:
        opt, topt = make_ours(ours), make_theirs(theirs)
    else:
        opt = make_ours([dict(g, params=[ours[i] for i in g["params"]]) for g in groups])
        topt = make_theirs([dict(g, params=[theirs[i] for i in g["params"]]) for g in groups])
    for step in range(steps):
        grads_before = None
        _set_grads(rng, ours, theirs, skip=(skip_at or {}).get(step, ()))
        grads_before = [None if p.grad is None else p.grad.copy() for p in ours]
        opt.step()
        topt.step()
        for p, g in zip(ours, grads_before):  # the optimizer never writes into a gradient
            if g is not None:
                np.testing.assert_array_equal(p.grad, g)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=2e-6, atol=2e-6)
    return opt, topt, ours, theirs


@pytest.mark.parametrize("kwargs", [
    dict(lr=0.1),
    dict(lr=0.1, weight_decay=0.05),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, weight_decay=0.01, dampening=0.3),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1),
])
def test_sgd_matches_torch(kwargs):
    opt, topt, ours, theirs = _run(lambda p: SGD(p, **kwargs), lambda p: torch.optim.SGD(p, **kwargs))
    if kwargs.get("momentum"):
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(opt.state[p]["momentum_buffer"], topt.state[q]["momentum_buffer"].numpy(),
                                       rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.02, betas=(0.3, 0.9)),  # beta1 < 0.5 takes torch's other lerp branch
])
def test_adam_matches_torch(kwargs):
    opt, topt, ours, theirs = _run(lambda p: Adam(p, **kwargs), lambda p: torch.optim.Adam(p, **kwargs), steps=6)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(opt.state[p]["exp_avg"], topt.state[q]["exp_avg"].numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(opt.state[p]["exp_avg_sq"], topt.state[q]["exp_avg_sq"].numpy(), rtol=1e-6, atol=1e-7)
        assert opt.state[p]["step"] == int(topt.state[q]["step"])


@pytest.mark.parametrize("kwargs", [dict(), dict(lr=0.01, weight_decay=0.1), dict(lr=0.003, weight_decay=0.0)])
def test_adamw_matches_torch(kwargs):
    _run(lambda p: AdamW(p, **kwargs), lambda p: torch.optim.AdamW(p, **kwargs), steps=6)


def test_param_groups_and_missing_grads_match_torch():
    groups = [{"params": [0], "lr": 0.1, "weight_decay": 0.2}, {"params": [1, 2]}]
    # parameter 1 has no gradient at steps 0 and 2: it must be skipped (and its step count lag)
    opt, topt, ours, theirs = _run(lambda g: AdamW(g, lr=0.01), lambda g: torch.optim.AdamW(g, lr=0.01),
                                   groups=groups, skip_at={0: (1,), 2: (1,)})
    assert opt.state[ours[1]]["step"] == 3 == int(topt.state[theirs[1]]["step"])
    _run(lambda g: SGD(g, lr=0.01, momentum=0.9), lambda g: torch.optim.SGD(g, lr=0.01, momentum=0.9),
         groups=groups, skip_at={1: (0,)})


def test_add_param_group_matches_torch():
    rng, ours, theirs = _setup()
    opt, topt = Adam(ours[:1], lr=0.01), torch.optim.Adam(theirs[:1], lr=0.01)
    opt.add_param_group({"params": ours[1:], "lr": 0.05})
    topt.add_param_group({"params": theirs[1:], "lr": 0.05})
    for _ in range(3):
        _set_grads(rng, ours, theirs)
        opt.step()
        topt.step()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=2e-6, atol=2e-6)
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
])
def test_optimizers_on_device_match_torch(name, kwargs, device):
    from transformers import get_linear_schedule_with_warmup as hf_schedule

    rng, host, theirs = _setup()
    ours = [Parameter(p.data.copy(), device=device) for p in host]
    opt, topt = getattr(lucid.optim, name)(ours, **kwargs), getattr(torch.optim, name)(theirs, **kwargs)
    sched, tsched = lr_scheduler.get_linear_schedule_with_warmup(opt, 1, 5), hf_schedule(topt, 1, 5)
    for _ in range(3):
        for p, q in zip(ours, theirs):
            g = rng.standard_normal(p.shape).astype(np.float32)
            p.grad = lucid.tensor(g, device=device).data
            q.grad = torch.from_numpy(g.copy())
        opt.step(), topt.step(), sched.step(), tsched.step()
    for p, q in zip(ours, theirs):
        assert p.device == device
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)
    for state in opt.state.values():
        for v in state.values():
            assert not hasattr(v, "shape") or device_of(v) == device
    # a state saved on the device loads onto CPU parameters (as host arrays)
    fresh = getattr(lucid.optim, name)([Parameter(p.numpy()) for p in ours], **kwargs)
    fresh.load_state_dict(opt.state_dict())
    assert all(not hasattr(v, "shape") or isinstance(v, np.ndarray) for s in fresh.state.values() for v in s.values())


def test_float64_params_stay_float64():
    p = Parameter(np.array([1.0, 2.0]))
    p.grad = np.array([0.5, -0.5])
    opt = Adam([p], lr=0.1)
    opt.step()
    assert p.dtype == np.float64 and opt.state[p]["exp_avg"].dtype == np.float64


def test_update_is_in_place_and_non_contiguous_params_work():
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    p = Parameter(base.T)  # a non-contiguous view
    arr = p.data
    tq = torch.nn.Parameter(torch.from_numpy(base.T.copy()))
    g = np.ones((4, 3), np.float32)
    p.grad, tq.grad = g, torch.from_numpy(g.copy())
    opt, topt = Adam([p], lr=0.1, weight_decay=0.1), torch.optim.Adam([tq], lr=0.1, weight_decay=0.1)
    for _ in range(2):
        opt.step()
        topt.step()
    assert p.data is arr
    np.testing.assert_allclose(p.data, tq.detach().numpy(), rtol=1e-6)


def test_zero_grad_sets_none():
    _, ours, _ = _setup()
    for p in ours:
        p.grad = np.ones(p.shape, np.float32)
    opt = SGD(ours, lr=0.1)
    shared = ours[0].grad
    opt.zero_grad(set_to_none=False)
    assert ours[0].grad is not shared and not ours[0].grad.any() and shared.all()
    opt.zero_grad()
    assert all(p.grad is None for p in ours)


def test_closure_returns_loss():
    w = Parameter([1.0, 2.0])
    opt = SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == pytest.approx(5.0)
    np.testing.assert_allclose(w.data, [0.8, 1.6], rtol=1e-6)


@pytest.mark.parametrize("cls", [SGD, Adam, AdamW])
def test_state_dict_roundtrip_continues_identically(cls):
    kwargs = dict(lr=0.01, momentum=0.9) if cls is SGD else dict(lr=0.01)
    rng, ours, _ = _setup()
    clone = [Parameter(p.data.copy()) for p in ours]
    opt = cls(ours, **kwargs)
    for _ in range(2):
        for p in ours:
            p.grad = rng.standard_normal(p.shape).astype(np.float32)
        opt.step()
    sd = opt.state_dict()
    for p, c in zip(ours, clone):
        c.data[...] = p.data
    opt2 = cls(clone, lr=123.0, **{k: v for k, v in kwargs.items() if k != "lr"})
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.01
    for p, c in zip(ours, clone):
        p.grad = c.grad = rng.standard_normal(p.shape).astype(np.float32)
    snapshot = {k: {n: (v.copy() if isinstance(v, np.ndarray) else v) for n, v in s.items()}
                for k, s in sd["state"].items()}
    opt.step()
    opt2.step()
    for p, c in zip(ours, clone):
        np.testing.assert_array_equal(p.data, c.data)
    for k, s in sd["state"].items():  # state_dict() is a snapshot: later steps leave it alone
        for n, v in s.items():
            np.testing.assert_array_equal(v, snapshot[k][n])


def test_state_dict_layout_matches_torch():
    rng, ours, theirs = _setup()
    groups = [{"params": [0, 2], "lr": 0.1}, {"params": [1]}]
    opt = Adam([dict(g, params=[ours[i] for i in g["params"]]) for g in groups], lr=0.01)
    topt = torch.optim.Adam([dict(g, params=[theirs[i] for i in g["params"]]) for g in groups], lr=0.01)
    _set_grads(rng, ours, theirs, skip=(2,))
    opt.step()
    topt.step()
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sorted(sd["state"]) == sorted(tsd["state"])
    assert [g["params"] for g in sd["param_groups"]] == [g["params"] for g in tsd["param_groups"]]
    for k in sd["state"]:
        assert set(sd["state"][k]) == set(tsd["state"][k])
        np.testing.assert_allclose(sd["state"][k]["exp_avg"], tsd["state"][k]["exp_avg"].numpy(), rtol=1e-6)


def test_load_state_dict_accepts_tensors_and_casts():
    w = Parameter(np.zeros(3, np.float32))
    opt = Adam([w])
    opt.load_state_dict({
        "state": {0: {"step": 2, "exp_avg": lucid.tensor(np.ones(3)), "exp_avg_sq": np.ones(3)}},
        "param_groups": [{"lr": 0.5, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "params": [0]}],
    })
    st = opt.state[w]
    assert st["step"] == 2 and st["exp_avg"].dtype == np.float32 and isinstance(st["exp_avg"], np.ndarray)


def test_load_state_dict_mismatch_raises():
    _, ours, _ = _setup()
    sd = SGD(ours, lr=0.1).state_dict()
    with pytest.raises(ValueError, match="parameter groups"):
        SGD([{"params": ours[:1]}, {"params": ours[1:]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="has 3 parameters"):
        SGD(ours[:2], lr=0.1).load_state_dict(sd)


@pytest.mark.parametrize("make, words", [
    (lambda p: SGD(p, lr=-0.1), "-0.1"),
    (lambda p: SGD(p, lr=0.1, momentum=-1.0), "momentum"),
    (lambda p: SGD(p, lr=0.1, nesterov=True), "Nesterov"),
    (lambda p: Adam(p, lr=-1.0), "learning rate: -1.0"),
    (lambda p: Adam(p, betas=(1.5, 0.9)), "index 0: 1.5"),
    (lambda p: Adam(p, betas=(0.9, 1.0)), "index 1: 1.0"),
    (lambda p: Adam(p, betas=(0.9,)), "betas"),
    (lambda p: AdamW(p, eps=-1e-8), "epsilon value: -1e-08"),
    (lambda p: AdamW(p, weight_decay=-0.1), "weight_decay value: -0.1"),
    (lambda p: Adam(p, lr="fast"), "'fast'"),
])
def test_bad_hyperparameters_raise_value_error(make, words):
    with pytest.raises(ValueError, match=words):
        make([Parameter([1.0])])


def test_bad_params_raise():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="required optimization parameter 'lr'"):
        SGD([Parameter([1.0])])
    with pytest.raises(TypeError, match="single Tensor"):
        Adam(Parameter([1.0]))
    with pytest.raises(TypeError, match="not a set"):
        Adam({Parameter([1.0])})
    w = Parameter([1.0])
    with pytest.raises(ValueError, match="more than one parameter group"):
        Adam([{"params": [w]}, {"params": [w]}])
    with pytest.raises(ValueError, match="non-leaf"):
        Adam([w * 2])
    with pytest.raises(TypeError, match="only optimize Tensors"):
        Adam([np.zeros(2)])


def test_trains_a_linear_regression():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5], np.float32)
    w = Parameter(np.zeros(3, np.float32))
    opt = AdamW([w], lr=0.1, weight_decay=0.0)
    for _ in range(200):
        opt.zero_grad()
        loss = ((lucid.tensor(x) @ w - lucid.tensor(y)) ** 2).mean()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(w.data, [1.0, -2.0, 0.5], atol=1e-2)
