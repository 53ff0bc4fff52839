"""nn.init: statistics of the fills, bounds, gains, fans, reproducibility and errors (fills on
each device of the ``device`` fixture)."""

import math

import numpy as np
import pytest
import torch

import lucid
from lucid._backend import device_of
from lucid.nn import Parameter, init


def _big(*shape, dtype=np.float32):
    return Parameter(np.zeros(shape, dtype))


def test_uniform_statistics():
    t = init.uniform(_big(200, 300), -1.0, 3.0)
    x = t.data
    assert x.min() >= -1 and x.max() < 3 and x.min() < -0.99 and x.max() > 2.99
    assert abs(x.mean() - 1.0) < 0.02 and abs(x.std() - 4 / math.sqrt(12)) < 0.02


def test_normal_statistics_and_dtypes():
    for dtype in (np.float32, np.float64, np.float16):
        t = init.normal(_big(300, 300, dtype=dtype), mean=2.0, std=0.5)
        assert t.dtype == dtype
        x = t.data.astype(np.float64)
        assert abs(x.mean() - 2.0) < 0.01 and abs(x.std() - 0.5) < 0.01


def test_constant_zeros_ones():
    t = _big(3, 2)
    assert init.constant(t, 0.25) is t and (t.data == 0.25).all()
    assert (init.ones(t).data == 1).all()
    assert not init.zeros(t).data.any()


def test_returns_same_tensor_in_place_without_graph():
    t = _big(4, 5)
    arr = t.data
    for fn in (init.uniform, init.normal, init.xavier_uniform, init.xavier_normal, init.kaiming_uniform,
               init.kaiming_normal, init.zeros, init.ones):
        assert fn(t) is t and t.data is arr and t.is_leaf and t.requires_grad


@pytest.mark.parametrize("nonlinearity, param", [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                                                 ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity, param))


@pytest.mark.parametrize("shape", [(300, 200), (64, 16, 3, 3)])
def test_fans_match_torch(shape):
    assert init._fans(_big(*shape)) == torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))


def test_xavier_statistics():
    fan_in, fan_out = 300, 200
    x = init.xavier_uniform(_big(fan_out, fan_in), gain=2.0).data
    bound = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(x).max() <= bound and np.abs(x).max() > 0.99 * bound
    assert abs(x.std() - bound / math.sqrt(3)) < 0.02 * bound
    y = init.xavier_normal(_big(fan_out, fan_in)).data
    assert abs(y.std() - math.sqrt(2 / (fan_in + fan_out))) < 0.01 * math.sqrt(2 / (fan_in + fan_out))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_statistics(mode):
    t = _big(200, 400)
    fan = 400 if mode == "fan_in" else 200
    x = init.kaiming_uniform(t, a=math.sqrt(5), mode=mode).data
    bound = math.sqrt(2 / (1 + 5)) * math.sqrt(3 / fan)
    assert np.abs(x).max() <= bound and np.abs(x).max() > 0.99 * bound
    y = init.kaiming_normal(t, mode=mode, nonlinearity="relu").data
    std = math.sqrt(2) / math.sqrt(fan)
    assert abs(y.std() - std) < 0.02 * std and abs(y.mean()) < 0.02 * std


def test_fills_on_device(device):
    t = Parameter(lucid.zeros(300, 300, device=device))
    x = init.normal(t, 1.0, 0.5).data
    assert device_of(x) == device and abs(float(x.mean()) - 1.0) < 0.01 and abs(float(x.std()) - 0.5) < 0.01
    u = init.kaiming_uniform(t, a=5**0.5).data
    assert device_of(u) == device and float(abs(u).max()) <= 1 / 300**0.5


def test_seed_makes_init_reproducible():
    lucid.random.seed(7)
    a = init.normal(_big(5)).data.copy()
    lucid.random.seed(7)
    b = init.normal(_big(5)).data.copy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, init.normal(_big(5)).data)


def test_torch_style_aliases():
    assert init.normal_ is init.normal and init.kaiming_uniform_ is init.kaiming_uniform
    assert init.xavier_uniform_ is init.xavier_uniform and init.zeros_ is init.zeros


def test_errors():
    with pytest.raises(ValueError, match="at least 2 dimensions, got shape \\(5,\\)"):
        init.xavier_uniform(_big(5))
    with pytest.raises(ValueError, match="mode 'fan_avg'"):
        init.kaiming_normal(_big(2, 2), mode="fan_avg")
    with pytest.raises(ValueError, match="nonlinearity 'swish'"):
        init.kaiming_uniform(_big(2, 2), nonlinearity="swish")
    with pytest.raises(ValueError, match="std=-1"):
        init.normal(_big(2), std=-1)
    with pytest.raises(ValueError, match="a=2.*b=1"):
        init.uniform(_big(2), 2, 1)
    with pytest.raises(TypeError, match="floating-point tensor, got dtype int64"):
        init.normal(lucid.tensor([1, 2]))
    with pytest.raises(TypeError, match="lucid Tensor"):
        init.ones([1.0])
