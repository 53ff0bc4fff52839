"""DistributedDataParallel in a world of one (this process): the gradients equal the
unwrapped model's, buckets start during backward, no_sync, unused parameters, state_dict,
and the errors a user can hit. Two-rank training is in test_mpi_jobs.py."""

from __future__ import annotations

import numpy as np
import pytest

import lucid
from lucid import nn

pytest.importorskip("mpi4py", reason="lucid[distributed] (mpi4py) is not installed")

import lucid.distributed as dist  # noqa: E402
from lucid.nn.parallel import DistributedDataParallel  # noqa: E402


def _mlp(seed=0):
    lucid.random.seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))


def _grads(model):
    return {n: None if p.grad is None else np.array(p.grad) for n, p in model.named_parameters()}


@pytest.mark.parametrize("cap", [25, 1e-4])
def test_gradients_equal_the_unwrapped_model(dist_world, cap):
    x = lucid.random.randn(5, 4)
    plain, wrapped = _mlp(), DistributedDataParallel(_mlp(), bucket_cap_mb=cap)
    plain(x).sum().backward()
    wrapped(x).sum().backward()
    want, got = _grads(plain), _grads(wrapped.module)
    assert want.keys() == got.keys()
    for k in want:
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)


def test_buckets_start_while_backward_runs(dist_world, monkeypatch):
    """With one bucket per parameter the first all-reduce is launched before the last
    parameter's gradient is final (the backward still runs), in bucket order."""
    events = []
    launch = dist.all_reduce

    def spy(tensor, *args, **kwargs):
        events.append(("all_reduce", tensor.size))
        return launch(tensor, *args, **kwargs)

    monkeypatch.setattr(dist, "all_reduce", spy)
    model = DistributedDataParallel(_mlp(), bucket_cap_mb=1e-4)
    first = model.module[0].weight  # registered first: its gradient is final last
    first.register_post_accumulate_grad_hook(lambda p: events.append(("last gradient", p.size)))
    model(lucid.random.randn(2, 4)).sum().backward()
    kinds = [k for k, _ in events]
    assert kinds.count("all_reduce") == 6
    assert kinds.index("all_reduce") < kinds.index("last gradient")
    # buckets hold parameters in reverse order: the output layer's bias (3 numbers + 1 flag) first
    assert events[0] == ("all_reduce", 3 + 1)


def test_no_sync_accumulates_then_one_backward_averages(dist_world, monkeypatch):
    calls = []
    launch = dist.all_reduce
    monkeypatch.setattr(dist, "all_reduce", lambda t, *a, **k: calls.append(t.size) or launch(t, *a, **k))
    model = DistributedDataParallel(_mlp())
    plain = _mlp()
    xs = [lucid.random.randn(3, 4) for _ in range(3)]
    with model.no_sync():
        for x in xs[:2]:
            model(x).sum().backward()
    assert calls == []
    model(xs[2]).sum().backward()
    assert len(calls) >= 1
    for x in xs:
        plain(x).sum().backward()
    for k, g in _grads(plain).items():
        np.testing.assert_allclose(_grads(model.module)[k], g, rtol=1e-6, atol=1e-7, err_msg=k)


def test_unused_parameters_keep_no_gradient(dist_world):
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.unused = nn.Linear(2, 2), nn.Linear(2, 2)

        def forward(self, x):
            return self.used(x)

    model = DistributedDataParallel(TwoHeads())
    model(lucid.ones(1, 2)).sum().backward()
    assert model.module.unused.weight.grad is None and model.module.unused.bias.grad is None
    assert model.module.used.weight.grad is not None


def test_task_methods_of_the_module_sync_too(dist_world, monkeypatch):
    """The hooks sit on the parameters: a loss computed through ``ddp.module`` is averaged too."""
    calls = []
    launch = dist.all_reduce
    monkeypatch.setattr(dist, "all_reduce", lambda t, *a, **k: calls.append(t.size) or launch(t, *a, **k))
    model = DistributedDataParallel(_mlp())
    model.module(lucid.ones(1, 4)).sum().backward()
    assert calls


def test_state_dict_keys(dist_world):
    inner = nn.Linear(2, 1)
    model = DistributedDataParallel(inner)
    assert list(inner.state_dict()) == ["weight", "bias"]
    assert list(model.state_dict()) == ["module.weight", "module.bias"]
    assert model.load_state_dict(model.state_dict()) == ([], [])
    assert list(model.parameters()) == list(inner.parameters())


def test_buffers_are_broadcast(dist_world):
    inner = nn.Linear(2, 1)
    inner.register_buffer("steps", lucid.tensor([3]))
    model = DistributedDataParallel(inner)
    model(lucid.ones(1, 2))
    assert inner.steps.tolist() == [3]


def test_errors_name_the_value(dist_world):
    with pytest.raises(TypeError, match="wraps a lucid.nn.Module, got function"):
        DistributedDataParallel(lambda x: x)
    for cap in (0, -1, float("nan"), "25", True):
        with pytest.raises(ValueError, match=f"bucket_cap_mb must be a positive number, got {cap!r}"):
            DistributedDataParallel(nn.Linear(2, 2), bucket_cap_mb=cap)


def test_a_module_on_two_devices_is_refused(dist_world):
    class OnGPU(nn.Parameter):
        device = "gpu"  # stands in for a parameter moved to the GPU alone

    model = nn.Linear(2, 2)
    model.bias = OnGPU([0.0, 0.0])
    with pytest.raises(ValueError, match=r"needs the module on one device, found \['cpu', 'gpu'\]"):
        DistributedDataParallel(model)


def test_without_a_group():
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match=r"init_process_group\(\) first"):
        DistributedDataParallel(nn.Linear(2, 2))
