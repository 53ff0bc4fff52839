"""nn.utils: clip_grad_norm against torch (also on each device of the ``device`` fixture),
get_activation_from_name."""

import math

import numpy as np
import pytest
import torch

import lucid
import lucid.nn as nn
from lucid._backend import device_of, to_numpy
from lucid.nn.utils import clip_grad_norm, get_activation_from_name


def _params(scale, seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (2, 2, 2)]
    grads = [(rng.standard_normal(s) * scale).astype(np.float32) for s in shapes]
    ours = [nn.Parameter(np.zeros(s, np.float32)) for s in shapes]
    theirs = [torch.nn.Parameter(torch.zeros(s)) for s in shapes]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = g, torch.from_numpy(g.copy())
    return ours, theirs


@pytest.mark.parametrize("max_norm, norm_type, scale", [(1.0, 2.0, 1.0), (100.0, 2.0, 1.0), (0.5, 1.0, 3.0),
                                                        (0.3, float("inf"), 1.0), (2.0, 3.0, 1.0)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type, scale):
    ours, theirs = _params(scale)
    originals = [p.grad for p in ours]
    copies = [g.copy() for g in originals]
    total = clip_grad_norm(ours, max_norm, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, lucid.Tensor)
    assert total.item() == pytest.approx(ttotal.item(), rel=1e-6)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-6, atol=1e-7)
        assert p.grad.dtype == np.float32
    for g, c in zip(originals, copies):  # the old arrays were not scaled in place
        np.testing.assert_array_equal(g, c)


def test_clip_grad_norm_on_device_matches_torch(device):
    host, theirs = _params(1.0, seed=1)
    ours = [nn.Parameter(np.zeros(p.shape, np.float32), device=device) for p in host]
    for p, h in zip(ours, host):
        p.grad = lucid.tensor(h.grad, device=device).data
    total = clip_grad_norm(ours, 1.0)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert total.device == device
    assert total.item() == pytest.approx(ttotal.item(), rel=1e-5)
    for p, q in zip(ours, theirs):
        assert p.grad is not None and device_of(p.grad) == device
        np.testing.assert_allclose(to_numpy(p.grad), q.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_skips_missing_grads_and_accepts_a_tensor():
    p = nn.Parameter([3.0, 4.0])
    p.grad = np.array([3.0, 4.0], np.float32)
    q = nn.Parameter([1.0])
    assert clip_grad_norm([p, q], 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad, [0.6, 0.8], rtol=1e-5)
    assert q.grad is None
    assert clip_grad_norm(p, 10.0).item() == pytest.approx(1.0, rel=1e-5)
    assert clip_grad_norm([q], 1.0).item() == 0.0


def test_clip_grad_norm_model_parameters_generator():
    model = nn.Linear(3, 2)
    model(lucid.ones(4, 3)).sum().backward()
    expected = math.sqrt(sum(float((p.grad.astype(np.float64) ** 2).sum()) for p in model.parameters()))
    assert clip_grad_norm(model.parameters(), 0.1).item() == pytest.approx(expected, rel=1e-6)
    got = math.sqrt(sum(float((p.grad.astype(np.float64) ** 2).sum()) for p in model.parameters()))
    assert got == pytest.approx(0.1, rel=1e-4)


def test_clip_grad_norm_errors():
    p = nn.Parameter([1.0])
    p.grad = np.array([np.inf], np.float32)
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm([p], 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="max_norm.*-1.0"):
        clip_grad_norm([p], -1.0)
    with pytest.raises(ValueError, match="norm_type.*0.0"):
        clip_grad_norm([p], 1.0, norm_type=0)


@pytest.mark.parametrize("name, torch_fn", [
    ("gelu", lambda x: torch.nn.functional.gelu(x)),
    ("relu", torch.relu),
    ("tanh", torch.tanh),
    ("gelu_new", lambda x: torch.nn.functional.gelu(x, approximate="tanh")),
    ("gelu_pytorch_tanh", lambda x: torch.nn.functional.gelu(x, approximate="tanh")),
])
def test_get_activation_from_name(name, torch_fn):
    act = get_activation_from_name(name)
    assert isinstance(act, nn.Module)
    assert get_activation_from_name(name) is not act  # a new module each time
    x = np.linspace(-4, 4, 33, dtype=np.float32)
    np.testing.assert_allclose(act(lucid.tensor(x)).data, torch_fn(torch.tensor(x)).numpy(), rtol=1e-6, atol=1e-6)


def test_gelu_new_is_transformers_new_gelu():
    from transformers.activations import ACT2FN

    x = np.linspace(-5, 5, 41, dtype=np.float32)
    for name in ("gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "tanh"):
        expected = ACT2FN[name](torch.tensor(x)).numpy()
        np.testing.assert_allclose(get_activation_from_name(name)(lucid.tensor(x)).data, expected, rtol=1e-5,
                                   atol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", ["swish", "GELU", "", None])
def test_unknown_activation_names_raise(name):
    with pytest.raises(ValueError, match=f"unknown activation {name!r}"):
        get_activation_from_name(name)
