"""Learning-rate schedules against torch.optim.lr_scheduler and transformers."""

import math

import pytest
import torch

from lucid.nn import Parameter
from lucid.optim import SGD, AdamW, lr_scheduler as ls


def _pair(lrs=(0.1, 0.02)):
    ours = SGD([{"params": [Parameter([0.0])], "lr": lr} for lr in lrs], lr=1.0)
    theirs = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs], lr=1.0)
    return ours, theirs


def _compare(make_ours, make_theirs, steps=25, opt_pair=None):
    opt, topt = opt_pair or _pair()
    sched, tsched = make_ours(opt), make_theirs(topt)
    seq, tseq = [sched.get_last_lr()], [tsched.get_last_lr()]
    for _ in range(steps):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        seq.append(sched.get_last_lr())
        tseq.append(tsched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == seq[-1]
    for a, b in zip(seq, tseq):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15)
    return sched, seq


def test_lambda_lr_matches_torch():
    fns = [lambda s: 0.9**s, lambda s: 1.0 / (1 + s)]
    _compare(lambda o: ls.LambdaLR(o, fns), lambda o: torch.optim.lr_scheduler.LambdaLR(o, fns))
    _compare(lambda o: ls.LambdaLR(o, lambda s: 0.5 * s), lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda s: 0.5 * s))


@pytest.mark.parametrize("kwargs", [dict(step_size=3), dict(step_size=1, gamma=0.5), dict(step_size=7, gamma=0.3)])
def test_step_lr_matches_torch(kwargs):
    _compare(lambda o: ls.StepLR(o, **kwargs), lambda o: torch.optim.lr_scheduler.StepLR(o, **kwargs))


@pytest.mark.parametrize("kwargs", [dict(), dict(start_factor=0.1, end_factor=0.9, total_iters=10),
                                    dict(start_factor=1.0, end_factor=0.0, total_iters=8)])
def test_linear_lr_matches_torch(kwargs):
    _compare(lambda o: ls.LinearLR(o, **kwargs), lambda o: torch.optim.lr_scheduler.LinearLR(o, **kwargs))


@pytest.mark.parametrize("kwargs", [dict(T_max=10), dict(T_max=4, eta_min=0.001), dict(T_max=1)])
def test_cosine_annealing_matches_torch(kwargs):
    # 25 steps go past T_max, where torch's schedule turns back up
    _, seq = _compare(lambda o: ls.CosineAnnealingLR(o, **kwargs),
                      lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, **kwargs))
    T, lo = kwargs["T_max"], kwargs.get("eta_min", 0.0)
    for t, lrs in enumerate(seq):  # and it equals the closed form
        assert lrs[0] == pytest.approx(lo + (0.1 - lo) * (1 + math.cos(math.pi * t / T)) / 2, abs=1e-12)


@pytest.mark.parametrize("warmup, total", [(3, 10), (0, 5), (4, 4), (1, 20)])
def test_warmup_schedule_matches_transformers(warmup, total):
    from transformers import get_linear_schedule_with_warmup as hf_schedule

    _compare(lambda o: ls.get_linear_schedule_with_warmup(o, warmup, total), lambda o: hf_schedule(o, warmup, total),
             steps=total + 3)
    opt, _ = _pair()
    sched = ls.LinearWarmupDecayLR(opt, num_warmup_steps=warmup, num_training_steps=total)
    assert isinstance(sched, ls.LambdaLR)


def test_schedules_compose_like_torch():
    # two schedules on one optimizer act on the current lr, as in torch
    def ours(o):
        ls.StepLR(o, step_size=2, gamma=0.5)
        return ls.LinearLR(o, start_factor=0.5, total_iters=3)

    def theirs(o):
        torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5)
        return torch.optim.lr_scheduler.LinearLR(o, start_factor=0.5, total_iters=3)

    _compare(ours, theirs, steps=1)


@pytest.mark.parametrize("make", [
    lambda o: ls.StepLR(o, step_size=2),
    lambda o: ls.LinearLR(o, start_factor=0.2, total_iters=6),
    lambda o: ls.CosineAnnealingLR(o, T_max=5),
    lambda o: ls.get_linear_schedule_with_warmup(o, 2, 9),
])
def test_state_dict_resumes(make):
    opt, _ = _pair()
    sched = make(opt)
    for _ in range(3):
        opt.step()
        sched.step()
    sd = sched.state_dict()
    assert "optimizer" not in sd
    opt_sd = opt.state_dict()
    expected = []
    for _ in range(4):
        opt.step()
        sched.step()
        expected.append(sched.get_last_lr())

    opt2, _ = _pair()
    sched2 = make(opt2)
    opt2.load_state_dict(opt_sd)
    sched2.load_state_dict(sd)
    got = []
    for _ in range(4):
        opt2.step()
        sched2.step()
        got.append(sched2.get_last_lr())
    assert got == expected


def test_bad_arguments():
    opt, _ = _pair()
    with pytest.raises(ValueError, match="step_size must be an int >= 1, got 0"):
        ls.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="start_factor must be in \\(0, 1\\], got 0"):
        ls.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="end_factor must be in \\[0, 1\\], got 2"):
        ls.LinearLR(opt, end_factor=2)
    with pytest.raises(ValueError, match="T_max must be an int >= 1, got -3"):
        ls.CosineAnnealingLR(opt, T_max=-3)
    with pytest.raises(ValueError, match="num_warmup_steps must be an int >= 0, got -1"):
        ls.get_linear_schedule_with_warmup(opt, -1, 10)
    with pytest.raises(ValueError, match="expected 2 lr_lambdas"):
        ls.LambdaLR(opt, [lambda s: 1.0])
    with pytest.raises(TypeError, match="not an Optimizer"):
        ls.StepLR("adam", step_size=1)
    fresh, _ = _pair()
    with pytest.raises(KeyError, match="initial_lr"):
        ls.StepLR(fresh, step_size=1, last_epoch=3)


def test_warmup_on_adamw_sets_lr_zero_first():
    w = Parameter([1.0])
    opt = AdamW([w], lr=2e-5)
    sched = ls.get_linear_schedule_with_warmup(opt, num_warmup_steps=10, num_training_steps=100)
    assert opt.param_groups[0]["lr"] == 0.0
    assert opt.param_groups[0]["initial_lr"] == 2e-5
    for _ in range(10):
        opt.step()
        sched.step()
    assert sched.get_last_lr() == [pytest.approx(2e-5)]
