"""GPU variants of the nn and optim tests: results on "gpu" equal those on "cpu", and
nothing leaves the device. Skipped where no CUDA GPU with CuPy is present."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.nn import init
from lucid.nn.utils import clip_grad_norm
from lucid.optim import SGD, Adam, AdamW, lr_scheduler

pytestmark = pytest.mark.gpu


def _is_gpu(arr):
    return type(arr).__module__.startswith("cupy")


def _model():
    return nn.Sequential(nn.Embedding(11, 8, padding_idx=0), nn.Linear(8, 8), nn.GELU(), nn.LayerNorm(8),
                         nn.Dropout(0.1), nn.Linear(8, 3), nn.Tanh())


def _pair():
    cpu = _model()
    gpu = _model()
    gpu.load_state_dict(cpu.state_dict())
    gpu.to("gpu")
    return cpu, gpu


def test_to_gpu_moves_parameters_buffers_and_grads():
    m = _model()
    m.register_buffer("ids", lucid.arange(4))
    m(lucid.tensor([[1, 2]])).sum().backward()
    m.to("gpu")
    for p in m.parameters():
        assert p.device == "gpu" and _is_gpu(p.grad)
    assert m.ids.device == "gpu" and m.ids.dtype == np.int64
    assert all(v.device == "gpu" for v in m.state_dict().values())
    m.cpu()
    assert all(p.device == "cpu" and isinstance(p.grad, np.ndarray) for p in m.parameters())


def test_layers_on_gpu_match_cpu():
    cpu, gpu = _pair()
    cpu.eval(), gpu.eval()
    ids = [[1, 2, 3, 0], [4, 5, 0, 0]]
    yc = cpu(lucid.tensor(ids))
    yg = gpu(lucid.tensor(ids, device="gpu"))
    assert yg.device == "gpu"
    np.testing.assert_allclose(yg.numpy(), yc.numpy(), rtol=1e-5, atol=1e-6)
    yc.sum().backward()
    yg.sum().backward()
    for (name, pc), pg in zip(cpu.named_parameters(), gpu.parameters()):
        assert _is_gpu(pg.grad)
        np.testing.assert_allclose(pg.grad.get(), pc.grad, rtol=1e-4, atol=1e-5, err_msg=name)


def test_layers_created_on_gpu():
    for layer in (nn.Linear(4, 3, device="gpu"), nn.Embedding(5, 2, padding_idx=1, device="gpu"),
                  nn.LayerNorm(4, device="gpu", dtype=lucid.Float16)):
        assert all(p.device == "gpu" for p in layer.parameters())
    emb = nn.Embedding(5, 2, padding_idx=1, device="gpu")
    assert not emb.weight.data[1].any()


def test_init_on_gpu():
    t = nn.Parameter(lucid.zeros(300, 300, device="gpu"))
    x = init.normal(t, 1.0, 0.5).data
    assert _is_gpu(x) and abs(float(x.mean()) - 1.0) < 0.01 and abs(float(x.std()) - 0.5) < 0.01
    u = init.kaiming_uniform(t, a=5**0.5).data
    assert float(abs(u).max()) <= 1 / 300**0.5


def test_load_state_dict_from_host_arrays_onto_gpu():
    cpu, gpu = _pair()
    weights = {k: v.numpy() * 2 for k, v in cpu.state_dict().items()}
    arrays = {k: v.data for k, v in gpu.state_dict().items()}
    gpu.load_state_dict(weights)
    for k, v in gpu.state_dict().items():
        assert v.data is arrays[k]
        np.testing.assert_array_equal(v.numpy(), weights[k])


def test_half_on_gpu():
    m = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4)).to("gpu").half()
    assert all(p.dtype == np.float16 and p.device == "gpu" for p in m.parameters())


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: Adam(ps, lr=0.01, weight_decay=0.1),
    lambda ps: AdamW(ps, lr=0.01),
])
def test_optimizers_on_gpu_match_cpu(make):
    cpu, gpu = _pair()
    opt_c, opt_g = make(list(cpu.parameters())), make(list(gpu.parameters()))
    sched = lr_scheduler.get_linear_schedule_with_warmup(opt_g, 1, 5)
    sched_c = lr_scheduler.get_linear_schedule_with_warmup(opt_c, 1, 5)
    rng = np.random.default_rng(0)
    for _ in range(3):
        for pc, pg in zip(cpu.parameters(), gpu.parameters()):
            g = rng.standard_normal(pc.shape).astype(np.float32)
            pc.grad = g
            pg.grad = lucid.tensor(g, device="gpu").data
        opt_c.step(), opt_g.step(), sched.step(), sched_c.step()
    for pc, pg in zip(cpu.parameters(), gpu.parameters()):
        assert pg.device == "gpu"
        np.testing.assert_allclose(pg.numpy(), pc.data, rtol=1e-5, atol=1e-6)
    for state in opt_g.state.values():
        for v in state.values():
            assert not hasattr(v, "shape") or _is_gpu(v)
    # a state saved on the GPU loads onto CPU parameters (and back)
    sd = opt_g.state_dict()
    fresh = make(list(cpu.parameters()))
    fresh.load_state_dict(sd)
    assert all(not hasattr(v, "shape") or isinstance(v, np.ndarray) for s in fresh.state.values() for v in s.values())


def test_clip_grad_norm_on_gpu_matches_cpu():
    cpu, gpu = _pair()
    rng = np.random.default_rng(1)
    for pc, pg in zip(cpu.parameters(), gpu.parameters()):
        g = rng.standard_normal(pc.shape).astype(np.float32)
        pc.grad = g
        pg.grad = lucid.tensor(g, device="gpu").data
    tc = clip_grad_norm(cpu.parameters(), 1.0)
    tg = clip_grad_norm(gpu.parameters(), 1.0)
    assert tg.device == "gpu"
    assert tg.item() == pytest.approx(tc.item(), rel=1e-5)
    for pc, pg in zip(cpu.parameters(), gpu.parameters()):
        assert _is_gpu(pg.grad)
        np.testing.assert_allclose(pg.grad.get(), pc.grad, rtol=1e-5, atol=1e-7)
