"""lucid.random: shapes, ranges, dtypes and seeding (seeding on each device of the ``device`` fixture)."""

import numpy as np
import pytest

import lucid
from lucid import random as lr


@pytest.mark.parametrize("fn", [lr.rand, lr.randn])
def test_shapes_as_ints_or_one_tuple(fn):
    assert fn(2, 3).shape == (2, 3)
    assert fn((2, 3)).shape == (2, 3)
    assert fn([4]).shape == (4,)
    assert fn().shape == ()
    t = fn(5, device="cpu")
    assert t.dtype == np.float32 and t.device == "cpu" and not t.requires_grad
    assert fn(3, dtype=lucid.Float64).dtype == np.float64
    assert fn(3, requires_grad=True).requires_grad


def test_rand_range_and_randn_moments():
    u = lr.rand(20000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.02
    n = lr.randn(20000).numpy()
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1.0) < 0.03


def test_randint():
    t = lr.randint(2, 5, (3, 4))
    assert t.shape == (3, 4) and t.dtype == np.int64
    assert t.numpy().min() >= 2 and t.numpy().max() <= 4
    assert lr.randint(0, 3, 7).shape == (7,)
    assert lr.randint(0, 3, size=[2, 2]).shape == (2, 2)
    assert set(lr.randint(0, 3, 500).tolist()) == {0, 1, 2}
    only_high = lr.randint(3, size=100).numpy()
    assert only_high.min() >= 0 and only_high.max() <= 2
    assert lr.randint(0, 2, (2,), dtype=lucid.Int32).dtype == np.int32


def test_uniform():
    t = lr.uniform(-2.0, -1.0, (100,))
    assert t.dtype == np.float32 and t.numpy().min() >= -2.0 and t.numpy().max() < -1.0


def test_seed_makes_runs_reproducible():
    lr.seed(123)
    first = [lr.rand(3).tolist(), lr.randn(2, 2).tolist(), lr.randint(0, 100, (4,)).tolist()]
    lr.seed(123)
    second = [lr.rand(3).tolist(), lr.randn(2, 2).tolist(), lr.randint(0, 100, (4,)).tolist()]
    assert first == second
    lr.seed(124)
    assert lr.rand(3).tolist() != first[0]


def test_generator_is_numpy_generator_per_device():
    lr.seed(5)
    gen = lr.generator("cpu")
    assert isinstance(gen, np.random.Generator) and lr.generator() is gen
    expect = np.random.default_rng(5).random(3, dtype=np.float32)
    np.testing.assert_array_equal(lr.rand(3).numpy(), expect)


@pytest.mark.parametrize("bad", [-1, 1.5, "7", None])
def test_seed_rejects_bad_values(bad):
    with pytest.raises(ValueError, match=repr(bad).replace("(", r"\(")):
        lr.seed(bad)


def test_module_exposed_on_lucid():
    assert lucid.random.seed is lr.seed and callable(lucid.random.rand)


def test_seeded_draws_on_device(device):
    def draws():
        return [lr.rand(3, device=device).tolist(), lr.randn((2, 2), device=device).tolist(),
                lr.randint(0, 9, (4,), device=device).tolist()]

    lr.seed(11)
    a = draws()
    lr.seed(11)
    assert draws() == a
    t = lr.randn(1000, device=device)
    assert t.device == device and t.dtype == np.float32 and abs(float(t.mean().item())) < 0.15
    r = lr.randint(0, 3, 50, device=device)
    assert r.device == device and r.dtype == np.int64 and set(r.tolist()) <= {0, 1, 2}
