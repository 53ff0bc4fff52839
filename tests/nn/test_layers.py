"""Layers against torch.nn: same weights in, same outputs and gradients out (a stack of every
layer kind also on each device of the ``device`` fixture)."""

import math

import numpy as np
import pytest
import torch

import lucid
import lucid.nn as nn
from lucid._backend import device_of, to_numpy


def _copy_weights(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def _check(ours, theirs, x, rtol=1e-5, atol=1e-6, integer_input=False):
    """Forward both on ``x``, backward a random cotangent, compare outputs and all grads."""
    _copy_weights(ours, theirs)
    xl = lucid.tensor(x, requires_grad=not integer_input)
    xt = torch.tensor(x, requires_grad=not integer_input)
    y, yt = ours(xl), theirs(xt)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=rtol, atol=atol)
    cot = np.random.default_rng(5).standard_normal(yt.shape).astype(x.dtype if not integer_input else np.float32)
    (y * lucid.tensor(cot)).sum().backward()
    (yt * torch.tensor(cot)).sum().backward()
    if not integer_input:
        np.testing.assert_allclose(xl.grad, xt.grad.numpy(), rtol=rtol, atol=atol)
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, tparams[name].grad.numpy(), rtol=rtol, atol=atol, err_msg=name)


RNG = np.random.default_rng(0)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(bias):
    x = RNG.standard_normal((2, 3, 5)).astype(np.float32)
    _check(nn.Linear(5, 4, bias=bias), torch.nn.Linear(5, 4, bias=bias), x)


def test_linear_float64_matches_torch():
    x = RNG.standard_normal((3, 5))
    _check(nn.Linear(5, 4, dtype=lucid.Float64), torch.nn.Linear(5, 4, dtype=torch.float64), x, rtol=1e-12, atol=1e-12)


def test_linear_init_bounds_like_torch():
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    w, b = lin.weight.data, lin.bias.data
    assert w.shape == (300, 400) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert np.abs(b).max() <= bound and abs(b.mean()) < 0.2 * bound
    assert repr(lin) == repr(torch.nn.Linear(400, 300))


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch(padding_idx):
    ids = np.array([[1, 2, 3], [2, 0, 6]])
    ours, theirs = nn.Embedding(7, 4, padding_idx=padding_idx), torch.nn.Embedding(7, 4, padding_idx=padding_idx)
    assert ours.padding_idx == theirs.padding_idx
    _check(ours, theirs, ids, integer_input=True)
    if padding_idx is not None:
        assert not ours.weight.grad[ours.padding_idx].any()
    assert repr(ours) == repr(theirs)


def test_embedding_init():
    emb = nn.Embedding(300, 100, padding_idx=3)
    w = emb.weight.data
    assert not w[3].any()
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02


def test_embedding_from_pretrained():
    table = lucid.tensor(np.arange(6, dtype=np.float32).reshape(3, 2))
    emb = nn.Embedding.from_pretrained(table, freeze=False)
    assert emb.weight.requires_grad and emb.weight.data is table.data
    assert emb(lucid.tensor([2, 0])).tolist() == [[4.0, 5.0], [0.0, 1.0]]
    with pytest.raises(ValueError, match="2-dimensional"):
        nn.Embedding.from_pretrained(lucid.ones(3))


@pytest.mark.parametrize("shape, kwargs", [(6, {}), ((3, 6), {"eps": 1e-12}), (6, {"bias": False}),
                                           (6, {"elementwise_affine": False})])
def test_layer_norm_matches_torch(shape, kwargs):
    ours, theirs = nn.LayerNorm(shape, **kwargs), torch.nn.LayerNorm(shape, **kwargs)
    with torch.no_grad():  # non-trivial affine parameters
        for p in theirs.parameters():
            p.copy_(torch.randn(p.shape))
    x = RNG.standard_normal((2, 3, 6)).astype(np.float32) * 3 + 1
    _check(ours, theirs, x, rtol=1e-4, atol=1e-5)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_layer_norm_init():
    ln = nn.LayerNorm(5)
    assert ln.weight.tolist() == [1.0] * 5 and ln.bias.tolist() == [0.0] * 5


@pytest.mark.parametrize("ours, theirs", [
    (nn.Tanh(), torch.nn.Tanh()),
    (nn.ReLU(), torch.nn.ReLU()),
    (nn.GELU(), torch.nn.GELU()),
    (nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")),
], ids=["tanh", "relu", "gelu", "gelu_tanh"])
def test_activations_match_torch(ours, theirs):
    x = RNG.standard_normal((3, 7)).astype(np.float32) * 3
    _check(ours, theirs, x)
    assert repr(ours) == repr(theirs)


def test_dropout_train_and_eval():
    drop = nn.Dropout(0.25)
    assert repr(drop) == repr(torch.nn.Dropout(0.25))
    x = lucid.ones(200, 100, requires_grad=True)
    y = drop(x)
    kept = y.data != 0
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(y.data[kept], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.75, rtol=1e-6)
    drop.eval()
    np.testing.assert_array_equal(drop(x).data, x.data)
    assert nn.Dropout(0.0)(x).data.all()


def test_identity():
    x = lucid.ones(2)
    assert nn.Identity(3, foo=1)(x) is x


def test_layers_in_a_model_train_like_torch():
    """A two-layer model, one SGD step in lucid and torch from the same weights."""
    ours = nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.LayerNorm(8), nn.Linear(8, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.GELU(), torch.nn.LayerNorm(8), torch.nn.Linear(8, 3))
    _copy_weights(ours, theirs)
    x = RNG.standard_normal((5, 4)).astype(np.float32)
    opt, topt = lucid.optim.SGD(ours.parameters(), lr=0.1), torch.optim.SGD(theirs.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        topt.zero_grad()
        (ours(lucid.tensor(x)) ** 2).mean().backward()
        (theirs(torch.tensor(x)) ** 2).mean().backward()
        opt.step()
        topt.step()
    for (k, v), tv in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(v.data, tv.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)


def test_layer_stack_on_device_matches_torch(device):
    ours = nn.Sequential(nn.Embedding(11, 8, padding_idx=0), nn.Linear(8, 8), nn.GELU(), nn.LayerNorm(8),
                         nn.Dropout(0.1), nn.Linear(8, 3), nn.Tanh())
    theirs = torch.nn.Sequential(torch.nn.Embedding(11, 8, padding_idx=0), torch.nn.Linear(8, 8), torch.nn.GELU(),
                                 torch.nn.LayerNorm(8), torch.nn.Dropout(0.1), torch.nn.Linear(8, 3), torch.nn.Tanh())
    _copy_weights(ours, theirs)
    ours.to(device).eval(), theirs.eval()
    ids = [[1, 2, 3, 0], [4, 5, 0, 0]]
    y, yt = ours(lucid.tensor(ids, device=device)), theirs(torch.tensor(ids))
    assert y.device == device
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    y.sum().backward()
    yt.sum().backward()
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert p.grad is not None and device_of(p.grad) == device, name
        np.testing.assert_allclose(to_numpy(p.grad), tparams[name].grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


def test_layers_created_on_device(device):
    for layer in (nn.Linear(4, 3, device=device), nn.Embedding(5, 2, padding_idx=1, device=device),
                  nn.LayerNorm(4, device=device, dtype=lucid.Float16)):
        assert all(p.device == device for p in layer.parameters())
    emb = nn.Embedding(5, 2, padding_idx=1, device=device)
    assert not emb.weight.data[1].any()


def test_dtype_and_device_keywords():
    for layer in (nn.Linear(2, 3, dtype=lucid.Float64), nn.Embedding(4, 2, dtype="float64"),
                  nn.LayerNorm(3, dtype=np.float64)):
        assert all(p.dtype == np.float64 for p in layer.parameters())
        assert all(p.device == "cpu" for p in layer.parameters())
    assert nn.Linear(2, 2, device="cpu").weight.device == "cpu"
    with pytest.raises(TypeError, match="floating-point"):
        nn.Linear(2, 2, dtype=lucid.Int64)
    with pytest.raises(ValueError, match="'tpu'"):
        nn.Linear(2, 2, device="tpu")


@pytest.mark.parametrize("make, words", [
    (lambda: nn.Linear(-1, 2), "in_features must be an int >= 0, got -1"),
    (lambda: nn.Linear(2, 2.5), "out_features must be an int >= 0, got 2.5"),
    (lambda: nn.Embedding(0, 2, padding_idx=0), "padding_idx"),
    (lambda: nn.Embedding(5, 2, padding_idx=5), "padding_idx must be an int in \\[-5, 5\\).*got 5"),
    (lambda: nn.Embedding(-3, 2), "num_embeddings must be an int >= 0, got -3"),
    (lambda: nn.Embedding(3, "a"), "embedding_dim must be an int >= 0, got 'a'"),
    (lambda: nn.LayerNorm(0), "normalized_shape must be an int >= 1, got 0"),
    (lambda: nn.LayerNorm(4, eps=-1.0), "eps must be a number >= 0, got -1.0"),
    (lambda: nn.LayerNorm("x"), "normalized_shape"),
    (lambda: nn.Dropout(1.5), "between 0 and 1, but got 1.5"),
    (lambda: nn.Dropout(-0.1), "got -0.1"),
    (lambda: nn.GELU(approximate="erf"), "approximate must be 'none' or 'tanh', got 'erf'"),
])
def test_bad_constructor_values_raise_value_error(make, words):
    with pytest.raises(ValueError, match=words):
        make()


def test_layer_norm_accepts_eps_zero_like_torch():
    import torch

    x = np.array([[1.0, 2.0, 3.0, 5.0]], dtype=np.float32)
    ours = nn.LayerNorm(4, eps=0)(lucid.tensor(x)).numpy()
    ref = torch.nn.LayerNorm(4, eps=0)(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-6)
