"""lucid.data's datasets: TensorDataset, Subset, ConcatDataset, random_split (against PyTorch's)
and the package's public names."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lucid
import lucid.data as data
from lucid.data import ConcatDataset, Dataset, Subset, TensorDataset, random_split


def test_the_package_exports_only_its_public_names():
    assert "os" not in dir(data) and "annotations" not in dir(data)
    modules = {"collators", "datasets", "loader", "masking", "samplers", "shipped", "truncation", "tokenizers",
               "distributed", "next_sentence"}
    for name in dir(data):
        if not name.startswith("_"):
            assert name in data.__all__ or name in modules, name
    assert all(hasattr(data, name) for name in data.__all__)
    # the shipped data and its helpers stay where they were
    texts, labels = data.load_sentiment()
    assert len(texts) == len(labels) > 100 and data.SENTIMENT_LABELS == ("negative", "positive")
    assert data.data_path("corpus.txt").endswith("corpus.txt") and data.load_corpus()


def test_dataset_is_abstract_and_concatenates():
    class Partial(Dataset):
        def __len__(self):
            return 1

    with pytest.raises(TypeError, match="__getitem__"):
        Partial()

    class Letters(Dataset):
        def __init__(self, s):
            self.s = s

        def __len__(self):
            return len(self.s)

        def __getitem__(self, i):
            return self.s[i]

    both = Letters("ab") + Letters("cde")
    assert isinstance(both, ConcatDataset) and list(both) == list("abcde") and repr(both) == "ConcatDataset(n=5)"


def test_tensor_dataset_rows_match_torch():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    y = np.array([0, 1, 1, 0])
    ours, theirs = TensorDataset(lucid.tensor(x), y), torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    assert len(ours) == len(theirs) == 4
    for i in (0, 3, -1):
        for a, b in zip(ours[i], theirs[i]):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert ours.tensors[1].dtype == np.int64  # the array became a tensor
    assert ours.to("cpu") is ours and ours.tensors[0].device == "cpu"


@pytest.mark.parametrize("args, words", [
    ((), ["at least one tensor"]),
    ((lucid.tensor(3.0),), ["tensor 0", "0-d"]),
    ((lucid.zeros(3, 2), lucid.zeros(2)), ["tensor 1 has 2 rows", "tensor 0 has 3"]),
])
def test_tensor_dataset_errors(args, words):
    with pytest.raises(ValueError) as info:
        TensorDataset(*args)
    for w in words:
        assert w in str(info.value)


def test_subset_and_concat_index_like_lists():
    base = TensorDataset(lucid.arange(5))
    sub = Subset(base, [4, 0, 2])
    assert [int(x) for (x,) in sub] == [4, 0, 2] and int(sub[-1][0]) == 2
    cat = ConcatDataset([sub, TensorDataset(lucid.tensor([7, 8]))])
    assert [int(x) for (x,) in cat] == [4, 0, 2, 7, 8] and int(cat[-2][0]) == 7 and len(cat) == 5
    assert len(ConcatDataset([])) == 0
    with pytest.raises(IndexError, match="index 5 is out of range for ConcatDataset of length 5"):
        cat[5]
    with pytest.raises(IndexError, match="index -4 is out of range for Subset of length 3"):
        sub[-4]
    with pytest.raises(TypeError, match="must be integers, got str"):
        sub["0"]


@pytest.mark.parametrize("n, lengths", [(10, [0.8, 0.2]), (11, [0.5, 0.3, 0.2]), (7, [1 / 3, 1 / 3, 1 / 3]),
                                        (10, [3, 7])])
def test_random_split_sizes_match_torch_and_cover_everything(n, lengths):
    ours = random_split(TensorDataset(lucid.arange(n)), lengths, seed=0)
    theirs = torch.utils.data.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(int(x) for part in ours for (x,) in part) == list(range(n))


def test_random_split_follows_the_lucid_seed():
    ds = TensorDataset(lucid.arange(20))
    lucid.random.seed(5)
    a = [s.indices for s in random_split(ds, [10, 10])]
    lucid.random.seed(5)
    b = [s.indices for s in random_split(ds, [10, 10])]
    lucid.random.seed(6)
    c = [s.indices for s in random_split(ds, [10, 10])]
    assert a == b and a != c


@pytest.mark.parametrize("lengths, words", [
    ([3, 3], ["[3, 3]", "add up to 6", "10 examples"]),
    ([0.5, 0.4], ["[0.5, 0.4]", "not 1"]),
    ([-1, 11], ["non-negative", "-1"]),
    ([], ["[]"]),
])
def test_random_split_errors_name_the_lengths(lengths, words):
    with pytest.raises(ValueError) as info:
        random_split(TensorDataset(lucid.arange(10)), lengths)
    for w in words:
        assert w in str(info.value)
