"""lucid.data.DataLoader, default_collate and the samplers, against torch.utils.data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lucid
from lucid.data import DataLoader, RandomSampler, SequentialSampler, TensorDataset, default_collate


def _pair(n=7):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n) % 3
    return TensorDataset(lucid.tensor(x), lucid.tensor(y)), torch.utils.data.TensorDataset(torch.tensor(x),
                                                                                          torch.tensor(y))


@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (3, False), (3, True), (7, True), (10, False),
                                                   (10, True)])
def test_batches_equal_torch_in_order(batch_size, drop_last):
    ours, theirs = _pair()
    a = list(DataLoader(ours, batch_size=batch_size, drop_last=drop_last))
    b = list(torch.utils.data.DataLoader(theirs, batch_size=batch_size, drop_last=drop_last))
    assert len(DataLoader(ours, batch_size=batch_size, drop_last=drop_last)) == len(b) == len(a)
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa.numpy(), xb.numpy())
        np.testing.assert_array_equal(ya.numpy(), yb.numpy())
        assert ya.dtype == np.int64 and xa.dtype == np.float32


def _order(loader):
    return [int(i) for (x,) in loader for i in x.numpy()]


def test_shuffle_is_a_new_permutation_each_epoch_and_follows_the_seed():
    ds = TensorDataset(lucid.arange(50))
    loader = DataLoader(ds, batch_size=8, shuffle=True)
    lucid.random.seed(1)
    first, second = _order(loader), _order(loader)
    assert sorted(first) == sorted(second) == list(range(50))
    assert first != second and first != list(range(50))
    lucid.random.seed(1)
    assert _order(loader) == first and _order(loader) == second  # the seed reproduces the run
    lucid.random.seed(2)
    assert _order(loader) != first


def test_any_sampler_object_is_used_and_set_epoch_is_left_to_the_user():
    class Backwards:  # no Sampler base class, and a set_epoch the loader must not call
        def __init__(self, n):
            self.n, self.epoch = n, None

        def __iter__(self):
            return iter(range(self.n - 1, -1, -1))

        def __len__(self):
            return self.n

        def set_epoch(self, epoch):
            raise AssertionError("the DataLoader called set_epoch")

    ds = TensorDataset(lucid.arange(5))
    loader = DataLoader(ds, batch_size=2, sampler=Backwards(5))
    assert _order(loader) == [4, 3, 2, 1, 0] and len(loader) == 3
    assert list(DataLoader(list("abc"), batch_size=2, sampler=SequentialSampler("abc"))) == [["a", "b"], ["c"]]


def test_random_sampler_with_replacement_and_num_samples():
    ds = range(4)
    lucid.random.seed(0)
    drawn = list(RandomSampler(ds, replacement=True, num_samples=200))
    assert len(drawn) == 200 and set(drawn) == {0, 1, 2, 3}
    chained = list(RandomSampler(ds, num_samples=10))  # without replacement: permutations back to back
    assert len(chained) == 10 and sorted(chained[:4]) == sorted(chained[4:8]) == [0, 1, 2, 3]
    assert len(RandomSampler(ds)) == 4 and list(RandomSampler([])) == []
    for bad in (0, -2, 2.5, True):
        with pytest.raises(ValueError, match=f"num_samples must be a positive int, got {bad!r}"):
            RandomSampler(ds, num_samples=bad)


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(batch_size=0), ValueError, ["batch_size", "0"]),
    (dict(batch_size=2.5), ValueError, ["batch_size", "2.5"]),
    (dict(batch_size=True), ValueError, ["batch_size", "True"]),
    (dict(shuffle=True, sampler=[0, 1]), ValueError, ["sampler", "shuffle"]),
    (dict(sampler=iter([0, 1])), TypeError, ["__len__", "list_iterator"]),
    (dict(collate_fn="stack"), TypeError, ["collate_fn", "str"]),
])
def test_argument_errors(kwargs, exc, words):
    with pytest.raises(exc) as info:
        DataLoader(list(range(4)), **kwargs)
    for w in words:
        assert w in str(info.value)


def test_default_collate_matches_torch_on_nested_examples():
    examples = [{"x": np.array([1.0, 2.0], dtype=np.float32), "n": 3, "text": "a", "pair": (1, 0.5)},
                {"x": np.array([3.0, 4.0], dtype=np.float32), "n": 4, "text": "b", "pair": (2, 1.5)}]
    ours = default_collate(examples)
    theirs = torch.utils.data.default_collate(examples)
    np.testing.assert_array_equal(ours["x"].numpy(), theirs["x"].numpy())
    assert ours["n"].tolist() == theirs["n"].tolist() and ours["n"].dtype == np.int64
    assert ours["text"] == theirs["text"] == ["a", "b"]
    assert [t.tolist() for t in ours["pair"]] == [t.tolist() for t in theirs["pair"]]
    # lucid's rule for Python floats (float32), where torch's collate makes float64
    assert ours["pair"][1].dtype == np.float32
    assert DataLoader.default_collate is default_collate  # the original Lucid's spelling


def test_default_collate_refuses_ragged_examples():
    with pytest.raises(ValueError, match=r"shapes \(3,\) and \(2,\).*DataCollatorWithPadding"):
        default_collate([lucid.zeros(3), lucid.zeros(2)])
    with pytest.raises(ValueError, match=r"sequences of different shapes \(2,\) and \(3,\)"):
        default_collate([[1, 2], [1, 2, 3]])


def test_batches_stay_on_the_examples_device(device):
    ds = TensorDataset(lucid.arange(6, device=device), lucid.ones(6, device=device))
    x, y = next(iter(DataLoader(ds, batch_size=4, shuffle=True)))
    assert x.device == y.device == device and x.shape == (4,)
